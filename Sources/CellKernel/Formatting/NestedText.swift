/// Encoded nested values (see ``NestedEncoding``) as text: Spark's `show()` / CAST AS STRING form
/// (`{1, x}`, `[a, b]`, `{k -> v}`, `null` inside) and JSON (what `to_json` and the JSON and
/// memory sinks write).
enum NestedText {
    /// Spark's `show()` text of one encoded value of `type` (`nil` on malformed bytes).
    static func show(_ raw: UnsafeRawBufferPointer, type: SQLType) -> String? {
        var reader = NestedReader(raw)
        var out = ""
        return write(&reader, type, into: &out, json: false) ? out : nil
    }

    /// The JSON text of one encoded value of `type` (`nil` on malformed bytes). STRUCT fields that
    /// are NULL are left out, as Spark's `to_json` does; NULL array elements are `null`.
    static func json(_ raw: UnsafeRawBufferPointer, type: SQLType) -> String? {
        var reader = NestedReader(raw)
        var out = ""
        return write(&reader, type, into: &out, json: true) ? out : nil
    }

    /// Recursion follows the type, bounded by ``SQLType/maximumNestingDepth``.
    private static func write(_ r: inout NestedReader, _ type: SQLType, into out: inout String, json: Bool) -> Bool {
        switch type {
        case .boolean:
            guard let b = r.byte() else { return false }
            out += b != 0 ? "true" : "false"
        case .int, .bigint, .null:
            guard let x = r.uint64() else { return false }
            out += String(Int64(bitPattern: x))
        case .date:
            guard let x = r.uint64() else { return false }
            let text = TimeText.formatDate(Int64(bitPattern: x))
            out += json ? quoted(text) : text
        case .timestamp:
            guard let x = r.uint64() else { return false }
            let micros = Int64(bitPattern: x)
            // JSON as Spark's JSON writers: ISO 8601 with milliseconds and the zone.
            out += json ? quoted(TimeText.formatTimestampForFiles(micros)) : TimeText.formatTimestamp(micros)
        case .float, .double:
            guard let x = r.uint64() else { return false }
            let d = Double(bitPattern: x)
            let text = type == .float ? JavaDouble.string(Float(d)) : JavaDouble.string(d)
            // Jackson (Spark's JSON writer) quotes NaN and the infinities.
            out += json && !d.isFinite ? quoted(text) : text
        case .decimal(_, let scale):
            guard let u = r.int128() else { return false }
            out += DecimalText.format(u, scale: scale)
        case .string:
            guard let s = r.string() else { return false }
            let text = String(decoding: s, as: UTF8.self)
            out += json ? quoted(text) : text
        case .struct(let fields):
            out += "{"
            var first = true
            for field in fields {
                guard let flag = r.byte() else { return false }
                if json && flag == NestedEncoding.nullFlag { continue }
                if !first { out += json ? "," : ", " }
                first = false
                if json { out += quoted(field.name) + ":" }
                if flag == NestedEncoding.nullFlag { out += "null"; continue }
                guard write(&r, field.type, into: &out, json: json) else { return false }
            }
            out += "}"
        case .array(let element):
            guard let n = r.uint32() else { return false }
            out += "["
            for i in 0..<n {
                if i > 0 { out += json ? "," : ", " }
                guard writeSlot(&r, element, into: &out, json: json) else { return false }
            }
            out += "]"
        case .map(let key, let value):
            guard let n = r.uint32() else { return false }
            out += "{"
            for i in 0..<n {
                if i > 0 { out += json ? "," : ", " }
                if json {
                    // JSON keys are strings: a non-STRING key is written as its show() text.
                    var keyText = ""
                    guard writeSlot(&r, key, into: &keyText, json: false) else { return false }
                    out += quoted(keyText) + ":"
                } else {
                    guard writeSlot(&r, key, into: &out, json: false) else { return false }
                    out += " -> "
                }
                guard writeSlot(&r, value, into: &out, json: json) else { return false }
            }
            out += "}"
        }
        return true
    }

    private static func writeSlot(_ r: inout NestedReader, _ type: SQLType, into out: inout String, json: Bool) -> Bool {
        guard let flag = r.byte() else { return false }
        if flag == NestedEncoding.nullFlag { out += "null"; return true }
        return write(&r, type, into: &out, json: json)
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension Column {
    /// Row `row` of a nested column as JSON text (nil for NULL, a non-nested column, or bad bytes).
    func nestedJSON(_ row: Int) -> String? {
        guard type.isNested, !isNull(row), case .bytes(let v) = data else { return nil }
        return v.withElement(row) { NestedText.json($0, type: type) }
    }
}
