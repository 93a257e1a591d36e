/// `FROM stream DEDUPLICATE [BY (columns)] [WITHIN WATERMARK]`: Spark's streaming
/// `dropDuplicates` / `dropDuplicatesWithinWatermark`. Each key's first row passes; later
/// rows with the same key, in the same batch or any later one, are dropped. NULLs in a key
/// equal NULLs (the keys are compared as GroupTable's encoded bytes, as Spark compares them).
///
/// The seen keys live in a ``HashAggregation`` keyed by the dedup columns, so they are hashed
/// as GROUP BY keys are (no object per row) and checkpointed, deltas included, as an
/// aggregation's groups are. Within a watermark it holds one aggregate, `min(event time)`,
/// over the single row each key ever adds: the key's first event time.
///
/// With a watermark on the input (Spark's rule for both operators): rows at or before the
/// watermark are late (dropped and counted); after the batch's rows, keys are evicted:
/// - WITHIN WATERMARK: once the watermark reaches the first event time + the delay
///   (Spark's `expiresAtMicros`, evicted when `watermark >= expiresAt`);
/// - plain, when the event-time column is one of the keys: once the watermark reaches the
///   key's event time (Spark's `removeKeysOlderThanWatermark`);
/// - otherwise never: the state grows with the distinct keys (as in Spark), and the
///   state-memory limit stops the query when it is too big.
final class DeduplicateOperator: BatchOperator, StatefulOperator {
    let spec: DeduplicateSpec
    let input: any BatchOperator
    /// The input's event-time column (a watermarked stream), if any.
    let eventTime: Int?
    /// The input's column names, which the explain line and the state's signature speak of.
    let inputNames: [String]
    private(set) var seen: HashAggregation

    init(_ spec: DeduplicateSpec, eventTime: Int?, input: any BatchOperator) {
        self.spec = spec
        self.input = input
        self.eventTime = eventTime
        inputNames = input.schema.fields.map(\.name)
        seen = HashAggregation(keys: Self.keyExpressions(spec, input.schema), aggregates: Self.aggregates(spec, eventTime))
    }

    var schema: Schema { input.schema }
    var inputs: [any BatchOperator] { [input] }

    private static func keyExpressions(_ spec: DeduplicateSpec, _ schema: Schema) -> [BoundExpression] {
        spec.keys.map { .column($0, schema.fields[$0].type) }
    }

    private static func aggregates(_ spec: DeduplicateSpec, _ eventTime: Int?) -> [AggregateSpec] {
        guard spec.withinWatermarkDelayMicros != nil, let eventTime else { return [] }
        return [AggregateSpec(.min, .column(eventTime, .timestamp))]
    }

    func next(_ context: inout BatchContext) throws -> Batch {
        let batch = try input.next(&context)
        let watermark = context.watermark
        var rows = Array(0..<batch.count)
        // Late rows: at or before the watermark (Spark's predicate; a NULL event time is not late).
        if let eventTime, watermark > 0, case .int64(let times) = batch.columns[eventTime].data {
            let column = batch.columns[eventTime]
            let before = rows.count
            rows.removeAll { !column.isNull($0) && times[$0] <= watermark }
            context.lateRows += before - rows.count
        }
        let candidates = rows.count == batch.count ? batch : Self.gather(batch, rows)
        let kept = firstOccurrences(candidates)
        let output = kept.count == candidates.count ? candidates : Self.gather(candidates, kept)
        seen.beginBatch()
        seen.add(output)
        if watermark > 0 { evict(before: watermark) }
        return output
    }

