/// An unchecked cursor over a scratch buffer that the record writers fill with JSON text.
///
/// Records have a bounded length (every variable part comes from a fixed pool or has a fixed
/// width), so the generator sizes one stack buffer for the worst case and the writers can skip
/// per-byte capacity checks; the bound is verified with `assert` in debug builds.
struct ByteWriter {
    let start: UnsafeMutablePointer<UInt8>
    private let end: UnsafeMutablePointer<UInt8>
    private(set) var cursor: UnsafeMutablePointer<UInt8>

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        start = buffer.baseAddress!
        end = start + buffer.count
        cursor = start
    }

    /// Bytes written so far.
    var count: Int { cursor - start }

    /// The written bytes, valid until the underlying buffer goes away.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: start, count: count) }

    @inline(__always)
    mutating func byte(_ b: UInt8) {
        assert(cursor < end, "record longer than its scratch buffer")
        cursor.pointee = b
        cursor += 1
    }

    /// Copies `n` bytes. Pieces are short (names, cities: mostly under 24 bytes), where a call to
    /// `memmove` costs more than the copy, so this copies in overlapping 8- or 4-byte words.
    @inline(__always)
    mutating func bytes(_ source: UnsafePointer<UInt8>, count n: Int) {
        assert(cursor + n <= end, "record longer than its scratch buffer")
        let from = UnsafeRawPointer(source)
        let to = UnsafeMutableRawPointer(cursor)
        if n >= 8 {
            var i = 0
            while i + 8 <= n {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
                i += 8
            }
            if i < n {
                to.storeBytes(of: from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8,
                              as: UInt64.self)
            }
        } else if n >= 4 {
            to.storeBytes(of: from.loadUnaligned(as: UInt32.self), as: UInt32.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self), toByteOffset: n - 4,
                          as: UInt32.self)
        } else {
            for i in 0..<n { cursor[i] = source[i] }
        }
        cursor += n
    }

    /// Literal text: the JSON punctuation and field names between values.
    @inline(__always)
    mutating func text(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes($0.baseAddress!, count: $0.count) }
    }

    /// Eight bytes whose memory order is `packed`'s little-endian byte order (see `packDigits`).
    @inline(__always)
    mutating func word(_ packed: UInt64) {
        assert(cursor + 8 <= end, "record longer than its scratch buffer")
        UnsafeMutableRawPointer(cursor).storeBytes(of: packed.littleEndian, as: UInt64.self)
        cursor += 8
    }

    /// An ASCII digit for `0...9`.
    @inline(__always)
    mutating func digit<T: BinaryInteger>(_ d: T) {
        byte(UInt8(truncatingIfNeeded: d) &+ UInt8(ascii: "0"))
    }

    /// Exactly two digits, zero padded (`v` in `0...99`).
    @inline(__always)
    mutating func twoDigits(_ v: Int) {
        byte(UInt8(truncatingIfNeeded: v / 10) &+ 48)
        byte(UInt8(truncatingIfNeeded: v % 10) &+ 48)
    }

    /// Exactly three digits, zero padded (`v` in `0...999`).
    @inline(__always)
    mutating func threeDigits(_ v: Int) {
        byte(UInt8(truncatingIfNeeded: v / 100) &+ 48)
        twoDigits(v % 100)
    }

    /// `v` in decimal with at least `width` digits (zero padded), no sign.
    mutating func decimal(_ v: UInt64, minimumWidth width: Int = 1) {
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes ≥ 20 digits of UInt64.max
        withUnsafeMutableBytes(of: &scratch) { raw in
            var i = raw.count
            var rest = v
            repeat {
                i -= 1
                raw[i] = UInt8(truncatingIfNeeded: rest % 10) &+ 48
                rest /= 10
            } while rest != 0
            while raw.count - i < width && i > 0 {
                i -= 1
                raw[i] = 48
            }
            bytes(raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: raw.count - i)
        }
    }
}

/// The last `count` decimal digits of `value`, zero padded, as ASCII packed for `ByteWriter.word`
/// (most significant digit in the lowest byte, i.e. written first), so fixed-width fields such as
/// card numbers cost one store instead of a loop.
func packDigits(_ value: UInt64, count: Int) -> UInt64 {
    precondition(count <= 8)
    var packed: UInt64 = 0
    var rest = value
    var k = count
    while k > 0 {
        k -= 1
        packed |= (rest % 10 + 48) << (8 * UInt64(k))
        rest /= 10
    }
    return packed
}
