@testable import CellKernel
import Foundation
import Testing

/// Deeply nested expressions end in an error at the level too many, never in a stack overflow,
/// and the deepest expression the parser accepts is parsed and planned on the main thread's
/// stack and evaluated on Dispatch's 512 KiB worker threads (in a debug build, whose frames are
/// largest).
@Suite struct DeepNestingTests {
    static let limit = SQLParser.maximumExpressionDepth

    /// Each shape nested `depth` times around (or chained after) a column of the stream.
    static let shapes: [(name: String, build: @Sendable (Int) -> String)] = [
        ("parentheses", { String(repeating: "(", count: $0) + "n" + String(repeating: ")", count: $0) }),
        ("NOT", { String(repeating: "NOT ", count: $0) + "b" }),
        ("!", { String(repeating: "!", count: $0) + "b" }),
        ("unary minus", { String(repeating: "- ", count: $0) + "n" }),
        ("unary plus", { String(repeating: "+", count: $0) + "n" }),
        ("CASE", { String(repeating: "CASE WHEN b THEN ", count: $0) + "n" + String(repeating: " ELSE 0 END", count: $0) }),
        ("CAST", { String(repeating: "CAST(", count: $0) + "n" + String(repeating: " AS BIGINT)", count: $0) }),
        ("calls", { String(repeating: "abs(", count: $0) + "n" + String(repeating: ")", count: $0) }),
        ("coalesce", { String(repeating: "coalesce(n, ", count: $0) + "n" + String(repeating: ")", count: $0) }),
        ("a + a", { "n" + String(repeating: " + n", count: $0) }),
        ("a * a", { "n" + String(repeating: " * n", count: $0) }),
        ("AND", { "b" + String(repeating: " AND b", count: $0) }),
        ("OR", { "b" + String(repeating: " OR b", count: $0) }),
        ("||", { "s" + String(repeating: " || s", count: $0) }),
        ("= chain", { "b" + String(repeating: " = b", count: $0) }),
        ("right-nested +", { String(repeating: "n + (", count: $0) + "n" + String(repeating: ")", count: $0) }),
        ("IN", { String(repeating: "b IN (", count: $0) + "b" + String(repeating: ")", count: $0) }),
        ("BETWEEN", { String(repeating: "(", count: $0) + "b" + String(repeating: " BETWEEN false AND true)", count: $0) }),
    ]

    static func script(_ expression: String, file: String) -> String {
        fuzzPreamble(path: file) + """
            CREATE VIEW v AS SELECT \(expression) AS x FROM e WHERE (\(expression)) IS NOT NULL;
            START v TRIGGER ONCE;
            """
    }

    /// The deepest `depth` whose script still parses (nesting only ever adds levels, so this is
    /// a binary search).
    static func deepestAccepted(_ build: (Int) -> String) -> Int? {
        var low = 0, high = limit + 1  // parses at low; not known at high
        guard (try? SQLParser.parseScript(script(build(1), file: "x"))) != nil else { return nil }
        low = 1
        while low + 1 < high {
            let middle = (low + high) / 2
            if (try? SQLParser.parseScript(script(build(middle), file: "x"))) != nil { low = middle } else { high = middle }
        }
        return low
    }

    @Test(arguments: 0..<shapes.count)
    func deepestAcceptedParsesPlansAndRuns(_ shape: Int) throws {
        let (name, build) = Self.shapes[shape]
        let depth = try #require(Self.deepestAccepted(build), "\(name): nothing near the limit parses")
        // A level of a shape adds at most three levels to the tree (BETWEEN, = and parentheses).
        #expect(depth >= Self.limit / 3 - 2, "\(name)")
        #expect((try? SQLParser.parseScript(Self.script(build(depth + 1), file: "x"))) == nil, "\(name)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-deep-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try writeFuzzInput(to: file)
        let script = Self.script(build(depth), file: file)
        let outcome = onThread { runFuzzScript(script) }
        let ended = try #require(outcome, "\(name) at depth \(depth) did not finish")
        #expect(ended == .success, "\(name) at depth \(depth)")

        // A batch evaluated on the smallest stack, as Dispatch's workers do for a file read in
        // parallel: planned on the main thread's stack, run on 512 KiB.
        let prepared = onThread { () -> QueryBox? in
            let session = CellSession(environment: [:], output: { _ in })
            do throws(CellError) {
                try session.run(script: fuzzPreamble(path: file)
                    + "CREATE VIEW v AS SELECT \(build(depth)) AS x FROM e WHERE (\(build(depth))) IS NOT NULL;")
                return QueryBox(query: try session.prepare(start: "START v TRIGGER ONCE"), session: session)
            } catch {
                return nil
            }
        }
        guard let planned = prepared, let box = planned else { Issue.record("\(name): the view did not plan"); return }
        let rows = onThread(stackSize: smallestStack) { () -> Int in (try? box.query.runBatch())?.numInputRows ?? -1 }
        #expect((rows ?? -2) > 10, "\(name): \(String(describing: rows)) rows (nil: did not finish)")
        box.query.stop()
    }

