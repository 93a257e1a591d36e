/// The sessions of a `session_window` aggregation: one group per (keys, session start), its
/// aggregate states, and its end.
///
/// A batch is folded in as Spark's session operators do: rows sorted by key and event time
/// split into sessions wherever the next event is more than `gap` after the session's end
/// (an event at exactly end merges, as in Spark's MergingSessionsIterator), pre-aggregated
/// per session; then each key's new sessions and the stored ones that overlap them merge,
/// their aggregate states merged (``AggregateState/merge(_:into:)``) in order of session
/// start, so first/last follow Spark's order. Raw rows are never kept.
struct SessionWindowState: Sendable {
    let keys: [BoundExpression]
    let aggregates: [AggregateSpec]
    let session: SessionWindowKey
    /// Keyed by `keys`, with key `session.key` holding the session's start.
    var groups: HashAggregation
    /// Each group's session end (last event + gap), by group id.
    var ends: [Int64] = []

    init(keys: [BoundExpression], aggregates: [AggregateSpec], session: SessionWindowKey) {
        self.keys = keys
        self.aggregates = aggregates
        self.session = session
        groups = HashAggregation(keys: keys, aggregates: aggregates)
    }

    var count: Int { groups.groupCount }

    /// The keys other than the session.
    private var userKeys: [Int] { keys.indices.filter { $0 != session.key } }

    /// Folds `batch` in. Rows with a NULL event time have no session (Spark filters them);
    /// rows whose session end would pass the 64-bit range are `outOfRange`; rows whose own
    /// session `[t, t + gap)` ends at or before `lateBefore` are `late` (Spark's watermark
    /// predicate on the session's end).
    mutating func add(_ batch: Batch, lateBefore: Int64?) -> (late: Int, outOfRange: Int) {
        let count = batch.count
        guard count > 0 else { return (0, 0) }
        let timeColumn = Evaluator.evaluate(keys[session.key], on: batch)
        guard case .int64(let allTimes) = timeColumn.data else { return (0, 0) }
        let gap = session.gapMicros
        var late = 0, outOfRange = 0
        var rows: [Int] = []
        rows.reserveCapacity(count)
        for row in 0..<min(count, allTimes.count) where !timeColumn.isNull(row) {
            let (end, overflow) = allTimes[row].addingReportingOverflow(gap)
            if overflow { outOfRange += 1; continue }
            if let lateBefore, end <= lateBefore { late += 1; continue }
            rows.append(row)
        }
        guard !rows.isEmpty else { return (late, outOfRange) }
        let kept = rows.count == count ? batch : Batch(schema: batch.schema, columns: batch.columns.map { $0.gather(rows) })
        let times = rows.map { allTimes[$0] }
        let userKeys = self.userKeys
        var users = GroupTable(keyTypes: userKeys.map { keys[$0].type })
        let userIDs = users.groupIDs(userKeys.map { Evaluator.evaluate(keys[$0], on: kept) }, count: kept.count)

        // Sessions of this batch alone: sort by (key, time), arrival order among ties.
        var order = Array(0..<kept.count)
        order.sort { a, b in
            userIDs[a] != userIDs[b] ? userIDs[a] < userIDs[b] : times[a] != times[b] ? times[a] < times[b] : a < b
        }
        var rowStarts = [Int64](repeating: 0, count: order.count)
        var batchSessions: [Interval] = []
        for (position, row) in order.enumerated() {
            let time = times[row], user = userIDs[row]
            if let last = batchSessions.last, last.user == user, time <= last.end {
                // Sorted by time: this event's end is the latest yet (no overflow: checked above).
                batchSessions[batchSessions.count - 1].end = time &+ gap
            } else {
                batchSessions.append(Interval(user: user, start: time, end: time &+ gap, source: -(batchSessions.count + 1)))
            }
            rowStarts[position] = batchSessions[batchSessions.count - 1].start
        }
        // Pre-aggregate per session: group by the keys with the session's start in place of
        // the event time. Rows go in sorted, so group j is batch session j.
        let startColumn = kept.columns.count
        var partialKeys = keys
        partialKeys[session.key] = .column(startColumn, .timestamp)
        var partial = HashAggregation(keys: partialKeys, aggregates: aggregates)
        partial.add(Batch(schema: Schema(kept.schema.fields + [.init(name: "#sessionStart", type: .timestamp)]),
                          columns: kept.columns.map { $0.gather(order) } + [Column(type: .timestamp, data: .int64(rowStarts))]))
        merge(partial, batchSessions, users: users)
        return (late, outOfRange)
    }

