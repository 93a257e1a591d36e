import CRdKafka

/// Headers shared by many records, built once in librdkafka's form, plus one header per
/// record given as bytes: what a sink that tags every record with the same query and batch
/// and a row number of its own sends, without building Swift arrays per record.
public final class KafkaHeaderTemplate: @unchecked Sendable {  // read-only after init; librdkafka copies it
    let pointer: OpaquePointer

    public init(_ headers: [KafkaHeader]) {
        pointer = rd_kafka_headers_new(headers.count)!
        for header in headers {
            if let value = header.value {
                value.withUnsafeBytes { _ = rd_kafka_header_add(pointer, header.name, -1, $0.baseAddress, $0.count) }
            } else {
                rd_kafka_header_add(pointer, header.name, -1, nil, 0)
            }
        }
    }

    deinit { rd_kafka_headers_destroy(pointer) }
}

extension KafkaProducer {
    /// Enqueues one record with the template's headers followed by `name` = `extra` (copied).
    /// Otherwise the same as ``send(topic:key:value:headers:partition:timestamp:id:giveUp:)``.
    public func send(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                     headers template: KafkaHeaderTemplate, adding name: String, _ extra: UnsafeRawBufferPointer,
                     partition: Int32? = nil, timestamp: Int64? = nil, id: UInt64 = 0,
                     giveUp: () -> Bool = { false }) throws(KafkaError) {
        // A native Swift string reaches C as its own NUL-terminated storage: no copy per record.
        try enqueue(topic: topic, key: key, value: value, partition: partition, timestamp: timestamp, id: id,
                    giveUp: giveUp) {
            let native = rd_kafka_headers_copy(template.pointer)!
            rd_kafka_header_add(native, name, -1, extra.baseAddress, extra.count)
            return native
        }
    }
}
