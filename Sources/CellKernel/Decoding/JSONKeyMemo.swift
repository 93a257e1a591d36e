#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The keys of the previous document, by position, so the next document's keys are
/// recognised by comparing a few words instead of scanning and hashing each one.
///
/// A stream's documents come from one producer and list their keys in the same order, so the
/// k-th key is almost always the k-th key of the document before. When the bytes after the
/// opening quote equal that key and are followed by a quote, the key is that key: the scan
/// would have found the same end (the remembered text holds no quote, backslash or control
/// character) and the same UTF-8 (identical bytes), and the lookup the same field. Anything
/// else takes the full path, which then updates the memo.
struct JSONKeyMemo {
    /// The key and its closing quote as four little-endian words, zero past them, and the
    /// bytes of each word that count. Nothing remembered is a word that cannot match (1 under
    /// an empty mask), so the comparison needs no check of its own.
    var words: SIMD4<UInt64> = SIMD4(1, 0, 0, 0)
    var masks: SIMD4<UInt64> = .zero
    /// Key length in bytes; 0 means nothing remembered (empty keys are never memoised).
    var length: Int = 0
    /// The field the key maps to, or -1 for a key nobody requested.
    var field: Int = -1

    /// Keys longer than this are looked up the full way each time (rare in practice): with
    /// its quote, a key fills the four words at most.
    static let maximumLength = 24
    /// Positions remembered per document.
    static let positions = 32
    /// Bytes ``matchesWide(_:)`` reads after the opening quote.
    static let wideSpan = 32

    /// Remembers an unescaped key of `length` bytes at `key` and its field.
    @inline(__always)
    mutating func remember(_ key: UnsafePointer<UInt8>, _ length: Int, field: Int) {
        guard length > 0, length <= Self.maximumLength else { return forget() }
        var bytes = SIMD32<UInt8>()
        for i in 0..<length { bytes[i] = key[i] }
        bytes[length] = UInt8(ascii: "\"")
        words = unsafeBitCast(bytes, to: SIMD4<UInt64>.self)
        for word in 0..<4 {
            let counted = min(max(length + 1 - 8 * word, 0), 8)
            masks[word] = counted == 8 ? ~0 : (1 << UInt64(8 * counted)) &- 1
        }
        self.length = length
        self.field = field
    }

    /// Remembers nothing at this position (the key was escaped, empty or too long).
    mutating func forget() {
        self = JSONKeyMemo()
    }

    /// Whether the key starting at `key` (just after its opening quote), with at least
    /// ``wideSpan`` bytes of the document from there on, is the remembered one followed by its
    /// closing quote: four loads and no branch.
    @inline(__always)
    func matchesWide(_ key: UnsafePointer<UInt8>) -> Bool {
        let read = UnsafeRawPointer(key).loadUnaligned(as: SIMD4<UInt64>.self)
        return (read & masks) == words
    }

    /// ``matchesWide(_:)`` for a key with `available` bytes left in the document, however few.
    @inline(__always)
    func matches(_ key: UnsafePointer<UInt8>, available: Int) -> Bool {
        if available >= Self.wideSpan { return matchesWide(key) }
        // Near the end of the document: the key and its quote only, reading none past it.
        guard length > 0, length < available else { return false }
        return withUnsafeBytes(of: words) { memcmp(key, $0.baseAddress!, length + 1) == 0 }
    }
}

/// Scratch memory for ``JSONKeyMemo``s, one per key position; `count` 0 turns memoisation off.
struct JSONKeyMemos {
    let base: UnsafeMutablePointer<JSONKeyMemo>?
    let count: Int

    static var none: JSONKeyMemos { JSONKeyMemos(base: nil, count: 0) }
}
