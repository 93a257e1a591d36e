/// Encodes one JSON value, already validated by ``JSONScanner/skipContainer(from:levelsLeft:)``,
/// as a STRUCT/ARRAY/MAP slot in ``NestedEncoding`` form, reading the JSON bytes directly.
///
/// PERMISSIVE, as the scalar decoder: a value that does not fit its type (a string for an INT
/// element, an object for an ARRAY...) becomes NULL in place, and the first such offset is kept
/// so the record is reported malformed with the field named. Recursion follows the SQL type,
/// which ``SQLType/maximumNestingDepth`` bounds; JSON nested deeper than the type is skipped
/// iteratively (or stored as text for STRING), so hostile depth costs no stack.
struct NestedJSONEncoder {
    let scanner: JSONScanner
    var out: [UInt8] = []
    /// Offset of the first value that did not fit its type, or -1.
    var firstMismatch = -1

    init(scanner: JSONScanner) {
        self.scanner = scanner
    }

    private var base: UnsafePointer<UInt8> { scanner.base }

    private mutating func mismatch(_ p: Int, flagAt flag: Int) {
        out.removeSubrange(flag...)
        out.append(NestedEncoding.nullFlag)
        if firstMismatch < 0 { firstMismatch = p }
    }

    /// Writes a slot for the value at `p` (no whitespace before it); returns the offset past it.
    mutating func slot(at p: Int, type: SQLType) throws(JSONSyntaxError) -> Int {
        guard p < scanner.end else { throw scanner.fail(.truncated, p) }
        let flag = out.count
        let c = base[p]
        if c == UInt8(ascii: "n") {
            out.append(NestedEncoding.nullFlag)
            return try scanner.skipLiteral(at: p)
        }
        out.append(NestedEncoding.presentFlag)
        switch type {
        case .struct(let fields):
            guard c == UInt8(ascii: "{") else { return try skipMismatch(p, flag) }
            return try object(at: p, fields: fields)
        case .array(let element):
            guard c == UInt8(ascii: "[") else { return try skipMismatch(p, flag) }
            return try array(at: p, element: element)
        case .map(let key, let value):
            guard c == UInt8(ascii: "{"), key == .string else { return try skipMismatch(p, flag) }
            return try map(at: p, value: value)
        default:
            return try scalar(at: p, type: type, flag: flag)
        }
    }

    private mutating func skipMismatch(_ p: Int, _ flag: Int) throws(JSONSyntaxError) -> Int {
        mismatch(p, flagAt: flag)
        return try scanner.skipValue(at: p, levelsLeft: JSONScanner.maximumDepth)
    }

    private mutating func object(at start: Int, fields: [StructField]) throws(JSONSyntaxError) -> Int {
        // First pass: where each field's value starts (the last duplicate wins, as for top-level
        // keys); second: encode them in declaration order, absent ones NULL.
        try withUnsafeTemporaryAllocation(of: Int.self, capacity: max(fields.count, 1)) { (starts) throws(JSONSyntaxError) -> Int in
            starts.initialize(repeating: -1)
            let end = try members(of: start) { key, valueStart in
                if let i = fields.firstIndex(where: { $0.name.utf8.elementsEqual(key) }) { starts[i] = valueStart }
            }
            for (i, field) in fields.enumerated() {
                if starts[i] < 0 { out.append(NestedEncoding.nullFlag) } else { _ = try slot(at: starts[i], type: field.type) }
            }
            return end
        }
    }

    private mutating func map(at start: Int, value: SQLType) throws(JSONSyntaxError) -> Int {
        let countAt = out.count
        NestedEncoding.appendUInt32(0, to: &out)
        var count: UInt32 = 0
        var entries: [(key: [UInt8], value: Int)] = []
        let end = try members(of: start) { key, valueStart in
            // A repeated key keeps its last value, as Spark's JSON reader (and keys stay unique).
            if let i = entries.firstIndex(where: { $0.key.elementsEqual(key) }) {
                entries[i].value = valueStart
            } else {
                entries.append((Array(key), valueStart))
            }
        }
        for entry in entries {
            out.append(NestedEncoding.presentFlag)
            NestedEncoding.appendUInt32(UInt32(truncatingIfNeeded: entry.key.count), to: &out)
            out.append(contentsOf: entry.key)
            _ = try slot(at: entry.value, type: value)
            count += 1
        }
        NestedEncoding.patchUInt32(count, at: countAt, in: &out)
        return end
    }

