/// A fixed list of short ASCII strings kept in one contiguous byte array.
///
/// The generator copies pool strings (names, merchants, cities …) into every record; keeping them
/// in one arena means a copy is a pointer offset and a `memcpy`, with no `String` machinery, no
/// reference counting per string and no UTF-8 validation in the hot path.
struct TextTable: Sendable {
    private let storage: [UInt8]
    /// `bounds[i] ..< bounds[i + 1]` are the bytes of entry `i`.
    private let bounds: [UInt32]

    /// Length in bytes of the longest entry: used to size the record scratch buffer.
    let maxLength: Int

    /// Builds the table. Entries must be plain printable ASCII without `"` or `\`, because the
    /// writers embed them in JSON strings without escaping.
    init<S: Sequence>(_ entries: S) where S.Element == String {
        var storage: [UInt8] = []
        var bounds: [UInt32] = [0]
        var longest = 0
        for entry in entries {
            let utf8 = Array(entry.utf8)
            precondition(utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") },
                         "pool text must need no JSON escaping: \(entry)")
            storage.append(contentsOf: utf8)
            bounds.append(UInt32(storage.count))
            longest = max(longest, utf8.count)
        }
        self.storage = storage
        self.bounds = bounds
        self.maxLength = longest
    }

    var count: Int { bounds.count - 1 }

    @inline(__always)
    func write(_ i: Int, into writer: inout ByteWriter) {
        let lower = Int(bounds[i])
        let upper = Int(bounds[i + 1])
        storage.withUnsafeBufferPointer { writer.bytes($0.baseAddress! + lower, count: upper - lower) }
    }

    /// Lends entry `i`'s bytes without copying them.
    @inline(__always)
    func withEntry<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let lower = Int(bounds[i])
        let upper = Int(bounds[i + 1])
        return storage.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[lower..<upper])) }
    }

    /// Entry `i` as raw bytes (set-up and tests; allocates).
    func bytes(_ i: Int) -> ArraySlice<UInt8> {
        storage[Int(bounds[i])..<Int(bounds[i + 1])]
    }

    /// Entry `i` as a `String` (tests and diagnostics; allocates).
    func string(_ i: Int) -> String {
        String(decoding: bytes(i), as: UTF8.self)
    }
}
