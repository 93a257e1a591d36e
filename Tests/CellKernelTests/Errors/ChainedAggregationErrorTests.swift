@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// An aggregation over an aggregation (chained stateful operators) only as Spark allows it:
/// OUTPUT MODE append, both windowed on event time with a watermark, the second windowing on
/// the first's `window` column. Every other chain is an error naming Spark's rule, at the
/// notebook's line and column; the one allowed chain gives what counting directly gives.
@Suite struct ChainedAggregationErrorTests {
    /// A file with a few events; the source and stream over it (lines 1-3 of every script).
    final class Fixture {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-chain-\(UUID().uuidString).jsonl").path
        init(_ lines: String = #"{"event_time":"2024-01-01T00:00:10Z","card_brand":"Visa","amount":1.5}"# + "\n") throws {
            try lines.write(toFile: file, atomically: true, encoding: .utf8)
        }
        deinit { try? FileManager.default.removeItem(atPath: file) }

        func header(watermark: Bool = true) -> String {
            """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP, card_brand STRING, amount DOUBLE)\(watermark ? " WATERMARK event_time DELAY '1 minute'" : "");

            """
        }
    }

    /// Runs `script` as a notebook file; returns its error (recording an issue if none).
    func error(_ script: String) -> CellError? {
        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        return #expect(throws: CellError.self) { try session.run(script: script, file: "chain.cells") }
    }

    /// The (1-based) line and column where `needle` starts in `script`.
    func position(of needle: String, in script: String) throws -> (line: Int, column: Int) {
        let range = try #require(script.range(of: needle), "\(needle) is in the script")
        let before = script[..<range.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let column = before.distance(from: before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex, to: range.lowerBound) + 1
        return (line, column)
    }

    /// The error names the rule (a chain of stateful operators), says what to write instead
    /// (`hint`) and is at `at`: the downstream view's GROUP BY key when the views themselves
    /// make a chain Spark refuses, the START's OUTPUT MODE when only the mode is wrong; in the
    /// notebook's `file:line:col`. A chain runs only in append mode,
    /// so the message must not send the user to complete or update mode.
    func check(_ error: CellError?, in script: String, at acceptable: [String], hint: String,
               sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let message = try #require(error?.message, sourceLocation: sourceLocation)
        let lower = message.lowercased()
        #expect(lower.contains("chain") && lower.contains("stateful operators"), "names Spark's rule: \(message)", sourceLocation: sourceLocation)
        #expect(lower.contains(hint.lowercased()), "says what to write instead (\(hint)): \(message)", sourceLocation: sourceLocation)
        #expect(!lower.contains("complete or update"), "a chain runs only in append mode: \(message)", sourceLocation: sourceLocation)
        let places = try acceptable.map { try position(of: $0, in: script) }
        let at = try #require(error?.location, "\(message)", sourceLocation: sourceLocation)
        #expect(places.contains { $0.line == at.line && $0.column == at.column },
                "at one of \(places) (\(acceptable)), not \(at): \(message)", sourceLocation: sourceLocation)
        #expect(message.hasPrefix("chain.cells:\(at.line):\(at.column): error:"), "\(message)", sourceLocation: sourceLocation)
    }

    static let perMinute = """
        CREATE VIEW per_minute AS
          SELECT window(event_time, '1 minute') AS window, card_brand, count(*) AS n
          FROM tx GROUP BY window(event_time, '1 minute'), card_brand;

        """
    static let perFive = """
        CREATE VIEW per_five AS
          SELECT window(window, '5 minutes').start AS start, card_brand, sum(n) AS total
          FROM per_minute GROUP BY window(window, '5 minutes'), card_brand;

        """

    @Test(arguments: ["complete", "update"])
    func chainInCompleteOrUpdateModeIsRejected(mode: String) throws {
        let fixture = try Fixture()
        let script = fixture.header() + Self.perMinute + Self.perFive + "START per_five OUTPUT MODE \(mode);\n"
        try check(error(script), in: script, at: ["OUTPUT MODE \(mode)"], hint: "append")
    }

    @Test func chainWithoutAWatermarkIsRejected() throws {
        let fixture = try Fixture()
        let script = fixture.header(watermark: false) + Self.perMinute + Self.perFive + "START per_five OUTPUT MODE append;\n"
        try check(error(script), in: script, at: ["window(window, '5 minutes'), card_brand"], hint: "watermark")
    }

