import Foundation
import KafkaBridge
@testable import KafkaWire
import Testing

/// The producer against the embedded broker over TCP, read back with librdkafka.
@Suite struct ProducerTests {
    /// Every message arrives once, in order per key, at the partition librdkafka's own
    /// producer picks for its key, through lz4 batches whose CRCs librdkafka checks.
    @Test(arguments: ["lz4", "none"])
    func keyedMessagesArriveOnceWhereLibrdkafkaWouldPutThem(codec: String) throws {
        let cluster = try makeCluster(partitions: 5)
        try cluster.createTopic("reference", partitions: 5)
        let n = 30_000
        let producer = try WireProducer(configuration: try configuration(cluster, ["compression.codec": codec, "batch.size": "65536"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        for i in 0..<n {
            let m = message(i)
            try producer.send(key: m.key, value: m.value)
        }
        #expect(producer.flush(timeoutMillis: 20_000))
        producer.close()
        let s = producer.statistics
        #expect(s.delivered == n)
        #expect(s.failed == 0)
        #expect(s.firstError == nil)
        #expect(s.batches > 5, "more than one batch per partition (batch.size 64 KiB)")

        // librdkafka's producer, keys only, for its partition of each key.
        let reference = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        for card in 0..<97 { try reference.send(topic: "reference", key: Array("card-\(card)".utf8), value: [1]) }
        try reference.flush(timeout: .seconds(10))
        var expectedPartition: [String: Int32] = [:]
        for r in try readAll("reference", from: cluster.bootstrapServers) {
            expectedPartition[String(decoding: r.key!, as: UTF8.self)] = r.partition
        }
        #expect(expectedPartition.count == 97)

        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(records.count == n)
        var seen = Set<Int>()
        var lastOfKey: [String: Int] = [:]
        var offsets: [Int32: [Int64]] = [:]
        for r in records {
            let key = String(decoding: r.key ?? [], as: UTF8.self)
            guard let i = sentIndex(of: r) else { Issue.record("unreadable value at \(r.partition)@\(r.offset)"); continue }
            #expect(seen.insert(i).inserted, "message \(i) twice")
            #expect(r.value == message(i).value)
            #expect(key == "card-\(i % 97)")
            #expect(r.partition == expectedPartition[key], "key \(key)")
            #expect(lastOfKey[key].map { $0 < i } ?? true, "key \(key) out of order at \(i)")
            lastOfKey[key] = i
            offsets[r.partition, default: []].append(r.offset)
        }
        #expect(seen.count == n)
        for (partition, list) in offsets {
            #expect(list == Array(0..<Int64(list.count)), "partition \(partition): offsets from 0 without gaps")
        }
    }

    /// Without a key, batches stick to a partition each, in turn: every partition gets some.
    @Test func unkeyedMessagesFillEveryPartitionInTurn() throws {
        let cluster = try makeCluster(partitions: 4)
        let producer = try WireProducer(configuration: try configuration(cluster, ["batch.size": "16384", "linger.ms": "1000"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        let n = 4_000
        for i in 0..<n { try producer.send(key: nil, value: message(i).value) }
        #expect(producer.flush(timeoutMillis: 20_000))
        producer.close()
        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(records.count == n)
        #expect(records.allSatisfy { $0.key == nil })
        let perPartition = Dictionary(grouping: records, by: \.partition).mapValues(\.count)
        #expect(perPartition.count == 4)
        #expect(perPartition.values.allSatisfy { $0 > n / 8 }, "\(perPartition)")
        #expect(Set(records.compactMap(sentIndex)).count == n)
    }

    /// Partitions led by three brokers: one connection each, all delivered.
    @Test func partitionsLedByDifferentBrokersAreAllWritten() throws {
        let cluster = try makeCluster(brokers: 3, partitions: 6)
        for p in 0..<6 { try cluster.setLeader(topic: "t", partition: Int32(p), broker: Int32(p % 3 + 1)) }
        let producer = try WireProducer(configuration: try configuration(cluster, ["compression.codec": "lz4"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        for i in 0..<6_000 {
            let m = message(i, cards: 600)
            try producer.send(key: m.key, value: m.value)
        }
        #expect(producer.flush(timeoutMillis: 20_000))
        producer.close()
        #expect(producer.statistics.delivered == 6_000)
        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(Set(records.compactMap(sentIndex)) == Set(0..<6_000))
        #expect(Set(records.map(\.partition)).count == 6)
    }

    /// Each record keeps the time it was sent (CreateTime), to the millisecond.
    @Test func recordsCarryTheirSendTime() throws {
        let cluster = try makeCluster(partitions: 1)
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let producer = try WireProducer(configuration: try configuration(cluster), topics: ["t"], timeoutMillis: 10_000)
        for i in 0..<100 {
            try producer.send(key: nil, value: message(i).value)
            if i == 49 { usleep(30_000) }
        }
        #expect(producer.flush(timeoutMillis: 10_000))
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(records.count == 100)
        #expect(records.allSatisfy { $0.timestamp >= before && $0.timestamp <= after && $0.timestampType == .createTime })
        #expect(records[99].timestamp - records[0].timestamp >= 30)
    }

    /// A message over message.max.bytes is refused at once, naming the property; smaller ones still go.
    @Test func aMessageTooLargeIsRefusedAndTheRestDelivered() throws {
        let cluster = try makeCluster(partitions: 1)
        let producer = try WireProducer(configuration: try configuration(cluster, ["message.max.bytes": "10000"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        #expect(throws: WireError.self) { try producer.send(key: nil, value: [UInt8](repeating: 65, count: 20_000)) }
        do {
            try producer.send(key: nil, value: [UInt8](repeating: 65, count: 20_000))
        } catch {
            #expect("\(error)".contains("message.max.bytes"))
        }
        try producer.send(key: nil, value: [UInt8](repeating: 66, count: 5_000))
        #expect(producer.flush(timeoutMillis: 10_000))
        #expect(producer.statistics.delivered == 1)
        #expect(try readAll("t", from: cluster.bootstrapServers).map { $0.value?.count } == [5_000])
    }

    /// A topic that does not exist is created by the broker on request (the mock broker does
    /// so as it answers the first Metadata request, so it is not reported as created).
    @Test func aMissingTopicIsCreatedOnRequest() throws {
        let cluster = try makeCluster(partitions: 1)
        let producer = try WireProducer(configuration: try configuration(cluster), topics: ["t", "fresh"], timeoutMillis: 10_000)
        #expect(producer.partitionCounts.count == 2 && producer.partitionCounts[1] > 0)
        try producer.send(topic: 1, key: nil, value: Array("x".utf8))
        #expect(producer.flush(timeoutMillis: 10_000))
        #expect(try readAll("fresh", from: cluster.bootstrapServers).map(\.value) == [Array("x".utf8)])
    }
}
