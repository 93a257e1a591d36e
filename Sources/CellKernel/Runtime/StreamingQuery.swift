#if canImport(Glibc)
import Glibc
#endif

/// A started view: reads its stream in micro-batches, folds each into its state, and hands
/// each batch's result to its sinks.
///
/// Not thread-safe: one thread runs its batches (``runBatch()``) and reads its state.
public final class StreamingQuery {
    public let plan: QueryPlan
    public let outputMode: OutputMode
    public let trigger: TriggerPolicy
    public let memory: MemoryTable
    // The state below is module-visible for StreamingQuery+Snapshot.swift.
    let source: StreamSource
    var aggregation: HashAggregation?
    private var sinks: [QuerySink]
    var nextBatchId: Int64 = 0
    /// Spark's watermark starts at the epoch and only moves forward.
    var watermark: Int64 = 0
    var maxEventTime: Int64 = .min
    var watermarkMoved = false
    private(set) public var recentProgress: [BatchProgress] = []
    /// Past this estimate of its state's size a batch fails (see StateMemoryLimit.swift).
    public var stateMemoryLimit = StateMemoryLimit.default
    /// Threads for reading a micro-batch, where the source can split it.
    static let cores = max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    public init(plan: QueryPlan, outputMode: OutputMode, trigger: TriggerPolicy, source: StreamSource, sinks: [QuerySink]) {
        self.plan = plan
        self.outputMode = outputMode
        self.trigger = trigger
        self.source = source
        aggregation = plan.isAggregate ? HashAggregation(keys: plan.keys, aggregates: plan.aggregates) : nil
        memory = MemoryTable(name: plan.view, schema: plan.outputSchema)
        self.sinks = [memory] + sinks
    }

    /// Whether a batch without new data would still produce something: the watermark moved,
    /// so windows may close (emitted in append mode, evicted otherwise).
    public var hasPendingWork: Bool {
        watermarkMoved && plan.windowKey != nil && outputMode != .complete
    }

    /// Runs one micro-batch. Returns nil when the source had nothing new and no pending work.
    public func runBatch() throws -> BatchProgress? {
        try runBatch(shouldStop: { false }, notice: { _ in })
    }

