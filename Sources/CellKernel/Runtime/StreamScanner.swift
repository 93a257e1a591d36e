/// The decode stage of a query: source records in, column batches of the scan's columns out.
///
/// Only the stream columns the plan reads are produced: JSON fields the query does not use
/// are skipped by the decoder, Kafka fields it does not use are never copied, and computed
/// columns are evaluated once per chunk, a column at a time.
struct StreamScanner {
    let stream: StreamDefinition
    let scanColumns: [Int]
    /// The decoder, held open across records (see ``JSONDecodingContext``).
    private let decoder: JSONDecodingContext
    /// Stream column index of each decoded JSON field, in decoder order.
    private let jsonTargets: [Int]
    private let kafkaTargets: [(column: Int, field: KafkaField)]
    private let corruptTarget: Int?
    /// Computed columns to evaluate, in definition order (later ones may use earlier ones).
    private let computedTargets: [(column: Int, expression: BoundExpression)]
    private var json: [Column]
    private var kafka: [Column]
    private var corrupt: Column?
    private(set) var rows = 0
    /// Records found malformed since the scanner started.
    private(set) var malformed = 0
    /// Records dropped by DROPMALFORMED since the scanner started.
    private(set) var dropped = 0

    init(stream: StreamDefinition, scanColumns: [Int]) {
        self.stream = stream
        self.scanColumns = scanColumns
        // A computed column needs the columns it is computed from.
        var needed = Set(scanColumns)
        for index in stream.columns.indices.reversed() where needed.contains(index) {
            if case .computed(let expression) = stream.columns[index].origin { needed.formUnion(expression.columnsUsed) }
        }
        let ordered = needed.sorted()
        jsonTargets = ordered.filter { stream.columns[$0].origin == .json }
        decoder = JSONDecodingContext(JSONRecordDecoder(fields: jsonTargets.map {
            JSONFieldSpec(name: stream.columns[$0].name, type: stream.columns[$0].type)
        }))
        kafkaTargets = ordered.compactMap { index in
            if case .kafka(let field) = stream.columns[index].origin { return (index, field) }
            return nil
        }
        corruptTarget = ordered.first { stream.columns[$0].origin == .corruptRecord }
        computedTargets = ordered.compactMap { index in
            if case .computed(let expression) = stream.columns[index].origin { return (index, expression) }
            return nil
        }
        json = jsonTargets.map { Column(type: stream.columns[$0].type) }
        kafka = kafkaTargets.map { Column(type: $0.field.type) }
        corrupt = corruptTarget.map { _ in Column(type: .string) }
    }

    /// Decodes one record into the pending chunk. FAILFAST throws on a malformed record.
    mutating func add(_ record: SourceRecord, topics: [String]) throws {
        if let value = record.value {
            let outcome = decoder.decode(value, into: &json)
            if case .malformed(let why) = outcome {
                guard try settleMalformed(why, text: value, place: Self.place(record, topics)) else { return }
            } else {
                corrupt?.appendNull()
            }
        } else {
            // A record without a value (a tombstone) reads as all NULL, as from_json(NULL).
            for i in json.indices { json[i].appendNull() }
            corrupt?.appendNull()
        }
        appendKafkaFields(record, topics: topics)
        rows += 1
    }

    /// A malformed record whose row was just added, as its stream's mode says: FAILFAST
    /// throws, DROPMALFORMED takes the row back, PERMISSIVE keeps it (its fields NULL or
    /// partial) with `text` in the corrupt-record column. Returns whether the row stays.
    private mutating func settleMalformed(_ why: JSONMalformation, text: UnsafeRawBufferPointer,
                                          place: @autoclosure () -> String) throws -> Bool {
        malformed += 1
        switch stream.mode {
        case .failFast:
            for i in json.indices { json[i].removeLast() }
            throw StreamError.malformedRecord(stream: stream.name, place: place(), reason: why.description)
        case .dropMalformed:
            for i in json.indices { json[i].removeLast() }
            dropped += 1
            return false
        case .permissive:
            corrupt?.append(bytes: text)
            return true
        }
    }

    private mutating func appendKafkaFields(_ record: SourceRecord, topics: [String]) {
        for (slot, target) in kafkaTargets.enumerated() {
            switch target.field {
            case .key: record.key.map { kafka[slot].append(bytes: $0) } ?? kafka[slot].appendNull()
            case .value: record.value.map { kafka[slot].append(bytes: $0) } ?? kafka[slot].appendNull()
            case .topic: kafka[slot].append(topics[record.topicIndex])
            case .partition: kafka[slot].append(Int64(record.partition))
            case .offset: kafka[slot].append(record.offset)
            // A producer may set any millisecond count: one past the TIMESTAMP range is NULL.
            case .timestamp:
                let (micros, overflow) = record.timestamp.multipliedReportingOverflow(by: 1000)
                record.timestamp >= 0 && !overflow ? kafka[slot].append(micros) : kafka[slot].appendNull()
            case .timestampType: record.timestampType >= 0 ? kafka[slot].append(Int64(record.timestampType)) : kafka[slot].appendNull()
            }
        }
    }

