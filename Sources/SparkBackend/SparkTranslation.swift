import CellKernel
import SparkConnect

/// What a START becomes on Spark: the temp views its definitions need (each source read as a
/// stream, each stream decoded over it, each view's SQL), then the streaming writes: a memory
/// sink named after the view, which the shell reads each batch's table from, and the sink
/// START asked for, if Spark is to write one.
///
/// Pure: it builds protobuf messages and sends nothing, so every mapping can be checked field
/// by field without a server.
struct SparkTranslation {
    /// A temp view to create, and the notebook place its errors point at.
    struct View {
        var name: String
        var relation: Spark_Connect_Relation
        var place: ForeignDefinitions.Place
    }

    /// A streaming write to start.
    struct Write {
        var start: Spark_Connect_WriteStreamOperationStart
        /// The sink as START named it (`memory` for the table the shell reads).
        var connector: String
    }

    var views: [View]
    /// The memory sink first.
    var writes: [Write]
    /// The console sink's options, if START printed to the console: the shell prints each
    /// batch read back from the memory sink.
    var console: [String: String]?
    /// Where the started view was defined: Spark's complaints about its query point there.
    var startedPlace: ForeignDefinitions.Place

    /// The prefix of the temp view a stream's source is read into.
    static let sourcePrefix = "cells_source_"

    init(_ request: QueryRequest) throws(SparkTranslationError) {
        guard let definitions = request.definitions, let started = definitions.views.last else {
            throw SparkTranslationError("the view \(request.name) came without its definitions")
        }
        var views: [View] = []
        for stream in definitions.streams {
            let source = Self.sourceView(of: stream)
            views.append(View(name: source, relation: try Self.read(stream.source, place: stream.place), place: stream.place))
            views.append(View(name: stream.name, relation: try Self.decode(stream, from: source), place: stream.place))
        }
        // The started view is the memory sink's input, not a temp view: the memory sink
        // registers its table under the view's name.
        for view in definitions.views.dropLast() {
            views.append(View(name: view.name, relation: Self.sql(view.sql), place: view.place))
        }
        self.views = views

        var memory = Spark_Connect_WriteStreamOperationStart()
        memory.input = Self.sql(started.sql)
        memory.format = "memory"
        memory.queryName = request.name
        memory.outputMode = request.outputMode.rawValue
        Self.setTrigger(request.trigger, on: &memory)
        var writes = [Write(start: memory, connector: "memory")]
        var console: [String: String]?
        for sink in request.sinks {
            switch sink.connector.lowercased() {
            case "console": console = sink.options
            case "memory": break
            case "json", "csv", "kafka":
                writes.append(Write(start: try Self.sinkWrite(sink, of: started, request: request), connector: sink.connector.lowercased()))
            default:
                throw SparkTranslationError("the \(sink.connector) sink runs only on the local engine", hint: "SET ENGINE local, or use console, memory, json, csv or kafka")
            }
        }
        if let location = request.checkpointLocation {
            // The memory table is the shell's view of the query; what must survive a restart
            // is the sink's progress, so the checkpoint goes to the sink's query when there is one.
            if writes.count > 1 {
                writes[1].start.options["checkpointLocation"] = location
            } else if request.outputMode == .complete {
                writes[0].start.options["checkpointLocation"] = location
            } else {
                throw SparkTranslationError("Spark's memory sink resumes from a checkpoint only in complete mode",
                                            hint: "use OUTPUT MODE complete, or a json, csv or kafka sink, for a checkpointLocation on Spark")
            }
        }
        self.writes = writes
        self.console = console
        startedPlace = started.place
    }

    static func sourceView(of stream: ForeignDefinitions.Stream) -> String { sourcePrefix + stream.name }

    static func sql(_ query: String) -> Spark_Connect_Relation {
        var relation = Spark_Connect_Relation()
        relation.sql.query = query
        return relation
    }

    /// A source as Spark's streaming reader: Kafka with the same options (Spark reaches the
    /// brokers itself), files as text lines (`from_json` decodes them like Kafka's values).
    static func read(_ source: SourceDefinition, place: ForeignDefinitions.Place) throws(SparkTranslationError) -> Spark_Connect_Relation {
        var dataSource = Spark_Connect_Read.DataSource()
        switch source.connector.lowercased() {
        case "kafka":
            dataSource.format = "kafka"
            for (key, value) in source.options { dataSource.options[key] = value }
        case "file":
            dataSource.format = "text"
            for (key, value) in source.options {
                switch key.lowercased() {
                case "path": dataSource.paths = [value]
                case "maxoffsetspertrigger":
                    throw SparkTranslationError("the file source's 'maxOffsetsPerTrigger' (bytes per batch) has no Spark counterpart",
                                                hint: "Spark's file source bounds a batch by files ('maxFilesPerTrigger'); drop the option for Spark")
                default: dataSource.options[key] = value
                }
            }
        default:
            throw SparkTranslationError("the \(source.connector) source runs only on the local engine", hint: "SET ENGINE local")
        }
        var read = Spark_Connect_Read()
        read.dataSource = dataSource
        read.isStreaming = true
        var relation = Spark_Connect_Relation()
        relation.read = read
        return relation
    }

