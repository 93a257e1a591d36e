/// GROUP BY with `session_window(time, gap)`: per key, sessions of events no more than `gap`
/// apart, aggregated as they merge (SessionWindowOperator+State.swift).
///
/// In append mode a session is emitted once, when the watermark passes its end, and then
/// leaves the state; rows whose own session would already be closed are late (dropped and
/// counted as the engine counts late rows). In complete mode every session is emitted each
/// batch and kept for ever. Update mode is refused by the output-mode rules, as Spark
/// refuses it (SPARK-36463: a session's key, its start, changes as sessions merge, so rows
/// cannot be upserted).
final class SessionWindowOperator: BatchOperator, StatefulOperator {
    let aggregation: Aggregation
    let session: SessionWindowKey
    let input: any BatchOperator
    let schema: Schema
    /// The input's column names, which the state's signature speaks of.
    let inputNames: [String]
    /// Sessions are final once the watermark passes their end: not in complete mode.
    let closesSessions: Bool
    private(set) var state: SessionWindowState

    init(_ aggregation: Aggregation, session: SessionWindowKey, schema: Schema, inputSchema: Schema, input: any BatchOperator, mode: OutputMode) {
        self.aggregation = aggregation
        self.session = session
        self.schema = schema
        self.input = input
        inputNames = inputSchema.fields.map(\.name)
        closesSessions = mode != .complete && aggregation.usesWatermark
        state = SessionWindowState(keys: aggregation.keys, aggregates: aggregation.aggregates, session: session)
    }

    var inputs: [any BatchOperator] { [input] }

    func next(_ context: inout BatchContext) throws -> Batch {
        let batch = try input.next(&context)
        let lateBefore = closesSessions && context.watermark > 0 ? context.watermark : nil
        let (late, outOfRange) = state.add(batch, lateBefore: lateBefore)
        context.lateRows += late
        context.outOfRangeTimes += outOfRange
        guard closesSessions else {
            return Batch(schema: schema, columns: state.rows(Array(0..<state.count)))
        }
        let closed = state.closed(before: context.watermark)
        let rows = state.rows(closed)
        if !closed.isEmpty {
            let gone = Set(closed)
            state.retain((0..<state.count).filter { !gone.contains($0) })
        }
        return Batch(schema: schema, columns: rows)
    }

    var explainLine: String {
        let text = { (e: BoundExpression) in e.sqlText(columns: self.inputNames) }
        let keys = aggregation.keys.enumerated().map { index, key in
            index == session.key ? "session_window(\(text(key)), \(describeInterval(session.gapMicros)))" : text(key)
        }
        let aggregates = aggregation.aggregates.map { $0.sqlText(columns: inputNames) }
        let closing = closesSessions ? ", sessions close at the watermark" : ""
        return "SessionWindowAggregate keys [\(keys.joined(separator: ", "))] aggregates [\(aggregates.joined(separator: ", "))]\(closing)"
    }

    // MARK: State

    var stateSignature: String {
        SessionWindowState.signature(keys: aggregation.keys, aggregates: aggregation.aggregates, session: session, columnNames: inputNames)
    }

    var stateBytes: [UInt8] { state.bytes(columnNames: inputNames) }

    func restoreState(_ bytes: [UInt8]) throws {
        state = try SessionWindowState(restoring: bytes, keys: aggregation.keys, aggregates: aggregation.aggregates,
                                       session: session, columnNames: inputNames)
    }

    var estimatedStateBytes: Int { state.groups.estimatedStateBytes + state.ends.count * 8 }
    var stateRows: Int { state.count }
}
