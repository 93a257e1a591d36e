/// Sources and sinks by name: what `CREATE SOURCE ... USING name` and `START ... USING name`
/// find. A new connector is one file (its source or sink) plus one registration here; its
/// name then reaches completion, hints and errors from the registry.
public struct ConnectorRegistry: Sendable {
    /// Opens a source's reader from its options (checking them, and reaching a broker).
    struct SourceConnector: Sendable {
        var name: String
        /// Whether records carry Kafka's fields (key, topic, partition, offset, timestamp).
        var isKafka: Bool
        var open: @Sendable (_ options: [String: String]) throws -> StreamSource
    }

    /// Makes a sink for one query; nil when the result table is all it needs.
    struct SinkConnector: Sendable {
        var name: String
        var make: @Sendable (_ options: [String: String], _ context: SinkContext) throws -> QuerySink?
    }

    /// What a sink may need of the query it serves.
    struct SinkContext: Sendable {
        var view: String
        var schema: Schema
        var output: @Sendable (SessionOutput) -> Void
        var outputMode: OutputMode
        /// How the result's rows are told apart (what a database table in update mode replaces by).
        var keys: ResultKeys
    }

    private(set) var sources: [String: SourceConnector] = [:]
    private(set) var sinks: [String: SinkConnector] = [:]
    /// Databases by name: each is a sink (`START ... USING name`) and a kind of static table
    /// (`CREATE TABLE ... USING name`).
    private(set) var databases: [String: DatabaseConnector] = [:]

    init() {}

    mutating func register(_ source: SourceConnector) { sources[source.name.lowercased()] = source }
    mutating func register(_ sink: SinkConnector) { sinks[sink.name.lowercased()] = sink }

    /// A database as a sink and as a kind of static table, with the semantics of
    /// ``DatabaseSink`` and ``DatabaseConnector/tableSource``.
    mutating func register(_ database: DatabaseConnector) {
        databases[database.name.lowercased()] = database
        register(SinkConnector(name: database.name) { options, context in
            try DatabaseSink(connector: database, options: options, schema: context.schema, mode: context.outputMode, keys: context.keys)
        })
    }

    /// How CREATE TABLE reads each database's tables.
    var tableSources: [String: DatabaseTableSource] { databases.mapValues(\.tableSource) }

    /// Connector names, for completion.
    public var names: [String] { Set(Array(sources.keys) + Array(sinks.keys)).sorted() }

    /// "USING kafka or USING file": the hint for an unknown source type.
    var sourceHint: String { Self.alternatives(sources.keys.sorted()).map { "USING \($0)" }.joined(separator: " or ") }
    /// "console, memory, json, csv, kafka or sqlite": the hint for an unknown sink.
    var sinkHint: String {
        let order = ["console", "memory", "json", "csv", "kafka", "sqlite", "postgres"]
        let names = sinks.keys.sorted { (order.firstIndex(of: $0) ?? .max, $0) < (order.firstIndex(of: $1) ?? .max, $1) }
        guard names.count > 1 else { return names.joined() }
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    private static func alternatives(_ names: [String]) -> [String] {
        // Kafka first: it is what most notebooks read.
        names.sorted { ($0 == "kafka" ? 0 : 1, $0) < ($1 == "kafka" ? 0 : 1, $1) }
    }

    /// Kafka and files as sources; the console, the result table alone, JSON and CSV files,
    /// Kafka, SQLite and PostgreSQL as sinks; SQLite and PostgreSQL tables as static tables.
    public static let standard: ConnectorRegistry = {
        var registry = ConnectorRegistry()
        registry.register(SourceConnector(name: "kafka", isKafka: true) { try KafkaStreamSource(options: $0) })
        registry.register(SourceConnector(name: "file", isKafka: false) { try FileStreamSource(options: $0) })
        registry.register(SinkConnector(name: "console") { options, context in
            try ConsoleSink(options: options, view: context.view, schema: context.schema, output: context.output)
        })
        registry.register(SinkConnector(name: "memory") { _, _ in nil })
        registry.register(SinkConnector(name: "json") { options, _ in try FileSink(format: .json, options: options) })
        registry.register(SinkConnector(name: "csv") { options, _ in try FileSink(format: .csv, options: options) })
        registry.register(SinkConnector(name: "kafka") { options, context in try KafkaSink(options: options, schema: context.schema) })
        registry.register(DatabaseConnector.sqlite)
        registry.register(DatabaseConnector.postgres)
        return registry
    }()
}
