/// Spark SQL spelling for the names and strings the translation writes itself (the views'
/// own queries come rendered by the kernel).
enum SparkText {
    /// `` `name` ``, with a backquote in the name doubled.
    static func identifier(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }

    /// `'text'`, with quotes and backslashes escaped as Spark's parser reads them back.
    static func string(_ text: String) -> String {
        var out = "'"
        for character in text.unicodeScalars {
            switch character {
            case "'": out += "\\'"
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(character)
            }
        }
        return out + "'"
    }

    /// A trigger interval as Spark's `processingTime` reads it: whole seconds when it is,
    /// else milliseconds (Spark's triggers have millisecond precision).
    static func interval(micros: Int64) -> String {
        micros % 1_000_000 == 0 ? "\(micros / 1_000_000) seconds" : "\(micros / 1_000) milliseconds"
    }
}
