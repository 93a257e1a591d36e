/// One thread's share of a micro-batch: decodes its records in chunks and runs them through
/// the query's stages, into a partial aggregation (or appended rows) of its own.
///
/// Workers share nothing mutable, so several can run at once over parts of one batch; their
/// partial aggregations are then merged.
struct BatchWorker {
    let plan: QueryPlan
    let mode: OutputMode
    /// The watermark as it stood when the batch began: what late rows are judged by.
    let watermark: Int64
    private(set) var scanner: StreamScanner
    var aggregation: HashAggregation?
    private(set) var appended: [Column]
    private(set) var maxEventTime: Int64 = .min
    private(set) var late = 0
    /// Rows left out of every window: their event time is too extreme for a window to hold it.
    private(set) var outOfRangeTimes = 0

    /// Rows per chunk handed downstream, bounding memory on big micro-batches.
    static let chunkRows = 65_536

    init(plan: QueryPlan, mode: OutputMode, watermark: Int64) {
        self.plan = plan
        self.mode = mode
        self.watermark = watermark
        scanner = StreamScanner(stream: plan.stream, scanColumns: plan.scanColumns)
        aggregation = plan.isAggregate ? HashAggregation(keys: plan.keys, aggregates: plan.aggregates) : nil
        appended = plan.outputSchema.fields.map { Column(type: $0.type) }
    }

    mutating func add(_ record: SourceRecord, topics: [String]) throws {
        try scanner.add(record, topics: topics)
        if scanner.rows >= Self.chunkRows { process(scanner.flush()) }
    }

    mutating func finish() {
        if scanner.rows > 0 { process(scanner.flush()) }
    }

    /// Runs a chunk of rows through the stages: watermark, WHERE, windows, late rows, then
    /// the aggregation or the projection.
    mutating func process(_ chunk: Batch) {
        var batch = chunk
        if let (column, _) = plan.watermark, case .int64(let times) = batch.columns[column].data {
            let valid = batch.columns[column]
            for (row, time) in times.enumerated() where time > maxEventTime && !valid.isNull(row) { maxEventTime = time }
        }
        if let filter = plan.filter { batch = batch.filter(filter) }
        if let window = plan.window {
            let outOfRange: Int
            (batch, outOfRange) = StreamingQuery.assignWindows(batch, window)
            outOfRangeTimes += outOfRange
            // Rows whose every window closed before this batch are late; complete mode keeps
            // all state, so nothing is late there.
            if plan.watermark != nil && mode != .complete && watermark > 0 {
                let before = batch.count
                batch = StreamingQuery.droppingClosedWindows(batch, window, watermark: watermark)
                late += before - batch.count
            }
        }
        if aggregation != nil {
            aggregation!.add(batch)
        } else {
            for (index, expression) in plan.projection.enumerated() {
                appended[index].append(contentsOf: Evaluator.evaluate(expression, on: batch))
            }
        }
    }
}

extension QueryPlan {
    /// What an aggregating query shows of its groups (keys then aggregates): HAVING, then
    /// the select list.
    func output(ofGroups groups: [Column]) -> [Column] {
        var rows = groups
        if let having {
            rows = Batch(schema: Schema(rows.map { Schema.Field(name: "", type: $0.type) }), columns: rows).filter(having).columns
        }
        let count = rows.first?.count ?? 0
        return projection.map { Evaluator.evaluate($0, columns: rows, count: count) }
    }
}