    /// Runs one micro-batch that `shouldStop` can cut short while it reads: the batch is then
    /// abandoned before it touches the state, the sinks or the source's offsets, and
    /// ``StreamInterrupted`` is thrown. `notice` takes the source's lines for the user (a
    /// broker outage and its end).
    public func runBatch(shouldStop: () -> Bool, notice: (String) -> Void) throws -> BatchProgress? {
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = wallClockMicros()
        aggregation?.beginBatch()
        let batchWatermark = watermark
        // Aggregates merge per-lane partial states, so their rows may be read on several
        // threads; anything else keeps the source's row order on one.
        let lanes = (0..<(plan.isAggregate ? Self.cores : 1)).map { _ in
            WorkerLane(BatchWorker(plan: plan, mode: outputMode, watermark: batchWatermark))
        }
        let read = try source.readBatch(lanes: lanes, stop: shouldStop, notice: notice)
        let workers = lanes.map { $0.finish() }
        guard read != nil || hasPendingWork else { return nil }
        watermarkMoved = false
        var late = 0, malformed = 0, dropped = 0, outOfRange = 0
        var appended = plan.outputSchema.fields.map { Column(type: $0.type) }
        for worker in workers {
            maxEventTime = max(maxEventTime, worker.maxEventTime)
            late += worker.late
            outOfRange += worker.outOfRangeTimes
            malformed += worker.scanner.malformed
            dropped += worker.scanner.dropped
            if let partial = worker.aggregation { aggregation!.merge(partial) }
            if !plan.isAggregate { appended = worker.appended }
        }
        try checkStateMemory()

        // The result of this batch, per output mode.
        var output: [Column]
        if self.aggregation != nil {
            let closed = outputMode != .complete && plan.windowKey != nil && plan.watermark != nil
                ? closedWindows(before: batchWatermark) : []
            switch outputMode {
            case .complete: output = self.aggregation!.allGroups()
            case .update: output = self.aggregation!.touchedGroups()
            case .append: output = self.aggregation!.groups(closed)
            }
            output = plan.output(ofGroups: output)
            // Closed windows leave the state once emitted (append) or no longer updatable (update).
            if !closed.isEmpty {
                let closedSet = Set(closed)
                let groups = self.aggregation!.groupCount
                self.aggregation!.retain((0..<groups).filter { !closedSet.contains($0) })
            }
        } else {
            output = appended
        }
        output = Self.sorted(output, by: plan.orderBy, limit: plan.limit)

        // An event time within `delay` of the 64-bit minimum cannot move the watermark (which
        // starts at the epoch), so an overflowing difference is simply no move.
        if let (_, delay) = plan.watermark, maxEventTime != .min,
           case let (moved, overflow) = maxEventTime.subtractingReportingOverflow(delay), !overflow, moved > watermark {
            watermark = moved
            watermarkMoved = true
        }

        let batchId = nextBatchId
        nextBatchId += 1
        let result = ResultBatch(batchId: batchId, schema: plan.outputSchema, columns: output, mode: outputMode,
                                 keyColumns: keyColumnsInOutput)
        for sink in sinks { try sink.write(result, stop: shouldStop) }

        let elapsed = clock.now - started
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-6)
        let rows = read?.records ?? 0
        let previous = recentProgress.last
        let sinceLast = previous.map { Double(startedAt - $0.timestamp) / 1e6 } ?? seconds
        let progress = BatchProgress(
            batchId: batchId, timestamp: startedAt, numInputRows: rows,
            inputRowsPerSecond: Double(rows) / max(sinceLast, 1e-6), processedRowsPerSecond: Double(rows) / seconds,
            durationMillis: Int64(seconds * 1000), watermark: plan.watermark == nil ? nil : watermark,
            startOffsets: read?.start ?? previous?.endOffsets ?? SourceOffsets(), endOffsets: read?.end ?? previous?.endOffsets ?? SourceOffsets(),
            lag: read?.lag ?? [:], numMalformed: malformed, numDroppedMalformed: dropped,
            numLateRows: late, numLostRecords: read?.lost ?? 0, numStateRows: aggregation?.groupCount ?? 0,
            numOutputRows: output.first?.count ?? 0, numOutOfRangeTimes: outOfRange)
        recentProgress.append(progress)
        if recentProgress.count > 100 { recentProgress.removeFirst() }
        return progress
    }

    public func stop() {
        source.close()
        for sink in sinks { try? sink.close() }
    }

    /// Output columns that are plain GROUP BY keys (what update mode upserts by).
    private var keyColumnsInOutput: [Int] {
        plan.projection.enumerated().compactMap { index, expression in
            if case .column(let c, _) = expression, c < plan.keys.count { return index }
            return nil
        }
    }

    /// Groups whose window ends at or before `watermark`.
    private func closedWindows(before watermark: Int64) -> [Int] {
        guard let aggregation, let key = plan.windowKey, let window = plan.window, watermark > 0 else { return [] }
        guard case .int64(let starts) = aggregation.keyValues(key).data else { return [] }
        return starts.indices.filter { starts[$0] &+ window.sizeMicros <= watermark }
    }

    /// Copies each row into every window holding it, adding the window start as a last column.
    ///
    /// A row whose windows cannot be represented (an event time so close to the ends of the
    /// 64-bit range that a window's start or end would overflow) has no window, like a NULL
    /// time: it leaves the windowed aggregate and is counted in `outOfRange`.
    static func assignWindows(_ batch: Batch, _ window: WindowSpec) -> (batch: Batch, outOfRange: Int) {
        let times = Evaluator.evaluate(window.time, on: batch)
        guard case .int64(let t) = times.data else { return (batch, 0) }
        var rows: [Int] = []
        var starts: [Int64] = []
        var outOfRange = 0
        rows.reserveCapacity(batch.count)
        starts.reserveCapacity(batch.count)
        let slide = window.slideMicros, size = window.sizeMicros
        for row in 0..<batch.count where !times.isNull(row) {
            // Every start s of the row's windows has t - size < s <= t, and s + size must fit.
            let (shifted, o1) = t[row].subtractingReportingOverflow(window.startMicros)
            let (earliest, o2) = t[row].subtractingReportingOverflow(size)
            let remainder = shifted % slide
            var start = t[row] &- (remainder < 0 ? remainder + slide : remainder)
            let (_, o3) = start.addingReportingOverflow(size)
            if o1 || o2 || o3 || start > t[row] {
                outOfRange += 1
                continue
            }
            while start > earliest {
                rows.append(row)
                starts.append(start)
                start &-= slide
            }
        }
        var schema = batch.schema
        schema.fields.append(.init(name: "window", type: .timestamp))
        let identity = rows.count == batch.count && rows.enumerated().allSatisfy { $0.offset == $0.element }
        return (Batch(schema: schema, columns: (identity ? batch.columns : batch.columns.map { $0.gather(rows) })
                      + [Column(type: .timestamp, data: .int64(starts))]), outOfRange)
    }

    /// Rows of windows still open at `watermark` (window ends fit in 64 bits: see ``assignWindows(_:_:)``).
    static func droppingClosedWindows(_ batch: Batch, _ window: WindowSpec, watermark: Int64) -> Batch {
        guard case .int64(let starts) = batch.columns[batch.columns.count - 1].data else { return batch }
        let keep = starts.indices.filter { starts[$0] &+ window.sizeMicros > watermark }
        return keep.count == batch.count ? batch : Batch(schema: batch.schema, columns: batch.columns.map { $0.gather(keep) })
    }

    /// ORDER BY and LIMIT over result columns (small: results, not input).
    static func sorted(_ columns: [Column], by keys: [SortKey], limit: Int?) -> [Column] {
        let count = columns.first?.count ?? 0
        guard !keys.isEmpty || (limit.map { $0 < count } ?? false) else { return columns }
        var order = Array(0..<count)
        if !keys.isEmpty {
            let values = keys.map { key in columns[key.column].values }
            order.sort { a, b in
                for (k, key) in keys.enumerated() {
                    let x = values[k][a], y = values[k][b]
                    if x == y { continue }
                    if x.isNull || y.isNull { return x.isNull == key.nullsFirst }
                    let less = Value.less(x, y)
                    return key.ascending ? less : !less
                }
                return a < b
            }
        }
        if let limit { order = Array(order.prefix(limit)) }
        return columns.map { $0.gather(order) }
    }

    private func wallClockMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}

extension Value {
    /// SQL ordering of two non-NULL values of one type.
    static func less(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): x < y
        case let (.decimal(x), .decimal(y)): x < y
        case let (.double(x), .double(y)): Comparison.order(x, y) < 0
        case let (.string(x), .string(y)): Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8))
        case let (.bool(x), .bool(y)): !x && y
        default: false
        }
    }
}
