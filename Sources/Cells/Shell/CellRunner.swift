import CellKernel

/// Runs a cell's SQL against the session, the same way for the shell and for `cells run --all`:
/// statement by statement, a foreground stream redrawn in place on a terminal until its
/// trigger, its limit or Ctrl-C ends it.
struct CellRunner {
    let session: CellSession
    let screen: Screen
    let signals: SignalWatcher

    /// What stopped a run early.
    enum Outcome: Equatable {
        case completed
        /// Ctrl-C stopped a stream (or a statement); the statements after it did not run.
        case interrupted
    }

    /// Runs every statement of `text` in order and stops at the first error.
    ///
    /// - Parameters:
    ///   - origin: where `text` starts in `source`, so errors point at the file's line.
    ///   - source: the whole notebook, which errors quote.
    func run(_ text: String, origin: SourceLocation = .start, source: String? = nil,
             file: String? = nil) throws(CellError) -> Outcome {
        let source = source ?? text
        let statements: [SQLStatement]
        do {
            statements = try SQLParser.parseScript(text, environment: session.environment, origin: origin)
        } catch {
            throw .sql(error, source: source, file: file)
        }
        return try run(statements, source: source, file: file)
    }

    /// Runs statements already parsed from `source`.
    func run(_ statements: [SQLStatement], source: String, file: String?) throws(CellError) -> Outcome {
        for statement in statements {
            let stop = { signals.isStopRequested }
            if let view = statement.foregroundStartView {
                try screen.redrawing { () throws(CellError) in
                    try session.execute(statement, source: source, file: file, shouldStop: stop)
                }
                if signals.consume() {
                    if screen.isTerminal { screen.line() }  // after the ^C the terminal echoed
                    screen.line("stopped \(view): its last result stays in the table \(view) (SELECT * FROM \(view))")
                    return .interrupted
                }
            } else {
                try session.execute(statement, source: source, file: file, shouldStop: stop)
                if signals.consume() { return .interrupted }
            }
        }
        return .completed
    }

    /// Words worth completing: keywords, the session's names, and `extra` (shell commands).
    static func completions(session: CellSession, extra: [String]) -> [String] {
        extra + session.knownNames + SQLParser.keywords + CellSession.functionNames + Self.otherWords
    }

    /// Words the grammar reads as names rather than keywords: types, connectors, sinks, modes.
    private static let otherWords = [
        "STRING", "BOOLEAN", "INT", "BIGINT", "FLOAT", "DOUBLE", "DECIMAL", "DATE", "TIMESTAMP",
        "kafka", "file", "json", "console", "memory", "csv", "complete", "update", "append",
    ]
}