    /// One session, stored (`source` its group id) or of this batch (`source` -(j + 1) for
    /// the batch's session j); `user` is the batch's id of its keys.
    private struct Interval {
        var user: Int32
        var start: Int64
        var end: Int64
        var source: Int
    }

    /// Merges the batch's sessions with the stored sessions of the same keys that they
    /// overlap (or touch), and stores the result.
    private mutating func merge(_ partial: HashAggregation, _ batchSessions: [Interval], users: GroupTable) {
        let stored = groups.groupCount
        var intervals = batchSessions
        if stored > 0 {
            let storedKeys = groups.table.keyColumns(Array(0..<stored))
            let storedUsers = users.existingIDs(userKeys.map { storedKeys[$0] }, count: stored)
            if case .int64(let starts) = storedKeys[session.key].data {
                for id in 0..<stored {
                    guard let user = storedUsers[id] else { continue }
                    intervals.append(Interval(user: Int32(user), start: starts[id], end: ends[id], source: id))
                }
            }
        }
        // By key, then start; a stored session before a new one with the same start, so it
        // stays the target in place.
        intervals.sort { a, b in
            a.user != b.user ? a.user < b.user : a.start != b.start ? a.start < b.start : a.source > b.source
        }
        struct Target { var user: Int32; var start: Int64; var end: Int64; var sources: [Int] }
        var targets: [Target] = []
        var removed: [Int] = []
        var index = 0
        while index < intervals.count {
            let first = intervals[index]
            var end = first.end
            var run = [first.source]
            index += 1
            while index < intervals.count, intervals[index].user == first.user, intervals[index].start <= end {
                end = max(end, intervals[index].end)
                run.append(intervals[index].source)
                index += 1
            }
            if run.count == 1 && first.source >= 0 { continue }  // a stored session nothing touched
            // A stored first session is the target in place (its key is the merged key);
            // the other stored ones leave under their old start.
            let inPlace = first.source >= 0
            for source in run.dropFirst(inPlace ? 1 : 0) where source >= 0 { removed.append(source) }
            targets.append(Target(user: first.user, start: first.start, end: end, sources: Array(run.dropFirst(inPlace ? 1 : 0))))
        }
        guard !targets.isEmpty else { return }

        // The states to merge, stored and new, in one pool per aggregate: removed stored
        // sessions first, then the batch's sessions.
        removed.sort()
        let poolIndex = Dictionary(uniqueKeysWithValues: removed.enumerated().map { ($1, $0) })
        let poolSize = removed.count + partial.groupCount
        var pools: [AggregateState] = []
        for (a, spec) in aggregates.enumerated() {
            var pool = AggregateState(spec)
            pool.grow(to: poolSize)
            if !removed.isEmpty { pool.merge(groups.states[a].compacted(removed), into: removed.indices.map(Int32.init)) }
            pool.merge(partial.states[a], into: (0..<partial.groupCount).map { Int32(removed.count + $0) })
            pools.append(pool)
        }
        if !removed.isEmpty {
            let gone = Set(removed)
            let keep = (0..<stored).filter { !gone.contains($0) }
            groups.retain(keep)
            ends = keep.map { ends[$0] }
        }
        // Targets by key: found when stored in place, created otherwise.
        let userColumns = users.keyColumns(targets.map { Int($0.user) })
        let startColumn = Column(type: .timestamp, data: .int64(targets.map(\.start)))
        var keyColumns: [Column] = []
        var next = 0
        for k in keys.indices {
            if k == session.key { keyColumns.append(startColumn) } else { keyColumns.append(userColumns[next]); next += 1 }
        }
        let ids = groups.table.groupIDs(keyColumns, count: targets.count)
        for a in groups.states.indices { groups.states[a].grow(to: groups.table.count) }
        ends += repeatElement(0, count: groups.table.count - ends.count)
        for (t, id) in ids.enumerated() { ends[Int(id)] = targets[t].end }
        // In rounds, the r-th source of every target at once: each target takes its sources
        // in order of start.
        // Targets with the most sources first: round r visits only those with more than r,
        // so the rounds cost the sources' count in all, however long one merge chain is.
        let longestFirst = targets.indices.sorted { targets[$0].sources.count > targets[$1].sources.count }
        let rounds = longestFirst.first.map { targets[$0].sources.count } ?? 0
        for round in 0..<rounds {
            var from: [Int] = [], into: [Int32] = []
            for t in longestFirst {
                let target = targets[t]
                guard target.sources.count > round else { break }
                let source = target.sources[round]
                from.append(source >= 0 ? poolIndex[source]! : removed.count + (-source - 1))
                into.append(ids[t])
            }
            for a in groups.states.indices { groups.states[a].merge(pools[a].compacted(from), into: into) }
        }
    }

