@testable import KafkaWire
import Testing

@Suite struct EncodingTests {
    @Test func varintsAtTheExtremes() {
        let cases: [(Int64, [UInt8])] = [(0, [0]), (-1, [1]), (1, [2]), (63, [0x7E]), (-64, [0x7F]), (64, [0x80, 0x01]),
                                         (Int64.max, [0xFE] + [UInt8](repeating: 0xFF, count: 8) + [0x01]),
                                         (Int64.min, [UInt8](repeating: 0xFF, count: 9) + [0x01])]
        for (value, bytes) in cases {
            let b = WireBuffer()
            b.varint(value)
            #expect(b.array == bytes, "\(value)")
            #expect(WireBuffer.varintSize(value) == bytes.count, "\(value)")
        }
    }

    /// An uncompressed batch read back field by field: lengths, counts, the CRC over the
    /// attributes onwards, the producer's id and sequence, and each record.
    @Test func aBatchReadsBackFieldByField() throws {
        var open = OpenBatch(capacity: 64)
        let values = [Array("a".utf8), [UInt8](repeating: 7, count: 300), []]
        for (i, v) in values.enumerated() {
            let key = Array("k\(i)".utf8)
            key.withUnsafeBytes { k in v.withUnsafeBytes { open.append(key: i == 1 ? nil : k, value: $0, timestamp: 1_000 + Int64(i), now: 0) } }
        }
        let sealed = SealedBatch(topic: 0, partition: 0, records: open.records, count: open.count, firstTimestamp: open.firstTimestamp,
                                 maxTimestamp: open.maxTimestamp, baseSequence: 42, serial: 1, sealedAt: 0)
        let out = WireBuffer()
        RecordBatchEncoder.encode(sealed, producer: ProducerIdentity(id: 9, epoch: 3), compression: .none, into: out)
        let bytes = out.array
        var r = WireReader(bytes, what: "batch", broker: "test")
        #expect(try r.int64() == 0)
        #expect(Int(try r.int32()) == bytes.count - 12)
        #expect(try r.int32() == -1)
        #expect(try r.int8() == 2)
        let crc = UInt32(bitPattern: try r.int32())
        #expect(crc == crc32c(Array(bytes[21...])))
        #expect(try r.int16() == 0)
        #expect(try r.int32() == 2)
        #expect(try r.int64() == 1_000)
        #expect(try r.int64() == 1_002)
        #expect(try r.int64() == 9)
        #expect(try r.int16() == 3)
        #expect(try r.int32() == 42)
        #expect(try r.int32() == 3)
        var p = r.offset
        func varint() -> Int64 {
            var u: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bytes[p]; p += 1
                u |= UInt64(b & 0x7F) << shift
                if b < 0x80 { break }
                shift += 7
            }
            return Int64(bitPattern: u >> 1) ^ -Int64(bitPattern: u & 1)
        }
        for (i, v) in values.enumerated() {
            let length = varint(), start = p
            #expect(bytes[p] == 0); p += 1
            #expect(varint() == Int64(i))
            #expect(varint() == Int64(i))
            let keyLength = varint()
            if i == 1 { #expect(keyLength == -1) } else {
                #expect(Array(bytes[p..<p + Int(keyLength)]) == Array("k\(i)".utf8)); p += Int(keyLength)
            }
            let valueLength = Int(varint())
            #expect(Array(bytes[p..<p + valueLength]) == v); p += valueLength
            #expect(varint() == 0)
            #expect(p - start == Int(length))
        }
        #expect(p == bytes.count)
    }

    /// Responses are network input: truncated, garbled or lying about their counts, each one
    /// is an error, never a crash or a huge allocation.
    @Test func hostileResponsesAreErrors() throws {
        let good = WireBuffer()
        good.int32(1); good.string("t"); good.int32(1)
        good.int32(0); good.int16(0); good.int64(17); good.int64(-1); good.int64(0)
        good.int32(0)
        let parsed = try ProduceResponse.parse(good.array, version: 5, broker: "b")
        #expect(parsed == [PartitionResult(topic: "t", partition: 0, error: 0, baseOffset: 17)])
        for cut in 0..<good.count - 4 {
            #expect(throws: WireError.self) { try ProduceResponse.parse(Array(good.array[..<cut]), version: 5, broker: "b") }
        }
        let lying = WireBuffer()
        lying.int32(Int32.max)
        #expect(throws: WireError.self) { try ProduceResponse.parse(lying.array, version: 5, broker: "b") }
        #expect(throws: WireError.self) { try BrokerConnection.parseMetadata(lying.array, version: 1, broker: "b") }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let junk = (0..<Int.random(in: 0..<80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? ProduceResponse.parse(junk, version: 7, broker: "b")
            _ = try? BrokerConnection.parseMetadata(junk, version: Int16.random(in: 1...8, using: &random), broker: "b")
        }
    }
}
