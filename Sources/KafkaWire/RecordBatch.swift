import CByteScan
import CLZ4

/// A partition's records as the producer appends them: Kafka's v2 record format, uncompressed,
/// waiting to become one record batch.
struct OpenBatch {
    let records: WireBuffer
    private(set) var count: Int32 = 0
    private(set) var firstTimestamp: Int64 = 0
    private(set) var maxTimestamp: Int64 = 0
    /// When its first record came (monotonic milliseconds), for `linger.ms`.
    private(set) var openedAt: Int64 = 0

    init(capacity: Int) {
        records = WireBuffer(capacity: capacity)
    }

    var isEmpty: Bool { count == 0 }
    var byteCount: Int { records.count }

    /// The bytes one record takes in a batch.
    static func recordSize(keyCount: Int?, valueCount: Int, timestampDelta: Int64, offsetDelta: Int32) -> Int {
        let body = bodySize(keyCount: keyCount, valueCount: valueCount, timestampDelta: timestampDelta, offsetDelta: offsetDelta)
        return WireBuffer.varintSize(Int64(body)) + body
    }

    @inline(__always)
    private static func bodySize(keyCount: Int?, valueCount: Int, timestampDelta: Int64, offsetDelta: Int32) -> Int {
        1 + WireBuffer.varintSize(timestampDelta) + WireBuffer.varintSize(Int64(offsetDelta))
            + WireBuffer.varintSize(Int64(keyCount ?? -1)) + (keyCount ?? 0)
            + WireBuffer.varintSize(Int64(valueCount)) + valueCount + 1
    }

    /// Appends one record: length, attributes, timestamp and offset deltas, key (null when
    /// nil), value, no headers.
    @inline(__always)
    mutating func append(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, timestamp: Int64, now: Int64) {
        if count == 0 {
            firstTimestamp = timestamp
            maxTimestamp = timestamp
            openedAt = now
        }
        // A clock stepped back gives a negative delta, which the format allows.
        let delta = timestamp &- firstTimestamp
        maxTimestamp = max(maxTimestamp, timestamp)
        let body = Self.bodySize(keyCount: key?.count, valueCount: value.count, timestampDelta: delta, offsetDelta: count)
        records.reserve(body + 10)
        records.varint(Int64(body))
        records.int8(0)
        records.varint(delta)
        records.varint(Int64(count))
        if let key {
            records.varint(Int64(key.count))
            records.raw(key)
        } else {
            records.varint(-1)
        }
        records.varint(Int64(value.count))
        records.raw(value)
        records.varint(0)
        count += 1
    }
}

/// A batch the producer is done with: its records, and the sequence number it was given.
/// Kept, uncompressed, until the broker has acknowledged it, so that a retry can encode it again.
struct SealedBatch: @unchecked Sendable {  // its buffer has one owner: the sender, once sealed
    let topic: Int
    let partition: Int32
    let records: WireBuffer
    let count: Int32
    let firstTimestamp: Int64
    let maxTimestamp: Int64
    let baseSequence: Int32
    /// The order batches were sealed in, across partitions (sequence numbers wrap; this does not).
    let serial: Int64
    /// When it was sealed (monotonic milliseconds), for `message.timeout.ms`.
    let sealedAt: Int64
    /// How many times it was sent again after a retriable error.
    var attempts = 0
}

/// How a batch's records are compressed (the `compression.codec` property).
public enum WireCompression: String, Sendable, CaseIterable {
    case none, lz4

    /// The codec's bits in a batch's attributes.
    var attribute: Int16 {
        switch self {
        case .none: 0
        case .lz4: 3
        }
    }
}

/// The producer's identity under idempotence (InitProducerId), or none (-1, -1).
struct ProducerIdentity: Sendable, Equatable {
    var id: Int64 = -1
    var epoch: Int16 = -1

    static let none = ProducerIdentity()
}

enum RecordBatchEncoder {
    /// The bytes before a batch's records: base offset through the record count.
    static let headerSize = 61
    /// Where the CRC-covered part (attributes onwards) starts.
    static let crcStart = 21

    /// Writes `batch` as a v2 record batch (compressed as asked) at the end of `out`.
    static func encode(_ batch: SealedBatch, producer: ProducerIdentity, compression: WireCompression, into out: WireBuffer) {
        let start = out.count
        out.int64(0)  // base offset: the broker assigns it
        out.int32(0)  // batch length, patched below
        out.int32(-1)  // partition leader epoch: the broker's to set
        out.int8(2)  // magic
        out.int32(0)  // CRC, patched below
        out.int16(compression.attribute)
        out.int32(batch.count - 1)
        out.int64(batch.firstTimestamp)
        out.int64(batch.maxTimestamp)
        out.int64(producer.id)
        out.int16(producer.epoch)
        out.int32(producer.id < 0 ? -1 : batch.baseSequence)
        out.int32(batch.count)
        switch compression {
        case .none:
            out.raw(batch.records.bytes)
        case .lz4:
            lz4Frame(batch.records.bytes, into: out)
        }
        out.patch(int32: Int32(out.count - start - 12), at: start + 8)
        let crc = cells_crc32c(0, out.base + start + crcStart, out.count - start - crcStart)
        out.patch(uint32: crc, at: start + 17)
    }

    /// One LZ4 frame of independent 64 KiB blocks, as librdkafka and Kafka's Java client write
    /// them (Kafka's reader refuses dependent blocks).
    static func lz4Frame(_ source: UnsafeRawBufferPointer, into out: WireBuffer) {
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        let bound = LZ4F_compressFrameBound(source.count, &preferences)
        out.append(upTo: bound) { destination in
            let written = LZ4F_compressFrame(destination, bound, source.baseAddress, source.count, &preferences)
            // Only a destination smaller than the bound fails, and it is the bound.
            precondition(LZ4F_isError(written) == 0, "LZ4F_compressFrame: \(String(cString: LZ4F_getErrorName(written)))")
            return written
        }
    }
}
