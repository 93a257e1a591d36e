@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Records deleted by retention before a query read them: the embedded broker keeps about
/// 5 MiB per partition and drops the oldest beyond that, as a real broker does by retention.
@Suite(.serialized) struct RetentionLossTests {
    /// 8000 records of about 1 KiB on one partition: well past what the partition keeps.
    static let produced = 8000

    /// A cluster whose topic `r` has lost its oldest records; the low watermark it reports.
    static func clusterWithLoss() throws -> (EmbeddedCluster, low: Int64, high: Int64) {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("r", partitions: 1)
        let pad = String(repeating: "x", count: 1000)
        try send((0..<produced).map { Array(#"{"n":\#($0),"pad":"\#(pad)"}"#.utf8) }, to: "r", on: cluster.bootstrapServers)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        let marks = try admin.watermarks(topic: "r", partition: 0)
        try #require(marks.low > 0 && marks.high == Int64(produced), "the broker kept everything: \(marks)")
        return (cluster, marks.low, marks.high)
    }

    static func session(_ bootstrap: String, failOnDataLoss: String?, extra: String = "") throws -> CellSession {
        let session = CellSession(output: { _ in })
        let option = (failOnDataLoss.map { ", 'failOnDataLoss' = '\($0)'" } ?? "") + extra
        try session.run(script: """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'r',
                'startingOffsets' = '{"r":{"0":0}}'\(option));
            CREATE STREAM e FROM k FORMAT json SCHEMA (n INT);
            CREATE VIEW c AS SELECT count(*) AS rows, min(n) AS first, count(DISTINCT n) AS distinct_n FROM e;
            """)
        return session
    }

    /// Runs batches until the source has nothing new (bounded, so a stall fails the test).
    static func drain(_ query: StreamingQuery) throws -> [BatchProgress] {
        var progress: [BatchProgress] = []
        let deadline = ContinuousClock.now + .seconds(30)
        while let batch = try query.runBatch(shouldStop: { ContinuousClock.now > deadline }, notice: { _ in }) {
            progress.append(batch)
        }
        return progress
    }

    /// With librdkafka's default reset (earliest) the loss shows as a jump in the offsets;
    /// with `auto.offset.reset=error` as the consumer's OFFSET_OUT_OF_RANGE error.
    static let resets = ["", ", 'kafka.auto.offset.reset' = 'error'"]

    @Test(arguments: resets) func lossFailsWithSparksErrorNamingPartitionAndOffsets(reset: String) throws {
        let (cluster, low, _) = try Self.clusterWithLoss()
        let session = try Self.session(cluster.bootstrapServers, failOnDataLoss: nil, extra: reset)
        let query = try session.prepare(start: "START c")
        defer { query.stop() }
        let started = ContinuousClock.now
        let error = #expect(throws: SourceError.self) { _ = try Self.drain(query) }
        #expect(ContinuousClock.now - started < .seconds(20), "reported at once, not after a stall")
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("Some data may have been lost because they are not available in Kafka any more"), "\(text)")
        #expect(text.contains("r/0 offsets 0..<\(low) (\(low) records)"), "\(text)")
        #expect(text.contains("'failOnDataLoss' = 'false'"), "\(text)")
    }

    @Test(arguments: resets) func lossSkippedAndCountedWithFailOnDataLossFalse(reset: String) throws {
        let (cluster, low, high) = try Self.clusterWithLoss()
        let session = try Self.session(cluster.bootstrapServers, failOnDataLoss: "false", extra: reset)
        let query = try session.prepare(start: "START c")
        defer { query.stop() }
        let progress = try Self.drain(query)
        let rows = progress.reduce(0) { $0 + $1.numInputRows }
        let lost = progress.reduce(0) { $0 + $1.numLostRecords }
        #expect(lost == low)
        #expect(Int64(rows) == high - low)
        #expect(Int64(rows) + lost == Int64(Self.produced))
        let table = try #require(session.table("c"))
        #expect(table.sortedRows == [["\(high - low)", "\(low)", "\(high - low)"]], "counted once each, from the first record kept")
        #expect(progress.contains { $0.line.contains("\(low) records lost to retention") })
    }

    /// A query reading since before the deletion: what its consumer had fetched before is
    /// read, the rest counted lost, nothing twice.
    @Test func lossUnderARunningQuery() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("r", partitions: 1)
        let session = try Self.session(cluster.bootstrapServers, failOnDataLoss: "false")
        let query = try session.prepare(start: "START c")
        defer { query.stop() }
        #expect(try Self.drain(query).isEmpty)
        let pad = String(repeating: "x", count: 1000)
        try send((0..<Self.produced).map { Array(#"{"n":\#($0),"pad":"\#(pad)"}"#.utf8) }, to: "r", on: cluster.bootstrapServers)
        let progress = try Self.drain(query)
        let rows = progress.reduce(0) { $0 + $1.numInputRows }
        let lost = progress.reduce(0) { $0 + $1.numLostRecords }
        #expect(Int64(rows) + lost == Int64(Self.produced))
        let table = try #require(session.table("c"))
        #expect(table.sortedRows.first?[0] == "\(rows)" && table.sortedRows.first?[2] == "\(rows)", "no record twice")
    }
}
