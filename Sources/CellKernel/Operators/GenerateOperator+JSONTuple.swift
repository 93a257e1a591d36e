/// Spark's `json_tuple(text, k1, k2, ...)`: the top-level fields `k1`, `k2`, ... of each JSON
/// object as STRING columns, found with one validating pass of ``JSONScanner`` over the row's
/// bytes (no Foundation, no tree).
///
/// As Spark's JsonTuple: a NULL, empty, non-object or malformed text gives a row of NULLs (the
/// whole row: Jackson's exception ends the parse); a missing key or a JSON `null` is NULL; a
/// string is its unescaped text; anything else is JSON text (Jackson re-serializes it; here
/// numbers are normalized as Jackson writes them, and objects and arrays are the source
/// text without its insignificant whitespace, strings in them kept as written). A key given
/// twice fills both columns; a field given twice takes its last non-null value. The parse
/// stops at the object's closing brace, as Jackson's does, so text after it is not read.
///
/// Deliberate differences: Spark's json_tuple parser also accepts single-quoted strings and
/// raw control characters in strings (Hive compatibility); here those are malformed, as in
/// every other JSON reader of cells. NaN and Infinity tokens are accepted (as the JSON source
/// does, Spark's default) and returned as written.
enum JSONTuple {
    /// Where a requested field's value lies in the document.
    private struct Found {
        var start = -1
        var end = -1
    }

    /// Appends one value per key (a column each) for every row of `text`.
    static func extract(_ text: Column, keys: [String], into columns: inout [Column]) {
        let wanted = keys.map { Array($0.utf8) }
        var found = [Found](repeating: Found(), count: keys.count)
        guard case .bytes(let vector) = text.data else {
            for _ in 0..<text.count { for c in columns.indices { columns[c].appendNull() } }
            return
        }
        vector.bytes.withUnsafeBytes { all in
            for r in 0..<text.count {
                let range = vector.range(r)
                guard !text.isNull(r), !range.isEmpty, let start = all.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
                    for c in columns.indices { columns[c].appendNull() }
                    continue
                }
                let base = start + range.lowerBound
                let scanner = JSONScanner(base: base, end: range.count)
                for i in found.indices { found[i] = Found() }
                if (try? scan(scanner, wanted: wanted, into: &found)) != nil {
                    for (c, f) in found.enumerated() { append(f, of: scanner, to: &columns[c]) }
                } else {
                    for c in columns.indices { columns[c].appendNull() }
                }
            }
        }
    }

    /// Reads the top-level object's members, recording each wanted field's last non-null
    /// value; throws when the text is not an object or is malformed before its closing brace.
    private static func scan(_ s: JSONScanner, wanted: [[UInt8]], into found: inout [Found]) throws(JSONSyntaxError) {
        var p = s.skipWhitespace(0)
        guard p < s.end, s.base[p] == UInt8(ascii: "{") else { throw JSONSyntaxError(problem: .expectedValue, offset: p) }
        p = s.skipWhitespace(p + 1)
        guard p < s.end else { throw s.fail(.truncated, p) }
        if s.base[p] == UInt8(ascii: "}") { return }
        while true {
            guard p < s.end, s.base[p] == UInt8(ascii: "\"") else { throw JSONSyntaxError(problem: .expectedKey, offset: p) }
            let keyStart = p + 1
            let (keyEnd, escaped) = try s.scanString(from: keyStart)
            p = s.skipWhitespace(keyEnd)
            guard p < s.end, s.base[p] == UInt8(ascii: ":") else { throw s.fail(.expectedColon, p) }
            let valueStart = s.skipWhitespace(p + 1)
            guard valueStart < s.end else { throw s.fail(.truncated, valueStart) }
            // The document's nesting limit counts the top-level object itself.
            let valueEnd = try s.skipValue(at: valueStart, levelsLeft: JSONScanner.maximumDepth - 1)
            if s.base[valueStart] != UInt8(ascii: "n") {
                matching(s, keyStart, keyEnd - 1, escaped: escaped, wanted: wanted) { found[$0] = Found(start: valueStart, end: valueEnd) }
            }
            p = s.skipWhitespace(valueEnd)
            guard p < s.end else { throw s.fail(.truncated, p) }
            if s.base[p] == UInt8(ascii: ",") {
                p = s.skipWhitespace(p + 1)
                continue
            }
            guard s.base[p] == UInt8(ascii: "}") else { throw JSONSyntaxError(problem: .expectedCommaOrBrace, offset: p) }
            return
        }
    }

    /// Calls `body` with the index of every wanted key equal to the (unescaped) key text.
    private static func matching(_ s: JSONScanner, _ start: Int, _ end: Int, escaped: Bool, wanted: [[UInt8]], _ body: (Int) -> Void) {
        func compare(_ key: UnsafeBufferPointer<UInt8>) {
            for (i, w) in wanted.enumerated() where w.count == key.count && w.elementsEqual(key) { body(i) }
        }
        let count = end - start
        if !escaped { compare(UnsafeBufferPointer(start: s.base + start, count: count)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count, 1)) { buffer in
            let length = JSONUnescaping.unescape(s.base + start, count: count, into: buffer.baseAddress!)
            compare(UnsafeBufferPointer(start: buffer.baseAddress!, count: length))
        }
    }

    /// Appends one found value as Spark's json_tuple shows it (see the type's documentation).
    private static func append(_ f: Found, of s: JSONScanner, to column: inout Column) {
        guard f.start >= 0 else { column.appendNull(); return }
        let base = s.base
        switch base[f.start] {
        case UInt8(ascii: "\""):
            column.withByteVector { JSONUnescaping.appendUnescaped(base + f.start + 1, count: f.end - f.start - 2, to: &$0) }
            column.markLastValid()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            column.withByteVector { vector in
                vector.appendEmpty()
                compact(base, f.start, f.end, into: &vector)
            }
            column.markLastValid()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if let token = try? s.scanNumber(at: f.start), token.end == f.end {
                if token.isInteger, let i = JSONNumberConversion.int64(token) {
                    column.append(String(i))
                } else if token.isInteger {
                    // Past BIGINT Jackson writes the BigInteger: its digits, as written.
                    column.append(bytes: UnsafeRawBufferPointer(start: base + f.start, count: f.end - f.start))
                } else {
                    column.append(JavaDouble.string(JSONNumberConversion.double(token, base: base)))
                }
            } else {
                column.append(bytes: UnsafeRawBufferPointer(start: base + f.start, count: f.end - f.start))
            }
        default:
            // true, false, and the non-numeric number tokens: as written.
            column.append(bytes: UnsafeRawBufferPointer(start: base + f.start, count: f.end - f.start))
        }
    }

    /// Copies a validated container without the whitespace between its tokens.
    private static func compact(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, into vector: inout ByteVector) {
        var p = start
        var runStart = start
        var inString = false
        while p < end {
            let c = base[p]
            if inString {
                if c == UInt8(ascii: "\\") { p += 2; continue }
                if c == UInt8(ascii: "\"") { inString = false }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                if p > runStart { vector.appendToLast(UnsafeRawBufferPointer(start: base + runStart, count: p - runStart)) }
                runStart = p + 1
            }
            p += 1
        }
        if end > runStart { vector.appendToLast(UnsafeRawBufferPointer(start: base + runStart, count: end - runStart)) }
    }
}