    @Test func chainWithoutAWindowIsRejected() throws {
        // A per-brand count, then a count of brands per count: no event time to close either.
        let fixture = try Fixture()
        let script = fixture.header() + """
            CREATE VIEW per_brand AS SELECT card_brand, count(*) AS n FROM tx GROUP BY card_brand;
            CREATE VIEW per_count AS
              SELECT n, count(*) AS brands FROM per_brand GROUP BY n;
            START per_count OUTPUT MODE append;

            """
        try check(error(script), in: script, at: ["n;\nSTART per_count"], hint: "window")
    }

    @Test func downstreamWindowNotOnTheUpstreamWindowIsRejected() throws {
        // Windowed upstream, but the downstream aggregation groups by something else.
        let fixture = try Fixture()
        let script = fixture.header() + Self.perMinute + """
            CREATE VIEW per_brand AS
              SELECT card_brand, sum(n) AS total FROM per_minute GROUP BY card_brand;
            START per_brand OUTPUT MODE append;

            """
        try check(error(script), in: script, at: ["card_brand;\nSTART per_brand"], hint: "window(window")
    }

    @Test func chainThroughAStatelessViewAndAtTheSecondCellStillNamesItsPlace() throws {
        // The chain is the same with a filter between the aggregations, and errors point into
        // the notebook's text, not into the view's own.
        let fixture = try Fixture()
        let script = "-- %% Setup\n" + fixture.header() + Self.perMinute + """
            -- %% Filter
            CREATE VIEW busy AS SELECT * FROM per_minute WHERE n > 1;
            -- %% Again
            CREATE VIEW again AS SELECT card_brand, count(*) AS k FROM busy GROUP BY card_brand;
            START again OUTPUT MODE complete;

            """
        try check(error(script), in: script, at: ["card_brand;\nSTART again"], hint: "window(window")
    }

    @Test func windowedChainThroughAStatelessViewInCompleteModeIsRejectedAtTheMode() throws {
        let fixture = try Fixture()
        let script = "-- %% Setup\n" + fixture.header() + Self.perMinute + """
            -- %% Filter
            CREATE VIEW busy AS SELECT * FROM per_minute WHERE n > 1;
            -- %% Again
            CREATE VIEW again AS SELECT window(window, '5 minutes').start AS start, count(*) AS k
              FROM busy GROUP BY window(window, '5 minutes');
            START again OUTPUT MODE complete;

            """
        try check(error(script), in: script, at: ["OUTPUT MODE complete"], hint: "append")
    }

    /// Two aggregations side by side under a UNION ALL are two stateful operators too: Spark
    /// refuses multiple streaming aggregations outside append mode.
    @Test(arguments: ["complete", "update"])
    func unionOfTwoAggregationsOutsideAppendModeIsRejected(mode: String) throws {
        let fixture = try Fixture()
        let script = fixture.header() + """
            CREATE VIEW twice AS SELECT card_brand, count(*) AS n FROM tx GROUP BY card_brand
              UNION ALL SELECT card_brand, count(*) FROM tx GROUP BY card_brand;
            START twice OUTPUT MODE \(mode);

            """
        let message = try #require(error(script)?.message)
        let at = try position(of: "OUTPUT MODE \(mode)", in: script)
        #expect(message.hasPrefix("chain.cells:\(at.line):\(at.column): error:"), "\(message)")
        #expect(message.lowercased().contains("stateful operators") || message.lowercased().contains("multiple streaming aggregations"), "\(message)")
        #expect(message.lowercased().contains("append"), "\(message)")
    }

    /// Stateless levels over an aggregation are fine in every mode.
    @Test(arguments: ["complete", "update"])
    func statelessOverAnAggregationIsAccepted(mode: String) throws {
        let fixture = try Fixture([
            #"{"event_time":"2024-01-01T00:00:10Z","card_brand":"Visa","amount":1.5}"#,
            #"{"event_time":"2024-01-01T00:00:20Z","card_brand":"Visa","amount":2.5}"#,
            #"{"event_time":"2024-01-01T00:00:30Z","card_brand":"Elo","amount":4.0}"#,
        ].map { $0 + "\n" }.joined())
        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        try session.run(script: fixture.header() + """
            CREATE VIEW per_brand AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_brand;
            CREATE VIEW shown AS SELECT card_brand, total / n AS mean FROM per_brand WHERE n >= 1;
            START shown OUTPUT MODE \(mode);
            """)
        #expect(session.table("shown")?.sortedRows == [["Elo", "4.0"], ["Visa", "2.0"]])
    }

