import Foundation
import Synchronization
import Testing
@testable import CellKernel

/// CREATE TABLE over CSV and JSON-lines files: quoting, inference, declared schemas, REFRESH,
/// and errors with positions.
@Suite struct StaticTableTests {
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ text: String) { lock.lock(); lines.append(text); lock.unlock() }
        var all: String { lock.lock(); defer { lock.unlock() }; return lines.joined(separator: "\n") }
    }

    static func file(_ text: String, _ ext: String = "csv") throws -> String {
        let path = NSTemporaryDirectory() + "cells-table-\(UUID().uuidString).\(ext)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func session() -> (CellSession, Output) {
        let out = Output()
        return (CellSession(environment: [:], output: { out.add($0) }), out)
    }

    static func rows(_ batch: Batch) -> [[String]] {
        (0..<batch.count).map { row in batch.columns.map { $0.value(at: row).description } }
    }

    @Test func quotingPerRFC4180() throws {
        let path = try Self.file("id,name,note\r\n1,\"Smith, J\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\r\n\r\n3,\"\",plain\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (session, _) = Self.session()
        try session.run(script: "CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', 'header' = 'true');")
        let t = try #require(session.table("t"))
        #expect(t.schema.fields.map(\.name) == ["id", "name", "note"])
        #expect(t.schema.fields.map(\.type) == [.int, .string, .string])
        #expect(t.count == 3)
        let name = t.columns[1], note = t.columns[2]
        #expect(name.value(at: 0) == .string("Smith, J"))
        #expect(note.value(at: 0) == .string("say \"hi\""))
        #expect(name.value(at: 1) == .string("two\nlines"))
        #expect(note.isNull(1), "an unquoted empty field is NULL")
        #expect(name.value(at: 2) == .string(""), "a quoted empty field is the empty string")
    }

    @Test func inferenceWidensPerColumnOverAllRows() throws {
        // Each column against a reference written out by hand from the ladder.
        let path = try Self.file("""
            a,b,c,d,e,f,g,h
            1,1,1,2024-01-01,2024-01-01,true,x,
            2,3000000000,2.5,2024-02-29,2024-01-01 10:00:00,FALSE,1,
            -3,4,1e308,2024-03-01,2024-01-02,true,2024-01-01,

            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (session, out) = Self.session()
        try session.run(script: "CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', 'header' = 'true');")
        let t = try #require(session.table("t"))
        #expect(t.schema.fields.map(\.type) == [.int, .bigint, .double, .date, .timestamp, .boolean, .string, .string])
        #expect(t.columns[1].value(at: 1) == .int(3_000_000_000))
        #expect(t.columns[2].value(at: 2) == .double(1e308))
        #expect(t.columns[7].isNull(0) && t.columns[7].isNull(2))
        #expect(out.all.contains("table t: 3 rows"))
        #expect(!out.all.contains("bad row"))
    }

    @Test func declaredSchemaIsPermissiveAndCountsBadRows() throws {
        let path = try Self.file("id,amount\n1,10.5\nx,2\n3,abc\n4\n5,6,7\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (session, out) = Self.session()
        try session.run(script: """
            CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', 'header' = 'true') SCHEMA (id BIGINT, amount DOUBLE);
            """)
        let t = try #require(session.table("t"))
        #expect(Self.rows(t) == [["1", "10.5"], ["NULL", "2.0"], ["3", "NULL"], ["4", "NULL"], ["5", "6.0"]])
        // x (line 3), abc (line 4), a short row (line 5), a long row (line 6).
        #expect(out.all.contains("4 bad rows read with NULLs"), "\(out.all)")
        #expect(out.all.contains(":5: 1 fields where the table has 2 columns"), "\(out.all)")
    }

    @Test func selectJoinsTheSameLookupAndRefreshPicksUpAChangedFile() throws {
        let path = try Self.file("k,v\na,1\nb,2\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (session, out) = Self.session()
        try session.run(script: """
            CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', header = true);
            SELECT k, v * 10 AS w FROM t WHERE v > 1;
            """)
        let results = Mutex<[ResultTable]>([])
        let selecting = CellSession(environment: [:], events: { if case .table(let t) = $0 { results.withLock { $0.append(t) } } })
        try selecting.run(script: """
            CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', header = true);
            SELECT k, v * 10 AS w FROM t WHERE v > 1;
            """)
        let selected = try #require(results.withLock { $0.first })
        #expect(selected.names == ["k", "w"])
        #expect(selected.columns[0].count == 1 && selected.columns[0].value(at: 0) == .string("b") && selected.columns[1].value(at: 0) == .int(20))
        #expect(out.all.contains("table t: 2 rows, k STRING, v INT (types inferred)"), "\(out.all)")
        try "k,v\na,1\nb,2\nc,30\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(session.table("t")?.count == 2, "loaded once, not per read")
        try session.run(script: "REFRESH TABLE t;")
        #expect(session.table("t")?.count == 3)
        #expect(session.table("t")?.columns[1].value(at: 2) == .int(30))
        try session.run(script: "SHOW TABLES; DESCRIBE t;")
        #expect(out.all.contains("csv \(path): 3 rows, k, v"), "\(out.all)")
        // A file that no longer reads keeps the previous rows.
        try FileManager.default.removeItem(atPath: path)
        #expect(throws: CellError.self) { try session.run(script: "REFRESH TABLE t;") }
        #expect(session.table("t")?.count == 3)
        try session.run(script: "DROP TABLE t;")
        #expect(session.table("t") == nil)
    }

    @Test func jsonLinesTableUsesTheStreamDecoder() throws {
        let path = try Self.file("{\"id\": 1, \"name\": \"a\"}\n\n{\"id\": \"oops\", \"name\": \"b\"}\n{\"id\": 3", "jsonl")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (session, out) = Self.session()
        try session.run(script: "CREATE TABLE j USING file OPTIONS ('path' = '\(path)') SCHEMA (id BIGINT, name STRING);")
        let t = try #require(session.table("j"))
        #expect(Self.rows(t) == [["1", "a"], ["NULL", "b"], ["NULL", "NULL"]])
        #expect(out.all.contains("2 bad rows"), "\(out.all)")
        #expect(out.all.contains(":3: field id"), "\(out.all)")
    }

    @Test func hugeFileStreamsAcrossChunks() throws {
        // Quoted fields that straddle the 1 MiB chunk boundaries, against a Swift reference.
        var text = "id,text\n"
        var expected: [String] = []
        for i in 0..<60_000 {
            let body = "line \(i), with \"quotes\"\nand a newline"
            expected.append(body)
            text += "\(i),\"\(body.replacingOccurrences(of: "\"", with: "\"\""))\"\n"
        }
        let path = try Self.file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(text.utf8.count > 2 * StaticTableReader.chunkSize)
        let (session, _) = Self.session()
        try session.run(script: "CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', 'header' = 'true');")
        let t = try #require(session.table("t"))
        #expect(t.count == expected.count)
        guard case .bytes(let strings) = t.columns[1].data else { Issue.record("not strings"); return }
        #expect((0..<t.count).allSatisfy { strings[$0] == expected[$0] })
        #expect(t.columns[0].value(at: 59_999) == .int(59_999))
    }

    @Test func errorsWithPositions() throws {
        let (session, _) = Self.session()
        func failure(_ script: String) -> String {
            do { try session.run(script: script); return "" } catch { return error.message }
        }
        let missing = failure("CREATE TABLE t USING csv OPTIONS ('path' = '/nonexistent/x.csv');")
        #expect(missing.contains("1:44: error: no such file: /nonexistent/x.csv"), "\(missing)")
        let unclosed = try Self.file("a,b\n1,\"open\n2,3\n")
        let quoteInside = try Self.file("a,b\n1,2\n3,x\"y\n")
        let afterQuote = try Self.file("a,b\n\"q\"z,1\n")
        let empty = try Self.file("")
        let duplicate = try Self.file("id,name,ID\n1,2,3\n")
        defer { for p in [unclosed, quoteInside, afterQuote, empty, duplicate] { try? FileManager.default.removeItem(atPath: p) } }
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(unclosed)');").contains("\(unclosed):2:3: the quote opened here is never closed"))
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(quoteInside)');").contains("\(quoteInside):3:4: a quote inside an unquoted field"))
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(afterQuote)');").contains("\(afterQuote):2:4: text after the closing quote"))
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(empty)');").contains("is empty"))
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(duplicate)', 'header' = 'true');").contains("column ID is named twice in the header (columns 1 and 3)"))
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(duplicate)', 'colour' = 'red');").contains("unknown option 'colour'"))
        #expect(failure("CREATE TABLE t USING parquet OPTIONS ('path' = '\(duplicate)');").contains("1:22: error: unknown table format parquet"))
        #expect(failure("CREATE TABLE t USING file OPTIONS ('path' = '\(duplicate)');").contains("needs its columns declared"))
        #expect(failure("CREATE TABLE t USING csv OPTIONS ('path' = '\(duplicate)') SCHEMA (a INT, A INT);").contains("declared twice"))
        #expect(failure("REFRESH TABLE nope;").contains("unknown table 'nope'"))
        // An empty file with a declared schema is an empty table.
        try session.run(script: "CREATE TABLE e USING csv OPTIONS ('path' = '\(empty)') SCHEMA (a INT);")
        #expect(session.table("e")?.count == 0)
    }

    @Test func inferenceReferenceOnSeededData() throws {
        // Random columns of ints, big ints, doubles and words; the expected type of each column
        // is computed here from what was generated, independently of the reader.
        var rng = SystemRandomNumberGenerator()
        var header: [String] = [], kinds: [[Int]] = []
        let columns = 12, rows = 300
        for c in 0..<columns { header.append("c\(c)"); kinds.append((0..<rows).map { _ in Int.random(in: 0...(c % 4), using: &rng) }) }
        var lines = [header.joined(separator: ",")]
        for r in 0..<rows {
            lines.append((0..<columns).map { c -> String in
                switch kinds[c][r] {
                case 0: String(Int32.random(in: .min ... .max, using: &rng))
                case 1: String(Int64.random(in: Int64(Int32.max) + 1 ... .max, using: &rng))
                case 2: String(Double.random(in: -1e6...1e6, using: &rng))
                default: "w\(r)"
                }
            }.joined(separator: ","))
        }
        let path = try Self.file(lines.joined(separator: "\n"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (session, _) = Self.session()
        try session.run(script: "CREATE TABLE t USING csv OPTIONS ('path' = '\(path)', 'header' = 'true');")
        let t = try #require(session.table("t"))
        for c in 0..<columns {
            let widest = kinds[c].max() ?? 0
            let expected: SQLType = [.int, .bigint, .double, .string][widest]
            #expect(t.schema.fields[c].type == expected, "column \(c)")
        }
    }

    @Test func staticAndStartedViewTablesShareOneLookup() throws {
        let csv = try Self.file("code,label\n1,one\n2,two\n")
        let jsonl = try Self.file("{\"code\": 1}\n{\"code\": 2}\n{\"code\": 2}\n", "jsonl")
        defer { for p in [csv, jsonl] { try? FileManager.default.removeItem(atPath: p) } }
        let (session, out) = Self.session()
        try session.run(script: """
            CREATE TABLE labels USING csv OPTIONS ('path' = '\(csv)', 'header' = 'true');
            CREATE SOURCE f USING file OPTIONS ('path' = '\(jsonl)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (code INT);
            CREATE VIEW counts AS SELECT code, count(*) AS n FROM s GROUP BY code;
            START counts OUTPUT MODE complete TRIGGER AVAILABLE NOW;
            SHOW TABLES;
            """)
        #expect(session.table("counts")?.sortedRows == [["1", "1"], ["2", "2"]])
        #expect(session.table("labels")?.count == 2)
        #expect(out.all.contains("labels") && out.all.contains("results of view counts: 2 rows, code, n"), "\(out.all)")
        // A view's name cannot be taken by a table, nor a table's by a view.
        #expect(throws: CellError.self) { try session.run(script: "CREATE OR REPLACE TABLE counts USING csv OPTIONS ('path' = '\(csv)');") }
        #expect(throws: CellError.self) { try session.run(script: "CREATE OR REPLACE VIEW labels AS SELECT code FROM s;") }
        // A view reads streams, not tables: the error says what labels is.
        do {
            try session.run(script: "CREATE VIEW v AS SELECT * FROM labels;")
            Issue.record("a view over a static table was accepted")
        } catch {
            #expect(error.message.contains("'labels' is a static table, not a stream"), "\(error.message)")
        }
    }

    @Test func parsesTableStatements() throws {
        let create = try SQLParser.parseStatement("CREATE OR REPLACE TABLE t USING csv OPTIONS ('path' = '/x', header = true) SCHEMA (a INT, b STRING)")
        guard case .createTable(let table) = create.kind else { Issue.record("\(create.kind)"); return }
        #expect(table.orReplace && table.name.name == "t" && table.format.name == "csv")
        #expect(table.columns?.map(\.type) == [.int, .string])
        #expect(table.options[option: "header"] == "true")
        #expect(try SQLParser.parseStatement("REFRESH TABLE t").kind == .refreshTable(Identifier("t")))
        #expect(try SQLParser.parseStatement("DROP TABLE t").kind == .dropTable(Identifier("t")))
        #expect(try SQLParser.parseStatement("SHOW TABLES").kind == .show(.tables))
        #expect(throws: SQLError.self) { try SQLParser.parseStatement("CREATE TABLE t USING csv") }
        #expect(throws: SQLError.self) { try SQLParser.parseStatement("CREATE TABLE t USING csv OPTIONS ('path' = '/x') SCHEMA (a AS 1)") }
    }
}
