import CRdKafka

/// A partition of a topic.
public struct KafkaTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)/\(partition)" }

    public static func < (a: Self, b: Self) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// Where a consumer starts reading a partition.
public enum KafkaOffset: Sendable, Hashable, CustomStringConvertible {
    /// The oldest record the broker still keeps (Spark's `earliest`).
    case beginning
    /// Only records that arrive from now on (Spark's `latest`).
    case end
    /// The group's committed offset, else `auto.offset.reset`.
    case stored
    /// This offset exactly.
    case exact(Int64)

    var native: Int64 {
        switch self {
        case .beginning: Int64(RD_KAFKA_OFFSET_BEGINNING)
        case .end: Int64(RD_KAFKA_OFFSET_END)
        case .stored: Int64(RD_KAFKA_OFFSET_STORED)
        case .exact(let offset): offset
        }
    }

    public var description: String {
        switch self {
        case .beginning: "earliest"
        case .end: "latest"
        case .stored: "committed"
        case .exact(let offset): "\(offset)"
        }
    }
}

/// librdkafka's partition list, built from Swift values and read back into them.
struct NativePartitionList: ~Copyable {
    let pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

    init(_ entries: [(KafkaTopicPartition, Int64)]) {
        pointer = rd_kafka_topic_partition_list_new(Int32(entries.count))
        for (tp, offset) in entries {
            rd_kafka_topic_partition_list_add(pointer, tp.topic, tp.partition).pointee.offset = offset
        }
    }

    init(taking pointer: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        self.pointer = pointer
    }

    deinit { rd_kafka_topic_partition_list_destroy(pointer) }

    /// Each entry's partition, offset and error.
    var entries: [(KafkaTopicPartition, Int64, rd_kafka_resp_err_t)] {
        (0..<Int(pointer.pointee.cnt)).map { i in
            let e = pointer.pointee.elems[i]
            return (KafkaTopicPartition(topic: String(cString: e.topic), partition: e.partition), e.offset, e.err)
        }
    }
}
