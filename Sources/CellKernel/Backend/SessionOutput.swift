/// What a session tells its user, as values: the shell decides how to show them (a table
/// redrawn in place on a terminal, appended in a log), and a library user can read the rows.
///
/// Each carries its text as the console shows it (Spark's look, secrets scrubbed): ``text``.
public enum SessionOutput: Sendable {
    /// A line of the session's own: what a definition made, a START or STOP.
    case message(String)
    /// A table shown once: SELECT, SHOW, DESCRIBE.
    case table(ResultTable)
    /// A plan, as EXPLAIN prints it.
    case plan(logical: String, physical: String)
    /// One micro-batch's result at a console sink, under Spark's `Batch: N` banner.
    case batch(view: String, batchId: Int64, table: ResultTable)
    /// What one micro-batch did: the line under the table.
    case progress(view: String, BatchProgress)
    /// A source's line for the user about itself (a broker that stopped answering, and came
    /// back); from a background query, with its view's name before it.
    case notice(view: String?, String)
    /// A background query stopped on an error.
    case failure(view: String, place: String, message: String)

    /// The output as the console shows it.
    public var text: String {
        switch self {
        case .message(let line): line + "\n"
        case .table(let table): table.text
        case .plan(let logical, let physical): "== Logical plan ==\n" + logical + "== Physical plan ==\n" + physical
        case .batch(_, _, let table): table.text
        case .progress(_, let progress): progress.line + "\n"
        case .notice(let view?, let line): "\(view): \(line)\n"
        case .notice(nil, let line): line + "\n"
        case .failure(let view, let place, let message): "\(place): error: \(view) stopped: \(message)\n"
        }
    }
}

/// Rows to show, with their rendering.
public struct ResultTable: Sendable {
    public var names: [String]
    public var columns: [Column]
    /// As the console shows it: Spark's `+---+` table (and banner, for a batch), whatever
    /// chart the sink asked for (a chart's width is the terminal's: see ``frame(_:view:batchId:style:)``).
    public var text: String
    /// How the console sink asked for a batch's rows to be drawn (`'chart'`); nil for rows
    /// shown once (SELECT, SHOW).
    public var chart: ChartRequest?
    /// The session's scrubbing of secrets from what it shows, kept for text drawn later from
    /// these rows (a chart).
    var redact: @Sendable (String) -> String = { $0 }

    public init(names: [String], columns: [Column], text: String, chart: ChartRequest? = nil) {
        self.names = names
        self.columns = columns
        self.text = text
        self.chart = chart
    }

    /// The rows drawn as `request` asks, under a heading with `view` and `batchId` (``text``
    /// for the table), the session's secrets scrubbed from it as they are from ``text``.
    public func frame(_ request: ChartRequest, view: String, batchId: Int64, style: ChartStyle) -> String {
        ChartFrame.render(request, view: view, batchId: batchId, names: names, columns: columns, style: style).map(redact) ?? text
    }
}

extension SessionOutput {
    /// The same output with `scrub` applied to every text it shows (the session removes
    /// secret option values this way).
    func scrubbed(_ scrub: @escaping @Sendable (String) -> String) -> SessionOutput {
        func table(_ t: ResultTable) -> ResultTable {
            var scrubbed = t
            scrubbed.text = scrub(t.text)
            let earlier = t.redact
            scrubbed.redact = { scrub(earlier($0)) }
            return scrubbed
        }
        return switch self {
        case .message(let line): .message(scrub(line))
        case .table(let t): .table(table(t))
        case .plan(let logical, let physical): .plan(logical: scrub(logical), physical: scrub(physical))
        case .batch(let view, let id, let t): .batch(view: view, batchId: id, table: table(t))
        case .progress: self
        case .notice(let view, let line): .notice(view: view, scrub(line))
        case .failure(let view, let place, let message): .failure(view: view, place: place, message: scrub(message))
        }
    }
}
