import Foundation
import Testing
@testable import CellKernel

/// `session_window` through SQL: over a table (SELECT at the prompt), over a stream in append
/// mode with the watermark closing sessions, and the output-mode rules Spark applies.
@Suite struct SessionWindowEndToEndTests {
    static let t0 = 1_704_067_200_000_000 as Int64  // 2024-01-01 00:00:00 UTC, in µs
    static let minute = 60_000_000 as Int64

    func line(_ card: String, _ time: String, _ amount: Double) -> String {
        #"{"card_number":"\#(card)","event_time":"2024-01-01T\#(time)Z","amount":\#(amount)}"# + "\n"
    }

    func file(_ text: String) throws -> String {
        try ScratchFile.create(text, prefix: "cells-session")
    }

    func append(_ text: String, to path: String) throws {
        try ScratchFile.append(text, to: path)
    }

    func session(_ path: String, view: String) throws -> CellSession {
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (card_number STRING, event_time TIMESTAMP, amount DOUBLE)
              WATERMARK event_time DELAY '1 minute';
            \(view)
            """)
        return session
    }

    static let perCard = """
        CREATE VIEW sessions AS
          SELECT card_number, session_window.start AS s, session_window.end AS e, count(*) AS n, sum(amount) AS total
          FROM tx GROUP BY card_number, session_window(event_time, '5 minutes');
        """

    @Test func appendModeEmitsEachSessionOnceWhenTheWatermarkPassesItsEnd() throws {
        let path = try file(line("A", "00:00:00", 1) + line("A", "00:03:00", 2) + line("B", "00:01:00", 10) + line("A", "00:20:00", 4))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let session = try session(path, view: Self.perCard)
        let query = try session.prepare(start: "START sessions OUTPUT MODE append")
        defer { query.stop() }
        _ = try #require(try query.runBatch())
        // Nothing is final in the first batch: the watermark was 0 when it began.
        #expect(session.table("sessions")?.count == 0)
        // The watermark is now 00:19: A's 00:00-00:08 and B's 00:01-00:06 close in a batch without data.
        #expect(query.hasPendingWork)
        _ = try #require(try query.runBatch())
        #expect(session.table("sessions")?.sortedRows == [
            ["A", "\(Self.t0)", "\(Self.t0 + 8 * Self.minute)", "2", "3.0"],
            ["B", "\(Self.t0 + Self.minute)", "\(Self.t0 + 6 * Self.minute)", "1", "10.0"],
        ])
        // Late: A at 00:10 (its session would end 00:15, before the watermark 00:19); not late:
        // A at 00:16 (ends 00:21), which merges with A's open 00:20 session.
        try append(line("A", "00:10:00", 100) + line("A", "00:16:00", 8) + line("A", "00:40:00", 16), to: path)
        let third = try #require(try query.runBatch())
        #expect(third.numLateRows == 1)
        while try query.runBatch() != nil {}
        #expect(session.table("sessions")?.sortedRows == [
            ["A", "\(Self.t0)", "\(Self.t0 + 8 * Self.minute)", "2", "3.0"],
            ["A", "\(Self.t0 + 16 * Self.minute)", "\(Self.t0 + 25 * Self.minute)", "2", "12.0"],
            ["B", "\(Self.t0 + Self.minute)", "\(Self.t0 + 6 * Self.minute)", "1", "10.0"],
        ])
    }

    @Test func aBareSessionWindowIsItsStartAndTablesTakeAGlobalSessionWindow() throws {
        let path = try file(line("A", "00:00:00", 1) + line("B", "00:04:00", 2) + line("A", "00:30:00", 4))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let session = try session(path, view: "CREATE VIEW raw AS SELECT card_number, event_time, amount FROM tx;")
        let query = try session.prepare(start: "START raw OUTPUT MODE append")
        while try query.runBatch() != nil {}
        query.stop()
        func select(_ sql: String) throws -> [[String]] {
            let plan = try session.tableBinder.bind(try SQLParser.parseQueryForTests(sql))
            let batch = try TableQuery.run(plan) { [session] name in session.table(name) }
            #expect(batch.schema.fields.first?.name == "session_window")
            #expect(plan.explain().contains("Aggregate keys [session_window(event_time, '5 minutes')]"), "\(plan.explain())")
            let physical = PhysicalPlanner(mode: .complete, table: { [session] in session.table($0) }).lower(plan).root.explainTree()
            #expect(physical.contains("SessionWindowAggregate keys [session_window(event_time, '5 minutes')]"), "\(physical)")
            return batch.sortedRows
        }
        // Over a table every session is final; a global session window (no other key) is allowed.
        #expect(try select("SELECT session_window, session_window.end, count(*), sum(amount) FROM raw GROUP BY session_window(event_time, '5 minutes')") == [
            ["\(Self.t0)", "\(Self.t0 + 9 * Self.minute)", "2", "3.0"],
            ["\(Self.t0 + 30 * Self.minute)", "\(Self.t0 + 35 * Self.minute)", "1", "4.0"],
        ])
    }

    @Test func outputModesAsSparkAllowsThem() throws {
        let path = try file(line("A", "00:00:00", 1))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let session = try session(path, view: Self.perCard + """
            CREATE VIEW global AS SELECT count(*) AS n FROM tx GROUP BY session_window(event_time, '5 minutes');
            """)
        #expect(throws: CellError.self) { _ = try session.prepare(start: "START sessions OUTPUT MODE update") }
        #expect(throws: CellError.self) { _ = try session.prepare(start: "START global OUTPUT MODE append") }
        #expect(throws: CellError.self) {
            try session.run(script: "CREATE VIEW bad AS SELECT count(*) FROM tx GROUP BY card_number, session_window(event_time, '0 seconds');")
        }
        #expect(throws: CellError.self) {
            try session.run(script: "CREATE VIEW bad AS SELECT count(*) FROM tx GROUP BY session_window(event_time, '1 minute'), window(event_time, '1 minute');")
        }
        let complete = try session.prepare(start: "START sessions OUTPUT MODE complete")
        _ = try #require(try complete.runBatch())
        #expect(session.table("sessions")?.sortedRows == [["A", "\(Self.t0)", "\(Self.t0 + 5 * Self.minute)", "1", "1.0"]])
        complete.stop()
    }
}
