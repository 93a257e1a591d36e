import Foundation
import KafkaBridge
import Synchronization
import Testing

@Suite struct ProduceConsumeTests {
    /// Records keyed `k<i % 7>` with value `v<i>` and a header carrying `i`.
    static func produce(_ count: Int, to topic: String, on bootstrap: String,
                        configuration extra: [String: String] = [:]) throws -> (KafkaDeliveryStatistics, [UInt64: (Int32, Int64)]) {
        let placed = Mutex<[UInt64: (Int32, Int64)]>([:])
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(bootstrapServers: bootstrap).withDefaults(extra)
        ) { report in
            if report.error == nil { placed.withLock { $0[report.id] = (report.partition, report.offset) } }
        }
        for i in 0..<count {
            try producer.send(topic: topic, key: Array("k\(i % 7)".utf8), value: Array("v\(i)".utf8),
                              headers: [KafkaHeader(name: "i", value: "\(i)")], id: UInt64(i) + 1)
        }
        try producer.flush(timeout: .seconds(30))
        return (producer.statistics, placed.withLock { $0 })
    }

    @Test func everyFieldRoundTrips() throws {
        let cluster = try makeCluster(topic: "t", partitions: 3)
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let (stats, placed) = try Self.produce(500, to: "t", on: cluster.bootstrapServers)
        #expect(stats.delivered == 500)
        #expect(stats.failed == 0)
        #expect(placed.count == 500)

        let records = try readAll("t", from: cluster.bootstrapServers)
        #expect(records.count == 500)
        var seen = Set<Int>()
        var partitionOfKey: [String: Int32] = [:]
        for record in records {
            let value = String(decoding: try #require(record.value), as: UTF8.self)
            let i = try #require(Int(value.dropFirst()))
            seen.insert(i)
            let key = String(decoding: try #require(record.key), as: UTF8.self)
            #expect(key == "k\(i % 7)")
            #expect(record.topic == "t")
            #expect(record.headers == [KafkaHeader(name: "i", value: "\(i)")])
            #expect(record.timestampType == .createTime)
            #expect(record.timestamp >= before - 1000 && record.timestamp <= before + 60_000)
            // The delivery report named the same place the record was read from.
            let (partition, offset) = try #require(placed[UInt64(i) + 1])
            #expect(record.partition == partition && record.offset == offset)
            // One key, one partition.
            #expect(partitionOfKey[key, default: record.partition] == record.partition)
            partitionOfKey[key] = record.partition
        }
        #expect(seen == Set(0..<500))

        // Offsets within a partition are dense from 0, and the high watermarks add up.
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        var total: Int64 = 0
        for p in Int32(0)..<3 {
            let offsets = records.filter { $0.partition == p }.map(\.offset).sorted()
            #expect(offsets == Array(0..<Int64(offsets.count)))
            let marks = try consumer.watermarks(topic: "t", partition: p)
            #expect(marks.low == 0 && marks.high == Int64(offsets.count))
            total += marks.high
        }
        #expect(total == 500)
    }

    @Test func recordsSentToTopicsInTurnLandInTheirOwn() throws {
        // The producer remembers the topic of the record before: runs of one topic and
        // strict alternation must both land every record in the topic it names.
        let cluster = try makeCluster(topic: "a", partitions: 2)
        try cluster.createTopic("b", partitions: 2, replicationFactor: 1)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        var expected: [String: [String]] = ["a": [], "b": []]
        for i in 0..<300 {
            let topic = i < 100 ? "a" : (i < 150 ? "b" : (i.isMultiple(of: 2) ? "a" : "b"))
            expected[topic]!.append("v\(i)")
            try producer.send(topic: topic, key: nil, value: Array("v\(i)".utf8))
        }
        try producer.flush(timeout: .seconds(30))
        for topic in ["a", "b"] {
            let values = try readAll(topic, from: cluster.bootstrapServers).map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(Set(values) == Set(expected[topic]!))
            #expect(values.count == expected[topic]!.count)
        }
    }

    @Test func explicitPartitionAndOffsets() throws {
        let cluster = try makeCluster(topic: "t", partitions: 4)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        for i in 0..<10 { try producer.send(topic: "t", key: nil, value: Array("\(i)".utf8), partition: 2) }
        try producer.flush(timeout: .seconds(10))
        #expect(producer.statistics.delivered == 10)

        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        try consumer.assign([(KafkaTopicPartition(topic: "t", partition: 2), .exact(7))])
        #expect(try consumer.assignment() == [KafkaTopicPartition(topic: "t", partition: 2)])
        var values: [String] = []
        var ended = false
        while !ended {
            let batch = try consumer.poll(timeout: .milliseconds(500))
            values += batch.records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(batch.records.allSatisfy { $0.key == nil && $0.partition == 2 })
            ended = !batch.reachedEnd.isEmpty
        }
        #expect(values == ["7", "8", "9"])
        #expect(try consumer.positions([KafkaTopicPartition(topic: "t", partition: 2)]) == [KafkaTopicPartition(topic: "t", partition: 2): 10])
    }

    @Test func latestSkipsWhatIsAlreadyThere() throws {
        let cluster = try makeCluster(topic: "t", partitions: 1)
        _ = try Self.produce(5, to: "t", on: cluster.bootstrapServers)
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        try consumer.assign(topic: "t", from: .end)
        // Wait until the consumer has found the end, then add one record.
        var ended = false
        while !ended { ended = !(try consumer.poll(timeout: .milliseconds(200)).reachedEnd.isEmpty) }
        _ = try Self.produce(1, to: "t", on: cluster.bootstrapServers)
        var got: [KafkaRecord] = []
        let deadline = ContinuousClock.now + .seconds(10)
        while got.isEmpty && ContinuousClock.now < deadline {
            got += try consumer.poll(timeout: .milliseconds(200)).records
        }
        #expect(got.map(\.offset) == [5])
    }

    @Test func groupCommitsAndResumes() throws {
        let cluster = try makeCluster(topic: "t", partitions: 2)
        _ = try Self.produce(100, to: "t", on: cluster.bootstrapServers)
        // The mock coordinator waits out a departed member's session before it completes the
        // next join, so the session is kept short.
        let configuration = KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers, "group.id": "g",
                                                "session.timeout.ms": "6000", "heartbeat.interval.ms": "500"])

        // First member: reads everything, commits 30 records' worth per partition.
        var firstRead: [KafkaRecord] = []
        do {
            let consumer = try KafkaConsumer(configuration: configuration)
            #expect(consumer.groupID == "g")
            try consumer.subscribe(["t"])
            var ended = Set<Int32>()
            let deadline = ContinuousClock.now + .seconds(20)
            while ended.count < 2 && ContinuousClock.now < deadline {
                let batch = try consumer.poll(timeout: .milliseconds(200))
                firstRead += batch.records
                batch.reachedEnd.forEach { ended.insert($0.partition) }
            }
            #expect(firstRead.count == 100)
            let commit = [KafkaTopicPartition(topic: "t", partition: 0): Int64(30),
                          KafkaTopicPartition(topic: "t", partition: 1): Int64(30)]
            try consumer.commit(commit)
            #expect(try consumer.committed(Array(commit.keys)) == commit)
            consumer.close()
        }

        // Second member of the same group resumes exactly after the committed offsets.
        let consumer = try KafkaConsumer(configuration: configuration)
        try consumer.subscribe(["t"])
        var resumed: [KafkaRecord] = []
        var ended = Set<Int32>()
        let deadline = ContinuousClock.now + .seconds(40)
        while ended.count < 2 && ContinuousClock.now < deadline {
            let batch = try consumer.poll(timeout: .milliseconds(200))
            resumed += batch.records
            batch.reachedEnd.forEach { ended.insert($0.partition) }
        }
        let expected = firstRead.filter { $0.offset >= 30 }.map { "\($0.partition)@\($0.offset)" }.sorted()
        #expect(resumed.map { "\($0.partition)@\($0.offset)" }.sorted() == expected)
        #expect(resumed.allSatisfy { $0.offset >= 30 })

        // commit() stores the position after what was read.
        try consumer.commit()
        let committed = try consumer.committed([KafkaTopicPartition(topic: "t", partition: 0),
                                                KafkaTopicPartition(topic: "t", partition: 1)])
        let highs = try (Int32(0)..<2).map { try consumer.watermarks(topic: "t", partition: $0).high }
        #expect(committed.values.sorted() == highs.sorted())
    }

    @Test func subscribingWithoutAGroupIsAClearError() throws {
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        #expect(consumer.groupID == nil)
        let error = #expect(throws: KafkaError.self) { try consumer.subscribe(["t"]) }
        #expect(error?.message.contains("group.id") == true)
    }

    @Test func missingTopicOnAssignNamesIt() throws {
        let cluster = try makeCluster(topic: "t")
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        let error = #expect(throws: KafkaError.self) { try consumer.assign(topic: "nope", from: .beginning) }
        #expect(error?.message.contains("'nope'") == true)
    }

    @Test func unreachableBrokerFailsWithinItsTimeout() throws {
        let start = ContinuousClock.now
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1"))
        let error = #expect(throws: KafkaError.self) { try admin.metadata(timeout: .seconds(2)) }
        #expect(ContinuousClock.now - start < .seconds(6))
        #expect(error?.isRetriable == true)
        #expect(error?.description.contains("127.0.0.1:1") == true)
    }

    @Test func undeliverableRecordsAreReportedNotLost() throws {
        // Nothing listens here: every record must come back as a failure once its
        // message timeout passes, and the counts must say so.
        let failures = Mutex(0)
        let producer = try KafkaProducer(
            configuration: KafkaConfiguration(["bootstrap.servers": "127.0.0.1:1", "message.timeout.ms": "1000"])
        ) { report in
            if report.error?.code == KafkaError.Code.messageTimedOut { failures.withLock { $0 += 1 } }
        }
        for i in 0..<5 { try producer.send(topic: "t", key: nil, value: Array("\(i)".utf8)) }
        try producer.flush(timeout: .seconds(10))
        #expect(failures.withLock { $0 } == 5)
        #expect(producer.statistics.failed == 5)
        #expect(producer.statistics.delivered == 0)
        #expect(producer.statistics.firstError?.code == KafkaError.Code.messageTimedOut)
    }

    @Test func brokerOutageLosesAndDuplicatesNothing() throws {
        // acks=all and idempotence (the defaults): a leader taken down and brought back in
        // the middle of production must leave every record exactly once.
        let cluster = try makeCluster(brokers: 3, topic: "t", partitions: 3, replicationFactor: 3)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        let total = 30_000
        for i in 0..<total {
            try producer.send(topic: "t", key: Array("\(i % 97)".utf8), value: Array("\(i)".utf8), id: UInt64(i) + 1)
            if i == total / 3 { try cluster.setBrokerDown(1) }
            if i == 2 * total / 3 { try cluster.setBrokerUp(1) }
            if i % 1000 == 0 { producer.poll() }
        }
        try producer.flush(timeout: .seconds(60))
        #expect(producer.statistics.failed == 0)
        #expect(producer.statistics.delivered == total)

        let records = try readAll("t", from: cluster.bootstrapServers, timeout: .seconds(60))
        let values = records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        #expect(values.count == total)
        #expect(Set(values).count == total)
        #expect(Set(values) == Set((0..<total).map(String.init)))
    }

    @Test func consumerReadsWhatKcatWrote() throws {
        let kcat = try #require(kcatPath, "kcat is not installed (make test installs it)")
        let cluster = try makeCluster(topic: "from-kcat", partitions: 2)
        let lines = (0..<200).map { "key\($0 % 5)\t{\"n\":\($0)}" }.joined(separator: "\n") + "\n"
        let status = try run(kcat, ["-b", cluster.bootstrapServers, "-P", "-t", "from-kcat", "-K", "\t",
                                    "-X", "acks=all"], input: Data(lines.utf8)).status
        #expect(status == 0)
        let records = try readAll("from-kcat", from: cluster.bootstrapServers)
        #expect(records.count == 200)
        let pairs = Set(records.map { "\(String(decoding: $0.key ?? [], as: UTF8.self))|\(String(decoding: $0.value ?? [], as: UTF8.self))" })
        #expect(pairs == Set((0..<200).map { "key\($0 % 5)|{\"n\":\($0)}" }))
    }

    @Test func kcatReadsWhatProducerWrote() throws {
        let kcat = try #require(kcatPath, "kcat is not installed (make test installs it)")
        let cluster = try makeCluster(topic: "to-kcat", partitions: 2)
        _ = try Self.produce(50, to: "to-kcat", on: cluster.bootstrapServers)
        let (status, output) = try run(kcat, ["-b", cluster.bootstrapServers, "-C", "-t", "to-kcat",
                                              "-o", "beginning", "-e", "-q", "-f", "%k=%s;%h\\n"])
        #expect(status == 0)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(Set(lines) == Set((0..<50).map { "k\($0 % 7)=v\($0);i=\($0)" }))
    }
}
