@testable import CellKernel
import Foundation
import Testing

/// Plans with several stateful operators or sources resume from a location as from a
/// snapshot: a chain of two windowed aggregations over a UNION ALL of two files, and a
/// streaming LIMIT.
@Suite struct CheckpointPlanTests {
    static func lines(_ range: Range<Int>, step: Int) -> String {
        range.map { i in
            let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(1_704_067_200 + i * step)))
            return #"{"event_time":"\#(time)","amount":\#(i % 7)}"# + "\n"
        }.joined()
    }

    static func chain(_ a: String, _ b: String, out: String) throws -> (CellSession, StreamingQuery) {
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f0 USING file OPTIONS ('path' = '\(a)', 'maxOffsetsPerTrigger' = '2500');
            CREATE SOURCE f1 USING file OPTIONS ('path' = '\(b)', 'maxOffsetsPerTrigger' = '1500');
            CREATE STREAM a FROM f0 FORMAT json SCHEMA (event_time TIMESTAMP, amount INT) WATERMARK event_time DELAY '30 seconds';
            CREATE STREAM b FROM f1 FORMAT json SCHEMA (event_time TIMESTAMP, amount INT) WATERMARK event_time DELAY '30 seconds';
            CREATE VIEW both AS SELECT event_time, amount FROM a UNION ALL SELECT event_time, amount FROM b;
            CREATE VIEW m1 AS SELECT window, count(*) AS n, sum(amount) AS total FROM both GROUP BY window(event_time, '1 minute');
            CREATE VIEW m5 AS SELECT window.start AS s, sum(n) AS n, sum(total) AS total FROM m1 GROUP BY window(window, '5 minutes');
            """)
        return (session, try session.prepare(start: "START m5 OUTPUT MODE append USING json OPTIONS ('path' = '\(out)')"))
    }

    /// Stopped after batch 5, then with the last state damaged (so the fallback re-runs a
    /// batch over both streams with their logged offsets): the json files are those of one run.
    @Test(arguments: [false, true])
    func aChainOverAUnionResumes(damageLastState: Bool) throws {
        let scratch = try CheckpointScratch()
        let a = try scratch.write(Self.lines(0..<500, step: 7), to: "a.jsonl")
        let b = try scratch.write(Self.lines(0..<300, step: 11), to: "b.jsonl")
        let (_, whole) = try Self.chain(a, b, out: scratch.path("whole"))
        let wholeRuns = try drain(whole)
        whole.stop()
        #expect(wholeRuns.count >= 10)
        #expect(whole.statefulOperators.count == 2)

        let location = scratch.path("chk/m5")
        let (_, first) = try Self.chain(a, b, out: scratch.path("split"))
        #expect(try first.attachCheckpoint(at: location) == nil)
        try run(first, batches: 6)
        first.stop()
        let metadata = try CheckpointMetadata(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: location + "/metadata"))))
        #expect(metadata.view == "m5" && metadata.stateSignatures.count == 2 && metadata.sources == ["file \(a)", "file \(b)"])
        let logged = try OffsetsEntry(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: location + "/offsets/5"))))
        #expect(logged.end.next.keys.sorted() == ["#0 \(a)", "#1 \(b)"])
        if damageLastState { try Data("no".utf8).write(to: URL(fileURLWithPath: stateFile(location, 5))) }

        let (_, second) = try Self.chain(a, b, out: scratch.path("split"))
        let resumed = try #require(try second.attachCheckpoint(at: location))
        #expect(resumed.nextBatch == (damageLastState ? 5 : 6) && resumed.rerun == (damageLastState ? [5] : []))
        let after = try drain(second)
        second.stop()
        #expect(after.map(CheckpointResumeTests.figures) == wholeRuns.dropFirst(damageLastState ? 5 : 6).map(CheckpointResumeTests.figures))
        let text = try scratch.sinkText(scratch.path("whole"))
        #expect(text.split(separator: "\n").count > 5)
        #expect(try scratch.sinkText(scratch.path("split")) == text)
    }

    /// A streaming LIMIT keeps how many rows it let through: across a restart the query
    /// still stops at the limit.
    @Test func aStreamingLimitCountsAcrossARestart() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<100), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, maxBytes: 2_000, view: "CREATE VIEW v AS SELECT card_brand, amount FROM tx LIMIT 45;",
                                          start: "START v OUTPUT MODE append USING json OPTIONS ('path' = '\(scratch.path("out"))')")
        let (_, first, _) = try notebook.open(location: location)
        let before = try run(first, batches: 1)
        first.stop()
        #expect(before[0].numOutputRows > 0 && before[0].numOutputRows < 45)
        let metadata = try CheckpointMetadata(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: location + "/metadata"))))
        #expect(metadata.stateSignatures == ["LIMIT 45 over the stream"])

        let (_, second, resumed) = try notebook.open(location: location)
        #expect(resumed?.nextBatch == 1)
        let after = try drain(second)
        second.stop()
        #expect(before[0].numOutputRows + after.reduce(0) { $0 + $1.numOutputRows } == 45)
        #expect(try scratch.sinkText(scratch.path("out")).split(separator: "\n").count == 45)

        let changed = CheckpointNotebook(file: file, view: "CREATE VIEW v AS SELECT card_brand, amount FROM tx LIMIT 50;", start: "START v")
        expectCheckpointError({ _ = try changed.open(location: location) }) { error in
            error.message.contains("holds the state of LIMIT 45 over the stream; v now keeps LIMIT 50 over the stream")
        }
    }

    /// Complete mode with ORDER BY and LIMIT over the aggregation: the table rebuilt from
    /// the state at a restart is the sorted top rows the query showed before it stopped.
    @Test func aSortedTopOfAnAggregationIsRebuiltInOrder() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<333), to: "tx.jsonl")
        let location = scratch.path("chk/top")
        let notebook = CheckpointNotebook(
            file: file, maxBytes: 9_000,
            view: "CREATE VIEW top AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_brand ORDER BY total DESC LIMIT 3;",
            start: "START top OUTPUT MODE complete", viewName: "top")
        let (firstSession, first, _) = try notebook.open(location: location)
        try run(first, batches: 2)
        let shown = try #require(firstSession.table("top"))
        first.stop()
        func rows(_ batch: Batch) -> [[String]] { (0..<batch.count).map { r in batch.columns.map { $0.value(at: r).description } } }
        #expect(shown.count == 3)

        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed?.nextBatch == 2)
        #expect(try rows(#require(session.table("top"))) == rows(shown), "same rows in the same order")
        try drain(second)
        second.stop()
        let expected = Transactions.perBrand(Array(0..<333)).sorted { Double($0[2])! > Double($1[2])! }.prefix(3)
        #expect(try rows(#require(session.table("top"))) == Array(expected))
    }
}
