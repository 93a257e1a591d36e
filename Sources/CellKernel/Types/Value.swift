/// One SQL value, boxed: for literals, results and tests. Operators work on ``Column``s.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// Every Int64-stored type: INT, BIGINT, DECIMAL (unscaled), DATE (days), TIMESTAMP (µs).
    case int(Int64)
    case double(Double)
    case string(String)

    public var isNull: Bool { self == .null }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .string(let s): s
        }
    }
}

extension Column {
    /// Row `row` as a boxed value.
    public func value(at row: Int) -> Value {
        if isNull(row) { return .null }
        switch data {
        case .int64(let v): return .int(v[row])
        case .double(let v): return .double(v[row])
        case .bool(let v): return .bool(v[row])
        case .bytes(let v): return .string(v[row])
        }
    }

    /// Every row as boxed values.
    public var values: [Value] { (0..<count).map(value(at:)) }

    /// A column of `count` copies of `value`.
    public init(repeating value: Value, type: SQLType, count: Int) {
        self.init(type: type, capacity: count)
        for _ in 0..<count { append(value) }
    }

    /// Appends a boxed value, which must match the column's storage (or be NULL).
    public mutating func append(_ value: Value) {
        switch value {
        case .null: appendNull()
        case .bool(let b): append(b)
        case .int(let i): append(i)
        case .double(let d): append(d)
        case .string(let s): append(s)
        }
    }
}
