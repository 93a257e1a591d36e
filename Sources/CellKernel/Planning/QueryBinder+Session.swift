/// `session_window(timeColumn, gapDuration)` in GROUP BY (Spark 3.2+): per key, a session
/// starts at an event and ends `gap` after the last event in it; events within `gap` of each
/// other share a session. The aggregation keeps the event time as the session's key (the
/// session operator replaces it by the session's start) and outputs the session's end as a
/// column after the aggregates, so `session_window` reads like `window`: bare, it is the
/// start (named `session_window`); `session_window.start` and `session_window.end` are its
/// bounds.
extension QueryBinder {
    /// The event time (a TIMESTAMP) and the gap of `session_window(...)`.
    func sessionWindow(_ call: FunctionCall, scope: Binder, at: SourceLocation) throws(SQLError) -> (time: BoundExpression, gapMicros: Int64) {
        guard call.arguments.count == 2 else {
            throw SQLError("session_window() takes a time column and a gap duration", at: at, length: 14,
                           hint: "session_window(event_time, '5 minutes')")
        }
        let time = try scope.bind(call.arguments[0])
        let timestamp = time.type == .timestamp ? time : time.type == .string || time.type == .date ? TypeCoercion.cast(time, to: .timestamp) : nil
        guard let timestamp else {
            throw SQLError("session_window() needs a TIMESTAMP, but \(call.arguments[0].sqlText) is \(time.type)", at: call.arguments[0].location,
                           hint: "make one in the stream, e.g. event_time AS to_timestamp(concat(dia_compra, ' ', horario_compra))")
        }
        let gap = call.arguments[1]
        guard case .literal(.string(let text)) = gap.kind else {
            // Spark also takes an expression per row (a gap <= 0 or NULL drops the row): not here yet.
            throw SQLError("session_window() needs a literal gap duration such as '5 minutes'; a gap computed per row is not supported",
                           at: gap.location, hint: "write the gap as a string literal")
        }
        guard let micros = parseIntervalMicroseconds(text) else {
            if intervalExceedsRange(text) {
                throw SQLError("'\(text)' is longer than the longest duration a TIMESTAMP can span (2^63 microseconds, about 106751991 days)",
                               at: gap.location)
            }
            throw SQLError("session_window() needs a gap duration such as '5 minutes' here", at: gap.location)
        }
        // Deliberately stricter than Spark, whose literal gap <= 0 silently drops every row.
        guard micros > 0 else {
            throw SQLError("the session gap ('\(text)') must be greater than 0", at: gap.location)
        }
        return (timestamp, micros)
    }

    /// What `session_window.start` and `session_window.end` (and the same written through the
    /// GROUP BY expression) read over the aggregation's output.
    static func sessionReplacements(_ groupBy: SQLExpression, start: Int, end: Int) -> [(SQLExpression, BoundExpression)] {
        let startColumn = BoundExpression.column(start, .timestamp), endColumn = BoundExpression.column(end, .timestamp)
        let at = groupBy.location
        let bare = SQLExpression(.column(qualifier: nil, name: "session_window"), at: at)
        return [
            (SQLExpression(.field(groupBy, name: "start"), at: at), startColumn),
            (SQLExpression(.field(groupBy, name: "end"), at: at), endColumn),
            (SQLExpression(.field(bare, name: "start"), at: at), startColumn),
            (SQLExpression(.field(bare, name: "end"), at: at), endColumn),
            (SQLExpression(.column(qualifier: "session_window", name: "start"), at: at), startColumn),
            (SQLExpression(.column(qualifier: "session_window", name: "end"), at: at), endColumn),
        ]
    }
}
