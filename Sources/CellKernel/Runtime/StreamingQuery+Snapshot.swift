extension StreamingQuery {
    /// The query's state between micro-batches: source offsets, batch id, watermark and
    /// aggregation. Restoring it into a fresh query of the same view (``restore(from:)``)
    /// continues exactly where this one stands: the next batch reads what this one would
    /// have read next and folds it into the same groups.
    ///
    /// Call between batches (not while ``runBatch()`` runs; the query is single-threaded).
    public func snapshot() -> StateSnapshot {
        var snapshot = aggregation?.snapshot(columnNames: plan.stateColumnNames) ?? StateSnapshot()
        if aggregation != nil { snapshot.planSignature = plan.stateSignature }
        snapshot.nextBatchId = nextBatchId
        snapshot.watermark = watermark
        snapshot.maxEventTime = maxEventTime
        snapshot.watermarkMoved = watermarkMoved
        snapshot.offsets = source.offsets
        return snapshot
    }

    /// Replaces this query's state with `snapshot`'s, and moves its source to the snapshot's
    /// offsets. Use on a query that has not run yet.
    ///
    /// Throws ``SnapshotError`` when the snapshot is of another query (other keys, aggregates
    /// or window; or aggregation state where this query has none, or the reverse) or its
    /// state does not decode, and ``SourceError`` when the source cannot seek to the offsets.
    /// Nothing changes when it throws.
    public func restore(from snapshot: StateSnapshot) throws {
        var restored: HashAggregation?
        switch (plan.isAggregate, snapshot.planSignature) {
        case (true, _):
            restored = try HashAggregation(restoring: snapshot, keys: plan.keys, aggregates: plan.aggregates,
                                           signature: plan.stateSignature)
        case (false, let found?):
            throw SnapshotError.incompatible("the snapshot has aggregation state (\(found)); this query does not aggregate")
        case (false, nil):
            break
        }
        try source.resume(from: snapshot.offsets)
        aggregation = restored
        nextBatchId = snapshot.nextBatchId
        watermark = snapshot.watermark
        maxEventTime = snapshot.maxEventTime
        watermarkMoved = snapshot.watermarkMoved
    }
}

extension QueryPlan {
    /// Names of the columns keys and aggregates refer to: the scan's, then the window start.
    var stateColumnNames: [String] {
        scanColumns.map { stream.columns[$0].name } + (window == nil ? [] : ["window"])
    }

    /// The aggregation's signature plus the window, which decides what a window key means.
    var stateSignature: String {
        let aggregation = HashAggregation.signature(keys: keys, aggregates: aggregates, columnNames: stateColumnNames)
        guard let window else { return aggregation }
        return aggregation + " WINDOW size \(window.sizeMicros) slide \(window.slideMicros) start \(window.startMicros)"
    }
}
