import CRdKafka
import Logging
import Synchronization

/// Sends records to Kafka and reports each one's fate.
///
/// ``send(topic:key:value:headers:partition:timestamp:id:)`` only enqueues: librdkafka batches,
/// sends and retries in its own threads. The outcome of every record arrives as a
/// ``KafkaDeliveryReport`` through the handler given at creation, called on the thread that
/// calls ``poll(timeout:)``, ``flush(timeout:)`` or `send` (never on librdkafka's threads).
/// Failed deliveries are also counted in ``statistics``, so none goes unseen.
///
/// By default every record is acknowledged by all in-sync replicas and the producer is
/// idempotent: retries after a broker failure neither lose nor duplicate records.
///
/// Blocking: `poll` and `flush` wait; keep them off the cooperative thread pool.
public final class KafkaProducer: @unchecked Sendable {  // librdkafka handles are thread-safe
    /// Called once per record with its delivery report.
    public typealias DeliveryHandler = @Sendable (borrowing KafkaDeliveryReport) -> Void

    let handle: KafkaHandle
    private let events: OpaquePointer
    private let onDelivery: DeliveryHandler?
    private let topics = Mutex(TopicHandles())
    private let counters = Mutex(KafkaDeliveryStatistics())
    /// The configuration's `transactional.id`: records may then be sent only inside a
    /// transaction (see `KafkaProducer+Transactions.swift`).
    public let transactionalID: String?

