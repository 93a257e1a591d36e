import CRdKafka

/// An error from Kafka or librdkafka, carrying librdkafka's own code, name and message.
///
/// Every failure the bridge reports is one of these: a rejected configuration property, a
/// broker that cannot be reached, a message that was not delivered, a topic that does not
/// exist. `context` says what the bridge was doing when it happened, so the message a user
/// reads names the operation as well as the cause.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative: client-side, positive: broker).
    public let code: Int32
    /// librdkafka's symbolic name, e.g. `_TRANSPORT` or `UNKNOWN_TOPIC_OR_PART`.
    public let name: String
    /// The human-readable cause, from librdkafka where it gave one.
    public let message: String
    /// Whether trying the same operation again may succeed.
    public let isRetriable: Bool
    /// Whether the client instance is unusable after this error.
    public let isFatal: Bool
    /// Whether the producer's current transaction can only be aborted now (librdkafka's
    /// `rd_kafka_error_txn_requires_abort`): a record of it failed, or it timed out.
    public var requiresAbort = false
    /// What the bridge was doing, e.g. `producing to streaming_cartao`.
    public var context: String?

    public init(code: Int32, name: String, message: String, isRetriable: Bool = false,
                isFatal: Bool = false, context: String? = nil) {
        self.code = code
        self.name = name
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.context = context
    }

    init(_ err: rd_kafka_resp_err_t, message: String? = nil, isFatal: Bool = false, context: String? = nil) {
        self.init(
            code: err.rawValue,
            name: String(cString: rd_kafka_err2name(err)),
            message: message ?? String(cString: rd_kafka_err2str(err)),
            isRetriable: KafkaError.retriableCodes.contains(err.rawValue),
            isFatal: isFatal,
            context: context
        )
    }

    /// Takes ownership of a librdkafka error object and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        self.init(
            code: rd_kafka_error_code(error).rawValue,
            name: String(cString: rd_kafka_error_name(error)),
            message: String(cString: rd_kafka_error_string(error)),
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            context: context
        )
        rd_kafka_error_destroy(error)
    }

    public var description: String {
        let cause = "\(message) (\(name))"
        guard let context else { return cause }
        return "\(context): \(cause)"
    }

    func with(context: String) -> KafkaError {
        var copy = self
        copy.context = context
        return copy
    }

    /// Errors of the kind a client is expected to survive by retrying: the network, leadership
    /// moves, a full local queue.
    private static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__TRANSPORT, RD_KAFKA_RESP_ERR__TIMED_OUT, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN,
        RD_KAFKA_RESP_ERR__QUEUE_FULL, RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND, RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR, RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
    ].reduce(into: []) { $0.insert($1.rawValue) }
}

extension KafkaError {
    /// Well-known codes callers branch on, without importing librdkafka.
    public enum Code {
        public static let timedOut = RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue
        public static let transport = RD_KAFKA_RESP_ERR__TRANSPORT.rawValue
        public static let allBrokersDown = RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue
        public static let unknownTopic = RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC.rawValue
        public static let unknownTopicOrPartition = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue
        public static let invalidArgument = RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue
        public static let messageTimedOut = RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue
        public static let unsupportedFeature = RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE.rawValue
        public static let offsetOutOfRange = RD_KAFKA_RESP_ERR_OFFSET_OUT_OF_RANGE.rawValue
        /// `auto.offset.reset=error` and the offset asked for is not on the broker.
        public static let autoOffsetReset = RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET.rawValue
        public static let unknownPartition = RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION.rawValue
    }

    /// A configuration property librdkafka rejected, with librdkafka's reason.
    static func configuration(_ key: String, _ reason: String) -> KafkaError {
        KafkaError(code: RD_KAFKA_RESP_ERR__INVALID_ARG.rawValue, name: "_INVALID_ARG",
                   message: reason, context: "configuration property '\(key)'")
    }

    /// A usage error found by the bridge itself, before librdkafka was asked.
    static func invalidArgument(_ message: String, context: String? = nil) -> KafkaError {
        KafkaError(RD_KAFKA_RESP_ERR__INVALID_ARG, message: message, context: context)
    }
}

/// Throws the error a librdkafka call returned, if it returned one.
func check(_ err: rd_kafka_resp_err_t, _ context: @autoclosure () -> String) throws(KafkaError) {
    if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, context: context()) }
}
