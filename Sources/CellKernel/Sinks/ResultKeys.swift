/// How the rows of a query's result are told apart: what a sink that keeps the current result
/// (a database table in update mode) replaces rows by.
enum ResultKeys: Sendable, Hashable {
    /// The rows are not an aggregation's groups (a projection or filter of the stream): each
    /// one is new.
    case none
    /// The rows are an aggregation's groups, told apart by these output columns (none for a
    /// global aggregate, whose one row is replaced).
    case columns([Int])
    /// The rows are an aggregation's groups, but `missing` of its GROUP BY keys are not
    /// output columns (`window.end AS e` is computed from the key, not the key): rows of
    /// different groups may look alike.
    case incomplete(present: [Int], missing: Int)
}
