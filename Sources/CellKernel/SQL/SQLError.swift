/// A fault in SQL text: what was expected, what was found, and where.
///
/// Errors are values made where the fault is found, so the message can name the exact token;
/// ``rendered(source:file:)`` turns one into the compiler-style report a person reads.
public struct SQLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, e.g. `expected ')' but found 'FROM'`. Keywords are named in upper case.
    public var message: String
    /// Where the fault starts.
    public var location: SourceLocation
    /// How many characters the fault spans (at least 1): the width of the underline.
    public var length: Int
    /// A suggestion, e.g. `did you mean SELECT?`, or where the matching opener is.
    public var hint: String?
    /// True when the text ended before the statement could: a shell reading line by line can
    /// ask for another line instead of reporting the error.
    public var isAtEndOfInput: Bool

    /// An error at `location`, spanning `length` characters.
    public init(
        _ message: String, at location: SourceLocation, length: Int = 1, hint: String? = nil,
        isAtEndOfInput: Bool = false
    ) {
        self.message = message
        self.location = location
        self.length = max(1, length)
        self.hint = hint
        self.isAtEndOfInput = isAtEndOfInput
    }

    /// `line:column: error: message`, and the hint on a line of its own.
    public var description: String {
        var text = "\(location): error: \(message)"
        if let hint { text += "\nhint: \(hint)" }
        return text
    }

    /// The error as a compiler prints it: a header, the offending line, a caret under the fault
    /// and the hint.
    ///
    /// ```
    /// work.cells:12:8: error: expected FROM after the select list but found 'c'
    ///     SELECT a b c FROM t
    ///                ^
    /// hint: ...
    /// ```
    /// - Parameters:
    ///   - source: the text the location refers to (the whole file if the parser was given an
    ///     origin inside it).
    ///   - file: the name to print before the position; omitted when `nil`.
    public func rendered(source: String, file: String? = nil) -> String {
        // The secret option values of the text are never shown: not in the quoted line, and
        // not in a message that names a token.
        let secrets = SecretLiterals(source: source)
        var lines: [String] = []
        let position = "\(location.line):\(location.column)"
        lines.append("\(file.map { "\($0):" } ?? "")\(position): error: \(secrets.scrub(message))")
        if let text = Self.line(location.line, of: source) {
            let redacted = secrets.redact(line: text, number: location.line, column: location.column)
            let shown = Self.window(redacted.line, column: redacted.column)
            let indent = "    "
            lines.append(indent + shown.line)
            lines.append(indent + Self.underline(shown.line, column: shown.column, length: length))
        }
        if let hint { lines.append("hint: \(secrets.scrub(hint))") }
        return lines.joined(separator: "\n")
    }

    /// The widest line quoted in full; a longer one is cut to this many characters around the
    /// fault, with `…` where it was cut.
    static let quotedLineWidth = 120

    /// `line` cut to ``quotedLineWidth`` characters around `column`, and the column in the cut
    /// line: a 20 000-character line is not echoed whole.
    static func window(_ line: String, column: Int) -> (line: String, column: Int) {
        let characters = Array(line)
        guard characters.count > quotedLineWidth else { return (line, column) }
        // The fault sits a third of the way in, so the text after it (usually the more telling)
        // shows too.
        let caret = min(max(0, column - 1), characters.count)
        let start = max(0, min(caret - quotedLineWidth / 3, characters.count - quotedLineWidth))
        let end = min(characters.count, start + quotedLineWidth)
        let head = start > 0 ? "…" : "", tail = end < characters.count ? "…" : ""
        return (head + String(characters[start..<end]) + tail, column - start + head.count)
    }

    /// Line `number` (1-based) without its terminator; newlines are split the way the lexer
    /// counts them, so line numbers agree.
    static func line(_ number: Int, of source: String) -> String? {
        guard number >= 1 else { return nil }
        var current = 1
        var start = source.startIndex
        var index = source.startIndex
        while index < source.endIndex {
            if source[index].isNewline {
                if current == number { return String(source[start..<index]) }
                current += 1
                start = source.index(after: index)
            }
            index = source.index(after: index)
        }
        return current == number ? String(source[start...]) : nil
    }

    /// A caret at `column` and tildes for the rest of the fault, kept on the line. Tabs before
    /// the caret are copied so the caret lines up whatever the terminal's tab width.
    static func underline(_ line: String, column: Int, length: Int) -> String {
        var prefix = ""
        for (index, character) in line.enumerated() where index < column - 1 {
            prefix.append(character == "\t" ? "\t" : " ")
        }
        let missing = column - 1 - line.count
        if missing > 0 { prefix += String(repeating: " ", count: missing) }
        let remaining = max(1, line.count - (column - 1))
        let width = max(1, min(length, remaining))
        return prefix + "^" + String(repeating: "~", count: width - 1)
    }
}
