/// A ``JSONRecordDecoder`` held open across the documents of a stream, for callers that get
/// documents one at a time (a source's callback) but want the batch APIs' cost per document.
///
/// The field table is copied into memory of its own once, the per-document scratch (slots,
/// key memos) allocated once: a document then costs its parse and its appends, with no
/// closure set-up or column checks, and its keys are matched against the previous document's.
final class JSONDecodingContext: @unchecked Sendable {  // used by one thread at a time (its scanner's)
    let fields: [JSONFieldSpec]
    private let lookup: JSONFieldLookup
    private let slots: UnsafeMutablePointer<JSONSlot>
    private let memos: UnsafeMutablePointer<JSONKeyMemo>
    private let tableSlots: UnsafeMutableBufferPointer<Int16>
    private let names: UnsafeMutableBufferPointer<UInt8>
    private let info: UnsafeMutableBufferPointer<JSONFieldInfo>

    init(_ decoder: JSONRecordDecoder) {
        fields = decoder.fields
        let table = decoder.table
        tableSlots = .allocate(capacity: table.slots.count)
        _ = tableSlots.initialize(from: table.slots)
        names = .allocate(capacity: table.names.count)
        _ = names.initialize(from: table.names)
        info = .allocate(capacity: max(table.info.count, 1))
        _ = info.initialize(from: table.info)
        lookup = JSONFieldLookup(slots: UnsafePointer(tableSlots.baseAddress!), mask: tableSlots.count - 1, shift: table.shift,
                                 multiplier: table.multiplier, names: UnsafePointer(names.baseAddress!),
                                 info: UnsafePointer(info.baseAddress!), fieldCount: table.info.count)
        slots = .allocate(capacity: max(table.info.count, 1))
        slots.initialize(repeating: JSONSlot(state: .null), count: max(table.info.count, 1))
        memos = .allocate(capacity: JSONKeyMemos.capacity())
        memos.initialize(repeating: JSONKeyMemo(), count: JSONKeyMemos.capacity())
    }

    deinit {
        tableSlots.deallocate()
        names.deallocate()
        info.deallocate()
        slots.deallocate()
        memos.deallocate()
    }

    /// Decodes one document into `columns` (one value per field, as ``JSONRecordDecoder/decode(_:into:)``).
    func decode(_ document: UnsafeRawBufferPointer, into columns: inout [Column]) -> JSONDecodeOutcome {
        // Moved, not copied, into the sink, as in JSONRecordDecoder.decode(_:into:).
        var sink = JSONColumnsSink(columns: [])
        swap(&sink.columns, &columns)
        let outcome = JSONRecordDecoder.decodeDocument(document, fields: fields, lookup: lookup, slots: slots,
                                             memos: JSONKeyMemos(base: memos, count: JSONKeyMemo.positions), into: &sink)
        swap(&sink.columns, &columns)
        return outcome
    }

    /// Decodes JSON lines from `range` of `base` into `columns`, a row per non-blank line
    /// (the rules of ``JSONRecordDecoder/decodeLines(_:into:onMalformed:)``), until the range
    /// ends, `maxRows` rows were added, or a line is malformed: that line's row is added and
    /// the decoding stops after it, so the caller can keep, mend or drop it.
    func decodeLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, maxRows: Int,
                     into columns: inout [Column]) -> JSONLinesProgress {
        var progress = JSONLinesProgress(next: range.lowerBound)
        guard maxRows > 0 else { return progress }
        var writer = JSONBatchWriter(taking: &columns)
        defer { writer.restore(into: &columns) }
        let memos = JSONKeyMemos(base: memos, count: JSONKeyMemo.positions)
        let limit = range.upperBound
        var start = range.lowerBound
        while start < limit {
            let lineStart = start
            let end: Int, outcome: JSONDecodeOutcome
            // Most lines are one object, its `}` right before the newline: read it without
            // looking for the newline first (a memchr a line), the parser treating a newline as
            // the end of the text. Anything else (a blank line, space after the object, an
            // error) is read again the ordinary way.
            for i in 0..<lookup.fieldCount { slots[i].state = .null }
            let inLine = JSONDocumentParser(scanner: JSONScanner(base: base + lineStart, end: limit - lineStart, stopsAtNewline: true),
                                            lookup: lookup, slots: slots, memos: memos)
            let close = inLine.parseObject()
            if close >= 0, let line = Self.lineEnd(base, at: lineStart + close, limit: limit) {
                (end, start) = line
                outcome = JSONRecordDecoder.commit(fields: fields, slots: slots, lookup: lookup, base: base + lineStart, into: &writer)
            } else {
                let line = JSONLines.line(base, at: start, limit: limit)
                start = line.next
                guard !line.isBlank else { continue }
                end = line.end
                outcome = JSONRecordDecoder.decodeDocument(UnsafeRawBufferPointer(start: base + lineStart, count: end - lineStart),
                                                           fields: fields, lookup: lookup, slots: slots, memos: memos, into: &writer)
            }
            progress.rows += 1
            if case .malformed(let why) = outcome {
                progress.malformed = (lineStart..<end, why)
                break
            }
            if progress.rows == maxRows { break }
        }
        progress.next = min(start, limit)
        return progress
    }

    /// Where the line ends and the next starts, when `p` (just past a document) is the end of
    /// its line: a newline (after a `\r` or not) or the end of the text; nil for anything else.
    @inline(__always)
    private static func lineEnd(_ base: UnsafePointer<UInt8>, at p: Int, limit: Int) -> (end: Int, next: Int)? {
        if p == limit { return (p, p) }
        if base[p] == 0x0A { return (p, p &+ 1) }
        if base[p] == 0x0D && p &+ 1 < limit && base[p &+ 1] == 0x0A { return (p, p &+ 2) }
        return nil
    }
}

extension JSONDecodingContext {
    /// Decodes the documents `value(i)` for `i` in `range` into `columns`, a row each (no
    /// value is a row of NULLs, as from_json(NULL)), until the range ends or one is malformed:
    /// its row is added and the decoding stops after it. Returns the next index and why that
    /// document was malformed, if it was.
    func decodeValues(_ range: Range<Int>, value: (Int) -> UnsafeRawBufferPointer?,
                      into columns: inout [Column]) -> (next: Int, malformed: JSONMalformation?) {
        guard !range.isEmpty else { return (range.lowerBound, nil) }
        var writer = JSONBatchWriter(taking: &columns)
        defer { writer.restore(into: &columns) }
        let memos = JSONKeyMemos(base: memos, count: JSONKeyMemo.positions)
        for index in range {
            let document = value(index) ?? UnsafeRawBufferPointer(start: nil, count: 0)
            if case .malformed(let why) = JSONRecordDecoder.decodeDocument(document, fields: fields, lookup: lookup, slots: slots,
                                                                           memos: memos, into: &writer) {
                return (index + 1, why)
            }
        }
        return (range.upperBound, nil)
    }
}

/// How far ``JSONDecodingContext/decodeLines(_:_:maxRows:into:)`` got.
struct JSONLinesProgress {
    /// Where the next line starts.
    var next: Int
    /// Rows added, the malformed line's included.
    var rows = 0
    /// The line it stopped at, without its newline, and why it is malformed.
    var malformed: (line: Range<Int>, why: JSONMalformation)?
}
