import Foundation
import Testing
@testable import CellKernel

@Suite("Notebook format")
struct NotebookTests {
    static let sample = """
        -- %% [markdown]
        -- # Average value per capture channel
        -- The original notebook.
        -- %% Connect
        CREATE SOURCE s USING file OPTIONS ('path' = '/tmp/x.jsonl');

        -- %% Schema [sql]
        CREATE STREAM t FROM s FORMAT json SCHEMA (a STRING);
        -- %%
        SHOW STREAMS;

        """

    @Test("markers open cells with their titles and kinds")
    func cells() throws {
        let notebook = try Notebook(text: Self.sample)
        #expect(notebook.cells.map(\.title) == [nil, "Connect", "Schema", nil])
        #expect(notebook.cells.map(\.kind) == [.markdown, .sql, .sql, .sql])
        #expect(notebook.cells[1].body == "CREATE SOURCE s USING file OPTIONS ('path' = '/tmp/x.jsonl');\n\n")
        #expect(notebook.cells.map(\.hasStatements) == [false, true, true, true])
        #expect(notebook.title == "Average value per capture channel")
        #expect(notebook.cells[0].displayText == "# Average value per capture channel\nThe original notebook.")
        #expect(notebook.cells[3].heading == "SHOW STREAMS;")
    }

    @Test("cells know the file line they start on")
    func origins() throws {
        let notebook = try Notebook(text: Self.sample)
        #expect(notebook.cells.map(\.origin.line) == [2, 5, 8, 10])
        let schemaOffset = Self.sample.utf8.count - "CREATE STREAM t FROM s FORMAT json SCHEMA (a STRING);\n-- %%\nSHOW STREAMS;\n".utf8.count
        #expect(notebook.cells[2].origin.offset == schemaOffset)
    }

    @Test("the text round-trips byte for byte", arguments: [
        sample, "SELECT 1;", "SELECT 1;\n", "", "-- %% A\n", "-- %% A", "x\n-- %% A\ny", "-- %% A\n\n\n-- %% B\n",
    ])
    func roundTrip(text: String) throws {
        let notebook = try Notebook(text: text)
        let expected = text == "-- %% A" ? "-- %% A\n" : text  // a last marker line gains its newline
        #expect(notebook.text == expected)
    }

    @Test("a file without markers is one SQL cell; blank text has none")
    func plainScript() throws {
        let script = try Notebook(text: "CREATE SOURCE s USING file OPTIONS ('path' = 'x');\nSHOW SOURCES;\n")
        #expect(script.cells.count == 1)
        #expect(script.cells[0].kind == .sql)
        #expect(script.cells[0].origin == .start)
        #expect(try Notebook(text: "\n  \n").cells.isEmpty)
    }

    @Test("an unknown kind is an error at its bracket, rendered with the line and a caret")
    func unknownKind() {
        let text = "SELECT 1;\n-- %% Plot [chart]\nSELECT 2;\n"
        #expect {
            try Notebook(text: text)
        } throws: { error in
            guard let error = error as? SQLError else { return false }
            let rendered = error.rendered(source: text, file: "n.cells")
            return error.location.line == 2 && error.location.column == 12 && error.length == 7
                && rendered.hasPrefix("n.cells:2:12: error: unknown cell kind 'chart'")
                && rendered.contains("    -- %% Plot [chart]\n               ^~~~~~~")
        }
    }

    @Test("a line that only starts like a marker is text")
    func notMarkers() throws {
        let notebook = try Notebook(text: "-- %%x\n--%% A\nSELECT 1;\n")
        #expect(notebook.cells.count == 1)
    }

    @Test("an edited cell replaces its body and moves the cells after it")
    func editing() throws {
        let notebook = try Notebook(text: Self.sample)
        let edited = try notebook.replacing(body: "CREATE SOURCE s USING file OPTIONS (\n  'path' = '/tmp/y.jsonl');", ofCell: 1)
        #expect(edited.cells[1].body == "CREATE SOURCE s USING file OPTIONS (\n  'path' = '/tmp/y.jsonl');\n")
        #expect(edited.cells.map(\.origin.line) == [2, 5, 8, 10])
        let longer = try notebook.replacing(body: "SELECT 1;\nSELECT 2;\nSELECT 3;\n", ofCell: 1)
        #expect(longer.cells.map(\.origin.line) == [2, 5, 9, 11])
        #expect(longer.text.contains("-- %% Schema [sql]\nCREATE STREAM"))
    }

    @Test("errors in a cell point at the notebook's line, not the cell's")
    func errorPositions() throws {
        let text = "-- %% [markdown]\n-- # T\n-- %% Bad\nCREATE SOURCE s USING file\n  OPTIONS ('path' = 'x') garbage;\n"
        let notebook = try Notebook(text: text)
        let cell = notebook.cells[1]
        let session = CellSession(environment: [:], output: { _ in })
        #expect {
            try session.run(script: cell.body, file: "t.cells", origin: cell.origin, source: text)
        } throws: { error in
            let message = (error as? CellError)?.message ?? ""
            let quoted = "      OPTIONS ('path' = 'x') garbage;\n" + String(repeating: " ", count: 4 + 25) + "^"
            return message.hasPrefix("t.cells:5:26: error:") && message.contains(quoted)
        }
    }
}

@Suite("Notebook format: odd files")
struct NotebookOddFileTests {
    @Test("CRLF line endings: markers are seen and the cells hold LF text")
    func windowsLineEndings() throws {
        let text = "-- %% [markdown]\r\n-- # Title\r\n-- %%\r\nSELECT 1;\r\n-- %% Two\r\nSELECT 2;\r\n"
        let notebook = try Notebook(text: text)
        #expect(notebook.cells.map(\.title) == [nil, nil, "Two"])
        #expect(notebook.cells.map(\.kind) == [.markdown, .sql, .sql])
        #expect(notebook.cells[1].body == "SELECT 1;\n")
        #expect(notebook.cells[2].origin.line == 6)
        #expect(notebook.title == "Title")
        let decoded = try Notebook.decode(Array("\u{FEFF}SELECT 1;\r\n".utf8))
        #expect(decoded == "SELECT 1;\n")
    }

    @Test("a marker without a space before its kind is a marker, and the kind's case does not matter")
    func markerSpelling() throws {
        let notebook = try Notebook(text: "SELECT 0;\n-- %%[markdown]\n-- prose\n-- %% [MARKDOWN]\n-- more\n-- %%x\nSELECT 1;\n")
        #expect(notebook.cells.map(\.kind) == [.sql, .markdown, .markdown])
        #expect(notebook.cells[2].body.hasSuffix("-- %%x\nSELECT 1;\n"))
    }
}
