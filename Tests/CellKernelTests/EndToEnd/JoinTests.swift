@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// Joins against SQLite: two started views' tables (random keys with NULLs and duplicates on
/// both sides, INT keys on one side and BIGINT on the other) joined at the prompt, the same
/// query run by SQLite over the same rows; binder errors with positions; EXPLAIN; and the
/// stream-static operator probing per batch against a nested-loop reference.
@Suite struct JoinTests {
    /// Rows of `l (k INT, a STRING)` and `r (k BIGINT, b STRING, w INT)`.
    struct Data {
        var left: [[OracleValue]] = []
        var right: [[OracleValue]] = []

        init(seed: Int) {
            var random = CellsRandom(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 77)
            func key() -> OracleValue { Int.random(in: 0..<8, using: &random) == 0 ? .null : .integer(Int64.random(in: 0...5, using: &random)) }
            for i in 0..<Int.random(in: 0...40, using: &random) { left.append([key(), .text("a\(i % 7)")]) }
            for i in 0..<Int.random(in: 0...25, using: &random) {
                right.append([key(), .text("b\(i % 4)"), Int.random(in: 0..<6, using: &random) == 0 ? .null : .integer(Int64.random(in: -2...3, using: &random))])
            }
        }

        static func json(_ row: [OracleValue], _ names: [String]) -> String {
            "{" + zip(names, row).compactMap { name, v in
                switch v {
                case .null: nil
                case .integer(let i): "\"\(name)\":\(i)"
                case .real(let d): "\"\(name)\":\(d)"
                case .text(let s): "\"\(name)\":\"\(s)\""
                }
            }.joined(separator: ",") + "}\n"
        }
    }

    /// A session with tables `lv` and `rv` (started views over file streams, run to the end).
    final class Fixture {
        let session = CellSession(output: { _ in })
        var files: [String] = []
        var queries: [StreamingQuery] = []

        init(_ data: Data) throws {
            var script = ""
            for (name, rows, schema, columns) in [("l", data.left, "k INT, a STRING", ["k", "a"]), ("r", data.right, "k BIGINT, b STRING, w INT", ["k", "b", "w"])] {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-join-\(UUID().uuidString).jsonl").path
                try rows.map { Data.json($0, columns) }.joined().write(toFile: file, atomically: true, encoding: .utf8)
                files.append(file)
                script += """
                    CREATE SOURCE \(name)src USING file OPTIONS ('path' = '\(file)');
                    CREATE STREAM \(name)s FROM \(name)src FORMAT json SCHEMA (\(schema));
                    CREATE VIEW \(name)v AS SELECT * FROM \(name)s;

                    """
            }
            try session.run(script: script)
            for name in ["lv", "rv"] {
                let query = try session.prepare(start: "START \(name) OUTPUT MODE append USING memory")
                var n = 0
                while try query.runBatch() != nil { n += 1; if n > 1000 { break } }
                queries.append(query)
            }
        }
        deinit {
            for q in queries { q.stop() }
            for f in files { try? FileManager.default.removeItem(atPath: f) }
        }

        func select(_ sql: String) throws -> [[OracleValue]] {
            let query = try SQLParser.parseQueryForTests(sql)
            let plan = try session.tableBinder.bind(query)
            let batch = try TableQuery.run(plan) { [session] name in session.table(name) }
            return (0..<batch.count).map { r in batch.columns.map { OracleValue($0.value(at: r)) } }
        }
    }

