/// A generator of the select list (Spark's `Generate` node): each input row becomes zero or
/// more output rows, its columns repeated and the generated columns appended after them.
public struct GenerateSpec: Sendable {
    public enum Function: String, Sendable {
        /// `explode(array)` → `col`; `explode(map)` → `key`, `value`.
        case explode
        /// `posexplode`: as explode, with the 0-based position `pos` first.
        case posexplode
        /// `json_tuple(text, 'k1', 'k2', ...)`: one row, one STRING column per key.
        case jsonTuple = "json_tuple"
    }

    public internal(set) var function: Function
    /// `explode_outer` / `posexplode_outer`: a NULL or empty input gives one row of NULLs
    /// instead of none. json_tuple always gives exactly one row.
    public internal(set) var outer: Bool
    /// What is generated from, over the input's columns: an ARRAY or MAP (explode), or the
    /// JSON text (json_tuple).
    public internal(set) var argument: BoundExpression
    /// json_tuple's keys (top-level fields of the document), in output order.
    public internal(set) var keys: [String]
    /// The generated columns, appended after the input's in the node's schema.
    public internal(set) var fields: [Schema.Field]
    /// Input columns nothing above reads (set by pruning): emitted as NULLs rather than
    /// repeated, so exploding a large array does not copy the array once per element.
    public internal(set) var unread: [Int] = []

    /// Spark's name for the call, as EXPLAIN shows it.
    var sqlName: String {
        switch function {
        case .jsonTuple: "json_tuple"
        case .explode, .posexplode: function.rawValue + (outer ? "_outer" : "")
        }
    }
}
