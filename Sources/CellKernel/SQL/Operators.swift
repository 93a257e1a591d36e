/// Prefix operators.
enum UnaryOperator: String, Hashable, Sendable {
    /// `NOT x` (also `!x`).
    case not
    /// `-x`. A minus directly before a number is folded into the literal instead, as Spark's
    /// grammar does, so `-5` is the literal -5.
    case negate
    /// `+x`.
    case plus
}

/// Infix operators, from lowest to highest precedence group.
enum BinaryOperator: String, Hashable, Sendable {
    case or, and
    /// `=` and `==`.
    case equal
    /// `<=>`: equal, with NULL equal to NULL.
    case nullSafeEqual
    /// `<>` and `!=`.
    case notEqual
    case lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual
    case add, subtract
    /// `||`, which Spark reads as `concat(a, b)`.
    case concat
    case multiply, divide, remainder
    /// `DIV`: integral division.
    case integerDivide

    /// True for the operators that compare two values.
    var isComparison: Bool {
        switch self {
        case .equal, .nullSafeEqual, .notEqual, .lessThan, .lessThanOrEqual, .greaterThan,
            .greaterThanOrEqual:
            true
        default:
            false
        }
    }
}
