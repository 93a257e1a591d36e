import CellKernel
import Testing

@testable import ArrowIPC

/// Corrupted and cut streams: each must be an ``ArrowError``, never a trap (a trap would end the
/// test process, so merely finishing these tests is half of what they check).
@Suite struct HostileInputTests {
    static let validFixtures = ["scalars", "extremes", "nested", "multi_batch", "legacy_format", "empty", "spark_window", "deep63"]

    /// A prefix cut between two messages decodes to the complete record batches before the cut
    /// (the end-of-stream marker is optional); any other cut throws.
    @Test(arguments: validFixtures)
    func everyPrefixThrowsOrDecodesTheCompleteBatches(name: String) throws {
        let bytes = try fixture(name)
        let full = try ArrowIPC.decode(bytes)
        var decodedPrefixes = 0
        for length in 0..<bytes.count {
            guard let batch = try? ArrowIPC.decode(Array(bytes[..<length])) else { continue }
            decodedPrefixes += 1
            #expect(batch.schema == full.schema)
            #expect(batch.count <= full.count)
            for (column, whole) in zip(batch.columns, full.columns) {
                #expect(column.values.elementsEqual(whole.values.prefix(batch.count), by: Self.same))
            }
        }
        // At least the prefix holding only the schema decodes (and, with batches, each boundary).
        #expect(decodedPrefixes >= 1)
        #expect(decodeError([]) != nil)
    }

    /// Value equality that counts NaN equal to itself, for comparing a prefix to the whole.
    static func same(_ a: Value, _ b: Value) -> Bool {
        if case .double(let x) = a, case .double(let y) = b, x.isNaN, y.isNaN { return true }
        return a == b
    }

    @Test func prefixAtEachMessageBoundaryHasThatManyRows() throws {
        let bytes = try fixture("multi_batch")
        var rows: Set<Int> = []
        for length in 0..<bytes.count {
            if let batch = try? ArrowIPC.decode(Array(bytes[..<length])) { rows.insert(batch.count) }
        }
        // Batches of 3, 0, 5 and 1 rows.
        #expect(rows == [0, 3, 8, 9])
    }

    // MARK: - Body offsets

    /// strings7's offsets: "alpha", "beta", NULL, "gamma", "delta", "epsilon", "zeta".
    static let offsets: [Int32] = [0, 5, 9, 9, 14, 19, 26, 30]

    @Test func stringOffsetsPastTheDataBuffer() throws {
        let bytes = try patched("strings7", Self.offsets, [0, 5, 9, 9, 14, 19, 26, 3000])
        #expect(decodeError(bytes)?.message.contains("outside") == true)
    }

    @Test func decreasingStringOffsets() throws {
        let bytes = try patched("strings7", Self.offsets, [0, 5, 9, 9, 4, 19, 26, 30])
        #expect(decodeError(bytes)?.message.contains("decreasing") == true)
    }

    @Test func negativeStringOffset() throws {
        let bytes = try patched("strings7", Self.offsets, [-8, 5, 9, 9, 14, 19, 26, 30])
        #expect(decodeError(bytes) != nil)
    }

    @Test func invalidUTF8IsAnError() throws {
        var bytes = try fixture("strings7")
        let at = try #require(find(Array("epsilon".utf8), in: bytes))
        bytes[at] = 0xFF
        #expect(decodeError(bytes)?.message.contains("UTF-8") == true)
    }

    // MARK: - Metadata lengths

    @Test(arguments: [Int32.max, Int32.min, -2, 1])
    func hostileMetadataLength(length: Int32) throws {
        var bytes = try fixture("strings7")
        #expect(bytes.prefix(4) == [0xFF, 0xFF, 0xFF, 0xFF])
        write(length, at: 4, in: &bytes)
        #expect(decodeError(bytes) != nil)
    }

    @Test(arguments: [Int64.max, Int64.min, -1, 1 << 40])
    func hostileBodyLength(length: Int64) throws {
        var bytes = try fixture("strings7")
        let (metadata, body) = try recordBatchMessage(bytes)
        let at = try #require(find(bytesOf(Int64(body)), in: bytes, within: metadata))
        write(length, at: at, in: &bytes)
        #expect(decodeError(bytes) != nil)
    }

