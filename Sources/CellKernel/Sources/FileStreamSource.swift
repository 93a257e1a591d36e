import Foundation

/// Replays JSON-lines files: one file, or every file of a folder (names starting with `.` or
/// `_` are skipped, as Spark does). Each micro-batch reads what was appended since the last
/// one, whole lines only (the end of the file counts as the end of a line); files that
/// appear later are picked up.
///
/// Options: `path` (required); `maxOffsetsPerTrigger` (bytes per micro-batch, rounded to
/// whole lines; default all). Files are mapped into memory and lines handed out in place: no
/// copy, no allocation per line. A micro-batch can be split into byte ranges read on several
/// threads (``readBatch(lanes:stop:notice:)``). A record's offset is the byte where its line starts.
public final class FileStreamSource: StreamSource, @unchecked Sendable {  // state is touched by the query's thread only
    public let topics: [String] = []
    public let isKafka = false
    public var summary: String { "file \(path)" }
    private let path: String
    private let maxBytes: Int64?
    private var positions: [String: Int64] = [:]
    private var mappings: [String: MappedFile] = [:]
    /// Where the next batch must end per file (``endNextBatch(at:)``); nil: at the files' ends.
    private var replayEnd: [String: Int64]?

    public init(options: [String: String]) throws {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        guard let path = lowered["path"] else {
            throw SourceError("the file source needs 'path'", hint: "add 'path' = '/data/transactions.jsonl' to OPTIONS")
        }
        _ = try OptionValues.nonEmpty(path, option: "path", example: "/data/transactions.jsonl")
        guard FileManager.default.fileExists(atPath: path) else {
            throw SourceError("no such file or folder: \(path)", option: "path")
        }
        self.path = path
        maxBytes = try lowered["maxoffsetspertrigger"].map {
            try OptionValues.integer($0, option: "maxOffsetsPerTrigger", in: 1...Int64.max, meaning: "bytes per micro-batch, rounded to whole lines")
        }
    }

    public func close() {
        mappings.removeAll()
    }

    public var offsets: SourceOffsets { SourceOffsets(positions) }

    /// Byte offsets are where whole lines start, so resuming reads the rest of each file.
    /// A file that shrank below its offset was replaced, not appended to: that is an error.
    public func resume(from offsets: SourceOffsets) throws {
        for (name, offset) in offsets.next {
            let size = FileManager.default.fileExists(atPath: name) ? try mapping(name).size : 0
            guard offset >= 0, offset <= size else {
                throw SourceError("cannot resume \(name) at byte \(offset): the file has \(size) bytes",
                                  hint: "the file was replaced or truncated since the snapshot was taken")
            }
        }
        positions.merge(offsets.next) { $1 }
    }

    public func endNextBatch(at offsets: SourceOffsets) throws {
        replayEnd = offsets.next
    }

    private func files() -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if names.contains("_cells_metadata") { return finishedFiles() }
        return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    /// The output of a checkpointed file sink (a `_cells_metadata` log beside its files) is
    /// read as Spark reads its file sink's: only the files of batches the sink finished, in
    /// batch order, so a file a crashed batch left is never read.
    private func finishedFiles() -> [String] {
        let log = (path as NSString).appendingPathComponent("_cells_metadata")
        let batches = ((try? FileManager.default.contentsOfDirectory(atPath: log)) ?? []).compactMap { Int64($0) }.sorted()
        var files: [String] = []
        for batch in batches {
            guard let bytes = try? DurableFile.read((log as NSString).appendingPathComponent(String(batch))) else { continue }
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            guard lines.first == "v1" else { continue }
            files += lines.dropFirst().filter { !$0.contains("/") && !$0.hasPrefix(".") }.map { (path as NSString).appendingPathComponent($0) }
        }
        return files
    }

