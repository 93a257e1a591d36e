@testable import CellKernel
import Testing
import TransactionGenerator

/// Random data, generated queries: cells' evaluator and aggregation against SQLite, which
/// shares SQL's NULL semantics for everything these queries use.
@Suite struct DifferentialTests {
    /// A generated query in both forms.
    struct Query {
        var sql: String
        var keys: [BoundExpression]
        var predicate: BoundExpression?
        var aggregates: [AggregateSpec]
    }

    static let columns: [(String, SQLType)] = [("g", .string), ("h", .bigint), ("x", .bigint), ("y", .double), ("s", .string)]

    static func randomRows(_ count: Int, random: inout CellsRandom) -> [[Value]] {
        let groups = ["a", "b", "c", "d", "ab", "é"]
        return (0..<count).map { _ in
            func maybeNull(_ v: Value) -> Value { random.next() % 10 == 0 ? .null : v }
            return [
                maybeNull(.string(groups[Int(random.next() % UInt64(groups.count))])),
                maybeNull(.int(Int64(random.next() % 4))),
                maybeNull(.int(Int64(random.next() % 201) - 100)),
                maybeNull(.double(Double(Int64(random.next() % 2_000_001) - 1_000_000) / 1000)),
                maybeNull(.string(String(repeating: "z", count: Int(random.next() % 3)) + String(random.next() % 50))),
            ]
        }
    }

    static func col(_ name: String) -> BoundExpression {
        let i = columns.firstIndex { $0.0 == name }!
        return .column(i, columns[i].1)
    }

    static func randomQuery(random: inout CellsRandom) -> Query {
        let keyChoices: [[String]] = [[], ["g"], ["h"], ["g", "h"], ["s"]]
        let keyNames = keyChoices[Int(random.next() % UInt64(keyChoices.count))]
        let predicates: [(String, BoundExpression)?] = [
            nil,
            ("x > 0", .call(.greater, [col("x"), .literal(.int(0), .bigint)], .boolean)),
            ("y <= 12.5", .call(.lessOrEqual, [col("y"), .literal(.double(12.5), .double)], .boolean)),
            ("s IS NULL OR x < -50", .call(.or, [.call(.isNull, [col("s")], .boolean),
                                                 .call(.less, [col("x"), .literal(.int(-50), .bigint)], .boolean)], .boolean)),
            ("NOT (g = 'a') AND h IN (1, 3)", .call(.and, [.call(.not, [.call(.equal, [col("g"), .literal(.string("a"), .string)], .boolean)], .boolean),
                                                          .call(.inList, [col("h"), .literal(.int(1), .bigint), .literal(.int(3), .bigint)], .boolean)], .boolean)),
            ("x + h * 2 <> 7", .call(.notEqual, [.call(.add, [col("x"), .call(.multiply, [col("h"), .literal(.int(2), .bigint)], .bigint)], .bigint),
                                                 .literal(.int(7), .bigint)], .boolean)),
            ("coalesce(s, 'zz') >= 'z'", .call(.greaterOrEqual, [.call(.coalesce, [col("s"), .literal(.string("zz"), .string)], .string),
                                                                 .literal(.string("z"), .string)], .boolean)),
        ]
        let predicate = predicates[Int(random.next() % UInt64(predicates.count))]
        let aggregateChoices: [(String, AggregateSpec)] = [
            ("count(*)", AggregateSpec(.countAll, nil)), ("count(x)", AggregateSpec(.count, col("x"))),
            ("sum(x)", AggregateSpec(.sum, col("x"))), ("sum(y)", AggregateSpec(.sum, col("y"))),
            ("avg(y)", AggregateSpec(.avg, col("y"))), ("avg(x)", AggregateSpec(.avg, col("x"))),
            ("min(s)", AggregateSpec(.min, col("s"))), ("max(s)", AggregateSpec(.max, col("s"))),
            ("min(y)", AggregateSpec(.min, col("y"))), ("max(x)", AggregateSpec(.max, col("x"))),
            ("count(DISTINCT h)", AggregateSpec(.countDistinct, col("h"))), ("count(DISTINCT g)", AggregateSpec(.countDistinct, col("g"))),
        ]
        var chosen: [(String, AggregateSpec)] = []
        for choice in aggregateChoices where random.next() % 3 == 0 { chosen.append(choice) }
        if chosen.isEmpty { chosen = [aggregateChoices[0]] }
        let select = (keyNames + chosen.map(\.0)).joined(separator: ", ")
        var sql = "SELECT \(select) FROM t"
        if let predicate { sql += " WHERE \(predicate.0)" }
        if !keyNames.isEmpty { sql += " GROUP BY \(keyNames.joined(separator: ", "))" }
        return Query(sql: sql, keys: keyNames.map(col), predicate: predicate?.1, aggregates: chosen.map(\.1))
    }


    /// Rows as comparable text, doubles to 9 significant digits (sums differ in the last bits
    /// between summation orders).
    static func canonical(_ rows: [[OracleValue]]) -> [String] {
        rows.map { row in
            row.map { v -> String in
                if case .real(let d) = v { return d == d.rounded() && abs(d) < 1e15 ? "\(Int64(d))" : String(format9(d)) }
                return v.description
            }.joined(separator: "|")
        }.sorted()
    }

    static func format9(_ d: Double) -> String {
        let magnitude = d == 0 ? 0 : Int((log10(abs(d))).rounded(.down))
        let scale = pow(10.0, Double(8 - magnitude))
        return "\((d * scale).rounded() / scale)"
    }

    @Test(arguments: 0..<40)
    func matchesSQLite(seed: Int) throws {
        var random = CellsRandom(seed: UInt64(seed) &* 7919 &+ 1)
        let rows = Self.randomRows(Int(random.next() % 400) + 1, random: &random)
        let query = Self.randomQuery(random: &random)

        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE t (g TEXT, h INTEGER, x INTEGER, y REAL, s TEXT)")
        try oracle.insert(into: "t", columns: 5, rows: rows.map { $0.map(OracleValue.init) })
        let expected = try oracle.query(query.sql)

        // cells: the same rows in micro-batches of random sizes, folded incrementally.
        let schema = Schema(Self.columns.map { Schema.Field(name: $0.0, type: $0.1) })
        var aggregation = HashAggregation(keys: query.keys, aggregates: query.aggregates)
        var start = 0
        while start < rows.count {
            let end = min(rows.count, start + Int(random.next() % 97) + 1)
            var columns = Self.columns.map { Column(type: $0.1) }
            for row in rows[start..<end] { for (i, v) in row.enumerated() { columns[i].append(v) } }
            var batch = Batch(schema: schema, columns: columns)
            if let predicate = query.predicate { batch = batch.filter(predicate) }
            aggregation.beginBatch()
            aggregation.add(batch)
            start = end
        }
        var result = aggregation.allGroups()
        if query.keys.isEmpty && aggregation.groupCount == 0 {
            // A global aggregate over no rows is one row (count 0, others NULL), as in SQL.
            result = query.aggregates.map { spec in
                Column(repeating: spec.function == .countAll || spec.function == .count || spec.function == .countDistinct ? .int(0) : .null,
                       type: spec.resultType, count: 1)
            }
        }
        let actual = (0..<(result.first?.count ?? 0)).map { r in result.map { OracleValue($0.value(at: r)) } }
        #expect(Self.canonical(actual) == Self.canonical(expected), "\(query.sql)")
    }
}

#if canImport(Glibc)
import Glibc
#endif
