@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// The whole pipeline from SQL text against SQLite: random rows written as JSON lines to a
/// file that grows between micro-batches, a `file` source, a typed stream, a generated view
/// (Spark SQL text), run to the end; its memory table against SQLite running the same query,
/// written in SQLite's dialect, over the same rows. Helpers: SQLDifferentialSupport.swift.
@Suite struct SQLDifferentialTests {
    @Test(arguments: 0..<200)
    func matchesSQLite(seed: Int) throws {
        var random = CellsRandom(seed: UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 0x5EED)
        let combiningMarks = Bool.random(using: &random)
        let rows = DiffData.randomRows(Int.random(in: 50...400, using: &random), combiningMarks: combiningMarks, random: &random)
        var generator = DiffQueryGenerator(random: random, combiningMarks: combiningMarks)
        let query = generator.query()
        random = generator.random
        let spark = query.sql(.spark), sqlite = query.sql(.sqlite)

        let oracle = try SQLiteOracle()
        try oracle.execute(DiffData.sqliteSchema)
        try oracle.insert(into: "t", columns: DiffData.columns.count, rows: rows.map { $0.map(OracleValue.init) })
        let expected = try oracle.query(sqlite)

        // The rows in 1-5 pieces appended between micro-batches; sometimes also capped per batch.
        var cuts = (0..<Int.random(in: 0...4, using: &random)).map { _ in Int.random(in: 1..<rows.count, using: &random) }
        cuts = Array(Set(cuts + [0, rows.count])).sorted()
        let chunks = zip(cuts, cuts.dropFirst()).map { start, end in
            rows[start..<end].map { DiffData.jsonLine($0, random: &random) }.joined()
        }
        let options = Int.random(in: 0..<4, using: &random) == 0 ? ", 'maxOffsetsPerTrigger' = '\(Int.random(in: 300...3000, using: &random))'" : ""

        let run: DiffEngineRun
        do {
            run = try DiffEngineRun.run(viewSQL: spark, mode: query.mode, chunks: chunks, sourceOptions: options)
        } catch {
            Issue.record("seed \(seed): cells failed on\n  \(spark)\n\(error)")
            return
        }
        #expect(run.inputRows == rows.count, "seed \(seed): every row is read exactly once")
        #expect(run.batches >= chunks.count)

        let (extra, missing) = DiffCompare.difference(run.rows, expected)
        let report = """
            seed \(seed), \(rows.count) rows in \(run.batches) micro-batches, \(query.mode) mode
              cells:  \(spark)
              SQLite: \(sqlite)
              \(run.rows.count) rows from cells, \(expected.count) from SQLite
              only in cells (\(extra.count)): \(extra.prefix(5))
              only in SQLite (\(missing.count)): \(missing.prefix(5))
            """
        #expect(extra.isEmpty && missing.isEmpty, "\(report)")
    }

    // MARK: Fixed cases with known answers

    /// Six rows: a missing `g` and a `"g":null` (both NULL), "é" once escaped, once not.
    static let fixedLines = [
        #"{"g":"a","h":1,"x":10,"y":1.5,"s":"p","b":true}"#,
        #"{"g":"a","h":2,"x":-4,"y":null,"s":"q","b":false}"#,
        #"{"h":3,"x":7,"y":2.25,"s":"r"}"#,
        #"{"g":null,"h":null,"x":null,"y":0.5,"b":true}"#,
        #"{"g":"\u00e9","h":1,"x":5,"y":-1.0,"s":"é"}"#,
        #"{"x":1,"g":"é"}"#,
    ].map { $0 + "\n" }

    static let fixedRows: [[OracleValue]] = [
        [.text("a"), .integer(1), .integer(10), .real(1.5), .text("p"), .integer(1)],
        [.text("a"), .integer(2), .integer(-4), .null, .text("q"), .integer(0)],
        [.null, .integer(3), .integer(7), .real(2.25), .text("r"), .null],
        [.null, .null, .null, .real(0.5), .null, .integer(1)],
        [.text("é"), .integer(1), .integer(5), .real(-1.0), .text("é"), .null],
        [.text("é"), .null, .integer(1), .null, .null, .null],
    ]

