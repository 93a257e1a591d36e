#if canImport(Glibc)
import Glibc
#endif

/// Incremental GROUP BY: folds each micro-batch into per-group state, never recomputing from
/// scratch, and reports all groups (complete mode) or those the last batch touched (update).
struct HashAggregation: Sendable {
    let keys: [BoundExpression]
    let aggregates: [AggregateSpec]
    // Module-visible so HashAggregation+Snapshot.swift can save and rebuild them.
    var table: GroupTable
    var states: [AggregateState]
    var touched: [Bool] = []
    var touchedIDs: [Int] = []
    /// What changed since the last checkpoint (HashAggregation+Delta.swift): kept only once
    /// a checkpoint or a restore gave a state to change from, so a partial aggregation or a
    /// query that never checkpoints pays nothing.
    var changes = ChangeLog()
    /// Whether ``touchedGroups()`` is kept: only update mode emits them, and a lane's partial
    /// aggregation has all its groups count as touched when it is merged. The change log
    /// does not depend on it.
    var tracksTouched = true

    init(keys: [BoundExpression], aggregates: [AggregateSpec]) {
        self.keys = keys
        self.aggregates = aggregates
        table = GroupTable(keyTypes: keys.map(\.type))
        states = aggregates.map(AggregateState.init)
        if keys.isEmpty {
            // A global aggregate is one row even over no input (count 0, the rest NULL), as
            // in SQL; its group exists before any row arrives.
            _ = table.groupIDs([], count: 0)
            for index in states.indices { states[index].grow(to: 1) }
            touched = [false]
        }
    }

    /// Number of groups held.
    var groupCount: Int { table.count }

    /// Folds `batch` in. The groups it touches are remembered until ``beginBatch()``.
    mutating func add(_ batch: Batch) {
        let count = batch.count
        guard count > 0 else { return }
        let keyColumns = keys.map { Evaluator.evaluate($0, on: batch) }
        let ids = table.groupIDs(keyColumns, count: count)
        markTouched(ids)
        for index in states.indices {
            states[index].grow(to: table.count)
            let input = aggregates[index].argument.map { Evaluator.evaluate($0, on: batch) }
            let ordering = aggregates[index].ordering.map { Evaluator.evaluate($0, on: batch) }
            states[index].update(ids, input, ordering: ordering)
        }
    }

    /// Folds in a partial aggregation of the same query (another thread's share of the
    /// batch); its groups count as touched by this batch.
    mutating func merge(_ other: HashAggregation) {
        guard other.table.count > 0 else { return }
        if table.count == 0 {
            // The first share of a batch into an empty state (a first batch, AVAILABLE NOW):
            // its table and states become this one's, the same groups in the same order as
            // inserting them one by one would give, without a lookup and an insert per group,
            // which ran on one thread while the other cores waited.
            table = other.table
            states = other.states
            markTouched(Array(0..<Int32(table.count)))
            return
        }
        let ids = table.groupIDs(of: other.table)
        markTouched(ids)
        for index in states.indices {
            states[index].grow(to: table.count)
            states[index].merge(other.states[index], into: ids)
        }
    }

    private mutating func markTouched(_ ids: [Int32]) {
        if tracksTouched {
            touched += repeatElement(false, count: table.count - touched.count)
            for id in ids where !touched[Int(id)] {
                touched[Int(id)] = true
                touchedIDs.append(Int(id))
            }
        }
        // The change log: a flag test per id, in a loop of its own so the common case (no
        // checkpoints, or a partial aggregation) pays one branch per call, not one per id.
        // `ids` are a partial aggregation's groups (one per group per thread) on the fused
        // scan's path; rows only where an aggregation reads another's results.
        guard changes.isOn else { return }
        changes.grow(to: table.count)
        changes.markChanged(ids)
    }

    /// Forgets which groups were touched: call before each micro-batch.
    mutating func beginBatch() {
        for id in touchedIDs { touched[id] = false }
        touchedIDs.removeAll(keepingCapacity: true)
    }

    /// Key columns then aggregate columns, for every group in order of first appearance.
    func allGroups() -> [Column] {
        columns(for: Array(0..<table.count))
    }

    /// Key columns then aggregate columns, for the groups the current batch touched.
    func touchedGroups() -> [Column] {
        columns(for: touchedIDs.sorted())
    }

    /// Key columns then aggregate columns for these groups.
    func groups(_ ids: [Int]) -> [Column] {
        columns(for: ids)
    }

    /// The values of key `index` for every group, by group id.
    func keyValues(_ index: Int) -> Column {
        table.keyColumns(Array(0..<table.count))[index]
    }

    /// Drops the groups whose id is not in `keep` (windows closed by the watermark), so state
    /// stays bounded on an endless stream. Ids are renumbered in the order of `keep`.
    mutating func retain(_ keep: [Int]) {
        guard keep.count < table.count else { return }
        if changes.isOn { changes.recordRemoval(from: table, keeping: keep) }
        touched += repeatElement(false, count: table.count - touched.count)
        let wasTouched = touched
        var rebuilt = GroupTable(keyTypes: table.keyTypes)
        _ = rebuilt.groupIDs(table.keyColumns(keep), count: keep.count)
        table = rebuilt
        states = states.map { $0.compacted(keep) }
        touchedIDs = keep.indices.filter { wasTouched[keep[$0]] }
        touched = keep.map { wasTouched[$0] }
    }

    private func columns(for ids: [Int]) -> [Column] {
        table.keyColumns(ids) + states.map { $0.result(ids) }
    }
}
