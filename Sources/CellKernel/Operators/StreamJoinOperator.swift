/// A join of two streams (inner, left outer, right outer), as Spark 3.5's
/// `StreamingSymmetricHashJoinExec` runs it in append mode.
///
/// Each side buffers its rows (``StreamJoinSide``). Per batch: the left's new rows probe the
/// right's buffered rows, then the right's new rows probe every left row, the left's new ones
/// included, so each pair of rows meets exactly once. Rows leave the state when the watermark
/// shows no future row of the other side can match them (the join's ``JoinTimeRange``); a
/// preserved side's row that never matched is then emitted once, with NULLs for the other side.
///
/// Late rows, at or before the previous batch's watermark (Spark 3.5's watermark "for late
/// events"), are dropped before they join; eviction uses this batch's watermark (Spark's "for
/// eviction").
final class StreamJoinOperator: BatchOperator, StatefulOperator {
    let left: any BatchOperator
    let right: any BatchOperator
    let spec: JoinSpec
    let schema: Schema
    private(set) var leftState: StreamJoinSide
    private(set) var rightState: StreamJoinSide
    /// The watermark the previous batch ran with: rows at or before it are late.
    private(set) var previousWatermark: Int64 = 0
    /// The watermark of the last eviction pass: a batch with neither new rows nor a new
    /// watermark has nothing to do.
    private var evictedAt: Int64?

    init(left: any BatchOperator, right: any BatchOperator, spec: JoinSpec, schema: Schema) {
        self.left = left
        self.right = right
        self.spec = spec
        self.schema = schema
        leftState = StreamJoinSide(types: left.schema.fields.map(\.type), keyTypes: spec.leftKeys.map(\.type))
        rightState = StreamJoinSide(types: right.schema.fields.map(\.type), keyTypes: spec.rightKeys.map(\.type))
    }

    var inputs: [any BatchOperator] { [left, right] }

    /// Whether a batch without new rows can still emit or evict: only with a time range, when
    /// the watermark moved (Spark runs such a no-data batch for a join too).
    var evictsByWatermark: Bool { spec.timeRange != nil }

    private var keepsLeftUnmatched: Bool { spec.kind == .leftOuter }
    private var keepsRightUnmatched: Bool { spec.kind == .rightOuter }

    func next(_ context: inout BatchContext) throws -> Batch {
        let leftBatch = try left.next(&context)
        let rightBatch = try right.next(&context)
        let watermark = context.watermark
        defer { previousWatermark = max(previousWatermark, watermark) }
        if leftBatch.count == 0 && rightBatch.count == 0 && evictedAt == watermark {
            return Batch(empty: schema)
        }
        let late = previousWatermark > 0 ? previousWatermark : nil
        let (newLeft, leftLate) = admit(leftBatch, keys: spec.leftKeys, timeColumn: spec.timeRange?.leftColumn,
                                        late: late, storeNullKeys: keepsLeftUnmatched)
        let (newRight, rightLate) = admit(rightBatch, keys: spec.rightKeys, timeColumn: spec.timeRange?.rightColumn,
                                          late: late, storeNullKeys: keepsRightUnmatched)
        context.lateRows += leftLate + rightLate

        // Both sides' new rows enter the state first; then the left's new rows probe the right's
        // older rows, and the right's new rows probe all left rows: each pair exactly once.
        // Deliberately unlike Spark 3.5, a new row already past its side's state watermark
        // (when the watermark moved by more than the range since the one for late rows) still
        // enters and joins, and an unmatched one comes out as an outer row when it is evicted
        // below: Spark does not store it, so it meets none of the other side's new rows and is
        // never emitted (StreamJoinOracleTests shows the one batch where the two differ).
        let leftBase = leftState.count, rightBase = rightState.count
        leftState.append(columns: newLeft.columns, keys: newLeft.keys, times: newLeft.times)
        rightState.append(columns: newRight.columns, keys: newRight.keys, times: newRight.times)
        var pairLeft: [Int] = [], pairRight: [Int] = []
        let (leftHashes, leftValid) = StreamJoinSide.hash(newLeft.keys, count: newLeft.times.count)
        for i in 0..<newLeft.times.count where leftValid[i] {
            rightState.forEachMatch(of: newLeft.keys, row: i, hash: leftHashes[i], below: rightBase) { r in
                if inRange(left: newLeft.times[i], right: rightState.times[r]) { pairLeft.append(leftBase + i); pairRight.append(r) }
            }
        }
        let (rightHashes, rightValid) = StreamJoinSide.hash(newRight.keys, count: newRight.times.count)
        for i in 0..<newRight.times.count where rightValid[i] {
            leftState.forEachMatch(of: newRight.keys, row: i, hash: rightHashes[i], below: leftState.count) { l in
                if inRange(left: leftState.times[l], right: newRight.times[i]) { pairLeft.append(l); pairRight.append(rightBase + i) }
            }
        }
        var output = joinedRows(pairLeft, pairRight)

        if let range = spec.timeRange, watermark > 0 {
            // A left row at tl meets only right rows at tl + lower ... tl + upper; every future
            // right row is after the watermark, so once tl + upper <= watermark nothing can
            // match it any more. Symmetrically a right row at tr, once tr - lower <= watermark.
            let leftEvicted = leftState.evict(keepUnmatched: keepsLeftUnmatched) { t in
                range.upperMicros != .max && t <= watermark.subtractingSaturating(range.upperMicros)
            }
            let rightEvicted = rightState.evict(keepUnmatched: keepsRightUnmatched) { t in
                range.lowerMicros != .min && t <= watermark.addingSaturating(range.lowerMicros)
            }
            if keepsLeftUnmatched { append(outer: leftEvicted.unmatched, leftSide: true, to: &output) }
            if keepsRightUnmatched { append(outer: rightEvicted.unmatched, leftSide: false, to: &output) }
        }
        evictedAt = watermark
        return Batch(schema: schema, columns: output)
    }

