/// Appends fixed-width little-endian values to a byte buffer: the whole of the snapshot
/// format's vocabulary. Fixed widths keep reading a matter of bounds checks, not parsing.
struct SnapshotWriter {
    private(set) var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }
    mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func int(_ value: Int) { u64(UInt64(bitPattern: Int64(value))) }
    mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    /// Doubles by bit pattern: restored sums are the same bits, not a rounded decimal.
    mutating func f64(_ value: Double) { u64(value.bitPattern) }

    /// A length, then the bytes.
    mutating func blob(_ value: some Collection<UInt8>) {
        int(value.count)
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { blob(value.utf8) }

    mutating func raw(_ value: some Collection<UInt8>) { bytes.append(contentsOf: value) }

    /// Many values as ``i64(_:)`` or ``f64(_:)`` would write them one by one: in one copy,
    /// since on a little-endian host their memory already is those bytes (a checkpoint of
    /// 100k groups writes hundreds of thousands of them).
    mutating func words<T: FixedWidthInteger>(_ values: [T]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
    }

    mutating func words(_ values: [Double]) {
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { f64(v) }
        #endif
    }

    /// Flags as ``bool(_:)`` would write them one by one, in one copy: a `Bool`'s byte is 0 or 1.
    mutating func bools(_ values: [Bool]) {
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
    }

    /// `count` more bytes, which `body` writes (all of them) in place: for many small pieces
    /// of one buffer, such as a table's keys, without an append each.
    mutating func fill(_ count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        guard count > 0 else { return }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: count))
        bytes.withUnsafeMutableBytes { body(UnsafeMutableRawBufferPointer(rebasing: $0[start...])) }
    }

    /// Room for `count` more bytes, so a big state grows its buffer once, not by doublings.
    mutating func reserve(_ count: Int) { bytes.reserveCapacity(bytes.count + count) }

    /// Overwrites the 8 bytes at `offset` with `value` (a length known only at the end).
    mutating func patch(_ value: UInt64, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + 8), with: $0) }
    }

    /// The bytes written, moved out (no copy of a large buffer).
    mutating func finish() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &bytes)
        return taken
    }
}

/// Reads what ``SnapshotWriter`` wrote, checking every length against the bytes left, so a
/// cut-off or damaged snapshot is an error naming the field, never a crash.
struct SnapshotReader {
    let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8], from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func take(_ count: Int, _ what: String) throws(SnapshotError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= remaining else { throw .truncated(what: what, offset: offset, needed: count) }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func byte(_ what: String) throws(SnapshotError) -> UInt8 { try take(1, what).first! }

    mutating func bool(_ what: String) throws(SnapshotError) -> Bool {
        switch try byte(what) {
        case 0: false
        case 1: true
        case let other: throw .corrupt("\(what) is \(other), not a boolean")
        }
    }

    mutating func u16(_ what: String) throws(SnapshotError) -> UInt16 {
        let b = try take(2, what)
        return UInt16(b[b.startIndex]) | UInt16(b[b.startIndex + 1]) << 8
    }

    mutating func u64(_ what: String) throws(SnapshotError) -> UInt64 {
        let b = try take(8, what)
        var value: UInt64 = 0
        for (i, byte) in b.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }

    mutating func i64(_ what: String) throws(SnapshotError) -> Int64 { Int64(bitPattern: try u64(what)) }
    mutating func f64(_ what: String) throws(SnapshotError) -> Double { Double(bitPattern: try u64(what)) }

    /// A count or length: must be non-negative and, at `unit` bytes per element, fit in the
    /// bytes left, so a damaged length cannot make the reader allocate gigabytes.
    mutating func count(_ what: String, unit: Int = 1) throws(SnapshotError) -> Int {
        let at = offset
        let value = try i64(what)
        guard value >= 0 else { throw .corrupt("\(what) is negative (\(value)) at byte \(at)") }
        guard value <= Int64(remaining / max(unit, 1)) else {
            throw .truncated(what: what, offset: offset, needed: Int(clamping: value) &* unit)
        }
        return Int(value)
    }

    mutating func blob(_ what: String) throws(SnapshotError) -> ArraySlice<UInt8> {
        try take(try count("\(what) length"), what)
    }

    mutating func string(_ what: String) throws(SnapshotError) -> String {
        String(decoding: try blob(what), as: UTF8.self)
    }
}

/// FNV-1a over 64-bit words (the last few bytes one at a time), then a final mix: enough to
/// tell a damaged snapshot from an intact one (a changed byte always changes it; not a
/// defence against tampering, which checkpoints do not need), and a word at a time because
/// a checkpoint checksums the whole state after every batch.
func snapshotChecksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    let prime: UInt64 = 0x0000_0100_0000_01B3
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325 ^ UInt64(bytes.count)
    bytes.withUnsafeBytes { raw in
        let words = raw.count / 8
        for i in 0..<words {
            hash ^= UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            hash = hash &* prime
        }
        for i in (words * 8)..<raw.count {
            hash ^= UInt64(raw[i])
            hash = hash &* prime
        }
    }
    // A multiply only carries a change upwards; folding the high half down spreads it.
    hash ^= hash >> 33
    hash = hash &* 0xFF51_AFD7_ED55_8CCD
    hash ^= hash >> 33
    return hash
}
