/// The rows of one batch exactly as the exactly-once Kafka sink sends them, kept on disk
/// (`<sink folder>/<batch id>`) from before the first record goes out until the checkpoint
/// has committed the batch.
///
/// Why keep them: a batch run again after a crash has the same input but not necessarily the
/// same rows in the same order, nor the same last bits of a DOUBLE sum (decoding is
/// parallel). Rows already in the topic are known by their index in this file, so the second
/// run sends this file's rows, not its own, and only the indexes the topic lacks. The
/// partitions' high watermarks, taken before the first record was sent, say where in the
/// topic to look for them.
///
/// ```
/// "CELLSKTX"  magic, 8 bytes
/// u16         format version (``formatVersion``)
/// u64         total length in bytes, checksum included
/// string      the checkpoint's identity (u64 length, UTF-8)
/// string      the topic
/// i64         the batch id
/// u64, pairs  high watermarks: count, then (i64 partition, i64 offset) each
/// u64, rows   rows: count, then per row i64 key length (-1: no key), key bytes,
///             i64 value length (-1: no value), value bytes
/// u64         FNV-1a checksum of everything before it
/// ```
///
/// Integers are fixed-width little endian. The rows are kept as spans into the one byte
/// array they were read from or encoded into, so staging and sending a batch allocates per
/// batch, not per row.
struct KafkaStage: Sendable {
    static let formatVersion: UInt16 = 1
    static let magic = Array("CELLSKTX".utf8)

    /// Where one row's key and value are in ``bytes``; a count of -1 is a missing key or value.
    struct Row: Sendable {
        var keyStart: Int
        var keyCount: Int
        var valueStart: Int
        var valueCount: Int
    }

    var identity: String
    var topic: String
    var batchId: Int64
    /// Each partition's high watermark before the first record of the batch was sent.
    var highWatermarks: [Int32: Int64]
    /// The whole file.
    let bytes: [UInt8]
    let rows: [Row]

    /// Encodes `result`'s rows as the sink sends them: the row as a JSON object for the value,
    /// the key column's text (if any) for the key.
    init(encoding result: ResultBatch, keyIndex: Int?, identity: String, topic: String,
         highWatermarks: [Int32: Int64]) {
        self.identity = identity
        self.topic = topic
        batchId = result.batchId
        self.highWatermarks = highWatermarks
        var bytes: [UInt8] = []
        var rows: [Row] = []
        rows.reserveCapacity(result.count)
        bytes += Self.magic
        Self.append(Self.formatVersion, to: &bytes)
        let lengthAt = bytes.count
        Self.append(UInt64(0), to: &bytes)
        Self.append(identity, to: &bytes)
        Self.append(topic, to: &bytes)
        Self.append(UInt64(bitPattern: result.batchId), to: &bytes)
        Self.append(UInt64(highWatermarks.count), to: &bytes)
        for (partition, offset) in highWatermarks.sorted(by: { $0.key < $1.key }) {
            Self.append(UInt64(bitPattern: Int64(partition)), to: &bytes)
            Self.append(UInt64(bitPattern: offset), to: &bytes)
        }
        Self.append(UInt64(result.count), to: &bytes)
        let names = result.schema.fields.map(\.name)
        for row in 0..<result.count {
            var entry = Row(keyStart: 0, keyCount: -1, valueStart: 0, valueCount: 0)
            if let keyIndex, let key = KafkaSink.keyText(result.columns[keyIndex], row) {
                (entry.keyStart, entry.keyCount) = Self.append(blob: key.utf8, to: &bytes)
            } else {
                Self.append(UInt64(bitPattern: -1), to: &bytes)
            }
            let value = JSONText.object(names: names, columns: result.columns, row: row)
            (entry.valueStart, entry.valueCount) = Self.append(blob: value.utf8, to: &bytes)
            rows.append(entry)
        }
        let total = UInt64(bytes.count + 8)
        withUnsafeBytes(of: total.littleEndian) { length in
            for (i, byte) in length.enumerated() { bytes[lengthAt + i] = byte }
        }
        Self.append(snapshotChecksum(bytes[...]), to: &bytes)
        self.bytes = bytes
        self.rows = rows
    }

