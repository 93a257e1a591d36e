/// The rows one side of a stream-stream join keeps between batches, flat: the input's columns,
/// the evaluated join keys, the event times, a matched flag per row, and a hash index from key
/// hash to row (a head per hash and a next-row chain), so the state costs a few arrays
/// however many rows it holds, never an object per row.
struct StreamJoinSide {
    /// The side's input columns; row `i` of each is buffered row `i`.
    private(set) var columns: [Column]
    /// The join keys of each buffered row, evaluated once when the row arrived.
    private(set) var keys: [Column]
    /// Each row's event time (0 for every row when the join has no time range).
    private(set) var times: [Int64] = []
    /// Whether the row has joined a row of the other side (what decides an outer row).
    var matched: [Bool] = []
    /// The hash of each row's keys; rows with a NULL key are not in the index.
    private var hashes: [UInt64] = []
    private var indexed: [Bool] = []
    /// Newest row per key hash, and for each row the next older row of the same hash (-1: none).
    private var heads: [UInt64: Int32] = [:]
    private var chain: [Int32] = []

    init(types: [SQLType], keyTypes: [SQLType]) {
        columns = types.map { Column(type: $0) }
        keys = keyTypes.map { Column(type: $0) }
    }

    var count: Int { times.count }

    /// Appends rows (columns, their keys and times) and indexes those whose keys are not NULL.
    mutating func append(columns newColumns: [Column], keys newKeys: [Column], times newTimes: [Int64]) {
        let base = count
        for i in columns.indices { columns[i].append(contentsOf: newColumns[i]) }
        for i in keys.indices { keys[i].append(contentsOf: newKeys[i]) }
        times.append(contentsOf: newTimes)
        matched.append(contentsOf: repeatElement(false, count: newTimes.count))
        let (newHashes, valid) = Self.hash(newKeys, count: newTimes.count)
        hashes.append(contentsOf: newHashes)
        indexed.append(contentsOf: valid)
        chain.append(contentsOf: repeatElement(-1, count: newTimes.count))
        for row in base..<count where indexed[row] { link(row) }
    }

    private mutating func link(_ row: Int) {
        chain[row] = heads.updateValue(Int32(row), forKey: hashes[row]) ?? -1
    }

    /// Calls `body` with each row of this side whose keys equal row `otherRow` of `otherKeys`
    /// (rows below `limit` only), newest first. A NULL key matches nothing.
    func forEachMatch(of otherKeys: [Column], row otherRow: Int, hash: UInt64, below limit: Int, _ body: (Int) -> Void) {
        guard var at = heads[hash] else { return }
        while at >= 0 {
            let row = Int(at)
            if row < limit, hashes[row] == hash, Self.keysEqual(keys, row, otherKeys, otherRow) { body(row) }
            at = chain[row]
        }
    }

    /// Removes the rows `evict` says can match nothing more, returning the removed rows that
    /// never matched (an outer join's NULL-padded rows). The kept rows move up and the index
    /// is rebuilt: one pass over the state, only in batches where something left it.
    mutating func evict(keepUnmatched: Bool, _ evict: (Int64) -> Bool) -> (removed: Int, unmatched: [Column]) {
        var keep: [Int] = []
        keep.reserveCapacity(count)
        var unmatched: [Int] = []
        for row in 0..<count {
            if evict(times[row]) {
                if keepUnmatched && !matched[row] { unmatched.append(row) }
            } else {
                keep.append(row)
            }
        }
        let removed = count - keep.count
        guard removed > 0 else { return (0, []) }
        let outer = keepUnmatched ? columns.map { $0.gather(unmatched) } : []
        retain(keep)
        return (removed, outer)
    }

    /// Keeps only the rows at `rows` (ascending), in that order.
    private mutating func retain(_ rows: [Int]) {
        columns = columns.map { $0.gather(rows) }
        keys = keys.map { $0.gather(rows) }
        times = rows.map { times[$0] }
        matched = rows.map { matched[$0] }
        hashes = rows.map { hashes[$0] }
        indexed = rows.map { indexed[$0] }
        rebuildIndex()
    }

    private mutating func rebuildIndex() {
        heads = [:]
        heads.reserveCapacity(count)
        chain = Array(repeating: -1, count: count)
        for row in 0..<count where indexed[row] { link(row) }
    }

