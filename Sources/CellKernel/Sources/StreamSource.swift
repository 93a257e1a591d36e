#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One record as a source hands it to the decoder: borrowed bytes plus the Kafka fields
/// (absent for files). Valid only during the callback that receives it.
public struct SourceRecord {
    public var value: UnsafeRawBufferPointer?
    public var key: UnsafeRawBufferPointer?
    /// Index into the source's ``StreamSource/topics``.
    public var topicIndex: Int
    public var partition: Int32
    public var offset: Int64
    /// Milliseconds since the epoch; -1 when unknown.
    public var timestamp: Int64
    /// Spark's timestampType: 0 create time, 1 log append time; -1 unknown.
    public var timestampType: Int32
}

/// One thread's share of a micro-batch's records. A source feeds each lane from one thread at a
/// time, in the order it reads that lane's records; different lanes may be fed at once.
public protocol RecordLane: AnyObject, Sendable {
    func add(_ record: SourceRecord, topics: [String]) throws
    /// Adds the records of a run of JSON lines: the lines in `range` of `base`, a file's
    /// bytes, each non-blank line a record whose offset is where it starts. The same as
    /// ``add(_:topics:)`` for each line, in order; a lane that decodes whole runs at a time
    /// does it faster. Returns the records added.
    func addLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws -> Int
    /// Adds `count` records, the i-th being `record(i)` (valid during the call): the same as
    /// ``add(_:topics:)`` for each, in order, faster for a lane that decodes runs at a time.
    func addRecords(count: Int, topics: [String], _ record: (Int) -> SourceRecord) throws
    /// A new, empty lane of the same query, for a source that splits its batch further than
    /// the lanes it was given (``SourceBatch/lanes``); nil when the lane cannot make one. Called
    /// from any thread, while this lane may be fed on another.
    func makeLane() -> (any RecordLane)?
    /// The source is done feeding this lane for the batch: it may run what it holds back.
    /// A source may call it on the thread that fed the lane last, so that this work runs
    /// there too; the query calls it once more after the batch, when it must do nothing new.
    func finish()
}

extension RecordLane {
    public func makeLane() -> (any RecordLane)? { nil }

    public func finish() {}

    public func addRecords(count: Int, topics: [String], _ record: (Int) -> SourceRecord) throws {
        for index in 0..<count { try add(record(index), topics: topics) }
    }

    public func addLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws -> Int {
        try JSONLines.forEach(base, range) { record in try add(record, topics: []) }
    }
}

extension JSONLines {
    /// Calls `body` for each non-blank line in `range` of `base` (without its newline, or a
    /// `\r` before it); returns how many. A line is blank when it holds nothing above a
    /// space, as in Spark's JSON reader.
    @inline(__always)
    static func forEach(_ base: UnsafePointer<UInt8>, _ range: Range<Int>, _ body: (SourceRecord) throws -> Void) rethrows -> Int {
        var count = 0
        var start = range.lowerBound
        while start < range.upperBound {
            let line = line(base, at: start, limit: range.upperBound)
            if !line.isBlank {
                try body(SourceRecord(value: UnsafeRawBufferPointer(start: base + start, count: line.end - start), key: nil,
                                      topicIndex: 0, partition: 0, offset: Int64(start), timestamp: -1, timestampType: -1))
                count += 1
            }
            start = line.next
        }
        return count
    }
}

/// What reading one micro-batch found.
public struct SourceBatch: Sendable {
    public var start: SourceOffsets
    public var end: SourceOffsets
    public var records: Int
    /// Records still waiting after `end`, per partition: the consumer's lag.
    public var lag: [String: Int64]
    /// Records the broker no longer had when they were due (retention), with failOnDataLoss
    /// off; with it on, the source throws instead.
    public var lost: Int64
    /// The lanes the records went to, in reading order, when the source split the batch
    /// among more lanes than it was given (``RecordLane/makeLane()``); nil: the lanes given.
    public var lanes: [any RecordLane]? = nil
}