    /// Creates a producer. `configuration` gets ``KafkaConfiguration/producerDefaults`` where it
    /// does not say otherwise; an unknown or invalid property throws librdkafka's message.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "cells.kafka.producer"),
                onDelivery: DeliveryHandler? = nil) throws(KafkaError) {
        let configuration = configuration.withDefaults(KafkaConfiguration.producerDefaults)
        handle = try KafkaHandle(kind: .producer, configuration: configuration, logger: logger) { conf in
            rd_kafka_conf_set_events(conf, Int32(RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_ERROR))
        }
        events = rd_kafka_queue_get_main(handle.pointer)
        self.onDelivery = onDelivery
        transactionalID = configuration["transactional.id"]
    }

    deinit {
        // Whatever is still queued is given a moment, as Kafka clients do on close; a caller
        // that cares calls flush() first and looks at its result.
        _ = try? flush(timeout: .seconds(5))
        topics.withLock { $0.byName.values.forEach { rd_kafka_topic_destroy($0.pointer) } }
        rd_kafka_queue_destroy(events)
    }

    /// Enqueues one record. `key` picks the partition (librdkafka's default partitioner:
    /// murmur2 of the key, as the Java client) unless `partition` is given; records without a
    /// key are spread by librdkafka's sticky partitioner. `id` comes back in the delivery
    /// report. When librdkafka's local queue is full, waits for deliveries to make room.
    public func send(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                     headers: [KafkaHeader] = [], partition: Int32? = nil, timestamp: Int64? = nil,
                     id: UInt64 = 0, giveUp: () -> Bool = { false }) throws(KafkaError) {
        try enqueue(topic: topic, key: key, value: value, partition: partition, timestamp: timestamp, id: id,
                    giveUp: giveUp) { headers.isEmpty ? nil : Self.makeHeaders(headers) }
    }

    /// The one way records are enqueued: `makeHeaders` builds the record's native headers
    /// (nil for none), again for each retry, since librdkafka keeps them only on success.
    func enqueue(topic: String, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
                 partition: Int32?, timestamp: Int64?, id: UInt64, giveUp: () -> Bool,
                 makeHeaders: () -> OpaquePointer?) throws(KafkaError) {
        let rkt = try topicHandle(topic).pointer
        while true {
            let nativeHeaders = makeHeaders()
            let err = cells_produce(
                handle.pointer, rkt, partition ?? RD_KAFKA_PARTITION_UA,
                key?.baseAddress, key?.count ?? 0, value?.baseAddress, value?.count ?? 0,
                nativeHeaders, timestamp ?? 0, UnsafeMutableRawPointer(bitPattern: UInt(id)))
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if let nativeHeaders { rd_kafka_headers_destroy(nativeHeaders) }
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                throw KafkaError(err, context: "producing to \(topic)")
            }
            // A full queue drains only as the broker acknowledges; with the broker gone that
            // is message.timeout.ms (5 minutes by default), so the caller may stop waiting.
            if giveUp() {
                throw KafkaError(err, message: "\(inFlight) records waiting for the broker fill the producer's queue",
                                 context: "producing to \(topic)")
            }
            poll(timeout: .milliseconds(10))
        }
    }

    /// Enqueues one record from byte arrays; see the buffer variant.
    public func send(topic: String, key: [UInt8]?, value: [UInt8]?, headers: [KafkaHeader] = [],
                     partition: Int32? = nil, timestamp: Int64? = nil, id: UInt64 = 0,
                     giveUp: () -> Bool = { false }) throws(KafkaError) {
        // Array.withUnsafeBytes rethrows untyped errors, so the typed one travels as a Result.
        let sent = (key ?? []).withUnsafeBytes { k in
            (value ?? []).withUnsafeBytes { v in
                Result { () throws(KafkaError) in
                    try send(topic: topic, key: key == nil ? nil : k, value: value == nil ? nil : v,
                             headers: headers, partition: partition, timestamp: timestamp, id: id, giveUp: giveUp)
                }
            }
        }
        try sent.get()
    }

    /// Hands the delivery reports that have arrived to the handler, waiting up to `timeout`
    /// for the first. Returns how many records were reported.
    @discardableResult
    public func poll(timeout: Duration = .zero) -> Int {
        var reported = 0
        var wait = milliseconds(timeout)
        while let event = rd_kafka_queue_poll(events, wait) {
            wait = 0
            defer { rd_kafka_event_destroy(event) }
            switch rd_kafka_event_type(event) {
            case RD_KAFKA_EVENT_DR: reported += deliver(event)
            case RD_KAFKA_EVENT_ERROR: logError(event)
            default: break
            }
        }
        handle.drainLogs()
        return reported
    }

    /// Waits until every enqueued record has been reported or `timeout` passes, serving
    /// delivery reports meanwhile. Throws `_TIMED_OUT` with the number still in flight when
    /// records remain.
    public func flush(timeout: Duration) throws(KafkaError) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while inFlight > 0 {
            let left = deadline - clock.now
            guard left > .zero else {
                throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                 message: "\(inFlight) records still in flight after \(timeout)",
                                 context: "flushing the producer")
            }
            poll(timeout: min(left, .milliseconds(100)))
        }
        poll()
    }

    /// Drops every record not yet acknowledged, queued or sent: each is reported as failed
    /// (`_PURGE_QUEUE`, `_PURGE_INFLIGHT`). For a caller that stops waiting for a broker, so
    /// that closing the producer does not wait for it either.
    public func purge() {
        _ = rd_kafka_purge(handle.pointer, Int32(RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT))
        poll()
    }

    /// Records enqueued but not yet reported (librdkafka's `outq_len`).
    public var inFlight: Int { Int(rd_kafka_outq_len(handle.pointer)) }

    /// Counts of delivered and failed records since creation.
    public var statistics: KafkaDeliveryStatistics { counters.withLock { $0 } }

    /// The cluster's metadata, through this producer's connections.
    public func metadata(timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaClusterMetadata {
        try handle.metadata(timeout: timeout)
    }

    /// The partition ids of an existing topic; an error naming the topic when it is missing.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> [Int32] {
        try handle.partitions(of: topic, timeout: timeout)
    }

    /// The partition's low and high watermarks, asked of its leader. librdkafka 2.0.2 may
    /// wait past `timeout` while the partition has no leader: callers that must stay
    /// responsive run it in a ``BackgroundCall``.
    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaWatermarks {
        try handle.watermarks(topic: topic, partition: partition, timeout: timeout)
    }

    // MARK: - Internals

    /// librdkafka looks a topic up by name on every `producev` unless given its handle, so
    /// handles are kept, one per topic, for the producer's life.
    private struct TopicHandle: @unchecked Sendable {
        let pointer: OpaquePointer
        let name: String
    }

    /// The topics opened so far, and the one used last.
    private struct TopicHandles: Sendable {
        var byName: [String: TopicHandle] = [:]
        var last: TopicHandle?
    }

    private func topicHandle(_ topic: String) throws(KafkaError) -> TopicHandle {
        let found: TopicHandle? = topics.withLock { cache in
            // Records mostly go to the topic the one before went to: a string comparison
            // instead of hashing the name, which was a sixth of a send.
            if let last = cache.last, last.name == topic { return last }
            if let known = cache.byName[topic] {
                cache.last = known
                return known
            }
            guard let created = rd_kafka_topic_new(handle.pointer, topic, nil) else { return nil }
            let entry = TopicHandle(pointer: created, name: topic)
            cache.byName[topic] = entry
            cache.last = entry
            return entry
        }
        guard let found else {
            throw KafkaError(rd_kafka_last_error(), context: "opening topic \(topic)")
        }
        return found
    }

    private func topicName(_ rkt: OpaquePointer?) -> String {
        guard let rkt else { return "" }
        return topics.withLock { cache in cache.byName.values.first { $0.pointer == rkt }?.name }
            ?? String(cString: rd_kafka_topic_name(rkt))
    }

    private func deliver(_ event: OpaquePointer) -> Int {
        var batch = [UnsafePointer<rd_kafka_message_t>?](repeating: nil, count: 1024)
        var delivered = 0, failed = 0
        var firstError: KafkaError?
        var total = 0
        var cachedTopic: (OpaquePointer?, String) = (nil, "")
        while true {
            let n = rd_kafka_event_message_array(event, &batch, batch.count)
            if n == 0 { break }
            for message in batch[0..<n] {
                let m = message!
                guard let onDelivery else {
                    // Nobody listens: count, and keep the first failure for the statistics.
                    if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                        delivered += 1
                    } else {
                        failed += 1
                        if firstError == nil { firstError = KafkaDeliveryReport(message: m, topic: topicName(m.pointee.rkt)).error }
                    }
                    continue
                }
                if m.pointee.rkt != cachedTopic.0 { cachedTopic = (m.pointee.rkt, topicName(m.pointee.rkt)) }
                let report = KafkaDeliveryReport(message: m, topic: cachedTopic.1)
                if let error = report.error {
                    failed += 1
                    if firstError == nil { firstError = error }
                } else {
                    delivered += 1
                }
                onDelivery(report)
            }
            total += n
        }
        counters.withLock {
            $0.delivered += delivered
            $0.failed += failed
            if $0.firstError == nil { $0.firstError = firstError }
        }
        return total
    }

    private func logError(_ event: OpaquePointer) {
        let err = rd_kafka_event_error(event)
        let error = KafkaError(err, message: String(cString: rd_kafka_event_error_string(event)),
                               isFatal: rd_kafka_event_error_is_fatal(event) != 0)
        // Most of these are transient (a broker went away and will be retried) and librdkafka
        // has logged them already; records that cannot be delivered still fail through their
        // own reports.
        handle.logger.log(level: error.isFatal ? .error : .info, "\(error)", source: "librdkafka")
    }

    private static func makeHeaders(_ headers: [KafkaHeader]) -> OpaquePointer {
        let native = rd_kafka_headers_new(headers.count)!
        for header in headers {
            if let value = header.value {
                value.withUnsafeBytes { _ = rd_kafka_header_add(native, header.name, -1, $0.baseAddress, $0.count) }
            } else {
                rd_kafka_header_add(native, header.name, -1, nil, 0)
            }
        }
        return native
    }
}

