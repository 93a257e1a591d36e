#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CByteScan

/// A run of bytes remembered from the previous document, by position, so the next document's
/// is recognised by comparing a few words instead of scanning it.
///
/// A stream's documents come from one producer and list their keys in the same order, so the
/// k-th key is almost always the k-th key of the document before. Two memos use that:
/// - A key memo holds a key and its closing quote. When the bytes after an opening quote
///   equal them, the key is that key: the scan would have found the same end (the remembered
///   text holds no quote, backslash or control character) and the same UTF-8 (identical
///   bytes), and the lookup the same field.
/// - A run memo (the decoder's fast path) holds all the bytes from the end of one value to
///   the start of the next: the `{` or `,`, the key, the `:` and any whitespace between them.
///   Identical bytes parse identically, so a matching run is that key, read and checked.
///
/// Anything else takes the full path, which then updates the memo.
struct JSONKeyMemo {
    /// The remembered bytes as four little-endian words, zero past them, and the bytes of
    /// each word that count. Nothing remembered is a word that cannot match (1 under an empty
    /// mask), so the comparison needs no check of its own.
    var words: SIMD4<UInt64> = SIMD4(1, 0, 0, 0)
    var masks: SIMD4<UInt64> = .zero
    /// How many bytes are remembered; 0 means none.
    var span: Int = 0
    /// The field the key maps to, or -1 for a key nobody requested.
    var field: Int = -1

    /// Keys longer than this are looked up the full way each time (rare in practice).
    static let maximumLength = 24
    /// Positions remembered per document.
    static let positions = 32
    /// Bytes ``matchesWide(_:_:)`` reads, and the most a memo remembers.
    static let wideSpan = 32

    /// Remembers an unescaped key of `length` bytes at `key`, followed by its closing quote
    /// in the document, and its field.
    @inline(__always)
    mutating func remember(key: UnsafePointer<UInt8>, length: Int, field: Int) {
        guard length > 0, length <= Self.maximumLength else { return forget() }
        remember(key, span: length + 1, field: field)
    }

    /// Remembers the `span` bytes at `bytes` and the field they lead to; a span longer than
    /// ``wideSpan`` is forgotten instead.
    @inline(__always)
    mutating func remember(_ bytes: UnsafePointer<UInt8>, span: Int, field: Int) {
        guard span > 0, span <= Self.wideSpan else { return forget() }
        var copy = SIMD32<UInt8>()
        for i in 0..<span { copy[i] = bytes[i] }
        words = unsafeBitCast(copy, to: SIMD4<UInt64>.self)
        for word in 0..<4 {
            let counted = min(max(span - 8 * word, 0), 8)
            masks[word] = counted == 8 ? ~0 : (1 << UInt64(8 * counted)) &- 1
        }
        self.span = span
        self.field = field
    }

    /// Remembers nothing at this position (the key was escaped, empty or too long).
    mutating func forget() {
        self = JSONKeyMemo()
    }

    /// Whether the ``wideSpan`` or more bytes at `bytes` start with the ones remembered by the
    /// memo at `memo`: no branch, the bytes compared at once (`cells_masked_equal32`; x86's
    /// baseline has no 64-bit lane compare, whose emulation cost a third more).
    @inline(__always)
    static func matchesWide(_ memo: UnsafeMutablePointer<JSONKeyMemo>, _ bytes: UnsafePointer<UInt8>) -> Bool {
        cells_masked_equal32(bytes, &memo.pointee.words, &memo.pointee.masks) != 0
    }

    /// ``matchesWide(_:_:)`` for bytes with only `available` of the document left, however few.
    @inline(__always)
    static func matches(_ memo: UnsafeMutablePointer<JSONKeyMemo>, _ bytes: UnsafePointer<UInt8>, available: Int) -> Bool {
        if available >= wideSpan { return matchesWide(memo, bytes) }
        // Near the end of the document: the remembered bytes only, reading none past them.
        let span = memo.pointee.span
        guard span > 0, span <= available else { return false }
        return withUnsafeBytes(of: memo.pointee.words) { memcmp(bytes, $0.baseAddress!, span) == 0 }
    }
}

/// Scratch memory for ``JSONKeyMemo``s: `count` key memos at `base`, one per key position,
/// then as many run memos; `count` 0 turns memoisation off.
struct JSONKeyMemos {
    let base: UnsafeMutablePointer<JSONKeyMemo>?
    let count: Int

    /// The run memos, after the key memos.
    var runs: UnsafeMutablePointer<JSONKeyMemo>? { base.map { $0 + count } }

    /// The memos `base` must hold for `positions` positions.
    static func capacity(positions: Int = JSONKeyMemo.positions) -> Int { 2 * positions }

    static var none: JSONKeyMemos { JSONKeyMemos(base: nil, count: 0) }
}
