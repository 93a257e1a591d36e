/// Spark's rules on which output modes a streaming query allows.
enum OutputModeRules {
    /// Complete for an aggregation, append otherwise, and append for chained aggregations
    /// (the only mode Spark runs them in).
    static func defaultMode(_ plan: LogicalPlan) -> OutputMode {
        guard plan.isAggregate else { return .append }
        return plan.hasChainedAggregation ? .append : .complete
    }

    static func check(_ plan: LogicalPlan, mode: OutputMode, at location: SourceLocation) throws(SQLError) {
        var top = plan
        var sorts = false, limited = false
        // ORDER BY and LIMIT apply to each batch's result: they may only stand at the top.
        while true {
            if case .sort = top.operation { sorts = true } else if case .limit = top.operation { limited = true } else { break }
            top = top.inputs[0]
        }
        var buried = false
        top.forEachNode { node in
            switch node.operation {
            case .sort, .limit: buried = true
            default: break
            }
        }
        if buried {
            throw SQLError("ORDER BY and LIMIT inside a subquery or a view read by another one are not supported on streams",
                           at: location, hint: "sort and limit in the outermost query only (Spark sorts a stream only after an aggregation, in complete mode)")
        }
        try checkJoins(plan, mode: mode, at: location)
        if plan.isAggregate {
            var aggregations: [Aggregation] = []
            plan.forEachNode { if case .aggregate(let a) = $0.operation { aggregations.append(a) } }
            if plan.hasChainedAggregation && mode != .append {
                throw SQLError("multiple streaming aggregations (stateful operators chained, or side by side in a UNION ALL) run only in OUTPUT MODE append, as in Spark",
                               at: location, hint: "START it with OUTPUT MODE append: each window is emitted once the watermark closes it")
            }
            try checkSessions(aggregations, mode: mode, at: location)
            if mode == .append && aggregations.contains(where: { ($0.window == nil && $0.session == nil) || !$0.usesWatermark }) {
                throw SQLError("append mode needs a watermark on a windowed aggregation: without one, no group is ever final",
                               at: location, hint: "use OUTPUT MODE complete or update, or add WATERMARK col DELAY '...' to the stream and group by window(col, ...)")
            }
            if sorts && mode != .complete {
                throw SQLError("ORDER BY on a stream needs OUTPUT MODE complete", at: location)
            }
            if limited && mode == .update {
                throw SQLError("LIMIT is not supported in update mode", at: location, hint: "use OUTPUT MODE complete")
            }
        } else {
            if mode == .complete {
                throw SQLError("complete mode needs an aggregation: a plain stream has no complete result", at: location,
                               hint: "use OUTPUT MODE append")
            }
            if sorts {
                throw SQLError("ORDER BY on a stream is only supported after an aggregation, in complete mode", at: location)
            }
        }
    }
}

extension OutputModeRules {
    /// Spark's rules for joins in a streaming query (UnsupportedOperationChecker): a stream
    /// joined with a table is stateless, with the stream on the preserved side of an outer join;
    /// two streams join only in append mode, and an outer join of them needs watermarks on both
    /// and a time range in the ON condition to know when a row will never match.
    static func checkJoins(_ plan: LogicalPlan, mode: OutputMode, at location: SourceLocation) throws(SQLError) {
        var failure: SQLError?
        plan.forEachNode { node in
            guard failure == nil, case .join(let spec) = node.operation else { return }
            let leftStreams = !node.inputs[0].streams.isEmpty, rightStreams = !node.inputs[1].streams.isEmpty
            let kindName = spec.kind == .leftOuter ? "LeftOuter" : "RightOuter"
            if leftStreams != rightStreams {
                if (spec.kind == .leftOuter && rightStreams) || (spec.kind == .rightOuter && leftStreams) {
                    failure = SQLError("\(kindName) join with a streaming DataFrame/Dataset on the \(rightStreams ? "right" : "left") and a static DataFrame/Dataset on the \(rightStreams ? "left" : "right") is not supported",
                                       at: location, hint: "put the stream on the preserved side: stream LEFT JOIN table, or table RIGHT JOIN stream (or use an INNER JOIN)")
                }
                return
            }
            guard leftStreams && rightStreams else { return }
            if mode != .append {
                failure = SQLError("Join between two streaming DataFrames/Datasets is not supported in \(mode == .complete ? "Complete" : "Update") output mode, only in Append output mode",
                                   at: location, hint: "START it with OUTPUT MODE append")
                return
            }
            if spec.kind != .inner {
                let range = spec.timeRange
                let watermarked = node.inputs[0].eventTime != nil && node.inputs[1].eventTime != nil
                let bounded = range.map { $0.lowerMicros != .min && $0.upperMicros != .max } ?? false
                if !watermarked || !bounded {
                    failure = SQLError("Stream-stream \(kindName) join between two streaming DataFrame/Datasets is not supported without a watermark in the join keys, or a watermark on the nullable side and an appropriate range condition",
                                       at: location, hint: "give both streams a WATERMARK and bound the event times in ON, e.g. r.t BETWEEN l.t AND l.t + INTERVAL 10 MINUTES")
                }
            }
        }
        if let failure { throw failure }
    }
}

extension LogicalPlan {
    /// Whether an aggregation reads another's result, or a union joins aggregations.
    var hasChainedAggregation: Bool {
        func aggregations(_ node: LogicalPlan) -> Int {
            let below = node.inputs.map(aggregations)
            let here: Int
            if case .aggregate = node.operation { here = 1 } else { here = 0 }
            if case .unionAll = node.operation { return below.reduce(0, +) }
            return here + (below.max() ?? 0)
        }
        var union = false
        forEachNode { node in
            if case .unionAll = node.operation, node.inputs.contains(where: \.isAggregate) { union = true }
        }
        return aggregations(self) > 1 || union
    }
}

extension OutputModeRules {
    /// Spark's rules for `session_window` on a stream: no update mode (SPARK-36463: a
    /// session's start, its key, changes as sessions merge, so its rows cannot be upserted),
    /// and at least one key besides the session (a global session window is for batch
    /// queries only; SELECT at the prompt over a table takes one).
    static func checkSessions(_ aggregations: [Aggregation], mode: OutputMode, at location: SourceLocation) throws(SQLError) {
        for aggregation in aggregations where aggregation.session != nil {
            if mode == .update {
                throw SQLError("Update output mode is not supported for a streaming aggregation with session_window(), as in Spark",
                               at: location, hint: "use OUTPUT MODE append (each session emitted once, when the watermark passes its end) or complete")
            }
            if aggregation.keys.count == 1 {
                throw SQLError("session_window() on a stream needs at least one more GROUP BY key, as in Spark (a global session window is for batch queries only)",
                               at: location, hint: "group by a key as well, e.g. GROUP BY card_number, session_window(event_time, '5 minutes')")
            }
        }
    }
}
