@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Kafka source options at their edges: names given twice, partition numbers spelled
/// unusually, and starting offsets past the end of a partition.
@Suite(.serialized) struct KafkaEdgeTests {
    static func cluster(records: Int = 10) throws -> EmbeddedCluster {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: 2)
        try send((0..<records).map { Array(#"{"n":\#($0)}"#.utf8) }, to: "t", on: cluster.bootstrapServers, partition: 0)
        return cluster
    }

    static func source(_ cluster: EmbeddedCluster, _ options: [String: String]) throws -> KafkaStreamSource {
        try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "connectTimeoutMs": "2000",
                                        "kafkaConsumer.pollTimeoutMs": "5000"].merging(options, uniquingKeysWith: { $1 }))
    }

    @Test("a topic or partition named twice is read once (it trapped on duplicate keys, or counted twice)",
          arguments: [["subscribe": "t,t", "startingOffsets": "earliest"],
                      ["assign": #"{"t":[0,0,1]}"#, "startingOffsets": "earliest"]])
    func namedTwice(options: [String: String]) throws {
        let cluster = try Self.cluster()
        let source = try Self.source(cluster, options)
        defer { source.close() }
        var records = 0
        let batch = try source.readBatch(stop: { false }, notice: { _ in }) { _ in records += 1 }
        #expect(batch?.records == 10)
        #expect(records == 10)
        #expect(source.offsets.next == ["t/0": 10, "t/1": 0])
    }

    @Test("startingOffsets keys \"00\" and \"+0\" name partition 0, as in Spark (they were silently ignored: latest)",
          arguments: ["00", "+0", " 0"])
    func partitionSpelling(key: String) throws {
        let cluster = try Self.cluster()
        let source = try Self.source(cluster, ["subscribe": "t", "startingOffsets": #"{"t":{"\#(key)":4}}"#])
        defer { source.close() }
        let batch = try source.readBatch { _ in }
        #expect(batch?.records == 6)
    }

    @Test("startingOffsets naming one partition twice is an error")
    func partitionTwice() throws {
        #expect { try StartingOffsets(#"{"t":{"0":1,"00":2}}"#) } throws: { "\($0)".contains("names partition 0 of t twice") }
    }

    @Test("a starting offset past a partition's end is an error naming it and the end (it waited silently, forever for Int64.max)",
          arguments: ["11", "\(Int64.max)"])
    func pastTheEnd(offset: String) throws {
        let cluster = try Self.cluster()
        let source = try Self.source(cluster, ["subscribe": "t", "startingOffsets": #"{"t":{"0":\#(offset)}}"#])
        defer { source.close() }
        #expect { _ = try source.readBatch { _ in } } throws: {
            "\($0)".contains("gives t/0 the offset \(offset), past its end (10)")
        }
        // The end itself is allowed: the stream starts there and reads what comes next.
        let atEnd = try Self.source(cluster, ["subscribe": "t", "startingOffsets": #"{"t":{"0":10,"1":0}}"#])
        defer { atEnd.close() }
        #expect(try atEnd.readBatch { _ in } == nil)
    }
}

/// subscribePattern against topic names that make a backtracking engine explode.
@Suite(.serialized) struct KafkaPatternTests {
    @Test("a catastrophically backtracking subscribePattern is an error within seconds (it ran for minutes, deaf to Ctrl-C)",
          arguments: ["(a|aa)+b", "(.*a){14}b"])
    func catastrophicPattern(pattern: String) throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic(String(repeating: "a", count: 240), partitions: 1)
        try cluster.createTopic("orders-1", partitions: 1)
        let began = ContinuousClock.now
        #expect {
            _ = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribePattern": pattern])
        } throws: { "\($0)".contains("subscribePattern '\(pattern)'") }
        #expect(ContinuousClock.now - began < .seconds(6))
        // An ordinary pattern still matches whole names only.
        let source = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribePattern": "orders-.*"])
        defer { source.close() }
        #expect(source.topics == ["orders-1"])
        #expect(throws: SourceError.self) {
            _ = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribePattern": "orders"])
        }
        #expect(throws: SourceError.self) {
            _ = try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribePattern": "a)(b"])
        }
    }
}
