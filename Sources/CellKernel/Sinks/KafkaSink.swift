import KafkaBridge

/// Writes each result row as a JSON object to a Kafka topic (Spark's Kafka sink with the row
/// turned into its value). Options: `kafka.bootstrap.servers` and `topic` (required), `key`
/// (an output column whose text keys the record), other `kafka.*` for librdkafka.
public final class KafkaSink: QuerySink {
    private let producer: KafkaProducer
    private let topic: String
    private let keyColumn: String?

    /// `schema`: the query's output, which `key` must name (checked before the broker is asked).
    public init(options: [String: String], schema: Schema? = nil) throws {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        guard let bootstrap = lowered["kafka.bootstrap.servers"], let topic = lowered["topic"] else {
            throw SinkError("the kafka sink needs 'kafka.bootstrap.servers' and 'topic'")
        }
        try OptionValues.forSink {
            _ = try OptionValues.nonEmpty(bootstrap, option: "kafka.bootstrap.servers", example: "localhost:9092")
            _ = try OptionValues.nonEmpty(topic, option: "topic", example: "results")
            if let key = lowered["key"] { _ = try OptionValues.nonEmpty(key, option: "key", example: "a result column") }
        }
        // A key naming no column would silently send every record without a key.
        if let key = lowered["key"], let schema, schema.index(of: key) == nil {
            throw SinkError("the kafka sink's 'key' = '\(key)' is not a column of the query's output",
                            hint: "its columns: \(schema.fields.map(\.name).joined(separator: ", "))", option: "key")
        }
        var configuration = KafkaConfiguration(bootstrapServers: bootstrap)
        for (key, value) in options where key.lowercased().hasPrefix("kafka.") && key.lowercased() != "kafka.bootstrap.servers" {
            configuration[String(key.dropFirst("kafka.".count))] = value
        }
        do {
            producer = try KafkaProducer(configuration: configuration)
            _ = try producer.metadata(timeout: .seconds(10))
        } catch {
            throw SinkError("kafka sink: cannot reach \(bootstrap): \(error)")
        }
        self.topic = topic
        keyColumn = lowered["key"]
    }

    public func write(_ result: ResultBatch) throws {
        let names = result.schema.fields.map(\.name)
        let keyIndex = keyColumn.flatMap { result.schema.index(of: $0) }
        for row in 0..<result.count {
            let value = Array(JSONText.object(names: names, columns: result.columns, row: row).utf8)
            let key = keyIndex.flatMap { result.columns[$0].isNull(row) ? nil : Array(Cast.text(result.columns[$0], row).utf8) }
            try producer.send(topic: topic, key: key, value: value)
        }
        try producer.flush(timeout: .seconds(30))
        let stats = producer.statistics
        if stats.failed > 0 {
            throw SinkError("kafka sink: \(stats.failed) rows were not delivered to \(topic): \(stats.firstError.map { "\($0)" } ?? "")")
        }
    }
}
