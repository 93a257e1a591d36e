import Testing
@testable import CellKernel

@Suite struct SQLSelectParserTests {
    @Test func distinctStarsAndAliases() throws {
        let select = try SQLParsing.select("SELECT DISTINCT t.*, a b, c AS `d e`, 1 FROM tx AS t")
        #expect(select.distinct)
        #expect(select.items == [
            SelectItem(.of(.star(qualifier: "t"))),
            SelectItem(.col("a"), alias: Identifier("b")),
            SelectItem(.col("c"), alias: Identifier("d e")),
            SelectItem(.int(1)),
        ])
        #expect(select.from == TableReference(name: Identifier("tx"), alias: Identifier("t")))
        #expect(try SQLParsing.select("SELECT a FROM tx t").from.alias == Identifier("t"))
    }

    @Test func everyClause() throws {
        let select = try SQLParsing.select("""
            SELECT window, bandeira, count(*) AS n FROM transacoes
            WHERE value IS NOT NULL
            GROUP BY window(event_time, '10 minutes', '5 minutes'), bandeira
            HAVING count(*) > 1
            ORDER BY n DESC NULLS FIRST, bandeira NULLS LAST
            LIMIT 5
            """)
        #expect(select.items[0] == SelectItem(.col("window")))
        #expect(select.whereClause == .of(.isNull(.col("value"), negated: true)))
        #expect(select.groupBy == [.call("window", .col("event_time"), .str("10 minutes"), .str("5 minutes")), .col("bandeira")])
        #expect(select.having == .bin(.greaterThan, .call("count", .int(1)), .int(1)))
        #expect(select.orderBy == [
            OrderItem(.col("n"), ascending: false, nullsFirst: true),
            OrderItem(.col("bandeira"), ascending: true, nullsFirst: false),
        ])
        #expect(select.limit == 5)
    }

    @Test func keywordsAsFieldNamesAndContextualKeywordsAsColumns() throws {
        let select = try SQLParsing.select("SELECT window.start, window.end, mode, format, start FROM t")
        #expect(select.items.map(\.expression) == [.col("start", "window"), .col("end", "window"), .col("mode"), .col("format"), .col("start")])
    }

    @Test func reservedWordsNeedBackquotes() throws {
        #expect(try SQLParsing.select("SELECT `from`, `select` AS `order` FROM `group`").items == [
            SelectItem(.col("from")), SelectItem(.col("select"), alias: Identifier("order")),
        ])
    }
}
