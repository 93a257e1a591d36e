@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Spark's Kafka source options, against an embedded broker.
@Suite struct KafkaSourceTests {
    static func values(_ range: Range<Int>) -> [[UInt8]?] {
        range.map { Array(#"{"n":\#($0)}"#.utf8) }
    }

    /// Reads everything a source offers, batch by batch: the `n` of each record, per batch.
    static func drain(_ source: KafkaStreamSource) throws -> [[Int]] {
        var batches: [[Int]] = []
        while true {
            var seen: [Int] = []
            let batch = try source.readBatch { record in
                let text = String(decoding: record.value!, as: UTF8.self)
                seen.append(Int(text.dropFirst(5).dropLast())!)
            }
            guard let batch else { return batches }
            #expect(batch.records == seen.count)
            batches.append(seen)
        }
    }

    @Test func maxOffsetsPerTriggerSplitsBatches() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: 2)
        try send(Self.values(0..<100), to: "t", on: cluster.bootstrapServers)
        let source = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "t",
                                                     "startingOffsets": "earliest", "maxOffsetsPerTrigger": "30"])
        let batches = try Self.drain(source)
        #expect(batches.map(\.count) == [30, 30, 30, 10])
        #expect(Set(batches.joined()) == Set(0..<100))
    }

    @Test func aSmallQueueBudgetStillReadsEveryRecordOnce() throws {
        // The consumer's queue is bounded by kafka.queued.max.messages.kbytes alone: a budget
        // of 1 KiB (librdkafka fetches at least one message at a time past it) slows reading
        // down but loses and repeats nothing; 0 is refused, naming the option.
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: 3)
        try send(Self.values(0..<3000), to: "t", on: cluster.bootstrapServers)
        let source = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "t",
                                                     "startingOffsets": "earliest", "kafka.queued.max.messages.kbytes": "1"])
        let read = try Self.drain(source).joined()
        #expect(read.count == 3000)
        #expect(Set(read) == Set(0..<3000))
        let refused = #expect(throws: SourceError.self) {
            try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "t",
                                            "kafka.queued.max.messages.kbytes": "0"])
        }
        #expect(refused?.description.contains("queued.max.messages.kbytes") == true, "\(String(describing: refused))")
    }

    @Test func startingOffsetsPerPartitionAndLatest() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: 2)
        try send(Self.values(0..<10), to: "t", on: cluster.bootstrapServers, partition: 0)
        try send(Self.values(10..<20), to: "t", on: cluster.bootstrapServers, partition: 1)
        let json = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "t",
                                                   "startingOffsets": #"{"t":{"0":7,"1":-2}}"#])
        #expect(try Self.drain(json).joined().sorted() == [7, 8, 9] + Array(10..<20))
        let latest = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "t"])
        #expect(try Self.drain(latest).isEmpty, "latest is Spark's default: only what comes next")
        try send(Self.values(20..<23), to: "t", on: cluster.bootstrapServers)
        #expect(try Self.drain(latest).joined().sorted() == [20, 21, 22])
    }

    @Test func assignAndSubscribePattern() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("orders-a", partitions: 2)
        try cluster.createTopic("orders-b", partitions: 1)
        try cluster.createTopic("other", partitions: 1)
        try send(Self.values(0..<4), to: "orders-a", on: cluster.bootstrapServers, partition: 1)
        try send(Self.values(4..<6), to: "orders-b", on: cluster.bootstrapServers)
        try send(Self.values(6..<8), to: "other", on: cluster.bootstrapServers)
        let pattern = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers,
                                                      "subscribePattern": "orders-.*", "startingOffsets": "earliest"])
        #expect(pattern.topics == ["orders-a", "orders-b"])
        #expect(try Self.drain(pattern).joined().sorted() == Array(0..<6))
        let assigned = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers,
                                                       "assign": #"{"orders-a":[0]}"#, "startingOffsets": "earliest"])
        #expect(try Self.drain(assigned).isEmpty, "partition 0 of orders-a is empty")
    }

    @Test func clearErrorsForMissingTopicAndBadOptions() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("present", partitions: 1)
        let missing = #expect(throws: SourceError.self) {
            try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "absent"])
        }
        #expect(missing?.message.contains("topic 'absent' does not exist") == true)
        #expect(missing?.hint?.contains("present") == true)
        let both = #expect(throws: SourceError.self) {
            try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "present", "assign": "{}"])
        }
        #expect(both?.message.contains("only one of") == true)
        let start = ContinuousClock.now
        let unreachable = #expect(throws: SourceError.self) {
            try KafkaStreamSource(options: ["kafka.bootstrap.servers": "127.0.0.1:1", "subscribe": "t", "connectTimeoutMs": "2000"])
        }
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(unreachable?.message.contains("cannot reach Kafka at 127.0.0.1:1") == true)
    }

    @Test func sessionReportsUnreachableBrokerAtCreateSource() throws {
        let session = CellSession(output: { _ in })
        let error = #expect(throws: CellError.self) {
            try session.run(script: "CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'subscribe' = 't', 'connectTimeoutMs' = '1500');")
        }
        #expect(error?.description.contains("cannot reach Kafka") == true)
        #expect(session.sources.isEmpty, "a failed CREATE leaves nothing behind")
    }
}
