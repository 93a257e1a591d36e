import CRdKafka
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// One librdkafka client instance (`rd_kafka_t`) and what every kind of client shares:
/// creation with signals masked, logs routed to swift-log, metadata and watermarks.
///
/// librdkafka's handles are thread-safe, which is what makes the owning types `Sendable`.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    let logger: Logger
    private let logQueue: OpaquePointer
    /// The values of the configuration's secrets: librdkafka's log lines and error strings can
    /// quote settings (a failed SASL login, a `debug=conf` dump), so they are scrubbed first.
    private let secrets: [String]

    init(kind: KafkaClientKind, configuration: KafkaConfiguration, logger: Logger,
         prepare: (OpaquePointer) -> Void = { _ in }) throws(KafkaError) {
        // Logs go to a queue we drain into swift-log, instead of librdkafka printing to stderr
        // from its own threads.
        let conf = try configuration.withDefaults(["log.queue": "true"]).makeNative(for: kind)
        prepare(conf)
        secrets = configuration.secretValues
        var reason = [CChar](repeating: 0, count: 512)
        let created = withSignalsBlocked { rd_kafka_new(kind.native, conf, &reason, reason.count) }
        guard let created else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError.invalidArgument(Redaction.scrub(string(reason), secrets: secrets), context: "creating a Kafka \(kind)")
        }
        pointer = created
        self.logger = logger
        logQueue = rd_kafka_queue_new(created)
        rd_kafka_set_log_queue(created, logQueue)
    }

    deinit {
        drainLogs()
        rd_kafka_queue_destroy(logQueue)
        rd_kafka_destroy(pointer)
    }

    /// Forwards librdkafka's pending log lines to the logger. Called whenever the client is
    /// polled, so logs arrive in order with the work that caused them.
    func drainLogs() {
        while let event = rd_kafka_queue_poll(logQueue, 0) {
            defer { rd_kafka_event_destroy(event) }
            guard rd_kafka_event_type(event) == RD_KAFKA_EVENT_LOG else { continue }
            var facility: UnsafePointer<CChar>?
            var text: UnsafePointer<CChar>?
            var level: Int32 = 0
            guard rd_kafka_event_log(event, &facility, &text, &level) == 0 else { continue }
            logger.log(
                level: Logger.Level(syslog: level),
                "\(Redaction.scrub(text.map { String(cString: $0) } ?? "", secrets: secrets))",
                metadata: ["facility": "\(facility.map { String(cString: $0) } ?? "")"],
                source: "librdkafka")
        }
    }

    /// The last fatal error of the instance, if it has had one.
    func fatalError(context: String) -> KafkaError? {
        var reason = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(pointer, &reason, reason.count)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return nil }
        return KafkaError(err, message: Redaction.scrub(string(reason), secrets: secrets), isFatal: true, context: context)
    }
}

extension Logger.Level {
    /// librdkafka logs with syslog severities (0 emergency ... 7 debug).
    init(syslog level: Int32) {
        switch level {
        case ...2: self = .critical
        case 3: self = .error
        case 4: self = .warning
        case 5: self = .notice
        case 6: self = .info
        default: self = .debug
        }
    }
}

/// Runs `body` with SIGINT, SIGTERM, SIGHUP and SIGPIPE blocked on the calling thread, so that the
/// threads librdkafka starts inside it inherit the mask and the process's own threads are
/// the ones that receive Ctrl-C.
func withSignalsBlocked<T>(_ body: () throws -> T) rethrows -> T {
    var blocked = sigset_t()
    var previous = sigset_t()
    sigemptyset(&blocked)
    sigaddset(&blocked, SIGINT)
    sigaddset(&blocked, SIGTERM)
    sigaddset(&blocked, SIGHUP)
    sigaddset(&blocked, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &blocked, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}

/// Milliseconds for librdkafka's `int timeout_ms` parameters, rounding up so that a short
/// positive wait never becomes a non-blocking poll.
func milliseconds(_ duration: Duration) -> Int32 {
    let (seconds, attoseconds) = duration.components
    let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    return Int32(clamping: max(0, ms))
}

/// The text of a NUL-terminated C string librdkafka wrote into `buffer`.
func string(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
