/// One SQL value, boxed: for literals, results and tests. Operators work on ``Column``s.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case null
    case bool(Bool)
    /// Every Int64-stored type: INT, BIGINT, DATE (days), TIMESTAMP (µs).
    case int(Int64)
    /// A DECIMAL's unscaled value (its type gives the scale).
    case decimal(Int128)
    case double(Double)
    case string(String)

    public var isNull: Bool { self == .null }

    /// `.int(x)` and `.decimal(x)` are the same number: a DECIMAL's unscaled value boxes as
    /// `.decimal`, and one written as an Int64 literal (in tests, or an INT turned DECIMAL)
    /// compares equal to it.
    public static func == (a: Value, b: Value) -> Bool {
        switch (a, b) {
        case (.null, .null): true
        case (.bool(let x), .bool(let y)): x == y
        case (.int(let x), .int(let y)): x == y
        case (.decimal(let x), .decimal(let y)): x == y
        case (.int(let x), .decimal(let y)), (.decimal(let y), .int(let x)): Int128(x) == y
        case (.double(let x), .double(let y)): x == y
        case (.string(let x), .string(let y)): x == y
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(1); hasher.combine(b)
        case .int(let i): hasher.combine(2); hasher.combine(Int128(i))
        case .decimal(let u): hasher.combine(2); hasher.combine(u)
        case .double(let d): hasher.combine(3); hasher.combine(d)
        case .string(let s): hasher.combine(4); hasher.combine(s)
        }
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): "\(i)"
        case .decimal(let u): "\(u)"
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
        case .int128(let v): return .decimal(v[row])
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
        case .int(let i): type.storage == .int128 ? append(Int128(i)) : append(i)
        case .decimal(let u): append(u)
        case .double(let d): append(d)
        case .string(let s): append(s)
        }
    }
}
