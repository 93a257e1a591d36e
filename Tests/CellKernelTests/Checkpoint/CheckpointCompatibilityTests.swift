@testable import CellKernel
import Foundation
import Testing

/// What may change between a query and the query restarted from its location (Spark's
/// rules): the meaning of the state may not, and the refusal says whose state it is and what
/// to do; a sink, its path, a filter over a non-key column or the trigger may. And one
/// running query per location.
@Suite struct CheckpointCompatibilityTests {
    static let perBrand = "CREATE VIEW v AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_brand;"

    /// Two batches of `perBrand` committed at a fresh location in `scratch`.
    func committedLocation(_ scratch: CheckpointScratch) throws -> (file: String, location: String, signature: String) {
        let file = try scratch.write(Transactions.lines(0..<300), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let (_, first, _) = try CheckpointNotebook(file: file, maxBytes: 8_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
            .open(location: location)
        try run(first, batches: 2)
        #expect(first.source.offsets.next[file].map { $0 < Int64(Transactions.lines(0..<300).utf8.count) } == true, "rows left to read")
        let signature = try #require(first.statefulOperators.first?.stateSignature)
        first.stop()
        return (file, location, signature)
    }

    @Test(arguments: [
        // Other keys.
        "CREATE VIEW v AS SELECT amount, count(*) AS n, sum(amount) AS total FROM tx GROUP BY amount;",
        // Other aggregates over the same keys.
        "CREATE VIEW v AS SELECT card_brand, count(*) AS n, max(amount) AS total FROM tx GROUP BY card_brand;",
        // A window added to the keys.
        "CREATE VIEW v AS SELECT card_brand, window(event_time, '1 minute').start AS m, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_brand, window(event_time, '1 minute');",
    ])
    func aChangedAggregationIsRefused(view: String) throws {
        let scratch = try CheckpointScratch()
        let (file, location, old) = try committedLocation(scratch)
        let changed = CheckpointNotebook(file: file, view: view, start: "START v OUTPUT MODE complete")
        let (_, query, _) = try changed.open()
        let new = try #require(query.statefulOperators.first?.stateSignature)
        #expect(new != old)
        expectCheckpointError({ try query.attachCheckpoint(at: location) }) { error in
            error.message == "the checkpoint \(location) holds the state of \(old); v now keeps \(new), which cannot resume from it"
                && error.hint == "delete \(location) to start over (its sinks then see every batch from the start again), or give the query a new checkpointLocation"
        }
        query.stop()

        // Through START's option, the session's error says the same, and the refusal changed
        // nothing: the old query resumes there.
        let option = CheckpointNotebook(file: file, view: view,
                                        start: "START v OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = '\(location)')")
        #expect {
            _ = try option.open()
        } throws: { error in
            "\(error)".contains("holds the state of \(old)") && "\(error)".contains("delete \(location) to start over")
        }
        let (session, again, resumed) = try CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
            .open(location: location)
        #expect(resumed?.nextBatch == 2)
        try drain(again)
        again.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<300)))
    }

    @Test func aStatelessLocationRefusesAnAggregationAndTheOtherWayRound() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<50), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let stateless = CheckpointNotebook(file: file, view: "CREATE VIEW v AS SELECT card_brand FROM tx;", start: "START v")
        let (_, first, _) = try stateless.open(location: location)
        try run(first, batches: 1)
        first.stop()
        let aggregate = CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        expectCheckpointError({ _ = try aggregate.open(location: location) }) { error in
            error.message.contains("holds the state of no state; v now keeps GROUP BY [card_brand STRING] AGGREGATES [") && error.message.contains(location)
        }
        let other = scratch.path("chk/w")
        let (_, counting, _) = try aggregate.open(location: other)
        try run(counting, batches: 1)
        counting.stop()
        expectCheckpointError({ _ = try stateless.open(location: other) }) { error in
            error.message.hasSuffix("v now keeps no state, which cannot resume from it")
        }
    }

    @Test func anotherNumberOfStreamsIsRefused() throws {
        let scratch = try CheckpointScratch()
        let a = try scratch.write(Transactions.lines(0..<50), to: "a.jsonl")
        let location = scratch.path("chk/v")
        let (_, first, _) = try CheckpointNotebook(file: a, view: "CREATE VIEW v AS SELECT card_brand FROM tx;", start: "START v")
            .open(location: location)
        try run(first, batches: 1)
        first.stop()
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(a)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA \(Transactions.schema);
            CREATE VIEW v AS SELECT card_brand FROM tx UNION ALL SELECT card_brand FROM tx;
            """)
        let query = try session.prepare(start: "START v")
        defer { query.stop() }
        expectCheckpointError({ try query.attachCheckpoint(at: location) }) { error in
            error.message.contains("was written by a query over file \(a); v now reads file \(a) and file ") && error.hint?.contains("delete \(location)") == true
        }
    }

    // MARK: Allowed changes

    @Test func anotherSinkPathResumes() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<300), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        func notebook(_ out: String) -> CheckpointNotebook {
            CheckpointNotebook(file: file, maxBytes: 8_000, view: "CREATE VIEW v AS SELECT card_brand, amount FROM tx;",
                               start: "START v USING json OPTIONS ('path' = '\(scratch.path(out))', 'checkpointLocation' = '\(location)')")
        }
        let (_, first, _) = try notebook("one").open()
        try run(first, batches: 2)
        first.stop()
        let (_, second, transcript) = try notebook("two").open()
        #expect(transcript.value.contains("resumed v at batch 2 from \(location)\n"), "\(transcript.value)")
        let rest = try drain(second)
        second.stop()
        #expect(rest.first?.batchId == 2)
        #expect(scratch.files(in: scratch.path("one")) == ["part-00000.json", "part-00001.json"])
        #expect(scratch.files(in: scratch.path("two")).first == "part-00002.json")
        let lines = try (scratch.sinkText(scratch.path("one")) + scratch.sinkText(scratch.path("two"))).split(separator: "\n")
        #expect(lines.count == 300, "every row once across the two folders")
    }

    @Test func anAddedFilterOverANonKeyColumnResumes() throws {
        let scratch = try CheckpointScratch()
        let (file, location, _) = try committedLocation(scratch)
        let filtered = CheckpointNotebook(
            file: file, maxBytes: 8_000,
            view: "CREATE VIEW v AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM tx WHERE amount < 5 GROUP BY card_brand;",
            start: "START v OUTPUT MODE complete")
        try scratch.append(Transactions.lines(300..<400), to: file)
        let (session, query, resumed) = try filtered.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 2, rerun: [], fallback: nil))
        let seen = try #require(session.table("v")?.sortedRows.reduce(0) { $0 + Int($1[1])! })
        let rest = try drain(query)
        query.stop()
        #expect(rest.first?.batchId == 2 && rest.reduce(0) { $0 + $1.numInputRows } == 400 - seen)
        // The first `seen` rows counted whole, the rest only below 5.
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<400)) { $0 < seen || Transactions.amount($0) < 5 })
    }

    @Test func anotherTriggerResumes() throws {
        let scratch = try CheckpointScratch()
        let (file, location, _) = try committedLocation(scratch)
        try scratch.append(Transactions.lines(300..<400), to: file)
        let transcript = Transcript()
        let session = CellSession(environment: [:], output: transcript.output)
        try session.run(script: CheckpointNotebook(file: file, maxBytes: 8_000, view: Self.perBrand, start: "").script + """
            START v OUTPUT MODE complete TRIGGER AVAILABLE NOW USING memory OPTIONS ('checkpointLocation' = '\(location)');
            """)
        #expect(transcript.value.contains("resumed v at batch 2 from \(location)\n"), "\(transcript.value)")
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<400)))
        let commits = scratch.files(in: location + "/commits").compactMap(Int.init)
        #expect(commits.max().map { $0 >= 3 } == true, "\(commits)")
    }

    // MARK: One query per location

    @Test func aSecondQueryOnALocationInUseIsRefusedUntilTheFirstStops() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<100), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, maxBytes: 4_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let (_, holder, _) = try notebook.open(location: location)
        try run(holder, batches: 1)
        expectCheckpointError({ _ = try notebook.open(location: location) }) { error in
            error.message == "the checkpoint location \(location) is in use by another running query"
                && error.hint == "stop that query first, or give this one its own checkpointLocation"
        }
        // The refused query did not take the location from the one running there.
        try run(holder, batches: 1)
        holder.stop()
        let (_, next, resumed) = try notebook.open(location: location)
        #expect(resumed?.nextBatch == 2)
        next.stop()
    }

    @Test func aBackgroundQueryHoldsItsLocationUntilStop() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<100), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let log = EventLog()
        let session = CellSession(environment: [:], events: log.sink)
        let script = CheckpointNotebook(file: file, view: Self.perBrand, start: "").script
        try session.run(script: script + """
            START v OUTPUT MODE complete TRIGGER '50 milliseconds' USING memory OPTIONS ('checkpointLocation' = '\(location)') IN BACKGROUND;
            """)
        let other = CellSession(environment: [:], output: { _ in })
        try other.run(script: script)
        #expect {
            try other.run(script: "START v OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = '\(location)');")
        } throws: { error in
            "\(error)".contains("the checkpoint location \(location) is in use by another running query")
        }
        try session.run(script: "STOP v;")
        try other.run(script: "START v OUTPUT MODE complete TRIGGER ONCE USING memory OPTIONS ('checkpointLocation' = '\(location)');")
        #expect(other.table("v")?.sortedRows == Transactions.perBrand(Array(0..<100)))
    }
}
