@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Session windows over the embedded Kafka broker, stopped and restarted from a checkpoint:
/// sessions open at the stop are restored (their aggregate states and ends), extended and
/// merged by events after the restart, and emitted once the watermark passes them.
@Suite struct SessionWindowCheckpointTests {
    static let t0 = 1_704_067_200 as Int  // 2024-01-01 00:00:00 UTC, in seconds

    static func event(_ card: String, minutes: Int, _ amount: Double) -> [UInt8]? {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t0 + minutes * 60)))
        return Array(#"{"card_number":"\#(card)","event_time":"\#(time)","amount":\#(amount)}"#.utf8)
    }

    @Test func sessionsSpanningARestartComeOutWhole() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        let scratch = try CheckpointScratch()
        let location = scratch.path("chk/sessions")
        func open() throws -> (CellSession, StreamingQuery) {
            let session = CellSession(environment: [:], output: { _ in })
            try session.run(script: """
                CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)',
                  'subscribe' = 'tx', 'startingOffsets' = 'earliest');
                CREATE STREAM tx FROM k FORMAT json SCHEMA (card_number STRING, event_time TIMESTAMP, amount DOUBLE)
                  WATERMARK event_time DELAY '1 hour';
                CREATE VIEW sessions AS
                  SELECT card_number, session_window.start AS s, session_window.end AS e, count(*) AS n, sum(amount) AS total,
                         min(amount) AS low, max(amount) AS high, avg(amount) AS mean
                  FROM tx GROUP BY card_number, session_window(event_time, '5 minutes');
                """)
            return (session, try session.prepare(start: "START sessions OUTPUT MODE append USING memory OPTIONS ('checkpointLocation' = '\(location)')"))
        }
        let cards = ["c1", "c2", "c3", "c4", "c5"]
        // Before the stop: one session per card over minutes 0...9; X in two sessions (0, 8).
        var before: [[UInt8]?] = []
        for minute in 0..<10 { for (c, card) in cards.enumerated() { before.append(Self.event(card, minutes: minute, Double(c * 10 + minute))) } }
        before += [Self.event("X", minutes: 0, 1), Self.event("X", minutes: 8, 2)]
        try send(before, to: "tx", on: cluster.bootstrapServers)
        let (firstSession, first) = try open()
        var batches = 0
        while let progress = try first.runBatch() { batches += 1; #expect(progress.numStateRows == 7 || batches > 1) }
        #expect(batches >= 1)
        #expect(firstSession.table("sessions")?.count == 0, "the watermark (minute 9 - 1 hour) closes nothing")
        first.stop()

        // After the restart: every card's session goes on at minute 12; X's minute 4 bridges
        // its two sessions; Z three hours on moves the watermark past them all.
        var after: [[UInt8]?] = cards.enumerated().map { Self.event($1, minutes: 12, Double(100 + $0)) }
        after += [Self.event("X", minutes: 4, 4), Self.event("Z", minutes: 180, 0)]
        try send(after, to: "tx", on: cluster.bootstrapServers)
        let (session, resumed) = try open()
        #expect(resumed.statefulOperators.map(\.stateRows) == [7], "the open sessions came back from the checkpoint")
        while try resumed.runBatch() != nil {}
        resumed.stop()

        let micros = { (minutes: Int) in "\(Int64(Self.t0 + minutes * 60) * 1_000_000)" }
        var expected: [[String]] = cards.enumerated().map { c, card in
            let amounts = (0..<10).map { Double(c * 10 + $0) } + [Double(100 + c)]
            let total = amounts.reduce(0, +)
            return [card, micros(0), micros(17), "11", "\(total)", "\(amounts.min()!)", "\(amounts.max()!)", "\(total / 11)"]
        }
        expected.append(["X", micros(0), micros(13), "3", "7.0", "1.0", "4.0", "\(7.0 / 3)"])
        #expect(session.table("sessions")?.sortedRows == expected.sorted { $0.joined(separator: "|") < $1.joined(separator: "|") })
    }
}
