@testable import CellKernel
import Foundation
import KafkaBridge
import Testing
import TransactionGenerator

/// Generators end to end: JSON events with arrays and maps from the embedded broker, exploded
/// by a started view, checked row by row against a reference computed from the same events.
@Suite struct GenerateEndToEndTests {
    /// Starts `view` of `script` over `docs` in topic `topic` and returns its table's rows.
    static func rows(_ docs: [String], schema: String, views: String, view: String, topic: String) throws -> [[Value]] {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic(topic, partitions: 1)
        try send(docs.map { Array($0.utf8) }, to: topic, on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = '\(topic)', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (\(schema));
            \(views)
            """)
        let query = try session.prepare(start: "START \(view)")
        var seen = 0
        while seen < docs.count, let progress = try query.runBatch() {
            if progress.numInputRows == 0 { break }
            seen += progress.numInputRows
        }
        let table = try #require(session.table(view))
        let result = (0..<table.count).map { r in table.columns.map { $0.value(at: r) } }
        query.stop()
        withExtendedLifetime(cluster) {}
        return result
    }

    @Test func explodeArrayOfAStream() throws {
        let docs = [
            #"{"id": 1, "tags": ["a", "b", "c"]}"#,
            #"{"id": 2, "tags": []}"#,
            #"{"id": 3, "tags": null}"#,
            #"{"id": 4, "tags": ["d", null]}"#,
            #"{"id": 5}"#,
        ]
        let plain = try Self.rows(docs, schema: "id INT, tags ARRAY<STRING>",
                                  views: "CREATE VIEW x AS SELECT id, explode(tags) AS tag FROM e;", view: "x", topic: "g1")
        #expect(plain == [[.int(1), .string("a")], [.int(1), .string("b")], [.int(1), .string("c")],
                          [.int(4), .string("d")], [.int(4), .null]])
        let outer = try Self.rows(docs, schema: "id INT, tags ARRAY<STRING>",
                                  views: "CREATE VIEW x AS SELECT id, posexplode_outer(tags) AS (p, tag) FROM e;", view: "x", topic: "g2")
        #expect(outer == [[.int(1), .int(0), .string("a")], [.int(1), .int(1), .string("b")], [.int(1), .int(2), .string("c")],
                          [.int(2), .null, .null], [.int(3), .null, .null],
                          [.int(4), .int(0), .string("d")], [.int(4), .int(1), .null], [.int(5), .null, .null]])
    }
}

extension GenerateEndToEndTests {
    typealias Random = CellsRandom

    /// Events with an array of tags (sometimes NULL, empty, missing, or with NULL elements) and
    /// a map of counts.
    static func events(_ n: Int, seed: UInt64) -> [String] {
        var rng = Random(seed: seed)
        let words = ["red", "green", "blue", "cyan", "a\\\"q", "é"]
        return (0..<n).map { i in
            var members = [#""id": \#(i)"#]
            switch Int.random(in: 0..<10, using: &rng) {
            case 0: members.append(#""tags": null"#)
            case 1: members.append(#""tags": []"#)
            case 2: break
            default:
                let tags = (0..<Int.random(in: 1...6, using: &rng)).map { _ in
                    Int.random(in: 0..<12, using: &rng) == 0 ? "null" : "\"\(words.randomElement(using: &rng)!)\""
                }
                members.append(#""tags": [\#(tags.joined(separator: ", "))]"#)
            }
            if Bool.random(using: &rng) {
                let entries = (0..<Int.random(in: 0...4, using: &rng)).map { k in
                    #""k\#(k)": \#(Int.random(in: 0..<5, using: &rng) == 0 ? "null" : String(Int64.random(in: -1000...1000, using: &rng)))"#
                }
                members.append(#""m": {\#(entries.joined(separator: ", "))}"#)
            }
            return "{" + members.shuffled(using: &rng).joined(separator: ", ") + "}"
        }
    }

    static func oracle(_ docs: [String]) throws -> SQLiteOracle {
        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE d (id INTEGER, doc TEXT)")
        try oracle.insert(into: "d", columns: 2, rows: docs.enumerated().map { [.integer(Int64($0.offset)), .text($0.element)] })
        return oracle
    }

    static func sorted(_ rows: [[OracleValue]]) -> [String] { rows.map { $0.map(\.description).joined(separator: "|") }.sorted() }
    static func sorted(_ rows: [[Value]]) -> [String] { sorted(rows.map { $0.map(OracleValue.init) }) }

    static let schema = "id INT, tags ARRAY<STRING>, m MAP<STRING, BIGINT>"

    @Test func posexplodeMatchesSQLiteJsonEach() throws {
        let docs = Self.events(3000, seed: 42)
        let got = try Self.rows(docs, schema: Self.schema, views: "CREATE VIEW x AS SELECT id, posexplode(tags) AS (p, t) FROM e;",
                                view: "x", topic: "g3")
        let want = try Self.oracle(docs).query(
            "SELECT d.id, j.key, j.value FROM d, json_each(d.doc, '$.tags') j WHERE json_type(d.doc, '$.tags') = 'array'")
        #expect(want.count > 7000)
        #expect(Self.sorted(got) == Self.sorted(want))
    }

    @Test func explodeMapMatchesSQLiteJsonEach() throws {
        let docs = Self.events(2000, seed: 5)
        let got = try Self.rows(docs, schema: Self.schema, views: "CREATE VIEW x AS SELECT explode(m) AS (k, v), id + 1 AS next FROM e;",
                                view: "x", topic: "g4")
        let want = try Self.oracle(docs).query(
            "SELECT j.key, j.value, d.id + 1 FROM d, json_each(d.doc, '$.m') j WHERE json_type(d.doc, '$.m') = 'object'")
        #expect(want.count > 1000)
        #expect(Self.sorted(got) == Self.sorted(want))
    }

    /// An aggregation over exploded rows: through a view, and through a subquery with
    /// explode_outer (whose NULL/empty arrays count under a NULL tag).
    @Test func aggregatesOverExplodedRows() throws {
        let docs = Self.events(3000, seed: 9)
        let oracle = try Self.oracle(docs)
        let viaView = try Self.rows(docs, schema: Self.schema, views: """
            CREATE VIEW x AS SELECT explode(tags) AS tag, id FROM e;
            CREATE VIEW c AS SELECT tag, count(*) AS n, sum(id) AS s FROM x GROUP BY tag;
            """, view: "c", topic: "g5")
        let want = try oracle.query("""
            SELECT j.value, count(*), sum(d.id) FROM d, json_each(d.doc, '$.tags') j
            WHERE json_type(d.doc, '$.tags') = 'array' GROUP BY j.value
            """)
        #expect(Self.sorted(viaView) == Self.sorted(want))
        let outer = try Self.rows(docs, schema: Self.schema, views: """
            CREATE VIEW c AS SELECT tag, count(*) AS n FROM (SELECT explode_outer(tags) AS tag FROM e) GROUP BY tag;
            """, view: "c", topic: "g6")
        let wantOuter = try oracle.query("""
            SELECT tag, count(*) FROM (
              SELECT j.value AS tag FROM d, json_each(d.doc, '$.tags') j WHERE json_type(d.doc, '$.tags') = 'array'
              UNION ALL SELECT NULL FROM d WHERE json_type(d.doc, '$.tags') IS NOT 'array' OR json_array_length(d.doc, '$.tags') = 0
            ) GROUP BY tag
            """)
        #expect(Self.sorted(outer) == Self.sorted(wantOuter))
        #expect(wantOuter.contains { $0[0] == .null })
    }

    /// A hundred thousand elements in one event, beside small ones.
    @Test func aLargeArrayInOneEvent() throws {
        let n = 100_000
        let big = #"{"id": 7, "xs": ["# + (0..<n).map(String.init).joined(separator: ",") + "]}"
        let got = try Self.rows([big, #"{"id": 8, "xs": [5]}"#], schema: "id INT, xs ARRAY<BIGINT>",
                                views: "CREATE VIEW c AS SELECT id, count(*) AS n, sum(x) AS s, max(p) AS last FROM (SELECT id, posexplode(xs) AS (p, x) FROM e) GROUP BY id;",
                                view: "c", topic: "g7")
        #expect(Set(got) == [[.int(7), .int(Int64(n)), .int(Int64(n) * Int64(n - 1) / 2), .int(Int64(n - 1))],
                             [.int(8), .int(1), .int(5), .int(0)]])
    }

    /// Spark's placement rules, each refused with its position.
    @Test func misplacedGeneratorsAreRefusedAtTheirPosition() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("gx", partitions: 1)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'gx', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (\(Self.schema), doc STRING);
            """)
        func failure(_ sql: String, view: String) -> SQLError? {
            do {
                try session.run(script: sql)
                _ = try session.prepare(start: "START \(view)")
            } catch let error as CellError {
                if case .sql(let e) = error.kind { return e }
            } catch {}
            return nil
        }
        let cases: [(String, String, Int)] = [
            ("SELECT explode(tags), explode(tags) AS u FROM e", "only one generator", 23),
            ("SELECT upper(explode(tags)) FROM e", "cannot be nested", 14),
            ("SELECT id FROM e WHERE explode(tags) = 'a'", "WHERE", 24),
            ("SELECT id FROM e GROUP BY explode(tags)", "GROUP BY", 27),
            ("SELECT explode(tags) AS t, count(*) FROM e", "aggregates", 8),
            ("SELECT posexplode(tags) AS (a, b, c) FROM e", "expected 2 aliases but got 3", 29),
            ("SELECT explode(m) AS one FROM e", "expected 2 aliases but got 1", 22),
            ("SELECT explode(id) FROM e", "needs an ARRAY or a MAP", 16),
            ("SELECT json_tuple(doc) FROM e", "at least one key", 8),
            ("SELECT json_tuple(doc, id) FROM e", "string literals", 24),
            ("SELECT DISTINCT explode(tags) FROM e", "SELECT DISTINCT", 17),
            ("SELECT id FROM e LATERAL VIEW upper(doc) t AS u", "needs a generator", 31),
        ]
        for (i, (sql, message, column)) in cases.enumerated() {
            let error = failure("-- case \(i)\nCREATE VIEW bad\(i) AS \(sql);", view: "bad\(i)")
            #expect(error?.message.contains(message) == true, "\(sql): \(error?.message ?? "no error")")
            #expect(error?.location.line == 2 && error?.location.column == column + 19 + "\(i)".count, "\(sql): at \(error.map { "\($0.location)" } ?? "-")")
        }
        withExtendedLifetime(cluster) {}
    }

