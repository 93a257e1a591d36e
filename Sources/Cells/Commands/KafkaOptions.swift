import ArgumentParser
import Foundation
import KafkaBridge

/// The options every command that talks to Kafka shares, spelled as kcat spells them.
struct KafkaOptions: ParsableArguments {
    @Option(name: [.short, .long],
            help: ArgumentHelp("Kafka bootstrap servers (host:port,...).",
                               discussion: "Default: $KAFKA_BOOTSTRAP, else localhost:9092."))
    var bootstrap: String?

    @Option(name: .customShort("X"),
            help: ArgumentHelp("Set a librdkafka property, e.g. -X compression.codec=zstd (repeatable).",
                               valueName: "key=value"))
    var properties: [String] = []

    @Option(help: ArgumentHelp("Seconds to wait for a broker to answer before giving up.", valueName: "seconds"))
    var connectTimeout: Double = 10

    /// The servers to use: the option, else `$KAFKA_BOOTSTRAP`, else the local default.
    var bootstrapServers: String {
        bootstrap ?? ProcessInfo.processInfo.environment["KAFKA_BOOTSTRAP"].flatMap { $0.isEmpty ? nil : $0 }
            ?? "localhost:9092"
    }

    /// The librdkafka configuration these options describe, with `bootstrap` replacing the
    /// default servers (for `--embedded`).
    func configuration(bootstrap override: String? = nil) throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: override ?? bootstrapServers)
        try configuration.apply(assignments: properties)
        return configuration
    }

    var connectTimeoutDuration: Duration { .milliseconds(Int(connectTimeout * 1000)) }

    func validate() throws {
        // A day at most: the same bound as a source's connectTimeoutMs, and one that a
        // Duration in milliseconds holds.
        guard connectTimeout > 0, connectTimeout <= 86_400 else {
            throw ValidationError("--connect-timeout must be more than 0 and at most 86400 seconds")
        }
        var probe = KafkaConfiguration()
        do {
            try probe.apply(assignments: properties)
            try probe.validate()
        } catch {
            throw ValidationError("\(error)")
        }
    }
}
