#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer that appends Kafka's encodings (big-endian integers, strings,
/// zig-zag varints). A class over malloc'd memory rather than an array: a request is built
/// once and written to a socket, a batch's records are appended a field at a time on the
/// producer's hot path, and LZ4 compresses straight into it, none of which wants an array's
/// zero-filling or its checks on every append.
///
/// One owner at a time: the producer fills a batch's buffer, then hands it to the sender
/// thread and never touches it again.
final class WireBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 256) {
        self.capacity = max(capacity, 64)
        base = malloc(self.capacity)!
    }

    deinit { free(base) }

    /// Forgets the contents and keeps the memory.
    func reset() { count = 0 }

    /// Makes room for `extra` more bytes.
    @inline(__always) func reserve(_ extra: Int) {
        if count + extra > capacity { grow(to: count + extra) }
    }

    private func grow(to needed: Int) {
        var c = capacity
        while c < needed { c *= 2 }
        guard let moved = realloc(base, c) else { fatalError("out of memory growing a buffer to \(c) bytes") }
        base = moved
        capacity = c
    }

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
    var array: [UInt8] { Array(bytes) }

    @inline(__always) private func bigEndian<T: FixedWidthInteger>(_ v: T) {
        reserve(MemoryLayout<T>.size)
        (base + count).storeBytes(of: v.bigEndian, as: T.self)
        count += MemoryLayout<T>.size
    }

    func int8(_ v: Int8) { bigEndian(UInt8(bitPattern: v)) }
    func int16(_ v: Int16) { bigEndian(UInt16(bitPattern: v)) }
    func int32(_ v: Int32) { bigEndian(UInt32(bitPattern: v)) }
    func int64(_ v: Int64) { bigEndian(UInt64(bitPattern: v)) }
    func bool(_ v: Bool) { bigEndian(UInt8(v ? 1 : 0)) }

    /// A STRING: int16 length, then UTF-8 (the caller keeps it under 32 KiB).
    func string(_ s: String) {
        var s = s
        s.withUTF8 { utf8 in
            int16(Int16(truncatingIfNeeded: utf8.count))
            raw(UnsafeRawBufferPointer(utf8))
        }
    }

    /// A NULLABLE_STRING: -1 for null.
    func nullableString(_ s: String?) {
        if let s { string(s) } else { int16(-1) }
    }

    /// A zig-zag VARINT (records use them for lengths and deltas).
    @inline(__always) func varint(_ v: Int64) {
        reserve(10)
        var u = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        var p = base + count
        while u >= 0x80 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: u) | 0x80, as: UInt8.self)
            p += 1
            u >>= 7
        }
        p.storeBytes(of: UInt8(u), as: UInt8.self)
        count = p + 1 - base
    }

    /// The bytes `varint(v)` writes.
    @inline(__always) static func varintSize(_ v: Int64) -> Int {
        let u = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        return (64 - (u | 1).leadingZeroBitCount + 6) / 7
    }

    @inline(__always) func raw(_ b: UnsafeRawBufferPointer) {
        guard let src = b.baseAddress, !b.isEmpty else { return }
        reserve(b.count)
        (base + count).copyMemory(from: src, byteCount: b.count)
        count += b.count
    }

    /// Lets `body` write at most `capacity` bytes at the end and keeps the number it returns.
    func append(upTo capacity: Int, _ body: (UnsafeMutableRawPointer) -> Int) {
        reserve(capacity)
        let written = body(base + count)
        precondition(written >= 0 && written <= capacity, "wrote \(written) bytes into room for \(capacity)")
        count += written
    }

    /// Overwrites 4 bytes at `offset` (a length or CRC known only after what follows it).
    func patch(int32 v: Int32, at offset: Int) {
        precondition(offset >= 0 && offset + 4 <= count)
        (base + offset).storeBytes(of: UInt32(bitPattern: v).bigEndian, as: UInt32.self)
    }

    func patch(uint32 v: UInt32, at offset: Int) { patch(int32: Int32(bitPattern: v), at: offset) }
}

/// Reads Kafka's encodings from a response, throwing on anything short or out of range: a
/// response is input from the network, so no length in it is trusted.
struct WireReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    /// What is being read, for the error (e.g. "Metadata response").
    let what: String
    let broker: String

    init(_ bytes: [UInt8], what: String, broker: String) {
        self.bytes = bytes
        offset = 0
        self.what = what
        self.broker = broker
    }

    var remaining: Int { bytes.count - offset }

    private func short() -> WireError { .malformed(broker: broker, what: "\(what) (ends at byte \(bytes.count), a field needs more)") }

    private mutating func bigEndian<T: FixedWidthInteger>(_: T.Type) throws(WireError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw short() }
        var v: T = 0
        for i in 0..<size { v = v << 8 | T(truncatingIfNeeded: bytes[offset + i]) }
        offset += size
        return v
    }

    mutating func int8() throws(WireError) -> Int8 { Int8(bitPattern: try bigEndian(UInt8.self)) }
    mutating func int16() throws(WireError) -> Int16 { Int16(bitPattern: try bigEndian(UInt16.self)) }
    mutating func int32() throws(WireError) -> Int32 { Int32(bitPattern: try bigEndian(UInt32.self)) }
    mutating func int64() throws(WireError) -> Int64 { Int64(bitPattern: try bigEndian(UInt64.self)) }
    mutating func bool() throws(WireError) -> Bool { try int8() != 0 }

    mutating func nullableString() throws(WireError) -> String? {
        let n = Int(try int16())
        if n == -1 { return nil }
        guard n >= 0, remaining >= n else { throw short() }
        defer { offset += n }
        return String(decoding: bytes[offset..<offset + n], as: UTF8.self)
    }

    mutating func string() throws(WireError) -> String {
        guard let s = try nullableString() else { throw .malformed(broker: broker, what: "\(what) (a null where a string must be)") }
        return s
    }

    /// An ARRAY's count, checked against what is left (each element takes at least
    /// `minimumElementSize` bytes), so that a hostile count cannot make a huge allocation.
    mutating func arrayCount(minimumElementSize: Int) throws(WireError) -> Int {
        let n = Int(try int32())
        if n == -1 { return 0 }
        guard n >= 0, n <= remaining / max(1, minimumElementSize) else {
            throw .malformed(broker: broker, what: "\(what) (an array of \(n) elements in \(remaining) bytes)")
        }
        return n
    }

    mutating func skip(_ n: Int) throws(WireError) {
        guard n >= 0, remaining >= n else { throw short() }
        offset += n
    }
}