    /// Reads a stage file's bytes; an error says what is wrong with them (cut off, damaged,
    /// another version).
    init(bytes: [UInt8]) throws(SnapshotError) {
        var reader = SnapshotReader(bytes)
        guard try reader.take(Self.magic.count, "magic").elementsEqual(Self.magic) else {
            throw .corrupt("not a Kafka sink stage file (no CELLSKTX magic)")
        }
        let version = try reader.u16("format version")
        guard version == Self.formatVersion else {
            throw .corrupt("stage format version \(version); this build reads version \(Self.formatVersion)")
        }
        let total = try reader.u64("total length")
        // The length comes first so a cut-off file reads as truncated, not as a bad checksum.
        guard total == UInt64(bytes.count) else {
            throw .truncated(what: "stage file of \(total) bytes", offset: bytes.count, needed: Int(clamping: total) - bytes.count)
        }
        var tail = SnapshotReader(bytes, from: bytes.count - 8)
        guard try tail.u64("checksum") == snapshotChecksum(bytes[..<(bytes.count - 8)]) else {
            throw .corrupt("checksum mismatch (the bytes were changed after they were written)")
        }
        identity = try reader.string("identity")
        topic = try reader.string("topic")
        batchId = try reader.i64("batch id")
        var marks: [Int32: Int64] = [:]
        for _ in 0..<(try reader.count("high watermarks", unit: 16)) {
            let partition = try reader.i64("partition")
            guard let id = Int32(exactly: partition) else { throw .corrupt("partition \(partition) is out of range") }
            marks[id] = try reader.i64("high watermark of partition \(id)")
        }
        highWatermarks = marks
        let count = try reader.count("rows", unit: 16)
        var rows: [Row] = []
        rows.reserveCapacity(count)
        for index in 0..<count {
            let key = try Self.span(&reader, "key of row \(index)")
            let value = try Self.span(&reader, "value of row \(index)")
            rows.append(Row(keyStart: key.start, keyCount: key.count, valueStart: value.start, valueCount: value.count))
        }
        guard reader.remaining == 8 else { throw .corrupt("\(reader.remaining - 8) bytes after the last row") }
        self.bytes = bytes
        self.rows = rows
    }

    // MARK: - Encoding helpers

    private static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        _ = append(blob: text.utf8, to: &bytes)
    }

    /// A length, then the bytes; returns where the bytes start and how many there are.
    private static func append(blob: String.UTF8View, to bytes: inout [UInt8]) -> (Int, Int) {
        let count = blob.count
        append(UInt64(count), to: &bytes)
        let start = bytes.count
        bytes.append(contentsOf: blob)
        return (start, count)
    }

    /// A length-prefixed span whose length -1 stands for none.
    private static func span(_ reader: inout SnapshotReader, _ what: String) throws(SnapshotError) -> (start: Int, count: Int) {
        let at = reader.offset
        let length = try reader.i64("\(what) length")
        if length == -1 { return (at, -1) }
        guard length >= 0, length <= Int64(reader.remaining) else {
            throw .corrupt("\(what) has length \(length) at byte \(at), with \(reader.remaining) bytes left")
        }
        let bytes = try reader.take(Int(length), what)
        return (bytes.startIndex, bytes.count)
    }
}

extension KafkaStage.Row {
    /// The key's bytes within the stage's bytes, nil for no key.
    func key(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        keyCount < 0 ? nil : UnsafeRawBufferPointer(rebasing: bytes[keyStart..<(keyStart + keyCount)])
    }

    func value(in bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        valueCount < 0 ? nil : UnsafeRawBufferPointer(rebasing: bytes[valueStart..<(valueStart + valueCount)])
    }
}
