import CByteScan

/// Maps group keys to dense group ids (0, 1, 2, ... in order of first appearance).
///
/// Each row's key is encoded (a null flag, then 8 bytes per number or a length-prefixed string
/// per column), hashed, and looked up in an open-addressing table.
/// Keys live end to end in one arena, each after its group id: a new group costs an append,
/// a known one nothing.
struct GroupTable: Sendable {
    let keyTypes: [SQLType]
    /// Per group: its id (4 bytes, little-endian), then its encoded key.
    private var arena: [UInt8] = []
    /// Where each group's entry starts in the arena, and (last) where the arena ends.
    private var entryOffsets: [Int] = [0]
    private var hashes: [UInt64] = []
    /// Per slot: the upper 24 bits of the key's hash, then the arena offset of the group's
    /// entry + 1 in the lower 40; 0 is empty. A probe that does not match is settled without
    /// touching the arena, and one that does finds the key and the id together there: two
    /// cache misses per lookup in a table too big for the caches, not three.
    private var slots: [UInt64] = Array(repeating: 0, count: 64)
    /// Scratch for ``groupIDs(_:count:)``: every row's encoded key, and where each starts.
    private var rowKeys: [UInt8] = []
    private var rowStarts: [Int] = []
    private var rowHashes: [UInt64] = []
    private var rowHomes: [UInt64] = []
    /// For a text key, alone or after one 64-bit one (a window and a category): group ids by a
    /// hash of the values themselves, so a row finds its group without being encoded (see
    /// ``textGroupIDs(_:word:_:_:)``). Per slot: the hash's upper 32 bits,
    /// then the group id + 1; 0 is empty. Only a hint, filled as rows meet their groups: a hit
    /// is checked against the stored key, and a miss goes the encoded way.
    private var textSlots: [UInt64] = []
    private var textSlotsUsed = 0
    /// Off once a block of rows brought more new groups than a quarter of its rows.
    private var textLookupsPay = true

    init(keyTypes: [SQLType]) {
        self.keyTypes = keyTypes
    }

    var count: Int { hashes.count }

    /// Bytes of the keys and the hash table (for the query's state memory limit).
    var estimatedBytes: Int {
        arena.count + (entryOffsets.count + hashes.count + slots.count + textSlots.count) * 8
    }

    /// The group id of each row of `keys`, creating groups as needed.
    ///
    /// All rows' keys are encoded first, a column at a time (one type dispatch and no
    /// reference counting per column rather than per value), then hashed and looked up in place.
    mutating func groupIDs(_ keys: [Column], count rows: Int) -> [Int32] {
        var ids = [Int32](repeating: 0, count: rows)
        if keys.isEmpty {
            if count == 0 { _ = insert(UnsafeRawBufferPointer(start: nil, count: 0), hash: 0) }
            return ids
        }
        if keys.count <= 2, textLookupsPay, slots.count < Self.largeTable, keys.allSatisfy({ $0.validity.isEmpty }),
           case .bytes(let text) = keys[keys.count - 1].data {
            if keys.count == 1 { return textGroupIDs(keys, word: nil, text, rows) }
            if case .int64(let words) = keys[0].data { return textGroupIDs(keys, word: words, text, rows) }
        }
        // Moved out of self, so the loop below can read them while inserting into self.
        var encoded: [UInt8] = [], starts: [Int] = []
        swap(&encoded, &rowKeys)
        swap(&starts, &rowStarts)
        Self.encodeRows(keys, rows, into: &encoded, starts: &starts)
        if slots.count < Self.largeTable {
            encoded.withUnsafeBytes { all in
                starts.withUnsafeBufferPointer { starts in
                    for row in 0..<rows {
                        let key = UnsafeRawBufferPointer(rebasing: all[starts[row]..<starts[row + 1]])
                        let hash = Self.hash(key)
                        ids[row] = find(key, hash: hash) ?? insert(key, hash: hash)
                    }
                }
            }
        } else {
            lookUpInPasses(encoded, starts, rows, into: &ids)
        }
        swap(&encoded, &rowKeys)
        swap(&starts, &rowStarts)
        return ids
    }