    /// One contiguous run of whole lines of one file.
    fileprivate struct Part: @unchecked Sendable {  // points into a read-only mapping the batch keeps alive
        let file: MappedFile
        let range: Range<Int>

        /// Calls `body` for each non-blank line. Safe to run on any thread, alongside other parts.
        /// Throws ``StreamInterrupted`` when `stop` (asked every few thousand lines) says so.
        func read(stop: () -> Bool, _ body: (SourceRecord) throws -> Void) throws -> Int {
            try file.forEachLine(in: range, stop: stop, body)
        }
    }

    /// Plans the next micro-batch: what each file has to read, whole lines only, in reading
    /// order; nil when nothing new arrived. The batch counts as read once this returns.
    private func planParts() throws -> (parts: [Part], batch: SourceBatch)? {
        let start = SourceOffsets(positions)
        var parts: [Part] = []
        var budget = maxBytes ?? .max
        // A batch run again after a crash reads the bytes it read the first time, and only
        // the files it read then.
        let names = replayEnd.map { bound in files().filter { bound[$0] != nil } } ?? files()
        for name in names where budget > 0 {
            let file = try mapping(name)
            let from = Int(positions[name] ?? 0)
            let limit = replayEnd.map { max(0, ($0[name] ?? 0) - Int64(from)) } ?? budget
            // Whole lines only; a last line without a newline counts at the end of the file.
            guard limit > 0, let end = file.endOfLastLine(from: from, limit: limit), end > from else { continue }
            parts.append(Part(file: file, range: from..<end))
            budget -= Int64(end - from)
            positions[name] = Int64(end)
        }
        guard !parts.isEmpty else { return nil }
        return (parts, SourceBatch(start: start, end: SourceOffsets(positions), records: 0, lag: [:], lost: 0))
    }

    public func readBatch(stop: () -> Bool, notice: (String) -> Void, _ body: (SourceRecord) throws -> Void) throws -> SourceBatch? {
        guard let (parts, batch) = try planParts() else { replayEnd = nil; return nil }
        var result = batch
        do {
            for part in parts { result.records += try part.read(stop: stop, body) }
        } catch {
            // Stopped or failed, the batch is taken back whole: the next one starts where it did.
            positions = batch.start.next
            throw error
        }
        replayEnd = nil
        return result.records > 0 ? result : nil
    }

    /// Shares the batch among the lanes a block of lines at a time (``LaneSchedule``): lane `i`
    /// starts on the `i`-th of equal runs of the batch's bytes in reading order, on a thread of
    /// its own (lane 0 on the calling thread, which asks `stop` between its blocks), and a
    /// thread that is done takes half of the biggest run left into a new lane. The lanes come
    /// back in reading order in ``SourceBatch/lanes``. A malformed line fails the batch with
    /// the error of the first one in the files, as one thread would.
    public func readBatch(lanes: [any RecordLane], stop: () -> Bool, notice: (String) -> Void) throws -> SourceBatch? {
        _ = try Self.firstLane(lanes)
        guard let (parts, batch) = try planParts() else { replayEnd = nil; return nil }
        let layout = BatchLayout(parts)
        let schedule = LaneSchedule(total: layout.total, lanes: lanes, lineEnd: layout.lineEnd,
                                    blockBytes: MappedFile.blockBytes, stealMinimum: Self.stealMinimum)
        let used = schedule.threads
        let outcome = LaneOutcome(), counts = LaneCounts(used)
        let threads = LaneThreads()
        // Reads blocks until none is left or the rest is moot; a lane's error is kept for the
        // calling thread. Each lane is finished by the thread that fed it, once it has its
        // last block, so that its last chunk runs in parallel too.
        @Sendable func feed(_ thread: Int, stop: () -> Bool) {
            var feeding: (any RecordLane)?
            var release = PageRelease()
            defer {
                release.flush()
                schedule.leave(thread)
            }
            while let block = schedule.next(for: thread) {
                if stop() || outcome.isMoot(block.range.lowerBound) { break }
                if feeding !== block.lane {
                    feeding?.finish()
                    feeding = block.lane
                }
                do {
                    counts.add(try layout.read(block.range, into: block.lane, stop: stop, release: &release), at: thread)
                } catch is StreamInterrupted {
                    break
                } catch {
                    outcome.fail(error, at: block.range.lowerBound)
                    return
                }
            }
            feeding?.finish()
        }
        for thread in 1..<max(1, used) {
            threads.start("cells.file.lane\(thread)") { feed(thread, stop: { false }) }
        }
        var stopped = false
        func askStop() -> Bool {
            if !stopped && stop() { stopped = true; outcome.stop() }
            return stopped
        }
        feed(0, stop: askStop)
        threads.join { _ = askStop() }
        // Once more at the end, as a batch of a block or two gives few chances before.
        _ = askStop()
        if let error = stopped ? StreamInterrupted() : outcome.error {
            positions = batch.start.next
            throw error
        }
        var result = batch
        result.records = counts.total
        result.lanes = schedule.lanes
        replayEnd = nil
        return result.records > 0 ? result : nil
    }

