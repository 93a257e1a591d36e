@testable import CellKernel
import Foundation
import Testing

/// The location's files: what a long run keeps, what a crash leaves behind, a damaged
/// metadata file, and where the location comes from (START's option, the session's root).
@Suite struct CheckpointLocationTests {
    static let perBrand = CheckpointResumeTests.perBrand

    /// Only what recovery can need stays: with every state file full, the last two batches'
    /// offsets, commits and state (the newest and what a damaged newest falls back to).
    @Test func aLongRunKeepsOnlyWhatRecoveryNeeds() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<1_000), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let (session, query, _) = try CheckpointNotebook(file: file, maxBytes: 3_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
            .open(location: location)
        let runs = try drain(query)
        query.stop()
        #expect(runs.count == 25)
        #expect(scratch.files(in: location + "/offsets") == ["23", "24"])
        #expect(scratch.files(in: location + "/commits") == ["23", "24"])
        #expect(scratch.files(in: location + "/state") == ["23.full", "24.full"])
        #expect(scratch.files(in: location).filter { !$0.hasPrefix(".") } == ["commits", "metadata", "offsets", "sinks", "state"])
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<1_000)))
    }

    /// Without state the files are deltas between full ones, every ten batches: the chain
    /// from the full one before the newest stays.
    @Test func aLongStatelessRunKeepsItsChainOfDeltas() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<1_000), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let (_, query, _) = try CheckpointNotebook(file: file, maxBytes: 3_000, view: "CREATE VIEW v AS SELECT card_brand FROM tx;", start: "START v USING memory")
            .open(location: location)
        #expect(try drain(query).count == 25)
        query.stop()
        let state = scratch.files(in: location + "/state")
        #expect(state.first == "10.full" && state.contains("20.full") && state.last == "24.delta" && state.count == 15, "\(state)")
        #expect(scratch.files(in: location + "/offsets").compactMap(Int.init).sorted() == Array(10...24))

        let (session, again, resumed) = try CheckpointNotebook(file: file, maxBytes: 3_000, view: "CREATE VIEW v AS SELECT card_brand FROM tx;", start: "START v USING memory")
            .open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 25, rerun: [], fallback: nil))
        try scratch.append(Transactions.lines(1_000..<1_010), to: file)
        #expect(try again.runBatch()?.numInputRows == 10)
        again.stop()
        #expect(session.table("v")?.count == 10)
    }

    /// What a crash leaves mid-write (a `.tmp` beside a file, or instead of it) is ignored.
    @Test func temporaryFilesLeftByACrashAreIgnored() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<300), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, maxBytes: 8_000, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 2)
        first.stop()
        for name in ["offsets/2.tmp", "commits/2.tmp", "state/2.full.tmp", "state/1.full.tmp", "metadata.tmp"] {
            try Data("half a write".utf8).write(to: URL(fileURLWithPath: "\(location)/\(name)"))
        }
        let (session, second, resumed) = try notebook.open(location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 2, rerun: [], fallback: nil))
        try drain(second)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<300)))
    }

    @Test func damagedMetadataIsAnErrorSayingWhatToDo() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<30), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 1)
        first.stop()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: location + "/metadata")))
        bytes[20] ^= 0x04
        try Data(bytes).write(to: URL(fileURLWithPath: location + "/metadata"))
        expectCheckpointError({ _ = try notebook.open(location: location) }) { error in
            error.message.hasPrefix("the checkpoint metadata \(location)/metadata cannot be read: snapshot corrupt: checksum mismatch")
                && error.hint == "delete \(location) to start over, or give the query a new checkpointLocation"
        }
    }

    /// Attached and stopped without a batch, again and again: nothing changes.
    @Test func restartsWithoutBatchesChangeNothing() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<50), to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        let (_, first, _) = try notebook.open(location: location)
        try run(first, batches: 1)
        first.stop()
        let metadata = try Data(contentsOf: URL(fileURLWithPath: location + "/metadata"))
        for _ in 0..<3 {
            let (session, query, resumed) = try notebook.open(location: location)
            #expect(resumed == StreamingQuery.Resumption(nextBatch: 1, rerun: [], fallback: nil))
            #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<50)))
            query.stop()
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: location + "/metadata")) == metadata, "the query keeps its id")
        #expect(scratch.files(in: location + "/commits") == ["0"])
    }

    @Test func anUnusableLocationIsAnError() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<5), to: "tx.jsonl")
        let notebook = CheckpointNotebook(file: file, view: Self.perBrand, start: "START v OUTPUT MODE complete")
        // A folder cannot be made inside a file.
        expectCheckpointError({ _ = try notebook.open(location: file + "/chk") }) { error in
            error.message.hasPrefix("cannot create the checkpoint location \(file)/chk") && error.hint == "choose a writable folder for checkpointLocation"
        }
        // An empty option is refused where it is written.
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: notebook.script)
        #expect {
            _ = try session.prepare(start: "START v OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = ' ')")
        } throws: { error in
            "\(error)".contains("'checkpointLocation' is empty") && "\(error)".contains("such as 'chk/v'")
        }
    }

    /// The session's root (what `cells run --checkpoint-root` sets) gives every START without
    /// a location of its own `ROOT/<view>`; START's option wins over it.
    @Test func theSessionRootGivesEachViewItsFolder() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write(Transactions.lines(0..<60), to: "tx.jsonl")
        let root = scratch.path("root/")
        func session() throws -> (CellSession, Transcript) {
            let transcript = Transcript()
            let session = CellSession(environment: [:], output: transcript.output)
            session.checkpointRoot = root
            try session.run(script: CheckpointNotebook(file: file, view: Self.perBrand, start: "").script + """
                CREATE VIEW w AS SELECT card_brand FROM tx;
                """)
            return (session, transcript)
        }
        let (first, _) = try session()
        try first.run(script: """
            START v OUTPUT MODE complete TRIGGER ONCE USING memory;
            START w TRIGGER ONCE USING json OPTIONS ('path' = '\(scratch.path("w-out"))', 'checkpointLocation' = '\(scratch.path("own"))');
            """)
        #expect(scratch.files(in: scratch.path("root")) == ["v"])
        #expect(scratch.files(in: scratch.path("root/v/commits")) == ["0"])
        #expect(scratch.files(in: scratch.path("own/commits")) == ["0"])

        try scratch.append(Transactions.lines(60..<70), to: file)
        let (second, transcript) = try session()
        try second.run(script: "START v OUTPUT MODE complete TRIGGER ONCE USING memory;")
        #expect(transcript.value.contains("resumed v at batch 1 from \(scratch.path("root"))/v\n"), "\(transcript.value)")
        #expect(second.table("v")?.sortedRows == Transactions.perBrand(Array(0..<70)))
    }
}
