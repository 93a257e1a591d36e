extension UnsafeMutableRawPointer {
    /// Copies `count` bytes from `source`, reading and writing none outside them. Values that
    /// hot loops copy (a word or two of text, a group key) are mostly under 16 bytes, where a
    /// call to memcpy costs more than the copy: two overlapping loads and stores instead.
    @inline(__always)
    func copySmall(from source: UnsafeRawPointer, count: Int) {
        if count > 16 {
            copyMemory(from: source, byteCount: count)
        } else if count >= 8 {
            let head = source.loadUnaligned(as: UInt64.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
            storeBytes(of: head, as: UInt64.self)
            storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
        } else if count >= 4 {
            let head = source.loadUnaligned(as: UInt32.self)
            let tail = source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
            storeBytes(of: head, as: UInt32.self)
            storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
        } else {
            var i = 0
            while i < count {
                storeBytes(of: source.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                i &+= 1
            }
        }
    }
}