    /// The least a lane's run must have left for an idle thread to take half of it: a few
    /// blocks, so that the lanes finish within about a block of each other, and a tiny batch
    /// is read as it was split.
    static let stealMinimum = 4 * MappedFile.blockBytes

    private func mapping(_ name: String) throws -> MappedFile {
        if let known = mappings[name], try known.isCurrent() { return known }
        let mapped = try MappedFile(path: name)
        mappings[name] = mapped
        return mapped
    }
}

/// A file mapped read-only into memory (re-mapped when it grows).
final class MappedFile: @unchecked Sendable {  // immutable after init
    let path: String
    let base: UnsafeRawPointer?
    let size: Int

    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var info = stat()
        fstat(fd, &info)
        size = Int(info.st_size)
        guard size > 0 else { base = nil; return }
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw SourceError("cannot map \(path): \(String(cString: strerror(errno)))")
        }
        // Two calls: the advice values are not flags (SEQUENTIAL | WILLNEED is WILLNEED alone).
        // Sequential makes the kernel read further ahead as the lanes fault pages in.
        madvise(mapped, size, MADV_SEQUENTIAL)
        madvise(mapped, size, MADV_WILLNEED)
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// Whether the file still has the size it was mapped with.
    func isCurrent() throws -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { throw SourceError("\(path) disappeared: \(String(cString: strerror(errno)))") }
        return Int(info.st_size) == size
    }

    /// The end of the last whole line starting at `from`, within `limit` bytes (at least one
    /// line); the end of the file counts as a line end. Nil when no whole line is there.
    func endOfLastLine(from: Int, limit: Int64) -> Int? {
        guard let base, from < size else { return nil }
        let upper = limit >= Int64(size - from) ? size : from + Int(limit)
        if upper == size { return size }
        // Search back from the limit for a newline; if none, forward for the first one.
        var i = upper - 1
        while i >= from, base.load(fromByteOffset: i, as: UInt8.self) != 0x0A { i -= 1 }
        if i >= from { return i + 1 }
        return lineEnd(after: from, limit: size)
    }

    /// The position after the first newline at or after `position` (or `limit`).
    func lineEnd(after position: Int, limit: Int) -> Int {
        guard let base, position < limit else { return limit }
        guard let found = memchr(base + position, 0x0A, limit - position) else { return limit }
        return UnsafeRawPointer(found) - base + 1
    }

    /// Calls `body` for each non-blank line in `range`; returns how many.
    func forEachLine(in range: Range<Int>, stop: () -> Bool = { false },
                     _ body: (SourceRecord) throws -> Void) throws -> Int {
        try forEachBlock(in: range, stop: stop) { bytes, block in try JSONLines.forEach(bytes, block, body) }
    }

    /// Calls `body` with runs of whole lines that make up `range`, about a mebibyte each, and
    /// the file's bytes they are in; returns the sum of what `body` returns.
    func forEachBlock(in range: Range<Int>, stop: () -> Bool = { false },
                      _ body: (UnsafePointer<UInt8>, Range<Int>) throws -> Int) throws -> Int {
        guard let base else { return 0 }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var count = 0
        var start = range.lowerBound
        var release = PageRelease()
        defer { release.flush() }
        while start < range.upperBound {
            // Asked once a block (a few thousand lines): nothing measurable, and Ctrl-C is
            // answered within milliseconds even in a file of many gigabytes.
            if stop() { throw StreamInterrupted() }
            let end = range.upperBound - start <= Self.blockBytes
                ? range.upperBound : lineEnd(after: start + Self.blockBytes, limit: range.upperBound)
            count += try body(bytes, start..<end)
            release.read(self, start..<end)
            start = end
        }
        return count
    }

    static let blockBytes = 1 << 20

    /// Read pages leave the process's memory as it goes (they stay in the page cache), so a
    /// big file costs a bounded amount of RSS, not its size.
    static let releaseEvery = 4 << 20

    func release(_ range: Range<Int>) {
        guard let base else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let lower = (range.lowerBound + page - 1) / page * page, upper = range.upperBound / page * page
        guard upper > lower else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + lower), upper - lower, MADV_DONTNEED)
    }
}

