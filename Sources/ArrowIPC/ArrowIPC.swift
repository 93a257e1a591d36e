import CellKernel

/// A reader of the Arrow IPC *stream* format, as Spark Connect sends query results: a Schema
/// message, then record batches, then (optionally) the end-of-stream marker.
///
/// Supported Arrow types and their kernel types: int8/16/32 → INT, int64 → BIGINT, uint8/16 →
/// INT, uint32 → BIGINT, float32 → FLOAT, float64 → DOUBLE, decimal128(p, s) → DECIMAL(p, s),
/// utf8 and large_utf8 → STRING, bool → BOOLEAN, date32 and date64 → DATE (days), timestamp of
/// any unit and time zone → TIMESTAMP (microseconds, UTC; nanoseconds are floored), null → NULL,
/// struct → STRUCT, list and large_list → ARRAY, map → MAP. Anything else (binary, dictionary
/// encoding, body compression, unions, intervals, fixed-size lists, uint64, float16, …) is an
/// ``ArrowError`` that names it.
///
/// Framing: each message is `0xFFFFFFFF`, an Int32 metadata length, the flatbuffer `Message`,
/// then its body; the pre-0.15 framing without the `0xFFFFFFFF` is accepted too. The
/// end-of-stream marker is optional (as the format allows), so input that stops exactly between
/// two messages decodes to the messages before the cut; input cut inside a message is an error.
public enum ArrowIPC {
    /// Decodes one IPC stream into a kernel batch (all its record batches concatenated).
    ///
    /// A stream with a schema and no record batch is an empty batch of that schema.
    public static func decode(_ bytes: [UInt8]) throws(ArrowError) -> Batch {
        var stream = try Stream(bytes)
        var builders = stream.fields.map(ColumnBuilder.init)
        let reader = ValueReader(bytes: bytes)
        while let (header, metadata, body, bodyLength) = try stream.nextRecordBatch() {
            var walker = BodyWalker(bytes: bytes, header: header, body: body, bodyLength: bodyLength,
                                    metadata: metadata, bufferlessBudget: stream.bufferlessBudget)
            var arrays: [ArrayData] = []
            for field in stream.fields {
                let array = try walker.array(field)
                guard array.length == Int(clamping: header.length) else {
                    throw ArrowError("column '\(field.name)' has \(array.length) rows, its record batch \(header.length)", at: metadata)
                }
                arrays.append(array)
            }
            guard walker.nextNode == header.nodes.count, walker.nextBuffer == header.buffers.count else {
                throw ArrowError("record batch has \(header.nodes.count) field nodes and \(header.buffers.count) buffers, the schema uses \(walker.nextNode) and \(walker.nextBuffer)", at: metadata)
            }
            stream.bufferlessBudget = walker.bufferlessBudget
            for i in builders.indices { try builders[i].append(arrays[i], reader) }
        }
        return Batch(schema: stream.schema, columns: builders.map { $0.finish() })
    }

    /// The schema of an IPC stream, read from its first message alone.
    public static func schema(of bytes: [UInt8]) throws(ArrowError) -> Schema {
        try Stream(bytes).schema
    }
}

/// The stream's framing: messages one after another, the schema first.
struct Stream {
    let bytes: [UInt8]
    var position = 0
    private(set) var fields: [FieldSpec] = []
    /// See ``BodyWalker/bufferlessBudget``: proportional to the input, shared by all batches.
    var bufferlessBudget: Int

    init(_ bytes: [UInt8]) throws(ArrowError) {
        self.bytes = bytes
        bufferlessBudget = bytes.count * 8 + (1 << 16)
        guard let (header, _, _) = try nextMessage() else {
            throw ArrowError("stream ends before its schema message", at: position)
        }
        guard case .schema(let fields) = header else { throw ArrowError("stream does not start with a schema message", at: 0) }
        self.fields = fields
    }

    var schema: Schema {
        Schema(fields.map { Schema.Field(name: $0.name, type: $0.type, nullable: $0.nullable) })
    }

    /// The next record batch with its metadata's offset and its body's range; nil at the end.
    mutating func nextRecordBatch() throws(ArrowError) -> (RecordBatchHeader, metadata: Int, body: Int, bodyLength: Int)? {
        let start = position
        guard let (header, body, bodyLength) = try nextMessage() else { return nil }
        guard case .recordBatch(let batch) = header else { throw ArrowError("a second schema message", at: start) }
        return (batch, start, body, bodyLength)
    }

    /// The next message's header and its body's absolute start and length; nil at the end
    /// (the end-of-stream marker, or no bytes left).
    private mutating func nextMessage() throws(ArrowError) -> (MessageHeader, body: Int, bodyLength: Int)? {
        let start = position
        guard start < bytes.count else { return nil }
        guard bytes.count - start >= 4 else { throw ArrowError("stream cut inside a message's length prefix", at: start) }
        var length = bytes.loadLE(Int32.self, at: start)
        var metadata = start + 4
        if length == -1 {
            // 0xFFFFFFFF: the continuation marker of Arrow 0.15+; the length follows.
            guard bytes.count - start >= 8 else { throw ArrowError("stream cut inside a message's length prefix", at: start) }
            length = bytes.loadLE(Int32.self, at: start + 4)
            metadata = start + 8
        }
        if length == 0 {
            guard metadata == bytes.count else { throw ArrowError("bytes after the end-of-stream marker", at: metadata) }
            position = metadata
            return nil
        }
        guard length > 0 else { throw ArrowError("negative message metadata length \(length)", at: start) }
        guard Int(length) <= bytes.count - metadata else {
            throw ArrowError("message metadata of \(length) bytes overruns the stream (cut short?)", at: start)
        }
        let buffer = FlatBuffer(bytes: bytes, start: metadata, end: metadata + Int(length))
        let (header, bodyLength) = try Metadata.message(buffer)
        let body = buffer.end
        guard bodyLength <= Int64(bytes.count - body) else {
            throw ArrowError("message body of \(bodyLength) bytes overruns the stream (cut short?)", at: body)
        }
        position = body + Int(bodyLength)
        return (header, body, Int(bodyLength))
    }
}
