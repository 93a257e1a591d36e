@testable import CellKernel
import Foundation
import Testing

/// A query stopped after some batches and started again from its checkpoint location, by a
/// fresh session built from the same notebook statements, ends where one uninterrupted run
/// ends: same result table, same sink files, same batch ids and per-batch figures.
@Suite struct CheckpointResumeTests {
    static let perBrand = "CREATE VIEW v AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_brand;"
    static let perMinute = """
        CREATE VIEW v AS SELECT window(event_time, '1 minute').start AS minute, count(*) AS n, sum(amount) AS total,
          min(card_brand) AS first_brand, count(DISTINCT card_brand) AS brands
        FROM tx GROUP BY window(event_time, '1 minute');
        """

    /// The figures of a batch that must not depend on whether the query was restarted.
    static func figures(_ p: BatchProgress) -> [String] {
        ["\(p.batchId)", "\(p.numInputRows)", "\(p.numOutputRows)", "\(p.numStateRows)", "\(p.numLateRows)",
         "\(p.watermark.map(String.init) ?? "-")", "\(p.startOffsets)", "\(p.endOffsets)"]
    }

    @Test func completeModeResumesAsIfNeverStopped() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<700), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, maxBytes: 12_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")

        let (wholeSession, whole, _) = try notebook.open()
        let wholeRuns = try drain(whole)
        whole.stop()
        #expect(wholeRuns.count == 5)
        let expected = try #require(wholeSession.table("v")?.sortedRows)
        #expect(expected == Transactions.perBrand(Array(0..<700)))

        let location = scratch.path("chk/v")
        let (_, first, fresh) = try notebook.open(location: location)
        #expect(fresh == nil, "a new location has nothing to resume")
        let before = try run(first, batches: 2)
        first.stop()
        #expect(before.map(Self.figures) == wholeRuns.prefix(2).map(Self.figures))

        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 2, rerun: [], fallback: nil))
        // The result table is rebuilt from the restored state before any batch runs.
        let seen = before.reduce(0) { $0 + $1.numInputRows }
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<seen)))
        let after = try drain(second)
        second.stop()
        #expect(after.map(Self.figures) == wholeRuns.dropFirst(2).map(Self.figures))
        #expect(session.table("v")?.sortedRows == expected)
    }

    /// A windowed aggregation in append mode writes each window once, when the watermark
    /// closes it: across the restart the json sink's files (one per batch) are those of the
    /// uninterrupted run, byte for byte, so the watermark, the event times and the open
    /// windows all came back.
    @Test(arguments: ["append", "update"])
    func windowedAggregationWithWatermarkResumes(mode: String) throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<900), to: "tx.jsonl")
        func notebook(_ out: String) -> CheckpointNotebook {
            CheckpointNotebook(file: file, maxBytes: 9_000, view: Self.perMinute,
                               start: "START v OUTPUT MODE \(mode) USING json OPTIONS ('path' = '\(scratch.path(out))')")
        }
        let (_, whole, _) = try notebook("whole").open()
        let wholeRuns = try drain(whole)
        whole.stop()
        #expect(wholeRuns.count >= 9)
        #expect(wholeRuns.contains { $0.numLateRows > 0 }, "the watermark drops some late rows")

        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook("split").open(location: location)
        try run(first, batches: 4)
        first.stop()
        let (_, second, resumed) = try notebook("split").open(location: location)
        #expect(resumed?.nextBatch == 4 && resumed?.rerun == [])
        let after = try drain(second)
        second.stop()
        #expect(after.map(Self.figures) == wholeRuns.dropFirst(4).map(Self.figures))
        #expect(scratch.files(in: scratch.path("split")) == scratch.files(in: scratch.path("whole")))
        let text = try scratch.sinkText(scratch.path("whole"))
        #expect(!text.isEmpty)
        #expect(try scratch.sinkText(scratch.path("split")) == text)
    }

    /// A query without state still resumes at its offsets, through a chain of incremental
    /// state files (a full one every ten batches): restarted after batch 12, it reads each
    /// row once.
    @Test func queryWithoutStateResumesAtItsOffsets() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<1_500), to: "tx.jsonl")
        func notebook(_ out: String) -> CheckpointNotebook {
            CheckpointNotebook(file: file, maxBytes: 8_000,
                               view: "CREATE VIEW v AS SELECT card_brand, amount, event_time FROM tx WHERE amount > 5;",
                               start: "START v USING json OPTIONS ('path' = '\(scratch.path(out))')")
        }
        let (_, whole, _) = try notebook("whole").open()
        let wholeRuns = try drain(whole)
        whole.stop()
        #expect(wholeRuns.count == 14)

        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook("split").open(location: location)
        try run(first, batches: 13)
        first.stop()
        let stateFiles = scratch.files(in: location + "/state")
        #expect(stateFiles.contains("10.full") && stateFiles.contains("12.delta"), "\(stateFiles)")

        let (_, second, resumed) = try notebook("split").open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 13, rerun: [], fallback: nil))
        let after = try drain(second)
        second.stop()
        #expect(after.map(Self.figures) == wholeRuns.dropFirst(13).map(Self.figures))
        let text = try scratch.sinkText(scratch.path("whole"))
        #expect(text.split(separator: "\n").count == (0..<1_500).filter { Transactions.amount($0) > 5 }.count)
        #expect(try scratch.sinkText(scratch.path("split")) == text)
    }

    // MARK: A batch logged but not committed

    /// Three batches, each over what was appended before it; then batch 2's commit and state
    /// are deleted, as a crash between its offsets log entry and its commit leaves them.
    /// More rows are appended while the query is down: batch 2 runs again over exactly the
    /// bytes it logged, and the new rows make batch 3.
    @Test func anUncommittedBatchRunsAgainWithItsLoggedOffsets() throws {
        let scratch = try CheckpointScratch()
        let parts = [0..<200, 200..<400, 400..<550, 550..<700]
        let file = try scratch.write(Transactions.lines(parts[0]), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let location = scratch.path("chk/v")

        let (_, first, _) = try notebook.open(location: location)
        #expect(try first.runBatch()?.numInputRows == 200)
        try scratch.append(Transactions.lines(parts[1]), to: file)
        #expect(try first.runBatch()?.numInputRows == 200)
        try scratch.append(Transactions.lines(parts[2]), to: file)
        let third = try #require(try first.runBatch())
        first.stop()
        #expect(third.batchId == 2 && third.numInputRows == 150)
        #expect(scratch.files(in: location + "/commits") == ["1", "2"])
        #expect(scratch.files(in: location + "/state") == ["1.full", "2.full"])

        try FileManager.default.removeItem(atPath: location + "/commits/2")
        try FileManager.default.removeItem(atPath: stateFile(location, 2))
        let logged = try OffsetsEntry(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: location + "/offsets/2"))))
        #expect(logged.batchId == 2 && logged.end == third.endOffsets && logged.start == third.startOffsets)
        try scratch.append(Transactions.lines(parts[3]), to: file)

        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 2, rerun: [2], fallback: nil))
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<400)), "the state after batch 1")
        let again = try #require(try second.runBatch())
        #expect(again.batchId == 2)
        #expect(again.numInputRows == 150, "only what batch 2 logged, not the rows appended since")
        #expect(again.endOffsets == logged.end && again.startOffsets == logged.start)
        let next = try #require(try second.runBatch())
        #expect(next.batchId == 3 && next.numInputRows == 150 && next.startOffsets == logged.end)
        #expect(try second.runBatch() == nil)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<700)))
        #expect(scratch.files(in: location + "/commits") == ["2", "3"])
    }

    /// The same with the offsets log entry written here, ending mid-way through what the file
    /// holds: the batch ends there, the rest is the next batch. Through START's option, the
    /// session says which batch runs again.
    @Test func aLoggedEntryEndingMidFileBoundsTheBatch() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<300), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand,
                                          start: "START v OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = '\(location)')")
        let (_, first, _) = try notebook.open()
        let batch0 = try #require(try first.runBatch())
        let watermark = first.watermark
        first.stop()
        #expect(batch0.endOffsets == SourceOffsets([file: Int64(Transactions.lines(0..<300).utf8.count)]))

        try scratch.append(Transactions.lines(300..<500), to: file)
        let start = Int64(Transactions.lines(0..<300).utf8.count)
        let end = Int64(Transactions.lines(0..<420).utf8.count)
        let entry = OffsetsEntry(batchId: 1, start: SourceOffsets([file: start]), end: SourceOffsets([file: end]),
                                 watermark: watermark, timestamp: 1)
        try Data(entry.bytes).write(to: URL(fileURLWithPath: location + "/offsets/1"))

        let (session, second, transcript) = try notebook.open()
        #expect(transcript.value.contains("resumed v at batch 1 from \(location); batch 1 runs again with the offsets it logged"),
                "\(transcript.value)")
        #expect(second.checkpoint?.replay.map(\.batchId) == [1])
        let replayed = try #require(try second.runBatch())
        #expect(replayed.batchId == 1 && replayed.numInputRows == 120)
        #expect(replayed.endOffsets == SourceOffsets([file: end]))
        let rest = try #require(try second.runBatch())
        #expect(rest.batchId == 2 && rest.numInputRows == 80)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<500)))
    }

    /// The rate limit may change between runs (Spark allows it), but a batch that runs again
    /// reads what it logged, not what the new limit would give; the batches after it keep
    /// to the new limit.
    @Test func aReplayedBatchIgnoresAChangedRateLimit() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<500), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        func notebook(_ maxBytes: Int) -> CheckpointNotebook {
            CheckpointNotebook(file: file, maxBytes: maxBytes, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        }
        let (_, first, _) = try notebook(12_000).open(location: location)
        let ran = try run(first, batches: 2)
        first.stop()
        try FileManager.default.removeItem(atPath: location + "/commits/1")

        let (session, second, resumed) = try notebook(2_000).open(location: location)
        #expect(resumed?.rerun == [1])
        let again = try #require(try second.runBatch())
        #expect(again.numInputRows == ran[1].numInputRows && again.endOffsets == ran[1].endOffsets)
        let next = try #require(try second.runBatch())
        let lineBytes = Transactions.lines(0..<500).utf8.count / 500
        #expect(next.numInputRows > 0 && next.numInputRows <= 2_000 / (lineBytes - 3))
        try drain(second)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<500)))
    }

    /// Two file streams in a UNION ALL: the batch that runs again read rows of the first
    /// stream only. After it, rows appended to the second stream must still be read.
    @Test func aReplayedBatchThatReadNothingOfOneStreamLeavesThatStreamReading() throws {
        let scratch = try CheckpointScratch()
        let a = try scratch.write(Transactions.lines(0..<100), to: "a.jsonl")
        let b = try scratch.write(Transactions.lines(1_000..<1_050), to: "b.jsonl")
        let location = scratch.path("chk/v")
        let script = """
            CREATE SOURCE fa USING file OPTIONS ('path' = '\(a)');
            CREATE SOURCE fb USING file OPTIONS ('path' = '\(b)');
            CREATE STREAM ta FROM fa FORMAT json SCHEMA \(Transactions.schema);
            CREATE STREAM tb FROM fb FORMAT json SCHEMA \(Transactions.schema);
            CREATE VIEW v AS SELECT card_brand, count(*) AS n, sum(amount) AS total
              FROM (SELECT card_brand, amount FROM ta UNION ALL SELECT card_brand, amount FROM tb) u GROUP BY card_brand;
            """
        func open() throws -> (CellSession, StreamingQuery, StreamingQuery.Resumption?) {
            let session = CellSession(environment: [:], output: { _ in })
            try session.run(script: script)
            let query = try session.prepare(start: "START v OUTPUT MODE complete")
            return (session, query, try query.attachCheckpoint(at: location))
        }
        let (_, first, _) = try open()
        #expect(try first.runBatch()?.numInputRows == 150)
        try scratch.append(Transactions.lines(100..<160), to: a)
        #expect(try first.runBatch()?.numInputRows == 60, "batch 1 reads the first stream only")
        first.stop()
        try FileManager.default.removeItem(atPath: location + "/commits/1")
        try FileManager.default.removeItem(atPath: stateFile(location, 1))

        let (session, second, resumed) = try open()
        #expect(resumed?.rerun == [1])
        #expect(try second.runBatch()?.numInputRows == 60)
        try scratch.append(Transactions.lines(1_050..<1_080), to: b)
        try scratch.append(Transactions.lines(160..<170), to: a)
        let next = try second.runBatch()
        second.stop()
        #expect(next?.numInputRows == 40, "the second stream's new rows are read after the replay")
        let rows = Array(0..<170) + Array(1_000..<1_080)
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(rows))
    }

    /// In append mode a batch that moved the watermark is followed by one without new rows,
    /// which closes the windows: the batch that runs again may be such a batch, whose logged
    /// end is where it started. After it, rows appended to the file must still be read.
    @Test func aReplayedBatchWithoutNewRowsLeavesTheSourceReading() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<200), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, view: Self.perMinute, start: "START v OUTPUT MODE append")
        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook.open(location: location)
        #expect(try first.runBatch()?.numInputRows == 200)
        #expect(first.hasPendingWork)
        let closing = try #require(try first.runBatch())
        #expect(closing.batchId == 1 && closing.numInputRows == 0 && closing.numOutputRows > 0)
        first.stop()
        let logged = try OffsetsEntry(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: location + "/offsets/1"))))
        #expect(logged.start == logged.end)
        try FileManager.default.removeItem(atPath: location + "/commits/1")
        try FileManager.default.removeItem(atPath: stateFile(location, 1))

        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 1, rerun: [1], fallback: nil))
        let again = try #require(try second.runBatch())
        #expect(again.batchId == 1 && again.numInputRows == 0 && again.numOutputRows == closing.numOutputRows)
        try scratch.append(Transactions.lines(200..<260), to: file)
        let next = try second.runBatch()
        second.stop()
        #expect(next?.batchId == 2 && next?.numInputRows == 60, "rows appended after the replay are read")
        _ = session
    }

    /// A damaged commit record counts as none: its batch runs again from the state before it.
    @Test func aDamagedCommitRecordMakesItsBatchRunAgain() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<400), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, maxBytes: 6_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let location = scratch.path("chk/v")
        let (wholeSession, wholeQuery, _) = try notebook.open()
        let whole = try drain(wholeQuery)
        wholeQuery.stop()
        let (_, first, _) = try notebook.open(location: location)
        let ran = try run(first, batches: 3)
        first.stop()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: location + "/commits/2")))
        bytes[12] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: location + "/commits/2"))

        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 2, rerun: [2], fallback: nil))
        let again = try #require(try second.runBatch())
        #expect(Self.figures(again) == Self.figures(ran[2]))
        try drain(second)
        second.stop()
        #expect(session.table("v")?.sortedRows == wholeSession.table("v")?.sortedRows)
        #expect(whole.count > 3)
    }

    /// The offsets log entry of the batch a crash cut short is damaged: nothing of that batch
    /// counted, so it starts afresh over whatever the file holds now.
    @Test func aDamagedEntryOfTheUncommittedBatchStartsItAfresh() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<100), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 1)
        try scratch.append(Transactions.lines(100..<150), to: file)
        try run(first, batches: 1)
        first.stop()
        try FileManager.default.removeItem(atPath: location + "/commits/1")
        try FileManager.default.removeItem(atPath: stateFile(location, 1))
        try Data(Array(try Data(contentsOf: URL(fileURLWithPath: location + "/offsets/1"))).prefix(20)).write(to: URL(fileURLWithPath: location + "/offsets/1"))
        try scratch.append(Transactions.lines(150..<170), to: file)

        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 1, rerun: [], fallback: nil))
        let fresh = try #require(try second.runBatch())
        #expect(fresh.batchId == 1 && fresh.numInputRows == 70)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<170)))
        #expect(try OffsetsEntry(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: location + "/offsets/1")))).end == fresh.endOffsets,
                "the damaged entry was written again")
    }

    /// A location written over one file, restarted over another: Spark calls a change of
    /// subscribed files or topics not allowed; it should be refused, naming the old file.
    @Test func anotherSourceFileIsRefusedWithAnError() throws {
        let scratch = try CheckpointScratch()
        let a = try scratch.write(Transactions.lines(0..<100), to: "a.jsonl")
        let b = try scratch.write(Transactions.lines(0..<10), to: "b.jsonl")
        let location = scratch.path("chk/v")
        let (_, first, _) = try CheckpointNotebook(file: a, view: Self.perBrand, start: "START v OUTPUT MODE complete").open(location: location)
        try run(first, batches: 1)
        first.stop()
        #expect {
            let (_, query, _) = try CheckpointNotebook(file: b, view: Self.perBrand, start: "START v OUTPUT MODE complete").open(location: location)
            query.stop()
        } throws: { error in
            "\(error)".contains(a)
        }
    }

    /// A crash in the very first batch: nothing committed, batch 0 logged. It runs again with
    /// its logged end, from the start.
    @Test func theFirstBatchCutShortRunsAgain() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<80), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand,
                                          start: "START v OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = '\(location)')")
        let (_, first, _) = try notebook.open()
        let batch0 = try #require(try first.runBatch())
        first.stop()
        try FileManager.default.removeItem(atPath: location + "/commits/0")
        try FileManager.default.removeItem(atPath: stateFile(location, 0))
        try scratch.append(Transactions.lines(80..<100), to: file)

        let (session, second, transcript) = try notebook.open()
        #expect(transcript.value.contains("resumed v at batch 0 from \(location); batch 0 runs again with the offsets it logged\n"),
                "\(transcript.value)")
        #expect(session.table("v")?.count == 0)
        let again = try #require(try second.runBatch())
        #expect(again.batchId == 0 && again.numInputRows == 80 && again.endOffsets == batch0.endOffsets)
        #expect(try second.runBatch()?.numInputRows == 20)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<100)))
    }

    /// The console cannot take back what it printed: a batch that runs again into it is said to.
    @Test func aBatchRunAgainIntoTheConsoleIsSaidToBeShownAgain() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<80), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand,
                                          start: "START v OUTPUT MODE complete USING console OPTIONS ('checkpointLocation' = '\(location)')")
        let (_, first, _) = try notebook.open()
        _ = try #require(try first.runBatch())
        first.stop()
        let (_, resumed, clean) = try notebook.open()
        resumed.stop()
        #expect(clean.value.contains("resumed v at batch 1 from \(location)\n"), "nothing runs again, nothing to say: \(clean.value)")

        try FileManager.default.removeItem(atPath: location + "/commits/0")
        try FileManager.default.removeItem(atPath: stateFile(location, 0))
        let (_, second, transcript) = try notebook.open()
        second.stop()
        #expect(transcript.value.contains("resumed v at batch 0 from \(location); batch 0 runs again with the offsets it logged; "
                                          + "the console sink is at-least-once and may show that batch's rows again\n"), "\(transcript.value)")
    }

    /// Falling back over damaged state needs the offsets of the batches after it; without
    /// them the error says which batches cannot be run again, and what to do.
    @Test(arguments: [false, true])
    func lostOffsetsOfACommittedBatchAreAnError(damagedNotDeleted: Bool) throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<400), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, maxBytes: 6_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 3)
        first.stop()
        try Data("x".utf8).write(to: URL(fileURLWithPath: stateFile(location, 2)))
        if damagedNotDeleted {
            try Data("y".utf8).write(to: URL(fileURLWithPath: location + "/offsets/2"))
        } else {
            try FileManager.default.removeItem(atPath: location + "/offsets/2")
        }
        expectCheckpointError({ _ = try notebook.open(location: location) }) { error in
            let what = damagedNotDeleted
                ? "the offsets log entry \(location)/offsets/2 of committed batch 2 cannot be read, and the state after it is lost"
                : "the offsets log of \(location) ends at batch 1, before its last commit (2); batches 2...2 cannot be run again"
            return error.message == what && error.hint == "delete \(location) to start over, or give the query a new checkpointLocation"
        }
    }

    /// Update mode over windows that the watermark evicts: the result table of one run keeps
    /// every window it was told of; a restarted query's table is rebuilt from the state,
    /// which no longer holds the evicted windows.
    @Test func updateModeResultTableAfterARestart() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<600), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, maxBytes: 9_000, view: Self.perMinute, start: "START v OUTPUT MODE update")
        let (wholeSession, whole, _) = try notebook.open()
        try drain(whole)
        whole.stop()
        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 4)
        first.stop()
        let (session, second, _) = try notebook.open(location: location)
        try drain(second)
        second.stop()
        let wholeRows = try #require(wholeSession.table("v")?.sortedRows)
        let resumedRows = try #require(session.table("v")?.sortedRows)
        // As documented (README, "Checkpoints and recovery"): an update-mode table is rebuilt
        // from the groups still in state, as Spark's memory sink recovers nothing in update
        // mode; windows the watermark evicted before the restart are not in it.
        #expect(!resumedRows.isEmpty && resumedRows.count < wholeRows.count, "windows in the table")
        #expect(Set(resumedRows).isSubset(of: Set(wholeRows)), "what is there is right")
    }

    // MARK: Damaged state

    enum Damage: String, CaseIterable, Sendable {
        case flippedByte, truncated, empty, deleted
    }

    /// The newest state file damaged: recovery restores the state before it and runs the
    /// last batch again with its logged offsets; the session's line names the damaged file.
    @Test(arguments: Damage.allCases)
    func aDamagedLastStateFallsBackToThePreviousOne(damage: Damage) throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<900), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        func notebook(_ out: String, option: Bool) -> CheckpointNotebook {
            let checkpoint = option ? ", 'checkpointLocation' = '\(location)'" : ""
            return CheckpointNotebook(file: file, maxBytes: 9_000, view: Self.perMinute,
                                      start: "START v OUTPUT MODE append USING json OPTIONS ('path' = '\(scratch.path(out))'\(checkpoint))")
        }
        let (_, whole, _) = try notebook("whole", option: false).open()
        let wholeRuns = try drain(whole)
        whole.stop()

        let (_, first, _) = try notebook("split", option: true).open()
        try run(first, batches: 5)
        first.stop()
        let damaged = stateFile(location, 4)
        switch damage {
        case .flippedByte:
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: damaged)))
            bytes[bytes.count / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: damaged))
        case .truncated:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: damaged))
            try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: damaged))
        case .empty:
            try Data().write(to: URL(fileURLWithPath: damaged))
        case .deleted:
            try FileManager.default.removeItem(atPath: damaged)
        }

        let (_, second, transcript) = try notebook("split", option: true).open()
        let line = transcript.value
        #expect(line.contains("resumed v at batch 4 from \(location); batch 4 runs again with the offsets it logged ("), "\(line)")
        #expect(line.contains(damaged), "the line names the damaged file: \(line)")
        #expect(second.checkpoint?.replay.map(\.batchId) == [4])
        let after = try drain(second)
        second.stop()
        #expect(after.map(Self.figures) == wholeRuns.dropFirst(4).map(Self.figures))
        #expect(try scratch.sinkText(scratch.path("split")) == scratch.sinkText(scratch.path("whole")))

        // Restarted once more, nothing is left to run again or to fall back over.
        let (_, third, again) = try notebook("split", option: true).open()
        #expect(again.value.contains("resumed v at batch \(wholeRuns.count) from \(location)\n"), "\(again.value)")
        #expect(try third.runBatch() == nil)
        third.stop()
    }

    /// With the resumption in hand: the fallback says what it fell back over.
    @Test func theResumptionSaysWhatRecoveryFellBackOver() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<400), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, maxBytes: 10_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 3)
        first.stop()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: stateFile(location, 2))))
        bytes[bytes.count - 3] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: stateFile(location, 2)))

        let (session, second, resumed) = try notebook.open(location: location)
        let resumption = try #require(resumed)
        #expect(resumption.nextBatch == 2 && resumption.rerun == [2])
        let fallback = try #require(resumption.fallback)
        #expect(fallback.contains(stateFile(location, 2)) && fallback.contains("checksum"), "\(fallback)")
        try drain(second)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<400)))
    }

    /// No state up to the last commit can be read: an error naming the files and saying to
    /// delete the location; the location is left as it was.
    @Test func noReadableStateIsAnErrorSayingToDeleteTheLocation() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<400), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, maxBytes: 10_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let location = scratch.path("chk/v")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 3)
        first.stop()
        for batch in [1, 2] {
            try Data("damaged".utf8).write(to: URL(fileURLWithPath: stateFile(location, batch)))
        }
        expectCheckpointError({ _ = try notebook.open(location: location) }) { error in
            error.message.contains("no state of \(location) up to its last committed batch 2 can be read")
                && error.message.contains("\(location)/state/2.full") && error.message.contains("\(location)/state/1.full")
                && error.hint?.contains("delete \(location) to start over") == true
        }
        // Through the session, the same words, and the location is free for the next try.
        let option = CheckpointNotebook(file: file, maxBytes: 10_000, view: Self.perBrand,
                                        start: "START v OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = '\(location)')")
        #expect {
            _ = try option.open()
        } throws: { error in
            "\(error)".contains("no state of \(location)") && "\(error)".contains("delete \(location) to start over")
        }
        #expect(scratch.files(in: location + "/commits") == ["1", "2"])
        try FileManager.default.removeItem(atPath: location)
        let (_, again, resumed) = try notebook.open(location: location)
        #expect(resumed == nil, "deleted, the location starts over")
        #expect(try again.runBatch()?.batchId == 0)
        again.stop()
    }
}