    /// Runs `sql` in cells (two micro-batches: `lines` cut at `split`) and in SQLite (`sqlite`
    /// if given, else `sql`) over `rows`, the same rows; checks both against `expected`.
    func checkFixed(_ sql: String, sqlite sqliteText: String? = nil, mode: String,
                    lines: [String] = fixedLines, rows: [[OracleValue]] = fixedRows, split: Int = 3,
                    _ expected: [[OracleValue]]) throws {
        let oracle = try SQLiteOracle()
        try oracle.execute(DiffData.sqliteSchema)
        try oracle.insert(into: "t", columns: 6, rows: rows)
        let sqlite = try oracle.query(sqliteText ?? sql)
        let fromSQLite = DiffCompare.difference(sqlite, expected)
        #expect(fromSQLite.extra.isEmpty && fromSQLite.missing.isEmpty, "SQLite: \(sqlite)")

        let chunks = [lines[..<split].joined(), lines[split...].joined()]
        let run = try DiffEngineRun.run(viewSQL: sql, mode: mode, chunks: chunks)
        #expect(run.inputRows == lines.count)
        let fromCells = DiffCompare.difference(run.rows, expected)
        #expect(fromCells.extra.isEmpty && fromCells.missing.isEmpty, "cells: \(run.rows)")
    }

    @Test func nullKeyGroupCollectsMissingAndNullKeys() throws {
        try checkFixed("SELECT g, count(*) AS n, count(h) AS nh, sum(x) AS sx, max(s) AS ms FROM t GROUP BY g", mode: "complete", [
            [.text("a"), .integer(2), .integer(2), .integer(6), .text("q")],
            [.null, .integer(2), .integer(1), .integer(7), .text("r")],
            [.text("é"), .integer(2), .integer(1), .integer(6), .text("é")],
        ])
    }

    @Test func globalAggregateOverRows() throws {
        // max(g) is bytewise: "é" (0xC3 0xA9) sorts after "a".
        try checkFixed("SELECT count(*), count(y), sum(x), avg(y), min(s), max(g), count(DISTINCT g), max(b) FROM t", mode: "complete", [
            [.integer(6), .integer(4), .integer(19), .real(0.8125), .text("p"), .text("é"), .integer(2), .integer(1)],
        ])
    }

    /// min_by/max_by (rows with a NULL ordering skipped), count_if, bool_and/bool_or (NULLs
    /// ignored, NULL for none), var_pop/var_samp (NULL below two rows), sum/avg(DISTINCT):
    /// SQLite through correlated subqueries, CASE sums, min/max and the exact-data formula.
    @Test func extendedAggregatesPerGroup() throws {
        let variance = "(sum(1.0 * x * x) - 1.0 * sum(x) * sum(x) / count(x))"
        func by(_ value: String, _ order: String, _ direction: String) -> String {
            "(SELECT u.\(value) FROM t u WHERE u.g IS t.g AND u.\(order) IS NOT NULL ORDER BY u.\(order) \(direction) LIMIT 1)"
        }
        try checkFixed("""
            SELECT g, min_by(s, x), max_by(s, x), min_by(x, y), count_if(x > 0), bool_and(b), bool_or(b),
              var_pop(x), var_samp(x), sum(DISTINCT h), avg(DISTINCT h) FROM t GROUP BY g
            """, sqlite: """
            SELECT g, \(by("s", "x", "ASC")), \(by("s", "x", "DESC")), \(by("x", "y", "ASC")), sum(CASE WHEN x > 0 THEN 1 ELSE 0 END),
              min(b), max(b), \(variance) / count(x), \(variance) / (count(x) - 1), sum(DISTINCT h), avg(DISTINCT h) FROM t GROUP BY g
            """, mode: "complete", [
            [.text("a"), .text("q"), .text("p"), .integer(10), .integer(1), .integer(0), .integer(1), .real(49), .real(98), .integer(3), .real(1.5)],
            [.null, .text("r"), .text("r"), .null, .integer(1), .integer(1), .integer(1), .real(0), .null, .integer(3), .real(3)],
            [.text("é"), .null, .text("é"), .integer(5), .integer(2), .null, .null, .real(4), .real(8), .integer(1), .real(1)],
        ])
    }

