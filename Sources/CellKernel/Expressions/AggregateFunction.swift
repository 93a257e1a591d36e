/// The aggregate functions, with Spark's result types.
///
/// The raw value names the aggregate in a state snapshot and a plan signature, so each is
/// distinct and never changes: `first ignore nulls` is a function of its own, so a checkpoint
/// of `first(x)` does not restore into `first(x, true)`.
public enum AggregateFunction: String, Sendable, Hashable {
    case countAll = "count(*)"
    case count, countDistinct, sum, avg, min, max, approxCountDistinct
    /// `sum(DISTINCT x)`, `avg(DISTINCT x)`: the distinct values are kept, summed at the end.
    case sumDistinct = "sum(DISTINCT)", avgDistinct = "avg(DISTINCT)"
    /// Central moments (Spark's CentralMomentAgg): count, mean and M2 merged as Chan et al.
    case stddevSamp = "stddev_samp", stddevPop = "stddev_pop", varSamp = "var_samp", varPop = "var_pop"
    case countIf = "count_if", boolAnd = "bool_and", boolOr = "bool_or"
    case first, last
    case firstIgnoreNulls = "first ignore nulls", lastIgnoreNulls = "last ignore nulls"
    /// `min_by(x, y)` / `max_by(x, y)`: x of the row with the least / greatest y.
    case minBy = "min_by", maxBy = "max_by"
    /// `percentile_approx(x, p, accuracy)`: ``AggregateSpec/parameters`` are p and accuracy.
    case percentileApprox = "percentile_approx"
    /// `collect_list(x)` (alias `array_agg`) / `collect_set(x)`: x's non-NULL values as an ARRAY.
    case collectList = "collect_list", collectSet = "collect_set"

    /// The result type for an argument of type `input` (nil for `count(*)`).
    func resultType(for input: SQLType?) -> SQLType {
        switch self {
        case .countAll, .count, .countDistinct, .approxCountDistinct, .countIf: .bigint
        case .sum, .sumDistinct:
            switch input {
            case .int?, .bigint?: .bigint
            // Spark's Sum and Average: DECIMAL(p + 10, s) and DECIMAL(p + 4, s + 4), bounded by 38.
            case .decimal(let p, let s)?: .decimal(precision: Swift.min(p + 10, 38), scale: s)
            default: .double
            }
        case .avg, .avgDistinct:
            if case .decimal(let p, let s)? = input { .decimal(precision: Swift.min(p + 4, 38), scale: Swift.min(s + 4, 38)) } else { .double }
        case .min, .max, .first, .last, .firstIgnoreNulls, .lastIgnoreNulls, .minBy, .maxBy, .percentileApprox: input ?? .null
        case .stddevSamp, .stddevPop, .varSamp, .varPop: .double
        case .boolAnd, .boolOr: .boolean
        case .collectList, .collectSet: .array(input ?? .null)
        }
    }

    /// Whether the aggregate keeps one value of its argument's type per group (and, for
    /// min_by/max_by, one of its ordering's) in ``ValueSlots``.
    var keepsValues: Bool {
        switch self {
        case .first, .last, .firstIgnoreNulls, .lastIgnoreNulls, .minBy, .maxBy: true
        default: false
        }
    }

    /// Whether the aggregate collects its argument's values (``CollectedValues``).
    var collects: Bool { self == .collectList || self == .collectSet }
}

/// One aggregate of a query: its function, its argument, where its result goes.
public struct AggregateSpec: Sendable, Hashable {
    public internal(set) var function: AggregateFunction
    public internal(set) var argument: BoundExpression?
    /// The second argument of `min_by(x, y)` / `max_by(x, y)`: the `y` that picks the row.
    public internal(set) var ordering: BoundExpression?
    /// Literal parameters: percentile_approx's percentage and accuracy.
    public internal(set) var parameters: [Double]
    public internal(set) var resultType: SQLType

    init(_ function: AggregateFunction, _ argument: BoundExpression?, ordering: BoundExpression? = nil, parameters: [Double] = []) {
        self.function = function
        self.argument = argument
        self.ordering = ordering
        self.parameters = parameters
        resultType = function.resultType(for: argument?.type)
    }
}
