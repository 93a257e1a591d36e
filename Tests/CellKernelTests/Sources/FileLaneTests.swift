@testable import CellKernel
import Foundation
import Testing

/// A file micro-batch read into several lanes: every line once, stops and lane errors
/// taking the batch back whole.
@Suite struct FileLaneTests {
    static let count = 50_000

    /// `files` JSON-lines files in a new folder holding `{"n":i}` for i in 0..<count between
    /// them, and the sum of the byte offsets where their lines start.
    static func folder(files: Int) throws -> (path: String, offsetSum: Int64) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cells-lanes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var offsetSum: Int64 = 0
        let perFile = (count + files - 1) / files
        for file in 0..<files {
            var text = ""
            for n in (file * perFile)..<min(count, (file + 1) * perFile) {
                offsetSum += Int64(text.utf8.count)
                text += #"{"n":\#(n)}"# + "\n"
            }
            try text.write(to: folder.appendingPathComponent("part-\(file).jsonl"), atomically: true, encoding: .utf8)
        }
        return (folder.path, offsetSum)
    }

    static func lanes(_ n: Int, failAt: Set<Int> = [], fed: Counter = Counter()) -> [TallyLane] {
        (0..<n).map { _ in TallyLane(fed: fed, spin: 200, failAt: failAt) }
    }

    static func expectWhole(_ lanes: [TallyLane], offsetSum: Int64, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(lanes.records == count, sourceLocation: sourceLocation)
        #expect(lanes.valueSum == count * (count - 1) / 2, sourceLocation: sourceLocation)
        #expect(lanes.offsetSum == offsetSum, sourceLocation: sourceLocation)
    }

    @Test("every line is read once across the lanes, each lane on one thread", arguments: [1, 3])
    func everyLineOnce(files: Int) throws {
        let (path, offsetSum) = try Self.folder(files: files)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for n in [1, 2, 3] {
            let source = try FileStreamSource(options: ["path": path])
            let lanes = Self.lanes(n)
            let batch = try #require(try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
            #expect(batch.records == Self.count)
            Self.expectWhole(lanes, offsetSum: offsetSum)
            #expect(lanes.used == n, "lanes fed: \(lanes.map(\.records))")
            #expect(lanes.allSatisfy { $0.threads.count == 1 })
            #expect(lanes[0].threads == [UInt(pthread_self())])
            if n > 1 { #expect(Set(lanes.flatMap(\.threads)).count == n) }
            #expect(try source.readBatch(lanes: Self.lanes(n), stop: { false }, notice: { _ in }) == nil)
        }
    }

    @Test("a stop mid-batch takes the batch back: the next batch reads the same lines")
    func stopRewinds() throws {
        let (path, offsetSum) = try Self.folder(files: 2)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for n in [1, 2, 3] {
            let source = try FileStreamSource(options: ["path": path])
            let fed = Counter()
            #expect(throws: StreamInterrupted.self) {
                try source.readBatch(lanes: Self.lanes(n, fed: fed), stop: { fed.count >= 5000 }, notice: { _ in })
            }
            #expect(source.offsets == SourceOffsets())
            let settled = fed.count
            Thread.sleep(forTimeInterval: 0.05)
            #expect(fed.count == settled, "no lane is fed after readBatch returns")
            let lanes = Self.lanes(n)
            let batch = try #require(try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
            #expect(batch.records == Self.count)
            Self.expectWhole(lanes, offsetSum: offsetSum)
        }
    }

    @Test("a lane that throws fails the batch with its error; the next batch reads from the start")
    func laneErrorRewinds() throws {
        let (path, offsetSum) = try Self.folder(files: 2)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for n in [1, 2, 3] {
            let source = try FileStreamSource(options: ["path": path])
            let fed = Counter()
            #expect(throws: TallyLane.Refused(n: 30_000)) {
                try source.readBatch(lanes: Self.lanes(n, failAt: [30_000], fed: fed), stop: { false }, notice: { _ in })
            }
            #expect(source.offsets == SourceOffsets())
            let settled = fed.count
            Thread.sleep(forTimeInterval: 0.05)
            #expect(fed.count == settled, "no lane is fed after readBatch returns")
            let lanes = Self.lanes(n)
            let batch = try #require(try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
            #expect(batch.records == Self.count)
            Self.expectWhole(lanes, offsetSum: offsetSum)
        }
    }

    /// A lane that notes where each of its lines starts, taking `delay` seconds over each run
    /// of lines it is given; the lanes it makes take none.
    final class OrderLane: RecordLane, @unchecked Sendable {  // fed by one thread at a time, read after the batch
        private(set) var offsets: [Int64] = []
        let delay: Double

        init(delay: Double) { self.delay = delay }

        func add(_ record: SourceRecord, topics: [String]) throws { offsets.append(record.offset) }

        func addLines(_ base: UnsafePointer<UInt8>, _ range: Range<Int>) throws -> Int {
            if delay > 0 { Thread.sleep(forTimeInterval: delay) }
            return try JSONLines.forEach(base, range) { try add($0, topics: []) }
        }

        func makeLane() -> (any RecordLane)? { OrderLane(delay: 0) }
    }

    @Test("a thread that is done takes half of a slow lane's run into a new lane; the lanes come back in reading order")
    func idleThreadsTakeHalves() throws {
        // 16 MiB of 100-byte lines: sixteen blocks, half for each thread to start on.
        var bytes: [UInt8] = [], starts: [Int64] = []
        var n = 0
        while bytes.count < 16 << 20 {
            starts.append(Int64(bytes.count))
            let head = Array(#"{"n":\#(n),"pad":""#.utf8)
            bytes += head + Array(repeating: UInt8(ascii: "x"), count: 100 - head.count - 3) + Array(#""}"#.utf8) + [0x0A]
            n += 1
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-halves-\(UUID().uuidString).jsonl").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }

        let source = try FileStreamSource(options: ["path": path])
        let given = [OrderLane(delay: 0.05), OrderLane(delay: 0)]
        let batch = try #require(try source.readBatch(lanes: given, stop: { false }, notice: { _ in }))
        #expect(batch.records == starts.count)
        let lanes = try #require(batch.lanes).compactMap { $0 as? OrderLane }
        #expect(lanes.count > 2, "the idle thread took work from the slow lane")
        #expect(lanes.first === given[0])
        #expect(lanes.flatMap(\.offsets) == starts, "every line once, the lanes in reading order, each in order")
    }
}