    @Test(arguments: [Int64.max, Int64.min, -1, 1 << 40, 8])
    func hostileFieldNodeLength(length: Int64) throws {
        var bytes = try fixture("strings7")
        let (metadata, _) = try recordBatchMessage(bytes)
        // FieldNode { length: 7, null_count: 1 }.
        let at = try #require(find(bytesOf(Int64(7)) + bytesOf(Int64(1)), in: bytes, within: metadata))
        write(length, at: at, in: &bytes)
        #expect(decodeError(bytes) != nil)
    }

    @Test(arguments: [Int64.max, -1, 1 << 40, 3])
    func hostileNullCount(count: Int64) throws {
        var bytes = try fixture("strings7")
        let (metadata, _) = try recordBatchMessage(bytes)
        let at = try #require(find(bytesOf(Int64(7)) + bytesOf(Int64(1)), in: bytes, within: metadata))
        write(count, at: at + 8, in: &bytes)
        // A wrong but plausible null count (3) is harmless: the bitmap decides which rows are NULL.
        if count == 3 {
            #expect(try ArrowIPC.decode(bytes).values("s")?[2] == .null)
        } else {
            #expect(decodeError(bytes) != nil)
        }
    }

    @Test func bufferOutsideTheBody() throws {
        let bytes = try fixture("strings7")
        let (metadata, _) = try recordBatchMessage(bytes)
        let header = try recordBatchHeader(bytes)
        let data = header.buffers[2]
        let at = try #require(find(bytesOf(data.offset) + bytesOf(data.length), in: bytes, within: metadata))
        for (offset, length) in [(Int64.max, data.length), (data.offset, Int64.max), (-8, data.length), (data.offset, -1), (1 << 40, 1)] {
            var copy = bytes
            write(offset, at: at, in: &copy)
            write(length, at: at + 8, in: &copy)
            #expect(decodeError(copy)?.message.contains("buffer") == true, "offset \(offset), length \(length)")
        }
    }

    @Test func nullColumnClaimingBillionsOfRows() throws {
        var bytes = try fixture("nulls_only")
        let (metadata, _) = try recordBatchMessage(bytes)
        // RecordBatch.length and the one FieldNode { 5, 5 } are the only 5s of eight bytes.
        var at = metadata.lowerBound
        while let next = find(bytesOf(Int64(5)), in: bytes, within: at..<metadata.upperBound) {
            write(Int64(1) << 40, at: next, in: &bytes)
            at = next + 8
        }
        #expect(try #require(try? ArrowIPC.decode(try fixture("nulls_only"))).values("n") == Array(repeating: .null, count: 5))
        #expect(decodeError(bytes) != nil)
    }

    // MARK: - Flatbuffer structure

    @Test(arguments: [Int32.max, Int32.min, 4, -4, 1 << 20])
    func rootTableWithVtableOutOfBounds(soffset: Int32) throws {
        var bytes = try fixture("strings7")
        // The first message's flatbuffer starts after the 8-byte prefix; its first word is the
        // root table's offset, and the table's first word the signed offset to its vtable.
        let root = 8 + Int(bytes.loadLE(UInt32.self, at: 8))
        write(soffset, at: root, in: &bytes)
        #expect(decodeError(bytes)?.message.contains("flatbuffer") == true)
    }

    @Test func vtableEntryPastTheMetadata() throws {
        var bytes = try fixture("strings7")
        let root = 8 + Int(bytes.loadLE(UInt32.self, at: 8))
        let vtable = root - Int(bytes.loadLE(Int32.self, at: root))
        // Every field offset of the Message table's vtable, pointed at the far end.
        let fields = (Int(bytes.loadLE(UInt16.self, at: vtable)) - 4) / 2
        for i in 0..<fields { write(UInt16.max, at: vtable + 4 + 2 * i, in: &bytes) }
        #expect(decodeError(bytes)?.message.contains("flatbuffer") == true)
    }

