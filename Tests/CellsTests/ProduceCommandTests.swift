import Foundation
import KafkaBridge
import Testing

@Suite struct ProduceCommandTests {
    @Test func kafkaOutputEqualsFileOutputAndKcatReadsIt() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 6)
        let logFile = temporaryPath("deliveries.log")
        defer { try? FileManager.default.removeItem(atPath: logFile) }

        let produced = try cells("produce", "-b", cluster.bootstrapServers, "--seed", "7", "--count", "300",
                                 "--rate", "max", "--log-file", logFile)
        #expect(produced.status == 0, "\(produced.stderr)")
        #expect(produced.stderr.contains("300 delivered, 0 failed"))

        let file = try cells("produce", "--seed", "7", "--count", "300", "--rate", "max", "--output", "-")
        #expect(file.status == 0)
        #expect(file.lines.count == 300)

        // kcat, an independent client, sees exactly the same 300 key/value pairs.
        let read = try kcat(["-b", cluster.bootstrapServers, "-C", "-t", "streaming_cartao", "-o", "beginning",
                             "-e", "-q", "-f", "%k\t%s\n"])
        #expect(read.status == 0)
        let pairs = read.lines.map { $0.split(separator: "\t", maxSplits: 1).map(String.init) }
        #expect(pairs.count == 300)
        #expect(pairs.map { $0[1] }.sorted() == file.lines.sorted())
        for pair in pairs {
            let record = try fields(pair[1])
            #expect(record.count == 7)
            #expect(pair[0] == record["credit_card"] as? String, "keyed by card number")
        }

        // One log line per delivery, naming where it went.
        let log = try String(contentsOfFile: logFile, encoding: .utf8).split(separator: "\n")
        #expect(log.count == 300)
        #expect(log.allSatisfy { $0.contains(" delivered streaming_cartao/") })
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        for schema in ["seed", "extended"] {
            let a = try cells("produce", "--schema", schema, "--seed", "11", "--count", "500", "--rate", "max", "-o", "-")
            let b = try cells("produce", "--schema", schema, "--seed", "11", "--count", "500", "--rate", "max", "-o", "-")
            let c = try cells("produce", "--schema", schema, "--seed", "12", "--count", "500", "--rate", "max", "-o", "-")
            #expect(a.status == 0 && a.lines.count == 500)
            #expect(a.stdout == b.stdout)
            #expect(a.stdout != c.stdout)
        }
    }

    @Test func extendedSchemaHasTheAnchorFields() throws {
        let out = try cells("produce", "--schema", "extended", "--seed", "3", "--count", "200", "--rate", "max", "-o", "-")
        #expect(out.lines.count == 200)
        let names: Set = ["transaction_id", "card_number", "card_brand", "customer_name", "amount", "currency",
                          "merchant", "category", "city", "state", "status", "installments", "event_time"]
        for line in out.lines {
            let record = try fields(line)
            #expect(Set(record.keys) == names)
            #expect(record["amount"] is Double || record["amount"] is Int)
            #expect((record["event_time"] as? String)?.hasSuffix("Z") == true)
        }
    }

    @Test func burstsFollowTheCadence() throws {
        // Bursts of exactly 3 with 1 s pauses: 7 messages are three bursts, the last cut to 1.
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 2)
        let out = try cells("produce", "-b", cluster.bootstrapServers, "--burst", "3", "--pause", "1", "--count", "7")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("sent a burst of 3 (3 in all); next in 1 s"))
        #expect(out.stderr.contains("sent a burst of 3 (6 in all); next in 1 s"))
        #expect(out.stderr.contains("7 delivered, 0 failed"))
    }

    @Test func ctrlCFlushesWhatIsInFlight() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 3)
        let child = try Child(cellsExecutable.path, ["produce", "-b", cluster.bootstrapServers, "--rate", "2000", "--echo"])
        #expect(child.waitForOutput { $0.split(separator: "\n").count > 500 })
        child.signal(SIGINT)
        let finished = child.finish(timeout: .seconds(30))
        #expect(finished.status == 0, "\(finished.stderr)")
        let delivered = try #require(finished.stderr.firstMatch(of: /(\d+) delivered, 0 failed/)?.1).description
        let count = try #require(Int(delivered))
        #expect(count > 500)
        #expect(finished.lines.count == count, "echoed every message sent")

        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        var total: Int64 = 0
        for partition in try consumer.partitions(of: "streaming_cartao") {
            total += try consumer.watermarks(topic: "streaming_cartao", partition: partition).high
        }
        #expect(total == Int64(count), "the topic holds exactly what was reported delivered")
    }

    @Test func unreachableBrokerIsAClearErrorInBoundedTime() throws {
        let start = ContinuousClock.now
        let out = try cells("produce", "-b", "127.0.0.1:1", "--count", "1", "--connect-timeout", "2")
        #expect(ContinuousClock.now - start < .seconds(15))
        #expect(out.status != 0)
        #expect(out.stderr.contains("no Kafka broker answered within 2 s"))
        #expect(out.stderr.contains("cells broker"))
    }

    @Test func unknownPropertyIsRejectedWithLibrdkafkasMessage() throws {
        let out = try cells("produce", "-X", "no.such.thing=1", "--count", "1")
        #expect(out.status != 0)
        #expect(out.stderr.contains("No such configuration property"))
        #expect(out.stderr.contains("no.such.thing"))
    }

    @Test func badRangesAreRejected() throws {
        let out = try cells("produce", "--burst", "20-8", "--count", "1")
        #expect(out.status != 0)
        #expect(out.stderr.contains("--burst"))
    }

    @Test func undeliverableMessagesMakeTheExitStatusNonZero() throws {
        // The broker answers the first metadata request, then goes away for good: every
        // message times out, and the run must say so.
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 1)
        let child = try Child(cellsExecutable.path, ["produce", "-b", cluster.bootstrapServers, "--burst", "5",
                                                      "--pause", "2", "--count", "10", "-X", "message.timeout.ms=1500"])
        Thread.sleep(forTimeInterval: 1.0)
        try cluster.setBrokerDown(1)
        let out = child.finish(timeout: .seconds(60))
        #expect(out.status != 0)
        #expect(out.stderr.contains("were not delivered"), "\(out.stderr)")
    }

    /// The native client, lz4 and keyed: kcat, checking every batch's CRC, reads exactly the
    /// file output's lines, each keyed by its card and at the partition librdkafka would pick
    /// (the same as the librdkafka client's run into another topic).
    @Test func theNativeClientWritesWhatKcatReadsBack() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("native", partitions: 6)
        try cluster.createTopic("viaLibrdkafka", partitions: 6)
        let common = ["--schema", "extended", "--seed", "11", "--count", "5000", "--rate", "max", "-X", "compression.codec=lz4"]
        let native = try cells(["produce", "-b", cluster.bootstrapServers, "-t", "native", "--client", "native"] + common)
        #expect(native.status == 0, "\(native.stderr)")
        #expect(native.stderr.contains("5000 delivered, 0 failed"), "\(native.stderr)")
        let reference = try cells(["produce", "-b", cluster.bootstrapServers, "-t", "viaLibrdkafka", "--client", "librdkafka"] + common)
        #expect(reference.status == 0, "\(reference.stderr)")
        let file = try cells(["produce", "--output", "-"] + common.filter { $0 != "-X" && $0 != "compression.codec=lz4" })
        #expect(file.lines.count == 5000)

        func read(_ topic: String) throws -> [String] {
            let out = try kcat(["-b", cluster.bootstrapServers, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                                "-X", "check.crcs=true", "-f", "%p\t%k\t%s\n"])
            #expect(out.status == 0)
            return out.lines
        }
        let got = try read("native")
        #expect(got.count == 5000)
        #expect(got.map { String($0.split(separator: "\t", maxSplits: 2)[2]) }.sorted() == file.lines.sorted())
        for line in got.prefix(200) {
            let parts = line.split(separator: "\t", maxSplits: 2).map(String.init)
            #expect(try fields(parts[2])["card_number"] as? String == parts[1])
        }
        // Same key, same partition, whichever client sent it.
        #expect(Set(got.map { $0.split(separator: "\t", maxSplits: 2)[0...1].joined(separator: "\t") })
                == Set(try read("viaLibrdkafka").map { $0.split(separator: "\t", maxSplits: 2)[0...1].joined(separator: "\t") }))
    }

    /// A librdkafka-only property: auto falls back and says so, native refuses by name.
    @Test func aPropertyOnlyLibrdkafkaHasChoosesLibrdkafka() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 2)
        let auto = try cells("produce", "-b", cluster.bootstrapServers, "--count", "20", "--rate", "max", "-X", "compression.codec=zstd")
        #expect(auto.status == 0, "\(auto.stderr)")
        #expect(auto.stderr.contains("-X compression.codec"), "\(auto.stderr)")
        #expect(auto.stderr.contains("producing with librdkafka"))
        #expect(auto.stderr.contains("20 delivered, 0 failed"))
        let native = try cells("produce", "-b", cluster.bootstrapServers, "--count", "20", "--client", "native", "-X", "compression.codec=zstd")
        #expect(native.status != 0)
        #expect(native.stderr.contains("-X compression.codec"), "\(native.stderr)")
        #expect(native.stderr.contains("--client librdkafka"))
        let logged = try cells("produce", "--count", "1", "--client", "native", "--log-file", temporaryPath("never.log"))
        #expect(logged.status != 0)
        #expect(logged.stderr.contains("--log-file"))
    }

    /// The native client waiting for room behind a broker that is gone (its budget spent,
    /// message.timeout.ms ten minutes away): SIGTERM ends the wait at once and moves on to the
    /// final flush, and a second SIGTERM quits.
    @Test func sigtermEndsTheNativeClientsWaitForABrokerThatIsGone() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 2)
        let child = try Child(cellsExecutable.path, ["produce", "-b", cluster.bootstrapServers, "--client", "native", "--rate", "max",
                                                      "-X", "queue.buffering.max.kbytes=1024", "-X", "message.timeout.ms=600000"])
        Thread.sleep(forTimeInterval: 1.0)
        try cluster.setBrokerDown(1)
        Thread.sleep(forTimeInterval: 1.5)
        child.signal(SIGTERM)
        let deadline = ContinuousClock.now + .seconds(5)
        while !child.stderr.contains("stopping; waiting for") && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(child.stderr.contains("stopping; waiting for"), "\(child.stderr)")
        child.signal(SIGTERM)
        let started = ContinuousClock.now
        let finished = child.finish(timeout: .seconds(30))
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(finished.status != 0)
    }
}
