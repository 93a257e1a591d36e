import Foundation

/// Replays JSON-lines files: one file, or every file of a folder (names starting with `.` or
/// `_` are skipped, as Spark does). Each micro-batch reads what was appended since the last
/// one, whole lines only; files that appear later are picked up.
///
/// Options: `path` (required); `maxOffsetsPerTrigger` (lines per micro-batch, default all).
/// Lines are handed out in place from a reused read buffer: no copy, no allocation per line.
public final class FileStreamSource: StreamSource {
    public let topics: [String] = []
    public let isKafka = false
    public var summary: String { "file \(path)" }
    private let path: String
    private let maxLines: Int64?
    private var positions: [String: Int64] = [:]
    private var lineNumbers: [String: Int64] = [:]
    private var buffer: [UInt8] = []
    private static let chunk = 8 << 20

    public init(options: [String: String]) throws {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        guard let path = lowered["path"], !path.isEmpty else {
            throw SourceError("the file source needs 'path'", hint: "add 'path' = '/data/transactions.jsonl' to OPTIONS")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw SourceError("no such file or folder: \(path)")
        }
        self.path = path
        maxLines = try lowered["maxoffsetspertrigger"].map { text in
            guard let n = Int64(text), n > 0 else { throw SourceError("maxOffsetsPerTrigger must be a positive number, not '\(text)'") }
            return n
        }
    }

    public func close() {}

    private func files() -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return [path] }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasPrefix("_") }.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    public func readBatch(_ body: (SourceRecord) throws -> Void) throws -> SourceBatch? {
        let start = SourceOffsets(lineNumbers)
        var records = 0
        var budget = maxLines ?? .max
        for file in files() where budget > 0 {
            let fd = open(file, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw SourceError("cannot open \(file): \(String(cString: strerror(errno)))") }
            defer { Glibc.close(fd) }
            var info = stat()
            fstat(fd, &info)
            let size = Int64(info.st_size)
            var position = positions[file] ?? 0
            var line = lineNumbers[file] ?? 0
            var carried = 0  // bytes of an unfinished line kept at the front of the buffer
            while position + Int64(carried) < size && budget > 0 {
                let want = min(Self.chunk, Int(size - position) - carried)
                if buffer.count < carried + want { buffer.append(contentsOf: repeatElement(0, count: carried + want - buffer.count)) }
                let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + carried, want, off_t(position + Int64(carried))) }
                guard got > 0 else { break }
                let filled = carried + got
                let atEnd = position + Int64(filled) >= size
                var consumed = 0
                try buffer.withUnsafeBytes { bytes in
                    var lineStart = 0
                    while lineStart < filled && budget > 0 {
                        let rest = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<filled])
                        let newline = rest.firstIndex(of: UInt8(ascii: "\n")).map { lineStart + $0 }
                        // A last line without a newline counts only at the end of the file.
                        guard let lineEnd = newline ?? (atEnd ? filled : nil) else { break }
                        var contentEnd = lineEnd
                        if contentEnd > lineStart && bytes[contentEnd - 1] == UInt8(ascii: "\r") { contentEnd -= 1 }
                        let content = UnsafeRawBufferPointer(rebasing: bytes[lineStart..<contentEnd])
                        // Blank lines are not records, as in Spark's JSON reader.
                        if content.contains(where: { $0 > 0x20 }) {
                            try body(SourceRecord(value: content, key: nil, topicIndex: 0, partition: 0, offset: line,
                                                  timestamp: -1, timestampType: -1))
                            records += 1
                            budget -= 1
                        }
                        line += 1
                        lineStart = min(lineEnd + 1, filled)
                        consumed = lineStart
                    }
                }
                position += Int64(consumed)
                carried = filled - consumed
                if carried > 0 && consumed > 0 {
                    buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + consumed, byteCount: carried) }
                }
                if consumed == 0 && carried == filled && !atEnd && filled >= buffer.count {
                    // A line longer than the buffer: grow and read on.
                    buffer.append(contentsOf: repeatElement(0, count: buffer.count))
                }
                if budget == 0 { carried = 0 }
            }
            positions[file] = position
            lineNumbers[file] = line
        }
        guard records > 0 else { return nil }
        return SourceBatch(start: start, end: SourceOffsets(lineNumbers), records: records, lag: [:], lost: 0)
    }
}
