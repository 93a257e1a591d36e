/// One top-level field to extract from JSON documents, and the SQL type to read it as.
struct JSONFieldSpec: Sendable, Hashable {
    /// The key, matched exactly (case-sensitive) against the document's keys after unescaping,
    /// as Spark matches JSON keys to a schema by default.
    var name: String
    /// What the value is converted to; see ``JSONRecordDecoder`` for what each type accepts.
    var type: SQLType

    init(name: String, type: SQLType) {
        self.name = name
        self.type = type
    }
}

/// Whether a document was read cleanly.
enum JSONDecodeOutcome: Sendable, Equatable {
    /// Every requested field that was present converted to its type.
    case ok
    /// The document was not usable as is; the columns still got one entry per field (see
    /// ``JSONRecordDecoder/decode(_:into:)``).
    case malformed(JSONMalformation)
}

/// Why a document is malformed, and where.
struct JSONMalformation: Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, e.g. `expected ':' after a key` or
    /// `expected a number but found a string "12"`.
    var reason: String
    /// Offset in the document of the offending byte (for a field, of its value).
    var byteOffset: Int
    /// The field whose value did not convert; nil for a syntax error.
    var field: String?

    init(reason: String, byteOffset: Int, field: String? = nil) {
        self.reason = reason
        self.byteOffset = byteOffset
        self.field = field
    }

    var description: String {
        if let field { return "field \(field): \(reason) at byte \(byteOffset)" }
        return "\(reason) at byte \(byteOffset)"
    }
}

/// Where a line of a JSON-lines buffer is.
struct JSONLineLocation: Sendable, Hashable {
    /// Zero-based, counting blank lines too, so it matches an editor's line number minus one.
    var lineIndex: Int
    /// The line's bytes in the buffer, without its newline.
    var byteRange: Range<Int>

    init(lineIndex: Int, byteRange: Range<Int>) {
        self.lineIndex = lineIndex
        self.byteRange = byteRange
    }
}

/// Reads chosen top-level fields of JSON documents into columns, as Spark 3's JSON reader and
/// `from_json` do in their default PERMISSIVE mode with a given schema.
///
/// Only requested keys are converted; every other value is skipped by a validating scan, so a
/// document is malformed exactly when it is not one JSON object, whatever was requested: a
/// syntax error, truncation, a top-level value that is not an object, data after the object,
/// invalid UTF-8, a raw control character or bad escape in a string (including an unpaired
/// UTF-16 surrogate), or nesting deeper than 1000 levels. Such a document makes every field
/// NULL. Decoding allocates nothing per document beyond growing the output columns.
///
/// Conversions (`null` and missing keys are NULL for every type):
/// - STRING: a string's decoded text; any other value's JSON text as written (`12.50`,
///   `true`, `{"a": 1}`).
/// - BOOLEAN: `true` or `false`.
/// - INT, BIGINT: an integer token (no fraction or exponent) within range.
/// - FLOAT, DOUBLE: any number, correctly rounded (FLOAT then rounds to Float), or one of the
///   strings `NaN`, `Infinity`, `+Infinity`, `-Infinity`, `+INF`, `-INF`.
/// - DECIMAL(p, s): a number, or a string holding one, rounded HALF_UP to scale s; more than
///   p digits is a mismatch.
/// - DATE: a `yyyy-MM-dd` string, optionally followed by a time after 'T' or ' '.
/// - TIMESTAMP: an ISO-8601 string (`yyyy-MM-dd[(T| )HH:mm[:ss[.f]]][Z|±HH[:]MM|±HH]`, UTC
///   when no zone), or a number of seconds since the epoch.
///
/// Any other value for a field is a mismatch: that field is NULL, the other fields keep their
/// values, and the outcome is malformed, naming the field.
struct JSONRecordDecoder: Sendable {
    /// The fields extracted, in the order of the output columns.
    let fields: [JSONFieldSpec]
    let table: JSONFieldTable

    /// - Parameter fields: the keys to extract, in the order of the output columns. A name may
    ///   appear more than once (each field gets the value converted to its own type).
    init(fields: [JSONFieldSpec]) {
        self.fields = fields
        self.table = JSONFieldTable(fields)
    }

    /// A decoder for every field of `schema`, by exact name.
    init(schema: Schema) {
        self.init(fields: schema.fields.map { JSONFieldSpec(name: $0.name, type: $0.type) })
    }