    @Test func bytesAfterTheEndOfStreamMarker() throws {
        let bytes = try fixture("strings7") + [1, 2, 3]
        #expect(decodeError(bytes)?.message.contains("end-of-stream") == true)
    }

    /// Seeded random byte corruption of every valid fixture: decoding may succeed or throw, but
    /// must return.
    @Test(arguments: validFixtures)
    func randomCorruptionNeverTraps(name: String) throws {
        let bytes = try fixture(name)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        var failures = 0
        for _ in 0..<1500 {
            var copy = bytes
            for _ in 0..<(1 + Int(next() % 4)) {
                copy[Int(next() % UInt64(copy.count))] = UInt8(truncatingIfNeeded: next())
            }
            if decodeError(copy) != nil { failures += 1 }
        }
        #expect(failures > 0)
    }

    // MARK: - Helpers

    func patched(_ name: String, _ from: [Int32], _ to: [Int32]) throws -> [UInt8] {
        var bytes = try fixture(name)
        let pattern = from.flatMap(bytesOf)
        let at = try #require(find(pattern, in: bytes))
        #expect(find(pattern, in: bytes, within: (at + 1)..<bytes.count) == nil, "pattern is not unique")
        bytes.replaceSubrange(at..<(at + pattern.count), with: to.flatMap(bytesOf))
        return bytes
    }

    /// The metadata range and body length of the stream's first record batch.
    func recordBatchMessage(_ bytes: [UInt8]) throws -> (metadata: Range<Int>, bodyLength: Int) {
        var stream = try Stream(bytes)
        let (_, start, body, bodyLength) = try #require(try stream.nextRecordBatch())
        return (start..<body, bodyLength)
    }

    func recordBatchHeader(_ bytes: [UInt8]) throws -> RecordBatchHeader {
        var stream = try Stream(bytes)
        return try #require(try stream.nextRecordBatch()).0
    }
}

func bytesOf<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}

func write<T: FixedWidthInteger>(_ value: T, at position: Int, in bytes: inout [UInt8]) {
    bytes.replaceSubrange(position..<(position + MemoryLayout<T>.size), with: bytesOf(value))
}

func find(_ pattern: [UInt8], in bytes: [UInt8], within range: Range<Int>? = nil) -> Int? {
    let range = range ?? 0..<bytes.count
    guard range.count >= pattern.count else { return nil }
    return (range.lowerBound...(range.upperBound - pattern.count)).first { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
}

@Suite struct OutOfRangeValueTests {
    @Test func timestampPastTheKernelsRangeIsAnError() throws {
        let error = try #require(decodeError(try fixture("timestamp_overflow")))
        #expect(error.message.contains("outside TIMESTAMP's range"), "\(error)")
    }

    @Test func decimalWithMoreDigitsThanItsPrecision() throws {
        var bytes = try fixture("scalars")
        // dec is DECIMAL(10, 4); its first value is 123.4500, unscaled 1234500.
        let at = try #require(find(bytesOf(Int128(1_234_500)), in: bytes))
        write(Int128(10_000_000_000), at: at, in: &bytes)
        #expect(decodeError(bytes)?.message.contains("more than 10 digits") == true)
        write(Int128(9_999_999_999), at: at, in: &bytes)
        #expect(try ArrowIPC.decode(bytes).values("dec")?.first == .decimal(9_999_999_999))
    }

    @Test func manyNullColumnsTogetherClaimingTooManyRows() throws {
        var bytes = try fixture("nulls_wide")
        let (metadata, _) = try HostileInputTests().recordBatchMessage(bytes)
        // RecordBatch.length and each FieldNode { 5, 5 }: 60,000 rows each is within one node's
        // bound, 1.2 million NULLs from a stream of a few kilobytes is not.
        var at = metadata.lowerBound
        var patched = 0
        while let next = find(bytesOf(Int64(5)), in: bytes, within: at..<metadata.upperBound) {
            write(Int64(60_000), at: next, in: &bytes)
            at = next + 8
            patched += 1
        }
        #expect(patched == 41)
        #expect(decodeError(bytes)?.message.contains("NULL-typed columns") == true)
    }
}
