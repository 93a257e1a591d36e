import Foundation

/// A Kafka producer that speaks the protocol itself: record batches (v2, CRC-32C, LZ4) built in
/// place as messages come, compressed and sent by a thread of its own, idempotent
/// (InitProducerId and sequence numbers) with acks=all by default.
///
/// It exists for speed: librdkafka allocates, queues and reports every message, and its one
/// broker thread compresses everything; here a message is appended to its partition's batch in
/// place and only batches cross threads. It does less than librdkafka: plaintext only, no
/// transactions, codecs none and lz4. `WireProducerConfiguration` refuses any property it does
/// not implement, so that a caller can use librdkafka for those.
///
/// One thread sends (`send`, `poll`, `flush`); the sender thread does the rest.
public final class WireProducer {
    public let configuration: WireProducerConfiguration
    public let topics: [String]
    /// Of `topics`, those the broker first answered for without partitions and then created
    /// on request. (A broker that creates a topic as it answers, as librdkafka's mock broker
    /// does, reports it as existing.)
    public let createdTopics: [String]
    public let partitionCounts: [Int32]

    private let exchange: Exchange
    private var open: [[OpenBatch?]]
    private var nextSequence: [[Int32]]
    private var sticky: [Int32]
    private var serial: Int64 = 0
    private var openMessages = 0
    /// A keyed partition's batch is sealed at this many bytes: all open batches together stay
    /// within half the memory budget. A sticky batch (one per topic) may grow to `batch.size`.
    private let keyedBatchBytes: Int
    private let stickyBatchBytes: Int
    private let sealedBudget: Int
    private let finished = DispatchSemaphore(value: 0)
    private var closed = false
    /// Asked while `send` waits for room: true ends the wait (a Ctrl-C or SIGTERM must not
    /// sit out message.timeout.ms behind a broker that is gone).
    public var isInterrupted: @Sendable () -> Bool = { false }

