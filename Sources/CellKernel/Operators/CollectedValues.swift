/// The elements one group of `collect_list(x)` / `collect_set(x)` has collected, kept as the
/// canonical nested encoding of the ARRAY they become (``NestedEncoding``): the element slots
/// end to end, so the result is the count and these bytes, with no boxing per element.
///
/// A set also keeps where each element starts and an open-addressing table of element
/// numbers hashed by their bytes (as ``GroupTable`` hashes keys), so a duplicate is found
/// without an object per element. Because the encoding is canonical (every NaN is one NaN,
/// -0.0 is 0.0, as Spark's set semantics for floating values), equal values have equal bytes
/// and byte equality is value equality.
///
/// A set's elements stay in the order they were first seen (Spark leaves collect_set's order
/// unspecified; first-seen is deterministic for one arrival order).
struct CollectedValues: Sendable {
    /// The element slots (a present flag, then the value), end to end.
    private(set) var bytes: [UInt8] = []
    /// Number of elements.
    private(set) var count: Int = 0
    /// A set's element starts; empty for a list.
    private var starts: [Int] = []
    /// A set's hash table: 0 is an empty slot, else element number + 1. Its size is a power
    /// of two kept at least twice the count.
    private var table: [Int32] = []
    /// The group collected more than ``maximumBytes``: further elements were refused, and the
    /// aggregation reports its state as over any memory limit so the query stops with the
    /// state-memory error rather than return a cut-off array.
    private(set) var overflowed = false

    /// Bytes one group may collect: its ARRAY must fit a column's 32-bit offsets with room for
    /// other groups' values in the same result.
    static let maximumBytes = 1 << 30

    /// About how many bytes this holds.
    var estimatedBytes: Int { 64 + bytes.capacity + starts.capacity * 8 + table.capacity * 4 }

    /// Appends row `row` of `column` (not NULL) unless, for a set, an equal element is there.
    mutating func add(_ column: Column, _ row: Int, distinct: Bool) {
        guard !overflowed else { return }
        let start = bytes.count
        Self.appendSlot(column, row, to: &bytes)
        finishAdd(from: start, distinct: distinct)
    }

    /// Appends every element of `other` (collected by the same aggregate) after these.
    mutating func append(contentsOf other: CollectedValues, distinct: Bool) {
        guard !overflowed else { return }
        if other.overflowed { overflowed = true }
        guard distinct else {
            guard bytes.count + other.bytes.count <= Self.maximumBytes else { overflowed = true; return }
            bytes.append(contentsOf: other.bytes)
            count += other.count
            return
        }
        for i in 0..<other.count where !overflowed {
            let start = bytes.count
            bytes.append(contentsOf: other.bytes[other.elementRange(i)])
            finishAdd(from: start, distinct: true)
        }
    }

    /// The ARRAY value: the element count, then the slots.
    func appendResult(to out: inout Column) {
        var array: [UInt8] = []
        array.reserveCapacity(4 + bytes.count)
        NestedEncoding.appendUInt32(UInt32(truncatingIfNeeded: count), to: &array)
        array.append(contentsOf: bytes)
        array.withUnsafeBytes { out.append(bytes: $0) }
    }

    /// Rebuilds a group from a snapshot's bytes, checking each element against `type`.
    /// Nil when the bytes are not `count` well-formed present slots of `type` (or, for a set,
    /// hold a duplicate).
    static func restored(_ bytes: [UInt8], count: Int, type: SQLType, distinct: Bool) -> CollectedValues? {
        var starts: [Int] = []
        let ok: Bool = bytes.withUnsafeBytes { raw in
            var reader = NestedReader(raw)
            for _ in 0..<count {
                starts.append(reader.position)
                guard reader.byte() == NestedEncoding.presentFlag, reader.skip(type) else { return false }
            }
            return reader.atEnd
        }
        guard ok, bytes.count <= maximumBytes else { return nil }
        var values = CollectedValues()
        if !distinct {
            values.bytes = bytes
            values.count = count
            return values
        }
        values.bytes.reserveCapacity(bytes.count)
        for (i, start) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1] : bytes.count
            let before = values.count, at = values.bytes.count
            values.bytes.append(contentsOf: bytes[start..<end])
            values.finishAdd(from: at, distinct: true)
            guard values.count == before + 1 else { return nil }
        }
        return values
    }

    // MARK: - Internals

    /// The element appended at `start..<bytes.count` is kept, or (a duplicate in a set, or
    /// past the limit) taken back off.
    private mutating func finishAdd(from start: Int, distinct: Bool) {
        guard bytes.count <= Self.maximumBytes else {
            bytes.removeSubrange(start...)
            overflowed = true
            return
        }
        guard distinct else { count += 1; return }
        if table.count < 2 * (count + 1) { rehash(to: Swift.max(16, table.count * 2), end: start) }
        let mask = table.count - 1
        let hash = bytes.withUnsafeBytes { GroupTable.hash(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        var slot = Int(truncatingIfNeeded: hash) & mask
        while table[slot] != 0 {
            if equalElement(Int(table[slot]) - 1, start) {
                bytes.removeSubrange(start...)
                return
            }
            slot = (slot + 1) & mask
        }
        starts.append(start)
        table[slot] = Int32(truncatingIfNeeded: count + 1)
        count += 1
    }

    /// Element `i`'s bytes; `end` is where the last element ends (short of `bytes.count` while
    /// a candidate is appended after it).
    private func elementRange(_ i: Int, end: Int? = nil) -> Range<Int> {
        guard !starts.isEmpty else { return 0..<0 }
        return starts[i]..<(i + 1 < starts.count ? starts[i + 1] : end ?? bytes.count)
    }

    /// Element `i` has the bytes of the candidate at `start..<bytes.count`.
    private func equalElement(_ i: Int, _ start: Int) -> Bool {
        let range = starts[i]..<(i + 1 < starts.count ? starts[i + 1] : start)
        return range.count == bytes.count - start && bytes[range].elementsEqual(bytes[start...])
    }

    /// Rebuilds the table at `size` slots; `end` is where the kept elements end (a candidate
    /// may follow them, and must not be hashed as part of the last one).
    private mutating func rehash(to size: Int, end: Int) {
        table = [Int32](repeating: 0, count: size)
        let mask = size - 1
        for i in 0..<count {
            let range = elementRange(i, end: end)
            let hash = bytes.withUnsafeBytes { GroupTable.hash(UnsafeRawBufferPointer(rebasing: $0[range])) }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while table[slot] != 0 { slot = (slot + 1) & mask }
            table[slot] = Int32(truncatingIfNeeded: i + 1)
        }
    }

    /// A present slot for row `row` of `column` (not NULL), in the canonical nested encoding.
    static func appendSlot(_ column: Column, _ row: Int, to out: inout [UInt8]) {
        out.append(NestedEncoding.presentFlag)
        switch column.data {
        case .int64(let v): NestedEncoding.appendUInt64(UInt64(bitPattern: v[row]), to: &out)
        case .double(let v): NestedEncoding.appendUInt64(NestedEncoding.canonicalBits(v[row]), to: &out)
        case .int128(let v): NestedEncoding.appendInt128(v[row], to: &out)
        case .bool(let v): out.append(v[row] ? 1 : 0)
        case .bytes(let v):
            let range = v.range(row)
            // A nested value's bytes are already its encoding; a string takes its length first.
            if !column.type.isNested { NestedEncoding.appendUInt32(UInt32(truncatingIfNeeded: range.count), to: &out) }
            out.append(contentsOf: v.bytes[range])
        }
    }
}
