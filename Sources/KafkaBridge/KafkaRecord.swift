import CRdKafka

/// How a record's timestamp was set.
public enum KafkaTimestampType: Int32, Sendable, Hashable {
    case notAvailable = 0
    /// Set by the producer (Spark's timestampType 0).
    case createTime = 1
    /// Set by the broker when it appended the record (Spark's timestampType 1).
    case logAppendTime = 2
}

/// A record read from Kafka, with every field the broker gives: Spark's Kafka source columns.
public struct KafkaRecord: Sendable, Hashable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    /// Milliseconds since the Unix epoch; -1 when not available.
    public var timestamp: Int64
    public var timestampType: KafkaTimestampType
    public var headers: [KafkaHeader]

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8]?,
                timestamp: Int64, timestampType: KafkaTimestampType, headers: [KafkaHeader] = []) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.timestampType = timestampType
        self.headers = headers
    }
}

/// A record as librdkafka holds it, borrowed for the duration of a poll callback (or for as
/// long as the ``KafkaMessageChunk`` that kept it holds it): the fast path, which reads key
/// and value in place instead of copying them into arrays.
public struct KafkaMessage {
    let pointer: UnsafePointer<rd_kafka_message_t>

    public var partition: Int32 { pointer.pointee.partition }
    public var offset: Int64 { pointer.pointee.offset }

    public var topic: String { String(cString: rd_kafka_topic_name(pointer.pointee.rkt)) }

    /// A number that is the same for every message of one topic from one consumer: for
    /// telling topics apart per message without building their names.
    public var topicIdentity: UInt { UInt(bitPattern: pointer.pointee.rkt) }

    /// The key's bytes, valid only while the message is (see the type).
    public var key: UnsafeRawBufferPointer? {
        pointer.pointee.key.map { UnsafeRawBufferPointer(start: $0, count: pointer.pointee.key_len) }
    }

    /// The value's bytes, valid only while the message is (see the type).
    public var value: UnsafeRawBufferPointer? {
        pointer.pointee.payload.map { UnsafeRawBufferPointer(start: $0, count: pointer.pointee.len) }
    }

    public var timestamp: (millis: Int64, type: KafkaTimestampType) {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let millis = rd_kafka_message_timestamp(pointer, &type)
        return (millis, KafkaTimestampType(rawValue: Int32(type.rawValue)) ?? .notAvailable)
    }

    public var headers: [KafkaHeader] {
        var native: OpaquePointer?
        guard rd_kafka_message_headers(pointer, &native) == RD_KAFKA_RESP_ERR_NO_ERROR, let native else { return [] }
        var result: [KafkaHeader] = []
        var index = 0
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while rd_kafka_header_get_all(native, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
            result.append(KafkaHeader(name: String(cString: name!),
                                      value: value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }))
            index += 1
        }
        return result
    }

    /// An owned copy.
    public var record: KafkaRecord {
        let ts = timestamp
        return KafkaRecord(topic: topic, partition: partition, offset: offset, key: key.map(Array.init),
                           value: value.map(Array.init), timestamp: ts.millis, timestampType: ts.type,
                           headers: headers)
    }
}