    /// percentile_approx over few rows is exact: the value of rank ceil(p * n) among the
    /// group's non-NULL values (SQLite: the row at that offset).
    @Test func percentileApproxOfFewRowsIsExact() throws {
        // Every group here has a non-NULL x, so ranking the non-NULL rows loses no group.
        let ranked = "WITH r AS (SELECT g, x, row_number() OVER (PARTITION BY g ORDER BY x) AS rn, count(*) OVER (PARTITION BY g) AS n "
            + "FROM t WHERE x IS NOT NULL) "
        func at(_ p: String) -> String { "max(CASE WHEN rn = max(1, CAST(ceil(\(p) * n) AS INTEGER)) THEN x END)" }
        try checkFixed("SELECT g, percentile_approx(x, 0.5), approx_percentile(x, 1.0, 100), percentile_approx(x, 0) FROM t GROUP BY g",
                       sqlite: ranked + "SELECT g, \(at("0.5")), \(at("1.0")), \(at("0.0")) FROM r GROUP BY g", mode: "complete", [
            [.text("a"), .integer(-4), .integer(10), .integer(-4)],
            [.null, .integer(7), .integer(7), .integer(7)],
            [.text("é"), .integer(1), .integer(5), .integer(1)],
        ])
    }

    /// SELECT DISTINCT is a grouping by every item, `*` included.
    @Test func selectDistinctGroupsByEveryItem() throws {
        try checkFixed("SELECT DISTINCT g, h FROM t WHERE h IS NOT NULL", mode: "complete", [
            [.text("a"), .integer(1)], [.text("a"), .integer(2)], [.null, .integer(3)], [.text("é"), .integer(1)],
        ])
        try checkFixed("SELECT DISTINCT g FROM t", mode: "update", [[.text("a")], [.null], [.text("é")]])
        try checkFixed("SELECT DISTINCT * FROM t WHERE x = 10", mode: "complete", [
            [.text("a"), .integer(1), .integer(10), .real(1.5), .text("p"), .integer(1)],
        ])
    }

    @Test func whereLeavingNoRowsGivesNoGroups() throws {
        try checkFixed("SELECT g, count(*) FROM t WHERE x > 1000 GROUP BY g", mode: "complete", [])
    }

    @Test func havingFiltersGroups() throws {
        try checkFixed("SELECT g, sum(x) FROM t GROUP BY g HAVING count(*) > 5", mode: "complete", [])
        try checkFixed("SELECT g, sum(x) FROM t GROUP BY g HAVING sum(x) > 6 OR g IS NULL", mode: "complete", [[.null, .integer(7)]])
    }

    @Test func projectionWithNullsAndFractionalDivision() throws {
        // concat is NULL if any argument is; x / 4 is fractional; a missing h IS NULL.
        try checkFixed("SELECT g, x / 4 AS q, concat(g, s) AS gs, h IS NULL AS hn FROM t WHERE x BETWEEN -4 AND 7",
                       sqlite: "SELECT g, CAST(x AS REAL) / 4, g || s, h IS NULL FROM t WHERE x BETWEEN -4 AND 7", mode: "append", [
            [.text("a"), .real(-1.0), .text("aq"), .integer(0)],
            [.null, .real(1.75), .null, .integer(0)],
            [.text("é"), .real(1.25), .text("éé"), .integer(0)],
            [.text("é"), .real(0.25), .null, .integer(1)],
        ])
    }

    // MARK: Engine bugs found

    /// Spark (and SQLite) answer a global aggregate over no rows with one row: count 0, the
    /// other aggregates NULL; HAVING then sees that row.
    @Test
    func globalAggregateOverNoRows() throws {
        try checkFixed("SELECT count(*), count(x), sum(x), avg(y), max(s) FROM t WHERE x > 1000", mode: "complete", [
            [.integer(0), .integer(0), .null, .null, .null],
        ])
        try checkFixed("SELECT count(*) FROM t WHERE x > 1000 HAVING count(*) = 0", mode: "complete", [[.integer(0)]])
        try checkFixed("SELECT count(*) FROM t WHERE x > 1000 HAVING count(*) > 0", mode: "complete", [])
    }

    /// A query that reads no column of the stream still sees every row.
    @Test
    func queryReadingNoColumnSeesEveryRow() throws {
        try checkFixed("SELECT count(*) AS n FROM t", mode: "complete", [[.integer(6)]])
        try checkFixed("SELECT count(1) AS n, max(2) AS m FROM t GROUP BY 'k'", mode: "complete", [[.integer(6), .integer(2)]])
        try checkFixed("SELECT 1 AS one FROM t", mode: "append", Array(repeating: [.integer(1)], count: 6))
    }

