import Testing
@testable import CellKernel

@Suite struct SQLErrorTests {
    private func error(_ text: String) throws -> SQLError {
        try #require(SQLParsing.error(text), "\(text) should not parse")
    }

    // MARK: - Missing pieces

    @Test func missingFrom() throws {
        let e = try error("SELECT a, b WHERE x = 1")
        #expect(e.message == "expected FROM after the select list but found 'WHERE'")
        #expect(e.at == "1:13")
        #expect(e.length == 5)

        let extra = try error("SELECT a b c FROM t")
        #expect(extra.message == "expected FROM after the select list but found 'c'")
        #expect(extra.at == "1:12")

        let atEnd = try error("SELECT a")
        #expect(atEnd.message == "expected FROM after the select list but found the end of the input")
        #expect(atEnd.at == "1:9")
        #expect(atEnd.isAtEndOfInput)
        #expect(atEnd.hint == "a query reads a stream or a view: add FROM <name>")
    }

    @Test func unclosedParenthesis() throws {
        let inCall = try error("SELECT avg(x FROM t")
        #expect(inCall.message == "expected ',' or ')' but found 'FROM'")
        #expect(inCall.at == "1:14")
        #expect(inCall.hint == "the '(' at 1:11 is not closed")

        let nested = try error("SELECT (a + b\nFROM t")
        #expect(nested.message == "expected ')' but found 'FROM'")
        #expect(nested.at == "2:1")
        #expect(nested.hint == "the '(' at 1:8 is not closed")

        let options = try error("CREATE SOURCE s USING kafka OPTIONS ('a' = 'b'")
        #expect(options.message == "expected ',' or ')' but found the end of the input")
        #expect(options.isAtEndOfInput)
    }

    @Test func unterminatedString() throws {
        let e = try error("SELECT a FROM t\nWHERE b = 'abc")
        #expect(e.message == "unterminated string literal")
        #expect(e.at == "2:11")
        #expect(e.isAtEndOfInput)
        #expect(e.hint == "the string that starts here needs a closing '")
    }

    @Test func unterminatedQuotedIdentifier() throws {
        let e = try error("SELECT `abc FROM t")
        #expect(e.message == "unterminated quoted identifier")
        #expect(e.at == "1:8")
    }

    @Test func missingCaseEnd() throws {
        let e = try error("SELECT CASE WHEN a THEN b FROM t")
        #expect(e.message == "expected WHEN, ELSE or END but found 'FROM'")
        #expect(e.at == "1:27")
        #expect(e.hint == "the CASE at 1:8 needs an END")
    }

    @Test func errorsAfterEarlierStatementsPointAtTheRightLine() throws {
        let e = try error("SHOW VIEWS;\nSELECT a FROM t WHERE")
        #expect(e.message == "expected an expression but found the end of the input")
        #expect(e.at == "2:22")
    }

    @Test func theFirstFaultInTheTextIsReported() throws {
        let e = try error("SELECT a b c FROM t; SELECT 'never closed")
        #expect(e.message == "expected FROM after the select list but found 'c'")
    }

    // MARK: - Misspellings

    @Test func misspeltStatementKeyword() throws {
        let e = try error("SELCT * FROM t")
        #expect(e.message == "expected a statement (CREATE, START, SELECT, SHOW, DESCRIBE, STOP, REFRESH, DROP or SET ENGINE) but found 'SELCT'")
        #expect(e.at == "1:1")
        #expect(e.hint == "did you mean SELECT?")
    }

    @Test func misspeltKeywordReadAsAnAlias() throws {
        let from = try error("SELECT a FORM t")
        #expect(from.message == "expected FROM but found 'FORM'")
        #expect(from.at == "1:10")
        #expect(from.hint == "did you mean FROM? (without it, 'FORM' reads as an alias)")

        let group = try error("SELECT a FROM t GRUOP BY a")
        #expect(group.message == "expected WHERE, GROUP BY, HAVING, ORDER BY, LIMIT, JOIN or ';' but found 'GRUOP'")
        #expect(group.at == "1:17")
        #expect(group.hint == "did you mean GROUP? (without it, 'GRUOP' reads as an alias)")
    }

    @Test func misspeltClauseKeyword() throws {
        let e = try error("SELECT a FROM t WHERE x = 1 GRUOP BY a")
        #expect(e.message == "expected GROUP BY, HAVING, ORDER BY, LIMIT or ';' but found 'GRUOP'")
        #expect(e.at == "1:29")
        #expect(e.hint == "did you mean GROUP?")

        let create = try error("CREATE STREM s FROM src")
        #expect(create.message == "expected SOURCE, STREAM, VIEW or TABLE after CREATE but found 'STREM'")
        #expect(create.hint == "did you mean STREAM?")

        let mode = try error("START v OUTPUT MODE completo")
        #expect(mode.message == "expected APPEND, UPDATE or COMPLETE after OUTPUT MODE but found 'completo'")
        #expect(mode.hint == "did you mean COMPLETE?")

        let type = try error("SELECT CAST(x AS STRNG) FROM t")
        #expect(type.message.hasPrefix("expected a type (STRING, BOOLEAN"))
        #expect(type.hint == "did you mean STRING?")
    }

