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
    /// A STRUCT's field values, in declaration order.
    indirect case structure([Value])
    /// An ARRAY's elements.
    indirect case array([Value])
    /// A MAP's entries, in order: `keys[i]` maps to `values[i]`.
    indirect case map(keys: [Value], values: [Value])

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
        case (.structure(let x), .structure(let y)), (.array(let x), .array(let y)): x == y
        case (.map(let k1, let v1), .map(let k2, let v2)): k1 == k2 && v1 == v2
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
        case .structure(let v): hasher.combine(5); hasher.combine(v)
        case .array(let v): hasher.combine(6); hasher.combine(v)
        case .map(let k, let v): hasher.combine(7); hasher.combine(k); hasher.combine(v)
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
        case .structure(let v): "{" + v.map { $0.isNull ? "null" : $0.description }.joined(separator: ", ") + "}"
        case .array(let v): "[" + v.map { $0.isNull ? "null" : $0.description }.joined(separator: ", ") + "]"
        case .map(let k, let v):
            "{" + zip(k, v).map { "\($0) -> \($1.isNull ? "null" : $1.description)" }.joined(separator: ", ") + "}"
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
        case .bytes(let v):
            guard type.isNested else { return .string(v[row]) }
            return v.withElement(row) { raw in
                var reader = NestedReader(raw)
                return reader.value(type) ?? .null
            }
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
        case .structure, .array, .map:
            var encoded: [UInt8] = []
            if NestedEncoding.append(value, type: type, to: &encoded) {
                encoded.withUnsafeBytes { append(bytes: $0) }
            } else {
                appendNull()
            }
        }
    }
}
