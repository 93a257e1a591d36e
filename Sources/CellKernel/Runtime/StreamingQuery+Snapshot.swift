extension StreamingQuery {
    /// The query's state between micro-batches: source offsets, batch id, watermark and the
    /// state of every stateful operator. Restoring it into a fresh query of the same view
    /// (``restore(from:)``) continues exactly where this one stands: the next batch reads what
    /// this one would have read next and folds it into the same groups.
    ///
    /// Call between batches (not while ``runBatch()`` runs; the query is single-threaded).
    public func snapshot() -> StateSnapshot {
        snapshot(withOperatorStates: true)
    }

    /// The snapshot, without encoding the operators' state when a checkpoint saves deltas instead.
    func snapshot(withOperatorStates: Bool) -> StateSnapshot {
        var snapshot = StateSnapshot()
        if withOperatorStates {
            snapshot.operatorStates = statefulOperators.map { .init(signature: $0.stateSignature, bytes: $0.stateBytes) }
        }
        snapshot.nextBatchId = nextBatchId
        snapshot.watermark = watermark
        snapshot.maxEventTime = scans.flatMap(\.maxEventTime).max() ?? .min
        snapshot.eventTimes = scans.flatMap(\.maxEventTime)
        snapshot.watermarkMoved = watermarkMoved
        snapshot.offsets = Self.offsets(sources.map(\.offsets))
        return snapshot
    }

    /// Replaces this query's state with `snapshot`'s, and moves its sources to the snapshot's
    /// offsets. Use on a query that has not run yet.
    ///
    /// Throws ``SnapshotError`` when the snapshot is of another query (other operators, keys,
    /// aggregates or window) or its state does not decode, and ``SourceError`` when a source
    /// cannot seek to the offsets. Nothing changes when it throws.
    public func restore(from snapshot: StateSnapshot) throws {
        let operators = statefulOperators
        switch (operators.isEmpty, snapshot.operatorStates.first) {
        case (true, let found?):
            throw SnapshotError.incompatible("the snapshot has aggregation state (\(found.signature)); this query does not aggregate")
        case (false, nil):
            throw SnapshotError.incompatible("the snapshot holds no aggregation state")
        default:
            break
        }
        guard operators.count == snapshot.operatorStates.count else {
            throw SnapshotError.incompatible("the snapshot has \(snapshot.operatorStates.count) stateful operators; this query has \(operators.count)")
        }
        for (op, saved) in zip(operators, snapshot.operatorStates) where op.stateSignature != saved.signature {
            throw SnapshotError.incompatible("the snapshot has \(saved.signature); this query has \(op.stateSignature)")
        }
        // Decode everything before changing anything.
        let backups = operators.map(\.stateBytes)
        do {
            for (op, saved) in zip(operators, snapshot.operatorStates) { try op.restoreState(saved.bytes) }
            let split = Self.split(snapshot.offsets, count: sources.count)
            for (source, offsets) in zip(sources, split) { try source.resume(from: offsets) }
        } catch {
            for (op, bytes) in zip(operators, backups) { try? op.restoreState(bytes) }
            throw error
        }
        restoreClock(from: snapshot)
    }

    /// The batch id, the watermark and each stream's event time, from a snapshot.
    func restoreClock(from snapshot: StateSnapshot) {
        nextBatchId = snapshot.nextBatchId
        watermark = snapshot.watermark
        var times = snapshot.eventTimes
        if times.isEmpty { times = [snapshot.maxEventTime] }
        var index = 0
        for scan in scans {
            let count = scan.maxEventTime.count
            if index + count <= times.count { scan.restoreEventTimes(Array(times[index..<index + count])) }
            index += count
        }
        watermarkMoved = snapshot.watermarkMoved
    }

    /// One source's offsets as they are; several sources' with `#i ` before each name, so
    /// two scans of one topic keep theirs apart.
    static func offsets(_ all: [SourceOffsets]) -> SourceOffsets {
        guard all.count > 1 else { return all.first ?? SourceOffsets() }
        var merged = SourceOffsets()
        for (i, offsets) in all.enumerated() {
            for (name, offset) in offsets.next { merged.next["#\(i) \(name)"] = offset }
        }
        return merged
    }

    static func split(_ offsets: SourceOffsets, count: Int) -> [SourceOffsets] {
        guard count > 1 else { return [offsets] }
        var parts = Array(repeating: SourceOffsets(), count: count)
        for (name, offset) in offsets.next {
            guard name.hasPrefix("#"), let space = name.firstIndex(of: " "),
                  let i = Int(name[name.index(after: name.startIndex)..<space]), i < count else { continue }
            parts[i].next[String(name[name.index(after: space)...])] = offset
        }
        return parts
    }
}
