import CRdKafka
import Logging
import Synchronization

/// Reads records from Kafka, either from partitions it is given (``assign(_:)``, as Spark's
/// Kafka source does: no group membership, no rebalances, offsets chosen by the caller) or as
/// a member of a consumer group (``subscribe(_:)``, offsets committed with ``commit()``).
///
/// Blocking: ``poll(maxRecords:timeout:)`` and the other broker calls wait; keep them off the
/// cooperative thread pool.
public final class KafkaConsumer: @unchecked Sendable {  // librdkafka handles are thread-safe
    let handle: KafkaHandle
    private let queue: OpaquePointer
    private let closed = Atomic(false)
    /// The group named in the configuration; nil when the consumer made up its own id.
    public let groupID: String?

    /// Creates a consumer. Without `group.id`, one is made up (as Spark's Kafka source does)
    /// because librdkafka needs one even for direct assignment; nothing is joined or committed
    /// under it unless you subscribe or commit.
    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "cells.kafka.consumer")) throws(KafkaError) {
        var configuration = configuration.withDefaults(KafkaConfiguration.consumerDefaults)
        groupID = configuration["group.id"]
        if groupID == nil {
            configuration["group.id"] = "cells-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        }
        handle = try KafkaHandle(kind: .consumer, configuration: configuration, logger: logger)
        // Errors and rebalances then arrive with the records, in one ordered stream.
        rd_kafka_poll_set_consumer(handle.pointer)
        // librdkafka takes an empty group.id for no group at all, and then has no consumer queue.
        guard let queue = rd_kafka_queue_get_consumer(handle.pointer) else {
            throw KafkaError.invalidArgument("group.id must not be empty", context: "creating a consumer")
        }
        self.queue = queue
    }

    deinit {
        close()
        rd_kafka_queue_destroy(queue)
    }

    // MARK: - Choosing what to read

    /// Reads exactly these partitions from these offsets, without joining a group.
    public func assign(_ partitions: [(KafkaTopicPartition, KafkaOffset)]) throws(KafkaError) {
        let list = NativePartitionList(partitions.map { ($0.0, $0.1.native) })
        try check(rd_kafka_assign(handle.pointer, list.pointer), "assigning \(partitions.map { "\($0.0)@\($0.1)" })")
    }

    /// Reads every partition of `topic` from `offset`; a clear error when the topic is missing.
    @discardableResult
    public func assign(topic: String, from offset: KafkaOffset, timeout: Duration = .seconds(10)) throws(KafkaError) -> [Int32] {
        let partitions = try handle.partitions(of: topic, timeout: timeout)
        try assign(partitions.map { (KafkaTopicPartition(topic: topic, partition: $0), offset) })
        return partitions
    }

    /// Joins the consumer group of `group.id` and reads the partitions it is given, from the
    /// group's committed offsets (else `auto.offset.reset`).
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        guard groupID != nil else {
            throw KafkaError.invalidArgument("subscribing needs a consumer group: set group.id (-X group.id=NAME)",
                                             context: "subscribing to \(topics.joined(separator: ", "))")
        }
        let list = NativePartitionList(topics.map { (KafkaTopicPartition(topic: $0, partition: RD_KAFKA_PARTITION_UA), 0) })
        try check(rd_kafka_subscribe(handle.pointer, list.pointer), "subscribing to \(topics.joined(separator: ", "))")
    }

    /// The partitions currently assigned, by ``assign(_:)`` or by the group.
    public func assignment() throws(KafkaError) -> [KafkaTopicPartition] {
        var raw: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
        try check(rd_kafka_assignment(handle.pointer, &raw), "reading the assignment")
        guard let raw else { return [] }
        return NativePartitionList(taking: raw).entries.map(\.0).sorted()
    }

    // MARK: - Reading

    /// Calls `body` with each record that arrives, up to `maxRecords`, waiting up to `timeout`
    /// for the first. The records are borrowed from librdkafka: the fast path for decoders
    /// that read values in place. Partitions whose end was reached are reported in the
    /// outcome; errors that stop reading (a missing topic or partition, an offset out of
    /// range with `auto.offset.reset=error`, a fatal error) are thrown with their
    /// topic/partition/offset, transient ones (a broker going away) are logged and returned.
    public func poll(maxRecords: Int = 10_000, timeout: Duration,
                     _ body: (KafkaMessage) throws -> Void) throws -> KafkaPollOutcome {
        try poll(maxRecords: maxRecords, timeout: timeout, keepingIn: nil) { message in
            try body(message)
            return .release
        }
    }

    /// Like the borrowing poll, but `body` may keep a message past the poll: it then moves into
    /// `chunk`, alive (and readable from any thread) until the chunk is emptied or freed. At
    /// most `chunk.remaining` records are taken, so every message kept fits.
    public func poll(maxRecords: Int = 10_000, timeout: Duration, keepingIn chunk: KafkaMessageChunk,
                     _ body: (KafkaMessage) throws -> KafkaMessageUse) throws -> KafkaPollOutcome {
        try poll(maxRecords: min(maxRecords, chunk.remaining), timeout: timeout, keepingIn: Optional(chunk), body)
    }

    private func poll(maxRecords: Int, timeout: Duration, keepingIn chunk: KafkaMessageChunk?,
                      _ body: (KafkaMessage) throws -> KafkaMessageUse) throws -> KafkaPollOutcome {
        guard maxRecords > 0 else { return KafkaPollOutcome() }
        let messages = UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>?>.allocate(capacity: maxRecords)
        defer { messages.deallocate() }
        // librdkafka's batch call waits until the batch is full or the timeout passes; what
        // callers want is everything there now, waiting only when nothing is.
        var count = rd_kafka_consume_batch_queue(queue, 0, messages, maxRecords)
        if count == 0 {
            count = rd_kafka_consume_batch_queue(queue, milliseconds(timeout), messages, 1)
            if count == 1 && maxRecords > 1 {
                let more = rd_kafka_consume_batch_queue(queue, 0, messages + 1, maxRecords - 1)
                if more > 0 { count += more }
            }
        }
        defer { handle.drainLogs() }
        guard count >= 0 else { throw KafkaError(rd_kafka_last_error(), context: "polling for records") }
        var outcome = KafkaPollOutcome()
        var index = 0
        defer { while index < count { rd_kafka_message_destroy(messages[index]); index += 1 } }
        while index < count {
            let message = messages[index]!
            var kept = false
            if message.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                outcome.records += 1
                // A kept message is the chunk's from here on; one `body` throws on is destroyed
                // with the rest by the `defer` above.
                if case .keep(let tag) = try body(KafkaMessage(pointer: message)), let chunk {
                    chunk.append(message, tag: tag)
                    kept = true
                }
            } else {
                try classify(message, into: &outcome)
            }
            if !kept { rd_kafka_message_destroy(message) }
            index += 1
        }
        if let fatal = handle.fatalError(context: "consuming") { throw fatal }
        return outcome
    }

    /// Returns the records that arrive, up to `maxRecords`, as owned values; see the
    /// borrowing variant for the error rules.
    public func poll(maxRecords: Int = 10_000, timeout: Duration) throws -> KafkaPollBatch {
        var records: [KafkaRecord] = []
        let outcome = try poll(maxRecords: maxRecords, timeout: timeout) { records.append($0.record) }
        return KafkaPollBatch(records: records, reachedEnd: outcome.reachedEnd, warnings: outcome.warnings)
    }

    private func classify(_ message: UnsafeMutablePointer<rd_kafka_message_t>, into outcome: inout KafkaPollOutcome) throws {
        let m = message.pointee
        let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) }
        let place = topic.map { "\($0)/\(m.partition)" + (m.offset >= 0 ? " at offset \(m.offset)" : "") }
        if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF, let topic {
            let tp = KafkaTopicPartition(topic: topic, partition: m.partition)
            outcome.reachedEnd.append(tp)
            outcome.endOffsets[tp] = m.offset
            return
        }
        let text = rd_kafka_message_errstr(message).map { String(cString: $0) }
        let error = KafkaError(m.err, message: text, context: place.map { "reading \($0)" } ?? "consuming")
        switch m.err {
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART,
             RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION, RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
             RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET, RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE,
             RD_KAFKA_RESP_ERR__FATAL:
            throw error
        default:
            handle.logger.warning("\(error)", source: "librdkafka")
            outcome.warnings.append(error)
        }
    }

    // MARK: - Offsets

    /// Moves assigned partitions to these offsets: the next poll returns records from there,
    /// and records of those partitions already fetched beyond them are discarded.
    public func seek(_ offsets: [KafkaTopicPartition: Int64], timeout: Duration = .seconds(10)) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = NativePartitionList(offsets.map { ($0.key, $0.value) })
        if let error = rd_kafka_seek_partitions(handle.pointer, list.pointer, milliseconds(timeout)) {
            throw KafkaError(consuming: error, context: "seeking \(offsets.keys.sorted().map(\.description).joined(separator: ", "))")
        }
        for (tp, _, err) in list.entries where err != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(err, context: "seeking \(tp)")
        }
    }

    /// Commits, for the group, the offset after the last record returned from each assigned
    /// partition. Synchronous: returns once the group coordinator has stored them.
    public func commit() throws(KafkaError) {
        let err = rd_kafka_commit(handle.pointer, nil, 0)
        // Nothing consumed since the last commit is not a failure.
        if err == RD_KAFKA_RESP_ERR__NO_OFFSET { return }
        try check(err, "committing offsets for group \(groupID ?? "(none)")")
    }

    /// Commits these offsets for the group: each is the next offset to read.
    public func commit(_ offsets: [KafkaTopicPartition: Int64]) throws(KafkaError) {
        let list = NativePartitionList(offsets.map { ($0.key, $0.value) })
        try check(rd_kafka_commit(handle.pointer, list.pointer, 0), "committing offsets for group \(groupID ?? "(none)")")
    }

    /// The group's committed offsets for these partitions; partitions without one are absent.
    public func committed(_ partitions: [KafkaTopicPartition], timeout: Duration = .seconds(10)) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = NativePartitionList(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) })
        try check(rd_kafka_committed(handle.pointer, list.pointer, milliseconds(timeout)), "reading committed offsets")
        var result: [KafkaTopicPartition: Int64] = [:]
        for (tp, offset, _) in list.entries where offset >= 0 { result[tp] = offset }
        return result
    }

    /// The next offset this consumer will read from each partition, where it knows one.
    public func positions(_ partitions: [KafkaTopicPartition]) throws(KafkaError) -> [KafkaTopicPartition: Int64] {
        let list = NativePartitionList(partitions.map { ($0, Int64(RD_KAFKA_OFFSET_INVALID)) })
        try check(rd_kafka_position(handle.pointer, list.pointer), "reading positions")
        var result: [KafkaTopicPartition: Int64] = [:]
        for (tp, offset, _) in list.entries where offset >= 0 { result[tp] = offset }
        return result
    }

    /// The partition's low and high watermarks, asked of its leader: `high` minus this
    /// consumer's position is its lag.
    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaWatermarks {
        try handle.watermarks(topic: topic, partition: partition, timeout: timeout)
    }

    /// The partition's watermarks as librdkafka last learnt them from fetch responses,
    /// without asking the broker; nil until the partition has been fetched from.
    public func cachedWatermarks(topic: String, partition: Int32) -> KafkaWatermarks? {
        var low: Int64 = 0
        var high: Int64 = 0
        guard rd_kafka_get_watermark_offsets(handle.pointer, topic, partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR,
              high >= 0 else { return nil }
        return KafkaWatermarks(low: low, high: high)
    }

    public func metadata(timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaClusterMetadata {
        try handle.metadata(timeout: timeout)
    }

    /// The partition ids of an existing topic; an error naming the topic when it is missing.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> [Int32] {
        try handle.partitions(of: topic, timeout: timeout)
    }

    /// Leaves the group (if any) and stops fetching. Safe to call more than once.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = rd_kafka_consumer_close(handle.pointer)
        handle.drainLogs()
    }
}

