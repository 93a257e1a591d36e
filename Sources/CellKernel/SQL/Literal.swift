/// A constant written in SQL text, typed as Spark types it.
enum Literal: Hashable, Sendable {
    case null
    case bool(Bool)
    /// An integer that fits BIGINT (Spark types small ones INT; the planner narrows).
    case integer(Int64)
    /// An exact decimal, kept as its text (sign included, `0.5` for `.5`) so that no digit is
    /// lost before the planner picks a precision and scale. Integers too big for BIGINT land
    /// here too, as in Spark.
    case decimal(String)
    case double(Double)
    case string(String)
}