    private mutating func array(at start: Int, element: SQLType) throws(JSONSyntaxError) -> Int {
        let countAt = out.count
        NestedEncoding.appendUInt32(0, to: &out)
        var count: UInt32 = 0
        var p = scanner.skipWhitespace(start + 1)
        guard p < scanner.end else { throw scanner.fail(.truncated, p) }
        if base[p] == UInt8(ascii: "]") { return p + 1 }
        while true {
            p = scanner.skipWhitespace(try slot(at: p, type: element))
            count &+= 1
            guard p < scanner.end else { throw scanner.fail(.truncated, p) }
            if base[p] == UInt8(ascii: ",") {
                p = scanner.skipWhitespace(p + 1)
                continue
            }
            guard base[p] == UInt8(ascii: "]") else { throw JSONSyntaxError(problem: .expectedValue, offset: p) }
            NestedEncoding.patchUInt32(count, at: countAt, in: &out)
            return p + 1
        }
    }

    /// Calls `body` with each member's unescaped key and value offset; returns the offset past `}`.
    private func members(of start: Int, _ body: (UnsafeBufferPointer<UInt8>, Int) -> Void) throws(JSONSyntaxError) -> Int {
        var p = scanner.skipWhitespace(start + 1)
        guard p < scanner.end else { throw scanner.fail(.truncated, p) }
        if base[p] == UInt8(ascii: "}") { return p + 1 }
        while true {
            guard base[p] == UInt8(ascii: "\"") else { throw JSONSyntaxError(problem: .expectedKey, offset: p) }
            let keyStart = p + 1
            let (keyEnd, escaped) = try scanner.scanString(from: keyStart)
            p = scanner.skipWhitespace(keyEnd)
            guard p < scanner.end, base[p] == UInt8(ascii: ":") else { throw scanner.fail(.expectedColon, p) }
            let valueStart = scanner.skipWhitespace(p + 1)
            withContents(keyStart, keyEnd - 1, escaped: escaped) { body($0, valueStart) }
            guard valueStart < scanner.end else { throw scanner.fail(.truncated, valueStart) }
            p = scanner.skipWhitespace(try scanner.skipValue(at: valueStart, levelsLeft: JSONScanner.maximumDepth))
            guard p < scanner.end else { throw scanner.fail(.truncated, p) }
            if base[p] == UInt8(ascii: ",") {
                p = scanner.skipWhitespace(p + 1)
                continue
            }
            guard base[p] == UInt8(ascii: "}") else { throw JSONSyntaxError(problem: .expectedCommaOrBrace, offset: p) }
            return p + 1
        }
    }

    /// Calls `body` with a string's decoded contents (in place when it has no escapes).
    private func withContents<R>(_ start: Int, _ end: Int, escaped: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if !escaped { return body(UnsafeBufferPointer(start: base + start, count: end - start)) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(end - start, 1)) { buffer in
            let length = JSONUnescaping.unescape(base + start, count: end - start, into: buffer.baseAddress!)
            return body(UnsafeBufferPointer(start: buffer.baseAddress!, count: length))
        }
    }

    private mutating func appendString(_ bytes: UnsafeBufferPointer<UInt8>) {
        NestedEncoding.appendUInt32(UInt32(truncatingIfNeeded: bytes.count), to: &out)
        out.append(contentsOf: bytes)
    }