    /// The rows of `batch` whose key is neither in the state nor on an earlier row of the batch.
    private func firstOccurrences(_ batch: Batch) -> [Int] {
        let count = batch.count
        guard count > 0 else { return [] }
        let keyColumns = seen.keys.map { Evaluator.evaluate($0, on: batch) }
        // The batch's own duplicates first: a throwaway table over this batch's keys.
        var local = GroupTable(keyTypes: seen.keys.map(\.type))
        let ids = local.groupIDs(keyColumns, count: count)
        var firstSeen = [Bool](repeating: false, count: local.count)
        var firsts: [Int] = []
        for (row, id) in ids.enumerated() where !firstSeen[Int(id)] {
            firstSeen[Int(id)] = true
            firsts.append(row)
        }
        let firstKeys = firsts.count == count ? keyColumns : keyColumns.map { $0.gather(firsts) }
        let known = seen.table.existingIDs(firstKeys, count: firsts.count)
        return firsts.indices.compactMap { known[$0] == nil ? firsts[$0] : nil }
    }

    /// Drops the keys the watermark has passed (see the type's documentation).
    private func evict(before watermark: Int64) {
        guard seen.groupCount > 0, let eventTime else { return }
        var keep: [Int]
        if let delay = spec.withinWatermarkDelayMicros {
            let firstTimes = seen.states[0].result(Array(0..<seen.groupCount))
            guard case .int64(let times) = firstTimes.data else { return }
            // expiresAt = first event time + delay; saturating, so a time near Int64.max never
            // wraps into the past. A NULL first event time reads as 0, as Spark's state does.
            keep = (0..<seen.groupCount).filter { id in
                let time = firstTimes.isNull(id) ? 0 : times[id]
                let (expiresAt, overflow) = time.addingReportingOverflow(delay)
                return overflow ? delay > 0 : watermark < expiresAt
            }
        } else if let key = spec.keys.firstIndex(of: eventTime) {
            let times = seen.keyValues(key)
            guard case .int64(let values) = times.data else { return }
            // A NULL event time is never passed by the watermark (SQL's NULL <= w is not true).
            keep = (0..<seen.groupCount).filter { times.isNull($0) || values[$0] > watermark }
        } else {
            return
        }
        if keep.count < seen.groupCount { seen.retain(keep) }
    }

    private static func gather(_ batch: Batch, _ rows: [Int]) -> Batch {
        Batch(schema: batch.schema, columns: batch.columns.map { $0.gather(rows) })
    }

    var explainLine: String {
        let keys = spec.keys.map { inputNames[$0] }.joined(separator: ", ")
        let within = spec.withinWatermarkDelayMicros.map { " within watermark (keys expire \(describeInterval($0)) after their first event time)" } ?? ""
        return "Deduplicate [\(keys)]\(within)"
    }

    // MARK: State

    var stateSignature: String {
        let within = spec.withinWatermarkDelayMicros.map { " WITHIN WATERMARK delay \($0)" } ?? ""
        return "DEDUPLICATE " + HashAggregation.signature(keys: seen.keys, aggregates: seen.aggregates, columnNames: inputNames) + within
    }

    var stateBytes: [UInt8] { seen.snapshot(columnNames: inputNames).groupState }

    func restoreState(_ bytes: [UInt8]) throws {
        var snapshot = StateSnapshot()
        snapshot.planSignature = HashAggregation.signature(keys: seen.keys, aggregates: seen.aggregates, columnNames: inputNames)
        snapshot.groupState = bytes
        seen = try HashAggregation(restoring: snapshot, keys: seen.keys, aggregates: seen.aggregates, columnNames: inputNames)
        seen.markCheckpointed()
    }

    // The seen keys (and first event times) are the whole state: a full snapshot and its
    // deltas (HashAggregation+Delta.swift) rebuild it exactly.
    var stateDelta: [UInt8]? { seen.delta(signature: stateSignature) }
    var changedShare: Double? {
        seen.changes.isOn ? Double(seen.changes.changedIDs.count) / Double(max(1, seen.groupCount)) : nil
    }

    func applyStateDelta(_ bytes: [UInt8]) throws { try seen.applyDelta(bytes, signature: stateSignature) }
    func markCheckpointed() { seen.markCheckpointed() }

    var estimatedStateBytes: Int { seen.estimatedStateBytes }
    var stateRows: Int { seen.groupCount }
}
