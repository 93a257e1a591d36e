/// Variable-length byte strings (UTF-8 text) stored end to end in one buffer, with offsets:
/// a column of strings costs two allocations, however many rows it has.
public struct ByteVector: Sendable, Hashable {
    public private(set) var bytes: [UInt8]
    /// `offsets[i]..<offsets[i + 1]` are the bytes of element `i`; `offsets[0] == 0`.
    public private(set) var offsets: [Int32]

    init(capacity: Int = 0, averageLength: Int = 16) {
        bytes = []
        bytes.reserveCapacity(capacity * averageLength)
        offsets = [0]
        offsets.reserveCapacity(capacity + 1)
    }

    init<S: Sequence>(_ strings: S) where S.Element == String {
        self.init()
        for s in strings { append(s) }
    }

    public var count: Int { offsets.count - 1 }

    @inline(__always)
    mutating func append(_ element: UnsafeRawBufferPointer) {
        bytes.appendBytes(element)
        offsets.append(Int32(bytes.count))
    }

    mutating func append(_ element: some Collection<UInt8>) {
        bytes.append(contentsOf: element)
        offsets.append(Int32(bytes.count))
    }

    mutating func append(_ string: String) {
        append(string.utf8)
    }

    /// Appends an element whose bytes the caller then adds with ``appendToLast(_:)``.
    @inline(__always)
    mutating func appendEmpty() {
        offsets.append(Int32(bytes.count))
    }

    /// Extends the last element: for decoders that unescape text piece by piece.
    @inline(__always)
    mutating func appendToLast(_ piece: UnsafeRawBufferPointer) {
        bytes.appendBytes(piece)
        offsets[offsets.count - 1] = Int32(bytes.count)
    }

    @inline(__always)
    mutating func appendToLast(byte: UInt8) {
        bytes.append(byte)
        offsets[offsets.count - 1] = Int32(bytes.count)
    }

    /// The range of element `i` in ``bytes``.
    @inline(__always)
    public func range(_ i: Int) -> Range<Int> {
        Int(offsets[i])..<Int(offsets[i + 1])
    }

    /// Element `i` as a String (allocates: for results and tests, not for hot loops).
    public subscript(i: Int) -> String {
        String(decoding: bytes[range(i)], as: UTF8.self)
    }

    /// Calls `body` with the bytes of element `i`, without copying.
    @inline(__always)
    public func withElement<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let r = range(i)
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[r])) }
    }

    /// Appends every element of `other`.
    mutating func append(contentsOf other: ByteVector) {
        let base = Int32(bytes.count)
        bytes.append(contentsOf: other.bytes)
        offsets.append(contentsOf: other.offsets.dropFirst().lazy.map { $0 + base })
    }

    /// Appends the elements staged in raw memory: their bytes end to end, and where each ends
    /// in them (rewritten in place to where it ends here).
    mutating func append(staged text: UnsafeRawBufferPointer, ends: UnsafeMutableBufferPointer<Int32>) {
        let base = Int32(bytes.count)
        for i in ends.indices { ends[i] += base }  // past Int32 traps, as Int32(bytes.count) always did
        bytes.appendBytes(text)
        offsets.append(contentsOf: ends)
    }

    /// Removes the last element.
    mutating func removeLast() {
        offsets.removeLast()
        bytes.removeSubrange(Int(offsets[offsets.count - 1])...)
    }
}
