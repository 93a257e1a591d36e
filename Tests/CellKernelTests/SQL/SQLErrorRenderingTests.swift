import Testing
@testable import CellKernel

@Suite struct SQLErrorRenderingTests {
    @Test func showsTheLineAndACaret() throws {
        let source = "SHOW VIEWS;\n  SELECT a b c FROM t"
        let error = try #require(SQLParsing.error(source))
        #expect(error.rendered(source: source, file: "work.cells") == """
            work.cells:2:14: error: expected FROM after the select list but found 'c'
                  SELECT a b c FROM t
                             ^
            """)
    }

    @Test func underlinesTheTokenAndPrintsTheHint() throws {
        let source = "SELCT * FROM t"
        let error = try #require(SQLParsing.error(source))
        #expect(error.rendered(source: source) == """
            1:1: error: expected a statement (CREATE, START, SELECT, SHOW, DESCRIBE, STOP, REFRESH, DROP or SET ENGINE) but found 'SELCT'
                SELCT * FROM t
                ^~~~~
            hint: did you mean SELECT?
            """)
    }

    @Test func keepsTabsSoTheCaretLinesUp() throws {
        let source = "\tSELECT a b c FROM t"
        let error = try #require(SQLParsing.error(source))
        let lines = error.rendered(source: source).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[2] == "    \t           ^")
    }

    @Test func caretAfterTheLastCharacterAtTheEnd() throws {
        let source = "SELECT a FROM t WHERE\n"
        let error = try #require(SQLParsing.error(source))
        #expect(error.at == "2:1")
        let source2 = "SELECT a FROM t WHERE"
        let error2 = try #require(SQLParsing.error(source2))
        #expect(error2.rendered(source: source2).split(separator: "\n")[2] == "                         ^")
    }

    @Test func descriptionIsOneLinePlusHint() {
        let error = SQLError("expected ')' but found 'FROM'", at: SourceLocation(line: 3, column: 7, offset: 40), hint: "the '(' at 3:2 is not closed")
        #expect(error.description == "3:7: error: expected ')' but found 'FROM'\nhint: the '(' at 3:2 is not closed")
    }

    @Test func originPointsIntoTheWholeFile() throws {
        let file = "# title\n\n```sql\nSELECT a b c FROM t\n```\n"
        let cell = "SELECT a b c FROM t"
        do {
            _ = try SQLParser.parseScript(cell, origin: SourceLocation(line: 4, column: 1, offset: 16))
            Issue.record("should not parse")
        } catch {
            #expect(error.at == "4:12")
            #expect(error.location.offset == 27)
            #expect(error.rendered(source: file, file: "work.cells").hasPrefix("work.cells:4:12: error:"))
        }
    }
}
