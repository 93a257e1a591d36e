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
    /// First 8 (or 4, or the 1-3 sampled) bytes, bytes 8..<16, and the last 8 (or 4) bytes.
    var head: UInt64 = 0
    var middle: UInt64 = 0
    var tail: UInt64 = 0
    /// Key length in bytes; 0 means nothing remembered (empty keys are never memoised).
    var length: Int = 0
    /// The field the key maps to, or -1 for a key nobody requested.
    var field: Int = -1
    /// The key and its closing quote as four little-endian words, zero past them, and the
    /// bytes of each word that count: what ``matchesWide(_:)`` compares without a branch.
    /// Nothing remembered is a word that cannot match (1 under an empty mask).
    var words: SIMD4<UInt64> = SIMD4(1, 0, 0, 0)
    var masks: SIMD4<UInt64> = .zero

    /// Keys longer than this are looked up the full way each time (rare in practice).
    static let maximumLength = 24
    /// Positions remembered per document.
    static let positions = 32

    /// The words compared for a key of `length` bytes at `key`, without reading outside it.
    @inline(__always)
    static func words(_ key: UnsafePointer<UInt8>, _ length: Int) -> (UInt64, UInt64, UInt64) {
        let raw = UnsafeRawPointer(key)
        if length >= 8 {
            let head = raw.loadUnaligned(as: UInt64.self)
            let tail = raw.loadUnaligned(fromByteOffset: length - 8, as: UInt64.self)
            let middle = length > 16 ? raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) : 0
            return (head, middle, tail)
        }
        if length >= 4 {
            return (UInt64(raw.loadUnaligned(as: UInt32.self)), 0,
                    UInt64(raw.loadUnaligned(fromByteOffset: length - 4, as: UInt32.self)))
        }
        // 1-3 bytes: positions 0, length/2 and length-1 cover every byte.
        return (UInt64(key[0]) | UInt64(key[length >> 1]) << 8 | UInt64(key[length - 1]) << 16, 0, 0)
    }

    /// Remembers an unescaped key of `length` bytes at `key` and its field.
    @inline(__always)
    mutating func remember(_ key: UnsafePointer<UInt8>, _ length: Int, field: Int) {
        guard length > 0, length <= Self.maximumLength else {
            self.length = 0
            return
        }
        (head, middle, tail) = Self.words(key, length)
        self.length = length
        self.field = field
        // length + 1 <= 25 bytes: the key and its quote fit the four words.
        var bytes = SIMD32<UInt8>()
        for i in 0..<length { bytes[i] = key[i] }
        bytes[length] = UInt8(ascii: "\"")
        words = unsafeBitCast(bytes, to: SIMD4<UInt64>.self)
        for word in 0..<4 {
            let counted = min(max(length + 1 - 8 * word, 0), 8)
            masks[word] = counted == 8 ? ~0 : (1 << UInt64(8 * counted)) &- 1
        }
    }

    /// Bytes ``matchesWide(_:)`` reads after the opening quote.
    static let wideSpan = 32

    /// ``matches(_:available:)`` in four loads and no branch, for a key with at least
    /// ``wideSpan`` bytes of the document from its first byte on.
    @inline(__always)
    func matchesWide(_ key: UnsafePointer<UInt8>) -> Bool {
        let read = UnsafeRawPointer(key).loadUnaligned(as: SIMD4<UInt64>.self)
        return (read & masks) == words
    }

    /// Whether the key starting at `key` (just after its opening quote), with `available`
    /// bytes left in the document, is the remembered one followed by its closing quote.
    @inline(__always)
    func matches(_ key: UnsafePointer<UInt8>, available: Int) -> Bool {
        let n = length
        guard n > 0, n < available, key[n] == UInt8(ascii: "\"") else { return false }
        let (h, m, t) = Self.words(key, n)
        return h == head && t == tail && m == middle
    }
}

/// Scratch memory for ``JSONKeyMemo``s, one per key position; `count` 0 turns memoisation off.
struct JSONKeyMemos {
    let base: UnsafeMutablePointer<JSONKeyMemo>?
    let count: Int

    static var none: JSONKeyMemos { JSONKeyMemos(base: nil, count: 0) }
}