    static let queries: [String] = [
        "SELECT l.k, l.a, r.b, r.w FROM lv l JOIN rv r ON l.k = r.k",
        "SELECT l.k, l.a, r.b, r.w FROM lv AS l INNER JOIN rv AS r ON r.k = l.k",
        "SELECT l.k, l.a, r.b, r.w FROM lv l LEFT JOIN rv r ON l.k = r.k",
        "SELECT l.k, l.a, r.k, r.b FROM lv l RIGHT OUTER JOIN rv r ON l.k = r.k",
        "SELECT l.a, r.b FROM lv l JOIN rv r ON l.k = r.k AND r.w > 0",
        "SELECT l.a, r.b, r.w FROM lv l LEFT JOIN rv r ON l.k = r.k AND r.w > 0 AND l.a <> 'a1'",
        "SELECT l.a, r.b FROM lv l LEFT JOIN rv r ON l.k + 1 = r.k + 1 WHERE r.b IS NULL OR r.w >= 1",
        "SELECT r.b, count(*) AS n, sum(l.k) AS s, count(l.a) AS c FROM lv l LEFT JOIN rv r ON l.k = r.k GROUP BY r.b",
        "SELECT l.*, r.w FROM lv l JOIN rv r ON l.k = r.k",
        "SELECT * FROM lv JOIN rv USING (k)",
        "SELECT k, a, b FROM lv LEFT JOIN rv USING (k)",
        "SELECT l.a, r.b, l2.a FROM lv l JOIN rv r ON l.k = r.k JOIN lv l2 ON l2.k = r.k AND l2.a < l.a",
        "SELECT l.a, s.b FROM lv l JOIN (SELECT k, b FROM rv WHERE w > 0) s ON s.k = l.k",
        "SELECT x.a, r.b FROM (SELECT k, a FROM lv WHERE a <> 'a2') AS x LEFT JOIN rv r ON x.k = r.k",
    ]

