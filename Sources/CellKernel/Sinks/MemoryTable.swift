import Synchronization

/// A query's results kept in memory under the view's name, queryable with `SELECT ... FROM
/// view` while the query runs and after it stops (Spark's memory sink).
///
/// Complete mode replaces the table each batch, append mode adds rows, and update mode
/// replaces the rows of the groups it updates and adds new ones.
public final class MemoryTable: QuerySink, Sendable {
    public let name: String
    private let state: Mutex<(schema: Schema, columns: [Column])>

    init(name: String, schema: Schema) {
        self.name = name
        state = Mutex((schema, schema.fields.map { Column(type: $0.type) }))
    }

    /// A consistent copy of the rows.
    public var snapshot: Batch {
        state.withLock { Batch(schema: $0.schema, columns: $0.columns) }
    }

    func write(_ result: ResultBatch) throws {
        state.withLock { table in
            switch result.mode {
            case .complete:
                table = (result.schema, result.columns)
            case .append:
                table.columns = Self.appending(table.columns, result.columns)
            case .update:
                guard !result.keyColumns.isEmpty else {
                    table.columns = Self.appending(table.columns, result.columns)
                    return
                }
                // Replace rows whose keys the batch updated; keep the rest in order.
                // Keys as bytes, as the aggregation groups them: Swift's String equality would
                // merge 'é' and 'e' + U+0301, which are two groups.
                let keyOf = { (columns: [Column], row: Int) -> [UInt8] in
                    var key: [UInt8] = []
                    for c in result.keyColumns { GroupTable.encode(columns[c], row, into: &key) }
                    return key
                }
                let updated = Set((0..<result.count).map { keyOf(result.columns, $0) })
                let kept = (0..<(table.columns.first?.count ?? 0)).filter { !updated.contains(keyOf(table.columns, $0)) }
                table.columns = Self.appending(table.columns.map { $0.gather(kept) }, result.columns)
            }
        }
    }

    private static func appending(_ a: [Column], _ b: [Column]) -> [Column] {
        zip(a, b).map { left, right in
            var merged = left
            merged.append(contentsOf: right)
            return merged
        }
    }
}