/// A batch's file ranges end to end, as the positions a ``LaneSchedule`` hands out.
private struct BatchLayout: @unchecked Sendable {  // points into read-only mappings the batch keeps alive
    let parts: [FileStreamSource.Part]
    /// Where each part starts among the positions.
    let starts: [Int]
    let total: Int

    init(_ parts: [FileStreamSource.Part]) {
        self.parts = parts
        var starts: [Int] = [], total = 0
        for part in parts {
            starts.append(total)
            total += part.range.count
        }
        self.starts = starts
        self.total = total
    }

    /// The part that holds `position` (< ``total``).
    private func part(at position: Int) -> Int {
        var low = 0, high = parts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if starts[middle] <= position { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The position just past the line that holds `position`, within its part; ``total`` at the end.
    func lineEnd(_ position: Int) -> Int {
        guard position < total else { return total }
        let index = part(at: max(0, position)), part = parts[index]
        let offset = part.range.lowerBound + max(0, position) - starts[index]
        return starts[index] + part.file.lineEnd(after: offset, limit: part.range.upperBound) - part.range.lowerBound
    }

    /// Feeds the lines at `positions` to `lane`, part by part, asking `stop` before each part
    /// after the first (a block can span many small files); returns how many.
    func read(_ positions: Range<Int>, into lane: any RecordLane, stop: () -> Bool, release: inout PageRelease) throws -> Int {
        var records = 0
        let first = part(at: positions.lowerBound)
        var index = first
        while index < parts.count, starts[index] < positions.upperBound {
            if index > first && stop() { throw StreamInterrupted() }
            let part = parts[index]
            let lower = part.range.lowerBound + max(0, positions.lowerBound - starts[index])
            let upper = part.range.lowerBound + min(part.range.count, positions.upperBound - starts[index])
            if lower < upper, let base = part.file.base {
                records += try lane.addLines(base.assumingMemoryBound(to: UInt8.self), lower..<upper)
                release.read(part.file, lower..<upper)
            }
            index += 1
        }
        return records
    }
}

/// One thread's read pages, let go a few mebibytes at a time (``MappedFile/releaseEvery``)
/// while it reads on through a file, and the rest when it moves elsewhere or stops.
private struct PageRelease {
    private var file: MappedFile?
    private var pending = 0..<0

    mutating func read(_ file: MappedFile, _ range: Range<Int>) {
        if self.file === file && pending.upperBound == range.lowerBound {
            pending = pending.lowerBound..<range.upperBound
        } else {
            flush()
            self.file = file
            pending = range
        }
        if pending.count >= MappedFile.releaseEvery { flush() }
    }

    mutating func flush() {
        if let file, !pending.isEmpty { file.release(pending) }
        pending = pending.upperBound..<pending.upperBound
    }
}
