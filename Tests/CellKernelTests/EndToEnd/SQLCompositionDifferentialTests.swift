import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// Queries built of queries against SQLite: views over views (1-4 levels, the last maybe an
/// aggregation), views over an aggregating view with a WHERE over its columns, subqueries in
/// FROM nested 1-3 deep, WITH with 1-3 CTEs each reading the one before, UNION ALL of 2-3
/// SELECTs over one stream, aggregations over a union, and all of these mixed. Each generated
/// case runs in cells over a growing file (micro-batches until none is left) and in SQLite
/// over the same rows, the views created there too; results compared as multisets.
/// Helpers: SQLCompositionDifferentialSupport.swift (and SQLDifferentialSupport.swift).
///
/// `SQL_COMPOSITION_CASES=n` runs n cases instead of 210 (seeds 0..<n; shape = seed % 7).
@Suite struct SQLCompositionDifferentialTests {
    static let count = ProcessInfo.processInfo.environment["SQL_COMPOSITION_CASES"].flatMap(Int.init) ?? 210

    /// The case a seed makes, with its rows and how they arrive.
    struct Generated {
        var rows: [[Value]]
        var testCase: CompCase
        var chunks: [String]
        var options: String
    }

    static func generate(seed: Int) -> Generated {
        var random = CellsRandom(seed: UInt64(seed) &* 0xD1B5_4A32_D192_ED03 &+ 0xC0FFEE)
        let combiningMarks = Bool.random(using: &random)
        let rows = DiffData.randomRows(Int.random(in: 50...300, using: &random), combiningMarks: combiningMarks, random: &random)
        var generator = CompGenerator(random: random, combiningMarks: combiningMarks)
        let testCase = generator.makeCase(shape: seed % 7)
        random = generator.random
        var cuts = (0..<Int.random(in: 0...3, using: &random)).map { _ in Int.random(in: 1..<rows.count, using: &random) }
        cuts = Array(Set(cuts + [0, rows.count])).sorted()
        let chunks = zip(cuts, cuts.dropFirst()).map { start, end in
            rows[start..<end].map { DiffData.jsonLine($0, random: &random) }.joined()
        }
        let options = Int.random(in: 0..<4, using: &random) == 0 ? ", 'maxOffsetsPerTrigger' = '\(Int.random(in: 300...3000, using: &random))'" : ""
        return Generated(rows: rows, testCase: testCase, chunks: chunks, options: options)
    }

    @Test(arguments: 0..<count)
    func matchesSQLite(seed: Int) throws {
        let generated = Self.generate(seed: seed)
        let testCase = generated.testCase
        let spark = testCase.script(.spark), sqlite = testCase.script(.sqlite)

        let oracle = try SQLiteOracle()
        try oracle.execute(DiffData.sqliteSchema)
        try oracle.insert(into: "t", columns: DiffData.columns.count, rows: generated.rows.map { $0.map(OracleValue.init) })
        for view in sqlite { try oracle.execute(view) }
        let expected = try oracle.query("SELECT * FROM \(testCase.final)")

        let run: DiffEngineRun
        do {
            run = try CompEngineRun.run(views: spark, final: testCase.final, mode: testCase.mode, chunks: generated.chunks, sourceOptions: generated.options)
        } catch {
            Issue.record("seed \(seed) (\(testCase.shape)): cells failed on\n  \(spark.joined(separator: ";\n  "))\n\(error)")
            return
        }
        if testCase.hasUnion {
            #expect(run.inputRows >= generated.rows.count, "seed \(seed): every row is read")
        } else {
            #expect(run.inputRows == generated.rows.count, "seed \(seed): every row is read exactly once")
        }
        #expect(run.batches >= generated.chunks.count)

        let (extra, missing) = DiffCompare.difference(run.rows, expected)
        let report = """
            seed \(seed) (\(testCase.shape)), \(generated.rows.count) rows in \(run.batches) micro-batches, \(testCase.mode) mode
              cells:  \(spark.joined(separator: ";\n          "))
              SQLite: \(sqlite.joined(separator: ";\n          "))
              \(run.rows.count) rows from cells, \(expected.count) from SQLite
              only in cells (\(extra.count)): \(extra.prefix(5))
              only in SQLite (\(missing.count)): \(missing.prefix(5))
            """
        #expect(extra.isEmpty && missing.isEmpty, "\(report)")
    }

