/// A `get_json_object` path, Spark's subset: `$`, then `.name`, `['name']` and `[n]` steps.
public struct JSONPath: Sendable, Hashable {
    public enum Step: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var steps: [Step]

    /// Why a path is refused at planning time (a path Spark reads, that cells does not).
    enum Refusal: Error { case wildcard }

    /// The path of `text`, nil when it is not a path (Spark then gives NULL for every row).
    static func parse(_ text: String) throws(Refusal) -> JSONPath? {
        var chars = Substring(text)
        guard chars.first == "$" else { return nil }
        chars.removeFirst()
        var steps: [Step] = []
        while let c = chars.first {
            if c == "." {
                chars.removeFirst()
                let name = chars.prefix { $0 != "." && $0 != "[" }
                if name == "*" { throw .wildcard }
                guard !name.isEmpty else { return nil }
                steps.append(.key(String(name)))
                chars = chars.dropFirst(name.count)
            } else if c == "[" {
                chars.removeFirst()
                if chars.hasPrefix("'") {
                    chars.removeFirst()
                    guard let close = chars.firstIndex(of: "'") else { return nil }
                    let name = chars[..<close]
                    chars = chars[chars.index(after: close)...]
                    guard chars.first == "]" else { return nil }
                    chars.removeFirst()
                    steps.append(.key(String(name)))
                } else {
                    let digits = chars.prefix { $0 != "]" }
                    chars = chars.dropFirst(digits.count)
                    guard chars.first == "]" else { return nil }
                    chars.removeFirst()
                    if digits == "*" { throw .wildcard }
                    guard let n = Int(digits), n >= 0, digits.allSatisfy(\.isNumber) else { return nil }
                    steps.append(.index(n))
                }
            } else {
                return nil
            }
        }
        return JSONPath(steps: steps)
    }
}

/// `from_json`, `to_json` and `get_json_object`, on the bytes of each row with ``JSONScanner``:
/// a document is validated without recursion (depth bounded by Jackson's 1000, as Spark), then
/// read in place; nothing is allocated per row beyond the result.
enum JSONFunctions {
    static func toJSON(_ input: Column) -> Column {
        var out = Column(type: .string, capacity: input.count)
        for row in 0..<input.count {
            if let text = input.nestedJSON(row) { out.append(text) } else { out.appendNull() }
        }
        return out
    }

    /// Calls `body` with a scanner over each non-NULL row's text and the offset of its first
    /// value (nil when the text is blank), or appends NULL.
    private static func eachDocument(_ input: Column, into out: inout Column,
                                     _ body: (JSONScanner, Int?, inout Column) -> Void) {
        guard case .bytes(let vector) = input.data else {
            for _ in 0..<input.count { out.appendNull() }
            return
        }
        vector.bytes.withUnsafeBufferPointer { all in
            for row in 0..<input.count {
                let range = vector.range(row)
                guard !input.isNull(row), let base = all.baseAddress, !range.isEmpty else { out.appendNull(); continue }
                let scanner = JSONScanner(base: base + range.lowerBound, end: range.count)
                let p = scanner.skipWhitespace(0)
                body(scanner, p < scanner.end ? p : nil, &out)
            }
        }
    }

    /// PERMISSIVE, as Spark 3.5 with its default `spark.sql.json.enablePartialResults=false`:
    /// text that is not JSON, or holds a value that does not fit the schema anywhere, gives a
    /// STRUCT of NULL fields (an ARRAY or MAP schema: NULL). Blank text and `null` give NULL.
    static func fromJSON(_ input: Column, type: SQLType) -> Column {
        var out = Column(type: type, capacity: input.count)
        var allNull: [UInt8]? = nil
        if case .struct(let fields) = type { allNull = Array(repeating: NestedEncoding.nullFlag, count: fields.count) }
        func malformed(_ out: inout Column) {
            if let allNull { allNull.withUnsafeBytes { out.append(bytes: $0) } } else { out.appendNull() }
        }
        eachDocument(input, into: &out) { scanner, start, out in
            guard let start else { out.appendNull(); return }
            guard let end = try? scanner.skipValue(at: start, levelsLeft: JSONScanner.maximumDepth),
                  scanner.skipWhitespace(end) == scanner.end else { malformed(&out); return }
            if scanner.base[start] == UInt8(ascii: "n") { out.appendNull(); return }
            var encoder = NestedJSONEncoder(scanner: scanner)
            guard (try? encoder.slot(at: start, type: type)) != nil, encoder.firstMismatch < 0,
                  encoder.out.first == NestedEncoding.presentFlag else { malformed(&out); return }
            encoder.out.withUnsafeBytes { out.append(bytes: UnsafeRawBufferPointer(rebasing: $0.dropFirst())) }
        }
        return out
    }

