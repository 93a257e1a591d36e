@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// The Kafka sink with its broker gone mid-stream: rows it cannot deliver are reported, and a
/// stop (Ctrl-C, SIGTERM, --timeout, STOP) ends its wait for the broker within a second
/// instead of after the 30 s flush or librdkafka's 5-minute message timeout.
@Suite(.serialized) struct KafkaSinkFaultTests {
    static func rows(_ count: Int) -> ResultBatch {
        var column = Column(type: .bigint, capacity: count)
        for n in 0..<count { column.append(Int64(n)) }
        return ResultBatch(batchId: 7, schema: Schema([.init(name: "n", type: .bigint)]), columns: [column],
                           mode: .append, keyColumns: [])
    }

    /// Writes `batch` with the broker down and a stop one second in; the time it took.
    static func stoppedWrite(_ batch: ResultBatch, extra: [String: String] = [:]) throws -> (Duration, Error?) {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 1)
        var sink: KafkaSink? = try KafkaSink(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "topic": "out"]
            .merging(extra, uniquingKeysWith: { $1 }))
        try sink!.write(rows(3))
        try cluster.setBrokerDown(1)
        let began = ContinuousClock.now
        var failure: Error?
        do { try sink!.write(batch, stop: { ContinuousClock.now - began > .seconds(1) }) } catch { failure = error }
        sink = nil  // closing it must not wait for the broker either
        return (ContinuousClock.now - began, failure)
    }

    @Test("a stop while the sink waits for acknowledgements from a dead broker ends the write within a second, saying rows were unconfirmed")
    func stopDuringFlush() throws {
        let (took, failure) = try Self.stoppedWrite(Self.rows(100))
        #expect(took < .seconds(3), "the write took \(took)")
        let message = "\(failure.map { "\($0)" } ?? "no error")"
        #expect(message.contains("not yet acknowledged by the broker for out"), "\(message)")
        #expect(message.contains("batch 7"), "\(message)")
    }

    @Test("a stop while the producer's queue is full (broker dead) ends the write within a second")
    func stopWithQueueFull() throws {
        let (took, failure) = try Self.stoppedWrite(Self.rows(1000), extra: ["kafka.queue.buffering.max.messages": "10"])
        #expect(took < .seconds(3), "the write took \(took)")
        #expect(failure is SinkError, "\(String(describing: failure))")
    }

    @Test("a background query whose sink broker died: SHOW QUERIES shows it running, STOP returns within a second or two")
    func backgroundStop() throws {
        let input = try EmbeddedCluster(), output = try EmbeddedCluster()
        try input.createTopic("i", partitions: 1)
        try output.createTopic("out", partitions: 1)
        let printed = BrokerOutageTests.Notices()
        let session = CellSession(output: { printed.add($0) })
        try session.run(script: """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(input.bootstrapServers)', 'subscribe' = 'i',
                'startingOffsets' = 'earliest');
            CREATE STREAM e FROM k FORMAT json SCHEMA (n INT);
            CREATE VIEW v AS SELECT n FROM e;
            START v IN BACKGROUND USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(output.bootstrapServers)', 'topic' = 'out');
            """)
        Thread.sleep(forTimeInterval: 1)  // the query has started, at offset 0 of the empty topic
        try output.setBrokerDown(1)
        try send((0..<50).map { Array(#"{"n":\#($0)}"#.utf8) }, to: "i", on: input.bootstrapServers)
        Thread.sleep(forTimeInterval: 2)  // the batch is read and its rows wait for the dead broker
        try session.run(script: "SHOW QUERIES;")
        #expect(printed.all.joined().contains("running"), "\(printed.all)")
        let began = ContinuousClock.now
        try session.run(script: "STOP v;")
        #expect(ContinuousClock.now - began < .seconds(3), "STOP took \(ContinuousClock.now - began)")
    }
}
