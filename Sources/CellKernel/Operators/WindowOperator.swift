/// Event-time windows: the row expansion a window in GROUP BY needs.
enum WindowOperator {
    /// Copies each row into every window holding it, adding the window start as a last column.
    ///
    /// A row whose windows cannot be represented (an event time so close to the ends of the
    /// 64-bit range that a window's start or end would overflow) has no window, like a NULL
    /// time: it leaves the windowed aggregate and is counted in `outOfRange`.
    static func assign(_ batch: Batch, _ window: WindowSpec) -> (batch: Batch, outOfRange: Int) {
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

    /// Rows whose window (starting at column `key` of `aggregation`'s input, of `size`) is
    /// still open at `watermark`: the others are late. Window ends fit in 64 bits (see
    /// ``assign(_:_:)``).
    static func droppingClosed(_ batch: Batch, start: BoundExpression, size: Int64, watermark: Int64) -> (batch: Batch, late: Int) {
        let starts = Evaluator.evaluate(start, on: batch)
        guard case .int64(let values) = starts.data else { return (batch, 0) }
        let keep = values.indices.filter { starts.isNull($0) || values[$0] &+ size > watermark }
        guard keep.count != batch.count else { return (batch, 0) }
        return (Batch(schema: batch.schema, columns: batch.columns.map { $0.gather(keep) }), batch.count - keep.count)
    }
}
