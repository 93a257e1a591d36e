import CByteScan

/// CRC-32 (IEEE), librdkafka's key hash for partitions.
func cellsCRC32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    cells_crc32(0, bytes.baseAddress, bytes.count)
}

/// CRC-32C, a record batch's checksum: exposed for tests and tools that check batches.
public func crc32c(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { cells_crc32c(0, $0.baseAddress, $0.count) }
}
