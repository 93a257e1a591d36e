import ArgumentParser
import Foundation
import KafkaBridge
import Logging
import Synchronization
import TransactionGenerator

/// `--embedded` on `cells FILE` and `cells run`: what to bring up in the process so a notebook
/// runs unchanged on a machine with no Kafka.
struct EmbeddedOptions: ParsableArguments {
    @Flag(help: "Start an embedded broker and the transaction producer in this process; KAFKA_BOOTSTRAP points at it.")
    var embedded = false

    @Option(name: .customLong("topic"), help: ArgumentHelp("With --embedded: the topic produced to.", valueName: "name"))
    var topic = "streaming_cartao"

    @Option(help: ArgumentHelp("With --embedded and --schema settlement: the topic the settlements go to.", valueName: "name"))
    var settlementTopic = "settlements"

    @Option(help: ArgumentHelp("With --embedded: partitions of the topic.", valueName: "n"))
    var partitions = 6

    @Option(help: ArgumentHelp("With --embedded: the message schema (as cells produce).", valueName: "seed|extended|settlement"))
    var schema: TransactionSchema = .seed

    @Option(help: ArgumentHelp("With --embedded: messages per second, or max, instead of the original's bursts.", valueName: "n|max"))
    var rate: Rate?

    @Option(help: ArgumentHelp("With --embedded: stop producing after this many messages.", valueName: "n"))
    var count: Int?

    @Option(help: ArgumentHelp("With --embedded: seed for a reproducible stream (as cells produce).", valueName: "n"))
    var seed: UInt64?

    func validate() throws {
        let used = rate != nil || count != nil || seed != nil || schema != .seed || topic != "streaming_cartao" || partitions != 6
            || settlementTopic != "settlements"
        if used && !embedded { throw ValidationError("--topic, --settlement-topic, --partitions, --schema, --rate, --count and --seed go with --embedded") }
        if schema == .settlement && settlementTopic == topic {
            throw ValidationError("--settlement-topic must differ from --topic (\(topic))")
        }
        try ProduceCommand.validate(count: count, rate: rate, partitions: partitions)
    }
}

/// An embedded broker with the transaction producer writing to it from a thread of its own.
///
/// The producer keeps the original's cadence unless told a rate; it stops when the stack is
/// shut down, after delivering what it sent.
final class EmbeddedKafka: Sendable {
    let cluster: EmbeddedCluster
    let topic: String
    /// With the settlement schema: the second topic.
    let settlementTopic: String?
    private let stop = StopFlag()
    private let finished = Mutex<Result<Int, any Error>?>(nil)

    init(_ options: EmbeddedOptions, logger: Logger) throws {
        cluster = try EmbeddedCluster(logger: logger)
        topic = options.topic
        try cluster.createTopic(options.topic, partitions: options.partitions)
        settlementTopic = options.schema == .settlement ? options.settlementTopic : nil
        if let settlementTopic { try cluster.createTopic(settlementTopic, partitions: options.partitions) }
        let pacing = options.rate?.pacing ?? .bursts(BurstCadence())
        let plan = ProductionPlan(schema: options.schema, seed: options.seed, startMillis: CivilTime.parseISO8601(ProductionPlan.defaultStart)!,
                                  count: options.count, pacing: pacing)
        let bootstrap = cluster.bootstrapServers
        let thread = Thread { [self] in
            let outcome = Result { () throws -> Int in
                var plan = plan
                var sink = try KafkaRecordSink(topic: topic, settlementTopic: settlementTopic, configuration: KafkaConfiguration(bootstrapServers: bootstrap),
                                               connectTimeout: .seconds(10), keyed: true, logFile: nil, echo: false,
                                               logger: logger, warn: { _ in })
                _ = try plan.run(into: &sink, signals: self.stop, progress: nil)
                return Int(try sink.finish(signals: self.stop, announce: false).delivered)
            }
            self.finished.withLock { $0 = outcome }
        }
        thread.name = "cells.embedded.producer"
        thread.start()
    }

    /// Where the broker listens and what is produced to it, for the line printed at start-up.
    var description: String {
        "embedded broker at \(cluster.bootstrapServers); producing to \(topic)" + (settlementTopic.map { " and \($0)" } ?? "")
    }

    /// Stops the producer and waits for it to deliver what it sent.
    func shutdown() {
        stop.request()
        while finished.withLock({ $0 == nil }) { Thread.sleep(forTimeInterval: 0.01) }
        if case .failure(let error)? = finished.withLock({ $0 }) {
            printError("cells: the embedded producer failed: \(error)")
        }
    }
}
