import Testing
@testable import CellKernel

/// WITH, subqueries in FROM, UNION ALL and EXPLAIN in the grammar.
@Suite struct SQLQueryCompositionParserTests {
    private func query(_ text: String) throws -> Query {
        guard case .select(let query) = try SQLParsing.statement(text) else { throw SQLParsing.Unexpected.kind }
        return query
    }

    @Test func subqueryInFromWithAndWithoutAlias() throws {
        let outer = try SQLParsing.select("SELECT a FROM (SELECT a, b FROM t WHERE b > 1) AS s WHERE a < 3")
        #expect(outer.from.alias == Identifier("s"))
        let inner = try #require(outer.from.subquery)
        #expect(inner.select.items.map(\.columnName) == ["a", "b"])
        #expect(inner.select.from.name == Identifier("t"))
        #expect(outer.whereClause == .bin(.lessThan, .col("a"), .int(3)))

        let bare = try SQLParsing.select("SELECT * FROM (SELECT a FROM t)")
        #expect(bare.from.alias == nil)
        #expect(bare.from.subquery?.select.from.name == Identifier("t"))
        #expect(bare.from.name.name == "__subquery")
    }

    @Test func withQueriesInOrderAndNested() throws {
        let q = try query("WITH a AS (SELECT x FROM t), b AS (SELECT x FROM a WHERE x > 0) SELECT count(*) FROM b")
        #expect(q.with.map(\.name.name) == ["a", "b"])
        #expect(q.with[1].query.select.from.name == Identifier("a"))
        #expect(q.select.from.name == Identifier("b"))
        let nested = try SQLParsing.select("SELECT * FROM (WITH c AS (SELECT 1 AS one FROM t) SELECT one FROM c) z")
        #expect(nested.from.subquery?.with.first?.name == Identifier("c"))
    }

    @Test func unionAllTakesOrderByAndLimitForTheWhole() throws {
        let q = try query("SELECT a FROM t UNION ALL SELECT a FROM u UNION ALL SELECT b FROM v ORDER BY a DESC LIMIT 4")
        #expect(q.select.from.name == Identifier("t"))
        #expect(q.unionAll.map(\.from.name.name) == ["u", "v"])
        #expect(q.orderBy == [OrderItem(.col("a"), ascending: false)])
        #expect(q.limit == 4)
        #expect(q.unionAll.allSatisfy { $0.orderBy.isEmpty && $0.limit == nil })

        let parenthesized = try query("(SELECT a FROM t UNION ALL SELECT a FROM u) UNION ALL SELECT a FROM v")
        #expect(parenthesized.select.from.subquery?.unionAll.count == 1)
        #expect(parenthesized.unionAll.count == 1)
    }

    @Test func explainAViewOrAQuery() throws {
        #expect(try SQLParsing.statement("EXPLAIN media") == .explain(.view(Identifier("media"))))
        guard case .explain(.query(let q)) = try SQLParsing.statement("EXPLAIN SELECT a FROM t UNION ALL SELECT a FROM u") else {
            Issue.record("expected EXPLAIN of a query")
            return
        }
        #expect(q.unionAll.count == 1)
        guard case .createView(let view) = try SQLParsing.statement("CREATE VIEW v AS WITH a AS (SELECT x FROM t) SELECT x FROM a") else {
            Issue.record("expected a view")
            return
        }
        #expect(view.query.with.count == 1)
    }

    @Test func errorsNameWhatToWrite() throws {
        let distinct = try #require(SQLParsing.error("SELECT a FROM t UNION SELECT a FROM u"))
        #expect(distinct.message.contains("UNION without ALL"))
        #expect(distinct.at == "1:17")
        #expect(distinct.hint?.contains("UNION ALL") == true)

        let early = try #require(SQLParsing.error("SELECT a FROM t ORDER BY a UNION ALL SELECT a FROM u"))
        #expect(early.message == "ORDER BY and LIMIT must come after the last SELECT of a UNION ALL")
        #expect(early.at == "1:28")

        let twice = try #require(SQLParsing.error("WITH a AS (SELECT x FROM t), A AS (SELECT x FROM t) SELECT x FROM a"))
        #expect(twice.message == "'A' is defined twice in this WITH")
        #expect(twice.at == "1:30")

        let unclosed = try #require(SQLParsing.error("SELECT a FROM (SELECT a FROM t"))
        #expect(unclosed.message.contains("')'"))

        let empty = try #require(SQLParsing.error("SELECT a FROM ()"))
        #expect(empty.message.contains("a query (SELECT or WITH)"))
    }

    @Test func deeplyNestedSubqueriesAreAnErrorNotACrash() throws {
        let depth = 10_000
        let text = String(repeating: "SELECT * FROM (", count: depth) + "SELECT a FROM t" + String(repeating: ")", count: depth)
        let e = try #require(SQLParsing.error(text))
        #expect(e.message.contains("queries nested too deeply"))
        // The limit is where it says: one level fewer parses.
        let deepest = SQLParser.maximumQueryDepth - 1
        let ok = String(repeating: "SELECT * FROM (", count: deepest) + "SELECT a FROM t" + String(repeating: ")", count: deepest)
        #expect(SQLParsing.error(ok) == nil)
    }
}
