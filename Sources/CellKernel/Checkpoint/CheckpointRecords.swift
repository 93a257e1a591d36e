/// The small records of a checkpoint, each a file of its own: what a batch read (the
/// write-ahead offsets log), that it finished (the commit log), and who owns the location
/// (the metadata). Binary, versioned and checksummed like ``StateSnapshot``:
///
/// ```
/// "CELLSCHK"  magic, 8 bytes
/// u16         format version (``CheckpointRecordCoding/version``)
/// u8          kind (offsets, commit, metadata)
/// ...         the record's fields
/// u64         checksum of everything before it (`snapshotChecksum`)
/// ```
enum CheckpointRecordCoding {
    static let magic = Array("CELLSCHK".utf8)
    static let version: UInt16 = 1

    enum Kind: UInt8 {
        case offsets = 1, commit = 2, metadata = 3
    }

    static func encode(_ kind: Kind, _ body: (inout SnapshotWriter) -> Void) -> [UInt8] {
        var out = SnapshotWriter()
        out.raw(magic)
        out.u16(version)
        out.byte(kind.rawValue)
        body(&out)
        var bytes = out.bytes
        withUnsafeBytes(of: snapshotChecksum(bytes[...]).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Checks the frame and hands the fields to `body`, which must read them all.
    static func decode<T>(_ bytes: [UInt8], as kind: Kind, _ body: (inout SnapshotReader) throws(SnapshotError) -> T) throws(SnapshotError) -> T {
        guard bytes.count >= magic.count + 11, bytes.prefix(magic.count).elementsEqual(magic) else {
            throw bytes.count < magic.count + 11 && magic.starts(with: bytes) ? .truncated(what: "the record", offset: bytes.count, needed: magic.count + 11 - bytes.count) : .notASnapshot
        }
        let end = bytes.count - 8
        var tail = SnapshotReader(bytes, from: end)
        guard try tail.u64("checksum") == snapshotChecksum(bytes[..<end]) else {
            throw .corrupt("checksum mismatch (the file was cut off or changed after it was written)")
        }
        var reader = SnapshotReader(Array(bytes[..<end]), from: magic.count)
        let found = try reader.u16("format version")
        guard found == version else { throw .unsupportedVersion(found: found, supported: version) }
        let stored = try reader.byte("kind")
        guard stored == kind.rawValue else { throw .corrupt("a record of kind \(stored) where \(kind) was expected") }
        let value = try body(&reader)
        guard reader.remaining == 0 else { throw .corrupt("\(reader.remaining) unexpected bytes after the record") }
        return value
    }

    static func offsets(_ offsets: SourceOffsets, into out: inout SnapshotWriter) {
        let sorted = offsets.next.sorted { $0.key < $1.key }
        out.int(sorted.count)
        for (name, offset) in sorted {
            out.string(name)
            out.i64(offset)
        }
    }

    static func offsets(from reader: inout SnapshotReader, _ what: String) throws(SnapshotError) -> SourceOffsets {
        var offsets = SourceOffsets()
        let count = try reader.count("\(what) count", unit: 16)
        for _ in 0..<count {
            let name = try reader.string("\(what) name")
            offsets.next[name] = try reader.i64("\(what) of \(name)")
        }
        return offsets
    }
}

/// One entry of the write-ahead log: what batch `batchId` reads, fixed before it runs, so a
/// batch run again after a crash reads the same records.
struct OffsetsEntry: Sendable, Equatable {
    var batchId: Int64
    /// Per source (`#i` prefixes with several), where the batch starts and ends.
    var start: SourceOffsets
    var end: SourceOffsets
    /// The watermark the batch runs with.
    var watermark: Int64
    /// Wall-clock microseconds when it was logged.
    var timestamp: Int64

    var bytes: [UInt8] {
        CheckpointRecordCoding.encode(.offsets) { out in
            out.i64(batchId)
            out.i64(watermark)
            out.i64(timestamp)
            CheckpointRecordCoding.offsets(start, into: &out)
            CheckpointRecordCoding.offsets(end, into: &out)
        }
    }

    init(batchId: Int64, start: SourceOffsets, end: SourceOffsets, watermark: Int64, timestamp: Int64) {
        self.batchId = batchId
        self.start = start
        self.end = end
        self.watermark = watermark
        self.timestamp = timestamp
    }

    init(bytes: [UInt8]) throws(SnapshotError) {
        self = try CheckpointRecordCoding.decode(bytes, as: .offsets) { (reader) throws(SnapshotError) in
            let batch = try reader.i64("batch id")
            let watermark = try reader.i64("watermark")
            let timestamp = try reader.i64("timestamp")
            let start = try CheckpointRecordCoding.offsets(from: &reader, "start offset")
            let end = try CheckpointRecordCoding.offsets(from: &reader, "end offset")
            return OffsetsEntry(batchId: batch, start: start, end: end, watermark: watermark, timestamp: timestamp)
        }
    }
}

/// That batch `batchId` ran whole: its state is saved and its sinks have its rows.
struct CommitEntry: Sendable, Equatable {
    var batchId: Int64
    var timestamp: Int64

    var bytes: [UInt8] {
        CheckpointRecordCoding.encode(.commit) { out in
            out.i64(batchId)
            out.i64(timestamp)
        }
    }

    init(batchId: Int64, timestamp: Int64) {
        self.batchId = batchId
        self.timestamp = timestamp
    }

    init(bytes: [UInt8]) throws(SnapshotError) {
        self = try CheckpointRecordCoding.decode(bytes, as: .commit) { (reader) throws(SnapshotError) in
            CommitEntry(batchId: try reader.i64("batch id"), timestamp: try reader.i64("timestamp"))
        }
    }
}

/// Who owns a checkpoint location: written when a query first starts there, and checked at
/// every later start, so that state is never restored into a query that means something else.
struct CheckpointMetadata: Sendable, Equatable {
    /// Stable for the location's life: sinks derive their identities (Kafka's
    /// `transactional.id`) from it.
    var id: String
    var view: String
    /// What each stateful operator's state means, root first (``StatefulOperator/stateSignature``).
    var stateSignatures: [String]
    /// The sources the plan reads, in order (their summaries, e.g. `kafka t (6 partitions) at h:9092`).
    var sources: [String]

    var bytes: [UInt8] {
        CheckpointRecordCoding.encode(.metadata) { out in
            out.string(id)
            out.string(view)
            out.int(stateSignatures.count)
            for signature in stateSignatures { out.string(signature) }
            out.int(sources.count)
            for source in sources { out.string(source) }
        }
    }

    init(id: String, view: String, stateSignatures: [String], sources: [String]) {
        self.id = id
        self.view = view
        self.stateSignatures = stateSignatures
        self.sources = sources
    }

    init(bytes: [UInt8]) throws(SnapshotError) {
        self = try CheckpointRecordCoding.decode(bytes, as: .metadata) { (reader) throws(SnapshotError) in
            let id = try reader.string("query id")
            let view = try reader.string("view")
            var signatures: [String] = []
            for i in 0..<(try reader.count("operator count", unit: 8)) { signatures.append(try reader.string("signature \(i)")) }
            var sources: [String] = []
            for i in 0..<(try reader.count("source count", unit: 8)) { sources.append(try reader.string("source \(i)")) }
            return CheckpointMetadata(id: id, view: view, stateSignatures: signatures, sources: sources)
        }
    }
}
