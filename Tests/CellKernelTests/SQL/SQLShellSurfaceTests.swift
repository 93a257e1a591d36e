@testable import CellKernel
import Testing

/// What a shell asks of the SQL layer through the public surface, without the syntax tree:
/// whether typed text is ready to run, the keywords, and whether a statement holds the terminal.
@Suite struct SQLShellSurfaceTests {
    @Test func completeText() {
        #expect(SQLParser.isComplete("SELECT 1;"))
        #expect(SQLParser.isComplete("SELECT 1; -- the comment after the ; does not hide it"))
        #expect(SQLParser.isComplete("SELECT 1;\nSELECT 2;"))
        // An error before the end is shown at once; one at the end waits for more lines.
        #expect(SQLParser.isComplete("SELECT )"))
        #expect(!SQLParser.isComplete("SELECT ("))
        #expect(!SQLParser.isComplete("SELECT 1"))
        #expect(SQLParser.isComplete(""))
    }

    @Test func keywords() {
        let keywords = SQLParser.keywords
        #expect(keywords.contains("SELECT"))
        #expect(keywords.contains("WATERMARK"))
        #expect(Set(keywords).count == keywords.count)
    }

    @Test func foregroundStart() throws {
        let statements = try SQLParser.parseScript("""
            START v OUTPUT MODE update TRIGGER ONCE;
            START w IN BACKGROUND;
            SHOW VIEWS;
            """)
        #expect(statements.map(\.foregroundStartView) == ["v", nil, nil])
    }
}
