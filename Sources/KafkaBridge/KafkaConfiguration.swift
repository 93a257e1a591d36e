import CRdKafka

/// librdkafka properties for one client, passed through unchanged.
///
/// Any property librdkafka knows can be set (see its CONFIGURATION.md); the bridge does not
/// keep a list of its own. Names and values are checked by librdkafka itself when a client is
/// created, or earlier with ``validate(for:)``, so a typo is reported with librdkafka's words.
public struct KafkaConfiguration: Sendable, Hashable {
    /// The properties, by librdkafka name.
    public private(set) var properties: [String: String]

    public init(_ properties: [String: String] = [:]) {
        self.properties = properties
    }

    /// A configuration whose only property is `bootstrap.servers`.
    public init(bootstrapServers: String) {
        self.init(["bootstrap.servers": bootstrapServers])
    }

    public subscript(key: String) -> String? {
        get { properties[key] }
        set { properties[key] = newValue }
    }

    /// `bootstrap.servers`, the brokers to contact first.
    public var bootstrapServers: String? {
        get { properties["bootstrap.servers"] }
        set { properties["bootstrap.servers"] = newValue }
    }

    /// Applies `key=value` assignments, the syntax of kcat's and `cells`' `-X` option.
    public mutating func apply(assignments: [String]) throws(KafkaError) {
        for assignment in assignments {
            guard let equals = assignment.firstIndex(of: "="),
                  equals != assignment.startIndex else {
                throw KafkaError.invalidArgument(
                    "expected key=value, e.g. -X compression.codec=zstd", context: "-X \(assignment)")
            }
            properties[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
    }

    /// Returns a copy in which the given properties are set where this one does not set them:
    /// defaults never override what the user chose.
    public func withDefaults(_ defaults: [String: String]) -> KafkaConfiguration {
        KafkaConfiguration(properties.merging(defaults) { mine, _ in mine })
    }

    /// Safe producer defaults: every write acknowledged by all in-sync replicas, and
    /// idempotence so that retries after a broker failure never duplicate a message.
    public static let producerDefaults: [String: String] = [
        "acks": "all",
        "enable.idempotence": "true",
    ]

    /// Consumer defaults: offsets are committed when the application says so, and the end of
    /// a partition is reported so that "read what is there" has a natural stop.
    public static let consumerDefaults: [String: String] = [
        "enable.auto.commit": "false",
        "enable.partition.eof": "true",
        "auto.offset.reset": "earliest",
    ]

    /// Asks librdkafka whether it accepts every property, without creating a client.
    public func validate(for kind: KafkaClientKind = .producer) throws(KafkaError) {
        rd_kafka_conf_destroy(try makeNative(for: kind))
    }

    /// Builds librdkafka's configuration object; the caller owns it.
    func makeNative(for kind: KafkaClientKind) throws(KafkaError) -> OpaquePointer {
        let conf = rd_kafka_conf_new()!
        var reason = [CChar](repeating: 0, count: 512)
        // Sorted so that, of several bad properties, the same one is reported every time.
        for (key, value) in properties.sorted(by: { $0.key < $1.key }) {
            let result = rd_kafka_conf_set(conf, key, value, &reason, reason.count)
            if result != RD_KAFKA_CONF_OK {
                rd_kafka_conf_destroy(conf)
                // librdkafka's reason quotes the value it refused, which may be a secret.
                throw KafkaError.configuration(key, Redaction.scrub(string(reason), secrets: secretValues))
            }
        }
        return conf
    }
}

/// The two kinds of librdkafka client; some properties apply to one kind only.
public enum KafkaClientKind: Sendable {
    case producer, consumer

    var native: rd_kafka_type_t {
        switch self {
        case .producer: RD_KAFKA_PRODUCER
        case .consumer: RD_KAFKA_CONSUMER
        }
    }
}
