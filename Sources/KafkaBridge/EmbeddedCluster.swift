import CRdKafka
import Logging

/// A Kafka-protocol cluster inside this process: librdkafka's mock cluster.
///
/// Any Kafka client (this bridge, kcat, another process) reaches it over TCP at
/// ``bootstrapServers``. It is meant for laptops, tests and demos, and has limits a real
/// cluster does not:
/// - everything is in memory and gone when it stops;
/// - it listens on random ports, chosen anew on every start;
/// - each partition keeps at most about 5 MiB (or 100,000 message sets) and silently drops
///   the oldest records beyond that: spread big loads over more partitions, or compress;
/// - topics are created with ``createTopic(_:partitions:replicationFactor:)``, not the Admin
///   API; topics created automatically get 4 partitions.
public final class EmbeddedCluster: @unchecked Sendable {  // the mock cluster's API is thread-safe
    private let handle: KafkaHandle
    private let cluster: OpaquePointer
    /// The comma-separated `host:port` list clients use as `bootstrap.servers`.
    public let bootstrapServers: String
    public let brokerCount: Int

    public init(brokers: Int = 1, logger: Logger = Logger(label: "cells.kafka.embedded")) throws(KafkaError) {
        guard brokers >= 1 else {
            throw KafkaError.invalidArgument("a cluster needs at least one broker, not \(brokers)")
        }
        // The mock cluster lives inside a client instance, which never connects anywhere.
        let handle = try KafkaHandle(kind: .producer, configuration: KafkaConfiguration(["log_level": "4"]), logger: logger)
        guard let created = withSignalsBlocked({ rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) }) else {
            throw KafkaError.invalidArgument("librdkafka could not start its mock cluster", context: "starting an embedded cluster")
        }
        self.handle = handle
        cluster = created
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(created))
        brokerCount = brokers
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        handle.drainLogs()
    }

    /// Creates `name` with `partitions` partitions, each replicated on `replicationFactor`
    /// brokers.
    /// The most partitions a topic of the embedded cluster may have: the mock broker keeps
    /// every partition's log and state in memory, and a typo of a few zeros would take the
    /// machine's memory before failing.
    public static let maximumPartitions = 10_000

    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let context = "creating topic \(name) with \(partitions) partitions"
        guard (1...Self.maximumPartitions).contains(partitions) else {
            throw KafkaError.invalidArgument("partitions must be between 1 and \(Self.maximumPartitions)", context: context)
        }
        guard (1...brokerCount).contains(replicationFactor) else {
            throw KafkaError.invalidArgument(
                "replication factor \(replicationFactor) needs 1 to \(brokerCount) brokers", context: context)
        }
        try check(rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor)), context)
    }

    /// Takes broker `id` (1-based) off the network: its connections drop and it accepts none.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_down(cluster, id), "taking broker \(id) down")
    }

    /// Brings broker `id` back.
    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_up(cluster, id), "bringing broker \(id) up")
    }

    /// Delays every response of broker `id` by `milliseconds` (it handles the request at once):
    /// a cut then loses answers to requests the broker has already carried out.
    public func setRoundTripDelay(_ id: Int32, milliseconds: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_broker_set_rtt(cluster, id, milliseconds), "delaying broker \(id)'s responses by \(milliseconds) ms")
    }

    /// Makes broker `id` the leader of `topic`'s `partition`.
    public func setLeader(topic: String, partition: Int32, broker id: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_partition_set_leader(cluster, topic, partition, id),
                  "moving the leader of \(topic)/\(partition) to broker \(id)")
    }
}
