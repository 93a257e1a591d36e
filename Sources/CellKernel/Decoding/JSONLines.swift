#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// JSON-lines text, as files hold it: a document per line.
enum JSONLines {
    /// The line starting at `start` (before `limit`): where it ends, without its newline or a
    /// `\r` before it, where the next one starts, and whether it is blank.
    @inline(__always)
    static func line(_ base: UnsafePointer<UInt8>, at start: Int, limit: Int) -> (end: Int, next: Int, isBlank: Bool) {
        let newline = memchr(base + start, 0x0A, limit - start).map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? limit
        var end = newline
        if end > start && base[end - 1] == 0x0D { end -= 1 }
        // A line starting with a visible character is not blank: the common case, checked first.
        var first = start
        while first < end && base[first] <= 0x20 { first += 1 }
        return (end, newline + 1, first == end)
    }
}
