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
        memos = .allocate(capacity: JSONKeyMemo.positions)
        memos.initialize(repeating: JSONKeyMemo(), count: JSONKeyMemo.positions)
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
}
