/// How the console shows a view's batches: Spark's `+---+` table, or a chart drawn from the
/// batch's rows (`START v USING console OPTIONS ('chart' = 'bar')`).
///
/// The kind is the console sink's first choice; the shell draws it (at the terminal's width)
/// and `:chart bar|line|off` switches it for a view without restarting the view.
public enum ChartKind: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Spark's table (the default).
    case table
    /// Horizontal bars of each numeric column, one row label per row.
    case bar
    /// Each numeric column over a time axis (a window's start, or a TIMESTAMP column).
    case line

    /// The console sink's option that chooses it.
    public static let optionName = "chart"

    public var description: String { rawValue }

    /// Reads the value of the `'chart'` option (any case); `off` is the table, as in `:chart off`.
    public init(option text: String) throws(ChartError) {
        let word = text.trimmingASCIIWhitespace().lowercased()
        if word == "off" {
            self = .table
            return
        }
        guard let kind = ChartKind(rawValue: word) else {
            throw ChartError("'chart' must be 'bar', 'line' or 'table', not '\(text)'",
                             hint: "'bar' draws a bar per numeric column and row, 'line' draws numbers over a window's start, 'table' is Spark's table")
        }
        self = kind
    }

    /// Checks that columns named `names` of `types` can be drawn this way, with an error that
    /// names the columns looked for and the view's own.
    public func check(names: [String], types: [SQLType], view: String) throws(ChartError) {
        let columns = zip(names, types).map { "\($0) \($1)" }.joined(separator: ", ")
        let shape = ChartShape(types: types)
        switch self {
        case .table:
            return
        case .bar:
            guard !shape.numeric.isEmpty else {
                throw ChartError("'chart' = 'bar' needs a numeric column (INT, BIGINT, FLOAT, DOUBLE or DECIMAL) to draw; \(view) has \(columns)",
                                 hint: "chart an aggregate such as count(*) or avg(...), or leave 'chart' out for the table")
            }
        case .line:
            guard shape.time != nil else {
                throw ChartError("'chart' = 'line' needs a time to draw over: a window column (window.start) or a TIMESTAMP column; \(view) has \(columns)",
                                 hint: "GROUP BY window(event_time, '1 minute') and select the window, or use 'chart' = 'bar'")
            }
            guard !shape.numeric.isEmpty else {
                throw ChartError("'chart' = 'line' needs a numeric column (INT, BIGINT, FLOAT, DOUBLE or DECIMAL) to draw over time; \(view) has \(columns)",
                                 hint: "chart an aggregate such as count(*) or avg(...) per window")
            }
        }
    }
}

/// What the console sink asked of the shell for one view's batches.
public struct ChartRequest: Sendable, Equatable {
    public var kind: ChartKind
    /// Rows drawn at most (the console's `numRows`): bars past it are left out, as table rows are.
    public var maxRows: Int

    public init(kind: ChartKind, maxRows: Int = 20) {
        self.kind = kind
        self.maxRows = maxRows
    }
}

/// A chart that cannot be drawn as asked, with what to do about it.
public struct ChartError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}

/// One batch drawn as a chart: a heading line (the view and the batch), then the chart's lines.
public enum ChartFrame {
    /// The frame for `columns` named `names`, every line ending with a newline; nil for
    /// `.table`, whose frame is the console's own text. Never traps, whatever the rows hold.
    public static func render(_ request: ChartRequest, view: String, batchId: Int64,
                              names: [String], columns: [Column], style: ChartStyle) -> String? {
        let lines: [String]
        switch request.kind {
        case .table:
            return nil
        case .bar:
            lines = BarChart(style: style, maxRows: request.maxRows).render(names: names, columns: columns)
        case .line:
            lines = LineChart(style: style).render(names: names, columns: columns)
        }
        let heading = TerminalText.truncate("\(view)\(style.glyphs.separator)batch \(batchId)", to: style.width, ellipsis: style.glyphs.ellipsis)
        // A plot's rows end in blank cells: cut, so that copied frames carry no trailing blanks.
        return ([heading] + lines).map { String($0.reversed().drop { $0 == " " }.reversed()) + "\n" }.joined()
    }
}
