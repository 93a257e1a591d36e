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
    /// As the console shows it: Spark's `+---+` table (and banner, for a batch).
    public var text: String

    public init(names: [String], columns: [Column], text: String) {
        self.names = names
        self.columns = columns
        self.text = text
    }
}

extension SessionOutput {
    /// The same output with `scrub` applied to every text it shows (the session removes
    /// secret option values this way).
    func scrubbed(_ scrub: (String) -> String) -> SessionOutput {
        func table(_ t: ResultTable) -> ResultTable { ResultTable(names: t.names, columns: t.columns, text: scrub(t.text)) }
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