    /// Empty output columns of the right types, with room for `capacity` rows.
    func makeColumns(capacity: Int = 0) -> [Column] {
        fields.map { Column(type: $0.type, capacity: capacity) }
    }

    /// Appends one value per field to `columns` (same order as `fields`).
    ///
    /// On malformed input every column still gets exactly one entry: fields read successfully
    /// keep their values, the rest are NULL (Spark 3's PERMISSIVE partial results); for a
    /// syntax error, all are NULL. When a key occurs more than once, the last occurrence wins.
    func decode(_ document: UnsafeRawBufferPointer, into columns: inout [Column]) -> JSONDecodeOutcome {
        checkColumns(columns)
        return table.withLookup { lookup in
            withUnsafeTemporaryAllocation(of: JSONSlot.self, capacity: max(fields.count, 1)) { slots in
                // Moved, not copied, into a local: a copy captured by a closure would make
                // every column vector shared, and each append would copy it.
                var sink = JSONColumnsSink(columns: [])
                swap(&sink.columns, &columns)
                let outcome = Self.decodeDocument(document, fields: fields, lookup: lookup, slots: slots.baseAddress!, into: &sink)
                swap(&sink.columns, &columns)
                return outcome
            }
        }
    }

    /// Decodes a batch of documents, appending one row per document; faster per document than
    /// ``decode(_:into:)`` because the columns are opened for appending once for the batch.
    ///
    /// Each buffer need only be valid while the sequence produces it (a lazy map over
    /// consumed Kafka messages works). Malformed documents are reported to `onMalformed` with
    /// their position in the sequence; their rows follow the rules of ``decode(_:into:)``.
    ///
    /// - Returns: the number of rows appended.
    @discardableResult
    func decode<Documents: Sequence<UnsafeRawBufferPointer>>(
        _ documents: Documents,
        into columns: inout [Column],
        onMalformed: (Int, JSONMalformation) -> Void = { _, _ in }
    ) -> Int {
        checkColumns(columns)
        return table.withLookup { lookup in
            withUnsafeTemporaryAllocation(of: JSONSlot.self, capacity: max(fields.count, 1)) { slots in
                var writer = JSONBatchWriter(taking: &columns)
                defer { writer.restore(into: &columns) }
                return withKeyMemos { memos in
                var rows = 0
                for document in documents {
                    if case .malformed(let malformation) = Self.decodeDocument(document, fields: fields, lookup: lookup, slots: slots.baseAddress!,
                                                                          memos: memos, into: &writer) {
                        onMalformed(rows, malformation)
                    }
                    rows += 1
                }
                return rows
                }
            }
        }
    }

    /// Decodes every line of a JSON-lines buffer, appending one row per non-blank line.
    ///
    /// Lines end at `\n` (a `\r` before it is whitespace); lines holding only whitespace are
    /// skipped, as Spark's JSON reader does; the last line needs no newline. Malformed lines
    /// still append a row (see ``decode(_:into:)``) and are reported to `onMalformed`, whose
    /// ``JSONMalformation/byteOffset`` counts from the start of the line.
    ///
    /// - Returns: the number of rows appended.
    @discardableResult
    func decodeLines(
        _ buffer: UnsafeRawBufferPointer,
        into columns: inout [Column],
        onMalformed: (JSONLineLocation, JSONMalformation) -> Void = { _, _ in }
    ) -> Int {
        checkColumns(columns)
        guard let raw = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let bytes = raw.assumingMemoryBound(to: UInt8.self)
        let count = buffer.count
        return table.withLookup { lookup in
            withUnsafeTemporaryAllocation(of: JSONSlot.self, capacity: max(fields.count, 1)) { slots in
                var writer = JSONBatchWriter(taking: &columns)
                defer { writer.restore(into: &columns) }
                return withKeyMemos { memos in
                var rows = 0
                var lineIndex = 0
                var start = 0
                while start < count {
                    let newline = start + JSONUnescaping.nextByte(UInt8(ascii: "\n"), bytes + start, count - start)
                    let scanner = JSONScanner(base: bytes + start, end: newline - start)
                    if scanner.skipWhitespace(0) < newline - start {
                        let line = UnsafeRawBufferPointer(start: bytes + start, count: newline - start)
                        let outcome = Self.decodeDocument(line, fields: fields, lookup: lookup, slots: slots.baseAddress!, memos: memos, into: &writer)
                        if case .malformed(let malformation) = outcome {
                            onMalformed(JSONLineLocation(lineIndex: lineIndex, byteRange: start..<newline), malformation)
                        }
                        rows += 1
                    }
                    lineIndex += 1
                    start = newline + 1
                }
                return rows
                }
            }
        }
    }