    /// Spark's string functions count code points (UTF8String): "e" + U+0301 (a decomposed
    /// "é") is two characters to substring, LIKE and trim, as it is to SQLite. (cells counted
    /// grapheme clusters until b920ad0; found by this suite.)
    @Test func stringFunctionsCountCodePoints() throws {
        try checkFixed("SELECT x, substring(s, 1, 1), substring(s, 2), s LIKE 'e%', s LIKE '___', ltrim(s), length(s), upper(s) FROM t",
                       sqlite: "SELECT x, substr(s, 1, 1), substr(s, 2), s GLOB 'e*', s GLOB '???', ltrim(s), length(s), upper(s) FROM t",
                       mode: "append", lines: Self.combiningLines, rows: Self.combiningRows, split: 1, [
            [.integer(1), .text("e"), .text("\u{301}z"), .integer(1), .integer(1), .text("e\u{301}z"), .integer(3), .text("E\u{301}Z")],
            [.integer(2), .text(" "), .text("\u{301}"), .integer(0), .integer(0), .text("\u{301}"), .integer(2), .text(" \u{301}")],
        ])
    }

    /// "e" + U+0301 + "z" (a decomposed "éz") and " " + U+0301, as JSON escapes.
    static let combiningLines = [#"{"x":1,"s":"e\u0301z"}"# + "\n", #"{"x":2,"s":" \u0301"}"# + "\n"]
    static let combiningRows: [[OracleValue]] = [[.null, .null, .integer(1), .null, .text("e\u{301}z"), .null],
                                                 [.null, .null, .integer(2), .null, .text(" \u{301}"), .null]]

    /// replace() finds its search string among code points, as Spark's UTF8String.replace.
    @Test
    func replaceCountsCodePoints() throws {
        try checkFixed("SELECT x, replace(s, 'e', 'E'), replace(s, ' ', '_') FROM t", sqlite: "SELECT x, replace(s, 'e', 'E'), replace(s, ' ', '_') FROM t",
                       mode: "append", lines: Self.combiningLines, rows: Self.combiningRows, split: 1, [
            [.integer(1), .text("E\u{301}z"), .text("e\u{301}z")],
            [.integer(2), .text(" \u{301}"), .text("_\u{301}")],
        ])
    }

    /// A string literal may begin with a combining mark.
    @Test
    func stringLiteralMayStartWithCombiningMark() throws {
        try checkFixed("SELECT x, concat(s, '\u{301}!') AS c FROM t WHERE x = 10", sqlite: "SELECT x, s || '\u{301}!' FROM t WHERE x = 10",
                       mode: "append", [[.integer(10), .text("p\u{301}!")]])
    }

    /// Update mode upserts the memory table by key: groups whose keys differ in bytes stay
    /// apart there, as they are in the aggregation (and in Spark).
    @Test
    func updateModeKeepsKeysThatDifferInBytes() throws {
        let run = try DiffEngineRun.run(viewSQL: "SELECT g, count(*) AS n FROM t GROUP BY g", mode: "update", chunks: [
            #"{"g":"\u00e9"}"# + "\n" + #"{"g":"e\u0301"}"# + "\n",
            #"{"g":"\u00e9"}"# + "\n",
        ])
        let (extra, missing) = DiffCompare.difference(run.rows, [[.text("\u{e9}"), .integer(2)], [.text("e\u{301}"), .integer(1)]])
        #expect(extra.isEmpty && missing.isEmpty, "cells: \(run.rows)")
    }

    /// substring(s, pos) runs to the end of s, even from a position before its start (Spark's
    /// UTF8String.substringSQL with length Int.MaxValue). Found by this suite; fixed in b920ad0.
    @Test func substringFromBeforeTheStart() throws {
        try checkFixed("SELECT x, substring(s, -5) AS a, substring(s, -1) AS b, substring(s, -5, 5) AS c FROM t WHERE x = 10",
                       sqlite: "SELECT x, substr(s, -5), substr(s, -1), substr(s, -5, 5) FROM t WHERE x = 10",
                       mode: "append", [[.integer(10), .text("p"), .text("p"), .text("p")]])
    }
}