    /// Connects, learns the cluster and the topics' partitions (asking the broker to create a
    /// missing topic, and waiting for it up to the timeout), takes a producer id for
    /// idempotence, and starts the sender thread.
    public init(configuration: WireProducerConfiguration, topics: [String], timeoutMillis: Int) throws(WireError) {
        self.configuration = configuration
        self.topics = topics
        // Kafka's own rule for names (its brokers refuse others with INVALID_TOPIC_EXCEPTION).
        for t in topics where t.utf8.isEmpty || t.utf8.count > 249 || t == "." || t == ".."
            || !t.utf8.allSatisfy({ $0 == 0x2E || $0 == 0x5F || $0 == 0x2D || (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
            throw .unknownTopic(t, "is not a valid topic name (Kafka's are 1 to 249 of a-z, A-Z, 0-9, '.', '_' and '-')")
        }
        let timeout = max(1, timeoutMillis)
        let deadline = monotonicMillis() + Int64(timeout)
        var connection: BrokerConnection?
        var failures: [String] = []
        for server in configuration.bootstrap {
            guard let address = BrokerAddress(parsing: Substring(server)) else { continue }
            do {
                connection = try BrokerConnection(to: address, timeoutMillis: max(1, Int(deadline - monotonicMillis())))
                break
            } catch .connection(_, let why) {
                failures.append("\(address): \(why)")
            } catch {
                failures.append("\(error)")
            }
        }
        guard let connection else {
            throw .connection(broker: configuration.bootstrap.joined(separator: ","), failures.joined(separator: "; "))
        }
        func left() -> Int { max(1, Int(deadline - monotonicMillis())) }
        let versions = try connection.apiVersions(clientID: configuration.clientID, timeoutMillis: left())

        var metadata = ClusterMetadata()
        var created: [String] = []
        var missing = Set(topics)
        while true {
            metadata = try connection.metadata(topics: topics, allowAutoCreate: configuration.allowAutoCreateTopics,
                                               version: versions.metadata, clientID: configuration.clientID, timeoutMillis: left())
            if let invalid = topics.first(where: { metadata.topics[$0]?.error == 17 }) {
                throw .unknownTopic(invalid, "is not a valid topic name on \(connection.address) (INVALID_TOPIC_EXCEPTION)")
            }
            for t in missing {
                if let found = metadata.topics[t], found.error == 0, !found.partitions.isEmpty { missing.remove(t) } else if !created.contains(t) { created.append(t) }
            }
            if missing.isEmpty { break }
            guard monotonicMillis() < deadline else {
                let t = missing.sorted()[0]
                let code = metadata.topics[t]?.error ?? 3
                throw .unknownTopic(t, "does not exist on \(connection.address) (\(WireError.name(of: code))), and it was not created automatically within \(timeout / 1000) s. Create it first (kafka-topics.sh --create --topic \(t), or `cells broker --topic \(t)`), or enable automatic topic creation on the broker")
            }
            usleep(100_000)
        }
        createdTopics = created
        partitionCounts = topics.map { t in
            let indices = metadata.topics[t]!.partitions.keys
            return (indices.max() ?? -1) + 1
        }

        var identity = ProducerIdentity.none
        if configuration.idempotence {
            while true {
                do {
                    identity = try connection.initProducerID(version: versions.initProducerID, clientID: configuration.clientID, timeoutMillis: left())
                    break
                } catch .refused(let code, _) where (code == 14 || code == 15) && monotonicMillis() < deadline {
                    // The coordinator is still loading: asked again until the deadline.
                    usleep(100_000)
                }
            }
        }

        exchange = try Exchange()
        open = partitionCounts.map { [OpenBatch?](repeating: nil, count: Int($0)) }
        nextSequence = partitionCounts.map { [Int32](repeating: 0, count: Int($0)) }
        sticky = partitionCounts.map { Int32.random(in: 0..<max(1, $0)) }
        let allPartitions = max(1, partitionCounts.reduce(0) { $0 + Int($1) })
        sealedBudget = configuration.bufferBytes / 2
        // A batch, compressed or not, must also stay under the broker's message.max.bytes.
        let batchLimit = min(configuration.batchBytes, configuration.messageMaxBytes - RecordBatchEncoder.headerSize)
        keyedBatchBytes = min(batchLimit, max(16 << 10, configuration.bufferBytes / 2 / allPartitions))
        stickyBatchBytes = min(batchLimit, max(16 << 10, configuration.bufferBytes / 4))

        let sender = Sender(configuration: configuration, exchange: exchange, topics: topics, partitionCounts: partitionCounts,
                            identity: identity, versions: versions, cluster: metadata)
        let thread = Thread { [finished] in
            sender.run()
            finished.signal()
        }
        thread.name = "cells.producer.sender"
        thread.start()
    }

    deinit { close() }

    /// Appends a message to its partition's batch (`topic` indexes `topics`). Waits when the
    /// memory budget is spent, until the brokers acknowledge enough; throws only for a message
    /// too large, a closed producer, or a budget that stays spent past `message.timeout.ms`.
    @inline(__always)
    public func send(topic: Int, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) throws(WireError) {
        guard !closed else { throw .undelivered("the producer is closed") }
        let count = partitionCounts[topic]
        let hashed = configuration.partitioner.partition(of: key, count: count)
        let partition = hashed ?? sticky[topic]
        let limit = hashed == nil ? stickyBatchBytes : keyedBatchBytes
        let size = OpenBatch.recordSize(keyCount: key?.count, valueCount: value.count, timestampDelta: 0, offsetDelta: 0) + 16
        guard size + RecordBatchEncoder.headerSize <= configuration.messageMaxBytes else {
            throw .messageTooLarge(bytes: size, limit: configuration.messageMaxBytes)
        }
        let p = Int(partition)
        if let batch = open[topic][p], batch.byteCount + size > limit || Int(batch.count) >= configuration.batchMessages {
            try seal(topic: topic, partition: p)
            if hashed == nil { return try send(topic: topic, key: key, value: value) }
        }
        if open[topic][p] == nil { open[topic][p] = OpenBatch(capacity: min(limit, max(size, 4096)) + 64) }
        open[topic][p]!.append(key: key, value: value, timestamp: wallMillis(), now: monotonicMillis())
        openMessages += 1
    }

    private func seal(topic: Int, partition p: Int) throws(WireError) {
        guard let batch = open[topic][p], !batch.isEmpty else { return }
        guard !closed else { throw .undelivered("the producer is closed") }
        open[topic][p] = nil
        openMessages -= Int(batch.count)
        let sequence = nextSequence[topic][p]
        // Kafka's sequence numbers wrap from Int32.max to 0.
        nextSequence[topic][p] = Int32(truncatingIfNeeded: (Int64(sequence) + Int64(batch.count)) % (Int64(Int32.max) + 1))
        serial += 1
        let sealed = SealedBatch(topic: topic, partition: Int32(p), records: batch.records, count: batch.count,
                                 firstTimestamp: batch.firstTimestamp, maxTimestamp: batch.maxTimestamp,
                                 baseSequence: sequence, serial: serial, sealedAt: monotonicMillis())
        if Int32(p) == sticky[topic] { sticky[topic] = (sticky[topic] + 1) % partitionCounts[topic] }
        let deadline = monotonicMillis() + Int64(configuration.deliveryTimeoutMillis) + Int64(configuration.requestTimeoutMillis)
        let stuck = exchange.withLock { () -> Bool in
            exchange.sealed.append(sealed)
            exchange.unresolvedBytes += sealed.records.capacity
            exchange.unresolvedBatches += 1
            exchange.unresolvedMessages += Int(sealed.count)
            exchange.wakeSender()
            // The budget: wait for acknowledgements (or failures, which the sender reports
            // at message.timeout.ms at the latest) to make room.
            while exchange.unresolvedBytes > sealedBudget && !exchange.senderFinished && !isInterrupted() {
                let now = monotonicMillis()
                if now >= deadline { return true }
                exchange.wait(until: min(deadline, now + 100))
            }
            return false
        }
        if stuck {
            throw .undelivered("no broker acknowledged anything for message.timeout.ms=\(configuration.deliveryTimeoutMillis) while \(sealedBudget >> 20) MiB of messages waited")
        }
    }

    /// Seals batches older than `linger.ms`, when the sender is short of work (a busy sender
    /// lets them grow, which is what lingering is for).
    public func poll() {
        let waiting = exchange.withLock { exchange.unresolvedBytes }
        guard waiting < 1 << 20 || configuration.lingerMillis == 0 else { return }
        let now = monotonicMillis()
        for t in open.indices {
            for p in open[t].indices {
                if let b = open[t][p], now - b.openedAt >= Int64(configuration.lingerMillis) { try? seal(topic: t, partition: p) }
            }
        }
    }

    /// Sends every open batch and waits until all are acknowledged or failed, or until the
    /// timeout. Returns whether nothing is left in flight.
    @discardableResult
    public func flush(timeoutMillis: Int) -> Bool {
        for t in open.indices {
            for p in open[t].indices { try? seal(topic: t, partition: p) }
        }
        let deadline = monotonicMillis() + Int64(max(0, timeoutMillis))
        return exchange.withLock {
            while exchange.unresolvedBatches > 0 && !exchange.senderFinished && monotonicMillis() < deadline {
                exchange.wait(until: deadline)
            }
            return exchange.unresolvedBatches == 0
        }
    }

    /// Stops the sender; whatever it still held is counted as failed.
    public func close() {
        guard !closed else { return }
        closed = true
        exchange.withLock { exchange.closing = true }
        exchange.wakeSender()
        finished.wait()
        // Never sealed: counted as failed too, so delivered + failed covers every message sent.
        if openMessages > 0 {
            exchange.withLock {
                exchange.statistics.failed += openMessages
                if exchange.statistics.firstError == nil {
                    exchange.statistics.firstError = .undelivered("the producer closed before these messages were sent")
                }
            }
            openMessages = 0
        }
    }

    public var statistics: WireDeliveryStatistics { exchange.withLock { exchange.statistics } }

    /// Messages sent and not yet acknowledged or failed.
    public var inFlight: Int { openMessages + exchange.withLock { exchange.unresolvedMessages } }
}
