/// The fused leaf of a streaming plan, and its fast path: each stream's records are decoded
/// (only the columns the plan reads) a chunk at a time and run through the stateless steps
/// above the scan (filter, project, window), then into an aggregation's partial state per
/// thread, or appended as rows. UNION ALL of streams is one branch per stream.
///
/// The driver reads the branches' sources (``StreamingQuery``) into ``ScanLane``s, one per
/// thread; ``collect(_:)`` folds the lanes in; ``next(_:)`` then emits the batch's rows.
final class ScanPipeline: BatchOperator {
    struct Branch: Sendable {
        /// Which of the query's sources this branch reads.
        var source: Int
        var stream: StreamDefinition
        /// Stream columns decoded, in scan order.
        var scanColumns: [Int]
        var scanSchema: Schema
        /// The scan column the stream's watermark is measured on, and its delay, when an
        /// aggregation of the plan uses the watermark.
        var watermark: (column: Int, delayMicros: Int64)?
        var steps: [RowStep]
    }

    let branches: [Branch]
    let aggregate: AggregateOperator?
    let schema: Schema
    private var rows: [Column]
    /// Per branch: the latest event time seen (the watermark follows it).
    private(set) var maxEventTime: [Int64]

    init(branches: [Branch], aggregate: AggregateOperator?, schema: Schema) {
        self.branches = branches
        self.aggregate = aggregate
        self.schema = schema
        rows = schema.fields.map { Column(type: $0.type) }
        maxEventTime = branches.map { _ in .min }
    }

    /// The aggregation is fed by this scan's threads, not pulled: it is no input.
    var inputs: [any BatchOperator] { [] }

    /// Appended rows keep their order, so a plain scan reads on one thread; an aggregation
    /// does not care, so its batches split.
    var lanesWanted: Int { aggregate == nil ? 1 : StreamingQuery.cores }

    func beginBatch() {
        aggregate?.beginBatch()
        rows = schema.fields.map { Column(type: $0.type) }
    }

    func lanes(for branch: Int, watermark: Int64) -> [ScanLane] {
        (0..<lanesWanted).map { _ in
            ScanLane(branch: branches[branch], partial: aggregate?.partial(), outputSchema: schema,
                     lateBefore: (aggregate?.closesWindows ?? false) && watermark > 0 ? watermark : nil,
                     window: aggregate?.aggregation.window.map { (aggregate!.aggregation.keys[$0.key], $0.sizeMicros) })
        }
    }

    /// Folds a branch's lanes into the batch's state or rows, and its counts into `context`.
    func collect(_ lanes: [ScanLane], branch: Int, into context: inout BatchContext) -> (malformed: Int, dropped: Int) {
        var malformed = 0, dropped = 0
        for lane in lanes {
            maxEventTime[branch] = max(maxEventTime[branch], lane.maxEventTime)
            context.lateRows += lane.late
            context.outOfRangeTimes += lane.outOfRange
            malformed += lane.scanner.malformed
            dropped += lane.scanner.dropped
            if let partial = lane.takePartial() {
                aggregate?.merge(partial)
            } else {
                for index in rows.indices { rows[index].append(contentsOf: lane.rows[index]) }
            }
        }
        return (malformed, dropped)
    }

    /// Restores the event times a snapshot recorded.
    func restoreEventTimes(_ times: [Int64]) {
        guard times.count == maxEventTime.count else { return }
        maxEventTime = times
    }

    func next(_ context: inout BatchContext) throws -> Batch {
        if let aggregate { return aggregate.emit(context) }
        return Batch(schema: schema, columns: rows)
    }

    /// A scan fused with its aggregation shows as the aggregation over the scan.
    var explainParts: (line: String, below: String?) {
        if let aggregate { return (aggregate.explainLine, explainLine) }
        return (explainLine, nil)
    }

    var explainLine: String {
        let parts = branches.map { branch in
            var schema = branch.scanSchema
            var text = "Scan \(branch.stream.name) [\(schema.fields.map(\.name).joined(separator: ", "))]"
            for step in branch.steps {
                text += " → " + step.describe(columns: schema.fields.map(\.name))
                schema = step.outputSchema(schema)
            }
            return text
        }
        let fused = parts.count == 1 ? parts[0] : "UnionAll(" + parts.joined(separator: "; ") + ")"
        let tail = aggregate == nil ? "" : " → partial aggregate per thread, merged"
        return "FusedScan \(fused)\(tail)"
    }
}

