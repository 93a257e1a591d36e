extension Batch {
    /// The rows for which `predicate` is TRUE (not FALSE, not NULL), as SQL's WHERE keeps them.
    func filter(_ predicate: BoundExpression) -> Batch {
        let mask = Evaluator.evaluate(predicate, on: self)
        // The planner makes every condition BOOLEAN (a NULL-typed one is cast); anything else
        // keeps no row rather than trapping. A mask shorter than the batch keeps only its rows.
        guard case .bool(let keep) = mask.data else { return Batch(schema: schema, columns: columns.map { $0.gather([]) }) }
        var rows: [Int] = []
        rows.reserveCapacity(count)
        for i in 0..<min(count, keep.count) where keep[i] && !mask.isNull(i) { rows.append(i) }
        if rows.count == count { return self }
        return Batch(schema: schema, columns: columns.map { $0.gather(rows) })
    }
}

extension Column {
    /// The rows at `rows`, in that order.
    func gather(_ rows: [Int]) -> Column {
        let validity = self.validity.isEmpty ? [] : rows.map { self.validity[$0] }
        switch data {
        case .int64(let v): return Column(type: type, data: .int64(rows.map { v[$0] }), validity: validity)
        case .int128(let v): return Column(type: type, data: .int128(rows.map { v[$0] }), validity: validity)
        case .double(let v): return Column(type: type, data: .double(rows.map { v[$0] }), validity: validity)
        case .bool(let v): return Column(type: type, data: .bool(rows.map { v[$0] }), validity: validity)
        case .bytes(let v):
            var out = ByteVector(capacity: rows.count)
            v.bytes.withUnsafeBytes { all in
                for r in rows { out.append(UnsafeRawBufferPointer(rebasing: all[v.range(r)])) }
            }
            return Column(type: type, data: .bytes(out), validity: validity)
        }
    }
}