/// A source of records for a stream: a Kafka topic (or several), or JSON-lines files.
///
/// Sources are pulled: each micro-batch asks for what is available now (bounded by the
/// source's own limits) and gets it through a callback, without copies.
public protocol StreamSource: AnyObject {
    /// Names for ``SourceRecord/topicIndex``.
    var topics: [String] { get }
    /// Whether the records carry Kafka fields (key, topic, partition, offset, timestamp).
    var isKafka: Bool { get }
    /// A short description for SHOW SOURCES and errors, e.g. `kafka streaming_cartao (6 partitions) at host:9092`.
    var summary: String { get }
    /// Reads the next micro-batch, calling `body` for each record. Returns nil, without
    /// calling `body`, when there is nothing new.
    ///
    /// `stop` is asked often while the batch is read (every few thousand records, every poll,
    /// every wait on a broker); when it returns true the source abandons the batch, leaves
    /// its offsets where the batch started (so nothing is read twice or skipped when reading
    /// goes on) and throws ``StreamInterrupted``. `notice` takes a line for the user about
    /// the source itself, e.g. a broker that stopped answering and came back.
    func readBatch(stop: () -> Bool, notice: (String) -> Void, _ body: (SourceRecord) throws -> Void) throws -> SourceBatch?
    /// Reads the next micro-batch into `lanes`, as ``readBatch(stop:notice:_:)`` does into its
    /// callback, on as many threads as the source can use (up to one per lane), and how its
    /// records are shared among the lanes is the source's choice. With one lane, records come
    /// in the order of ``readBatch(stop:notice:_:)``, on the calling thread.
    ///
    /// `stop` and `notice` are called on the calling thread only. When `stop` says so, or a
    /// lane throws, every lane thread has ended before this returns, the source's offsets
    /// are where the batch started, and this throws ``StreamInterrupted`` or the error of the
    /// first record, in reading order, that a lane refused: the one a single lane would have
    /// met first. The batch returned counts the records of all lanes.
    func readBatch(lanes: [any RecordLane], stop: () -> Bool, notice: (String) -> Void) throws -> SourceBatch?
    /// Stops reading and releases connections.
    func close()
    /// Where the next micro-batch starts: per `topic/partition` or per file, the next
    /// offset to read. What a state snapshot records.
    var offsets: SourceOffsets { get }
    /// Makes the next micro-batch start at `offsets` (from a snapshot's ``offsets``);
    /// partitions or files it does not name start as they would have.
    func resume(from offsets: SourceOffsets) throws
    /// Makes the next micro-batch end at `offsets` rather than where the data and the
    /// source's limits would: a batch run again after a crash reads exactly what it read
    /// before (its end offsets come from the checkpoint's offsets log). Partitions or files
    /// `offsets` does not name add nothing to that batch.
    func endNextBatch(at offsets: SourceOffsets) throws
}

extension StreamSource {
    /// A source that cannot split a batch reads it on the calling thread into the first lane.
    public func readBatch(lanes: [any RecordLane], stop: () -> Bool, notice: (String) -> Void) throws -> SourceBatch? {
        let lane = try Self.firstLane(lanes)
        let topics = topics
        return try readBatch(stop: stop, notice: notice) { record in try lane.add(record, topics: topics) }
    }

    static func firstLane(_ lanes: [any RecordLane]) throws -> any RecordLane {
        guard let first = lanes.first else {
            throw SourceError("a micro-batch was read into no lanes", hint: "this is a bug in cells: please report it")
        }
        return first
    }

    /// Reads the next micro-batch without a way to stop it early.
    public func readBatch(_ body: (SourceRecord) throws -> Void) throws -> SourceBatch? {
        try readBatch(stop: { false }, notice: { _ in }, body)
    }
}

/// A micro-batch abandoned because a stop was requested while it was read: Ctrl-C, SIGTERM,
/// `--timeout`, STOP. Nothing of it was counted, and the source's offsets are where the
/// batch started.
public struct StreamInterrupted: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "stopped while reading a micro-batch" }
}
