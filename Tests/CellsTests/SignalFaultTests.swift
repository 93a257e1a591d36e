import Foundation
import Testing

/// Signals and broker faults against the real `cells` binary: a stop reaches inside a
/// micro-batch, and a broker killed under a stream holds neither `--timeout` nor Ctrl-C.
@Suite(.serialized) struct SignalFaultTests {
    /// A JSON-lines file big enough that one micro-batch over it takes several seconds in a
    /// debug build (2 million lines, about 100 MB). One file for every run, made once.
    static let heavyFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-test-heavy-2m.jsonl").path
        let size = 98_488_890
        if (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) == size { return path }
        let partial = path + ".\(getpid())"
        _ = FileManager.default.createFile(atPath: partial, contents: nil)
        let handle = FileHandle(forWritingAtPath: partial)!
        var chunk = ""
        for i in 0..<2_000_000 {
            chunk += #"{"k":"k\#(i % 50)","n":\#(i),"s":"some text to decode"}"# + "\n"
            if chunk.utf8.count > 1 << 20 {
                handle.write(Data(chunk.utf8))
                chunk = ""
            }
        }
        handle.write(Data(chunk.utf8))
        try? handle.close()
        _ = rename(partial, path)
        return path
    }()

    static func notebook(_ text: String) throws -> String {
        let path = temporaryPath("faults.cells")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func heavyNotebook(aggregate: Bool) throws -> String {
        try notebook("""
            CREATE SOURCE f USING file OPTIONS ('path' = '\(heavyFile)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n BIGINT, s STRING);
            \(aggregate ? "CREATE VIEW v AS SELECT k, count(*) AS c, sum(n) AS t FROM e GROUP BY k;\nSTART v OUTPUT MODE complete;"
                        : "CREATE VIEW v AS SELECT k, n FROM e WHERE n >= 0;\nSTART v USING memory;")
            """)
    }

    @Test("a signal during a heavy file batch ends cells within 2 s, cleanly",
          arguments: [(SIGTERM, true), (SIGHUP, true), (SIGINT, true), (SIGTERM, false), (SIGHUP, false)])
    func signalDuringHeavyBatch(signal: Int32, aggregate: Bool) throws {
        let path = try Self.heavyNotebook(aggregate: aggregate)
        let run = try Child(cellsExecutable.path, ["run", path, "--all", "--trigger", "once"])
        // From the view's line the next cell is the START: a moment later its one batch is
        // under way. A fixed wait from the launch raced the batch once the engine got faster
        // (it ended first when the machine was quiet).
        try #require(run.waitForOutput { $0.contains("view v:") }, "the notebook did not reach its START: \(run.stdout)")
        Thread.sleep(forTimeInterval: 0.3)
        try #require(run.process.isRunning, "the batch ended before the signal: \(run.stdout)")
        let sent = ContinuousClock.now
        run.signal(signal)
        let finished = run.finish(timeout: .seconds(20))
        let took = ContinuousClock.now - sent
        #expect(took < .seconds(2), "ended \(took) after signal \(signal)")
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(!finished.stdout.contains("batch 0:"), "the batch was abandoned, not finished: \(finished.stdout)")
        #expect(!finished.stderr.contains("error"), "\(finished.stderr)")
    }

    @Test("--timeout cuts a heavy file batch short too")
    func timeoutDuringHeavyBatch() throws {
        let path = try Self.heavyNotebook(aggregate: true)
        let began = ContinuousClock.now
        let finished = try cells("run", path, "--all", "--timeout", "1", timeout: .seconds(30))
        let took = ContinuousClock.now - began
        #expect(took < .seconds(3), "--timeout 1 ended the run after \(took)")
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(!finished.stdout.contains("batch 0:"), "\(finished.stdout)")
    }

    static func streamNotebook(_ bootstrap: String) throws -> String {
        try notebook("""
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'streaming_cartao',
                'startingOffsets' = 'earliest', 'connectTimeoutMs' = '2000');
            CREATE STREAM e FROM k FORMAT json SCHEMA (formato_captura STRING);
            CREATE VIEW v AS SELECT formato_captura, count(*) AS c FROM e GROUP BY formato_captura;
            START v OUTPUT MODE complete TRIGGER '1 second';
            """)
    }

    @Test("--timeout is honoured within 2 s when the broker is killed under an idle stream, which says so once")
    func timeoutWithBrokerKilled() throws {
        let broker = try BrokerChild(topics: ["streaming_cartao"])
        _ = try load(seed: 5, count: 100, topic: "streaming_cartao", into: broker)
        let path = try Self.streamNotebook(broker.bootstrap)
        let began = ContinuousClock.now
        let run = try Child(cellsExecutable.path, ["run", path, "--all", "--timeout", "8"])
        try #require(run.waitForOutput { $0.contains("batch 0: 100 rows") }, "\(run.stdout)\n\(run.stderr)")
        broker.child.signal(SIGKILL)
        _ = broker.child.finish(timeout: .seconds(5))
        let finished = run.finish(timeout: .seconds(30))
        let took = ContinuousClock.now - began
        #expect(took < .seconds(10), "--timeout 8 ended the run after \(took)")
        #expect(finished.status == 0, "\(finished.stderr)")
        let notices = finished.lines.filter { $0.contains("unreachable") }
        #expect(notices == ["broker \(broker.bootstrap) unreachable for 2 s; retrying…"]
                    || (notices.count == 1 && notices[0].hasPrefix("broker \(broker.bootstrap) unreachable for 2 s; retrying… (")),
                "\(finished.stdout)")
    }

    @Test("Ctrl-C ends a stream within 1 s while its broker is gone")
    func ctrlCWithBrokerKilled() throws {
        let broker = try BrokerChild(topics: ["streaming_cartao"])
        _ = try load(seed: 6, count: 100, topic: "streaming_cartao", into: broker)
        let path = try Self.streamNotebook(broker.bootstrap)
        let run = try Child(cellsExecutable.path, ["run", path, "--all", "--timeout", "120"])
        try #require(run.waitForOutput { $0.contains("batch 0: 100 rows") }, "\(run.stdout)\n\(run.stderr)")
        broker.child.signal(SIGKILL)
        _ = broker.child.finish(timeout: .seconds(5))
        #expect(run.waitForOutput(timeout: .seconds(10)) { $0.contains("unreachable for 2 s") }, "\(run.stdout)")
        let sent = ContinuousClock.now
        run.signal(SIGINT)
        let finished = run.finish(timeout: .seconds(30))
        let took = ContinuousClock.now - sent
        #expect(took < .milliseconds(1500), "ended \(took) after Ctrl-C")
        #expect(finished.status == 0, "\(finished.stderr)")
        #expect(finished.stdout.contains("stopped v"), "\(finished.stdout)")
    }

    @Test("the shell keeps its session through a broker killed under a stream: Ctrl-C, then the table is there")
    func shellKeepsItsSession() throws {
        let broker = try BrokerChild(topics: ["streaming_cartao"])
        let messages = try load(seed: 7, count: 100, topic: "streaming_cartao", into: broker)
        let path = try Self.streamNotebook(broker.bootstrap)
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let term = try PseudoTerminal(cellsExecutable.path, [path], environment: ["HOME": home])
        #expect(term.wait(for: "> "))
        term.type(":all\r")
        #expect(term.wait(for: "batch 0: 100 rows"))
        broker.child.signal(SIGKILL)
        _ = broker.child.finish(timeout: .seconds(5))
        #expect(term.wait(for: "unreachable for 2 s; retrying…"))
        let stopping = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "stopped v", after: stopping, timeout: .seconds(2)))
        #expect(term.wait(for: "cells> ", after: stopping))
        let asked = term.screen.count
        term.type("SELECT sum(c) AS total FROM v;\r")
        #expect(term.wait(for: "+\ncells> ", after: asked))
        #expect(term.screen(after: asked).contains("|  \(messages.count)|"), "\(term.screen(after: asked))")
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }
}
