import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// A started view on the local engine: reads its streams in micro-batches, runs each through
/// its operators, and hands each batch's result to its sinks.
///
/// Not thread-safe: one thread runs its batches (``runBatch()``) and reads its state.
public final class StreamingQuery {
    public let view: String
    public let plan: LogicalPlan
    public let outputMode: OutputMode
    public let trigger: TriggerPolicy
    public let memory: MemoryTable
    // Module-visible for StreamingQuery+Snapshot.swift.
    let root: any BatchOperator
    let scans: [ScanPipeline]
    /// The stateful operators of the tree, root first: what a snapshot saves.
    let statefulOperators: [any StatefulOperator]
    /// One source per branch of the fused scans, in branch order.
    let sources: [StreamSource]
    var sinks: [QuerySink]
    /// Where batches are logged and state saved, when the query has a checkpoint location.
    var checkpoint: QueryCheckpoint?
    var nextBatchId: Int64 = 0
    /// Spark's watermark starts at the epoch and only moves forward.
    var watermark: Int64 = 0
    var watermarkMoved = false
    private let keyColumns: [Int]
    private(set) public var recentProgress: [BatchProgress] = []
    /// Past this estimate of its state's size a batch fails (see StateMemoryLimit.swift).
    public var stateMemoryLimit = StateMemoryLimit.default
    /// Threads for reading a micro-batch, where the source can split it.
    static let cores = max(1, min(4, sysconf(Int32(_SC_NPROCESSORS_ONLN))))

    /// - Parameter sources: one per stream scan of `plan`, left to right (``LogicalPlan/streams``).
    init(view: String, plan: LogicalPlan, outputMode: OutputMode, trigger: TriggerPolicy, sources: [StreamSource], sinks: [QuerySink],
         tables: [String: Batch] = [:]) {
        self.view = view
        self.plan = plan
        self.outputMode = outputMode
        self.trigger = trigger
        self.sources = sources
        (root, scans) = PhysicalPlanner(mode: outputMode, table: { tables[$0.lowercased()] }).lower(plan)
        // A fused scan's aggregation is fed by the scan, not an input of the tree.
        statefulOperators = root.allOperators().compactMap { ($0 as? any StatefulOperator) ?? ($0 as? ScanPipeline)?.aggregate }
        keyColumns = plan.keyColumnsInOutput
        memory = MemoryTable(name: view, schema: plan.schema)
        self.sinks = [memory] + sinks
    }

    /// Whether a batch without new data would still produce something: the watermark moved,
    /// so windows may close (emitted in append mode, evicted otherwise).
    public var hasPendingWork: Bool {
        watermarkMoved && statefulOperators.contains {
            ($0 as? AggregateOperator)?.closesWindows == true || ($0 as? StreamJoinOperator)?.evictsByWatermark == true
                || ($0 as? SessionWindowOperator)?.closesSessions == true
        }
    }

    /// The state of the first aggregation (for tests that look inside).
    var aggregation: HashAggregation? {
        statefulOperators.lazy.compactMap { ($0 as? AggregateOperator)?.state }.first
    }

    /// The first stream's source (for tests that look inside).
    var source: StreamSource { sources[0] }

    /// The physical plan, as EXPLAIN prints it.
    public var physicalPlan: String { root.explainTree() }

    /// Runs one micro-batch. Returns nil when the source had nothing new and no pending work.
    public func runBatch() throws -> BatchProgress? {
        try runBatch(shouldStop: { false }, notice: { _ in })
    }

    /// The lanes a source read a branch into, in reading order: the ones it was given, or the
    /// ones it says it split the batch into (made by those, so the scan's own kind).
    private static func scanLanes(_ split: [any RecordLane]?, given: [ScanLane]) throws -> [ScanLane] {
        guard let split else { return given }
        let lanes = split.compactMap { $0 as? ScanLane }
        guard lanes.count == split.count else {
            throw SourceError("a source split a micro-batch into lanes of another kind", hint: "this is a bug in cells: please report it")
        }
        return lanes
    }

