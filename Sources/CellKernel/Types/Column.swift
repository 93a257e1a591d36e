/// A typed vector of values with a validity mask: the unit operators work on.
///
/// Values are stored contiguously per physical kind (`[Int64]`, `[Double]`, `[Bool]`, or
/// ``ByteVector`` for strings), so filtering, hashing and aggregating a batch touches flat
/// arrays instead of boxed values, and building a column allocates per batch, not per row.
public struct Column: Sendable {
    public var type: SQLType
    public var data: ColumnData
    /// `validity[i] == false` means row `i` is NULL; empty means no row is NULL.
    public var validity: [Bool]

    public init(type: SQLType, data: ColumnData, validity: [Bool] = []) {
        self.type = type
        self.data = data
        self.validity = validity
    }

    /// An empty column of `type`, with room for `capacity` rows.
    public init(type: SQLType, capacity: Int = 0) {
        self.type = type
        self.validity = []
        switch type.storage {
        case .int64: data = .int64(Array(minimumCapacity: capacity))
        case .int128: data = .int128(Array(minimumCapacity: capacity))
        case .double: data = .double(Array(minimumCapacity: capacity))
        case .bool: data = .bool(Array(minimumCapacity: capacity))
        case .bytes: data = .bytes(ByteVector(capacity: capacity))
        }
    }

    public var count: Int { data.count }

    @inline(__always)
    public func isNull(_ row: Int) -> Bool {
        !validity.isEmpty && !validity[row]
    }

    public var hasNulls: Bool { validity.contains(false) }
}

/// The values of a column, one case per physical kind.
public enum ColumnData: Sendable {
    case int64([Int64])
    /// Unscaled DECIMAL values.
    case int128([Int128])
    case double([Double])
    case bool([Bool])
    case bytes(ByteVector)

    public var count: Int {
        switch self {
        case .int64(let v): v.count
        case .int128(let v): v.count
        case .double(let v): v.count
        case .bool(let v): v.count
        case .bytes(let v): v.count
        }
    }
}

extension Array {
    init(minimumCapacity: Int) {
        self.init()
        reserveCapacity(minimumCapacity)
    }
}
