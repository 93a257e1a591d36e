import Foundation
import Testing

/// The notebook shell, driven through a real pseudo-terminal as a person would drive it.
@Suite("Notebook shell", .serialized)
struct ShellTests {
    static let workNotebook = notebookPath("work.cells")

    /// A broker with `count` seeded messages on streaming_cartao, and the averages per capture
    /// channel computed here from the same messages.
    struct LoadedBroker {
        let broker: BrokerChild
        let averages: [String: Double]
        var bootstrap: String { broker.bootstrap }

        init(seed: Int, count: Int) throws {
            broker = try BrokerChild()
            averages = try averageValuePerCapture(load(seed: seed, count: count, topic: "streaming_cartao", into: broker))
        }

        func stop() { broker.stop() }
    }

    /// `|captura|avg(valor)|` rows of the last table in `text`.
    static func averages(in text: String) -> [String: Double] {
        var rows: [String: Double] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("|") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.count == 2, let value = Double(cells[1]) { rows[cells[0]] = value }
        }
        return rows
    }

    static func expectClose(_ actual: [String: Double], _ expected: [String: Double], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(Set(actual.keys) == Set(expected.keys), sourceLocation: sourceLocation)
        for (key, value) in expected {
            let got = actual[key] ?? .nan
            #expect(abs(got - value) <= 1e-9 * abs(value), "\(key): \(got) vs \(value)", sourceLocation: sourceLocation)
        }
    }

    func shell(_ arguments: [String] = [workNotebook], home: String, bootstrap: String = "127.0.0.1:1") throws -> PseudoTerminal {
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return try PseudoTerminal(cellsExecutable.path, arguments, environment: ["KAFKA_BOOTSTRAP": bootstrap, "HOME": home])
    }

    @Test("work.cells: Enter steps through the cells, the table streams, Ctrl-C returns to the prompt")
    func stepThroughWorkNotebook() throws {
        let data = try LoadedBroker(seed: 11, count: 400)
        defer { data.stop() }
        let term = try shell(home: temporaryPath("home"), bootstrap: data.bootstrap)

        #expect(term.wait(for: "Average value per capture channel"))
        #expect(term.wait(for: "cells [1/6]> "))
        for (next, title) in [(2, "Connect"), (3, "Schema"), (4, "Aggregation"), (5, "Start the stream")] {
            term.type("\r")
            #expect(term.wait(for: "[\(next)/6] \(title)"), "cell \(next) was not shown")
            #expect(term.wait(for: "cells [\(next)/6]> "))
        }
        #expect(term.screen.contains("source cartoes: kafka streaming_cartao (6 partitions)"))
        #expect(term.screen.contains("view media_valor_captura: captura STRING, avg(valor) DOUBLE"))

        // START: the first batch arrives at once (the trigger's first tick), well within one trigger.
        let started = term.screen.count
        term.type("\r")
        #expect(term.wait(for: "batch 0: 400 rows", after: started, timeout: .seconds(5)))
        let table = term.screen(after: started)
        #expect(table.contains("Batch: 0"))
        #expect(table.contains("|captura|        avg(valor)|"))
        Self.expectClose(Self.averages(in: table), data.averages)

        // Ctrl-C stops the stream and the prompt comes back at the next cell, the chart.
        let stopping = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "stopped media_valor_captura", after: stopping))
        #expect(term.wait(for: "cells [6/6]> ", after: stopping))

        // The memory table holds the last result.
        let asked = term.screen.count
        term.type("SELECT * FROM media_valor_captura;\r")
        #expect(term.wait(for: "+\ncells [6/6]> ", after: asked))
        Self.expectClose(Self.averages(in: term.screen(after: asked)), data.averages)

        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("a parse error is shown with a caret, and the next statement works")
    func parseErrorThenWorkingStatement() throws {
        let term = try shell(home: temporaryPath("home"))
        #expect(term.wait(for: "cells [1/6]> "))
        let mark = term.screen.count
        term.type("SELEC name FROM transacoes;\r")
        #expect(term.wait(for: "error:", after: mark))
        #expect(term.wait(for: "    SELEC name FROM transacoes;\n    ^~~~~", after: mark))
        #expect(term.wait(for: "did you mean SELECT?", after: mark))

        let next = term.screen.count
        term.type("DESCRIBE media_valor_captura;\r")
        #expect(term.wait(for: "nothing is called 'media_valor_captura'", after: next))
        term.type(":goto 4\r")
        #expect(term.wait(for: "[4/6] Aggregation", after: next))
        #expect(term.wait(for: "cells [4/6]> ", after: next))
        let failing = term.screen.count
        term.type("\r")  // a view needs its stream: the cell fails, the shell stays where it was
        #expect(term.wait(for: "unknown stream 'transacoes'", after: failing))
        // The prompt after the error: keys typed before it would be dropped with the tty's mode change.
        #expect(term.wait(for: "cells [4/6]> ", after: failing))
        term.type("\u{04}")
        #expect(term.exitStatus() == 0)
    }

    @Test("Ctrl-C at the prompt drops the line typed so far; Ctrl-D leaves")
    func ctrlCAtThePrompt() throws {
        let term = try shell(home: temporaryPath("home"))
        #expect(term.wait(for: "cells [1/6]> "))
        term.type("DESCRIBE nothing_here")
        #expect(term.wait(for: "DESCRIBE nothing_here"))
        let mark = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "cells [1/6]> ", after: mark))
        term.type("SHOW SOURCES;\r")
        #expect(term.wait(for: "|name|definition|", after: mark))
        #expect(!term.screen(after: mark).contains("nothing_here"))
        // A comment after the `;` does not make the shell wait for more.
        let commented = term.screen.count
        term.type("SHOW STREAMS; -- none yet\r")
        #expect(term.wait(for: "|name|definition|", after: commented))
        // A statement over several lines, then Ctrl-C in the middle of it: nothing runs.
        let second = term.screen.count
        term.type("SHOW\r")
        #expect(term.wait(for: "   ...> ", after: second))
        term.type("\u{03}")
        // The terminal drops what was typed ahead of a Ctrl-C, so wait for the prompt.
        #expect(term.wait(for: "cells [1/6]> ", after: second))
        term.type(":list\r")
        #expect(term.wait(for: "> 1. Average value per capture channel [markdown]", after: second))
        #expect(!term.screen(after: second).contains("error"))
        term.type("\u{04}")
        #expect(term.exitStatus() == 0)
    }

    @Test("history: Up recalls a line, also in the next session (~/.cells_history)")
    func historyRecall() throws {
        let home = temporaryPath("home")
        let first = try shell(home: home)
        #expect(first.wait(for: "cells [1/6]> "))
        first.type("SHOW VIEWS;\r")
        #expect(first.wait(for: "|name|definition|"))
        let mark = first.screen.count
        first.type("\u{1B}[A")
        #expect(first.wait(for: "SHOW VIEWS;", after: mark))
        first.type("\r")
        #expect(first.wait(timeout: .seconds(5)) { $0.components(separatedBy: "|name|definition|").count == 3 })
        first.type(":quit\r")
        #expect(first.exitStatus() == 0)
        // libedit's format: a header line, then one line per entry with blanks as \040.
        let saved = try String(contentsOfFile: home + "/.cells_history", encoding: .utf8)
        #expect(saved.split(separator: "\n").map { $0.replacingOccurrences(of: "\\040", with: " ") }.contains("SHOW VIEWS;"))

        let second = try shell(home: home)
        #expect(second.wait(for: "cells [1/6]> "))
        // The last line of the first session was :quit; the one before it, the SHOW.
        let recalled = second.screen.count
        second.type("\u{1B}[A")
        #expect(second.wait(for: ":quit", after: recalled))
        second.type("\u{1B}[A")
        #expect(second.wait(for: "SHOW VIEWS;", after: recalled))
        second.type("\r")
        #expect(second.wait(for: "|name|definition|"))
        second.type(":quit\r")
        #expect(second.exitStatus() == 0)
    }

    @Test("commands move through the notebook; an unreachable broker is an error the shell survives")
    func commandsAndUnreachableBroker() throws {
        let term = try shell(home: temporaryPath("home"))
        #expect(term.wait(for: "cells [1/6]> "))
        term.type(":goto 3\r")
        #expect(term.wait(for: "[3/6] Schema"))
        #expect(term.wait(for: "cells [3/6]> "))
        term.type(":back\r")
        #expect(term.wait(for: "cells [2/6]> "))
        let forward = term.screen.count
        term.type(":next\r")
        #expect(term.wait(for: "cells [3/6]> ", after: forward))
        let listed = term.screen.count
        term.type(":list\r")
        #expect(term.wait(for: "> 3. Schema", after: listed))
        term.type(":goto 9\r")
        #expect(term.wait(for: "there is no cell 9: the notebook has cells 1 to 6", after: listed))
        term.type(":frobnicate\r")
        #expect(term.wait(for: "unknown command :frobnicate; :help lists them", after: listed))

        let mark = term.screen.count
        term.type("CREATE SOURCE nowhere USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'subscribe' = 't', 'connectTimeoutMs' = '500');\r")
        #expect(term.wait(for: "127.0.0.1:1", after: mark))
        #expect(term.wait(for: "cells [3/6]> ", after: mark))
        term.type("SHOW SOURCES;\r")
        #expect(term.wait(for: "|name|definition|", after: mark))
        #expect(!term.screen(after: mark).contains("|nowhere"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("make run: --embedded brings its own broker and producer, and the notebook runs unchanged")
    func embedded() throws {
        let expected = try averageValuePerCapture(seededMessages(seed: 9, count: 300))
        let term = try shell([Self.workNotebook, "--embedded", "--seed", "9", "--count", "300", "--rate", "max"],
                             home: temporaryPath("home"), bootstrap: "unused:1")
        #expect(term.wait(for: "cells: embedded broker at 127.0.0.1:"))
        #expect(term.wait(for: "cells [1/6]> "))
        for next in 2...5 {
            term.type("\r")
            #expect(term.wait(for: "cells [\(next)/6]> "))
        }
        #expect(term.screen.contains("source cartoes: kafka streaming_cartao (6 partitions) at 127.0.0.1:"))
        term.type("\r")
        // However the 300 messages fall into batches, the rows add up to all of them.
        #expect(term.wait(timeout: .seconds(15)) { Self.rowsProcessed(in: $0) == 300 })
        let stopping = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "cells [6/6]> ", after: stopping))
        let asked = term.screen.count
        term.type("SELECT * FROM media_valor_captura;\r")
        #expect(term.wait(for: "+\ncells [6/6]> ", after: asked))
        Self.expectClose(Self.averages(in: term.screen(after: asked)), expected)
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    /// The sum of `batch N: R rows` over the progress lines in `text`.
    static func rowsProcessed(in text: String) -> Int {
        text.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("batch "), let colon = line.firstIndex(of: ":") else { return nil }
            return Int(line[line.index(colon, offsetBy: 2)...].prefix { $0.isNumber })
        }.reduce(0, +)
    }

    @Test(":edit opens $EDITOR on a cell and reloads it; :write saves the notebook, the rest unchanged")
    func editAndWrite() throws {
        let original = try String(contentsOfFile: Self.workNotebook, encoding: .utf8)
        let copy = temporaryPath("work.cells")
        try original.write(toFile: copy, atomically: true, encoding: .utf8)
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let term = try PseudoTerminal(cellsExecutable.path, [copy], environment: [
            "HOME": home, "EDITOR": "sed -i s/streaming_cartao/other_topic/", "VISUAL": "",
        ])
        #expect(term.wait(for: "cells [1/6]> "))
        term.type(":edit 2\r")
        #expect(term.wait(for: "cell 2 edited"))
        #expect(term.wait(for: "'subscribe' = 'other_topic'"))
        #expect(term.wait(for: "cells [2/6]> "))
        #expect(try String(contentsOfFile: copy, encoding: .utf8) == original)  // not saved yet
        term.type(":write\r")
        #expect(term.wait(for: "wrote \(copy)"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
        let saved = try String(contentsOfFile: copy, encoding: .utf8)
        #expect(saved == original.replacingOccurrences(of: "'subscribe' = 'streaming_cartao'", with: "'subscribe' = 'other_topic'"))
    }

    @Test("START ... IN BACKGROUND keeps the prompt; SHOW QUERIES, SELECT and STOP work meanwhile")
    func backgroundQuery() throws {
        let data = try LoadedBroker(seed: 12, count: 250)
        defer { data.stop() }
        let term = try shell(home: temporaryPath("home"), bootstrap: data.bootstrap)
        #expect(term.wait(for: "cells [1/6]> "))
        for next in 2...5 {
            term.type("\r")
            #expect(term.wait(for: "cells [\(next)/6]> "))
        }
        let mark = term.screen.count
        term.type("START media_valor_captura OUTPUT MODE complete TRIGGER '1 second' IN BACKGROUND;\r")
        #expect(term.wait(for: "started media_valor_captura in the background", after: mark))
        #expect(term.wait(for: "cells [5/6]> ", after: mark))
        term.type("SHOW QUERIES;\r")
        #expect(term.wait(for: "|media_valor_captura|running (complete", after: mark))
        // The query fills its table on its own thread while the prompt waits.
        var rows: [String: Double] = [:]
        for _ in 0..<20 where rows.count < data.averages.count {
            let asked = term.screen.count
            term.type("SELECT * FROM media_valor_captura;\r")
            #expect(term.wait(for: "+\ncells [5/6]> ", after: asked))
            rows = Self.averages(in: term.screen(after: asked))
            if rows.count < data.averages.count { Thread.sleep(forTimeInterval: 0.3) }
        }
        Self.expectClose(rows, data.averages)
        #expect(!term.screen(after: mark).contains("Batch: "))  // no table printed over the prompt
        let stopping = term.screen.count
        term.type("STOP media_valor_captura;\r")
        #expect(term.wait(for: "stopped media_valor_captura; its last result stays in the table", after: stopping))
        term.type("SHOW QUERIES;\r")
        #expect(term.wait(for: "|name|status|", after: stopping))
        #expect(!term.screen(after: stopping).contains("|media_valor_captura|running"))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("Tab completes keywords and commands")
    func tabCompletion() throws {
        let term = try shell(home: temporaryPath("home"))
        #expect(term.wait(for: "cells [1/6]> "))
        let mark = term.screen.count
        term.type("SHOW QUER\t")
        #expect(term.wait(for: "SHOW QUERIES ", after: mark))
        term.type(";\r")
        #expect(term.wait(for: "|name|status|", after: mark))
        let second = term.screen.count
        term.type(":he\t")
        #expect(term.wait(for: ":help ", after: second))
        term.type("\r")
        #expect(term.wait(for: ":edit [N]", after: second))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("SIGTERM ends the shell at the prompt and during a stream (docker stop)")
    func terminate() throws {
        let idle = try shell(home: temporaryPath("home"))
        #expect(idle.wait(for: "cells [1/6]> "))
        idle.signal(SIGTERM)
        #expect(idle.exitStatus(timeout: .seconds(5)) == 0)

        let data = try LoadedBroker(seed: 13, count: 50)
        defer { data.stop() }
        let streaming = try shell(home: temporaryPath("home"), bootstrap: data.bootstrap)
        #expect(streaming.wait(for: "cells [1/6]> "))
        streaming.type(":all\r")
        #expect(streaming.wait(for: "batch 0: 50 rows"))
        streaming.signal(SIGTERM)
        #expect(streaming.wait(for: "stopped media_valor_captura"))
        #expect(streaming.exitStatus(timeout: .seconds(5)) == 0)
    }

    @Test("Ctrl-C reaches the shell alone, not the script or make that started it")
    func ctrlCStaysWithTheShell() throws {
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        // The wrapper shares the shell's process group unless the shell takes the terminal.
        let script = "trap 'echo WRAPPER-GOT-INT' INT; '\(cellsExecutable.path)' '\(Self.workNotebook)'; echo WRAPPER-DONE"
        let term = try PseudoTerminal("/bin/sh", ["-c", script], environment: ["HOME": home])
        #expect(term.wait(for: "cells [1/6]> "))
        let mark = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "cells [1/6]> ", after: mark))
        term.type(":quit\r")
        #expect(term.wait(for: "WRAPPER-DONE", after: mark))
        #expect(!term.screen.contains("WRAPPER-GOT-INT"))
        #expect(term.exitStatus() == 0)
    }
}