    /// Runs one micro-batch that `shouldStop` can cut short while it reads: the batch is then
    /// abandoned before it touches the state, the sinks or the sources' offsets, and
    /// ``StreamInterrupted`` is thrown. `notice` takes the sources' lines for the user (a
    /// broker outage and its end).
    public func runBatch(shouldStop: () -> Bool, notice: (String) -> Void) throws -> BatchProgress? {
        let clock = ContinuousClock()
        let started = clock.now
        let startedAt = Self.wallClockMicros()
        var context = BatchContext(mode: outputMode, watermark: watermark)
        // After a crash, the batch it cut short reads exactly what it read the first time.
        let replaying = checkpoint?.replay.first.flatMap { $0.batchId == nextBatchId ? $0 : nil }
        if let replaying {
            for (source, end) in zip(sources, Self.split(replaying.end, count: sources.count)) { try source.endNextBatch(at: end) }
        }
        let before = checkpoint.map { _ in Self.offsets(sources.map(\.offsets)) }

        // Read every branch into lanes first: nothing is folded in until all reads succeeded,
        // so an abandoned batch leaves the state as it was.
        var reads: [(scan: Int, branch: Int, lanes: [ScanLane], batch: SourceBatch)] = []
        do {
            for (s, scan) in scans.enumerated() {
                for (b, branch) in scan.branches.enumerated() {
                    let given = scan.lanes(for: b, watermark: watermark)
                    let read = try sources[branch.source].readBatch(lanes: given, stop: shouldStop, notice: notice)
                    let lanes = try Self.scanLanes(read?.lanes, given: given)
                    for lane in lanes { lane.finish() }
                    if let read { reads.append((s, b, lanes, read)) }
                }
            }
        } catch {
            // Sources read before the one that failed are put back where the batch started.
            for read in reads { try? sources[scans[read.scan].branches[read.branch].source].resume(from: read.batch.start) }
            throw error
        }
        guard !reads.isEmpty || hasPendingWork || replaying != nil else { return nil }
        // The write-ahead log: what this batch reads is on disk before anything of it counts.
        if let checkpoint, let before, replaying == nil {
            let entry = OffsetsEntry(batchId: nextBatchId, start: before, end: Self.offsets(sources.map(\.offsets)),
                                     watermark: watermark, timestamp: startedAt)
            checkpoint.write(entry.bytes, to: checkpoint.location.offsetsFile(nextBatchId), phase: "offsets", batch: nextBatchId)
        }
        watermarkMoved = false
        var malformed = 0, dropped = 0
        for scan in scans { scan.beginBatch() }
        for read in reads {
            let counts = scans[read.scan].collect(read.lanes, branch: read.branch, into: &context)
            malformed += counts.malformed
            dropped += counts.dropped
        }
        try checkStateMemory()

        let result = try root.next(&context)
        let output = result.columns
        advanceWatermark()

        let batchId = nextBatchId
        nextBatchId += 1
        let batch = ResultBatch(batchId: batchId, schema: plan.schema, columns: output, mode: outputMode, keyColumns: keyColumns)
        if let checkpoint {
            // The sinks see this batch only once its offsets (and the last commit) are on disk.
            try settle(checkpoint)
            saveState(checkpoint, batch: batchId)
        }
        for sink in sinks { try sink.write(batch, stop: shouldStop) }
        if let checkpoint {
            checkpoint.crashIfAsked("sinks", batch: batchId)
            commit(checkpoint, batch: batchId)
        }

        let elapsed = clock.now - started
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-6)
        let rows = reads.reduce(0) { $0 + $1.batch.records }
        let previous = recentProgress.last
        var start = SourceOffsets(), end = SourceOffsets(), lag: [String: Int64] = [:]
        var lost: Int64 = 0
        for read in reads {
            start.next.merge(read.batch.start.next) { $1 }
            end.next.merge(read.batch.end.next) { $1 }
            lag.merge(read.batch.lag) { $0 + $1 }
            lost += read.batch.lost
        }
        let progress = BatchProgress(
            batchId: batchId, timestamp: startedAt, numInputRows: rows,
            inputRowsPerSecond: Double(rows) / max(previous.map { Double(startedAt - $0.timestamp) / 1e6 } ?? seconds, 1e-6),
            processedRowsPerSecond: Double(rows) / seconds,
            durationMillis: Int64(seconds * 1000), watermark: plan.usesWatermark ? watermark : nil,
            startOffsets: reads.isEmpty ? previous?.endOffsets ?? SourceOffsets() : start,
            endOffsets: reads.isEmpty ? previous?.endOffsets ?? SourceOffsets() : end,
            lag: lag, numMalformed: malformed, numDroppedMalformed: dropped,
            numLateRows: context.lateRows, numLostRecords: lost, numStateRows: statefulOperators.reduce(0) { $0 + $1.stateRows },
            numOutputRows: result.count, numOutOfRangeTimes: context.outOfRangeTimes)
        recentProgress.append(progress)
        if recentProgress.count > 100 { recentProgress.removeFirst() }
        return progress
    }

    /// Spark's global watermark over several streams is the least of theirs (its default
    /// `multipleWatermarkPolicy`); a stream that has shown no event time yet does not hold it back.
    private func advanceWatermark() {
        var candidate: Int64?
        for scan in scans {
            for (b, branch) in scan.branches.enumerated() {
                guard let (_, delay) = branch.watermark, scan.maxEventTime[b] != .min else { continue }
                // An event time within `delay` of the 64-bit minimum cannot move the watermark
                // (which starts at the epoch), so an overflowing difference is simply no move.
                let (moved, overflow) = scan.maxEventTime[b].subtractingReportingOverflow(delay)
                guard !overflow else { continue }
                candidate = min(candidate ?? moved, moved)
            }
        }
        if let candidate, candidate > watermark {
            watermark = candidate
            watermarkMoved = true
        }
    }

    public func stop() {
        for source in sources { source.close() }
        // The last batch's commit reaches the disk before the location is let go.
        if let checkpoint { try? settle(checkpoint) }
        for sink in sinks { try? sink.close() }
        checkpoint?.location.release()
    }

    static func wallClockMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}
