extension Array where Element == UInt8 {
    /// Appends `bytes` with one copy: the hot paths append short strings and keys (a card
    /// number, a group's key) once per row, where the generic `append(contentsOf:)` costs
    /// several times the copy itself.
    @inline(__always)
    mutating func appendBytes(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        append(addingCapacity: bytes.count) { out in
            out.withUnsafeMutableBufferPointer { buffer, initialized in
                UnsafeMutableRawPointer(buffer.baseAddress! + initialized).copyMemory(from: source, byteCount: bytes.count)
                initialized += bytes.count
            }
        }
    }

    /// Appends a little-endian 32-bit word, then `bytes`, with one capacity check.
    @inline(__always)
    mutating func appendBytes(after word: UInt32, _ bytes: UnsafeRawBufferPointer) {
        append(addingCapacity: 4 + bytes.count) { out in
            out.withUnsafeMutableBufferPointer { buffer, initialized in
                let to = UnsafeMutableRawPointer(buffer.baseAddress! + initialized)
                to.storeBytes(of: word.littleEndian, as: UInt32.self)
                if let source = bytes.baseAddress, bytes.count > 0 {
                    (to + 4).copyMemory(from: source, byteCount: bytes.count)
                }
                initialized += 4 + bytes.count
            }
        }
    }
}
