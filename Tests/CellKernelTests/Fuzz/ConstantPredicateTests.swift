@testable import CellKernel
import Foundation
import Testing

/// NULL, untyped and constant conditions and values reach the operators as well-typed columns
/// of the batch's length: `WHERE NULL` used to trap in Batch.filter.
@Suite struct ConstantPredicateTests {
    /// (query over the stream e, rows expected in the view's result, or nil for a statement error)
    static let cases: [(String, Int?)] = [
        ("SELECT n FROM e WHERE NULL", 0),
        ("SELECT n FROM e WHERE NOT NULL", 0),
        ("SELECT n FROM e WHERE NULL AND b", 0),
        ("SELECT n FROM e WHERE NULL OR true", 5),
        ("SELECT n FROM e WHERE true", 5),
        ("SELECT n FROM e WHERE false", 0),
        ("SELECT n FROM e WHERE 1", nil),  // Spark: not a BOOLEAN
        ("SELECT n FROM e WHERE 'x'", nil),
        ("SELECT n FROM e WHERE CAST(NULL AS BOOLEAN)", 0),
        ("SELECT n FROM e WHERE NULL IS NULL", 5),
        ("SELECT n FROM e WHERE n IN (NULL)", 0),
        ("SELECT n FROM e WHERE NULL IN (1, 2)", 0),
        ("SELECT n FROM e WHERE NULL BETWEEN 1 AND 2", 0),
        ("SELECT n FROM e WHERE CASE WHEN NULL THEN true ELSE false END", 0),
        ("SELECT n FROM e WHERE CASE NULL WHEN NULL THEN true END", 0),
        ("SELECT n FROM e WHERE coalesce(NULL, NULL)", 0),
        ("SELECT CASE WHEN NULL THEN 1 END AS x, NULL AS y, 1 AS z FROM e", 5),
        ("SELECT k, count(*) AS c FROM e GROUP BY k HAVING NULL", 0),
        ("SELECT k, count(*) AS c FROM e GROUP BY k HAVING count(*) > 0 AND NULL", 0),
        ("SELECT k, count(*) AS c FROM e GROUP BY k HAVING true", 3),
        ("SELECT k, count(*) AS c FROM e GROUP BY k HAVING 1", nil),
        ("SELECT NULL AS g, count(*) AS c FROM e GROUP BY NULL", 1),
        ("SELECT 1 AS g, sum(NULL) AS s, count(NULL) AS c, min(NULL) AS m FROM e GROUP BY 1", 1),
        ("SELECT count(DISTINCT NULL) AS c FROM e", 1),
        ("SELECT avg(NULL) AS a, max(1) AS m FROM e", 1),
    ]

    @Test(arguments: 0..<cases.count)
    func constantConditionsAndValues(_ index: Int) throws {
        let (query, expected) = Self.cases[index]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-const-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = [#"{"n":1,"b":true,"k":"x"}"#, #"{"n":2,"b":false,"k":"y"}"#, #"{"n":null,"b":null,"k":null}"#,
                     #"{"n":4,"b":true,"k":"x"}"#, #"{"n":5,"b":true,"k":"y"}"#]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (n BIGINT, b BOOLEAN, k STRING);
            """)
        do {
            try session.run(script: "CREATE VIEW v AS \(query); START v OUTPUT MODE \(query.contains("GROUP BY") || query.contains("count(") || query.contains("avg(") ? "complete" : "append") TRIGGER ONCE;")
            let table = try #require(session.table("v"), "\(query)")
            #expect(table.count == expected, "\(query)")
        } catch let error as CellError {
            guard case .sql(let sql) = error.kind else { Issue.record("\(query): \(error)"); return }
            #expect(expected == nil, "\(query): \(error)")
            #expect(sql.location.line == 1 && sql.location.column > 1, "\(query)")
        }
    }
}
