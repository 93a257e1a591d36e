/// A failure of the Kafka protocol client, saying what it was doing and with which broker.
public enum WireError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A property the client does not implement (the caller may use librdkafka instead).
    case unsupportedProperty(String, String)
    /// A property with a value the client cannot use.
    case invalidProperty(String, String)
    /// No broker could be reached, or a connection failed.
    case connection(broker: String, String)
    /// A broker did not answer in time.
    case timedOut(broker: String, what: String, milliseconds: Int)
    /// A response that does not parse: the broker is not speaking the protocol we expect.
    case malformed(broker: String, what: String)
    /// A broker refused a request with one of Kafka's error codes.
    case refused(code: Int16, what: String)
    /// A topic that does not exist and was not created.
    case unknownTopic(String, String)
    /// The broker does not support a request version the client needs.
    case unsupportedBroker(broker: String, String)
    /// A message larger than the client sends.
    case messageTooLarge(bytes: Int, limit: Int)
    /// A message was not delivered before `message.timeout.ms`, or the producer was closed with it unsent.
    case undelivered(String)

    public var description: String {
        switch self {
        case .unsupportedProperty(let name, let why): "property \(name): \(why)"
        case .invalidProperty(let name, let why): "property \(name): \(why)"
        case .connection(let broker, let why): "broker \(broker): \(why)"
        case .timedOut(let broker, let what, let ms): "broker \(broker): no answer to \(what) within \(ms) ms"
        case .malformed(let broker, let what): "broker \(broker): malformed \(what)"
        case .refused(let code, let what): "\(what): \(WireError.name(of: code)) (Kafka error \(code))"
        case .unknownTopic(let topic, let why): "topic \(topic): \(why)"
        case .unsupportedBroker(let broker, let why): "broker \(broker): \(why)"
        case .messageTooLarge(let bytes, let limit):
            "a message of \(bytes) bytes is larger than message.max.bytes (\(limit)); raise it with -X message.max.bytes=N"
        case .undelivered(let why): why
        }
    }

    /// Kafka's names for the error codes a producer meets; others by number.
    static func name(of code: Int16) -> String {
        switch code {
        case -1: "UNKNOWN_SERVER_ERROR"
        case 1: "OFFSET_OUT_OF_RANGE"
        case 2: "CORRUPT_MESSAGE"
        case 3: "UNKNOWN_TOPIC_OR_PARTITION"
        case 5: "LEADER_NOT_AVAILABLE"
        case 6: "NOT_LEADER_OR_FOLLOWER"
        case 7: "REQUEST_TIMED_OUT"
        case 10: "MESSAGE_TOO_LARGE"
        case 13: "NETWORK_EXCEPTION"
        case 14: "COORDINATOR_LOAD_IN_PROGRESS"
        case 15: "COORDINATOR_NOT_AVAILABLE"
        case 17: "INVALID_TOPIC_EXCEPTION"
        case 18: "RECORD_LIST_TOO_LARGE"
        case 19: "NOT_ENOUGH_REPLICAS"
        case 20: "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
        case 21: "INVALID_REQUIRED_ACKS"
        case 29: "TOPIC_AUTHORIZATION_FAILED"
        case 31: "CLUSTER_AUTHORIZATION_FAILED"
        case 35: "UNSUPPORTED_VERSION"
        case 43: "UNSUPPORTED_FOR_MESSAGE_FORMAT"
        case 45: "OUT_OF_ORDER_SEQUENCE_NUMBER"
        case 46: "DUPLICATE_SEQUENCE_NUMBER"
        case 47: "INVALID_PRODUCER_EPOCH"
        case 53: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
        case 56: "KAFKA_STORAGE_ERROR"
        case 59: "UNKNOWN_PRODUCER_ID"
        case 74: "FENCED_LEADER_EPOCH"
        case 87: "INVALID_RECORD"
        default: "error \(code)"
        }
    }

    /// Codes after which the same batch, sent again (to the partition's leader as it is then),
    /// may succeed. The idempotent producer's sequence numbers make a resend safe.
    static func isRetriable(_ code: Int16) -> Bool {
        [3, 5, 6, 7, 13, 14, 15, 19, 20, 45, 56, 74].contains(code)
    }
}