    /// Two streams over two files that grow at different times, unioned (then maybe a level
    /// over the union, then the generator's query), against SQLite over two tables.
    /// `SQL_COMPOSITION_TWO_STREAM_CASES=n` runs n cases instead of 60.
    static let twoStreamCount = ProcessInfo.processInfo.environment["SQL_COMPOSITION_TWO_STREAM_CASES"].flatMap(Int.init) ?? 60

    @Test(arguments: 0..<twoStreamCount)
    func twoStreamsMatchSQLite(seed: Int) throws {
        var random = CellsRandom(seed: UInt64(seed) &* 0x2545_F491_4F6C_DD1D &+ 0x7777)
        let combiningMarks = Bool.random(using: &random)
        let rows1 = DiffData.randomRows(Int.random(in: 20...200, using: &random), combiningMarks: combiningMarks, random: &random)
        let rows2 = DiffData.randomRows(Int.random(in: 20...200, using: &random), combiningMarks: combiningMarks, random: &random)
        var generator = CompGenerator(random: random, combiningMarks: combiningMarks)
        let testCase = generator.twoStreamCase()
        random = generator.random
        func pieces(_ rows: [[Value]]) -> [String] {
            var cuts = (0..<Int.random(in: 0...3, using: &random)).map { _ in Int.random(in: 1..<rows.count, using: &random) }
            cuts = Array(Set(cuts + [0, rows.count])).sorted()
            return zip(cuts, cuts.dropFirst()).map { start, end in rows[start..<end].map { DiffData.jsonLine($0, random: &random) }.joined() }
        }
        let chunks1 = pieces(rows1), chunks2 = pieces(rows2)
        let spark = testCase.script(.spark), sqlite = testCase.script(.sqlite)

        let oracle = try SQLiteOracle()
        for (name, rows) in [("t1", rows1), ("t2", rows2)] {
            try oracle.execute(DiffData.sqliteSchema.replacingOccurrences(of: "CREATE TABLE t ", with: "CREATE TABLE \(name) "))
            try oracle.insert(into: name, columns: DiffData.columns.count, rows: rows.map { $0.map(OracleValue.init) })
        }
        for view in sqlite { try oracle.execute(view) }
        let expected = try oracle.query("SELECT * FROM \(testCase.final)")

        let run: DiffEngineRun
        do {
            run = try CompEngineRun.run(views: spark, final: testCase.final, mode: testCase.mode, chunks1: chunks1, chunks2: chunks2)
        } catch {
            Issue.record("seed \(seed) (two streams): cells failed on\n  \(spark.joined(separator: ";\n  "))\n\(error)")
            return
        }
        #expect(run.inputRows == rows1.count + rows2.count, "seed \(seed): every row of each stream read exactly once")
        let (extra, missing) = DiffCompare.difference(run.rows, expected)
        #expect(extra.isEmpty && missing.isEmpty, """
            seed \(seed) (two streams), \(rows1.count) + \(rows2.count) rows in \(run.batches) micro-batches, \(testCase.mode) mode
              cells:  \(spark.joined(separator: ";\n          "))
              SQLite: \(sqlite.joined(separator: ";\n          "))
              \(run.rows.count) rows from cells, \(expected.count) from SQLite
              only in cells (\(extra.count)): \(extra.prefix(5))
              only in SQLite (\(missing.count)): \(missing.prefix(5))
            """)
    }

    /// The generator makes every shape, and each seed the same case every time.
    @Test func generatorCoversEveryShapeReproducibly() {
        var shapes: Set<String> = []
        var sawCTE = false, sawSubquery = false, sawUnion3 = false, sawDeepViews = false
        for seed in 0..<Self.count {
            let a = Self.generate(seed: seed), b = Self.generate(seed: seed)
            #expect(a.testCase.script(.spark) == b.testCase.script(.spark))
            #expect(a.chunks == b.chunks)
            shapes.insert(a.testCase.shape)
            let text = a.testCase.script(.spark).joined(separator: "\n")
            if text.contains("WITH w") { sawCTE = true }
            if text.contains("FROM (SELECT") { sawSubquery = true }
            if text.components(separatedBy: " UNION ALL ").count >= 3 { sawUnion3 = true }
            if a.testCase.views.count >= 4 { sawDeepViews = true }
        }
        #expect(shapes == ["views", "over-aggregate", "subqueries", "with", "union", "aggregate-over-union", "mixed"])
        #expect(Self.count < 100 || (sawCTE && sawSubquery && sawUnion3 && sawDeepViews))
    }

    // MARK: Fixed cases with known answers

    /// Runs `views` (Spark SQL; the last is started) in cells over SQLDifferentialTests'
    /// six fixed rows in two micro-batches, and `sqlite` (default: the same text) in SQLite;
    /// both must give `expected`.
    func checkFixed(_ views: [String], sqlite: [String]? = nil, mode: String, _ expected: [[OracleValue]]) throws {
        let oracle = try SQLiteOracle()
        try oracle.execute(DiffData.sqliteSchema)
        try oracle.insert(into: "t", columns: 6, rows: SQLDifferentialTests.fixedRows)
        for view in sqlite ?? views { try oracle.execute(view) }
        let final = try #require(views.last?.split(separator: " ").dropFirst(2).first.map(String.init))
        let fromSQLite = DiffCompare.difference(try oracle.query("SELECT * FROM \(final)"), expected)
        #expect(fromSQLite.extra.isEmpty && fromSQLite.missing.isEmpty, "SQLite: \(fromSQLite)")

        let lines = SQLDifferentialTests.fixedLines
        let run = try CompEngineRun.run(views: views, final: final, mode: mode, chunks: [lines[..<3].joined(), lines[3...].joined()])
        let fromCells = DiffCompare.difference(run.rows, expected)
        #expect(fromCells.extra.isEmpty && fromCells.missing.isEmpty, "cells: \(run.rows)")
    }

    @Test func viewOverViewOverView() throws {
        try checkFixed([
            "CREATE VIEW big AS SELECT g, x, h FROM t WHERE x > 0",
            "CREATE VIEW doubled AS SELECT g, x * 2 AS x2, h FROM big WHERE h IS NOT NULL",
            "CREATE VIEW per AS SELECT g, count(*) AS n, sum(x2) AS s FROM doubled GROUP BY g",
        ], mode: "complete", [
            [.text("a"), .integer(1), .integer(20)],
            [.null, .integer(1), .integer(14)],
            [.text("é"), .integer(1), .integer(10)],
        ])
    }

    @Test func twelveLevelsOfViews() throws {
        // Each level adds one to x and drops the rows it makes even: any depth plans and runs.
        var views = ["CREATE VIEW l0 AS SELECT g, x FROM t WHERE x IS NOT NULL"]
        for level in 1...12 { views.append("CREATE VIEW l\(level) AS SELECT g, x + 1 AS x FROM l\(level - 1) WHERE x % 2 <> 0 OR x > 5") }
        views.append("CREATE VIEW r AS SELECT g, count(*) AS n, max(x) AS m FROM l12 GROUP BY g")
        // 10, 7 and 5 (odd, then 6 > 5) survive every level; -4 is dropped at the first, 1 (-> 2)
        // at the second.
        try checkFixed(views, mode: "complete", [
            [.text("a"), .integer(1), .integer(22)],
            [.null, .integer(1), .integer(19)],
            [.text("é"), .integer(1), .integer(17)],
        ])
    }

    @Test func aHundredLevelsRunAndTooManyAreAClearError() throws {
        var views = ["CREATE VIEW l0 AS SELECT g, x FROM t"]
        for level in 1...100 { views.append("CREATE VIEW l\(level) AS SELECT g, x + 1 AS x FROM l\(level - 1) WHERE x > -1000") }
        views.append("CREATE VIEW r AS SELECT g, max(x) AS m FROM l100 GROUP BY g")
        try checkFixed(views, mode: "complete", [[.text("a"), .integer(110)], [.null, .integer(107)], [.text("é"), .integer(105)]])

        // Far deeper: refused with the bound and where, not a stack overflow.
        var script = "CREATE SOURCE f USING file OPTIONS ('path' = '/dev/null');\nCREATE STREAM t FROM f FORMAT json SCHEMA (x BIGINT);\nCREATE VIEW l0 AS SELECT x FROM t;\n"
        for level in 1...1_000 { script += "CREATE VIEW l\(level) AS SELECT x + 1 AS x FROM l\(level - 1) WHERE x > 0;\n" }
        let session = CellSession(output: { _ in })
        let error = #expect(throws: CellError.self) { try session.run(script: script, file: "deep.cells") }
        let message = error?.message ?? ""
        #expect(message.contains("at most"), "says the bound: \(message)")
        let line = try #require(error?.location?.line)
        #expect(line > 3 && line <= 1_003, "at the view that goes past it: \(message)")
        #expect(message.hasPrefix("deep.cells:\(line):"), "\(message)")
    }

    @Test func whereOverAnAggregatingView() throws {
        try checkFixed([
            "CREATE VIEW per AS SELECT g, count(*) AS n, sum(x) AS sx FROM t GROUP BY g",
            "CREATE VIEW busy AS SELECT g, n, sx + n AS total FROM per WHERE sx > 6",
        ], mode: "complete", [[.null, .integer(2), .integer(9)]])
    }

    @Test func monotoneWhereOverAnAggregatingViewInUpdateMode() throws {
        // Counts only grow, so a group that passes n >= 2 keeps passing: the upserted table
        // ends as the complete answer. After the first micro-batch only a has two rows.
        try checkFixed([
            "CREATE VIEW per AS SELECT g, count(*) AS n, sum(x) AS sx FROM t GROUP BY g",
            "CREATE VIEW busy AS SELECT g, n, sx FROM per WHERE n >= 2",
        ], mode: "update", [
            [.text("a"), .integer(2), .integer(6)],
            [.null, .integer(2), .integer(7)],
            [.text("é"), .integer(2), .integer(6)],
        ])
    }

    @Test func subqueriesWithAndWithoutAlias() throws {
        try checkFixed([
            "CREATE VIEW r AS SELECT g, count(*) AS n FROM (SELECT * FROM (SELECT g, x FROM t WHERE x > 0) WHERE x < 10) GROUP BY g",
        ], sqlite: [
            "CREATE VIEW r AS SELECT g, count(*) AS n FROM (SELECT * FROM (SELECT g, x FROM t WHERE x > 0) a WHERE x < 10) b GROUP BY g",
        ], mode: "complete", [[.null, .integer(1)], [.text("é"), .integer(2)]])
    }

    @Test func commonTableExpressionsReadEarlierOnes() throws {
        try checkFixed([
            "CREATE VIEW r AS WITH a AS (SELECT g, x FROM t WHERE x IS NOT NULL), b AS (SELECT g, x + 1 AS x1 FROM a) SELECT g, max(x1) AS m FROM b GROUP BY g",
        ], mode: "complete", [[.text("a"), .integer(11)], [.null, .integer(8)], [.text("é"), .integer(6)]])
    }

    @Test func unionAllOfOneStreamTwice() throws {
        // 4 rows with x > 0, 2 with h = 1: six rows; names from the first SELECT; INT h under BIGINT x.
        try checkFixed([
            "CREATE VIEW u AS SELECT g AS k, x AS v FROM t WHERE x > 0 UNION ALL SELECT g, h FROM t WHERE h = 1",
            "CREATE VIEW r AS SELECT k, count(*) AS n, sum(v) AS total FROM u GROUP BY k",
        ], mode: "complete", [
            [.text("a"), .integer(2), .integer(11)],
            [.null, .integer(1), .integer(7)],
            [.text("é"), .integer(3), .integer(7)],
        ])
    }

    @Test func namesSwappedBetweenLevels() throws {
        // Each level resolves names against the level below, never the stream's.
        try checkFixed([
            "CREATE VIEW a AS SELECT x AS h, h AS x FROM t WHERE x IS NOT NULL AND h IS NOT NULL",
            "CREATE VIEW b AS SELECT h - x AS d, x AS h FROM a",
            "CREATE VIEW r AS SELECT d, h FROM b WHERE h < 3",
        ], mode: "append", [[.integer(9), .integer(1)], [.integer(-6), .integer(2)], [.integer(4), .integer(1)]])
    }

    @Test func qualifiedColumnsThroughAliases() throws {
        try checkFixed([
            "CREATE VIEW a AS SELECT x, g FROM t WHERE x > 0",
            "CREATE VIEW r AS SELECT q.g, q.x + 1 AS x1 FROM (SELECT v.g, v.x FROM a AS v WHERE v.x < 10) q",
        ], mode: "append", [[.null, .integer(8)], [.text("é"), .integer(6)], [.text("é"), .integer(2)]])
    }

    @Test func innerWithShadowsAnOuterOne() throws {
        // Inside the subquery, `a` is the inner CTE (which reads the outer `a`).
        try checkFixed([
            "CREATE VIEW r AS WITH a AS (SELECT x FROM t WHERE x > 0) SELECT count(*) AS n, sum(x) AS s FROM (WITH a AS (SELECT x FROM a WHERE x < 10) SELECT * FROM a) i",
        ], sqlite: [
            // SQLite would take a CTE reading its own name for a recursive one.
            "CREATE VIEW r AS WITH a AS (SELECT x FROM t WHERE x > 0) SELECT count(*) AS n, sum(x) AS s FROM (WITH b AS (SELECT x FROM a WHERE x < 10) SELECT * FROM b) i",
        ], mode: "complete", [[.integer(3), .integer(13)]])
    }

    @Test func unionWidensIntegersUnderDoublesAndSumsAsDoubles() throws {
        // h (INT) under y (DOUBLE): the column is a DOUBLE; its sum too.
        try checkFixed([
            "CREATE VIEW u AS SELECT g, y AS v FROM t WHERE y IS NOT NULL UNION ALL SELECT g, h FROM t WHERE h IS NOT NULL",
            "CREATE VIEW r AS SELECT g, count(*) AS n, sum(v) AS total FROM u GROUP BY g",
        ], mode: "complete", [
            [.text("a"), .integer(3), .real(4.5)],
            [.null, .integer(3), .real(5.75)],
            [.text("é"), .integer(2), .real(0.0)],
        ])
    }

    // MARK: LIMIT on a stream

    /// The six fixed rows in two micro-batches (three each) through `views`; the last's table.
    func fixedRun(_ views: [String], mode: String = "append") throws -> [[String]] {
        let final = try #require(views.last?.split(separator: " ").dropFirst(2).first.map(String.init))
        let lines = SQLDifferentialTests.fixedLines
        let run = try CompEngineRun.run(views: views, final: final, mode: mode, chunks: [lines[..<3].joined(), lines[3...].joined()])
        return run.rows.map { $0.map { "\($0)" } }
    }

    /// Spark's streaming LIMIT (StreamingGlobalLimitExec) counts the rows it let through in
    /// state: the limit holds for the whole stream, not per micro-batch. Here 3 rows with an x
    /// come in the first batch and 2 in the second: 4 in all, the first three of them those of
    /// the first batch.
    @Test
    func streamingLimitHoldsAcrossMicroBatches() throws {
        let rows = try fixedRun(["CREATE VIEW lim AS SELECT x FROM t WHERE x IS NOT NULL LIMIT 4"])
        #expect(rows.count == 4, "LIMIT 4 over the stream: \(rows)")
        #expect(Array(rows.prefix(3)) == [["10"], ["-4"], ["7"]], "\(rows)")
    }

    /// LIMIT after the last SELECT of a union limits the union, over the whole stream: 6 rows
    /// in the first batch, 4 more offered in the second, 7 in all.
    @Test
    func streamingLimitOfAUnionHoldsAcrossMicroBatches() throws {
        let rows = try fixedRun(["CREATE VIEW ul AS SELECT x FROM t WHERE x IS NOT NULL UNION ALL SELECT x * 10 FROM t WHERE x IS NOT NULL LIMIT 7"])
        #expect(rows.count == 7, "LIMIT 7 over the union: \(rows)")
    }

    // MARK: SELECT at the prompt over tables

    /// The six fixed rows through `CREATE VIEW v AS SELECT g, h, x FROM t` into the memory
    /// table v; then `select` at the prompt: the rows it printed (header first), cells trimmed,
    /// in printed order.
    func prompt(_ select: String) throws -> [[String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sqlcomp-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try SQLDifferentialTests.fixedLines.joined().write(toFile: file, atomically: true, encoding: .utf8)
        let transcript = Transcript()
        let session = CellSession(output: transcript.output)
        session.triggerOverride = .availableNow
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM t FROM f FORMAT json SCHEMA (\(DiffData.streamSchema));
            CREATE VIEW v AS SELECT g, h, x FROM t;
            START v OUTPUT MODE append USING memory;
            """)
        #expect(session.table("v")?.count == 6)
        let before = transcript.value.count
        try session.run(script: select)
        return transcript.value.dropFirst(before).split(separator: "\n").filter { $0.hasPrefix("|") }.map { line in
            line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    @Test func promptSelectWithCTEsOverATable() throws {
        // x > 0 and x < 10: 7, 5 and 1.
        #expect(try prompt("WITH big AS (SELECT * FROM v WHERE x > 0), small AS (SELECT * FROM big WHERE x < 10) SELECT count(*) AS n, sum(x) AS sx FROM small;")
            == [["n", "sx"], ["3", "13"]])
    }

    @Test func promptSelectFromNestedSubqueries() throws {
        #expect(try prompt("SELECT g, m FROM (SELECT g, max(x) AS m FROM (SELECT g, x FROM v WHERE h IS NOT NULL) GROUP BY g) s WHERE m > 5 ORDER BY m;")
            == [["g", "m"], ["NULL", "7"], ["a", "10"]])
    }

    @Test func promptUnionAllWithOrderByAndLimitOverTheWhole() throws {
        // Groups: NULL 2, a 2, é 2; and the total 6. ORDER BY and LIMIT apply to the union;
        // ascending puts NULL first, as Spark does.
        #expect(try prompt("SELECT g, count(*) AS n FROM v GROUP BY g UNION ALL SELECT 'total', count(*) FROM v ORDER BY n DESC, g LIMIT 3;")
            == [["g", "n"], ["total", "6"], ["NULL", "2"], ["a", "2"]])
        // Without ORDER BY, every row of both sides.
        let all = try prompt("SELECT x FROM v WHERE x > 5 UNION ALL SELECT h FROM v WHERE h > 1;")
        #expect(all.first == ["x"])
        #expect(all.dropFirst().map { $0[0] }.sorted() == ["10", "2", "3", "7"])
    }
}
