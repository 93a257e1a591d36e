import KafkaBridge

/// Writes each result row as a JSON object to a Kafka topic (Spark's Kafka sink with the row
/// turned into its value). Options: `kafka.bootstrap.servers` and `topic` (required), `key`
/// (an output column whose text keys the record), other `kafka.*` for librdkafka.
///
/// With a checkpoint (``attach(_:)``) every batch goes out in one Kafka transaction and a batch
/// run again after a crash adds only the rows the first run did not get into the topic: see
/// `KafkaSink+ExactlyOnce.swift`.
final class KafkaSink: QuerySink {
    /// Replaced by a transactional one when the sink is attached to a checkpoint, and after a
    /// transaction failed midway (a new producer fences whatever the old one left open).
    var producer: KafkaProducer
    let topic: String
    private let keyColumn: String?
    /// The librdkafka properties the producer was made with, for the producers and the
    /// consumer the exactly-once mode makes.
    let configuration: KafkaConfiguration
    /// Set by ``attach(_:)``: the checkpoint's folder and identity and the transaction state.
    var exactlyOnce: ExactlyOnceState?
    /// How long ``attach(_:)`` may wait for the transaction coordinator.
    var attachTimeout = KafkaSink.defaultAttachTimeout

    /// `schema`: the query's output, which `key` must name (checked before the broker is asked).
    init(options: [String: String], schema: Schema? = nil) throws {
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
        self.configuration = configuration
    }

    func write(_ result: ResultBatch) throws { try write(result, stop: { false }) }

    /// How long a batch may wait for the broker to acknowledge its rows before the query fails.
    static let flushTimeout: Duration = .seconds(30)

    /// Sends the batch's rows and waits until the broker has acknowledged each one. A stop
    /// while waiting (a dead broker acknowledges nothing for message.timeout.ms) ends the wait
    /// at once with an error that says how many rows were not confirmed.
    func write(_ result: ResultBatch, stop: () -> Bool) throws {
        if exactlyOnce != nil { return try writeExactlyOnce(result, stop: stop) }
        let names = result.schema.fields.map(\.name)
        let keyIndex = keyIndex(in: result.schema)
        let failedBefore = producer.statistics.failed
        // The unacknowledged rows are dropped (they count as failed), so that closing the
        // producer afterwards does not wait for the broker either.
        func stopped() -> SinkError {
            let waiting = producer.inFlight
            producer.purge()
            return SinkError("kafka sink: stopped while \(waiting) rows of batch \(result.batchId) were not yet acknowledged by the broker for \(topic); they may or may not have been delivered")
        }
        for row in 0..<result.count {
            let value = Array(JSONText.object(names: names, columns: result.columns, row: row).utf8)
            let key = keyIndex.flatMap { Self.keyText(result.columns[$0], row).map { Array($0.utf8) } }
            do {
                try producer.send(topic: topic, key: key, value: value, giveUp: stop)
            } catch {
                // Given up on a full queue because of the stop, or refused (e.g. a row larger
                // than message.max.bytes).
                if stop() { throw stopped() }
                throw SinkError("kafka sink: row \(row) of batch \(result.batchId) cannot be sent to \(topic): \(error)")
            }
        }
        let clock = ContinuousClock()
        let deadline = clock.now + Self.flushTimeout
        while producer.inFlight > 0 {
            if stop() { throw stopped() }
            guard clock.now < deadline else {
                let waiting = producer.inFlight
                producer.purge()
                throw SinkError("kafka sink: \(waiting) rows of batch \(result.batchId) were not acknowledged by the broker for \(topic) within \(Self.flushTimeout)",
                                hint: "check that the broker is up and the topic exists")
            }
            producer.poll(timeout: .milliseconds(50))
        }
        producer.poll()
        let stats = producer.statistics
        if stats.failed > failedBefore {
            throw SinkError("kafka sink: \(stats.failed - failedBefore) rows of batch \(result.batchId) were not delivered to \(topic): \(stats.firstError.map { "\($0)" } ?? "")")
        }
    }

    /// The column whose text keys each record, if the `key` option names one.
    func keyIndex(in schema: Schema) -> Int? { keyColumn.flatMap { schema.index(of: $0) } }

    /// A row's key: the key column's text, nil for NULL.
    static func keyText(_ column: Column, _ row: Int) -> String? {
        column.isNull(row) ? nil : Cast.text(column, row)
    }
}