    /// About how many bytes the state holds: the column vectors, the per-row arrays and the
    /// index (a dictionary slot of ~24 bytes per row).
    var estimatedBytes: Int {
        var bytes = count * (8 + 1 + 8 + 1 + 4 + 24)
        for column in columns + keys { bytes += Self.bytes(of: column) }
        return bytes
    }

    static func bytes(of column: Column) -> Int {
        let data: Int = switch column.data {
        case .int64(let v): v.count * 8
        case .int128(let v): v.count * 16
        case .double(let v): v.count * 8
        case .bool(let v): v.count
        case .bytes(let v): v.bytes.count + v.count * 4
        }
        return data + column.validity.count
    }

    /// Rebuilds a side from restored columns, keys, times and matched flags (of equal lengths,
    /// which the caller checked): hashes and index are derived, so a snapshot does not hold them.
    init(restoring columns: [Column], keys: [Column], times: [Int64], matched: [Bool]) {
        self.columns = columns
        self.keys = keys
        self.times = times
        self.matched = matched
        (hashes, indexed) = Self.hash(keys, count: times.count)
        rebuildIndex()
    }
}

extension StreamJoinSide {
    /// One hash per row over the key columns, a column at a time, and whether every key of the
    /// row is non-NULL. Doubles hash by their normalized value (0.0 and -0.0 alike, every NaN
    /// alike), as Spark normalizes floating join keys, and integers of any width by their value,
    /// so keys stored differently on the two sides (BIGINT and DECIMAL) still meet.
    static func hash(_ keys: [Column], count: Int) -> (hashes: [UInt64], valid: [Bool]) {
        var hashes = Array(repeating: UInt64(0x2545_F491_4F6C_DD1D), count: count)
        var valid = Array(repeating: true, count: count)
        for key in keys {
            if !key.validity.isEmpty {
                for row in 0..<count where !key.validity[row] { valid[row] = false }
            }
            switch key.data {
            case .int64(let v):
                for row in 0..<count { hashes[row] = mix(hashes[row] ^ UInt64(bitPattern: v[row])) }
            case .int128(let v):
                for row in 0..<count { hashes[row] = mix(hashes[row] ^ hash128(v[row])) }
            case .double(let v):
                for row in 0..<count { hashes[row] = mix(hashes[row] ^ normalizedBits(v[row])) }
            case .bool(let v):
                for row in 0..<count { hashes[row] = mix(hashes[row] ^ (v[row] ? 1 : 2)) }
            case .bytes(let v):
                v.bytes.withUnsafeBytes { all in
                    for row in 0..<count {
                        hashes[row] = mix(hashes[row] ^ GroupTable.hash(UnsafeRawBufferPointer(rebasing: all[v.range(row)])))
                    }
                }
            }
        }
        return (hashes, valid)
    }

    /// A DECIMAL's unscaled value that fits 64 bits hashes like that Int64.
    @inline(__always)
    private static func hash128(_ value: Int128) -> UInt64 {
        if let small = Int64(exactly: value) { return UInt64(bitPattern: small) }
        return UInt64(truncatingIfNeeded: value) ^ mix(UInt64(truncatingIfNeeded: value >> 64))
    }

    @inline(__always)
    static func normalizedBits(_ value: Double) -> UInt64 {
        if value.isNaN { return Double.nan.bitPattern }
        return value == 0 ? 0 : value.bitPattern
    }

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }

    /// Whether the keys of row `a` of `left` equal those of row `b` of `right` (both non-NULL:
    /// only indexed rows are compared).
    static func keysEqual(_ left: [Column], _ a: Int, _ right: [Column], _ b: Int) -> Bool {
        for k in left.indices {
            switch (left[k].data, right[k].data) {
            case (.int64(let x), .int64(let y)): if x[a] != y[b] { return false }
            case (.int128(let x), .int128(let y)): if x[a] != y[b] { return false }
            case (.int64(let x), .int128(let y)): if Int128(x[a]) != y[b] { return false }
            case (.int128(let x), .int64(let y)): if x[a] != Int128(y[b]) { return false }
            case (.double(let x), .double(let y)): if normalizedBits(x[a]) != normalizedBits(y[b]) { return false }
            case (.bool(let x), .bool(let y)): if x[a] != y[b] { return false }
            case (.bytes(let x), .bytes(let y)):
                let equal = x.withElement(a) { p in y.withElement(b) { q in p.elementsEqual(q) } }
                if !equal { return false }
            default:
                // The binder gives both keys one type; keys of different kinds never meet.
                return false
            }
        }
        return true
    }
}
