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
        if plan.isAggregate {
            var aggregations: [Aggregation] = []
            plan.forEachNode { if case .aggregate(let a) = $0.operation { aggregations.append(a) } }
            if plan.hasChainedAggregation && mode != .append {
                throw SQLError("multiple streaming aggregations (stateful operators chained, or side by side in a UNION ALL) run only in OUTPUT MODE append, as in Spark",
                               at: location, hint: "START it with OUTPUT MODE append: each window is emitted once the watermark closes it")
            }
            if mode == .append && aggregations.contains(where: { $0.window == nil || !$0.usesWatermark }) {
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
