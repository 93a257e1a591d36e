@testable import CellKernel
import Foundation
import Testing

/// Event time on a file source the test appends to between micro-batches: windowed counts
/// with a watermark drop exactly the late rows, and closed windows leave the state.
@Suite struct WatermarkTests {
    func line(_ time: String, _ brand: String = "Visa") -> String {
        #"{"event_time":"2024-01-01T\#(time)Z","card_brand":"\#(brand)","amount":1.5}"# + "\n"
    }

    func session(file: String, mode: String) throws -> (CellSession, StreamingQuery) {
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP, card_brand STRING, amount DOUBLE)
              WATERMARK event_time DELAY '30 seconds';
            CREATE VIEW per_minute AS
              SELECT window(event_time, '1 minute').start AS minute, count(*) AS n, sum(amount) AS total
              FROM tx GROUP BY window(event_time, '1 minute');
            """)
        return (session, try session.prepare(start: "START per_minute OUTPUT MODE \(mode)"))
    }

    @Test func lateRowsAreDroppedAndCounted() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-wm-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (line("00:00:10") + line("00:01:05") + line("00:02:30")).write(toFile: file, atomically: true, encoding: .utf8)
        let (session, query) = try session(file: file, mode: "update")

        let first = try #require(try query.runBatch())
        #expect(first.numInputRows == 3 && first.numLateRows == 0)
        // max event time 00:02:30 - 30 s: windows ending at or before 00:02:00 are closed.
        #expect(first.watermark.map { $0 } == Date(timeIntervalSince1970: 1_704_067_320).microseconds)

        let handle = try #require(FileHandle(forWritingAtPath: file))
        handle.seekToEndOfFile()
        handle.write(Data((line("00:00:50") + line("00:01:59") + line("00:02:10") + line("00:03:00")).utf8))
        try handle.close()
        let second = try #require(try query.runBatch())
        #expect(second.numInputRows == 4)
        #expect(second.numLateRows == 2, "00:00:50 and 00:01:59 belong to windows closed by the watermark")
        // The memory table upserts what update mode emitted: 00:00 and 00:01 from the first
        // batch, then 00:02 (two rows) and 00:03.
        #expect(session.table("per_minute")?.sortedRows == [
            ["1704067200000000", "1", "1.5"], ["1704067260000000", "1", "1.5"],
            ["1704067320000000", "2", "3.0"], ["1704067380000000", "1", "1.5"],
        ])
        // Closed windows were evicted: only 00:02 and 00:03 remain in state.
        #expect(second.numStateRows == 2)
        query.stop()
    }

    @Test func appendModeEmitsEachWindowOnceWhenItCloses() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-wm-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (line("00:00:10") + line("00:00:20") + line("00:01:40")).write(toFile: file, atomically: true, encoding: .utf8)
        let (session, query) = try session(file: file, mode: "append")
        _ = try #require(try query.runBatch())
        #expect(session.table("per_minute")?.count == 0, "nothing is final before the watermark passes a window")
        // The watermark moved (01:40 - 30 s = 01:10): a batch without data closes 00:00.
        #expect(query.hasPendingWork)
        let closing = try #require(try query.runBatch())
        #expect(closing.numInputRows == 0)
        #expect(session.table("per_minute")?.sortedRows == [["1704067200000000", "2", "3.0"]])
        #expect(try query.runBatch() == nil)
        query.stop()
    }
}

extension Date {
    var microseconds: Int64 { Int64(timeIntervalSince1970 * 1_000_000) }
}