/// The fate of one record, as the broker (or librdkafka, on timeout) decided it.
///
/// `key` and `value` borrow librdkafka's copy of the record: they are valid only while the
/// delivery handler runs. Copy them (``keyBytes``, ``valueBytes``) to keep them.
public struct KafkaDeliveryReport {
    /// The `id` given to `send`.
    public let id: UInt64
    public let topic: String
    public let partition: Int32
    /// The record's offset in its partition; `-1` when it was not delivered.
    public let offset: Int64
    /// Why the record was not delivered, or nil when it was.
    public let error: KafkaError?
    public let key: UnsafeRawBufferPointer?
    public let value: UnsafeRawBufferPointer?

    init(message: UnsafePointer<rd_kafka_message_t>, topic: String) {
        let m = message.pointee
        id = UInt64(UInt(bitPattern: cells_message_opaque(message)))
        self.topic = topic
        partition = m.partition
        offset = m.err == RD_KAFKA_RESP_ERR_NO_ERROR ? m.offset : -1
        error = m.err == RD_KAFKA_RESP_ERR_NO_ERROR
            ? nil : KafkaError(m.err, context: "delivering record \(UInt(bitPattern: cells_message_opaque(message))) to \(topic)")
        key = m.key.map { UnsafeRawBufferPointer(start: $0, count: m.key_len) }
        value = m.payload.map { UnsafeRawBufferPointer(start: $0, count: m.len) }
    }

    public var keyBytes: [UInt8]? { key.map(Array.init) }
    public var valueBytes: [UInt8]? { value.map(Array.init) }
}

/// Running totals of a producer's deliveries.
public struct KafkaDeliveryStatistics: Sendable, Equatable {
    public var delivered = 0
    public var failed = 0
    /// The first failure, kept so that a run that lost records can say why.
    public var firstError: KafkaError?

    public init() {}
}
