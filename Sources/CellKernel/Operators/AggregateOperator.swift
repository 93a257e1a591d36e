/// GROUP BY as a stateful operator: folds each batch's rows into its groups and emits them
/// per output mode; with a watermark on a window key, closed windows are emitted (append) or
/// dropped from the state (update) once final.
///
/// Fed either by its input operator (an aggregation over an aggregation's output, which
/// Spark allows only in append mode) or, inside a fused scan, by partial aggregations that
/// the scan's threads built and ``merge(_:)`` folds in.
final class AggregateOperator: BatchOperator, StatefulOperator {
    let aggregation: Aggregation
    private(set) var state: HashAggregation
    let input: (any BatchOperator)?
    let schema: Schema
    /// The input's column names, which the state's signature speaks of.
    let inputNames: [String]
    /// Groups are final once the watermark passes their window: not in complete mode, which
    /// keeps and shows every group for ever.
    let closesWindows: Bool

    init(_ aggregation: Aggregation, schema: Schema, inputSchema: Schema, input: (any BatchOperator)?, mode: OutputMode) {
        self.aggregation = aggregation
        self.schema = schema
        self.input = input
        inputNames = inputSchema.fields.map(\.name)
        state = HashAggregation(keys: aggregation.keys, aggregates: aggregation.aggregates)
        // Only update mode emits the groups a batch touched.
        state.tracksTouched = mode == .update
        closesWindows = mode != .complete && aggregation.usesWatermark && aggregation.window != nil
    }

    var inputs: [any BatchOperator] { input.map { [$0] } ?? [] }

    /// A partial aggregation of the same keys and aggregates, for one thread of a fused scan.
    func partial() -> HashAggregation {
        var partial = HashAggregation(keys: aggregation.keys, aggregates: aggregation.aggregates)
        partial.tracksTouched = false
        return partial
    }

    func beginBatch() { state.beginBatch() }

    func merge(_ partial: HashAggregation) { state.merge(partial) }

    func next(_ context: inout BatchContext) throws -> Batch {
        if let input {
            state.beginBatch()
            state.add(try input.next(&context))
        }
        return emit(context)
    }

    /// This batch's result rows (keys then aggregates), per output mode; closed windows
    /// leave the state once emitted.
    func emit(_ context: BatchContext) -> Batch {
        let closed = closesWindows ? closedWindows(before: context.watermark) : []
        let rows: [Column]
        switch context.mode {
        case .complete: rows = state.allGroups()
        case .update: rows = state.touchedGroups()
        case .append: rows = state.groups(closed)
        }
        if !closed.isEmpty {
            let closedSet = Set(closed)
            state.retain((0..<state.groupCount).filter { !closedSet.contains($0) })
        }
        return Batch(schema: schema, columns: rows)
    }

    /// Groups whose window ends at or before `watermark`.
    private func closedWindows(before watermark: Int64) -> [Int] {
        guard let window = aggregation.window, watermark > 0 else { return [] }
        guard case .int64(let starts) = state.keyValues(window.key).data else { return [] }
        return starts.indices.filter { starts[$0] &+ window.sizeMicros <= watermark }
    }

    var explainLine: String {
        let text = { (e: BoundExpression) in e.sqlText(columns: self.inputNames) }
        let aggregates = aggregation.aggregates.map { $0.sqlText(columns: inputNames) }
        let closing = closesWindows ? ", windows close at the watermark" : ""
        return "HashAggregate keys [\(aggregation.keys.map(text).joined(separator: ", "))] aggregates [\(aggregates.joined(separator: ", "))]\(closing)"
    }

    // MARK: State

    var stateSignature: String {
        let text = HashAggregation.signature(keys: aggregation.keys, aggregates: aggregation.aggregates, columnNames: inputNames)
        guard let window = aggregation.window else { return text }
        return text + " WINDOW key \(window.key) size \(window.sizeMicros)"
    }

    var stateBytes: [UInt8] { state.snapshot(columnNames: inputNames).groupState }

    // The groups are a value: the next batch's lanes fill partials meanwhile, and by the time
    // its merge changes the state, the checkpoint's writer has long let go of this copy.
    var stateEncoding: @Sendable () -> [UInt8] {
        var groups = state
        // Not in a snapshot, and the log starts over after it: the copy leaves it to the state.
        groups.changes = ChangeLog()
        let taken = groups, names = inputNames
        return { taken.snapshot(columnNames: names).groupState }
    }

    func restoreState(_ bytes: [UInt8]) throws {
        var snapshot = StateSnapshot()
        snapshot.planSignature = HashAggregation.signature(keys: aggregation.keys, aggregates: aggregation.aggregates, columnNames: inputNames)
        snapshot.groupState = bytes
        state = try HashAggregation(restoring: snapshot, keys: aggregation.keys, aggregates: aggregation.aggregates,
                                    columnNames: inputNames)
        // The restored state is a checkpoint's: the next delta is counted from it.
        state.markCheckpointed()
    }

    // Incremental checkpoints: the groups changed or removed since the last checkpoint
    // (HashAggregation+Delta.swift). The groups and their aggregate states are the whole of
    // this operator's state (the watermark and the event times it follows are the query's,
    // saved with the offsets), so a full snapshot and its deltas are the state exactly.

    var stateDelta: [UInt8]? { state.delta(signature: stateSignature) }
    var changedShare: Double? {
        state.changes.isOn ? Double(state.changes.changedIDs.count) / Double(max(1, state.groupCount)) : nil
    }

    func applyStateDelta(_ bytes: [UInt8]) throws {
        try state.applyDelta(bytes, signature: stateSignature)
    }

    func markCheckpointed() { state.markCheckpointed() }

    var estimatedStateBytes: Int { state.estimatedStateBytes }
    var stateRows: Int { state.groupCount }
}
