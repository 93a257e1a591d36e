/// Prints each micro-batch as Spark's console sink does: a `Batch: N` banner and a table.
/// Options: `numRows` (default 20), `truncate` (default true), and cells' own `chart`
/// (`table`, the default; `bar`; `line`), which the shell draws instead of the table.
final class ConsoleSink: QuerySink, Sendable {
    private let table: ConsoleTable
    private let view: String
    private let chart: ChartRequest
    private let output: @Sendable (SessionOutput) -> Void

    /// - Parameter schema: the view's columns, when known before the first batch: a chart that
    ///   cannot be drawn from them is refused here, at START.
    init(options: [String: String], view: String, schema: Schema? = nil, output: @escaping @Sendable (SessionOutput) -> Void) throws {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        let numRows = try lowered["numrows"].map { text in
            Int(try OptionValues.forSink { try OptionValues.integer(text, option: "numRows", in: 1...Int64(Int32.max), meaning: "rows shown per batch") })
        } ?? 20
        let truncate: Int = switch lowered["truncate"]?.lowercased() {
        case nil, "true": 20
        case "false": 0
        case let other?: try Int(other).flatMap { $0 >= 0 && $0 <= 1_000_000 ? $0 : nil } ?? { throw SinkError("'truncate' must be true, false or a width from 0 to 1000000, not '\(other)'", option: "truncate") }()
        }
        table = ConsoleTable(numRows: numRows, truncate: truncate)
        let kind: ChartKind
        do throws(ChartError) {
            kind = try lowered[ChartKind.optionName].map { (text) throws(ChartError) in try ChartKind(option: text) } ?? .table
            if let schema { try kind.check(names: schema.fields.map(\.name), types: schema.fields.map(\.type), view: view) }
        } catch {
            throw SinkError(error.message, hint: error.hint, option: ChartKind.optionName)
        }
        chart = ChartRequest(kind: kind, maxRows: numRows)
        self.view = view
        self.output = output
    }

    func write(_ result: ResultBatch) throws {
        show(Batch(schema: result.schema, columns: result.columns), batchId: result.batchId)
    }

    func show(_ batch: Batch, batchId: Int64) {
        let names = batch.schema.fields.map(\.name)
        let text = ConsoleTable.banner(batch: batchId) + table.render(names: names, columns: batch.columns)
        output(.batch(view: view, batchId: batchId, table: ResultTable(names: names, columns: batch.columns, text: text, chart: chart)))
    }
}

/// A sink that cannot be opened or written, with what to do about it.
struct SinkError: Error, Sendable, CustomStringConvertible {
    var description: String
    var hint: String?
    /// The option whose value is at fault: the session reports the error at it.
    var option: String?
    init(_ description: String, hint: String? = nil, option: String? = nil) {
        self.description = description
        self.hint = hint
        self.option = option
    }
}

// Sinks read their options with the sources' checks; the errors they throw name a sink.
extension OptionValues {
    /// Runs `body` with source errors turned into sink errors (same message and option).
    static func forSink<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as SourceError {
            throw SinkError(error.message, hint: error.hint, option: error.option)
        }
    }
}

/// The console sink for an engine that runs the query elsewhere and reads each batch's rows
/// back (Spark): the same options, banner and table as the local engine's console.
public struct ConsolePrinter: Sendable {
    private let sink: ConsoleSink

    /// Checks the console sink's options (`numRows`, `truncate`, `chart`), as START on the local
    /// engine does; with the view's `schema`, also that its chart can be drawn from it.
    public init(options: [String: String], view: String, schema: Schema? = nil, output: @escaping @Sendable (SessionOutput) -> Void) throws {
        sink = try ConsoleSink(options: options, view: view, schema: schema, output: output)
    }

    /// Prints one batch under its `Batch: N` banner.
    public func print(_ batch: Batch, batchId: Int64) {
        sink.show(batch, batchId: batchId)
    }
}
