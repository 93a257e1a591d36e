@testable import CellKernel
import Foundation
import KafkaBridge
import Synchronization
import Testing

/// The embedded broker taken down and brought back under a running stream: the stream waits
/// for it without holding anyone (a stop ends the wait at once), tells the user once, and
/// goes on where it was, counting every record exactly once.
@Suite(.serialized) struct BrokerOutageTests {
    static func values(_ range: Range<Int>) -> [[UInt8]?] {
        range.map { Array(#"{"n":\#($0)}"#.utf8) }
    }

    /// Notices a source gave, collected from whatever thread.
    final class Notices: Sendable {
        private let lines = Mutex<[String]>([])
        func add(_ line: String) { lines.withLock { $0.append(line) } }
        var all: [String] { lines.withLock { $0 } }
    }

    static func session(_ bootstrap: String, extra: String = "") throws -> CellSession {
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'o',
                'startingOffsets' = 'earliest', 'connectTimeoutMs' = '2000'\(extra));
            CREATE STREAM e FROM k FORMAT json SCHEMA (n INT);
            CREATE VIEW c AS SELECT count(*) AS rows, sum(n) AS total, count(DISTINCT n) AS distinct_n FROM e;
            """)
        return session
    }

    /// Batches until the source has nothing new, within `limit`.
    static func drain(_ query: StreamingQuery, notices: Notices, limit: Duration = .seconds(30)) throws -> Int {
        let deadline = ContinuousClock.now + limit
        var rows = 0
        while let batch = try query.runBatch(shouldStop: { ContinuousClock.now > deadline }, notice: notices.add) {
            rows += batch.numInputRows
        }
        return rows
    }

    @Test("an idle stream: a stop ends the wait on a broker that is down, the user is told once, and it resumes")
    func idleStream() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("o", partitions: 2)
        try send(Self.values(0..<100), to: "o", on: cluster.bootstrapServers)
        let session = try Self.session(cluster.bootstrapServers)
        let query = try session.prepare(start: "START c")
        defer { query.stop() }
        let notices = Notices()
        #expect(try Self.drain(query, notices: notices) == 100)

        try cluster.setBrokerDown(1)
        // Asking for the next batch waits for the broker; a stop 3 s in must end it within 1 s.
        let began = ContinuousClock.now
        let stopAt = began + .seconds(3)
        #expect(throws: StreamInterrupted.self) {
            _ = try query.runBatch(shouldStop: { ContinuousClock.now >= stopAt }, notice: notices.add)
        }
        let waited = ContinuousClock.now - began
        #expect(waited >= .seconds(3) && waited < .milliseconds(4500), "stopped \(waited) after the wait began")
        #expect(notices.all.count == 1, "\(notices.all)")
        #expect(notices.all.first?.hasPrefix("broker \(cluster.bootstrapServers) unreachable for 2 s; retrying…") == true,
                "\(notices.all)")

        // Still down: waiting again does not tell the user again.
        let again = ContinuousClock.now + .seconds(1)
        #expect(throws: StreamInterrupted.self) {
            _ = try query.runBatch(shouldStop: { ContinuousClock.now >= again }, notice: notices.add)
        }
        #expect(notices.all.count == 1, "\(notices.all)")

        try cluster.setBrokerUp(1)
        try send(Self.values(100..<150), to: "o", on: cluster.bootstrapServers)
        #expect(try Self.drain(query, notices: notices) == 50)
        // The consumer may take a few more seconds than the offset client to reconnect (its
        // own backoff), which can be told as a second, short outage: never more than that.
        #expect(notices.all.count <= 4 && notices.all.dropFirst().first?.contains("answers again") == true, "\(notices.all)")
        let table = try #require(session.table("c"))
        #expect(table.sortedRows == [["150", "\((0..<150).reduce(0, +))", "150"]], "state kept, every record once")
    }

    /// More than one poll of the source takes (10,000 records), so that however fast
    /// the broker answers, a batch still needs it after its first poll: with fewer, one poll
    /// could hold the whole batch before the broker went down (it did on a quiet machine).
    static let busyRecords = 12_000

    /// A source whose fetches are tiny, so that a batch still needs the broker after its
    /// first records: the broker goes down in the middle of reading it.
    static func busySource(_ cluster: EmbeddedCluster) throws -> KafkaStreamSource {
        try KafkaStreamSource(options: [
            "kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "o", "startingOffsets": "earliest",
            // A poll timeout shorter than the outage: an outage is not a timeout.
            "connectTimeoutMs": "2000", "kafkaConsumer.pollTimeoutMs": "2500", "kafka.fetch.max.bytes": "2000", "kafka.message.max.bytes": "1000", "kafka.max.partition.fetch.bytes": "2000",
            "kafka.queued.max.messages.kbytes": "1", "kafka.queued.min.messages": "1",
        ])
    }

    @Test("a busy stream: the broker goes down in the middle of a batch, which waits for it and completes once")
    func busyStreamResumes() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("o", partitions: 1)
        try send(Self.values(0..<Self.busyRecords), to: "o", on: cluster.bootstrapServers)
        let source = try Self.busySource(cluster)
        defer { source.close() }
        let notices = Notices()
        var seen: [Int] = []
        let up = Mutex<ContinuousClock.Instant?>(nil)
        // A deadline far past the outage, so that a batch that never resumes fails the test
        // instead of hanging the suite.
        let deadline = ContinuousClock.now + .seconds(40)
        let batch = try source.readBatch(stop: { ContinuousClock.now > deadline }, notice: notices.add) { record in
            seen.append(Int(String(decoding: record.value!, as: UTF8.self).dropFirst(5).dropLast())!)
            if seen.count == 1000 {
                try? cluster.setBrokerDown(1)
                // Back after 3 s, from another thread: this one is inside the batch.
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: 3)
                    try? cluster.setBrokerUp(1)
                    up.withLock { $0 = .now }
                }
            }
        }
        #expect(up.withLock { $0 } != nil, "the batch ended before the broker came back: it did not need it")
        #expect(batch?.records == Self.busyRecords)
        #expect(seen == Array(0..<Self.busyRecords), "every record once, in order")
        #expect(notices.all.first?.hasPrefix("broker \(cluster.bootstrapServers) unreachable for 2 s; retrying…") == true,
                "\(notices.all)")
        #expect(try source.readBatch { _ in } == nil)
    }

    @Test("a busy stream: a stop during the outage ends the batch within a second; read again, it counts each record once")
    func busyStreamStopped() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("o", partitions: 1)
        try send(Self.values(0..<Self.busyRecords), to: "o", on: cluster.bootstrapServers)
        let source = try Self.busySource(cluster)
        defer { source.close() }
        var seen = 0
        var downAt: ContinuousClock.Instant?
        #expect(throws: StreamInterrupted.self) {
            _ = try source.readBatch(stop: { downAt.map { ContinuousClock.now - $0 > .seconds(1) } ?? false }, notice: { _ in }) { _ in
                seen += 1
                if seen == 1000 { try? cluster.setBrokerDown(1); downAt = .now }
            }
        }
        let stoppedAfter = ContinuousClock.now - downAt!
        #expect(stoppedAfter < .seconds(2), "stopped \(stoppedAfter) after the broker went down")
        #expect(source.offsets.next["o/0"] == 0, "an abandoned batch moves no offset")

        try cluster.setBrokerUp(1)
        var again: [Int] = []
        let batch = try source.readBatch(stop: { false }, notice: { _ in }) { record in
            again.append(Int(String(decoding: record.value!, as: UTF8.self).dropFirst(5).dropLast())!)
        }
        #expect(batch?.records == Self.busyRecords)
        #expect(again == Array(0..<Self.busyRecords))
        #expect(source.offsets.next["o/0"] == Int64(Self.busyRecords))
    }
}
