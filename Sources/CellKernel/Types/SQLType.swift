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
    /// A record of named, typed fields; each value is one ``NestedEncoding`` slice in `.bytes`.
    indirect case `struct`([StructField])
    /// A list of elements of one type (elements may be NULL), encoded as ``NestedEncoding``.
    indirect case array(SQLType)
    /// Key/value pairs (keys never NULL, as Spark), encoded as ``NestedEncoding``.
    indirect case map(key: SQLType, value: SQLType)

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
        case .struct(let fields): "STRUCT<\(fields.map { "\($0.name): \($0.type)" }.joined(separator: ", "))>"
        case .array(let element): "ARRAY<\(element)>"
        case .map(let key, let value): "MAP<\(key), \(value)>"
        }
    }

    /// True for STRUCT, ARRAY and MAP.
    public var isNested: Bool {
        switch self {
        case .struct, .array, .map: true
        default: false
        }
    }

    /// How many nested levels the type has (a scalar is 0): bounded when parsed and decoded.
    public var nestingDepth: Int {
        switch self {
        case .struct(let fields): 1 + (fields.map(\.type.nestingDepth).max() ?? 0)
        case .array(let element): 1 + element.nestingDepth
        case .map(let key, let value): 1 + max(key.nestingDepth, value.nestingDepth)
        default: 0
        }
    }

    /// The deepest nesting a type (and so a value) may have: deep enough for real data, shallow
    /// enough that recursive code over types and values cannot exhaust the stack.
    public static let maximumNestingDepth = 64

    /// The physical vector a column of this type uses.
    public var storage: StorageKind {
        switch self {
        case .string: .bytes
        case .boolean: .bool
        case .int, .bigint, .date, .timestamp: .int64
        case .decimal: .int128
        case .float, .double: .double
        case .null: .int64
        case .struct, .array, .map: .bytes
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

/// One field of a ``SQLType/struct(_:)``.
public struct StructField: Hashable, Sendable {
    public var name: String
    public var type: SQLType

    public init(name: String, type: SQLType) {
        self.name = name
        self.type = type
    }
}
