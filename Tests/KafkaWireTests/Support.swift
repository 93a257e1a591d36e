import Foundation
import KafkaBridge
@testable import KafkaWire
import Testing

/// A fresh embedded cluster (librdkafka's mock broker over TCP) with one topic.
func makeCluster(brokers: Int = 1, topic: String = "t", partitions: Int = 3) throws -> EmbeddedCluster {
    let cluster = try EmbeddedCluster(brokers: brokers)
    try cluster.createTopic(topic, partitions: partitions)
    return cluster
}

/// The producer's settings for `cluster`, with properties on top.
func configuration(_ cluster: EmbeddedCluster, _ properties: [String: String] = [:]) throws -> WireProducerConfiguration {
    try WireProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrapServers].merging(properties) { _, mine in mine })
}

/// Reads every record of `topic` with librdkafka, an independent client that checks each
/// batch's CRC-32C and decompresses it, until every partition reports its end.
func readAll(_ topic: String, from bootstrap: String, timeout: Duration = .seconds(20)) throws -> [KafkaRecord] {
    try KafkaConsumer(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "check.crcs": "true"])).readToEnd(topic: topic, timeout: timeout)
}

/// Messages i = 0..<n: keyed "card-<i % cards>", valued with a JSON line naming i.
func message(_ i: Int, cards: Int = 97) -> (key: [UInt8], value: [UInt8]) {
    (Array("card-\(i % cards)".utf8), Array("{\"i\":\(i),\"pad\":\"\(String(repeating: "x", count: i % 50))\"}".utf8))
}

extension WireProducer {
    func send(topic: Int = 0, key: [UInt8]?, value: [UInt8]) throws {
        try value.withUnsafeBytes { v in
            if let key {
                try key.withUnsafeBytes { k in try send(topic: topic, key: k, value: v) }
            } else {
                try send(topic: topic, key: nil, value: v)
            }
        }
    }
}

/// The i that `message(i)` wrote into the value, read off its bytes.
func sentIndex(of record: KafkaRecord) -> Int? {
    guard let value = record.value, value.count > 5, value[0..<5].elementsEqual("{\"i\":".utf8) else { return nil }
    var i = 0
    for byte in value[5...] {
        guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return byte == UInt8(ascii: ",") ? i : nil }
        i = i * 10 + Int(byte - UInt8(ascii: "0"))
    }
    return nil
}
