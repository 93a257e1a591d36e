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
}
