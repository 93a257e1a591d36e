import Foundation
import KafkaBridge
@testable import KafkaWire
import Testing

/// Brokers that are not there, go away, or come back; settings it cannot honour.
@Suite struct ProducerFaultTests {
    /// A port nobody listens on: a connection error within the timeout, naming the broker.
    @Test func anUnreachableBrokerIsReportedWithinTheTimeout() throws {
        let started = ContinuousClock.now
        let config = try WireProducerConfiguration(properties: ["bootstrap.servers": "127.0.0.1:1"])
        #expect {
            _ = try WireProducer(configuration: config, topics: ["t"], timeoutMillis: 2_000)
        } throws: { error in
            guard case WireError.connection(let broker, let why) = error else { return false }
            return broker.contains("127.0.0.1:1") && why.contains("127.0.0.1:1: cannot connect") && !why.contains("broker")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// The broker goes down between requests and comes back: what was sent meanwhile waits,
    /// is retried, and arrives once and in order.
    @Test func aBrokerThatComesBackGetsEverythingExactlyOnce() throws {
        let cluster = try makeCluster(partitions: 3)
        let producer = try WireProducer(configuration: try configuration(cluster, ["retry.backoff.ms": "20", "request.timeout.ms": "2000"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        let n = 20_000
        try sendThroughAnOutage(n, producer, cluster) {
            #expect(producer.flush(timeoutMillis: 10_000))
            try cluster.setBrokerDown(1)
        }
        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(records.count == n, "each message once")
        #expect(Set(records.compactMap(sentIndex)).count == n)
        expectInOrderPerPartition(records)
    }

    /// The broker is cut while requests are in flight: the batches it took but never answered
    /// are sent again with the same producer id and sequence numbers. Kafka drops such a
    /// repeat; the mock broker keeps it (rdkafka_mock.c checks sequences only for a
    /// transactional producer), so the log is read batch by batch and judged by Kafka's rule.
    @Test func aBrokerCutMidRequestGetsItsBatchesAgainWithTheirSequenceNumbers() throws {
        let cluster = try makeCluster(partitions: 3)
        let producer = try WireProducer(configuration: try configuration(cluster, ["retry.backoff.ms": "20", "request.timeout.ms": "2000",
                                                                                  "batch.size": "16384"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        try cluster.setRoundTripDelay(1, milliseconds: 1_000)
        let n = 20_000
        try sendThroughAnOutage(n, producer, cluster) {
            producer.poll()
            usleep(200_000)  // the requests reach the broker; their answers are a second away
            try cluster.setBrokerDown(1)
            try cluster.setRoundTripDelay(1, milliseconds: 0)
        }
        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(Set(records.compactMap(sentIndex)).count == n, "every message at least once")

        var kept = 0, stored = 0
        for partition in Int32(0)..<3 {
            let batches = try storedBatches(topic: "t", partition: partition, broker: cluster.bootstrapServers)
            var seen = Set<[Int64]>()
            var next: Int32 = 0
            for batch in batches {
                stored += Int(batch.records)
                if seen.contains(batch.identity) { continue }  // a repeat Kafka would have dropped
                #expect(batch.baseSequence == next, "t/\(partition)@\(batch.baseOffset): a new batch carries the next sequence number")
                seen.insert(batch.identity)
                next = batch.baseSequence &+ batch.records
                kept += Int(batch.records)
            }
        }
        #expect(kept == n, "under Kafka's rule each message is kept once")
        #expect(stored > kept, "the cut lost answers, so the broker holds repeats")
        #expect(stored == records.count)
        expectInOrderPerPartition(records.firstAppearances)
    }

    /// A broker that stays down: the messages fail at message.timeout.ms, counted and named,
    /// and neither flush nor close hangs.
    @Test func aBrokerThatStaysDownFailsTheMessagesAtTheirTimeout() throws {
        let cluster = try makeCluster(partitions: 2)
        let producer = try WireProducer(configuration: try configuration(cluster, ["message.timeout.ms": "1500", "retry.backoff.ms": "50",
                                                                                  "request.timeout.ms": "1000"]),
                                        topics: ["t"], timeoutMillis: 10_000)
        try cluster.setBrokerDown(1)
        let started = ContinuousClock.now
        for i in 0..<500 {
            let m = message(i)
            try producer.send(key: m.key, value: m.value)
        }
        #expect(producer.flush(timeoutMillis: 10_000))
        producer.close()
        #expect(ContinuousClock.now - started < .seconds(8))
        let s = producer.statistics
        #expect(s.delivered == 0)
        #expect(s.failed == 500)
        #expect(s.firstError.map { "\($0)".contains("message.timeout.ms=1500") } == true)
    }

    /// A topic name Kafka cannot have is refused before anything is sent; a closed producer
    /// refuses messages rather than taking them silently.
    @Test func badTopicNamesAndAClosedProducerAreRefused() throws {
        let cluster = try makeCluster(partitions: 1)
        for name in ["", String(repeating: "n", count: 250), "bad topic", "a/b", "..", "caf\u{e9}"] {
            #expect(throws: WireError.self) { _ = try WireProducer(configuration: try configuration(cluster), topics: [name], timeoutMillis: 2_000) }
        }
        let producer = try WireProducer(configuration: try configuration(cluster), topics: ["t"], timeoutMillis: 10_000)
        try producer.send(key: nil, value: [1])
        #expect(producer.flush(timeoutMillis: 10_000))
        producer.close()
        #expect(throws: WireError.self) { try producer.send(key: nil, value: [2]) }
        #expect(producer.statistics.delivered == 1)
    }

    /// Closing with messages unacknowledged counts them as failed: delivered + failed is all.
    @Test func closingEarlyAccountsForEveryMessage() throws {
        let cluster = try makeCluster(partitions: 2)
        let producer = try WireProducer(configuration: try configuration(cluster), topics: ["t"], timeoutMillis: 10_000)
        try cluster.setBrokerDown(1)
        for i in 0..<300 { try producer.send(key: message(i).key, value: message(i).value) }
        #expect(producer.flush(timeoutMillis: 200) == false)
        producer.close()
        let s = producer.statistics
        #expect(s.delivered + s.failed == 300)
        #expect(s.failed == 300)
        #expect(producer.inFlight == 0)
    }

    /// Settings: what it cannot do is refused by name (for a fallback), bad values explained.
    @Test func propertiesItCannotHonourAreRefusedByName() throws {
        let base = ["bootstrap.servers": "localhost:9092"]
        func error(_ extra: [String: String]) -> WireError? {
            do {
                _ = try WireProducerConfiguration(properties: base.merging(extra) { _, b in b })
                return nil
            } catch { return error }
        }
        #expect(error(["compression.codec": "zstd"]).map { if case .unsupportedProperty("compression.codec", _) = $0 { true } else { false } } == true)
        #expect(error(["security.protocol": "SSL"]).map { if case .unsupportedProperty("security.protocol", _) = $0 { true } else { false } } == true)
        #expect(error(["debug": "all"]).map { if case .unsupportedProperty("debug", _) = $0 { true } else { false } } == true)
        #expect(error(["acks": "1"]).map { if case .invalidProperty("acks", _) = $0 { true } else { false } } == true)
        #expect(error(["acks": "1", "enable.idempotence": "false"]) == nil)
        #expect(error(["linger.ms": "-1"]).map { if case .invalidProperty("linger.ms", _) = $0 { true } else { false } } == true)
        #expect(error(["batch.size": "99999999999999999999"]) != nil)
        #expect(error(["bootstrap.servers": "host:notaport"]).map { if case .invalidProperty("bootstrap.servers", _) = $0 { true } else { false } } == true)
        #expect(error(["bootstrap.servers": ""]) != nil)
        #expect(error(["client.id": String(repeating: "c", count: 40_000)]) != nil)
        let ok = try WireProducerConfiguration(properties: base.merging(["compression.type": "LZ4", "message.timeout.ms": "0"]) { _, b in b })
        #expect(ok.compression == .lz4)
        #expect(ok.deliveryTimeoutMillis == 86_400_000)
    }
}

/// Sends messages 0..<n, calls `cut` after the first third and brings broker 1 back after
/// the second, then expects every message delivered and none failed.
private func sendThroughAnOutage(_ n: Int, _ producer: WireProducer, _ cluster: EmbeddedCluster, cut: () throws -> Void) throws {
    for i in 0..<n {
        let m = message(i)
        try producer.send(key: m.key, value: m.value)
        if i == n / 3 { try cut() }
        if i == 2 * n / 3 {
            usleep(300_000)
            try cluster.setBrokerUp(1)
        }
    }
    #expect(producer.flush(timeoutMillis: 30_000))
    producer.close()
    #expect(producer.statistics.delivered == n)
    #expect(producer.statistics.failed == 0)
}

/// Messages with one key go to one partition in the order sent: each partition's indices rise.
private func expectInOrderPerPartition(_ records: [KafkaRecord]) {
    // One expectation with the first few places, not thousands of failures.
    var last: [Int32: Int] = [:]
    var outOfOrder: [String] = []
    for record in records {
        guard let i = sentIndex(of: record) else { continue }
        if i <= last[record.partition, default: -1] {
            outOfOrder.append("\(record.topic)/\(record.partition)@\(record.offset) holds message \(i) after \(last[record.partition, default: -1])")
        }
        last[record.partition] = i
    }
    #expect(outOfOrder.isEmpty, "\(outOfOrder.prefix(5))")
}

private extension Array where Element == KafkaRecord {
    /// Each message's first copy, in log order.
    var firstAppearances: [KafkaRecord] {
        var seen = Set<Int>()
        return filter { sentIndex(of: $0).map { seen.insert($0).inserted } ?? true }
    }
}

