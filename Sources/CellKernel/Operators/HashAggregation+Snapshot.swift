extension HashAggregation {
    /// A snapshot of the groups and their aggregate states, taken between micro-batches.
    ///
    /// `columnNames` names the input columns the keys and aggregates refer to; the plan
    /// signature then speaks of columns by name, so a query that reads its columns in another
    /// order still matches, and an error message can say which column differs.
    func snapshot(columnNames: [String] = []) -> StateSnapshot {
        var snapshot = StateSnapshot()
        snapshot.planSignature = Self.signature(keys: keys, aggregates: aggregates, columnNames: columnNames)
        var out = SnapshotWriter()
        out.reserve(32 + table.keysByteCount + states.reduce(0) { $0 + $1.fixedWidthSnapshotBytes })
        table.write(to: &out)
        out.int(states.count)
        for state in states { state.write(to: &out) }
        snapshot.groupState = out.finish()
        return snapshot
    }

    /// The aggregation `snapshot` holds, for these keys and aggregates. Throws
    /// ``SnapshotError/incompatible(_:)`` if the snapshot is of another aggregation, and
    /// ``SnapshotError/corrupt(_:)`` or ``SnapshotError/truncated(what:offset:needed:)`` if its
    /// group state does not decode.
    init(restoring snapshot: StateSnapshot, keys: [BoundExpression], aggregates: [AggregateSpec],
                columnNames: [String] = []) throws(SnapshotError) {
        try self.init(restoring: snapshot, keys: keys, aggregates: aggregates,
                      signature: Self.signature(keys: keys, aggregates: aggregates, columnNames: columnNames))
    }

    init(restoring snapshot: StateSnapshot, keys: [BoundExpression], aggregates: [AggregateSpec],
         signature: String) throws(SnapshotError) {
        guard let found = snapshot.planSignature else { throw .incompatible("the snapshot holds no aggregation state") }
        guard found == signature else { throw .incompatible("the snapshot has \(found); this query has \(signature)") }
        self.init(keys: keys, aggregates: aggregates)
        var reader = SnapshotReader(snapshot.groupState)
        table = try GroupTable.read(from: &reader, keyTypes: keys.map(\.type))
        let count = try reader.count("aggregate count", unit: 1)
        guard count == aggregates.count else { throw .corrupt("\(count) aggregate states for \(aggregates.count) aggregates") }
        states = []
        for spec in aggregates { states.append(try AggregateState.read(from: &reader, spec: spec, groups: table.count)) }
        guard reader.remaining == 0 else { throw .corrupt("\(reader.remaining) unexpected bytes after the aggregate states") }
        // Between batches no group counts as touched: the next batch starts with beginBatch().
        touched = Array(repeating: false, count: table.count)
        touchedIDs = []
    }

    /// What this aggregation computes, as text: equal for the same query, different (and
    /// readable in an error) for another one.
    static func signature(keys: [BoundExpression], aggregates: [AggregateSpec], columnNames: [String]) -> String {
        func text(_ e: BoundExpression) -> String {
            switch e {
            case .column(let i, let type): "\(i < columnNames.count ? columnNames[i] : "#\(i)") \(type)"
            case .literal(let value, let type): "\(value) \(type)"
            case .call(let f, let args, let type): "\(f)(\(args.map(text).joined(separator: ", "))) \(type)"
            }
        }
        let keyText = keys.map(text).joined(separator: ", ")
        let aggregateText = aggregates.map { spec in
            let ordering = (spec.ordering.map { ", " + text($0) } ?? "") + spec.parameters.map { ", \($0)" }.joined()
            return "\(spec.function.rawValue)(\(spec.argument.map(text) ?? "")\(ordering)) \(spec.resultType)"
        }
        return "GROUP BY [\(keyText)] AGGREGATES [\(aggregateText.joined(separator: ", "))]"
    }
}
