#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decoding of string escapes in text the scanner has already validated, so nothing here
/// re-checks: validation runs once, during the scan, and only kept strings are decoded.
enum JSONUnescaping {
    /// The escape at `p` (its backslash) as up to four UTF-8 bytes packed low byte first,
    /// their count, and how many input bytes the escape spans.
    @inline(__always)
    static func decodeEscape(_ p: UnsafePointer<UInt8>) -> (bytes: UInt32, count: Int, consumed: Int) {
        switch p[1] {
        case UInt8(ascii: "b"): return (0x08, 1, 2)
        case UInt8(ascii: "f"): return (0x0C, 1, 2)
        case UInt8(ascii: "n"): return (0x0A, 1, 2)
        case UInt8(ascii: "r"): return (0x0D, 1, 2)
        case UInt8(ascii: "t"): return (0x09, 1, 2)
        case UInt8(ascii: "u"):
            var scalar = hex4(p + 2)
            var consumed = 6
            if scalar & 0xFC00 == 0xD800 {
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (hex4(p + 8) - 0xDC00)
                consumed = 12
            }
            switch scalar {
            case ..<0x80:
                return (scalar, 1, consumed)
            case ..<0x800:
                return ((0xC0 | scalar >> 6) | (0x80 | scalar & 0x3F) << 8, 2, consumed)
            case ..<0x10000:
                return ((0xE0 | scalar >> 12) | (0x80 | scalar >> 6 & 0x3F) << 8 | (0x80 | scalar & 0x3F) << 16, 3, consumed)
            default:
                return ((0xF0 | scalar >> 18) | (0x80 | scalar >> 12 & 0x3F) << 8
                    | (0x80 | scalar >> 6 & 0x3F) << 16 | (0x80 | scalar & 0x3F) << 24, 4, consumed)
            }
        default:
            // '"', '\\' and '/' stand for themselves.
            return (UInt32(p[1]), 1, 2)
        }
    }

    @inline(__always)
    static func hex4(_ p: UnsafePointer<UInt8>) -> UInt32 {
        var value: UInt32 = 0
        for k in 0..<4 { value = value << 4 | UInt32(JSONScanner.hexValue(p[k]) ?? 0) }
        return value
    }

    /// Offset of the first `byte` in `p[0..<count]`, or `count` (libc's vectorized memchr).
    @inline(__always)
    static func nextByte(_ byte: UInt8, _ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        guard count > 0, let hit = memchr(p, Int32(byte), count) else { return count }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(p)
    }

    @inline(__always)
    static func nextBackslash(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int {
        nextByte(UInt8(ascii: "\\"), p, count)
    }

    /// Writes the decoded contents of `text[0..<count]` to `output`, which must have room for
    /// `count` bytes (no escape decodes to more bytes than it spans); returns the length.
    static func unescape(_ text: UnsafePointer<UInt8>, count: Int, into output: UnsafeMutablePointer<UInt8>) -> Int {
        var i = 0
        var o = 0
        while i < count {
            let next = i + nextBackslash(text + i, count - i)
            (output + o).update(from: text + i, count: next - i)
            o += next - i
            if next == count { break }
            let (bytes, n, consumed) = decodeEscape(text + next)
            for k in 0..<n { output[o + k] = UInt8(truncatingIfNeeded: bytes >> (8 * k)) }
            o += n
            i = next + consumed
        }
        return o
    }

    /// Appends the decoded contents of `text[0..<count]` as a new element of `vector`, in runs
    /// between escapes, so no scratch buffer is needed however long the string is.
    static func appendUnescaped(_ text: UnsafePointer<UInt8>, count: Int, to vector: inout ByteVector) {
        vector.appendEmpty()
        var i = 0
        while i < count {
            let next = i + nextBackslash(text + i, count - i)
            if next > i { vector.appendToLast(UnsafeRawBufferPointer(start: text + i, count: next - i)) }
            if next == count { break }
            let (bytes, n, consumed) = decodeEscape(text + next)
            for k in 0..<n { vector.appendToLast(byte: UInt8(truncatingIfNeeded: bytes >> (8 * k))) }
            i = next + consumed
        }
    }
}
