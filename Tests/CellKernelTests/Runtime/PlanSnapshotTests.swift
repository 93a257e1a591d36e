import Foundation
import Testing
@testable import CellKernel

/// Snapshots of a plan with several stateful operators and several sources: a chain of two
/// windowed aggregations over a UNION ALL of two files. Taken between batches and restored
/// into a fresh query, the run goes on as if never interrupted.
@Suite struct PlanSnapshotTests {
    static func lines(_ range: Range<Int>, step: Int) -> String {
        range.map { i in
            let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(1_704_067_200 + i * step)))
            return #"{"event_time":"\#(time)","amount":\#(i % 7)}"# + "\n"
        }.joined()
    }

    static func query(_ files: [String]) throws -> (CellSession, StreamingQuery) {
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f0 USING file OPTIONS ('path' = '\(files[0])');
            CREATE SOURCE f1 USING file OPTIONS ('path' = '\(files[1])');
            CREATE STREAM a FROM f0 FORMAT json SCHEMA (event_time TIMESTAMP, amount INT) WATERMARK event_time DELAY '30 seconds';
            CREATE STREAM b FROM f1 FORMAT json SCHEMA (event_time TIMESTAMP, amount INT) WATERMARK event_time DELAY '30 seconds';
            CREATE VIEW both AS SELECT event_time, amount FROM a UNION ALL SELECT event_time, amount FROM b;
            CREATE VIEW m1 AS SELECT window, count(*) AS n, sum(amount) AS total FROM both GROUP BY window(event_time, '1 minute');
            CREATE VIEW m5 AS SELECT window.start AS s, sum(n) AS n, sum(total) AS total FROM m1 GROUP BY window(window, '5 minutes');
            """)
        return (session, try session.prepare(start: "START m5 OUTPUT MODE append"))
    }

    /// Batches until there is nothing new and no window left to close.
    static func drain(_ query: StreamingQuery) throws {
        var batches = 0
        while try query.runBatch() != nil {
            batches += 1
            try #require(batches < 1000)
        }
    }

    static func files() throws -> [String] {
        try (0..<2).map { _ in
            let path = NSTemporaryDirectory() + "cells-plan-snap-\(UUID().uuidString).jsonl"
            try "".write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static func append(_ text: String, to path: String) throws {
        try ScratchFile.append(text, to: path)
    }

    @Test func aChainOverAUnionResumesFromItsSnapshotAsIfNeverStopped() throws {
        let halves = [(0..<300, 300..<700), (0..<200, 200..<500)]
        let steps = [7, 11]

        // The uninterrupted run: the first halves, batches, the second halves, batches.
        let whole = try Self.files()
        defer { for f in whole { try? FileManager.default.removeItem(atPath: f) } }
        let (wholeSession, wholeQuery) = try Self.query(whole)
        for i in 0..<2 { try Self.append(Self.lines(halves[i].0, step: steps[i]), to: whole[i]) }
        try Self.drain(wholeQuery)
        for i in 0..<2 { try Self.append(Self.lines(halves[i].1, step: steps[i]), to: whole[i]) }
        try Self.drain(wholeQuery)
        let expected = try #require(wholeSession.table("m5")).sortedRows
        wholeQuery.stop()
        #expect(expected.count >= 5, "several 5-minute windows closed: \(expected)")
        // Every event of a closed 5-minute window is counted: both files' events before the last open window.
        let counted = expected.reduce(0) { $0 + Int($1[1])! }
        #expect(counted > 0 && counted <= 1200)

        // The interrupted run: the first halves, batches, a snapshot through its bytes; then a
        // fresh query restored from it reads the second halves.
        let split = try Self.files()
        defer { for f in split { try? FileManager.default.removeItem(atPath: f) } }
        let (firstSession, first) = try Self.query(split)
        for i in 0..<2 { try Self.append(Self.lines(halves[i].0, step: steps[i]), to: split[i]) }
        try Self.drain(first)
        let before = try #require(firstSession.table("m5")).sortedRows
        let snapshot = first.snapshot()
        first.stop()
        #expect(snapshot.operatorStates.count == 2, "both aggregations' state is saved")
        #expect(snapshot.eventTimes.count == 2, "each stream's event time is saved")
        #expect(Set(snapshot.offsets.next.keys) == ["#0 \(split[0])", "#1 \(split[1])"])
        let bytes = snapshot.bytes

        let (secondSession, second) = try Self.query(split)
        try second.restore(from: try StateSnapshot(bytes: bytes))
        for i in 0..<2 { try Self.append(Self.lines(halves[i].1, step: steps[i]), to: split[i]) }
        try Self.drain(second)
        let after = try #require(secondSession.table("m5")).sortedRows
        second.stop()

        #expect((before + after).sorted { $0.lexicographicallyPrecedes($1) } == expected,
                "emitted before the snapshot, then after the restore: each window once, with the same sums")
        let wholeState = try StateSnapshot(bytes: try wholeQueryStateBytes(halves: halves, steps: steps))
        #expect(second.snapshot().operatorStates == wholeState.operatorStates, "the same state as never stopping")
    }

    /// The state of an uninterrupted run over the same data, as bytes (for comparing state).
    private func wholeQueryStateBytes(halves: [(Range<Int>, Range<Int>)], steps: [Int]) throws -> [UInt8] {
        let files = try Self.files()
        defer { for f in files { try? FileManager.default.removeItem(atPath: f) } }
        let (_, query) = try Self.query(files)
        for i in 0..<2 { try Self.append(Self.lines(halves[i].0, step: steps[i]), to: files[i]) }
        try Self.drain(query)
        for i in 0..<2 { try Self.append(Self.lines(halves[i].1, step: steps[i]), to: files[i]) }
        try Self.drain(query)
        defer { query.stop() }
        return query.snapshot().bytes
    }

    @Test func aSnapshotOfAnotherPlanIsRefused() throws {
        let files = try Self.files()
        defer { for f in files { try? FileManager.default.removeItem(atPath: f) } }
        let (_, chained) = try Self.query(files)
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(files[0])');
            CREATE STREAM a FROM f FORMAT json SCHEMA (event_time TIMESTAMP, amount INT) WATERMARK event_time DELAY '30 seconds';
            CREATE VIEW m1 AS SELECT window, count(*) AS n FROM a GROUP BY window(event_time, '1 minute');
            """)
        let single = try session.prepare(start: "START m1 OUTPUT MODE append")
        #expect {
            try single.restore(from: chained.snapshot())
        } throws: { error in
            guard case SnapshotError.incompatible(let what) = error else { return false }
            return what.contains("2 stateful operators") && what.contains("has 1")
        }
        chained.stop(); single.stop()
    }
}
