import ArgumentParser
import Foundation
import KafkaBridge
#if canImport(Glibc)
import Glibc
#endif

struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run an embedded Kafka-protocol broker (librdkafka's mock cluster).",
        discussion: """
            Prints the bootstrap address on the first line of standard output, then serves \
            until Ctrl-C or SIGTERM. Any Kafka client can connect: cells, kcat, Python, Java.

            Limits, unlike a real Kafka cluster:
              - in memory only: everything is gone when it stops;
              - a random port on every start (use the printed address or --bootstrap-file);
              - each partition keeps only about 5 MiB (or 100,000 message sets) and silently
                drops the oldest records beyond that: use more partitions, or compression
                (-X compression.codec=zstd on the producer), for big loads;
              - no Admin API topic creation: create topics here with --topic.
            For a real broker, see docker-compose.yml.
            """
    )

    @Option(help: "Number of brokers in the cluster.")
    var brokers: Int = 1

    @Option(name: .customLong("topic"),
            help: ArgumentHelp("Create a topic (repeatable). Default: streaming_cartao:6.",
                               valueName: "name[:partitions]"))
    var topics: [String] = []

    @Option(help: ArgumentHelp("Also write the bootstrap address to this file.", valueName: "path"))
    var bootstrapFile: String?

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16") }
        _ = try specs()
    }

    /// The topics to create, each with its partition count.
    func specs() throws -> [(name: String, partitions: Int)] {
        let given = topics.isEmpty ? ["streaming_cartao:6"] : topics
        return try given.map { spec in
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
            guard let name = parts.first, !name.isEmpty, parts.count <= 2 else {
                throw ValidationError("--topic \(spec): expected name or name:partitions")
            }
            guard parts.count == 2 else { return (String(name), 6) }
            guard let partitions = Int(parts[1]), (1...EmbeddedCluster.maximumPartitions).contains(partitions) else {
                throw ValidationError("--topic \(spec): partitions must be a positive number, at most \(EmbeddedCluster.maximumPartitions)")
            }
            return (String(name), partitions)
        }
    }

    func run() throws {
        let logger = CellsLogging.bootstrap()
        let signals = SignalWatcher()
        let cluster = try EmbeddedCluster(brokers: brokers, logger: logger)
        let replication = min(brokers, 3)
        for spec in try specs() {
            try cluster.createTopic(spec.name, partitions: spec.partitions, replicationFactor: replication)
        }
        if let bootstrapFile {
            do {
                try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
            } catch {
                throw CellsError.cannotOpen(bootstrapFile, errno: errno)
            }
        }
        printLine(cluster.bootstrapServers)
        let described = try specs().map { "\($0.name) (\($0.partitions) partitions)" }.joined(separator: ", ")
        printError("""
            cells broker: \(brokers) broker\(brokers == 1 ? "" : "s") at \(cluster.bootstrapServers); topics: \(described)
              in memory, ~5 MiB kept per partition; Ctrl-C to stop. Try:
              export KAFKA_BOOTSTRAP=\(cluster.bootstrapServers)
            """)
        while signals.sleep(.seconds(3600)) {}
        if let bootstrapFile { unlink(bootstrapFile) }
        printError("cells broker: stopped")
    }
}
