/// One value of one SQL type per group, NULL included, in flat arrays: what `first`,
/// `last`, `min_by` and `max_by` keep (the value, and for min_by/max_by the ordering too).
///
/// Only the array of the type's storage is used; strings are copied in when a group's value
/// changes (never per row otherwise).
struct ValueSlots: Sendable {
    let storage: StorageKind
    /// Per group: the value is not NULL.
    var present: [Bool] = []
    var integers: [Int64] = []
    var decimals: [Int128] = []
    var doubles: [Double] = []
    var strings: [[UInt8]] = []

    init(_ storage: StorageKind) {
        self.storage = storage
    }

    var count: Int { present.count }

    mutating func grow(to groups: Int) {
        let missing = groups - present.count
        guard missing > 0 else { return }
        present += repeatElement(false, count: missing)
        switch storage {
        case .int64, .bool: integers += repeatElement(0, count: missing)
        case .int128: decimals += repeatElement(0, count: missing)
        case .double: doubles += repeatElement(0, count: missing)
        case .bytes: strings += repeatElement([], count: missing)
        }
    }

    /// Group `g` takes row `row` of `column` (a column of this storage), NULL included.
    @inline(__always)
    mutating func set(_ g: Int, from column: Column, row: Int) {
        guard !column.isNull(row) else {
            present[g] = false
            if storage == .bytes { strings[g] = [] }
            return
        }
        present[g] = true
        switch column.data {
        case .int64(let v): integers[g] = v[row]
        case .bool(let v): integers[g] = v[row] ? 1 : 0
        case .int128(let v): decimals[g] = v[row]
        case .double(let v): doubles[g] = v[row]
        case .bytes(let v):
            let range = v.range(row)
            strings[g].removeAll(keepingCapacity: true)
            strings[g].append(contentsOf: v.bytes[range])
        }
    }

    /// Group `g` takes group `og` of `other` (same storage).
    @inline(__always)
    mutating func set(_ g: Int, from other: ValueSlots, _ og: Int) {
        present[g] = other.present[og]
        switch storage {
        case .int64, .bool: integers[g] = other.integers[og]
        case .int128: decimals[g] = other.decimals[og]
        case .double: doubles[g] = other.doubles[og]
        case .bytes: strings[g] = other.strings[og]
        }
    }

    /// The order of row `row` of `column` against group `g`'s value, both not NULL: Spark's
    /// ordering (NaN above every double, strings by their bytes, false before true).
    @inline(__always)
    func order(_ column: Column, _ row: Int, against g: Int) -> Int {
        switch column.data {
        case .int64(let v): v[row] < integers[g] ? -1 : (v[row] == integers[g] ? 0 : 1)
        case .bool(let v):
            Int(v[row] ? 1 : 0) - Int(integers[g])
        case .int128(let v): v[row] < decimals[g] ? -1 : (v[row] == decimals[g] ? 0 : 1)
        case .double(let v): Comparison.order(v[row], doubles[g])
        case .bytes(let v):
            v.bytes.withUnsafeBufferPointer { all in
                strings[g].withUnsafeBufferPointer { Comparison.compareBytes(UnsafeBufferPointer(rebasing: all[v.range(row)]), $0) }
            }
        }
    }

    /// The order of group `og` of `other` against group `g` here, both not NULL.
    func order(_ other: ValueSlots, _ og: Int, against g: Int) -> Int {
        switch storage {
        case .int64, .bool:
            other.integers[og] < integers[g] ? -1 : (other.integers[og] == integers[g] ? 0 : 1)
        case .int128: other.decimals[og] < decimals[g] ? -1 : (other.decimals[og] == decimals[g] ? 0 : 1)
        case .double: Comparison.order(other.doubles[og], doubles[g])
        case .bytes:
            other.strings[og].withUnsafeBufferPointer { a in strings[g].withUnsafeBufferPointer { Comparison.compareBytes(a, $0) } }
        }
    }

    /// Appends group `g`'s value (or NULL) to `out`, a column of this storage.
    func append(_ g: Int, to out: inout Column) {
        guard present[g] else { out.appendNull(); return }
        switch storage {
        case .int64: out.append(integers[g])
        case .bool: out.append(integers[g] == 1)
        case .int128: out.append(decimals[g])
        case .double: out.append(doubles[g])
        case .bytes: strings[g].withUnsafeBytes { out.append(bytes: $0) }
        }
    }

    /// The slots of groups `ids` only, renumbered 0..<ids.count.
    func compacted(_ ids: [Int]) -> ValueSlots {
        var copy = ValueSlots(storage)
        copy.present = ids.map { present[$0] }
        if !integers.isEmpty { copy.integers = ids.map { integers[$0] } }
        if !decimals.isEmpty { copy.decimals = ids.map { decimals[$0] } }
        if !doubles.isEmpty { copy.doubles = ids.map { doubles[$0] } }
        if !strings.isEmpty { copy.strings = ids.map { strings[$0] } }
        return copy
    }

    /// Group `targets[g]` takes group `g` of `other` for every g (a delta's overwrite).
    mutating func overwrite(_ targets: [Int], from other: ValueSlots) {
        for (g, t) in targets.enumerated() { set(t, from: other, g) }
    }

    /// The slots for a snapshot: the group count, the NULL flags, then the values of the
    /// storage's array.
    func write(to out: inout SnapshotWriter) {
        out.int(present.count)
        for p in present { out.bool(p) }
        switch storage {
        case .int64, .bool: for v in integers { out.i64(v) }
        case .int128:
            for v in decimals {
                out.u64(UInt64(truncatingIfNeeded: v))
                out.u64(UInt64(truncatingIfNeeded: v >> 64))
            }
        case .double: for v in doubles { out.f64(v) }
        case .bytes: for v in strings { out.blob(v) }
        }
    }

    static func read(from reader: inout SnapshotReader, storage: StorageKind, groups: Int, what: String) throws(SnapshotError) -> ValueSlots {
        var slots = ValueSlots(storage)
        let n = try reader.count("\(what) count", unit: 2)
        guard n == groups else { throw .corrupt("\(what) has \(n) values for \(groups) groups") }
        for _ in 0..<n { slots.present.append(try reader.bool("\(what) null flag")) }
        for _ in 0..<n {
            switch storage {
            case .int64, .bool: slots.integers.append(try reader.i64("\(what) integer"))
            case .int128:
                let low = try reader.u64("\(what) decimal")
                slots.decimals.append(Int128(bitPattern: UInt128(try reader.u64("\(what) decimal")) << 64 | UInt128(low)))
            case .double: slots.doubles.append(try reader.f64("\(what) double"))
            case .bytes: slots.strings.append(Array(try reader.blob("\(what) string")))
            }
        }
        return slots
    }
}