    /// A scalar element or field, converted as the top-level decoder converts the same type.
    private mutating func scalar(at p: Int, type: SQLType, flag: Int) throws(JSONSyntaxError) -> Int {
        let c = base[p]
        switch c {
        case UInt8(ascii: "\""):
            let (end, escaped) = try scanner.scanString(from: p + 1)
            var fits = true
            withContents(p + 1, end - 1, escaped: escaped) { text in
                let raw = text.baseAddress ?? base
                switch type {
                case .string: appendString(text)
                case .date:
                    if let d = JSONTimeParsing.date(raw, count: text.count) {
                        NestedEncoding.appendUInt64(UInt64(bitPattern: d), to: &out)
                    } else { fits = false }
                case .timestamp:
                    if let t = JSONTimeParsing.timestamp(raw, count: text.count) {
                        NestedEncoding.appendUInt64(UInt64(bitPattern: t), to: &out)
                    } else { fits = false }
                case .float, .double:
                    if let d = JSONRecordDecoder.nonNumericDouble(raw, text.count) {
                        NestedEncoding.appendUInt64(NestedEncoding.canonicalBits(type == .float ? Double(Float(d)) : d), to: &out)
                    } else { fits = false }
                case .decimal(let precision, let scale):
                    if case .value(let v) = JSONNumberConversion.decimal(raw, count: text.count, precision: precision,
                                                                         scale: scale, lenient: true) {
                        NestedEncoding.appendInt128(v, to: &out)
                    } else { fits = false }
                default: fits = false
                }
            }
            if !fits { mismatch(p, flagAt: flag) }
            return end
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let end = try scanner.skipLiteral(at: p)
            switch type {
            case .boolean: out.append(c == UInt8(ascii: "t") ? 1 : 0)
            case .string: appendString(UnsafeBufferPointer(start: base + p, count: end - p))
            default: mismatch(p, flagAt: flag)
            }
            return end
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let end = try scanner.skipContainer(from: p, levelsLeft: JSONScanner.maximumDepth)
            // Spark keeps a container's raw text in a STRING field.
            if type == .string { appendString(UnsafeBufferPointer(start: base + p, count: end - p)) } else { mismatch(p, flagAt: flag) }
            return end
        default:
            if !(c == UInt8(ascii: "-") || JSONScanner.isDigit(c)) {
                guard let end = scanner.nonNumericEnd(at: p) else { throw JSONSyntaxError(problem: .expectedValue, offset: p) }
                if type == .float || type == .double, let d = JSONRecordDecoder.nonNumericDouble(base + p, end - p) {
                    NestedEncoding.appendUInt64(NestedEncoding.canonicalBits(d), to: &out)
                } else if type == .string {
                    appendString(UnsafeBufferPointer(start: base + p, count: end - p))
                } else {
                    mismatch(p, flagAt: flag)
                }
                return end
            }
            let token = try scanner.scanNumber(at: p)
            switch type {
            case .int, .bigint:
                if token.isInteger, let v = JSONNumberConversion.int64(token),
                   type == .bigint || (v >= Int64(Int32.min) && v <= Int64(Int32.max)) {
                    NestedEncoding.appendUInt64(UInt64(bitPattern: v), to: &out)
                } else { mismatch(p, flagAt: flag) }
            case .float, .double:
                let d = JSONNumberConversion.double(token, base: base)
                NestedEncoding.appendUInt64(NestedEncoding.canonicalBits(type == .float ? Double(Float(d)) : d), to: &out)
            case .timestamp:
                if let t = JSONNumberConversion.timestampMicros(token, base: base) {
                    NestedEncoding.appendUInt64(UInt64(bitPattern: t), to: &out)
                } else { mismatch(p, flagAt: flag) }
            case .decimal(let precision, let scale):
                if case .value(let v) = JSONNumberConversion.decimal(base + p, count: token.end - p, precision: precision,
                                                                     scale: scale, lenient: false) {
                    NestedEncoding.appendInt128(v, to: &out)
                } else { mismatch(p, flagAt: flag) }
            case .string: appendString(UnsafeBufferPointer(start: base + p, count: token.end - p))
            default: mismatch(p, flagAt: flag)
            }
            return token.end
        }
    }
}
