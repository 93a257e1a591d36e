import Foundation
import SparkConnect
import Synchronization
import Testing

/// The server `make test` starts (scripts/spark-connect.sh); without it these tests skip.
private let sparkRemote = ProcessInfo.processInfo.environment["CELLS_SPARK_REMOTE"].flatMap { $0.isEmpty ? nil : $0 }

/// The notebook shell with `--engine sc://...`, driven through a pseudo-terminal, on a real
/// Spark: the same steps and tables as on the local engine, and Ctrl-C stops Spark's query.
@Suite("Notebook shell on Spark", .serialized, .enabled(if: sparkRemote != nil, "needs CELLS_SPARK_REMOTE: make test starts a Spark Connect server"))
struct SparkShellTests {
    /// The names of the streaming queries Spark runs in `session` (a client that joins the
    /// shell's Spark Connect session sees its queries).
    static func activeQueries(_ remote: String, session: String) throws -> [String] {
        let client = SparkConnectClient(url: try SparkConnectURL(parsing: remote), sessionID: session)
        defer { client.close() }
        var command = Spark_Connect_Command()
        command.streamingQueryManagerCommand.active = true
        var plan = Spark_Connect_Plan()
        plan.command = command
        let answer = Mutex<Result<ExecuteResult, SparkConnectError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: SparkConnectExecutor.shared) {
            do throws(SparkConnectError) {
                let result = try await client.execute(plan, timeout: .seconds(30))
                answer.withLock { $0 = .success(result) }
            } catch {
                answer.withLock { $0 = .failure(error) }
            }
            done.signal()
        }
        done.wait()
        let result = try #require(answer.withLock { $0 }).get()
        return try #require(result.streamingQueryManagerResult).active.activeQueries.map(\.name)
    }

    @Test("work.cells on Spark: Enter steps through, the table streams, Ctrl-C stops Spark's query, SELECT runs on Spark")
    func workNotebookOnSpark() throws {
        let remote = try #require(sparkRemote)
        let folder = temporaryPath("spark-input")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let produced = try cells("produce", "--seed", "11", "--count", "500", "--rate", "max", "--output", "\(folder)/part-0.jsonl")
        try #require(produced.status == 0, "\(produced.stderr)")
        let expected = try averageValuePerCapture(seededMessages(seed: 11, count: 500))

        // work.cells as written, but for its source: the same records from a file.
        let written = try String(contentsOfFile: notebookPath("work.cells"), encoding: .utf8)
        let source = try Regex(#"CREATE SOURCE (\w+) USING kafka OPTIONS \((?s:.*?)\);"#)
        let notebook = written.replacing(source) { "CREATE SOURCE \($0.output[1].substring ?? "") USING file OPTIONS ('path' = '\(folder)');" }
        let path = temporaryPath("work-files.cells")
        try notebook.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let session = UUID().uuidString.lowercased()
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let term = try PseudoTerminal(cellsExecutable.path, [path, "--engine", "\(remote)/;session_id=\(session)"], environment: ["HOME": home])
        #expect(term.wait(for: "engine: Apache Spark 4.", timeout: .seconds(60)))
        #expect(term.wait(for: "cells [1/6]> "))
        for next in 2...5 {
            term.type("\r")
            #expect(term.wait(for: "cells [\(next)/6]> ", timeout: .seconds(60)), "cell \(next) was not shown")
        }
        #expect(term.screen.contains("source cartoes: file, read by spark"))
        #expect(term.screen.contains("view media_valor_captura: captura STRING, avg(valor) DOUBLE"))

        let started = term.screen.count
        term.type("\r")
        #expect(term.wait(for: "batch 0: 500 rows", after: started, timeout: .seconds(90)))
        ShellTests.expectClose(ShellTests.averages(in: term.screen(after: started)), expected)
        #expect(try Self.activeQueries(remote, session: session) == ["media_valor_captura"])

        let stopping = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "cells [6/6]> ", after: stopping, timeout: .seconds(30)))
        #expect(try Self.activeQueries(remote, session: session).isEmpty, "Ctrl-C stopped the query on Spark")

        // Ad hoc SQL runs on Spark, over the memory table the stream filled.
        let asked = term.screen.count
        term.type("SELECT * FROM media_valor_captura;\r")
        #expect(term.wait(for: "+\ncells [6/6]> ", after: asked, timeout: .seconds(30)))
        ShellTests.expectClose(ShellTests.averages(in: term.screen(after: asked)), expected)

        // A Spark analysis error names Spark's error class, at the line typed.
        let wrong = term.screen.count
        term.type("SELECT nope FROM media_valor_captura;\r")
        #expect(term.wait(for: "UNRESOLVED_COLUMN", after: wrong, timeout: .seconds(30)))
        #expect(term.wait(for: "cells [6/6]> ", after: wrong))

        term.type(":quit\r")
        #expect(term.exitStatus(timeout: .seconds(30)) == 0)
    }

    @Test("an unreachable Spark Connect server is a clear error, exit 3, within the handshake's deadline")
    func unreachableServer() throws {
        let started = ContinuousClock.now
        let run = try cells("run", notebookPath("work.cells"), "--all", "--engine", "sc://127.0.0.1:1")
        #expect(ContinuousClock.now - started < .seconds(6))
        #expect(run.status == 3)
        #expect(run.stderr.contains("cannot use Spark Connect at sc://127.0.0.1:1"), "\(run.stderr)")
        #expect(run.stderr.contains("nothing answers"), "\(run.stderr)")
    }
}