    @Test(arguments: 0..<12)
    func matchesSQLite(seed: Int) throws {
        let data = Data(seed: seed)
        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE lv (k INTEGER, a TEXT); CREATE TABLE rv (k INTEGER, b TEXT, w INTEGER)")
        try oracle.insert(into: "lv", columns: 2, rows: data.left)
        try oracle.insert(into: "rv", columns: 3, rows: data.right)
        let fixture = try Fixture(data)
        #expect(try fixture.select("SELECT * FROM lv").count == data.left.count)
        for sql in Self.queries {
            let expected = try oracle.query(sql)
            let got = try fixture.select(sql)
            let (extra, missing) = DiffCompare.difference(got, expected)
            #expect(extra.isEmpty && missing.isEmpty,
                    "seed \(seed): \(sql)\n  \(got.count) rows from cells, \(expected.count) from SQLite\n  only in cells: \(extra.prefix(5))\n  only in SQLite: \(missing.prefix(5))")
        }
    }

    /// Fixed rows with known answers: NULL keys never match, duplicates on both sides give every pair.
    @Test func duplicatesAndNulls() throws {
        var data = Data(seed: 0)
        data.left = [[.integer(1), .text("x")], [.integer(1), .text("y")], [.null, .text("n")], [.integer(2), .text("z")]]
        data.right = [[.integer(1), .text("p"), .integer(1)], [.integer(1), .text("q"), .integer(2)], [.null, .text("m"), .null]]
        let fixture = try Fixture(data)
        let inner = try fixture.select("SELECT l.a, r.b FROM lv l JOIN rv r ON l.k = r.k")
        #expect(Set(inner) == [[.text("x"), .text("p")], [.text("x"), .text("q")], [.text("y"), .text("p")], [.text("y"), .text("q")]])
        #expect(inner.count == 4)
        let left = try fixture.select("SELECT l.a, r.b FROM lv l LEFT JOIN rv r ON l.k = r.k AND r.w = 2")
        #expect(Set(left) == [[.text("x"), .text("q")], [.text("y"), .text("q")], [.text("n"), .null], [.text("z"), .null]])
    }

    /// A STRING key against a BIGINT key compares as BIGINT, as in Spark: a 16-digit number
    /// matches only itself (as doubles, 2^53 + 1 would also match 2^53), '1.5' truncates to 1.
    @Test func aStringKeyJoinsABigintKeyAsBigint() throws {
        var data = Data(seed: 0)
        data.left = [[.integer(0), .text("9007199254740993")], [.integer(0), .text("1.5")], [.integer(0), .text(" 7 ")], [.integer(0), .text("x")]]
        data.right = [9_007_199_254_740_992, 9_007_199_254_740_993, 1, 7].map { [.integer($0), .text("r\($0)"), .integer(0)] }
        let fixture = try Fixture(data)
        let pairs = try fixture.select("SELECT l.a, r.b FROM lv l JOIN rv r ON l.a = r.k")
        #expect(Set(pairs) == [[.text("9007199254740993"), .text("r9007199254740993")], [.text("1.5"), .text("r1")], [.text(" 7 "), .text("r7")]])
        #expect(pairs.count == 3)
    }

    @Test func binderErrorsWithPositions() throws {
        let fixture = try Fixture(Data(seed: 1))
        func message(_ sql: String) -> String {
            do { _ = try fixture.select(sql); return "no error" } catch { return "\(error)" }
        }
        let ambiguous = message("SELECT k FROM lv l JOIN rv r ON l.k = r.k")
        #expect(ambiguous.contains("ambiguous") && ambiguous.contains("l.k or r.k") && ambiguous.contains("1:8"), "\(ambiguous)")
        let alias = message("SELECT z.a FROM lv l JOIN rv r ON l.k = r.k")
        #expect(alias.contains("unknown table or alias 'z'") && alias.contains("1:8"), "\(alias)")
        let column = message("SELECT l.b FROM lv l JOIN rv r ON l.k = r.k")
        #expect(column.contains("'l' has no column 'b'"), "\(column)")
        let noKey = message("SELECT l.a FROM lv l JOIN rv r ON l.k < r.k")
        #expect(noKey.contains("no equality between a column of each side") && noKey.contains("1:35"), "\(noKey)")
        #expect(message("SELECT * FROM lv l FULL OUTER JOIN rv r ON l.k = r.k").contains("FULL JOIN is not supported"))
        #expect(message("SELECT * FROM lv l CROSS JOIN rv r").contains("CROSS JOIN is not supported"))
        #expect(message("SELECT * FROM lv, rv").contains("comma"))
        #expect(message("SELECT * FROM lv l JOIN rv r").contains("ON condition or USING"))
        #expect(message("SELECT * FROM lv l JOIN rv l ON l.k = l.k").contains("names two tables"))
        #expect(message("SELECT * FROM lv JOIN rv USING (b)").contains("not a column of the left side"))
        // `left` stays usable as a column name.
        #expect(message("SELECT l.a AS left FROM lv l JOIN rv r ON l.k = r.k") == "no error")
    }

    @Test func explainShowsTheJoin() throws {
        let fixture = try Fixture(Data(seed: 2))
        let query = try SQLParser.parseQueryForTests("SELECT l.a, r.b FROM lv l LEFT JOIN rv r ON l.k = r.k AND r.w > 0")
        let plan = try fixture.session.tableBinder.bind(query)
        let logical = plan.explain()
        #expect(logical.contains("Join left outer keys [CAST(k AS BIGINT) = k] condition (w > 0)"), "\(logical)")
        // Pruned: the left side reads only k and a.
        #expect(logical.contains("Scan table lv [k, a]"), "\(logical)")
        let physical = TableQuery.explain(plan)
        #expect(physical.contains("HashJoin left outer"), "\(physical)")
    }

    /// The stream-static operator: the table hashed once, each batch of the stream probing it.
    @Test func streamStaticOperatorProbesEachBatch() throws {
        let tableSchema = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: .string)])
        var keys = Column(type: .bigint), values = Column(type: .string)
        for (k, v) in [(1, "one"), (2, "two"), (2, "deux")] { keys.append(Int64(k)); values.append(v) }
        keys.appendNull(); values.append("null")
        let table = TableScanOperator(name: "dim", table: Batch(schema: tableSchema, columns: [keys, values]))
        let streamSchema = Schema([.init(name: "id", type: .bigint)])
        let batches: [[Int64?]] = [[1, 2, 3], [], [nil, 2], [1, 1]]
        let stream = BatchesOperator(schema: streamSchema, batches: batches.map { rows in
            var c = Column(type: .bigint)
            for r in rows { if let r { c.append(r) } else { c.appendNull() } }
            return Batch(schema: streamSchema, columns: [c])
        })
        let schema = Schema(streamSchema.fields + tableSchema.fields)
        let join = HashJoinOperator(build: table, probe: stream, shape: HashJoinShape(
            probeIsLeft: true, buildKeys: [.column(0, .bigint)], probeKeys: [.column(0, .bigint)], preserveProbe: true,
            condition: nil, schema: schema, kindName: "left outer"))
        let dim: [(Int64?, String)] = [(1, "one"), (2, "two"), (2, "deux"), (nil, "null")]
        for rows in batches {
            var context = BatchContext(mode: .append, watermark: 0)
            let out = try join.next(&context)
            let got = (0..<out.count).map { r in out.columns.map { OracleValue($0.value(at: r)) } }
            var expected: [[OracleValue]] = []
            for id in rows {
                let matches = dim.filter { id != nil && $0.0 == id }
                if matches.isEmpty { expected.append([id.map { .integer($0) } ?? .null, .null, .null]) }
                for m in matches { expected.append([.integer(id!), .integer(m.0!), .text(m.1)]) }
            }
            let (extra, missing) = DiffCompare.difference(got, expected)
            #expect(extra.isEmpty && missing.isEmpty, "batch \(rows): \(got) vs \(expected)")
        }
    }
}