    /// Key memos for one batch of documents (see ``JSONKeyMemo``).
    @inline(__always)
    func withKeyMemos<R>(_ body: (JSONKeyMemos) -> R) -> R {
        withUnsafeTemporaryAllocation(of: JSONKeyMemo.self, capacity: JSONKeyMemos.capacity()) { buffer in
            buffer.initialize(repeating: JSONKeyMemo())
            return body(JSONKeyMemos(base: buffer.baseAddress!, count: JSONKeyMemo.positions))
        }
    }

    func checkColumns(_ columns: [Column]) {
        precondition(columns.count == fields.count, "JSONRecordDecoder needs one column per field")
        for i in columns.indices {
            precondition(columns[i].type.storage == fields[i].type.storage,
                         "column \(i) is \(columns[i].type), field \(fields[i].name) is \(fields[i].type)")
        }
    }

    // MARK: Decoding one document

    ///
    /// Static, with `fields` passed in, so a caller holding the decoder in a class does not
    /// copy the decoder (four array retains and releases) for every document.
    @inline(__always)
    static func decodeDocument<Sink: JSONValueSink>(_ document: UnsafeRawBufferPointer, fields: [JSONFieldSpec], lookup: JSONFieldLookup,
                                             slots: UnsafeMutablePointer<JSONSlot>, memos: JSONKeyMemos = .none,
                                             into sink: inout Sink) -> JSONDecodeOutcome {
        guard let raw = document.baseAddress, document.count > 0 else {
            // An empty (or null) Kafka value: Spark's from_json gives a NULL struct for it, so
            // every field is NULL and the record is not malformed (blank text too, below).
            appendNulls(count: lookup.fieldCount, into: &sink)
            return .ok
        }
        let base = raw.assumingMemoryBound(to: UInt8.self)
        for i in 0..<lookup.fieldCount { slots[i].state = .null }
        let parser = JSONDocumentParser(scanner: JSONScanner(base: base, end: document.count), lookup: lookup, slots: slots,
                                        memos: memos)
        do {
            try parser.parseDocument()
        } catch {
            appendNulls(count: lookup.fieldCount, into: &sink)
            // Only whitespace: Jackson finds no first token, so Spark's from_json is NULL too.
            if error.problem == .empty { return .ok }
            return .malformed(JSONMalformation(reason: error.problem.message, byteOffset: error.offset))
        }
        return commit(fields: fields, slots: slots, lookup: lookup, base: base, into: &sink)
    }

    static func appendNulls<Sink: JSONValueSink>(count: Int, into sink: inout Sink) {
        for i in 0..<count { sink.appendNull(i) }
    }