    @Test func unknownStartClause() throws {
        let e = try error("START v OUTPUT MODE complete TRIGGR '5 seconds'")
        #expect(e.message == "expected TRIGGER, USING, IN BACKGROUND or ';' but found 'TRIGGR'")
        #expect(e.at == "1:30")
        #expect(e.hint == "did you mean TRIGGER?")

        let unknown = try error("START v WITH x")
        #expect(unknown.message == "expected OUTPUT MODE, TRIGGER, USING, IN BACKGROUND or ';' but found 'WITH'")
        #expect(unknown.hint == nil)

        let options = try error("START v OPTIONS ('path' = '/tmp')")
        #expect(options.message == "OPTIONS of a START belong to its sink")
        let late = try error("START v USING json TRIGGER ONCE OPTIONS ('path' = '/tmp')")
        #expect(late.message == "OPTIONS of a START belong to its sink")
        #expect(late.at == "1:33")
    }

    // MARK: - Duplicates and order

    @Test func duplicatedClauses() throws {
        let trigger = try error("START v TRIGGER ONCE TRIGGER '5 seconds'")
        #expect(trigger.message == "TRIGGER is given twice")
        #expect(trigger.at == "1:22")
        #expect(trigger.hint == "the first TRIGGER is at 1:9")

        let whereTwice = try error("SELECT a FROM t WHERE a > 1 WHERE b > 2")
        #expect(whereTwice.message == "WHERE is given twice")
        #expect(whereTwice.at == "1:29")

        let stream = try error("CREATE STREAM s FROM src FORMAT json FORMAT json SCHEMA (a INT)")
        #expect(stream.message == "FORMAT is given twice")

        let option = try error("CREATE SOURCE s USING kafka OPTIONS ('subscribe' = 'a', 'Subscribe' = 'b')")
        #expect(option.message == "option 'Subscribe' is given twice")
        #expect(option.at == "1:57")
        #expect(option.hint == "the first is at 1:38")

        let column = try error("CREATE STREAM s FROM src FORMAT json SCHEMA (a INT, A STRING)")
        #expect(column.message == "column A is declared twice")
    }

    @Test func clausesOutOfOrder() throws {
        let e = try error("SELECT a FROM t ORDER BY a WHERE a > 1")
        #expect(e.message == "WHERE must come before ORDER BY")
        #expect(e.at == "1:28")
    }

    // MARK: - Other faults

    @Test func reservedWordAsAName() throws {
        let e = try error("CREATE VIEW select AS SELECT a FROM t")
        #expect(e.message == "expected a view name but found 'SELECT'")
        #expect(e.hint == "SELECT is a reserved word; write `select` to use it as a name")
    }

    @Test func invalidIntervals() throws {
        let trigger = try error("START v TRIGGER '5 secs'")
        #expect(trigger.message == "'5 secs' is not an interval")
        #expect(trigger.at == "1:17")
        let delay = try error("CREATE STREAM s FROM src FORMAT json SCHEMA (ts TIMESTAMP) WATERMARK ts DELAY '1 month'")
        #expect(delay.message == "'1 month' is not an interval")
    }

    @Test func watermarkOnAnUndeclaredColumn() throws {
        let e = try error("CREATE STREAM s FROM src FORMAT json SCHEMA (a STRING) WATERMARK ts DELAY '1 minute'")
        #expect(e.message == "the watermark column ts is not a column of the stream")
        #expect(e.at == "1:66")
    }

    @Test func streamWithoutSchema() throws {
        let e = try error("CREATE STREAM s FROM src FORMAT json;")
        #expect(e.message == "expected SCHEMA (column TYPE, ...) but found ';'")
    }

    @Test func decimalPrecision() throws {
        // Spark's DECIMAL holds 38 digits (cells held 18 before its decimals became 128-bit).
        let wide = try error("SELECT CAST(x AS DECIMAL(39, 2)) FROM t")
        #expect(wide.message == "DECIMAL precision must be between 1 and 38, not 39")
        #expect(wide.at == "1:26")
        let scale = try error("SELECT CAST(x AS DECIMAL(5, 6)) FROM t")
        #expect(scale.message == "DECIMAL scale 6 is larger than its precision 5")
        #expect(scale.at == "1:29")
    }

    @Test func unsupportedSQL() throws {
        #expect(try error("SELECT a FROM t FULL JOIN u ON a = b").message == "FULL JOIN is not supported")
        // Subqueries in FROM are supported since the plan tree (SQLQueryCompositionParserTests); in expressions, not yet.
        #expect(try error("SELECT a FROM t WHERE a IN (SELECT b FROM u)").message == "subqueries are not supported")
        #expect(try error("SELECT t + INTERVAL 'soon' FROM t").message == "'soon' is not a duration")
    }

    @Test func numbersOutOfRange() throws {
        #expect(try error("SELECT 9223372036854775808L FROM t").message == "9223372036854775808L is out of range for BIGINT")
        #expect(try error("SELECT 1e999 FROM t").message == "1e999 is out of range for DOUBLE")
    }

    @Test func expressionErrors() throws {
        let e = try #require(SQLParsing.expressionError("a +"))
        #expect(e.message == "expected an expression but found the end of the input")
        #expect(e.at == "1:4")
        let trailing = try #require(SQLParsing.expressionError("a b"))
        #expect(trailing.message == "expected an operator or the end of the expression but found 'b'")
        let isWhat = try #require(SQLParsing.expressionError("a IS 1"))
        #expect(isWhat.message == "expected NULL or NOT NULL after IS but found '1'")
        let notWhat = try #require(SQLParsing.expressionError("a NOT 1"))
        #expect(notWhat.message == "expected an operator or the end of the expression but found 'NOT'")
    }
}