    /// Spark's `get_json_object`: a string's contents unescaped, a number or boolean as written,
    /// an object or array as JSON text without whitespace; JSON `null`, a missing step, or text
    /// that is not JSON give NULL. Where a key repeats the first is taken. Differences from
    /// Spark (whose Jackson generator rewrites nested text): escapes inside a returned object
    /// or array stay as written, and numbers keep their text (`1e2`, not `100.0`).
    static func getJSONObject(_ input: Column, path: JSONPath?) -> Column {
        var out = Column(type: .string, capacity: input.count)
        guard let path else { return Column(repeating: .null, type: .string, count: input.count) }
        var minified: [UInt8] = []
        eachDocument(input, into: &out) { scanner, start, out in
            guard let start, (try? scanner.skipValue(at: start, levelsLeft: JSONScanner.maximumDepth)) != nil,
                  let at = try? locate(path, in: scanner, from: start) else { out.appendNull(); return }
            let base = scanner.base
            switch base[at] {
            case UInt8(ascii: "n"): out.appendNull()
            case UInt8(ascii: "\""):
                guard let (end, escaped) = try? scanner.scanString(from: at + 1) else { out.appendNull(); return }
                let count = end - 1 - (at + 1)
                if !escaped {
                    out.append(bytes: UnsafeRawBufferPointer(start: base + at + 1, count: count))
                } else {
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count, 1)) { buffer in
                        let n = JSONUnescaping.unescape(base + at + 1, count: count, into: buffer.baseAddress!)
                        out.append(bytes: UnsafeRawBufferPointer(start: buffer.baseAddress!, count: n))
                    }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                guard let end = try? scanner.skipContainer(from: at, levelsLeft: JSONScanner.maximumDepth) else { out.appendNull(); return }
                minified.removeAll(keepingCapacity: true)
                var inString = false, escape = false
                for q in at..<end {
                    let c = base[q]
                    if inString {
                        if escape { escape = false } else if c == UInt8(ascii: "\\") { escape = true } else if c == UInt8(ascii: "\"") { inString = false }
                    } else if c == UInt8(ascii: "\"") {
                        inString = true
                    } else if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 {
                        continue
                    }
                    minified.append(c)
                }
                minified.withUnsafeBytes { out.append(bytes: $0) }
            default:
                guard let end = try? scanner.skipScalar(at: at) else { out.appendNull(); return }
                out.append(bytes: UnsafeRawBufferPointer(start: base + at, count: end - at))
            }
        }
        return out
    }

    /// The offset of the value `path` leads to, nil where a step finds nothing. The document
    /// has been validated, so the walk only skips; it is iterative (one level per step).
    private static func locate(_ path: JSONPath, in scanner: JSONScanner, from start: Int) throws(JSONSyntaxError) -> Int? {
        let base = scanner.base
        var at = start
        for step in path.steps {
            switch step {
            case .key(let name):
                guard base[at] == UInt8(ascii: "{") else { return nil }
                var p = scanner.skipWhitespace(at + 1)
                if base[p] == UInt8(ascii: "}") { return nil }
                var found: Int? = nil
                while found == nil {
                    let keyStart = p + 1
                    let (keyEnd, escaped) = try scanner.scanString(from: keyStart)
                    let valueStart = scanner.skipWhitespace(scanner.skipWhitespace(keyEnd) + 1)
                    let count = keyEnd - 1 - keyStart
                    let matches: Bool = if !escaped {
                        UnsafeBufferPointer(start: base + keyStart, count: count).elementsEqual(name.utf8)
                    } else {
                        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(count, 1)) { buffer in
                            let n = JSONUnescaping.unescape(base + keyStart, count: count, into: buffer.baseAddress!)
                            return UnsafeBufferPointer(start: buffer.baseAddress!, count: n).elementsEqual(name.utf8)
                        }
                    }
                    if matches { found = valueStart; break }
                    p = scanner.skipWhitespace(try scanner.skipValue(at: valueStart, levelsLeft: JSONScanner.maximumDepth))
                    if base[p] != UInt8(ascii: ",") { return nil }
                    p = scanner.skipWhitespace(p + 1)
                }
                guard let found else { return nil }
                at = found
            case .index(let n):
                guard base[at] == UInt8(ascii: "[") else { return nil }
                var p = scanner.skipWhitespace(at + 1)
                if base[p] == UInt8(ascii: "]") { return nil }
                var i = 0
                while i < n {
                    p = scanner.skipWhitespace(try scanner.skipValue(at: p, levelsLeft: JSONScanner.maximumDepth))
                    if base[p] != UInt8(ascii: ",") { return nil }
                    p = scanner.skipWhitespace(p + 1)
                    i += 1
                }
                at = p
            }
        }
        return at
    }
}