    /// The watermark follows the event-time column through a view that renames it, as Spark's
    /// alias keeps the column's watermark: append mode emits the closed window.
    @Test func watermarkSurvivesARenamingView() throws {
        let fixture = try Fixture([
            #"{"event_time":"2024-01-01T00:00:10Z","card_brand":"Visa"}"#,
            #"{"event_time":"2024-01-01T00:00:20Z","card_brand":"Visa"}"#,
            #"{"event_time":"2024-01-01T00:05:00Z","card_brand":"Elo"}"#,
        ].map { $0 + "\n" }.joined())
        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        try session.run(script: fixture.header() + """
            CREATE VIEW v AS SELECT event_time AS ts, card_brand FROM tx WHERE card_brand <> 'x';
            CREATE VIEW w AS SELECT window(ts, '1 minute').start AS m, count(*) AS n FROM v GROUP BY window(ts, '1 minute');
            START w OUTPUT MODE append;
            """)
        // 00:05:00 - 1 minute closes 00:00 only.
        #expect(session.table("w")?.sortedRows == [["1704067200000000", "2"]])
    }

    // MARK: The chain Spark allows

    /// Counting in 1-minute windows, then summing those counts in 5-minute windows, gives what
    /// counting in 5-minute windows directly gives, for every 5-minute window the watermark
    /// has closed; whether the events come in one micro-batch or in several (the watermark
    /// then moves between batches, closing 1-minute windows whose rows the second aggregation
    /// must still take).
    @Test(arguments: [1, 4, 12])
    func appendModeWindowedChainEqualsCountingDirectly(pieces: Int) throws {
        var random = CellsRandom(seed: 42)
        let base: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
        var events: [(seconds: Int64, brand: String)] = []
        for _ in 0..<600 {
            events.append((base + Int64.random(in: 0..<3_600, using: &random), ["Visa", "Master", "Elo"].randomElement(using: &random)!))
        }
        // Events in arrival order, a little out of order but never more than the delay late.
        events.sort { $0.seconds < $1.seconds }
        for i in stride(from: 1, to: events.count, by: 2) where events[i].seconds - events[i - 1].seconds < 30 { events.swapAt(i, i - 1) }
        func line(_ seconds: Int64, _ brand: String) -> String {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            return #"{"event_time":"\#(ISO8601DateFormatter().string(from: date))","card_brand":"\#(brand)","amount":1.0}"# + "\n"
        }
        // No event is late: within a piece they are at most 30 s out of order, under the delay.
        let size = (events.count + pieces - 1) / pieces
        let chunks = stride(from: 0, to: events.count, by: size).map { events[$0..<min($0 + size, events.count)].map { line($0.seconds, $0.brand) }.joined() }
        let fixture = try Fixture(chunks[0])
        let session = CellSession(output: { _ in })
        try session.run(script: fixture.header() + Self.perMinute + Self.perFive)
        let query = try session.prepare(start: "START per_five OUTPUT MODE append USING memory")
        defer { query.stop() }
        var batches = 0
        func drain() throws {
            while let _ = try query.runBatch() {
                batches += 1
                if batches > 1_000 { throw OracleError("runBatch() never returned nil") }
            }
        }
        try drain()
        for chunk in chunks.dropFirst() {
            try ScratchFile.append(chunk, to: fixture.file)
            try drain()
        }
        // Events far later (another brand, left out below) move the watermark past every
        // window above; each in its own round so that no-data batches can close windows.
        for hours in [2, 3, 4] {
            try ScratchFile.append(line(base + Int64(hours) * 3_600, "Flush"), to: fixture.file)
            try drain()
        }

        var direct: [String: Int] = [:]
        for event in events {
            let start = (event.seconds / 300) * 300 * 1_000_000
            direct["\(start)|\(event.brand)", default: 0] += 1
        }
        let table = try #require(session.table("per_five"))
        #expect(table.schema.fields.map(\.name) == ["start", "card_brand", "total"])
        let got = table.sortedRows.filter { $0[1] != "Flush" }
        let want = direct.keys.sorted().map { key -> [String] in
            let parts = key.split(separator: "|").map(String.init)
            return [parts[0], parts[1], "\(direct[key]!)"]
        }.sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
        #expect(got.count == want.count, "every 5-minute window closed and emitted once: \(got.count) vs \(want.count)")
        #expect(got == want)
        #expect(direct.values.reduce(0, +) == 600)
    }
}