/// A stream stand-in: the given batches, one per call, then empty ones.
final class BatchesOperator: BatchOperator {
    let schema: Schema
    private var batches: [Batch]
    init(schema: Schema, batches: [Batch]) { self.schema = schema; self.batches = batches }
    var inputs: [any BatchOperator] { [] }
    func next(_ context: inout BatchContext) throws -> Batch {
        batches.isEmpty ? Batch(schema: schema, columns: schema.fields.map { Column(type: $0.type) }) : batches.removeFirst()
    }
    var explainLine: String { "Batches" }
}

extension SQLParser {
    /// A SELECT's query, for tests.
    static func parseQueryForTests(_ sql: String) throws -> Query {
        var parser = SQLParser(source: sql)
        return try parser.parseQuery()
    }
}

/// Joins of two streams: the time range read from ON, and Spark's rules at START.
@Suite struct StreamStreamJoinRuleTests {
    func session() throws -> (CellSession, Transcript, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sjoin-\(UUID().uuidString).jsonl").path
        try "".write(toFile: file, atomically: true, encoding: .utf8)
        let transcript = Transcript()
        let session = CellSession(output: transcript.output)
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM a FROM f FORMAT json SCHEMA (k INT, t TIMESTAMP, x INT) WATERMARK t DELAY '1 minute';
            CREATE STREAM b FROM f FORMAT json SCHEMA (k INT, t TIMESTAMP, y INT) WATERMARK t DELAY '2 minutes';
            CREATE STREAM c FROM f FORMAT json SCHEMA (k INT, t TIMESTAMP);
            """)
        return (session, transcript, file)
    }

    @Test func timeRangeFromBetweenAndComparisons() throws {
        let (session, transcript, file) = try session()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try session.run(script: """
            CREATE VIEW j1 AS SELECT a.x, b.y FROM a JOIN b ON a.k = b.k AND b.t BETWEEN a.t AND a.t + INTERVAL 10 MINUTES;
            CREATE VIEW j2 AS SELECT a.x, b.y FROM a LEFT JOIN b ON b.k = a.k AND b.t >= a.t - INTERVAL '30 seconds' AND b.t < a.t + INTERVAL 1 HOUR;
            CREATE VIEW j3 AS SELECT a.x, b.y FROM a JOIN b ON a.k = b.k AND a.t > b.t - INTERVAL 5 MINUTES;
            EXPLAIN j1; EXPLAIN j2; EXPLAIN j3;
            """)
        let text = transcript.value
        #expect(text.contains("time range t - t in [0 s, 600 s]"), "\(text)")
        #expect(text.contains("time range t - t in [-30 s, 3599 s]"), "\(text)")
        #expect(text.contains("time range t - t in [unbounded, 299 s]"), "\(text)")
    }

    @Test func sparksRulesAtStart() throws {
        let (session, _, file) = try session()
        defer { try? FileManager.default.removeItem(atPath: file) }
        func startError(_ view: String, _ mode: String = "append") -> String {
            do {
                try session.run(script: "CREATE OR REPLACE VIEW v AS \(view);")
                let q = try session.prepare(start: "START v OUTPUT MODE \(mode) USING memory")
                q.stop()
                return "no error"
            } catch { return "\(error)" }
        }
        #expect(startError("SELECT a.x FROM a JOIN b ON a.k = b.k") == "no error")
        #expect(startError("SELECT a.k, count(*) AS n FROM a JOIN b ON a.k = b.k GROUP BY a.k", "complete")
            .contains("not supported in Complete output mode, only in Append output mode"))
        #expect(startError("SELECT a.x FROM a LEFT JOIN b ON a.k = b.k").contains("Stream-stream LeftOuter join"))
        #expect(startError("SELECT a.x FROM a LEFT JOIN c ON a.k = c.k AND c.t BETWEEN a.t AND a.t + INTERVAL 1 MINUTE")
            .contains("Stream-stream LeftOuter join"))
        #expect(startError("SELECT a.x FROM a LEFT JOIN b ON a.k = b.k AND b.t BETWEEN a.t AND a.t + INTERVAL 1 MINUTE") == "no error")
    }
}