    /// json_tuple over a stream's string column, with aliases, beside a repeated column.
    @Test func jsonTupleOverAStream() throws {
        let inner = [#"{"a": 1, "b": "x"}"#, #"{"b": [1, 2]}"#, "not json", #"{"a": null}"#]
        let docs = inner.enumerated().map { i, d in
            let escaped = d.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return #"{"id": \#(i), "doc": "\#(escaped)"}"#
        }
        let got = try Self.rows(docs, schema: "id INT, doc STRING",
                                views: "CREATE VIEW x AS SELECT id, json_tuple(doc, 'a', 'b') AS (a, b) FROM e;", view: "x", topic: "g8")
        #expect(got == [[.int(0), .string("1"), .string("x")], [.int(1), .null, .string("[1,2]")],
                        [.int(2), .null, .null], [.int(3), .null, .null]])
    }
}

extension GenerateEndToEndTests {
    /// Hive's LATERAL VIEW: generated columns readable in WHERE, OUTER keeping empty rows,
    /// two views in a row (the second exploding the first's map value), `*` including them.
    @Test func lateralViewsMatchSQLite() throws {
        let docs = Self.events(2000, seed: 77)
        let oracle = try Self.oracle(docs)
        let filtered = try Self.rows(docs, schema: Self.schema,
                                     views: "CREATE VIEW x AS SELECT id, tag FROM e LATERAL VIEW explode(tags) t AS tag WHERE tag <> 'red' OR tag IS NULL;",
                                     view: "x", topic: "g9")
        let wantFiltered = try oracle.query("""
            SELECT d.id, j.value FROM d, json_each(d.doc, '$.tags') j
            WHERE json_type(d.doc, '$.tags') = 'array' AND (j.value <> 'red' OR j.value IS NULL)
            """)
        #expect(wantFiltered.count > 4000)
        #expect(Self.sorted(filtered) == Self.sorted(wantFiltered))

        let outer = try Self.rows(docs, schema: Self.schema, views: """
            CREATE VIEW c AS SELECT p, count(*) AS n FROM e LATERAL VIEW OUTER posexplode(tags) t AS p, tag GROUP BY p;
            """, view: "c", topic: "g10")
        let wantOuter = try oracle.query("""
            SELECT p, count(*) FROM (
              SELECT j.key AS p FROM d, json_each(d.doc, '$.tags') j WHERE json_type(d.doc, '$.tags') = 'array'
              UNION ALL SELECT NULL FROM d WHERE json_type(d.doc, '$.tags') IS NOT 'array' OR json_array_length(d.doc, '$.tags') = 0
            ) GROUP BY p
            """)
        #expect(Self.sorted(outer) == Self.sorted(wantOuter))

        let star = try Self.rows(docs, schema: "id INT, m MAP<STRING, BIGINT>",
                                 views: "CREATE VIEW x AS SELECT * FROM e LATERAL VIEW explode(m) t AS k, v;", view: "x", topic: "g11")
        let wantStar = try oracle.query("""
            SELECT d.id, NULL, j.key, j.value FROM d, json_each(d.doc, '$.m') j WHERE json_type(d.doc, '$.m') = 'object'
            """)
        // The map column itself is in `*`: compare the other columns.
        #expect(star.first?.count == 4)
        #expect(Self.sorted(star.map { [$0[0], .null, $0[2], $0[3]] }) == Self.sorted(wantStar))
    }
}

