import KafkaBridge
import Logging
import Synchronization
import TransactionGenerator

/// Sends each message to a Kafka topic, keyed by card number, and accounts for every delivery.
struct KafkaRecordSink: RecordSink {
    let topic: String
    /// Where the settlement schema's settlements go (nil: to `topic` as well).
    let settlementTopic: String?
    let bootstrap: String
    private let producer: KafkaProducer
    private let deliveryLog: DeliveryLog?
    private let keyed: Bool
    private var echo: OutputStream?
    private var sinceLastPoll = 0
    /// Set when the topic did not exist at connection: the first send must make the broker
    /// create it, which is checked then (a broker with auto creation off never will).
    private var topicToConfirm: Bool
    private let connectTimeout: Duration

    /// Connects and checks the cluster before the first message, so that a wrong address is
    /// reported at once instead of after the message timeout.
    init(topic: String, settlementTopic: String? = nil, configuration: KafkaConfiguration, connectTimeout: Duration, keyed: Bool, logFile: String?,
         echo: Bool, logger: Logger, warn: (String) -> Void) throws {
        self.topic = topic
        self.settlementTopic = settlementTopic
        self.keyed = keyed
        self.echo = echo ? OutputStream(descriptor: 1) : nil
        self.connectTimeout = connectTimeout
        bootstrap = configuration.bootstrapServers ?? ""
        let log = try logFile.map { try DeliveryLog(path: $0) }
        deliveryLog = log
        var onDelivery: KafkaProducer.DeliveryHandler?
        if let log { onDelivery = { log.record($0) } }
        producer = try KafkaProducer(configuration: configuration, logger: logger, onDelivery: onDelivery)
        let metadata: KafkaClusterMetadata
        do {
            metadata = try producer.metadata(timeout: connectTimeout)
        } catch {
            throw CellsError.invalidOption(
                "--bootstrap \(bootstrap)",
                "no Kafka broker answered within \(Int(connectTimeout.seconds)) s (\(error.message)). "
                    + "Start one with `cells broker`, pass its address with --bootstrap or KAFKA_BOOTSTRAP, or use --embedded.")
        }
        topicToConfirm = metadata.topic(topic) == nil
        if topicToConfirm {
            warn("topic \(topic) does not exist on \(bootstrap) yet; relying on the broker to create it automatically")
        }
        if let settlementTopic, metadata.topic(settlementTopic) == nil {
            warn("topic \(settlementTopic) does not exist on \(bootstrap) yet; relying on the broker to create it automatically")
        }
    }

    mutating func write(key: [UInt8], value: [UInt8], id: UInt64) throws {
        try send(to: topic, key: key, value: value, id: id)
    }

    mutating func writeSettlement(key: [UInt8], value: [UInt8], id: UInt64) throws {
        try send(to: settlementTopic ?? topic, key: key, value: value, id: id)
    }

    private mutating func send(to topic: String, key: [UInt8], value: [UInt8], id: UInt64) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                try producer.send(topic: topic, key: keyed ? k : nil, value: v, id: id)
            }
        }
        if echo != nil {
            echo!.write(value)
            echo!.write(CollectionOfOne(UInt8(ascii: "\n")))
        }
        sinceLastPoll += 1
        if topicToConfirm { try confirmTopic() }
        if sinceLastPoll >= 1024 { idle() }
    }

    /// After the first send to a topic that did not exist: waits (at most the connect timeout)
    /// for the broker to have created it. Without this, librdkafka holds the messages for
    /// `topic.metadata.propagation.max.ms` (30 s) and then fails them all, one by one.
    private mutating func confirmTopic() throws {
        topicToConfirm = false
        let deadline = ContinuousClock.now + connectTimeout
        repeat {
            producer.poll(timeout: .milliseconds(100))
            if let metadata = try? producer.metadata(timeout: .seconds(2)), let found = metadata.topic(topic),
               !found.partitions.isEmpty {
                return
            }
        } while ContinuousClock.now < deadline
        throw CellsError.invalidOption(
            "--topic \(topic)",
            "topic \(topic) does not exist on \(bootstrap), and it was not created automatically within \(Int(connectTimeout.seconds)) s "
                + "(automatic topic creation is off on the broker, or -X allow.auto.create.topics=false). "
                + "Create the topic first (kafka-topics.sh --create --topic \(topic), or `cells broker --topic \(topic)`), or enable auto creation.")
    }

    mutating func idle() {
        sinceLastPoll = 0
        producer.poll()
        deliveryLog?.flush()
        echo?.flush()
    }

    /// Waits for every message in flight (a second Ctrl-C abandons the wait) and returns the
    /// totals. `announce` says so on standard error first, for a person at `cells produce`.
    func finish(signals: some StopCondition, announce: Bool = true) throws -> KafkaDeliveryStatistics {
        if announce && producer.inFlight > 0 && signals.isStopRequested {
            printError("cells produce: stopping; waiting for \(producer.inFlight) messages in flight (Ctrl-C again to quit)")
        }
        do {
            try producer.flush(timeout: .seconds(60))
        } catch {
            printError("cells produce: \(error)")
        }
        deliveryLog?.close()
        return producer.statistics
    }
}

/// `--log-file`: one line per delivery report, as the original producer logged each send.
final class DeliveryLog: Sendable {
    private let stream: Mutex<OutputStream>

    init(path: String) throws {
        stream = Mutex(try OutputStream(path: path))
    }

    func record(_ report: borrowing KafkaDeliveryReport) {
        let when = CivilTime.iso8601(ProductionPlan.wallClockMillis())
        let value = report.value.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let line = if let error = report.error {
            "\(when) FAILED \(report.topic) message \(report.id): \(error) \(value)\n"
        } else {
            "\(when) delivered \(report.topic)/\(report.partition)@\(report.offset) \(value)\n"
        }
        stream.withLock { $0.write(line) }
    }

    func flush() { stream.withLock { $0.flush() } }
    func close() { stream.withLock { $0.close() } }
}
