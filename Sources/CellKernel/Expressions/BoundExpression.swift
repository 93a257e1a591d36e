/// An expression whose names are resolved to column positions and whose types are known:
/// what the planner makes of the parser's AST, and what operators evaluate.
public indirect enum BoundExpression: Sendable, Hashable {
    case column(Int, SQLType)
    case literal(Value, SQLType)
    case call(ScalarFunction, [BoundExpression], SQLType)

    public var type: SQLType {
        switch self {
        case .column(_, let t), .literal(_, let t), .call(_, _, let t): t
        }
    }
}

/// The scalar functions and operators the evaluator implements. The planner has already
/// coerced the arguments to common types, so each case is one loop per physical storage.
public enum ScalarFunction: Sendable, Hashable {
    case add, subtract, multiply, divide, remainder, negate
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual, nullSafeEqual
    case and, or, not
    case isNull, isNotNull
    /// Converts the single argument to the call's type, with Spark's non-ANSI rules: a value
    /// that does not convert becomes NULL.
    case cast
    case coalesce
    /// `in`: the first argument against the rest.
    case inList
    /// `CASE WHEN c1 THEN v1 ... ELSE e END`: arguments c1, v1, c2, v2, ..., e.
    case caseWhen
    /// `CASE x WHEN a1 THEN v1 ... ELSE e END`: arguments x, a1, v1, a2, v2, ..., e, all of
    /// x and the a's of one type. The subject is one argument, not one copy per branch, so
    /// nested CASEs stay linear in size.
    case simpleCase
    /// `x BETWEEN lower AND upper`: arguments x, lower, upper of one type; one argument for x
    /// (rather than `x >= lower AND x <= upper`) so that nested BETWEENs stay linear in size.
    case between
    case translate, replace, upper, lower, concat, length
    /// The start of the tumbling window of `size` µs (shifted by `offset`) holding a timestamp.
    case windowStart(size: Int64, offset: Int64)
    /// Functions off the hot path, evaluated a row at a time.
    case row(RowFunction)
    /// Functions over STRUCT, ARRAY and MAP values, on their encoded bytes.
    case nested(NestedFunction)
}