/// One thread's share of a branch's records: decodes them in chunks and runs each chunk
/// through the branch's steps, into a partial aggregation or rows of its own. Lanes share
/// nothing mutable; each is touched by one thread at a time.
final class ScanLane: RecordLane, @unchecked Sendable {
    let branch: ScanPipeline.Branch
    private(set) var scanner: StreamScanner
    private(set) var partial: HashAggregation?
    private(set) var rows: [Column]
    /// Rows in windows already closed at the batch's start are late (not in complete mode).
    let lateBefore: Int64?
    let window: (start: BoundExpression, sizeMicros: Int64)?
    private(set) var maxEventTime: Int64 = .min
    private(set) var late = 0
    private(set) var outOfRange = 0

    /// The partial aggregation, handed over: the lane keeps no reference to it, so the state
    /// that takes it in (or over) changes it without copying its arrays first.
    func takePartial() -> HashAggregation? {
        defer { partial = nil }
        return partial
    }

    /// Rows per chunk handed downstream, bounding memory on big micro-batches.
    static let chunkRows = 65_536

    /// What a new lane of the same batch starts from (``makeLane()``): never changed, so it
    /// can be read from another thread while this lane is fed.
    private let emptyPartial: HashAggregation?
    private let outputSchema: Schema

    init(branch: ScanPipeline.Branch, partial: HashAggregation?, outputSchema: Schema, lateBefore: Int64?,
         window: (BoundExpression, Int64)?) {
        self.branch = branch
        self.partial = partial
        emptyPartial = partial
        self.outputSchema = outputSchema
        self.lateBefore = lateBefore
        self.window = window.map { (start: $0.0, sizeMicros: $0.1) }
        scanner = StreamScanner(stream: branch.stream, scanColumns: branch.scanColumns)
        rows = outputSchema.fields.map { Column(type: $0.type) }
    }

    func add(_ record: SourceRecord, topics: [String]) throws {
        try scanner.add(record, topics: topics)
        if scanner.rows >= Self.chunkRows { process(scanner.flush()) }
    }

    func addLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws -> Int {
        guard scanner.takesLines else {
            return try JSONLines.forEach(base, range) { record in try add(record, topics: []) }
        }
        var from = range.lowerBound
        var records = 0
        while from < range.upperBound {
            let read = try scanner.addLines(base, from..<range.upperBound, maxRows: Self.chunkRows)
            from = read.next
            records += read.records
            if scanner.rows >= Self.chunkRows { process(scanner.flush()) }
        }
        return records
    }

    func addRecords(count: Int, topics: [String], _ record: (Int) -> SourceRecord) throws {
        var from = 0
        while from < count {
            from = try scanner.addRecords(from..<count, topics: topics, maxRows: Self.chunkRows, record)
            if scanner.rows >= Self.chunkRows { process(scanner.flush()) }
        }
    }

    /// Another lane of this batch, as ``ScanPipeline/lanes(for:watermark:)`` makes them.
    func makeLane() -> (any RecordLane)? {
        ScanLane(branch: branch, partial: emptyPartial, outputSchema: outputSchema, lateBefore: lateBefore,
                 window: window.map { ($0.start, $0.sizeMicros) })
    }

    /// Runs what is left of the batch; call once the source is done with this lane.
    func finish() {
        if scanner.rows > 0 { process(scanner.flush()) }
    }

    /// A chunk through the steps: event time (before any filter, as Spark's watermark sees
    /// every row), then filter / project / window, late rows, then the aggregation or rows.
    func process(_ chunk: Batch) {
        var batch = chunk
        if let (column, _) = branch.watermark, case .int64(let times) = batch.columns[column].data {
            let valid = batch.columns[column]
            for (row, time) in times.enumerated() where time > maxEventTime && !valid.isNull(row) { maxEventTime = time }
        }
        for step in branch.steps { batch = step.apply(batch, outOfRange: &outOfRange) }
        if let lateBefore, let window {
            let dropped: Int
            (batch, dropped) = WindowOperator.droppingClosed(batch, start: window.start, size: window.sizeMicros, watermark: lateBefore)
            late += dropped
        }
        if partial != nil {
            partial!.add(batch)
        } else {
            for index in rows.indices { rows[index].append(contentsOf: batch.columns[index]) }
        }
    }
}
