/// The SQL types of Spark's dialect that cells supports, and how each is stored.
///
/// Storage is deliberately narrow: every type lives in one of four physical vectors (see
/// ``Column``), so operators are written once per vector, not once per SQL type.
public enum SQLType: Hashable, Sendable, CustomStringConvertible {
    case string
    case boolean
    /// 32-bit integer, stored widened to Int64 (overflow follows Spark's non-ANSI wrap on CAST).
    case int
    case bigint
    /// 32-bit float, stored as the Double nearest to the Float value, so arithmetic matches
    /// Spark's float-then-widen results exactly.
    case float
    case double
    /// Fixed point with `precision` digits (1...38, Spark's range), `scale` after the point;
    /// stored as an Int128 of unscaled units, so every DECIMAL(38, s) value and every
    /// intermediate Spark's rules allow is exact.
    case decimal(precision: Int, scale: Int)
    /// Days since 1970-01-01, stored in Int64.
    case date
    /// Microseconds since the Unix epoch, UTC, stored in Int64 (Spark's precision).
    case timestamp
    /// The type of a literal NULL before it meets another type.
    case null

    public var description: String {
        switch self {
        case .string: "STRING"
        case .boolean: "BOOLEAN"
        case .int: "INT"
        case .bigint: "BIGINT"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .decimal(let p, let s): "DECIMAL(\(p),\(s))"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .null: "NULL"
        }
    }

    /// The physical vector a column of this type uses.
    public var storage: StorageKind {
        switch self {
        case .string: .bytes
        case .boolean: .bool
        case .int, .bigint, .date, .timestamp: .int64
        case .decimal: .int128
        case .float, .double: .double
        case .null: .int64
        }
    }

    public var isNumeric: Bool {
        switch self {
        case .int, .bigint, .float, .double, .decimal: true
        default: false
        }
    }
}

/// The physical representations of column data.
public enum StorageKind: Sendable, Hashable {
    case int64, int128, double, bool, bytes
}