/// What one borrowing poll saw besides the records it handed over.
public struct KafkaPollOutcome: Sendable {
    /// Nothing seen.
    public init() {}
    public var records = 0
    /// Partitions whose current end was reached (with `enable.partition.eof`, the default).
    public var reachedEnd: [KafkaTopicPartition] = []
    /// For each partition in ``reachedEnd``, the offset its end was reached at: the broker's
    /// high watermark when it answered, learnt without asking it again.
    public var endOffsets: [KafkaTopicPartition: Int64] = [:]
    /// Transient errors librdkafka is recovering from on its own.
    public var warnings: [KafkaError] = []
}

/// Records returned by an owning poll.
public struct KafkaPollBatch: Sendable {
    public var records: [KafkaRecord]
    public var reachedEnd: [KafkaTopicPartition]
    public var warnings: [KafkaError]
}

extension KafkaConsumer {
    /// Reads every record of `topic` from the beginning until each of its partitions reports
    /// its end (what tests and tools that check a topic's whole contents want). Throws when
    /// that takes longer than `timeout`.
    public func readToEnd(topic: String, timeout: Duration = .seconds(20)) throws -> [KafkaRecord] {
        let partitions = try assign(topic: topic, from: .beginning)
        var ended = Set<Int32>()
        var records: [KafkaRecord] = []
        let deadline = ContinuousClock.now + timeout
        while ended.count < partitions.count {
            guard ContinuousClock.now < deadline else {
                throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                 message: "reading \(topic) to its end: \(records.count) records, \(ended.count) of \(partitions.count) partitions ended",
                                 context: "reading \(topic)")
            }
            let batch = try poll(timeout: .milliseconds(200))
            records += batch.records
            batch.reachedEnd.forEach { ended.insert($0.partition) }
        }
        return records
    }
}