    /// ``groupIDs(_:count:)`` for a text key without NULLs (`text`, the last column of `keys`),
    /// after a 64-bit one (`word`, the first) or alone, in a table small enough for the caches
    /// (a handful of card brands, merchants, minutes of them): most rows are found through
    /// ``textSlots`` by hashing and comparing their values, with no encoding, no hash of the
    /// encoding and no probe of the main table. A block's misses then go the encoded way in row
    /// order and are remembered, so ids still come in order of first appearance.
    private mutating func textGroupIDs(_ keys: [Column], word: [Int64]?, _ text: ByteVector, _ rows: Int) -> [Int32] {
        var ids = [Int32](repeating: 0, count: rows)
        var misses: [Int] = []
        if textSlots.isEmpty { textSlots = Array(repeating: 0, count: 64) }
        var block = 0
        while block < rows {
            let end = min(block + Self.textBlock, rows)
            misses.removeAll(keepingCapacity: true)
            text.bytes.withUnsafeBytes { bytes in
                text.offsets.withUnsafeBufferPointer { offsets in
                    arena.withUnsafeBytes { arena in
                        textSlots.withUnsafeBufferPointer { textSlots in
                            ids.withUnsafeMutableBufferPointer { ids in
                                for row in block..<end {
                                    let start = Int(offsets[row]), count = Int(offsets[row + 1]) - start
                                    let at = bytes.baseAddress.map { $0 + start } ?? UnsafeRawPointer(bitPattern: 8)!
                                    let w = word.map { UInt64(bitPattern: $0[row]) }
                                    if let id = Self.findText(at, count, after: w, in: textSlots, arena: arena, entries: entryOffsets) {
                                        ids[row] = id
                                    } else {
                                        misses.append(row)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            var unknown = 0
            for row in misses {
                let (id, known) = textMiss(keys, text, row, after: word.map { UInt64(bitPattern: $0[row]) })
                ids[row] = id
                if !known { unknown += 1 }
            }
            if unknown > Self.textBlock / 4 {
                // Keys of many values (card numbers): mostly misses, which this way pays for
                // twice. The rest of the rows, and later batches, go the encoded way.
                textLookupsPay = false
                textSlots = []
                textSlotsUsed = 0
                // Rows already looked up find the groups they made, with the same ids.
                return end < rows ? groupIDs(keys, count: rows) : ids
            }
            block = end
        }
        return ids
    }

    /// Rows ``textGroupIDs(_:word:_:_:)`` looks up a block at a time, misses after hits.
    static let textBlock = 1024

    /// The group of row `row`'s key (its text, after `word` when there is one), which
    /// ``textSlots`` did not know at the start of its block: known since then (`known`), or
    /// looked up (or created) the encoded way and remembered.
    private mutating func textMiss(_ keys: [Column], _ text: ByteVector, _ row: Int, after word: UInt64?) -> (id: Int32, known: Bool) {
        let range = text.range(row)
        return text.bytes.withUnsafeBytes { bytes in
            let at = bytes.baseAddress.map { $0 + range.lowerBound } ?? UnsafeRawPointer(bitPattern: 8)!
            if let found = arena.withUnsafeBytes({ arena in
                textSlots.withUnsafeBufferPointer { Self.findText(at, range.count, after: word, in: $0, arena: arena, entries: entryOffsets) }
            }) {
                return (found, true)
            }
            var key: [UInt8] = []
            for column in keys { Self.encode(column, row, into: &key) }
            let id = key.withUnsafeBytes { key in
                let hash = Self.hash(key)
                return find(key, hash: hash) ?? insert(key, hash: hash)
            }
            rememberText(id, hash: Self.textHash(at, range.count, after: word))
            return (id, false)
        }
    }

    /// The group whose key is the `count` bytes of text at `text` (after `word`, when the
    /// table's keys begin with a 64-bit one), if ``textSlots`` knows it.
    @inline(__always)
    private static func findText(_ text: UnsafeRawPointer, _ count: Int, after word: UInt64?, in slots: UnsafeBufferPointer<UInt64>,
                                 arena: UnsafeRawBufferPointer, entries: [Int]) -> Int32? {
        let hash = textHash(text, count, after: word)
        let mask = slots.count - 1
        // The stored key: id (4 bytes), (present (1), word (8),) present (1), length (8), the text.
        let textAt = word == nil ? 9 : 18
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry >> 32 == hash >> 32 {
                let id = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                let at = entries[id] + 4
                // The length word need not be compared: the entry's size implies it.
                if entries[id + 1] - at == textAt + count, arena.load(fromByteOffset: at, as: UInt8.self) == 1,
                   word.map({ arena.load(fromByteOffset: at + 9, as: UInt8.self) == 1
                              && UInt64(littleEndian: arena.loadUnaligned(fromByteOffset: at + 1, as: UInt64.self)) == $0 }) ?? true,
                   count == 0 || memcmpEqual(arena.baseAddress! + at + textAt, text, count) {
                    return Int32(id)
                }
            }
            slot = (slot + 1) & mask
        }
    }

    /// Adds group `id` to ``textSlots`` under its text's hash, doubling them past half full.
    private mutating func rememberText(_ id: Int32, hash: UInt64) {
        if (textSlotsUsed + 1) * 2 > textSlots.count {
            var bigger = [UInt64](repeating: 0, count: textSlots.count * 2)
            for entry in textSlots where entry != 0 {
                let known = Int(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                let rehashed = arena.withUnsafeBytes { arena in
                    // The key's own layout says whether a word comes first: 18 bytes before its
                    // text then, 9 without.
                    let key = entryOffsets[known] + 4
                    let word: UInt64? = keyTypes.count == 2
                        ? UInt64(littleEndian: arena.loadUnaligned(fromByteOffset: key + 1, as: UInt64.self)) : nil
                    let at = key + (word == nil ? 9 : 18)
                    return Self.textHash(arena.baseAddress! + at, entryOffsets[known + 1] - at, after: word)
                }
                Self.placeText(entry, hash: rehashed, in: &bigger)
            }
            textSlots = bigger
        }
        Self.placeText(hash & 0xFFFF_FFFF_0000_0000 | UInt64(UInt32(id) + 1), hash: hash, in: &textSlots)
        textSlotsUsed += 1
    }

    private static func placeText(_ entry: UInt64, hash: UInt64, in slots: inout [UInt64]) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = entry
    }

    /// ``textHash(_:_:)`` of the text, mixed with the word before it when there is one.
    @inline(__always)
    static func textHash(_ text: UnsafeRawPointer, _ count: Int, after word: UInt64?) -> UInt64 {
        let h = textHash(text, count)
        guard let word else { return h }
        return mix(h ^ word &* 0xD6E8_FEB8_6659_FD93)
    }

    /// A hash of text for ``textSlots``: its first and last eight bytes (overlapping when
    /// short) and its length for keys of up to 16 bytes, ``hash(_:)`` of the bytes for longer.
    @inline(__always)
    static func textHash(_ text: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var x: UInt64
        if count > 16 {
            return hash(UnsafeRawBufferPointer(start: text, count: count))
        } else if count >= 8 {
            x = text.loadUnaligned(as: UInt64.self) &* 0x9E37_79B9_7F4A_7C15
                ^ text.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            x = UInt64(text.loadUnaligned(as: UInt32.self)) << 32
                | UInt64(text.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
        } else {
            x = 0
            var i = 0
            while i < count { x = x << 8 | UInt64(text.load(fromByteOffset: i, as: UInt8.self)); i &+= 1 }
        }
        return mix(x ^ UInt64(truncatingIfNeeded: count) &* 0xFF51_AFD7_ED55_8CCD)
    }

    /// The group id here of each of `other`'s groups, in its order, creating groups as needed:
    /// for merging another share of the same aggregation. Its keys and hashes are taken as
    /// stored, rather than decoded into columns, encoded and hashed again.
    mutating func groupIDs(of other: GroupTable) -> [Int32] {
        assert(other.keyTypes == keyTypes, "merging groups of other key types")
        let rows = other.count
        var ids = [Int32](repeating: 0, count: rows)
        if slots.count < Self.largeTable {
            other.arena.withUnsafeBytes { all in
                for row in 0..<rows {
                    let key = UnsafeRawBufferPointer(rebasing: all[(other.entryOffsets[row] + 4)..<other.entryOffsets[row + 1]])
                    ids[row] = find(key, hash: other.hashes[row]) ?? insert(key, hash: other.hashes[row])
                }
            }
        } else {
            lookUpInPasses(other.arena, other.entryOffsets, keyOffset: 4, rows, knownHashes: other.hashes, into: &ids)
        }
        return ids
    }

    /// Slots (512 KiB of them, plus the keys) from which the table outgrows a core's private
    /// caches, and overlapping the misses pays for the second pass.
    static let largeTable = 1 << 16

    /// Rows ``lookUpInPasses(_:_:keyOffset:_:knownHashes:into:)`` takes through its passes at
    /// a time: few enough that the slot entries and keys the middle passes bring in (two or
    /// three lines a row) are still in a core's private cache when the last pass reads them.
    static let passBlock = 2048

    /// Lookups for a big table in passes, so that the processor overlaps their cache misses:
    /// every row's hash, with a prefetch of the slot entry at its home position; then the
    /// first entry from there with the row's fingerprint, with a prefetch of the key it points
    /// to in the arena; then the lookups, which mostly find their group in an entry and key
    /// already in the caches. A prefetch retires without waiting for its line, so a whole
    /// block's misses are in flight at once rather than the handful a lookup's instructions
    /// leave room for.
    /// Such an entry is only a hint, checked against the key: entries are never removed or
    /// renumbered, so one that matched before the inserts of the last pass is still right
    /// after them, even after rehashing.
    ///
    /// Key `row` is `encoded[starts[row] + keyOffset ..< starts[row + 1]]`; `knownHashes`, when
    /// given, are the keys' hashes (another table's, whose keys these are).
    private mutating func lookUpInPasses(_ encoded: [UInt8], _ starts: [Int], keyOffset: Int = 0, _ rows: Int,
                                         knownHashes: [UInt64]? = nil, into ids: inout [Int32]) {
        var hashes: [UInt64] = [], homes: [UInt64] = []
        swap(&hashes, &rowHashes)
        swap(&homes, &rowHomes)
        hashes.removeAll(keepingCapacity: true)
        homes.removeAll(keepingCapacity: true)
        if let knownHashes {
            hashes.append(contentsOf: knownHashes[..<rows])
        } else {
            hashes.append(contentsOf: repeatElement(0, count: rows))
        }
        homes.append(contentsOf: repeatElement(0, count: rows))
        var block = 0
        while block < rows {
            let blockEnd = min(block + Self.passBlock, rows)
            encoded.withUnsafeBytes { all in
                starts.withUnsafeBufferPointer { starts in
                    hashes.withUnsafeMutableBufferPointer { hashes in
                        homes.withUnsafeMutableBufferPointer { homes in
                            slots.withUnsafeBufferPointer { slots in
                                let mask = slots.count - 1
                                for row in block..<blockEnd {
                                    if knownHashes == nil {
                                        hashes[row] = Self.hash(UnsafeRawBufferPointer(rebasing: all[(starts[row] + keyOffset)..<starts[row + 1]]))
                                    }
                                    cells_prefetch(slots.baseAddress! + Int(truncatingIfNeeded: hashes[row]) & mask)
                                }
                                arena.withUnsafeBytes { arena in
                                    for row in block..<blockEnd {
                                        let fingerprint = hashes[row] & Self.fingerprintMask
                                        var slot = Int(truncatingIfNeeded: hashes[row]) & mask
                                        var entry = slots[slot]
                                        // A collision's entry is a few slots on, mostly in the
                                        // line just brought in.
                                        while entry != 0 && entry & Self.fingerprintMask != fingerprint {
                                            slot = (slot + 1) & mask
                                            entry = slots[slot]
                                        }
                                        homes[row] = entry
                                        guard entry != 0 else { continue }
                                        // The key's first and last bytes: an entry may straddle
                                        // two cache lines.
                                        let keyAt = Int(entry & Self.offsetMask) - 1 + 4
                                        let length = starts[row + 1] - starts[row] - keyOffset
                                        cells_prefetch(arena.baseAddress! + keyAt)
                                        cells_prefetch(arena.baseAddress! + min(keyAt + length, arena.count) - 1)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            encoded.withUnsafeBytes { all in
                starts.withUnsafeBufferPointer { starts in
                    for row in block..<blockEnd {
                        let key = UnsafeRawBufferPointer(rebasing: all[(starts[row] + keyOffset)..<starts[row + 1]])
                        let hash = hashes[row], home = homes[row]
                        if home != 0, home & Self.fingerprintMask == hash & Self.fingerprintMask,
                           let id = group(at: home, ifKey: key) {
                            ids[row] = id
                        } else {
                            ids[row] = find(key, hash: hash) ?? insert(key, hash: hash)
                        }
                    }
                }
            }
            block = blockEnd
        }
        swap(&hashes, &rowHashes)
        swap(&homes, &rowHomes)
    }

    private func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int32? {
        slots.withUnsafeBufferPointer { slots in
            let mask = slots.count - 1
            let fingerprint = hash & Self.fingerprintMask
            var slot = Int(truncatingIfNeeded: hash) & mask
            while true {
                let entry = slots[slot]
                if entry == 0 { return nil }
                if entry & Self.fingerprintMask == fingerprint, let id = group(at: entry, ifKey: key) { return id }
                slot = (slot + 1) & mask
            }
        }
    }

    static let fingerprintMask: UInt64 = 0xFFFF_FF00_0000_0000
    static let offsetMask: UInt64 = 0x0000_00FF_FFFF_FFFF

    /// The id of the group whose slot entry is `entry`, if its key is `key`.
    ///
    /// Only `key.count` bytes are compared, from the stored key's start, without its length:
    /// keys are encoded with one list of types, and no such encoding is a prefix of another
    /// (every NULL flag, word and string length says how much follows), so two different keys
    /// differ within the shorter one. Past the stored key come other entries' bytes, or the
    /// arena's end, where `key` cannot fit if it is longer.
    @inline(__always)
    private func group(at entry: UInt64, ifKey key: UnsafeRawBufferPointer) -> Int32? {
        let offset = Int(entry & Self.offsetMask) - 1
        return arena.withUnsafeBytes { a in
            guard offset + 4 + key.count <= a.count else { return nil }
            guard key.count == 0 || memcmpEqual(a.baseAddress! + offset + 4, key.baseAddress!, key.count) else { return nil }
            return Int32(bitPattern: UInt32(littleEndian: a.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        }
    }

    private mutating func insert(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Int32 {
        let id = hashes.count
        hashes.append(hash)
        arena.appendBytes(after: UInt32(id), key)
        entryOffsets.append(arena.count)
        if hashes.count * 2 > slots.count { rehash() } else { place(id) }
        return Int32(id)
    }

    /// The id of each row's group, or nil where no group has that key: a lookup that creates
    /// nothing (what applying a checkpoint's delta needs to find the groups it removes).
    func existingIDs(_ keys: [Column], count rows: Int) -> [Int?] {
        if keys.isEmpty { return Array(repeating: count > 0 ? 0 : nil, count: rows) }
        var encoded: [UInt8] = [], starts: [Int] = []
        Self.encodeRows(keys, rows, into: &encoded, starts: &starts)
        return encoded.withUnsafeBytes { all in
            (0..<rows).map { row in
                let key = UnsafeRawBufferPointer(rebasing: all[starts[row]..<starts[row + 1]])
                return find(key, hash: Self.hash(key)).map(Int.init)
            }
        }
    }

    /// The bytes of all groups' encoded keys.
    var keysByteCount: Int { arena.count - 4 * count }

    /// The encoded keys of groups `ids`, end to end in that order, into `out` (which has room
    /// for them): one loop over the arena rather than an append of a slice per key.
    func copyKeys(_ ids: some Sequence<Int>, into out: UnsafeMutableRawBufferPointer) {
        arena.withUnsafeBytes { arena in
            var at = 0
            for id in ids {
                let start = entryOffsets[id] + 4, length = entryOffsets[id + 1] - start
                precondition(at + length <= out.count, "no room for the keys")
                (out.baseAddress! + at).copyMemory(from: arena.baseAddress! + start, byteCount: length)
                at += length
            }
        }
    }

    /// Group `id`'s encoded key, as the arena holds it.
    func keyBytes(_ id: Int) -> ArraySlice<UInt8> {
        arena[(entryOffsets[id] + 4)..<entryOffsets[id + 1]]
    }

    /// Encodes row `r`'s key (as ``encode(_:_:into:)`` does, column after column) at
    /// `out[starts[r]..<starts[r + 1]]`, for every row.
    static func encodeRows(_ keys: [Column], _ rows: Int, into out: inout [UInt8], starts: inout [Int]) {
        starts.removeAll(keepingCapacity: true)
        starts.append(contentsOf: repeatElement(0, count: rows + 1))
        starts.withUnsafeMutableBufferPointer { starts in
            for column in keys {
                column.validity.withUnsafeBufferPointer { validity in
                    let nullable = !validity.isEmpty
                    switch column.data {
                    case .int64, .double:
                        for row in 0..<rows { starts[row + 1] += nullable && !validity[row] ? 1 : 9 }
                    case .int128:
                        for row in 0..<rows { starts[row + 1] += nullable && !validity[row] ? 1 : 17 }
                    case .bool:
                        for row in 0..<rows { starts[row + 1] += nullable && !validity[row] ? 1 : 2 }
                    case .bytes(let v):
                        v.offsets.withUnsafeBufferPointer { offsets in
                            for row in 0..<rows {
                                starts[row + 1] += nullable && !validity[row] ? 1 : 9 + Int(offsets[row + 1] &- offsets[row])
                            }
                        }
                    }
                }
            }
            for row in 0..<rows { starts[row + 1] += starts[row] }
        }
        let total = starts[rows]
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: repeatElement(0, count: total))
        var cursor = starts
        out.withUnsafeMutableBytes { out in
            cursor.withUnsafeMutableBufferPointer { cursor in
                for column in keys {
                    column.validity.withUnsafeBufferPointer { validity in
                        let nullable = !validity.isEmpty
                        @inline(__always) func present(_ row: Int) -> Bool {
                            let valid = !nullable || validity[row]
                            out[cursor[row]] = valid ? 1 : 0
                            cursor[row] += 1
                            return valid
                        }
                        @inline(__always) func word(_ w: UInt64, _ row: Int) {
                            out.storeBytes(of: w.littleEndian, toByteOffset: cursor[row], as: UInt64.self)
                            cursor[row] += 8
                        }
                        switch column.data {
                        case .int64(let v):
                            v.withUnsafeBufferPointer { v in
                                for row in 0..<rows where present(row) { word(UInt64(bitPattern: v[row]), row) }
                            }
                        case .int128(let v):
                            v.withUnsafeBufferPointer { v in
                                for row in 0..<rows where present(row) {
                                    word(UInt64(truncatingIfNeeded: v[row]), row)
                                    word(UInt64(truncatingIfNeeded: v[row] >> 64), row)
                                }
                            }
                        case .double(let v):
                            v.withUnsafeBufferPointer { v in
                                for row in 0..<rows where present(row) {
                                    // One NaN and one zero, as Spark's grouping normalizes them.
                                    let d = v[row].isNaN ? Double.nan : (v[row] == 0 ? 0 : v[row])
                                    word(d.bitPattern, row)
                                }
                            }
                        case .bool(let v):
                            for row in 0..<rows where present(row) {
                                out[cursor[row]] = v[row] ? 1 : 0
                                cursor[row] += 1
                            }
                        case .bytes(let v):
                            v.bytes.withUnsafeBytes { bytes in
                                v.offsets.withUnsafeBufferPointer { offsets in
                                    for row in 0..<rows where present(row) {
                                        let from = Int(offsets[row]), length = Int(offsets[row + 1]) - from
                                        word(UInt64(length), row)
                                        if length > 0 {
                                            (out.baseAddress! + cursor[row]).copySmall(from: bytes.baseAddress! + from, count: length)
                                        }
                                        cursor[row] += length
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private mutating func place(_ id: Int) {
        let mask = slots.count - 1
        let hash = hashes[id]
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 { slot = (slot + 1) & mask }
        slots[slot] = (hash & Self.fingerprintMask) | UInt64(entryOffsets[id] + 1)
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
                var at = entryOffsets[id] + 4
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
        case .int128(let v):
            appendWord(UInt64(truncatingIfNeeded: v[row]), to: &out)
            appendWord(UInt64(truncatingIfNeeded: v[row] >> 64), to: &out)
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
        case .int128:
            let low = word()
            column.append(Int128(bitPattern: UInt128(word()) << 64 | UInt128(low)))
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
        bytes.withUnsafeBytes { hash($0) }
    }

    @inline(__always)
    static func hash(_ raw: UnsafeRawBufferPointer) -> UInt64 {
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

    @inline(__always)
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }
}