    /// Moves what the parse left in the slots into the sink: only now, because a syntax
    /// error anywhere in the document must leave every field NULL.
    @inline(__always)
    static func commit<Sink: JSONValueSink>(fields: [JSONFieldSpec], slots: UnsafeMutablePointer<JSONSlot>, lookup: JSONFieldLookup,
                                     base: UnsafePointer<UInt8>, into sink: inout Sink) -> JSONDecodeOutcome {
        var firstMismatch = -1
        var nestedMismatch: (field: Int, offset: Int)?
        for i in 0..<lookup.fieldCount {
            let slot = slots[i]
            switch slot.state {
            case .null:
                sink.appendNull(i)
            case .value:
                switch lookup.info[i].kind {
                case .boolean: sink.append(i, bool: slot.bits != 0)
                case .float, .double: sink.append(i, double: Double(bitPattern: slot.bits))
                case .decimal: sink.append(i, int128: slot.decimal)
                default: sink.append(i, int64: Int64(bitPattern: slot.bits))
                }
            case .text where lookup.info[i].kind == .nested:
                // The container's bytes, validated by the parse: encoded now, at commit.
                var encoder = NestedJSONEncoder(scanner: JSONScanner(base: base, end: slot.end))
                if (try? encoder.slot(at: slot.start, type: fields[i].type)) != nil, encoder.out.first == NestedEncoding.presentFlag {
                    encoder.out.withUnsafeBytes { sink.append(i, text: UnsafeRawBufferPointer(rebasing: $0.dropFirst())) }
                } else {
                    sink.appendNull(i)
                }
                if encoder.firstMismatch >= 0 && (firstMismatch < 0 || encoder.firstMismatch < slots[firstMismatch].start) {
                    nestedMismatch = (i, encoder.firstMismatch)
                }
            case .text:
                sink.append(i, text: UnsafeRawBufferPointer(start: base + slot.start, count: slot.end - slot.start))
            case .escapedText:
                sink.append(i, escapedText: base + slot.start, count: slot.end - slot.start)
            case .mismatch:
                sink.appendNull(i)
                if firstMismatch < 0 || slot.start < slots[firstMismatch].start { firstMismatch = i }
            }
        }
        if let (field, offset) = nestedMismatch, firstMismatch < 0 || offset < slots[firstMismatch].start {
            return .malformed(JSONMalformation(
                reason: "a value inside \(fields[field].name) does not fit \(fields[field].type) (it is NULL there)",
                byteOffset: offset, field: fields[field].name))
        }
        guard firstMismatch >= 0 else { return .ok }
        let slot = slots[firstMismatch]
        return .malformed(JSONMalformation(
            reason: slot.detail.reason(for: fields[firstMismatch].type,
                                       text: UnsafeBufferPointer(start: base + slot.start, count: slot.end - slot.start)),
            byteOffset: slot.start,
            field: fields[firstMismatch].name))
    }
}

// MARK: - Parsing

/// What the parse found for one field, before it is committed to the column.
struct JSONSlot {
    var state: JSONSlotState
    var detail: JSONMismatch = .foundString
    /// The value's bits for BOOLEAN (0/1), Int64-stored and Double-stored types.
    var bits: UInt64 = 0
    /// Text bounds for STRING fields; the value's bounds for a mismatch.
    var start: Int = 0
    var end: Int = 0

    /// A DECIMAL's unscaled value: low word in `bits`, high word in `end` (unused for values),
    /// so the slot stays the size it is for every other type.
    var decimal: Int128 {
        Int128(bitPattern: UInt128(UInt64(bitPattern: Int64(end))) << 64 | UInt128(bits))
    }
}

enum JSONSlotState: UInt8 {
    case null, value, text, escapedText, mismatch
}

/// Why a value did not convert to its field's type.
enum JSONMismatch: UInt8 {
    case foundString, foundNumber, foundBoolean, foundObject, foundArray
    case fractional, outOfRange, doesNotFit, unparsableText

    func reason(for type: SQLType, text: UnsafeBufferPointer<UInt8>) -> String {
        let shown = text.count <= 40
            ? String(decoding: text, as: UTF8.self)
            : String(decoding: text.prefix(40), as: UTF8.self) + "…"
        let expected = switch type {
        case .boolean: "true or false"
        case .int, .bigint: "an integer"
        case .date: "a date string"
        case .timestamp: "a timestamp string or a number"
        default: "a number"
        }
        switch self {
        case .foundString: return "expected \(expected) but found a string \(shown)"
        case .foundNumber: return "expected \(expected) but found a number \(shown)"
        case .foundBoolean: return "expected \(expected) but found \(shown)"
        case .foundObject: return "expected \(expected) but found an object"
        case .foundArray: return "expected \(expected) but found an array"
        case .fractional: return "expected \(expected) but found \(shown)"
        case .outOfRange: return "\(shown) is out of range for \(type)"
        case .doesNotFit: return "\(shown) does not fit \(type)"
        case .unparsableText: return "cannot parse \(shown) as \(type)"
        }
    }
}

/// Walks one document's top-level object, converting requested values into slots.
struct JSONDocumentParser {
    let scanner: JSONScanner
    let lookup: JSONFieldLookup
    let slots: UnsafeMutablePointer<JSONSlot>
    let memos: JSONKeyMemos

    @inline(__always)
    func parseDocument() throws(JSONSyntaxError) {
        if parseWellFormed() { return }
        for i in 0..<lookup.fieldCount { slots[i].state = .null }
        try parseValidating()
    }

