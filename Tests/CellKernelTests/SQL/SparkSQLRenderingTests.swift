import Foundation
import Testing
@testable import CellKernel

/// Queries and expressions rendered as Spark SQL text (`sparkSQL()`), for the Spark Connect
/// backend: the text must parse back to the same tree, with every literal exact.
@Suite struct SparkSQLRenderingTests {
    private func query(_ text: String) throws -> Query {
        guard case .select(let query) = try SQLParsing.statement(text) else { throw SQLParsing.Unexpected.kind }
        return query
    }

    /// Parses `text`, renders it, parses the rendering: the trees must be equal.
    @discardableResult
    private func roundTrip(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> String {
        let original = try query(text)
        let rendered = try original.sparkSQL()
        let reparsed = try query(rendered)
        #expect(reparsed == original, "\(text)\n  rendered as\n\(rendered)", sourceLocation: sourceLocation)
        // Rendering is a fixed point: the rendering of the rendering is the same text.
        #expect(try reparsed.sparkSQL() == rendered, sourceLocation: sourceLocation)
        return rendered
    }

    /// The literal's value after rendering and parsing back.
    private func reread(_ literal: Literal) throws -> Literal {
        let rendered = try SQLExpression.literal(literal).sparkSQL()
        guard case .literal(let back) = try SQLParsing.expression(rendered).kind else {
            Issue.record("\(rendered) did not parse back as a literal")
            return .null
        }
        return back
    }

    // MARK: The notebooks

    /// Every query of every notebook: the views, and any SELECT or EXPLAIN of one.
    @Test func everyNotebookQueryRoundTrips() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: notebooksFolder.path)
            .filter { $0.hasSuffix(".cells") }.sorted()
        #expect(files.count >= 5)
        var count = 0
        for file in files {
            let text = try String(contentsOf: notebooksFolder.appendingPathComponent(file), encoding: .utf8)
            for statement in try SQLParsing.script(text) {
                let query: Query
                switch statement.kind {
                case .createView(let view): query = view.query
                case .select(let select): query = select
                case .explain(.query(let explained)): query = explained
                default: continue
                }
                let rendered = try query.sparkSQL()
                guard case .select(let reparsed) = try SQLParsing.statement(rendered) else {
                    Issue.record("\(file): \(rendered) is not a query")
                    continue
                }
                #expect(reparsed == query, "\(file): \(rendered)")
                count += 1
            }
        }
        #expect(count >= 6)
    }

    @Test func windowsNotebookViewText() throws {
        let rendered = try roundTrip("""
            SELECT window(event_time, '1 minute').start AS window_start,
                   window(event_time, '1 minute').end AS window_end,
                   card_brand AS brand, count(*) AS transactions, sum(amount) AS total
            FROM transactions
            GROUP BY window(event_time, '1 minute'), card_brand
            """)
        #expect(rendered == "SELECT window(`event_time`, '1 minute').`start` AS `window_start`, "
            + "window(`event_time`, '1 minute').`end` AS `window_end`, `card_brand` AS `brand`, "
            + "count(1) AS `transactions`, sum(`amount`) AS `total` FROM `transactions` "
            + "GROUP BY window(`event_time`, '1 minute'), `card_brand`")
    }

    @Test func settlementNotebookJoinText() throws {
        let rendered = try roundTrip("""
            SELECT a.auth_id, s.settled_amount, a.event_time AS authorized_at
            FROM authorizations a LEFT JOIN settlements s
              ON a.auth_id = s.auth_id AND s.event_time BETWEEN a.event_time AND a.event_time + INTERVAL 10 MINUTES
            """)
        #expect(rendered == "SELECT `a`.`auth_id`, `s`.`settled_amount`, `a`.`event_time` AS `authorized_at` "
            + "FROM `authorizations` AS `a` LEFT OUTER JOIN `settlements` AS `s` "
            + "ON (`a`.`auth_id` = `s`.`auth_id`) AND (`s`.`event_time` BETWEEN `a`.`event_time` "
            + "AND (`a`.`event_time` + INTERVAL '10 MINUTES'))")
    }

    @Test func compositionText() throws {
        let rendered = try roundTrip("""
            WITH big AS (SELECT a, b FROM t WHERE b > 1)
            SELECT DISTINCT a FROM big UNION ALL SELECT x FROM (SELECT x FROM u) v ORDER BY a DESC NULLS FIRST, 2 LIMIT 5
            """)
        #expect(rendered == "WITH `big` AS (SELECT `a`, `b` FROM `t` WHERE `b` > 1) SELECT DISTINCT `a` FROM `big` "
            + "UNION ALL SELECT `x` FROM (SELECT `x` FROM `u`) AS `v` ORDER BY `a` DESC NULLS FIRST, 2 LIMIT 5")
    }

    @Test func expressionText() throws {
        func text(_ source: String) throws -> String { try SQLParsing.expression(source).sparkSQL() }
        #expect(try text("a + b * c - -1") == "(`a` + (`b` * `c`)) - (-1)")
        #expect(try text("NOT a = 1 OR b IS NOT NULL") == "(NOT (`a` = 1)) OR (`b` IS NOT NULL)")
        #expect(try text("-x + -(5) + - -2") == "((-`x`) + (-(5))) + (- -2)")
        #expect(try text("m['k'].f[0]") == "`m`['k'].`f`[0]")
        #expect(try text("s.f.g") == "`s`.`f`.`g`")
        #expect(try text("CASE WHEN a THEN 1.5 ELSE 2e0 END") == "CASE WHEN `a` THEN 1.5BD ELSE 2.0D END")
        #expect(try text("CAST(a AS MAP<STRING, ARRAY<STRUCT<x: DECIMAL(38, 2)>>>)")
            == "CAST(`a` AS MAP<STRING, ARRAY<STRUCT<`x`: DECIMAL(38,2)>>>)")
        #expect(try text("count(DISTINCT `odd``name`)") == "count(DISTINCT `odd``name`)")
        #expect(try text("x NOT IN (1, 2) AND y NOT LIKE 'a%' AND z RLIKE '^b'")
            == "((`x` NOT IN (1, 2)) AND (`y` NOT LIKE 'a%')) AND (`z` RLIKE '^b')")
    }

    // MARK: Every construct

    /// Hand-written queries for every construct the parser accepts.
    static let corpus: [String] = [
        "SELECT * FROM t",
        "SELECT t.*, u.* FROM t JOIN u ON t.k = u.k",
        "SELECT DISTINCT a, b AS `b c`, c `d``e` FROM `my stream`",
        "SELECT a FROM t AS x WHERE x.a > 1",
        "SELECT a FROM (SELECT a FROM t) s",
        "SELECT a FROM (SELECT a FROM t)",
        "SELECT * FROM (WITH c AS (SELECT 1 AS one FROM t) SELECT one FROM c) z",
        "WITH a AS (SELECT x FROM t), b AS (SELECT x FROM a WHERE x > 0) SELECT count(*) FROM b",
        "SELECT a FROM t INNER JOIN u ON t.a = u.a LEFT OUTER JOIN v ON u.b = v.b RIGHT JOIN w USING (c, d)",
        "SELECT a FROM t JOIN (SELECT k FROM u) AS s ON t.k = s.k",
        "SELECT x FROM t LATERAL VIEW explode(xs) e AS x",
        "SELECT p, x FROM t LATERAL VIEW OUTER posexplode(xs) e AS p, x LATERAL VIEW explode(ys) f",
        "SELECT posexplode(xs) AS (p, x) FROM t",
        "SELECT a, count(*) FROM t WHERE b <> 'x' GROUP BY a HAVING count(*) > 2 ORDER BY a LIMIT 10",
        "SELECT a FROM t ORDER BY a ASC NULLS LAST, b DESC, c DESC NULLS FIRST, d NULLS FIRST",
        "SELECT a FROM t UNION ALL SELECT a FROM u UNION ALL SELECT b FROM v ORDER BY a DESC LIMIT 4",
        "(SELECT a FROM t) UNION ALL (SELECT a FROM u)",
        "SELECT a FROM t UNION ALL (SELECT a FROM u ORDER BY a LIMIT 1)",
        "SELECT a FROM t UNION ALL SELECT a FROM (SELECT a FROM u LIMIT 3) s",
        "WITH w AS (SELECT a FROM t UNION ALL SELECT a FROM u) SELECT a FROM w",
        "SELECT a FROM (SELECT a FROM t UNION ALL SELECT a FROM u ORDER BY a LIMIT 2) x",
        // Expressions.
        "SELECT a + b - c * d / e % f DIV g, a || b || 'c', -a, +a, - -a, -(1), -1, +1 FROM t",
        "SELECT a = b, a == b, a <=> b, a <> b, a != b, a < b, a <= b, a > b, a >= b FROM t",
        "SELECT NOT a, !a, NOT NOT a, a AND b OR c AND NOT d, (a OR b) AND c FROM t",
        "SELECT a BETWEEN 1 AND 2, a NOT BETWEEN b - 1 AND b + 1, a IN (1, 2, 3), a NOT IN ('x') FROM t",
        "SELECT a LIKE 'a\\\\_%', a NOT LIKE b, a RLIKE '^x$', a REGEXP 'y', a NOT RLIKE 'z' FROM t",
        "SELECT a IS NULL, a IS NOT NULL, (a IS NULL) = (b IS NULL), NOT a IS NULL FROM t",
        "SELECT (a = 1) = (b = 2), a = (b = c), (a + b) * c, a + (b * c), a - (b - c) FROM t",
        "SELECT CAST(a AS STRING), CAST(a AS INT), CAST(a AS BIGINT), CAST(a AS FLOAT), CAST(a AS DOUBLE) FROM t",
        "SELECT CAST(a AS DECIMAL), CAST(a AS DECIMAL(5)), CAST(a AS NUMERIC(38, 10)), CAST(a AS BOOLEAN) FROM t",
        "SELECT CAST(a AS DATE), CAST(a AS TIMESTAMP), CAST(a AS STRUCT<x: INT, `y z`: ARRAY<STRING>>) FROM t",
        "SELECT CAST(a AS MAP<STRING, MAP<INT, DOUBLE>>), CAST(a AS STRUCT<>), CAST(CAST(a AS INT) AS LONG) FROM t",
        "SELECT CASE WHEN a > 1 THEN 'big' WHEN a IS NULL THEN NULL ELSE 'small' END FROM t",
        "SELECT CASE a WHEN 1 THEN 'one' WHEN 2 THEN 'two' END, CASE WHEN NOT a THEN 1 END FROM t",
        "SELECT CASE a + 1 WHEN b THEN c ELSE d END.f FROM t",
        "SELECT count(*), count(1), count(DISTINCT a), count(DISTINCT a, b), coalesce(a, b, 0), now(), f(*) FROM t",
        "SELECT window(ts, '1 minute').start, window(ts, '1 minute', '30 seconds').end FROM t",
        "SELECT s.f, s.f.g, (s).f, s.f[0], s['k'], xs[0], xs[i + 1], m['k']['j'], f(a).x, f(a)[0].y FROM t",
        "SELECT (-1)[0], ('ab').x, (a + b).c, (CAST(a AS STRUCT<x: INT>)).x FROM t",
        "SELECT ts + INTERVAL '10 minutes', ts - INTERVAL 1 HOUR, ts + INTERVAL '1' MINUTE FROM t",
        "SELECT TRUE, FALSE, NULL, 'it''s', \"dq\", 'a\\\\b', 'line\\nnext', '\\u00e9', '\\${HOME}' FROM t",
        "SELECT 0, 2147483647, 2147483648, -2147483649, 9223372036854775807, -9223372036854775808, 5L FROM t",
        "SELECT 9223372036854775808, 99999999999999999999999999999999999999, 1.50, -0.5, .5, 1., 3BD FROM t",
        "SELECT 1e3, 1.5E-3, 2D, -0.0D, 1e308, 4.9e-324, 123456789012345678901234567890123456789012 FROM t",
        "SELECT `select`, `from`.`where`, `a``b`.`c d` FROM `order` AS `group`",
        "SELECT left(s, 2), right(s, 2) FROM t",
        "SELECT a FROM t WHERE a = 1 AND b = 2 OR NOT (c = 3 OR d = 4)",
    ]

    @Test(arguments: corpus) func corpusRoundTrips(_ text: String) throws {
        try roundTrip(text)
    }

    // MARK: Hostile literals

    @Test func hostileStringsAreExact() throws {
        let values = [
            "", "'", "''", "\\", "\\\\'", "a'b\\c", "\\'", "'\\", "line\none", "cr\rlf\r\n", "tab\t",
            "\u{0}", "\u{1}\u{1F}\u{7F}\u{85}", "\u{1A}", "é", "\u{301}accent first", "🎉 emoji", "日本語",
            "${HOME}", "$", "${", "\\${x}", "$$${{", "--not a comment", "/* nor this */", "`back`quote`",
            "\"double\"", "\\%", "\\_", "%_", "\\u00e9", "\\n",
        ]
        for value in values {
            let rendered = try SQLExpression.string(value).sparkSQL()
            #expect(try reread(.string(value)) == .string(value), "\(value.debugDescription) rendered as \(rendered)")
            // No raw newline, control character or `${` reaches the text Spark reads.
            #expect(!rendered.contains("${"))
            #expect(!rendered.unicodeScalars.contains { $0.value < 0x20 })
        }
    }

    @Test func integersAtTheEdgesAreExact() throws {
        for value: Int64 in [0, 1, -1, 2147483647, 2147483648, -2147483648, -2147483649, .max, .min] {
            #expect(try reread(.integer(value)) == .integer(value))
        }
        #expect(try SQLExpression.integer(.min).sparkSQL() == "-9223372036854775808")
    }

    @Test func doublesAreBitExact() throws {
        let values: [Double] = [
            0, -0.0, 1, -1, 0.1, 1.0 / 3.0, 1e308, -1e308, .greatestFiniteMagnitude, 4.9e-324,
            .leastNonzeroMagnitude, .leastNormalMagnitude, 2.2250738585072009e-308, 1e16, 123456789.125, 9007199254740993,
        ]
        for value in values {
            guard case .double(let back) = try reread(.double(value)) else {
                Issue.record("\(value) did not read back as a DOUBLE")
                continue
            }
            #expect(back.bitPattern == value.bitPattern, "\(value) read back as \(back)")
        }
        #expect(try SQLExpression.literal(.double(1e308)).sparkSQL() == "1E+308D")
        #expect(try SQLExpression.literal(.double(-0.0)).sparkSQL() == "-0.0D")
        #expect(try SQLExpression.literal(.double(4.9e-324)).sparkSQL() == "5E-324D")
        #expect(try SQLExpression.literal(.double(.infinity)).sparkSQL() == "CAST('Infinity' AS DOUBLE)")
    }

    @Test func decimalsKeepEveryDigit() throws {
        let values = [
            "12345678901234567890123456789012345678", "-99999999999999999999999999999999999999",
            "0.1234567890123456789012345678901234567", "-1234567890123456789012345678.0123456789",
            "1.50", "0.5", "-0", "9223372036854775808",
        ]
        for value in values {
            #expect(try reread(.decimal(value)) == .decimal(value))
        }
        #expect(try SQLExpression.literal(.decimal("1.50")).sparkSQL() == "1.50BD")
    }

    // MARK: Depth

    /// Chains at the parser's depth limit render and read back; deeper trees (which only code
    /// can build) are refused, not recursed into.
    @Test func deepNestingRoundTripsAtTheLimitAndIsRefusedBeyond() throws {
        let limit = SQLParser.maximumExpressionDepth
        let shapes = [
            String(repeating: "NOT ", count: limit - 1) + "a",
            String(repeating: "- ", count: limit - 1) + "a",
            String(repeating: "f(", count: limit - 1) + "a" + String(repeating: ")", count: limit - 1),
            String(repeating: "(", count: limit - 1) + "a" + String(repeating: ")", count: limit - 1),
            Array(repeating: "a", count: limit).joined(separator: " + "),
            Array(repeating: "a", count: limit).joined(separator: " AND "),
        ]
        for shape in shapes {
            let expression = try SQLParsing.expression(shape)
            let rendered = try expression.sparkSQL()
            #expect(try SQLParsing.expression(rendered) == expression, "\(shape.prefix(20))…")
        }
        // 200 levels: the parser refuses the text, and the renderer a tree built by hand.
        #expect(SQLParsing.expressionError(String(repeating: "NOT ", count: 200) + "a") != nil)
        #expect(SQLParsing.expressionError(String(repeating: "(", count: 200) + "a" + String(repeating: ")", count: 200)) != nil)
        var deep = SQLExpression.column("a")
        for _ in 0..<200 { deep = .unary(.not, deep) }
        #expect(throws: SQLError.self) { try deep.sparkSQL() }
    }

    // MARK: Refused

    @Test func deduplicateIsRefusedAtTheClause() throws {
        let cases: [(String, String)] = [
            ("SELECT * FROM tx DEDUPLICATE", "1:18"),
            ("SELECT * FROM tx t DEDUPLICATE BY (auth_id) WITHIN WATERMARK", "1:20"),
            ("SELECT *\nFROM a JOIN b DEDUPLICATE BY (k) ON a.k = b.k", "2:15"),
            ("SELECT x FROM (SELECT x FROM (SELECT x FROM t DEDUPLICATE WITHIN WATERMARK) s) u", "1:47"),
            ("WITH d AS (SELECT * FROM t DEDUPLICATE) SELECT * FROM d", "1:28"),
        ]
        for (text, at) in cases {
            let parsed = try query(text)
            let error = #expect(throws: SQLError.self) { try parsed.sparkSQL() }
            #expect(error?.at == at, "\(text)")
            #expect(error?.message.contains("DEDUPLICATE is cells' own syntax") == true)
            #expect(error?.message.contains("SET ENGINE local") == true)
            #expect(error?.length == "DEDUPLICATE".count)
        }
    }

    @Test func limitBeyondSparksIntIsRefused() throws {
        let error = #expect(throws: SQLError.self) { try query("SELECT a FROM t LIMIT 2147483648").sparkSQL() }
        #expect(error?.message.contains("LIMIT 2147483648") == true)
        #expect(try roundTrip("SELECT a FROM t LIMIT 2147483647").hasSuffix("LIMIT 2147483647"))
    }

    // MARK: Schemas

    @Test func typesAsSparkDDL() {
        let type = SQLType.struct([
            StructField(name: "a", type: .int), StructField(name: "b`c", type: .array(.decimal(precision: 12, scale: 3))),
            StructField(name: "m", type: .map(key: .string, value: .struct([StructField(name: "t", type: .timestamp)]))),
        ])
        #expect(type.sparkDDL == "STRUCT<`a`: INT, `b``c`: ARRAY<DECIMAL(12,3)>, `m`: MAP<STRING, STRUCT<`t`: TIMESTAMP>>>")
        let scalars: [SQLType] = [.string, .int, .bigint, .float, .double, .boolean, .date, .timestamp, .decimal(precision: 38, scale: 38)]
        #expect(scalars.map(\.sparkDDL) == ["STRING", "INT", "BIGINT", "FLOAT", "DOUBLE", "BOOLEAN", "DATE", "TIMESTAMP", "DECIMAL(38,38)"])
    }

    @Test func typesReadBackThroughTheSchemaParser() throws {
        let types: [SQLType] = [
            .struct([StructField(name: "a b", type: .int), StructField(name: "select", type: .array(.map(key: .int, value: .string)))]),
            .array(.array(.decimal(precision: 5, scale: 2))), .map(key: .string, value: .double), .struct([]),
        ]
        for type in types {
            #expect(try SQLParser.parseSchemaText(type.sparkDDL, origin: .start) == type)
        }
    }

    @Test func streamSchemaAsFromJsonDDL() throws {
        guard case .createStream(let create) = try SQLParsing.statement("""
            CREATE STREAM s FROM k FORMAT json SCHEMA (
              name STRING, value DOUBLE, `odd name` ARRAY<STRUCT<x: INT>>, doubled AS value * 2, ts TIMESTAMP)
            """) else { throw SQLParsing.Unexpected.kind }
        let stream = try StreamPlanner().plan(create, sourceIsKafka: true)
        let ddl = stream.sparkRecordDDL
        #expect(ddl == "`name` STRING, `value` DOUBLE, `odd name` ARRAY<STRUCT<`x`: INT>>, `ts` TIMESTAMP")
        #expect(try SQLParser.parseSchemaText(ddl, origin: .start)
            == .struct(create.columns.compactMap { column in column.type.map { StructField(name: column.name.name, type: $0) } }))
    }
}
