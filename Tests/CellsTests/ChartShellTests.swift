import Foundation
import Testing

/// Charts in the shell, through a real pseudo-terminal: a view started with `'chart' = 'bar'`
/// redraws its bars in place every batch, and `:chart` switches how it is drawn afterwards.
@Suite("Charts in the shell", .serialized)
struct ChartShellTests {
    /// Two channels' payments over three minutes, two lines (one minute) a batch.
    static let payments = [
        #"{"channel":"POS","amount":10,"at":"2024-01-01 10:00:05"}"#,
        #"{"channel":"TEF","amount":30,"at":"2024-01-01 10:00:20"}"#,
        #"{"channel":"POS","amount":5,"at":"2024-01-01 10:01:10"}"#,
        #"{"channel":"TEF","amount":12.5,"at":"2024-01-01 10:01:40"}"#,
        #"{"channel":"POS","amount":20,"at":"2024-01-01 10:02:00"}"#,
        #"{"channel":"TEF","amount":7,"at":"2024-01-01 10:02:30"}"#,
    ]

    /// A notebook over the payments, in a folder of its own: the totals per minute and channel,
    /// charted as bars.
    static func notebook(options: String = "'chart' = 'bar'") throws -> (path: String, folder: String) {
        let folder = temporaryPath("charts")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let data = folder + "/payments.jsonl"
        try (payments.joined(separator: "\n") + "\n").write(toFile: data, atomically: true, encoding: .utf8)
        // Two lines a batch: each pair is 113 to 115 bytes with its newlines, three lines 170 or more.
        let text = """
            -- %% Payments
            CREATE SOURCE payments USING file OPTIONS ('path' = '\(data)', 'maxOffsetsPerTrigger' = '117');
            CREATE STREAM p FROM payments FORMAT json SCHEMA (channel STRING, amount DOUBLE, at TIMESTAMP);
            CREATE VIEW per_minute AS
            SELECT window(at, '1 minute') AS window, channel, sum(amount) AS total
            FROM p GROUP BY window(at, '1 minute'), channel;

            -- %% Chart
            START per_minute OUTPUT MODE complete TRIGGER '300 milliseconds' USING console OPTIONS (\(options));

            """
        let path = folder + "/payments.cells"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, folder)
    }

    func shell(_ notebook: String, environment: [String: String] = [:]) throws -> PseudoTerminal {
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        return try PseudoTerminal(cellsExecutable.path, [notebook], environment: ["HOME": home, "LANG": "C.UTF-8", "NO_COLOR": ""].merging(environment) { $1 })
    }

    @Test("'chart' = 'bar' redraws the bars in place every batch; :chart off and :chart line draw the last batch again")
    func barChartRedrawnInPlaceThenSwitched() throws {
        let (path, folder) = try Self.notebook()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let term = try shell(path)
        #expect(term.wait(for: "cells [1/2]> "))
        term.type("\r")
        #expect(term.wait(for: "cells [2/2]> "))

        let started = term.screen.count
        let raw = term.raw.count
        term.type("\r")
        #expect(term.wait(for: "batch 2: 2 rows", after: started, timeout: .seconds(10)))
        let frames = term.screen(after: started)
        // Batch 0: the first minute's two channels, scaled to the larger: on 160 columns, 30
        // fills the 132 left by the label, the axis and the value, and 10 a third of them.
        #expect(frames.contains("""
            per_minute · batch 0
            total per window, channel
            2024-01-01 10:00:00 POS │\(String(repeating: "█", count: 44)) 10
            2024-01-01 10:00:00 TEF │\(String(repeating: "█", count: 132)) 30
            batch 0: 2 rows
            """), "\(frames)")
        #expect(frames.contains("per_minute · batch 2\ntotal per window, channel\n2024-01-01 10:00:00 POS │"))
        // Each frame after the first moves up over the one before (its 5 rows, then 7 with
        // the second minute's bars: heading, title, bars, progress line) and clears down.
        let escapes = String(term.raw.dropFirst(raw))
        #expect(escapes.contains("\u{1B}[5F\u{1B}[Jper_minute · batch 1"), "batch 1 did not replace batch 0's frame")
        #expect(escapes.contains("\u{1B}[7F\u{1B}[Jper_minute · batch 2"), "batch 2 did not replace batch 1's frame")
        // In colour on a terminal, and the progress line ends with the input rates' sparkline.
        #expect(escapes.contains("\u{1B}[36m█"))
        #expect(frames.contains("· input rows/s "))

        let stopping = term.screen.count
        term.type("\u{03}")
        #expect(term.wait(for: "stopped per_minute", after: stopping))
        #expect(term.wait(for: "cells> ", after: stopping))

        // The table of the last batch, as the console prints it without a chart.
        let off = term.screen.count
        term.type(":chart off\r")
        #expect(term.wait(for: "|2024-01-01 10:02:00|    TEF|  7.0|", after: off))
        #expect(term.screen(after: off).contains("Batch: 2"))

        // The same rows over the windows' start: one line per channel, both minutes labelled.
        let line = term.screen.count
        term.type(":chart line\r")
        #expect(term.wait(for: "2024-01-01 10:02:00\n", after: line))
        let plot = term.screen(after: line)
        #expect(plot.contains("total over window  • POS  • TEF"), "\(plot)")
        #expect(plot.contains("30 ┤"))
        #expect(plot.contains(" 5 ┤"))
        #expect(plot.contains("2024-01-01 10:00:00"))

        let asked = term.screen.count
        term.type(":chart\r")
        #expect(term.wait(for: "per_minute is drawn as a line chart", after: asked))
        term.type(":chart pie\r")
        #expect(term.wait(for: ":chart takes bar, line or off (the table), not 'pie'", after: asked))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }

    @Test("NO_COLOR: the bars have no colour; 'chart' = 'line' on a view without a time is refused at START")
    func noColourAndRefusedLine() throws {
        let (path, folder) = try Self.notebook()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let term = try shell(path, environment: ["NO_COLOR": "1"])
        #expect(term.wait(for: "cells [1/2]> "))
        term.type("\r")
        #expect(term.wait(for: "cells [2/2]> "))
        let raw = term.raw.count
        term.type("\r")
        #expect(term.wait(for: "batch 2: 2 rows"))
        term.type("\u{03}")
        #expect(term.wait(for: "cells> "))
        let written = String(term.raw.dropFirst(raw))
        #expect(written.contains("│█"))
        #expect(!written.contains("\u{1B}[3"), "a colour was written under NO_COLOR")

        let refused = term.screen.count
        term.type("CREATE VIEW per_channel AS SELECT channel, count(*) AS payments FROM p GROUP BY channel;\r")
        #expect(term.wait(for: "view per_channel", after: refused))
        term.type("START per_channel OUTPUT MODE complete TRIGGER ONCE USING console OPTIONS ('chart' = 'line');\r")
        #expect(term.wait(for: "'chart' = 'line' needs a time to draw over: a window column (window.start) or a TIMESTAMP column; per_channel has channel STRING, payments BIGINT", after: refused))
        #expect(term.wait(for: "cells> ", after: refused))
        term.type(":quit\r")
        #expect(term.exitStatus() == 0)
    }
}