    /// Decodes the records `record(i)` for `i` in `range` into the pending chunk, as
    /// ``add(_:topics:)`` would one at a time, until the range ends or the chunk holds
    /// `maxRows` rows; returns the index it stopped at.
    mutating func addRecords(_ range: Range<Int>, topics: [String], maxRows: Int,
                             _ record: (Int) -> SourceRecord) throws -> Int {
        var from = range.lowerBound
        while from < range.upperBound && rows < maxRows {
            let upper = min(range.upperBound, from + (maxRows - rows))
            let (next, why) = decoder.decodeValues(from..<upper, value: { record($0).value }, into: &json)
            let good = why == nil ? next : next - 1
            if !kafkaTargets.isEmpty || corrupt != nil {
                for index in from..<good {
                    appendKafkaFields(record(index), topics: topics)
                    corrupt?.appendNull()
                }
            }
            rows += good - from
            from = next
            guard let why else { continue }
            let bad = record(good)
            if try settleMalformed(why, text: bad.value ?? UnsafeRawBufferPointer(start: nil, count: 0), place: Self.place(bad, topics)) {
                appendKafkaFields(bad, topics: topics)
                rows += 1
            }
        }
        return from
    }

    /// Whether ``addLines(_:_:maxRows:)`` can take this stream's records: JSON lines of a
    /// file, with no Kafka field to fill.
    var takesLines: Bool { kafkaTargets.isEmpty }

    /// Decodes the JSON lines in `range` of `base` (a file's bytes, so a line's offset is
    /// where it is in `base`) into the pending chunk, as ``add(_:topics:)`` would one line at
    /// a time, until the range ends or the chunk holds `maxRows` rows. Returns where it
    /// stopped and how many records it read.
    mutating func addLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, maxRows: Int) throws -> (next: Int, records: Int) {
        var from = range.lowerBound
        var records = 0
        while from < range.upperBound && rows < maxRows {
            let progress = decoder.decodeLines(base, from..<range.upperBound, maxRows: maxRows - rows, into: &json)
            records += progress.rows
            from = progress.next
            let good = progress.malformed == nil ? progress.rows : progress.rows - 1
            if corrupt != nil { for _ in 0..<good { corrupt!.appendNull() } }
            rows += good
            guard let (line, why) = progress.malformed else { continue }
            let text = UnsafeRawBufferPointer(start: base + line.lowerBound, count: line.count)
            if try settleMalformed(why, text: text, place: "byte \(line.lowerBound)") { rows += 1 }
        }
        return (from, records)
    }

    /// The pending rows as a batch of the scan's columns; the scanner starts a new chunk.
    mutating func flush() -> Batch {
        var full = stream.columns.map { Column(type: $0.type) }
        for (slot, index) in jsonTargets.enumerated() { full[index] = json[slot] }
        for (slot, target) in kafkaTargets.enumerated() { full[target.column] = kafka[slot] }
        if let corruptTarget, let corrupt { full[corruptTarget] = corrupt }
        for target in computedTargets {
            full[target.column] = Evaluator.evaluate(target.expression, columns: full, count: rows)
        }
        let batch = Batch(schema: Schema(scanColumns.map { Schema.Field(name: stream.columns[$0].name, type: stream.columns[$0].type) }),
                          columns: scanColumns.map { full[$0] })
        json = jsonTargets.map { Column(type: stream.columns[$0].type, capacity: rows) }
        kafka = kafkaTargets.map { Column(type: $0.field.type, capacity: rows) }
        corrupt = corruptTarget.map { _ in Column(type: .string, capacity: rows) }
        rows = 0
        return batch
    }

    static func place(_ record: SourceRecord, _ topics: [String]) -> String {
        topics.isEmpty ? "byte \(record.offset)" : "\(topics[record.topicIndex])/\(record.partition) offset \(record.offset)"
    }
}

/// Errors a running query stops with.
enum StreamError: Error, Sendable, CustomStringConvertible {
    case malformedRecord(stream: String, place: String, reason: String)

    var description: String {
        switch self {
        case let .malformedRecord(stream, place, reason):
            "malformed record in stream \(stream) at \(place): \(reason) (mode FAILFAST; use PERMISSIVE or DROPMALFORMED to go on)"
        }
    }
}
