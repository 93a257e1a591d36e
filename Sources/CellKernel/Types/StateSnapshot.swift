/// Everything a streaming query needs to resume where it stopped: its position in the
/// source, its event-time clock, and its aggregation state, as a value that round-trips
/// through bytes.
///
/// The byte form (``bytes``, ``init(bytes:)``) is versioned and self-checking:
///
/// ```
/// "CELLSNAP"  magic, 8 bytes
/// u16         format version (``formatVersion``)
/// u64         total length in bytes, checksum included
/// i64 ×3, u8  next batch id, watermark, max event time, watermark moved
/// u64, pairs  source offsets: count, then (string, i64) per topic/partition or file
/// u64, pairs  stateful operators, root first: count, then (signature string, state blob) each
/// u64, i64s   the latest event time per stream scan: count, then each
/// u64         checksum of everything before it (``snapshotChecksum(_:)``)
/// ```
///
/// Integers are fixed-width little endian, strings and blobs length-prefixed. The group
/// state is encoded when the snapshot is taken and decoded only when restored into a query,
/// which is when the key types and aggregates it must match are known.
public struct StateSnapshot: Sendable, Equatable {
    /// The format this build writes and reads; bump it when the layout changes.
    /// 2: DECIMAL keys and sums are 128-bit (version 1 held them in 64 bits). 3: every
    /// stateful operator's state and each stream's event time. 4: the checksum reads words.
    public static let formatVersion: UInt16 = 4
    static let magic = Array("CELLSNAP".utf8)

    /// The id the next micro-batch gets.
    public var nextBatchId: Int64 = 0
    /// The event-time watermark in microseconds (Spark's starts at the epoch).
    public var watermark: Int64 = 0
    /// The largest event time seen so far (`Int64.min` before any).
    public var maxEventTime: Int64 = .min
    /// Whether the watermark moved in the last batch, so a batch without data is still due.
    public var watermarkMoved = false
    /// Next offset to read per `topic/partition` (Kafka) or per file path (byte offset).
    public var offsets = SourceOffsets()
    /// The latest event time seen per stream scan (the watermark follows the least).
    public var eventTimes: [Int64] = []
    /// The state of each stateful operator of the query's plan, root first.
    var operatorStates: [OperatorState] = []

    struct OperatorState: Sendable, Equatable {
        var signature: String
        var bytes: [UInt8]
    }

    /// What the first stateful operator computes (keys, aggregates, window), for checking
    /// that a snapshot is restored into the same query; nil for a query without aggregation.
    public internal(set) var planSignature: String? {
        get { operatorStates.first?.signature }
        set {
            guard let newValue else { operatorStates.removeAll(); return }
            if operatorStates.isEmpty { operatorStates = [OperatorState(signature: newValue, bytes: [])] } else { operatorStates[0].signature = newValue }
        }
    }

    /// The first stateful operator's encoded groups and aggregate states (see
    /// `HashAggregation+Snapshot.swift`).
    var groupState: [UInt8] {
        get { operatorStates.first?.bytes ?? [] }
        set {
            if operatorStates.isEmpty { operatorStates = [OperatorState(signature: "", bytes: newValue)] } else { operatorStates[0].bytes = newValue }
        }
    }

    public init() {}

    /// The snapshot as bytes, for a checkpoint file.
    public var bytes: [UInt8] {
        var out = SnapshotWriter()
        out.reserve(128 + offsets.next.keys.reduce(0) { $0 + $1.utf8.count + 16 } + 8 * eventTimes.count
                    + operatorStates.reduce(0) { $0 + $1.signature.utf8.count + $1.bytes.count + 16 })
        out.raw(Self.magic)
        out.u16(Self.formatVersion)
        out.u64(0)  // the length, patched below
        out.i64(nextBatchId)
        out.i64(watermark)
        out.i64(maxEventTime)
        out.bool(watermarkMoved)
        let sorted = offsets.next.sorted { $0.key < $1.key }
        out.int(sorted.count)
        for (name, offset) in sorted {
            out.string(name)
            out.i64(offset)
        }
        out.int(operatorStates.count)
        for state in operatorStates {
            out.string(state.signature)
            out.blob(state.bytes)
        }
        out.int(eventTimes.count)
        for time in eventTimes { out.i64(time) }
        out.patch(UInt64(out.bytes.count + 8), at: 10)
        var bytes = out.finish()
        withUnsafeBytes(of: snapshotChecksum(bytes[...]).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    /// Reads a snapshot written by ``bytes``. Throws ``SnapshotError`` naming what is wrong:
    /// not a snapshot, another format version, cut off, or damaged.
    public init(bytes: [UInt8]) throws(SnapshotError) {
        var header = SnapshotReader(bytes)
        guard bytes.count >= Self.magic.count, bytes.prefix(Self.magic.count).elementsEqual(Self.magic) else {
            throw .notASnapshot
        }
        _ = try header.take(Self.magic.count, "magic")
        let version = try header.u16("format version")
        guard version == Self.formatVersion else { throw .unsupportedVersion(found: version, supported: Self.formatVersion) }
        let length = try header.u64("length")
        // The length comes first so a cut-off file reads as truncated, not as a bad checksum.
        guard length <= UInt64(bytes.count) else {
            throw .truncated(what: "the snapshot", offset: bytes.count, needed: Int(clamping: length) - bytes.count)
        }
        guard length == UInt64(bytes.count), length >= 26 else {
            throw .corrupt("the header says \(length) bytes, but there are \(bytes.count)")
        }
        let body = bytes.count - 8
        var tail = SnapshotReader(bytes, from: body)
        guard try tail.u64("checksum") == snapshotChecksum(bytes[..<body]) else {
            throw .corrupt("checksum mismatch (the bytes were changed after they were written)")
        }

        var reader = SnapshotReader(Array(bytes[..<body]), from: header.offset)
        nextBatchId = try reader.i64("next batch id")
        watermark = try reader.i64("watermark")
        maxEventTime = try reader.i64("max event time")
        watermarkMoved = try reader.bool("watermark moved")
        let count = try reader.count("offset count", unit: 16)
        for _ in 0..<count {
            let name = try reader.string("offset name")
            offsets.next[name] = try reader.i64("offset of \(name)")
        }
        let states = try reader.count("operator count", unit: 16)
        for index in 0..<states {
            let signature = try reader.string("signature of operator \(index)")
            operatorStates.append(OperatorState(signature: signature, bytes: Array(try reader.blob("state of operator \(index)"))))
        }
        let times = try reader.count("event time count", unit: 8)
        for index in 0..<times { eventTimes.append(try reader.i64("event time \(index)")) }
        guard reader.remaining == 0 else { throw .corrupt("\(reader.remaining) unexpected bytes after the state") }
    }
}
