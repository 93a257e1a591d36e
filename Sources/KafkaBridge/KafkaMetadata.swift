import CRdKafka

/// What the cluster says about itself: its brokers and its topics.
public struct KafkaClusterMetadata: Sendable, Equatable {
    public struct Broker: Sendable, Equatable {
        public let id: Int32
        public let host: String
        public let port: Int32
    }

    public let brokers: [Broker]
    public let topics: [KafkaTopicMetadata]

    /// The topic of that name, if the cluster has it.
    public func topic(_ name: String) -> KafkaTopicMetadata? {
        topics.first { $0.name == name }
    }
}

public struct KafkaTopicMetadata: Sendable, Equatable {
    public let name: String
    public let partitions: [KafkaPartitionMetadata]
    /// Set when the broker could not describe the topic (e.g. it does not exist).
    public let error: KafkaError?
}

public struct KafkaPartitionMetadata: Sendable, Equatable {
    public let id: Int32
    public let leader: Int32
    public let replicas: [Int32]
    public let inSyncReplicas: [Int32]
    public let error: KafkaError?
}

/// A partition's first and next offsets: `high - low` messages are kept, and `high` is the
/// offset the next message will get, so a consumer at offset `o` lags by `high - o`.
public struct KafkaWatermarks: Sendable, Equatable {
    public let low: Int64
    public let high: Int64
}

extension KafkaHandle {
    /// Asks a broker for the cluster's metadata. Lists all topics, which, unlike asking for one
    /// topic by name, never auto-creates a topic as a side effect.
    func metadata(timeout: Duration) throws(KafkaError) -> KafkaClusterMetadata {
        defer { drainLogs() }
        var raw: UnsafePointer<rd_kafka_metadata>?
        try check(rd_kafka_metadata(pointer, 1, nil, &raw, milliseconds(timeout)),
                  "reading cluster metadata from \(bootstrapDescription)")
        guard let raw else { throw KafkaError.invalidArgument("no metadata returned") }
        defer { rd_kafka_metadata_destroy(raw) }
        let m = raw.pointee
        let brokers = (0..<Int(m.broker_cnt)).map { i in
            let b = m.brokers[i]
            return KafkaClusterMetadata.Broker(id: b.id, host: String(cString: b.host), port: b.port)
        }
        let topics = (0..<Int(m.topic_cnt)).map { i in
            let t = m.topics[i]
            let name = String(cString: t.topic)
            let partitions = (0..<Int(t.partition_cnt)).map { j in
                let p = t.partitions[j]
                return KafkaPartitionMetadata(
                    id: p.id, leader: p.leader,
                    replicas: Array(UnsafeBufferPointer(start: p.replicas, count: Int(p.replica_cnt))),
                    inSyncReplicas: Array(UnsafeBufferPointer(start: p.isrs, count: Int(p.isr_cnt))),
                    error: p.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(p.err, context: "\(name)/\(p.id)"))
            }
            return KafkaTopicMetadata(
                name: name, partitions: partitions.sorted { $0.id < $1.id },
                error: t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(t.err, context: "topic \(name)"))
        }
        return KafkaClusterMetadata(brokers: brokers, topics: topics.sorted { $0.name < $1.name })
    }

    /// The partitions of `topic`, or a clear error when the cluster has no such topic.
    func partitions(of topic: String, timeout: Duration) throws(KafkaError) -> [Int32] {
        let metadata = try metadata(timeout: timeout)
        guard let found = metadata.topic(topic), found.error == nil, !found.partitions.isEmpty else {
            let known = metadata.topics.map(\.name).filter { !$0.hasPrefix("__") }
            throw KafkaError(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
                             message: "topic '\(topic)' does not exist on \(bootstrapDescription)"
                                 + (known.isEmpty ? "" : " (topics: \(known.joined(separator: ", ")))"),
                             context: "looking up \(topic)")
        }
        return found.partitions.map(\.id)
    }

    /// Asks the partition's leader for its watermarks.
    func watermarks(topic: String, partition: Int32, timeout: Duration) throws(KafkaError) -> KafkaWatermarks {
        var low: Int64 = 0
        var high: Int64 = 0
        try check(rd_kafka_query_watermark_offsets(pointer, topic, partition, &low, &high, milliseconds(timeout)),
                  "reading watermarks of \(topic)/\(partition)")
        return KafkaWatermarks(low: low, high: high)
    }

    /// The configured bootstrap servers, for error messages.
    var bootstrapDescription: String {
        var size = 0
        let conf = rd_kafka_conf(pointer)
        guard rd_kafka_conf_get(conf, "bootstrap.servers", nil, &size) == RD_KAFKA_CONF_OK, size > 1 else {
            return "the cluster"
        }
        var value = [CChar](repeating: 0, count: size)
        rd_kafka_conf_get(conf, "bootstrap.servers", &value, &size)
        return string(value)
    }
}
