extension FunctionRegistry {
    /// Aggregates; ``ViewPlanner`` binds their calls (count(*), DISTINCT, one argument).
    static let aggregateFunctions: [FunctionEntry] = [
        .aggregate("count", function: .count),
        .aggregate("sum", function: .sum),
        .aggregate("avg", "mean", function: .avg),
        .aggregate("min", function: .min),
        .aggregate("max", function: .max),
        .aggregate("approx_count_distinct", function: .approxCountDistinct),
    ]
}