    /// A stream over its source's temp view: the record decoded by `from_json`, Kafka's own
    /// fields beside it, computed columns one layer each (a computed column sees the columns
    /// before it, and only those, by name), the columns in the stream's order, and the watermark.
    static func decode(_ stream: ForeignDefinitions.Stream, from source: String) throws(SparkTranslationError) -> Spark_Connect_Relation {
        guard stream.format == "json" else {
            throw SparkTranslationError("FORMAT \(stream.format) runs only on the local engine", hint: "Spark decodes FORMAT json here")
        }
        var options = ""
        if !stream.decoderOptions.isEmpty {
            let pairs = stream.decoderOptions.sorted { $0.key < $1.key }.map { "\(SparkSQLText.string($0.key)), \(SparkSQLText.string($0.value))" }
            options = ", map(" + pairs.joined(separator: ", ") + ")"
        }
        let decoded = "SELECT *, from_json(CAST(`value` AS STRING), \(SparkSQLText.string(stream.recordDDL))\(options)) AS `record` FROM \(SparkSQLText.identifier(source))"
        let plain = stream.columns.filter { !$0.isComputed }.map { "\($0.expression) AS \(SparkSQLText.identifier($0.name))" }
        var query = "SELECT " + plain.joined(separator: ", ") + " FROM (\(decoded))"
        for column in stream.columns where column.isComputed {
            query = "SELECT *, \(column.expression) AS \(SparkSQLText.identifier(column.name)) FROM (\(query))"
        }
        if stream.columns.contains(where: \.isComputed) {
            query = "SELECT " + stream.columns.map { SparkSQLText.identifier($0.name) }.joined(separator: ", ") + " FROM (\(query))"
        }
        let relation = sql(query)
        guard let watermark = stream.watermark else { return relation }
        var withWatermark = Spark_Connect_WithWatermark()
        withWatermark.input = relation
        withWatermark.eventTime = watermark.column
        withWatermark.delayThreshold = watermark.delay
        var watermarked = Spark_Connect_Relation()
        watermarked.withWatermark = withWatermark
        return watermarked
    }

    static func setTrigger(_ trigger: TriggerPolicy, on start: inout Spark_Connect_WriteStreamOperationStart) {
        switch trigger {
        case .once: start.once = true
        case .availableNow: start.availableNow = true
        case .processingTime(let micros): start.processingTimeInterval = SparkText.interval(micros: micros)
        }
    }

    /// A sink Spark writes itself: files as Spark's file sink, Kafka with a `value` column of
    /// each row as JSON (and the `key` option's column as the record key), as cells' own Kafka sink writes.
    static func sinkWrite(_ sink: SinkDefinition, of view: ForeignDefinitions.View, request: QueryRequest) throws(SparkTranslationError) -> Spark_Connect_WriteStreamOperationStart {
        guard request.checkpointLocation != nil else {
            throw SparkTranslationError("Spark's \(sink.connector) sink needs a checkpointLocation (a folder Spark can write)",
                                        hint: "add 'checkpointLocation' = '/path/on/the/cluster' to the START's OPTIONS")
        }
        var start = Spark_Connect_WriteStreamOperationStart()
        start.outputMode = request.outputMode.rawValue
        setTrigger(request.trigger, on: &start)
        let lowered = Dictionary(sink.options.map { ($0.key.lowercased(), ($0.key, $0.value)) }, uniquingKeysWith: { $1 })
        switch sink.connector.lowercased() {
        case "kafka":
            start.format = "kafka"
            var key = "NULL"
            for (lower, (name, value)) in lowered {
                if lower == "key" { key = "CAST(\(SparkSQLText.identifier(value)) AS STRING)" } else { start.options[name] = value }
            }
            start.input = sql("SELECT \(key) AS `key`, to_json(struct(*)) AS `value` FROM (\(view.sql)) AS `cells_result`")
        default:
            start.format = sink.connector.lowercased()
            start.input = sql(view.sql)
            for (lower, (name, value)) in lowered {
                if lower == "path" { start.path = value } else { start.options[name] = value }
            }
            // cells' CSV sink writes a header by default; Spark's does not.
            if start.format == "csv", lowered["header"] == nil { start.options["header"] = "true" }
        }
        return start
    }
}

/// A START that cannot run on Spark, and what to do instead.
struct SparkTranslationError: Error, Sendable, CustomStringConvertible {
    var message: String
    var hint: String?

    init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    var description: String { message + (hint.map { " (\($0))" } ?? "") }
}
