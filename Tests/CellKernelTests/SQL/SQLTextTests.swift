import Testing
@testable import CellKernel

@Suite struct SQLTextTests {
    private func text(_ sql: String) throws -> String { try SQLParsing.expression(sql).sqlText }
    private func name(_ sql: String) throws -> String { try SQLParsing.expression(sql).columnName }

    @Test func theTutorialsAggregate() throws {
        #expect(try text("avg(CAST(translate(value, '$,', '') AS FLOAT))") == "avg(CAST(translate(value, $,, ) AS FLOAT))")
    }

    @Test func countStarIsCountOne() throws {
        #expect(try text("count(*)") == "count(1)")
        #expect(try text("COUNT(DISTINCT card_number)") == "count(DISTINCT card_number)")
    }

    @Test func functionsAreLowerCasedAndStringsUnquoted() throws {
        #expect(try text("window(event_time, '1 minute')") == "window(event_time, 1 minute)")
        #expect(try text("SUM(amount)") == "sum(amount)")
        #expect(try text("window(event_time, '1 minute').start") == "window(event_time, 1 minute).start")
    }

    @Test func operatorsAreParenthesized() throws {
        #expect(try text("a + b") == "(a + b)")
        #expect(try text("a + b * c") == "(a + (b * c))")
        #expect(try text("a == b") == "(a = b)")
        #expect(try text("a <> b") == "(NOT (a = b))")
        #expect(try text("a != b") == "(NOT (a = b))")
        #expect(try text("a <=> b") == "(a <=> b)")
        #expect(try text("a DIV b") == "(a div b)")
        #expect(try text("a % b") == "(a % b)")
        #expect(try text("a >= 1 AND b < 2 OR c") == "(((a >= 1) AND (b < 2)) OR c)")
        #expect(try text("a || b || c") == "concat(concat(a, b), c)")
        #expect(try text("-x") == "(- x)")
        #expect(try text("+x") == "(+ x)")
        #expect(try text("NOT x") == "(NOT x)")
    }

    @Test func predicates() throws {
        #expect(try text("x IS NULL") == "(x IS NULL)")
        #expect(try text("x IS NOT NULL") == "(x IS NOT NULL)")
        #expect(try text("x IN (1, 2)") == "(x IN (1, 2))")
        #expect(try text("x NOT IN (1)") == "(NOT (x IN (1)))")
        #expect(try text("x BETWEEN 1 AND 5") == "((x >= 1) AND (x <= 5))")
        #expect(try text("x NOT BETWEEN 1 AND 5") == "(NOT ((x >= 1) AND (x <= 5)))")
        #expect(try text("x LIKE 'a%'") == "x LIKE a%")
        #expect(try text("x NOT LIKE 'a%'") == "(NOT x LIKE a%)")
        #expect(try text("x RLIKE '^a'") == "RLIKE(x, ^a)")
    }

    @Test func literals() throws {
        #expect(try text("-5") == "-5")
        #expect(try text("1.50") == "1.50")
        #expect(try text(".5") == "0.5")
        #expect(try text("1e3") == "1000.0")
        #expect(try text("1.5e20") == "1.5E20")
        #expect(try text("1e-5") == "1.0E-5")
        #expect(try text("12345678e0") == "1.2345678E7")
        #expect(try text("0.001e0") == "0.001")
        #expect(try text("NULL") == "NULL")
        #expect(try text("TRUE") == "true")
        #expect(try text("'it''s'") == "it's")
    }

    @Test func casts() throws {
        #expect(try text("CAST(amount AS DECIMAL(10,2))") == "CAST(amount AS DECIMAL(10,2))")
        #expect(try text("cast(x as long)") == "CAST(x AS BIGINT)")
    }

    @Test func caseIsRenderedSearched() throws {
        #expect(try text("CASE x WHEN 1 THEN 'a' ELSE 'b' END") == "CASE WHEN (x = 1) THEN a ELSE b END")
        #expect(try text("CASE WHEN x > 1 THEN y END") == "CASE WHEN (x > 1) THEN y END")
    }

    @Test func columnNamesFollowSparksAliasRules() throws {
        #expect(try name("t.card_brand") == "card_brand")
        #expect(try name("`avg(valor)`") == "avg(valor)")
        #expect(try name("window.start") == "start")
        #expect(try name("CAST(value AS INT)") == "value")
        #expect(try name("CAST(value + 1 AS INT)") == "CAST((value + 1) AS INT)")
        #expect(try name("count(*)") == "count(1)")
        #expect(try name("'literal'") == "literal")
    }

    @Test func selectItemsUseTheirAlias() throws {
        let select = try SQLParsing.select("SELECT formato_captura AS captura, avg(CAST(translate(value, '$,', '') AS FLOAT)) FROM transacoes")
        #expect(select.items.map(\.columnName) == ["captura", "avg(CAST(translate(value, $,, ) AS FLOAT))"])
    }
}