extension GenerateEndToEndTests {
    /// Exploded rows keep the event time under a watermark: a windowed count per tag in
    /// append mode emits each window once the watermark closes it.
    @Test func explodedRowsCarryTheWatermark() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-gen-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        func line(_ time: String, _ tags: String) -> String { #"{"t":"2024-01-01T\#(time)Z","tags":\#(tags)}"# + "\n" }
        try (line("00:00:10", #"["a","b"]"#) + line("00:00:20", #"["a"]"#) + line("00:00:30", "[]") + line("00:02:40", #"["c"]"#))
            .write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (t TIMESTAMP, tags ARRAY<STRING>) WATERMARK t DELAY '30 seconds';
            CREATE VIEW x AS SELECT t, explode(tags) AS tag FROM e;
            CREATE VIEW c AS SELECT window(t, '1 minute').start AS minute, tag, count(*) AS n FROM x GROUP BY window(t, '1 minute'), tag;
            """)
        let query = try session.prepare(start: "START c OUTPUT MODE append")
        _ = try #require(try query.runBatch())
        #expect(session.table("c")?.count == 0, "nothing is final before the watermark passes a window")
        let handle = try #require(FileHandle(forWritingAtPath: file))
        handle.seekToEndOfFile()
        handle.write(Data(line("00:05:00", #"["d"]"#).utf8))
        try handle.close()
        _ = try #require(try query.runBatch())
        let rows = try #require(session.table("c")).sortedRows
        #expect(rows == [["1704067200000000", "a", "2"], ["1704067200000000", "b", "1"]], "minute 0 closed by the first batch's watermark; minute 2 still open")
        query.stop()
    }
}
