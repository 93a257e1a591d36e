import KafkaBridge
import KafkaWire

/// Sends each message through cells' own Kafka producer (`KafkaWire`): the load mode's fast
/// path. The same contract as `KafkaRecordSink`: the cluster and the topics are checked
/// before the first message, and every message is accounted for at the end.
struct WireRecordSink: KafkaSink {
    let bootstrap: String
    private let producer: WireProducer
    private let keyed: Bool
    private var echo: OutputStream?
    /// Indexes into the producer's topics.
    private let settlementIndex: Int

    init(topic: String, settlementTopic: String?, configuration: WireProducerConfiguration, connectTimeout: Duration,
         keyed: Bool, echo: Bool, signals: some StopCondition, warn: (String) -> Void) throws {
        self.keyed = keyed
        self.echo = echo ? OutputStream(descriptor: 1) : nil
        bootstrap = configuration.bootstrap.joined(separator: ",")
        let topics = [topic] + (settlementTopic.map { [$0] } ?? [])
        let seconds = Int(connectTimeout.seconds)
        do {
            producer = try WireProducer(configuration: configuration, topics: topics, timeoutMillis: Int(connectTimeout.seconds * 1000))
        } catch {
            switch error {
            case .unknownTopic(let name, let why):
                throw CellsError.invalidOption("--topic \(name)", "topic \(name) \(why).")
            case .connection, .timedOut, .malformed:
                throw CellsError.invalidOption(
                    "--bootstrap \(bootstrap)",
                    "no Kafka broker answered within \(seconds) s (\(error)). "
                        + "Start one with `cells broker`, pass its address with --bootstrap or KAFKA_BOOTSTRAP, or use --embedded.")
            default:
                throw error
            }
        }
        settlementIndex = topics.count - 1
        producer.isInterrupted = { signals.isStopRequested }
        for created in producer.createdTopics {
            warn("topic \(created) did not exist on \(bootstrap); the broker created it (\(producer.partitionCounts[topics.firstIndex(of: created)!]) partitions)")
        }
    }

    mutating func write(key: [UInt8], value: [UInt8], id: UInt64) throws {
        try send(to: 0, key: key, value: value)
    }

    mutating func writeSettlement(key: [UInt8], value: [UInt8], id: UInt64) throws {
        try send(to: settlementIndex, key: key, value: value)
    }

    private mutating func send(to topic: Int, key: [UInt8], value: [UInt8]) throws {
        try key.withUnsafeBytes { k in
            try value.withUnsafeBytes { v in
                try producer.send(topic: topic, key: keyed ? k : nil, value: v)
            }
        }
        if echo != nil {
            echo!.write(value)
            echo!.write(CollectionOfOne(UInt8(ascii: "\n")))
        }
    }

    mutating func idle() {
        producer.poll()
        echo?.flush()
    }

    /// Waits (at most 60 s) for every message in flight, then stops the producer and returns
    /// the totals: what was still unacknowledged then counts as failed.
    func finishDelivery(signals: some StopCondition) -> DeliveryTotals {
        finish(signals: signals)
    }

    func finish(signals: some StopCondition, announce: Bool = true) -> DeliveryTotals {
        if announce && producer.inFlight > 0 && signals.isStopRequested {
            printError("cells produce: stopping; waiting for \(producer.inFlight) messages in flight (Ctrl-C again to quit)")
        }
        producer.flush(timeoutMillis: 60_000)
        producer.close()
        let s = producer.statistics
        return DeliveryTotals(delivered: s.delivered, failed: s.failed, firstError: s.firstError.map { "\($0)" })
    }
}

/// A sink that delivers to Kafka and says, at the end, what became of every message.
protocol KafkaSink: RecordSink {
    var bootstrap: String { get }
    func finishDelivery(signals: some StopCondition) throws -> DeliveryTotals
}

extension KafkaRecordSink: KafkaSink {
    func finishDelivery(signals: some StopCondition) throws -> DeliveryTotals {
        let s = try finish(signals: signals)
        return DeliveryTotals(delivered: s.delivered, failed: s.failed, firstError: s.firstError.map { "\($0)" })
    }
}

/// What became of a run's messages, whichever producer sent them.
struct DeliveryTotals {
    var delivered: Int
    var failed: Int
    var firstError: String?
}
