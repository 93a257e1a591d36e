import ArgumentParser
import KafkaBridge
import KafkaWire
import TransactionGenerator

struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce synthetic card transactions to Kafka (the original tutorial's generator).",
        discussion: """
            By default it behaves like the original Python producer: bursts of 8-20 messages \
            (a new size for every burst) separated by pauses of 1-60 s, forever, to the topic \
            streaming_cartao, each message the seven string fields of the original schema, \
            keyed by card number. --rate and --count turn it into a load generator; --seed \
            makes the whole stream reproducible byte for byte (event times then come from a \
            simulated clock starting at --start).

            Delivery is acks=all with idempotence. Every message that is not delivered is \
            reported, and the exit status is non-zero if any was lost. Ctrl-C stops producing \
            and waits for what is in flight (press it again to quit at once).

            Messages go through cells' own Kafka client (--client native: record batches \
            built in place, compressed on a thread of their own) unless a -X property or \
            --log-file needs librdkafka, which then sends them (--client auto, the default).

            Examples:
              cells produce --embedded                       # the original's cadence, no Kafka needed
              cells produce -b localhost:9092 --rate 100     # 100 messages/s to a real broker
              cells produce --schema extended --rate max --count 1000000 --seed 42 --output tx.jsonl
              cells produce --embedded --schema settlement --topic authorizations --settlement-topic settlements --rate 200

            --schema settlement writes two topics: authorizations to --topic and, for each, its \
            settlement to --settlement-topic a lognormal delay later (median 20 s, within 9 min); \
            2% settle 10-30 min later (beyond a 10-minute join window) and 3% never do. Both are \
            keyed by auth_id; --count counts the messages of both topics.
            """
    )

    @OptionGroup var kafka: KafkaOptions

    @Option(name: [.short, .long], help: "Topic to produce to.")
    var topic = "streaming_cartao"

    @Option(help: ArgumentHelp("Message schema: seed (the original's 7 string fields), extended (typed analytics fields, as ../shared/anchors/gen.py), or settlement (authorizations and their settlements, two topics).",
                               valueName: "seed|extended|settlement"))
    var schema: TransactionSchema = .seed

    @Option(help: ArgumentHelp("With --schema settlement: the topic the settlements go to.", valueName: "name"))
    var settlementTopic = "settlements"

    @Option(name: [.short, .long], help: "Stop after this many messages (default: never).")
    var count: Int?

    @Option(help: ArgumentHelp("Message key: the card number, or none (as the original producer, which sent no key).",
                               valueName: "card|none"))
    var key: MessageKey = .card

    @Option(help: ArgumentHelp("Messages per second, or max; replaces the burst cadence.", valueName: "n|max"))
    var rate: Rate?

    @Option(help: ArgumentHelp("Burst size range of the default cadence.", valueName: "a-b"))
    var burst = "8-20"

    @Option(help: ArgumentHelp("Pause range between bursts, in seconds.", valueName: "a-b"))
    var pause = "1-60"

    @Option(help: "Seed for a reproducible stream (names, numbers, amounts, event times).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Start of the simulated clock used with --seed (UTC).", valueName: "iso-8601"))
    var start = ProductionPlan.defaultStart

    @Flag(help: "Start an embedded broker in this process and produce to it.")
    var embedded = false

    @Option(help: "Partitions of the topic created with --embedded.")
    var partitions = 6

    @Option(name: [.short, .long],
            help: ArgumentHelp("Write JSON lines to this file (- for standard output) instead of Kafka.", valueName: "file|-"))
    var output: String?

    @Option(help: ArgumentHelp("Append one line per delivered message to this file.", valueName: "path"))
    var logFile: String?

    @Option(help: ArgumentHelp("Kafka client: native (cells' own protocol client: plaintext, compression none or lz4), librdkafka (every -X property, --log-file), or auto (native unless the options need librdkafka).",
                               valueName: "auto|native|librdkafka"))
    var client: ProducerClient = .auto

    @Flag(help: "Also print each message to standard output as it is sent.")
    var echo = false

    @Flag(name: [.short, .long], help: "Print only errors and the final summary.")
    var quiet = false

    func validate() throws {
        try Self.validate(count: count, rate: rate, partitions: partitions)
        if CivilTime.parseISO8601(start) == nil {
            throw ValidationError("--start \(start): expected an ISO-8601 time such as 2024-01-01T00:00:00Z")
        }
        if embedded && output != nil { throw ValidationError("--embedded and --output exclude each other") }
        if schema == .settlement && settlementTopic == topic {
            throw ValidationError("--settlement-topic must differ from --topic (\(topic)): the join reads them as two streams")
        }
        if logFile != nil && output != nil { throw ValidationError("--log-file logs Kafka deliveries; it has no meaning with --output") }
        if logFile != nil && client == .native {
            throw ValidationError("--log-file logs librdkafka's delivery reports: use --client librdkafka (or auto) with it")
        }
        do {
            _ = try cadence()
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The checks `cells produce` and `--embedded` share.
    static func validate(count: Int?, rate: Rate?, partitions: Int) throws {
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        // Past these bounds the pacing arithmetic (messages due, time to wait) leaves the range
        // of its integers; `max` is the way to ask for as fast as possible.
        if case .perSecond(let r)? = rate, !(0.001...1e9).contains(r) {
            throw ValidationError("--rate must be from 0.001 to 1000000000 messages per second, or max")
        }
        guard (1...EmbeddedCluster.maximumPartitions).contains(partitions) else {
            throw ValidationError("--partitions must be from 1 to \(EmbeddedCluster.maximumPartitions)")
        }
    }

    func cadence() throws -> BurstCadence {
        BurstCadence(burst: try BurstCadence.parseRange(burst, what: "--burst"),
                     pause: try BurstCadence.parseRange(pause, what: "--pause"))
    }

    func run() throws {
        let logger = CellsLogging.bootstrap()
        let signals = SignalWatcher()
        let pacing = try rate.map { $0.pacing } ?? .bursts(cadence())
        var plan = ProductionPlan(schema: schema, seed: seed, startMillis: CivilTime.parseISO8601(start)!,
                                  count: count, pacing: pacing)

        if let output {
            var sink = try FileRecordSink(path: output)
            let summary = try plan.run(into: &sink, signals: signals, progress: quiet ? nil : { printError($0) })
            printError("cells produce: wrote \(summary.produced) \(schema) messages to \(output == "-" ? "standard output" : output) in \(summary.elapsedDescription)")
            return
        }

        var cluster: EmbeddedCluster?
        if embedded {
            let started = try EmbeddedCluster(logger: logger)
            try started.createTopic(topic, partitions: partitions)
            if schema == .settlement { try started.createTopic(settlementTopic, partitions: partitions) }
            let topics = schema == .settlement ? "topics \(topic) and \(settlementTopic)" : "topic \(topic)"
            printError("cells produce: embedded broker at \(started.bootstrapServers) (\(topics), \(partitions) partitions)")
            cluster = started
        }
        let configuration = try kafka.configuration(bootstrap: cluster?.bootstrapServers)
        let settlements = schema == .settlement ? settlementTopic : nil
        let warn = { (message: String) in printError("cells produce: \(message)") }
        if let native = try nativeConfiguration(configuration) {
            var sink = try WireRecordSink(topic: topic, settlementTopic: settlements, configuration: native,
                                          connectTimeout: kafka.connectTimeoutDuration, keyed: key == .card, echo: echo,
                                          signals: signals, warn: warn)
            try deliver(plan: &plan, into: &sink, signals: signals)
        } else {
            var sink = try KafkaRecordSink(
                topic: topic, settlementTopic: settlements, configuration: configuration,
                connectTimeout: kafka.connectTimeoutDuration, keyed: key == .card, logFile: logFile, echo: echo, logger: logger, warn: warn)
            try deliver(plan: &plan, into: &sink, signals: signals)
        }
        withExtendedLifetime(cluster) {}
    }

    /// Runs the plan into a Kafka sink and reports what was delivered; throws when anything was lost.
    private func deliver<Sink: KafkaSink>(plan: inout ProductionPlan, into sink: inout Sink, signals: SignalWatcher) throws {
        let summary = try plan.run(into: &sink, signals: signals, progress: quiet ? nil : { printError($0) })
        let delivery = try sink.finishDelivery(signals: signals)
        let bootstrap = sink.bootstrap
        // One count of what was lost, the same in the summary and in the error: refused by the
        // broker, or still in flight when the wait for deliveries ended; both failed.
        let undelivered = max(0, summary.produced - delivery.delivered)
        let inFlight = max(0, undelivered - delivery.failed)
        let why = inFlight > 0 ? " (\(delivery.failed) refused, \(inFlight) still in flight when the wait ended)" : ""
        // A rate is for messages that arrived: a run that delivered nothing prints none.
        let when = delivery.delivered > 0 ? " in \(summary.elapsedDescription)" : ""
        let destination = schema == .settlement
            ? "\(topic) and \(settlementTopic) (\(summary.settlements) settlements)" : topic
        printError("cells produce: \(delivery.delivered) delivered, \(undelivered) failed\(why), to \(destination) on \(bootstrap)\(when)")
        if undelivered > 0 {
            throw CellsError.undelivered(failed: undelivered, total: summary.produced,
                                         firstError: delivery.firstError ?? "still in flight when stopped")
        }
    }

    /// The native client's settings, or nil when librdkafka is to send: asked for, or needed
    /// by a property or --log-file under `auto`.
    func nativeConfiguration(_ configuration: KafkaConfiguration) throws -> WireProducerConfiguration? {
        if client == .librdkafka || logFile != nil { return nil }
        do {
            return try WireProducerConfiguration(properties: configuration.withDefaults(KafkaConfiguration.producerDefaults).properties)
        } catch .unsupportedProperty(let name, let why) {
            if client == .native { throw CellsError.invalidOption("-X \(name)", "\(why); use --client librdkafka (or auto) for it") }
            if !quiet { printError("cells produce: -X \(name): \(why); producing with librdkafka") }
            return nil
        } catch .invalidProperty(let name, let why) {
            throw CellsError.invalidOption("-X \(name)", why)
        } catch {
            throw error
        }
    }
}

extension TransactionSchema: ExpressibleByArgument {}

/// `--client`: which Kafka client sends.
enum ProducerClient: String, ExpressibleByArgument, CaseIterable {
    case auto, native, librdkafka
}

/// `--key`: what each message is keyed by, which decides its partition.
enum MessageKey: String, ExpressibleByArgument, CaseIterable {
    case card, none
}

/// `--rate`: a number of messages per second, or `max`.
enum Rate: ExpressibleByArgument {
    case perSecond(Double)
    case max

    init?(argument: String) {
        if argument == "max" {
            self = .max
        } else if let value = Double(argument) {
            self = .perSecond(value)
        } else {
            return nil
        }
    }

    var pacing: ProductionPlan.Pacing {
        switch self {
        case .perSecond(let rate): .rate(rate)
        case .max: .unlimited
        }
    }
}