    /// Replaces the state with a checkpoint's (StreamJoin+State.swift).
    func restore(left: StreamJoinSide, right: StreamJoinSide, previousWatermark: Int64) {
        leftState = left
        rightState = right
        self.previousWatermark = previousWatermark
        evictedAt = nil
    }

    /// Whether two event times are within the join's range (always, without one).
    @inline(__always)
    private func inRange(left tl: Int64, right tr: Int64) -> Bool {
        guard let range = spec.timeRange else { return true }
        let (difference, overflow) = tr.subtractingReportingOverflow(tl)
        if overflow { return (tr > tl && range.upperMicros == .max) || (tr < tl && range.lowerMicros == .min) }
        return range.lowerMicros <= difference && difference <= range.upperMicros
    }

    /// The rows of a side's batch that join: not late, with an event time when the join has a
    /// time range, and (unless the side is preserved by an outer join) with non-NULL keys.
    private func admit(_ batch: Batch, keys: [BoundExpression], timeColumn: Int?, late: Int64?,
                       storeNullKeys: Bool) -> (rows: (columns: [Column], keys: [Column], times: [Int64]), late: Int) {
        let keyColumns = keys.map { Evaluator.evaluate($0, on: batch) }
        var keep: [Int] = []
        keep.reserveCapacity(batch.count)
        var times: [Int64] = []
        var lateCount = 0
        let (_, keyValid) = storeNullKeys ? ([], []) : StreamJoinSide.hash(keyColumns, count: batch.count)
        let timeValues: [Int64]
        let time = timeColumn.map { batch.columns[$0] }
        if let time, case .int64(let v) = time.data { timeValues = v } else { timeValues = [] }
        for row in 0..<batch.count {
            var t: Int64 = 0
            if let time {
                // A row without an event time can match no row of a time-bounded join; Spark
                // keeps it in the state for ever and never emits it: we drop it at once instead
                // (the same output, without the leak).
                guard !time.isNull(row), row < timeValues.count else { continue }
                t = timeValues[row]
                if let late, t <= late { lateCount += 1; continue }
            }
            if !storeNullKeys && !keyValid[row] { continue }
            keep.append(row)
            times.append(t)
        }
        if keep.count == batch.count { return ((batch.columns, keyColumns, times), lateCount) }
        return ((batch.columns.map { $0.gather(keep) }, keyColumns.map { $0.gather(keep) }, times), lateCount)
    }

    /// The joined pairs that pass the rest of the ON condition (their rows are marked matched),
    /// as output columns: the left's then the right's.
    private func joinedRows(_ pairLeft: [Int], _ pairRight: [Int]) -> [Column] {
        var columns = leftState.columns.map { $0.gather(pairLeft) } + rightState.columns.map { $0.gather(pairRight) }
        var kept = Array(pairLeft.indices)
        if let condition = spec.condition, !pairLeft.isEmpty {
            let mask = Evaluator.evaluate(condition, columns: columns, count: pairLeft.count)
            if case .bool(let truth) = mask.data {
                kept = pairLeft.indices.filter { $0 < truth.count && truth[$0] && !mask.isNull($0) }
            } else {
                kept = []
            }
            if kept.count != pairLeft.count { columns = columns.map { $0.gather(kept) } }
        }
        for p in kept {
            leftState.matched[pairLeft[p]] = true
            rightState.matched[pairRight[p]] = true
        }
        // Output types are the schema's (the planner's); the columns carry the inputs' types.
        for i in columns.indices where i < schema.fields.count { columns[i].type = schema.fields[i].type }
        return columns
    }

    /// Appends a preserved side's unmatched rows, with NULLs for the other side's columns.
    private func append(outer rows: [Column], leftSide: Bool, to output: inout [Column]) {
        guard let count = rows.first?.count, count > 0 else { return }
        let leftWidth = left.schema.fields.count
        for i in output.indices {
            let fromRows = leftSide ? (i < leftWidth ? i : nil) : (i >= leftWidth ? i - leftWidth : nil)
            if let fromRows, fromRows < rows.count {
                output[i].append(contentsOf: rows[fromRows])
            } else {
                output[i].append(contentsOf: Column(repeating: .null, type: output[i].type, count: count))
            }
        }
    }

    var explainLine: String {
        let leftNames = left.schema.fields.map(\.name), rightNames = right.schema.fields.map(\.name)
        let keys = zip(spec.leftKeys, spec.rightKeys).map { "\($0.sqlText(columns: leftNames)) = \($1.sqlText(columns: rightNames))" }
        var line = "StreamingSymmetricHashJoin \(spec.kind.rawValue) [\(keys.joined(separator: ", "))]"
        if let condition = spec.condition { line += " condition \(condition.sqlText(columns: leftNames + rightNames))" }
        if let range = spec.timeRange {
            let bound = { (v: Int64) in v == .min || v == .max ? "unbounded" : describeInterval(v) }
            line += ", \(rightNames[range.rightColumn]) - \(leftNames[range.leftColumn]) in [\(bound(range.lowerMicros)), \(bound(range.upperMicros))], state evicted at the watermark"
        }
        return line
    }
}

extension Int64 {
    func addingSaturating(_ other: Int64) -> Int64 {
        let (value, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : value
    }

    func subtractingSaturating(_ other: Int64) -> Int64 {
        let (value, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other > 0 ? .min : .max) : value
    }
}
