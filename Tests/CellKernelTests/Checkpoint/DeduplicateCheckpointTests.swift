@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// DEDUPLICATE over the embedded Kafka broker, stopped and restarted from a checkpoint: the
/// keys seen before the stop come back, so their duplicates sent after the restart are still
/// dropped; keys first seen after it pass once.
@Suite struct DeduplicateCheckpointTests {
    static let t0 = 1_704_067_200 as Int  // 2024-01-01 00:00:00 UTC, in seconds

    static func event(_ auth: Int, seconds: Int) -> [UInt8]? {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t0 + seconds)))
        return Array(#"{"auth_id":\#(auth),"event_time":"\#(time)","amount":\#(auth % 10)}"#.utf8)
    }

    @Test(arguments: ["DEDUPLICATE BY (auth_id)", "DEDUPLICATE BY (auth_id) WITHIN WATERMARK"])
    func duplicatesAcrossARestartAreStillDropped(clause: String) throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        let scratch = try CheckpointScratch()
        let location = scratch.path("chk/dedup")
        func open() throws -> (CellSession, StreamingQuery) {
            let session = CellSession(environment: [:], output: { _ in })
            try session.run(script: """
                CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)',
                  'subscribe' = 'tx', 'startingOffsets' = 'earliest');
                CREATE STREAM tx FROM k FORMAT json SCHEMA (auth_id BIGINT, event_time TIMESTAMP, amount DOUBLE)
                  WATERMARK event_time DELAY '1 hour';
                CREATE VIEW uniq AS SELECT auth_id, amount FROM tx \(clause);
                """)
            return (session, try session.prepare(start: "START uniq OUTPUT MODE append USING memory OPTIONS ('checkpointLocation' = '\(location)')"))
        }
        // Before the stop: 600 authorizations, each twice, over ten minutes.
        var before: [[UInt8]?] = []
        for auth in 0..<600 { before += [Self.event(auth, seconds: auth), Self.event(auth, seconds: auth + 1)] }
        try send(before, to: "tx", on: cluster.bootstrapServers)
        let (firstSession, first) = try open()
        while try first.runBatch() != nil {}
        #expect(firstSession.table("uniq")?.count == 600)
        #expect(first.statefulOperators.map(\.stateRows) == [600])
        first.stop()

        // After the restart: 300 of those again (within the hour: not forgotten) and 200 new ones, twice each.
        var after: [[UInt8]?] = []
        for auth in 300..<800 { after += [Self.event(auth, seconds: 900 + auth), Self.event(auth, seconds: 901 + auth)] }
        try send(after, to: "tx", on: cluster.bootstrapServers)
        let (session, resumed) = try open()
        #expect(resumed.statefulOperators.map(\.stateRows) == [600], "the seen keys came back from the checkpoint")
        while try resumed.runBatch() != nil {}
        resumed.stop()
        let rows = try #require(session.table("uniq"))
        let ids = (0..<rows.count).compactMap { if case .int(let v) = rows.columns[0].value(at: $0) { Int(v) } else { nil } }
        #expect(ids.sorted() == Array(600..<800), "only the keys first seen after the restart pass")
    }
}