    /// A prepared query handed to the thread that runs its batch (one thread at a time).
    final class QueryBox: @unchecked Sendable {
        let query: StreamingQuery
        let session: CellSession
        init(query: StreamingQuery, session: CellSession) { self.query = query; self.session = session }
    }

    @Test(arguments: 0..<shapes.count)
    func tooDeepIsAnErrorAtTheLevelTooMany(_ shape: Int) throws {
        let (name, build) = Self.shapes[shape]
        for depth in [Self.limit + 1, 5_000, 100_000] {
            let statement = "CREATE VIEW v AS SELECT \(build(depth)) AS x FROM e"
            let error = onThread { () -> SQLError? in
                do throws(SQLError) { _ = try SQLParser.parseStatement(statement); return nil } catch { return error }
            }
            guard let finished = error else { Issue.record("\(name) at \(depth) did not finish"); continue }
            guard let failure = finished else { Issue.record("\(name) at \(depth) parsed"); continue }
            #expect(failure.message.contains("expression nested too deeply (more than \(Self.limit) levels"), "\(name): \(failure.message)")
            // The error points into the expression, at or before the level too many.
            #expect(failure.location.line == 1 && failure.location.column > 24, "\(name): \(failure.location)")
        }
    }

    @Test func tooDeepInANotebookMapsToAStatementErrorWithItsPosition() throws {
        let deep = String(repeating: "(", count: 10_000) + "n" + String(repeating: ")", count: 10_000)
        let script = "CREATE SOURCE f USING file OPTIONS ('path' = '/nonexistent');\nCREATE VIEW v AS\n  SELECT \(deep) FROM e;"
        let outcome = try #require(onThread { runFuzzScript(script) })
        guard case .statementError(let text) = outcome else { Issue.record("\(outcome)"); return }
        #expect(text.hasPrefix("3:"), "\(text)")
        #expect(text.contains("nested too deeply"))
    }

    /// Seconds to parse `text` on the main thread's stack.
    static func parseTime(_ text: String) throws -> Double {
        let clock = ContinuousClock()
        let started = clock.now
        let parsed = try #require(onThread { (try? SQLParser.parseStatement(text)) != nil })
        #expect(parsed)
        let elapsed = (clock.now - started).components
        return Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
    }

    @Test func hugeStatementsLexAndParseInLinearTime() throws {
        // One line of 1M characters in a literal, and a 5 MB IN list: four times the input
        // takes about four times as long (sixteen would be quadratic), and seconds at most.
        let line = { (n: Int) in "SELECT '" + String(repeating: "x", count: n) + "' AS s FROM e" }
        let list = { (n: Int) in "SELECT n IN (" + (0..<n).map { "\($0)" }.joined(separator: ",") + ") FROM e" }
        for (name, make, size) in [("literal", line, 1_000_000), ("IN list", list, 800_000)] {
            let small = try Self.parseTime(make(size / 4))
            let large = try Self.parseTime(make(size))
            #expect(large < max(small, 0.05) * 9, "\(name): \(small) s, then \(large) s for 4x")
            #expect(large < 30, "\(name)")
        }
    }

    @Test func hugeNotebooksSplitInLinearTime() throws {
        // 10 MB: cells of long lines, and one line of 1M characters.
        let make = { (n: Int) in
            (0..<n).map { "-- %% cell \($0)\nSELECT '\(String(repeating: "y", count: 1000))' AS s FROM e;\n" }.joined()
                + "-- %% long\nSELECT '" + String(repeating: "z", count: n * 100) + "' FROM e;\n"
        }
        func seconds(_ text: String) throws -> (Double, Int) {
            let clock = ContinuousClock()
            let started = clock.now
            let cells = try #require(onThread { (try? Notebook(text: text))?.cells.count })
            let elapsed = (clock.now - started).components
            return (Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18, cells ?? -1)
        }
        let (small, _) = try seconds(make(2_500))
        let (large, cells) = try seconds(make(10_000))
        #expect(cells >= 10_001)
        #expect(large < max(small, 0.05) * 9, "\(small) s, then \(large) s for 4x")
    }

    @Test func streamsHaveAtMostTenThousandColumns() throws {
        let columns = { (n: Int) in (0..<n).map { "c\($0) INT" }.joined(separator: ", ") }
        #expect((try? SQLParser.parseStatement("CREATE STREAM e FROM f FORMAT json SCHEMA (\(columns(10_000)))")) != nil)
        do {
            _ = try SQLParser.parseStatement("CREATE STREAM e FROM f FORMAT json SCHEMA (\(columns(40_000)))")
            Issue.record("40,000 columns parsed")
        } catch {
            #expect(error.message == "a stream has at most 10000 columns")
            #expect(error.location.column > 40)
        }
    }
}