    /// Sessions whose end is at or before `watermark` (none before the watermark moves).
    func closed(before watermark: Int64) -> [Int] {
        guard watermark > 0 else { return [] }
        return ends.indices.filter { ends[$0] <= watermark }
    }

    /// Key columns (the session's start at the session key), aggregate columns, then the end.
    func rows(_ ids: [Int]) -> [Column] {
        groups.groups(ids) + [Column(type: .timestamp, data: .int64(ids.map { ends[$0] }))]
    }

    /// Drops every session not in `keep` (emitted, final).
    mutating func retain(_ keep: [Int]) {
        guard keep.count < ends.count else { return }
        groups.retain(keep)
        ends = keep.map { ends[$0] }
    }

    // MARK: Snapshot

    /// What the state means: the aggregation's signature and the session's key and gap.
    static func signature(keys: [BoundExpression], aggregates: [AggregateSpec], session: SessionWindowKey, columnNames: [String]) -> String {
        HashAggregation.signature(keys: keys, aggregates: aggregates, columnNames: columnNames)
            + " SESSION key \(session.key) gap \(session.gapMicros)"
    }

    /// The groups and their states (as an aggregation's snapshot), then every session's end.
    func bytes(columnNames: [String]) -> [UInt8] {
        var out = SnapshotWriter()
        out.blob(groups.snapshot(columnNames: columnNames).groupState)
        out.int(ends.count)
        for end in ends { out.i64(end) }
        return out.bytes
    }

    init(restoring bytes: [UInt8], keys: [BoundExpression], aggregates: [AggregateSpec], session: SessionWindowKey,
         columnNames: [String]) throws(SnapshotError) {
        self.init(keys: keys, aggregates: aggregates, session: session)
        var reader = SnapshotReader(bytes)
        var snapshot = StateSnapshot()
        snapshot.planSignature = HashAggregation.signature(keys: keys, aggregates: aggregates, columnNames: columnNames)
        snapshot.groupState = Array(try reader.blob("session groups"))
        groups = try HashAggregation(restoring: snapshot, keys: keys, aggregates: aggregates, columnNames: columnNames)
        let count = try reader.count("session ends", unit: 8)
        guard count == groups.groupCount else { throw .corrupt("\(count) session ends for \(groups.groupCount) sessions") }
        ends = []
        ends.reserveCapacity(count)
        for _ in 0..<count { ends.append(try reader.i64("session end")) }
        guard reader.remaining == 0 else { throw .corrupt("\(reader.remaining) unexpected bytes after the session ends") }
    }
}