    /// The validating parser: reads any document, and says where and why one is malformed.
    func parseValidating() throws(JSONSyntaxError) {
        let base = scanner.base
        let end = scanner.end
        var p = scanner.skipWhitespace(0)
        guard p < end else { throw JSONSyntaxError(problem: .empty, offset: p) }
        guard base[p] == UInt8(ascii: "{") else { throw JSONSyntaxError(problem: .notAnObject, offset: p) }
        p = scanner.skipWhitespace(p + 1)
        guard p < end else { throw scanner.fail(.truncated, p) }
        if base[p] == UInt8(ascii: "}") {
            p += 1
        } else {
            var position = 0
            while true {
                guard base[p] == UInt8(ascii: "\"") else { throw JSONSyntaxError(problem: .expectedKey, offset: p) }
                let field: Int
                (field, p) = try readKey(at: p, position: position)
                position &+= 1
                if p < end && base[p] != UInt8(ascii: ":") { p = scanner.skipWhitespace(p) }
                guard p < end, base[p] == UInt8(ascii: ":") else { throw scanner.fail(.expectedColon, p) }
                p = scanner.skipWhitespace(p + 1)
                guard p < end else { throw scanner.fail(.truncated, p) }
                if field < 0 {
                    p = try scanner.skipValue(at: p, levelsLeft: JSONScanner.maximumDepth - 1)
                } else {
                    let valueStart = p
                    p = try readValue(field: field, at: valueStart)
                    var next = Int(lookup.info[field].nextSameName)
                    while next >= 0 {
                        _ = try readValue(field: next, at: valueStart)
                        next = Int(lookup.info[next].nextSameName)
                    }
                }
                if p < end && base[p] > 0x20 {
                    // Compact JSON: the separator follows the value directly.
                } else {
                    p = scanner.skipWhitespace(p)
                    guard p < end else { throw scanner.fail(.truncated, p) }
                }
                let c = base[p]
                if c == UInt8(ascii: ",") {
                    p = scanner.skipWhitespace(p + 1)
                    guard p < end else { throw scanner.fail(.truncated, p) }
                    continue
                }
                guard c == UInt8(ascii: "}") else { throw JSONSyntaxError(problem: .expectedCommaOrBrace, offset: p) }
                p += 1
                break
            }
        }
        p = scanner.skipWhitespace(p)
        guard p == end else { throw JSONSyntaxError(problem: .trailingData, offset: p) }
    }

    /// Reads the key whose opening quote is at `p`, the `position`-th of its object; returns
    /// its field (-1 for a key nobody requested) and the offset past its closing quote.
    @inline(__always)
    func readKey(at p: Int, position: Int) throws(JSONSyntaxError) -> (field: Int, end: Int) {
        let base = scanner.base
        let keyStart = p + 1
        if position < memos.count, JSONKeyMemo.matches(memos.base! + position, base + keyStart, available: scanner.end - keyStart) {
            // The same key as at this position in the previous document.
            let memo = memos.base![position]
            return (memo.field, keyStart + memo.span)
        }
        let (keyEnd, escaped) = try scanner.scanString(from: keyStart)
        let field = escaped
            ? findEscapedKey(keyStart, keyEnd - 1)
            : lookup.find(base + keyStart, keyEnd - 1 - keyStart)
        if position < memos.count {
            if escaped {
                memos.base![position].forget()
            } else {
                memos.base![position].remember(key: base + keyStart, length: keyEnd - 1 - keyStart, field: field)
            }
        }
        return (field, keyEnd)
    }

