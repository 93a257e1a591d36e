/// Maps group keys to dense group ids (0, 1, 2, ... in order of first appearance).
///
/// Each row's key is encoded into a scratch buffer (a null flag, then 8 bytes per number or a
/// length-prefixed string per column), hashed, and looked up in an open-addressing table.
/// Keys live end to end in one arena: a new group costs an append, a known one nothing.
struct GroupTable: Sendable {
    let keyTypes: [SQLType]
    private(set) var arena: [UInt8] = []
    private(set) var keyOffsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Per slot: the upper 32 bits of the key's hash, then group id + 1 in the lower 32; 0 is
    /// empty. Keeping part of the hash in the slot means a probe that does not match is
    /// settled without touching the key arena: one cache miss per lookup instead of three.
    private var slots: [UInt64] = Array(repeating: 0, count: 64)
    private var scratch: [UInt8] = []

    init(keyTypes: [SQLType]) {
        self.keyTypes = keyTypes
    }

    var count: Int { hashes.count }

    /// The group id of each row of `keys`, creating groups as needed.
    mutating func groupIDs(_ keys: [Column], count rows: Int) -> [Int32] {
        var ids = [Int32](repeating: 0, count: rows)
        if keys.isEmpty {
            if count == 0 { _ = insert(hash: 0) }
            return ids
        }
        for row in 0..<rows {
            scratch.removeAll(keepingCapacity: true)
            for column in keys { Self.encode(column, row, into: &scratch) }
            let hash = Self.hash(scratch)
            ids[row] = find(hash: hash) ?? insert(hash: hash)
        }
        return ids
    }

    private func find(hash: UInt64) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            let fingerprint = hash & 0xFFFF_FFFF_0000_0000
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let entry = slots[slot]
                if entry == 0 { return nil }
                if entry & 0xFFFF_FFFF_0000_0000 == fingerprint {
                    let id = Int(entry & 0xFFFF_FFFF) - 1
                    if keyEquals(id) { return Int32(id) }
                }
                slot = (slot + 1) & mask
            }
        }
    }

    private func keyEquals(_ id: Int) -> Bool {
        let start = keyOffsets[id], end = keyOffsets[id + 1]
        guard end - start == scratch.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            scratch.withUnsafeBufferPointer { s in
                memcmpEqual(UnsafeRawPointer(a.baseAddress! + start), UnsafeRawPointer(s.baseAddress!), s.count)
            }
        }
    }

    private mutating func insert(hash: UInt64) -> Int32 {
        let id = hashes.count
        hashes.append(hash)
        arena.append(contentsOf: scratch)
        keyOffsets.append(arena.count)
        if hashes.count * 2 > slots.count { rehash() } else { place(id) }
        return Int32(id)
    }

    private mutating func place(_ id: Int) {
        let mask = slots.count - 1
        let hash = hashes[id]
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
    }

    private mutating func rehash() {
        slots = Array(repeating: 0, count: slots.count * 2)
        for id in hashes.indices { place(id) }
    }

    /// The key columns of every group, decoded from the arena, for groups `ids`.
    func keyColumns(_ ids: [Int]) -> [Column] {
        var columns = keyTypes.map { Column(type: $0, capacity: ids.count) }
        arena.withUnsafeBytes { bytes in
            for id in ids {
                var at = keyOffsets[id]
                for c in columns.indices { Self.decode(bytes, at: &at, into: &columns[c]) }
            }
        }
        return columns
    }

    // MARK: Encoding

    @inline(__always)
    static func encode(_ column: Column, _ row: Int, into out: inout [UInt8]) {
        if column.isNull(row) {
            out.append(0)
            return
        }
        out.append(1)
        switch column.data {
        case .int64(let v): appendWord(UInt64(bitPattern: v[row]), to: &out)
        case .double(let v):
            // One NaN and one zero, as Spark's grouping normalizes them.
            let d = v[row].isNaN ? Double.nan : (v[row] == 0 ? 0 : v[row])
            appendWord(d.bitPattern, to: &out)
        case .bool(let v): out.append(v[row] ? 1 : 0)
        case .bytes(let v):
            let r = v.range(row)
            appendWord(UInt64(r.count), to: &out)
            out.append(contentsOf: v.bytes[r])
        }
    }

    @inline(__always)
    private static func appendWord(_ w: UInt64, to out: inout [UInt8]) {
        withUnsafeBytes(of: w.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, at: inout Int, into column: inout Column) {
        let flag = bytes[at]
        at += 1
        guard flag == 1 else { column.appendNull(); return }
        func word() -> UInt64 {
            let w = bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)
            at += 8
            return UInt64(littleEndian: w)
        }
        switch column.type.storage {
        case .int64: column.append(Int64(bitPattern: word()))
        case .double: column.append(Double(bitPattern: word()))
        case .bool: column.append(bytes[at] == 1); at += 1
        case .bytes:
            let length = Int(word())
            column.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[at..<(at + length)]))
            at += length
        }
    }

    /// A fast 64-bit hash of the key bytes (multiply-xorshift per word).
    @inline(__always)
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { raw in
            var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(raw.count)
            var i = 0
            while i + 8 <= raw.count {
                h = mix(h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
            }
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < raw.count { tail |= UInt64(raw[i]) << shift; shift += 8; i += 1 }
            return mix(h ^ tail ^ 0xFF51_AFD7_ED55_8CCD)
        }
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }
}

@inline(__always)
func memcmpEqual(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    var i = 0
    while i + 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i += 8
    }
    while i < count {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i += 1
    }
    return true
}
