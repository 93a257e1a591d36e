/// The aggregate functions, with Spark's result types.
public enum AggregateFunction: String, Sendable, Hashable {
    case countAll = "count(*)"
    case count, countDistinct, sum, avg, min, max, approxCountDistinct

    /// The result type for an argument of type `input` (nil for `count(*)`).
    func resultType(for input: SQLType?) -> SQLType {
        switch self {
        case .countAll, .count, .countDistinct, .approxCountDistinct: .bigint
        case .sum:
            switch input {
            case .int?, .bigint?: .bigint
            // Spark's Sum and Average: DECIMAL(p + 10, s) and DECIMAL(p + 4, s + 4), bounded by 38.
            case .decimal(let p, let s)?: .decimal(precision: Swift.min(p + 10, 38), scale: s)
            default: .double
            }
        case .avg:
            if case .decimal(let p, let s)? = input { .decimal(precision: Swift.min(p + 4, 38), scale: Swift.min(s + 4, 38)) } else { .double }
        case .min, .max: input ?? .null
        }
    }
}

/// One aggregate of a query: its function, its argument, where its result goes.
public struct AggregateSpec: Sendable, Hashable {
    public internal(set) var function: AggregateFunction
    public internal(set) var argument: BoundExpression?
    public internal(set) var resultType: SQLType

    init(_ function: AggregateFunction, _ argument: BoundExpression?) {
        self.function = function
        self.argument = argument
        resultType = function.resultType(for: argument?.type)
    }
}
