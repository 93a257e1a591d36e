extension FunctionRegistry {
    /// Aggregates; ``ViewPlanner`` binds their calls (count(*), DISTINCT, their arguments).
    static let aggregateFunctions: [FunctionEntry] = [
        .aggregate("count", function: .count),
        .aggregate("sum", function: .sum),
        .aggregate("avg", "mean", function: .avg),
        .aggregate("min", function: .min),
        .aggregate("max", function: .max),
        .aggregate("approx_count_distinct", function: .approxCountDistinct),
        .aggregate("stddev", "stddev_samp", "std", function: .stddevSamp),
        .aggregate("stddev_pop", function: .stddevPop),
        .aggregate("variance", "var_samp", function: .varSamp),
        .aggregate("var_pop", function: .varPop),
        .aggregate("count_if", function: .countIf),
        .aggregate("bool_and", "every", function: .boolAnd),
        .aggregate("bool_or", "some", "any", function: .boolOr),
        .aggregate("first", "first_value", function: .first),
        .aggregate("last", "last_value", function: .last),
        .aggregate("min_by", function: .minBy),
        .aggregate("max_by", function: .maxBy),
        .aggregate("percentile_approx", "approx_percentile", function: .percentileApprox),
        .aggregate("collect_list", "array_agg", function: .collectList),
        .aggregate("collect_set", function: .collectSet),
    ]
}