    /// Looks up a key written with escapes (rare) by decoding it into scratch memory first.
    func findEscapedKey(_ start: Int, _ end: Int) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end - start) { buffer in
            let length = JSONUnescaping.unescape(scanner.base + start, count: end - start, into: buffer.baseAddress!)
            return lookup.find(UnsafePointer(buffer.baseAddress!), length)
        }
    }

    /// Calls `body` with a string's decoded contents (in place when it has no escapes).
    @inline(__always)
    func withContents<R>(_ start: Int, _ end: Int, escaped: Bool, _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
        if !escaped { return body(scanner.base + start, end - start) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: end - start) { buffer in
            let length = JSONUnescaping.unescape(scanner.base + start, count: end - start, into: buffer.baseAddress!)
            return body(UnsafePointer(buffer.baseAddress!), length)
        }
    }

    @inline(__always)
    func setDecimal(_ field: Int, _ value: Int128) {
        slots[field].state = .value
        slots[field].bits = UInt64(truncatingIfNeeded: value)
        slots[field].end = Int(truncatingIfNeeded: value >> 64)
    }

    func setValue(_ field: Int, _ bits: UInt64) {
        slots[field].state = .value
        slots[field].bits = bits
    }

    @inline(__always)
    func setText(_ field: Int, _ start: Int, _ end: Int, escaped: Bool = false) {
        slots[field].state = escaped ? .escapedText : .text
        slots[field].start = start
        slots[field].end = end
    }

    @inline(__always)
    func setMismatch(_ field: Int, _ detail: JSONMismatch, _ start: Int, _ end: Int) {
        slots[field].state = .mismatch
        slots[field].detail = detail
        slots[field].start = start
        slots[field].end = end
    }

    /// Reads the value at `p` for `field`; returns the offset past it.
    @inline(__always)
    func readValue(field: Int, at p: Int) throws(JSONSyntaxError) -> Int {
        let kind = lookup.info[field].kind
        let c = scanner.base[p]
        switch c {
        case UInt8(ascii: "\""):
            let (end, escaped) = try scanner.scanString(from: p + 1)
            if kind == .string {
                setText(field, p + 1, end - 1, escaped: escaped)
            } else {
                readString(field: field, kind: kind, p, end, escaped: escaped)
            }
            return end
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            do { return try readNumber(field: field, kind: kind, at: p) } catch {
                // `-Infinity` and `-INF` start like a number; looked at only once it is not one.
                guard let end = scanner.nonNumericEnd(at: p) else { throw error }
                readNonNumeric(field: field, kind: kind, p, end)
                return end
            }
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            let end = try scanner.skipLiteral(at: p)
            switch kind {
            case .boolean: setValue(field, c == UInt8(ascii: "t") ? 1 : 0)
            case .string: setText(field, p, end)
            case .null: slots[field].state = .null
            default: setMismatch(field, .foundBoolean, p, end)
            }
            return end
        case UInt8(ascii: "n"):
            let end = try scanner.skipLiteral(at: p)
            slots[field].state = .null
            return end
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let end = try scanner.skipContainer(from: p, levelsLeft: JSONScanner.maximumDepth - 1)
            switch kind {
            case .string, .nested: setText(field, p, end)
            case .null: slots[field].state = .null
            default: setMismatch(field, c == UInt8(ascii: "{") ? .foundObject : .foundArray, p, end)
            }
            return end
        default:
            guard let end = scanner.nonNumericEnd(at: p) else { throw JSONSyntaxError(problem: .expectedValue, offset: p) }
            readNonNumeric(field: field, kind: kind, p, end)
            return end
        }
    }

    /// A bare `NaN`, `Infinity`, `-INF`... (`p..<end`): a number to Spark's Jackson, not an
    /// integer, so only FLOAT, DOUBLE and STRING fields take it.
    func readNonNumeric(field: Int, kind: JSONFieldKind, _ p: Int, _ end: Int) {
        switch kind {
        case .float, .double:
            let value = JSONRecordDecoder.nonNumericDouble(scanner.base + p, end - p) ?? .nan
            setValue(field, (kind == .float ? Double(Float(value)) : value).bitPattern)
        case .string: setText(field, p, end)
        case .null: slots[field].state = .null
        case .int32, .int64: setMismatch(field, .fractional, p, end)
        case .decimal, .timestamp: setMismatch(field, .unparsableText, p, end)
        case .boolean, .date, .nested: setMismatch(field, .foundNumber, p, end)
        }
    }

    /// A string value for a non-STRING field (`start` is the opening quote).
    func readString(field: Int, kind: JSONFieldKind, _ start: Int, _ end: Int, escaped: Bool) {
        let info = lookup.info[field]
        withContents(start + 1, end - 1, escaped: escaped) { text, count in
            switch kind {
            case .float, .double:
                if let special = JSONRecordDecoder.nonNumericDouble(text, count) {
                    setValue(field, (kind == .float ? Double(Float(special)) : special).bitPattern)
                } else {
                    setMismatch(field, .foundString, start, end)
                }
            case .decimal:
                switch JSONNumberConversion.decimal(text, count: count, precision: Int(info.precision),
                                                    scale: Int(info.scale), lenient: true) {
                case .value(let v): setDecimal(field, v)
                case .doesNotFit: setMismatch(field, .doesNotFit, start, end)
                case .unparsable: setMismatch(field, .unparsableText, start, end)
                }
            case .date:
                if let days = JSONTimeParsing.date(text, count: count) {
                    setValue(field, UInt64(bitPattern: days))
                } else {
                    setMismatch(field, .unparsableText, start, end)
                }
            case .timestamp:
                if let micros = JSONTimeParsing.timestamp(text, count: count) {
                    setValue(field, UInt64(bitPattern: micros))
                } else {
                    setMismatch(field, .unparsableText, start, end)
                }
            case .null:
                slots[field].state = .null
            case .string:
                setText(field, start + 1, end - 1, escaped: escaped)
            case .boolean, .int32, .int64, .nested:
                setMismatch(field, .foundString, start, end)
            }
        }
    }

    @inline(__always)
    func readNumber(field: Int, kind: JSONFieldKind, at p: Int) throws(JSONSyntaxError) -> Int {
        switch kind {
        case .double:
            if let (value, end) = scanner.shortDecimal(at: p) {
                setValue(field, value.bitPattern)
                return end
            }
            let token = try scanner.scanNumber(at: p)
            setValue(field, JSONNumberConversion.double(token, base: scanner.base).bitPattern)
            return token.end
        case .float:
            if let (value, end) = scanner.shortDecimal(at: p) {
                setValue(field, Double(Float(value)).bitPattern)
                return end
            }
            let token = try scanner.scanNumber(at: p)
            setValue(field, Double(Float(JSONNumberConversion.double(token, base: scanner.base))).bitPattern)
            return token.end
        case .int32, .int64:
            let token = try scanner.scanNumber(at: p)
            if !token.isInteger {
                setMismatch(field, .fractional, p, token.end)
            } else if let value = JSONNumberConversion.int64(token),
                      kind == .int64 || (value >= Int64(Int32.min) && value <= Int64(Int32.max)) {
                setValue(field, UInt64(bitPattern: value))
            } else {
                setMismatch(field, .outOfRange, p, token.end)
            }
            return token.end
        case .timestamp:
            let token = try scanner.scanNumber(at: p)
            if let micros = JSONNumberConversion.timestampMicros(token, base: scanner.base) {
                setValue(field, UInt64(bitPattern: micros))
            } else {
                setMismatch(field, .outOfRange, p, token.end)
            }
            return token.end
        case .decimal:
            let end = try scanner.skipNumber(at: p)
            let info = lookup.info[field]
            switch JSONNumberConversion.decimal(scanner.base + p, count: end - p, precision: Int(info.precision),
                                                scale: Int(info.scale), lenient: false) {
            case .value(let v): setDecimal(field, v)
            case .doesNotFit: setMismatch(field, .doesNotFit, p, end)
            case .unparsable: setMismatch(field, .unparsableText, p, end)
            }
            return end
        case .string:
            let end = try scanner.skipNumber(at: p)
            setText(field, p, end)
            return end
        case .null:
            let end = try scanner.skipNumber(at: p)
            slots[field].state = .null
            return end
        case .boolean, .date, .nested:
            let end = try scanner.skipNumber(at: p)
            setMismatch(field, .foundNumber, p, end)
            return end
        }
    }
}

extension JSONRecordDecoder {
    /// The strings Spark's JSON reader takes as non-finite FLOAT/DOUBLE values
    /// (its default `allowNonNumericNumbers`).
    static func nonNumericDouble(_ text: UnsafePointer<UInt8>, _ count: Int) -> Double? {
        switch count {
        case 3:
            return text[0] == UInt8(ascii: "N") && text[1] == UInt8(ascii: "a") && text[2] == UInt8(ascii: "N") ? .nan : nil
        case 4:
            guard text[1] == UInt8(ascii: "I"), text[2] == UInt8(ascii: "N"), text[3] == UInt8(ascii: "F") else { return nil }
            return text[0] == UInt8(ascii: "+") ? .infinity : text[0] == UInt8(ascii: "-") ? -.infinity : nil
        case 8, 9:
            let body = UnsafeBufferPointer(start: text + count - 8, count: 8)
            guard body.elementsEqual("Infinity".utf8) else { return nil }
            if count == 8 { return .infinity }
            return text[0] == UInt8(ascii: "+") ? .infinity : text[0] == UInt8(ascii: "-") ? -.infinity : nil
        default:
            return nil
        }
    }
}
