@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Restarts as a user sees them: a large state back in the result table before any batch,
/// a Kafka query picking up what arrived while it was down whatever its startingOffsets, and
/// SHOW QUERIES telling where a background query checkpoints.
@Suite struct CheckpointRestartTests {
    /// Key `u<j>` appears `j % 3 + 1` times, in rounds: round r holds the keys that appear
    /// more than r times.
    static func round(_ r: Int, keys: Range<Int>) -> String {
        keys.filter { $0 % 3 + 1 > r }.map { #"{"k":"u\#($0)","x":\#($0 % 7)}"# + "\n" }.joined()
    }

    @Test func aHundredThousandGroupsAreBackInTheResultTableBeforeAnyBatch() throws {
        let scratch = try CheckpointScratch()
        let groups = 100_000
        let file = try scratch.write(Self.round(0, keys: 0..<groups), to: "keys.jsonl")
        let location = scratch.path("chk/counts")
        let script = """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (k STRING, x INT);
            CREATE VIEW counts AS SELECT k, count(*) AS n, sum(x) AS xs FROM s GROUP BY k;
            """
        let start = "START counts OUTPUT MODE complete USING memory OPTIONS ('checkpointLocation' = '\(location)')"

        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: script)
        let first = try session.prepare(start: start)
        #expect(try first.runBatch()?.numInputRows == groups)
        try scratch.append(Self.round(1, keys: 0..<groups) + Self.round(2, keys: 0..<groups), to: file)
        let second = try #require(try first.runBatch())
        #expect(second.numInputRows == 99_999 && second.numStateRows == groups)
        first.stop()

        let log = EventLog()
        let restarted = CellSession(environment: [:], events: log.sink)
        try restarted.run(script: script)
        let query = try restarted.prepare(start: start)
        #expect(log.text.contains("resumed counts at batch 2 from \(location)\n"), "\(log.text)")
        #expect(query.aggregation?.groupCount == groups)

        // SELECT over the view's result table, before any new batch.
        try restarted.run(script: "SELECT count(*) AS groups, sum(n) AS rows, min(n) AS least, max(n) AS most, sum(xs) AS xs FROM counts;")
        let summary = try #require(log.tables.last)
        #expect(summary.names == ["groups", "rows", "least", "most", "xs"])
        var xs: Int64 = 0
        for j in 0..<groups { xs += Int64((j % 3 + 1) * (j % 7)) }
        let expectedSummary: [Value] = [.int(100_000), .int(199_999), .int(1), .int(3), .int(xs)]
        #expect(summary.columns.map { $0.value(at: 0) } == expectedSummary)
        let table = try #require(restarted.table("counts"))
        #expect(table.count == groups)
        var wrong = 0
        for row in 0..<table.count {
            guard case .string(let key) = table.columns[0].value(at: row), let j = Int(key.dropFirst()),
                  case .int(let n) = table.columns[1].value(at: row), n == Int64(j % 3 + 1) else { wrong += 1; continue }
        }
        #expect(wrong == 0)

        // New rows count on top of the restored groups.
        try scratch.append(Self.round(0, keys: groups..<groups + 10) + Self.round(0, keys: 0..<5), to: file)
        let next = try #require(try query.runBatch())
        query.stop()
        #expect(next.batchId == 2 && next.numInputRows == 15 && next.numStateRows == groups + 10)
        let after = try #require(restarted.table("counts"))
        #expect(after.count == groups + 10)
        let u4 = (0..<after.count).first { after.columns[0].value(at: $0) == .string("u4") }
        #expect(u4.map { after.columns[1].value(at: $0) } == .int(3), "u4 appeared twice, then once more")
    }

    /// `startingOffsets` applies to a fresh query only: restarted from its location, a
    /// 'latest' query resumes at its committed offsets, so what was sent while it was down
    /// is counted. A fresh query without the location, for contrast, skips it.
    @Test func aKafkaQueryResumesAtItsCommittedOffsetsNotLatest() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        let scratch = try CheckpointScratch()
        let location = scratch.path("chk/per_brand")
        let values = (0..<400).map { Array(Transactions.line($0).dropLast().utf8) as [UInt8]? }
        let keys = (0..<400).map { Array("card\($0 % 23)".utf8) as [UInt8]? }
        func open(checkpoint: Bool) throws -> (CellSession, StreamingQuery) {
            let session = CellSession(environment: [:], output: { _ in })
            try session.run(script: """
                CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)',
                  'subscribe' = 'tx', 'startingOffsets' = 'latest');
                CREATE STREAM tx FROM k FORMAT json SCHEMA \(Transactions.schema);
                CREATE VIEW per_brand AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM tx GROUP BY card_brand;
                """)
            let query = try session.prepare(start: "START per_brand OUTPUT MODE complete")
            if checkpoint { try query.attachCheckpoint(at: location) }
            return (session, query)
        }
        try send(Array(values[..<50]), keys: Array(keys[..<50]), to: "tx", on: cluster.bootstrapServers)
        let (_, first) = try open(checkpoint: true)
        #expect(try first.runBatch() == nil, "latest: what was there before the start is not read")
        try send(Array(values[50..<200]), keys: Array(keys[50..<200]), to: "tx", on: cluster.bootstrapServers)
        let batch = try #require(try first.runBatch())
        #expect(batch.numInputRows == 150)
        first.stop()

        // Down: these arrive meanwhile.
        try send(Array(values[200...]), keys: Array(keys[200...]), to: "tx", on: cluster.bootstrapServers)

        let (contrastSession, contrast) = try open(checkpoint: false)
        #expect(try contrast.runBatch() == nil)
        contrast.stop()
        #expect(contrastSession.table("per_brand")?.count == 0)

        let (session, resumed) = try open(checkpoint: true)
        #expect(session.table("per_brand")?.sortedRows == Transactions.perBrand(Array(50..<200)))
        let next = try #require(try resumed.runBatch())
        #expect(next.batchId == 1 && next.numInputRows == 200)
        #expect(next.startOffsets == batch.endOffsets)
        #expect(try resumed.runBatch() == nil)
        resumed.stop()
        #expect(session.table("per_brand")?.sortedRows == Transactions.perBrand(Array(50..<400)))
    }

    /// SHOW QUERIES names a background query's location and its last committed batch, which
    /// moves as batches commit; restarted, the query says where it resumed.
    @Test func showQueriesTellsWhereABackgroundQueryCheckpoints() throws {
        let scratch = try CheckpointScratch()
        let file = try scratch.write("", to: "tx.jsonl")
        let location = scratch.path("chk/v")
        let log = EventLog()
        let session = CellSession(environment: [:], events: log.sink)
        try session.run(script: CheckpointNotebook(file: file, view: CheckpointResumeTests.perBrand, start: "").script + """
            START v OUTPUT MODE complete TRIGGER '20 milliseconds' USING memory OPTIONS ('checkpointLocation' = '\(location)') IN BACKGROUND;
            """)
        func show() throws -> String {
            try session.run(script: "SHOW QUERIES;")
            return log.tables.last?.text ?? ""
        }
        func waitFor(_ text: String) throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline {
                if try show().contains(text) { return true }
                Thread.sleep(forTimeInterval: 0.02)
            }
            return false
        }
        #expect(try show().contains("; checkpoint \(location) (no batch committed yet)"), "\(log.tables.last?.text ?? "")")
        try scratch.append(Transactions.lines(0..<30), to: file)
        #expect(try waitFor("; checkpoint \(location) (last committed batch 0)"), "\(log.tables.last?.text ?? "")")
        try scratch.append(Transactions.lines(30..<60), to: file)
        #expect(try waitFor("; checkpoint \(location) (last committed batch 1)"), "\(log.tables.last?.text ?? "")")
        try session.run(script: "STOP v;")
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<60)))

        try session.run(script: """
            START v OUTPUT MODE complete TRIGGER '20 milliseconds' USING memory OPTIONS ('checkpointLocation' = '\(location)') IN BACKGROUND;
            """)
        #expect(log.text.contains("resumed v at batch 2 from \(location)\n"), "\(log.text)")
        #expect(try show().contains("; checkpoint \(location) (last committed batch 1)"))
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<60)), "rebuilt from the state")
        try scratch.append(Transactions.lines(60..<70), to: file)
        #expect(try waitFor("; checkpoint \(location) (last committed batch 2)"), "\(log.tables.last?.text ?? "")")
        try session.run(script: "STOP v;")
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<70)))
    }
}

/// Replays through Kafka: the batch that runs again reads up to the offsets it logged per
/// partition, though more records arrived since.
@Suite struct CheckpointKafkaReplayTests {
    static func values(_ range: Range<Int>) -> [[UInt8]?] { range.map { Array(Transactions.line($0).dropLast().utf8) } }
    static func keys(_ range: Range<Int>) -> [[UInt8]?] { range.map { Array("card\($0 % 23)".utf8) } }

    func open(_ cluster: EmbeddedCluster, view: String, mode: String, location: String) throws -> (CellSession, StreamingQuery, StreamingQuery.Resumption?) {
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)',
              'subscribe' = 'tx', 'startingOffsets' = 'earliest');
            CREATE STREAM tx FROM k FORMAT json SCHEMA \(Transactions.schema) WATERMARK event_time DELAY '1 minute';
            \(view)
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE \(mode)")
        return (session, query, try query.attachCheckpoint(at: location))
    }

    @Test func anUncommittedKafkaBatchReadsExactlyItsLoggedOffsets() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        let scratch = try CheckpointScratch()
        let location = scratch.path("chk/v")
        let view = CheckpointResumeTests.perBrand
        try send(Self.values(0..<100), keys: Self.keys(0..<100), to: "tx", on: cluster.bootstrapServers)
        let (_, first, _) = try open(cluster, view: view, mode: "complete", location: location)
        #expect(try first.runBatch()?.numInputRows == 100)
        try send(Self.values(100..<220), keys: Self.keys(100..<220), to: "tx", on: cluster.bootstrapServers)
        let logged = try #require(try first.runBatch())
        #expect(logged.numInputRows == 120)
        first.stop()
        try FileManager.default.removeItem(atPath: location + "/commits/1")
        try FileManager.default.removeItem(atPath: stateFile(location, 1))
        try send(Self.values(220..<300), keys: Self.keys(220..<300), to: "tx", on: cluster.bootstrapServers)

        let (session, second, resumed) = try open(cluster, view: view, mode: "complete", location: location)
        #expect(resumed == StreamingQuery.Resumption(nextBatch: 1, rerun: [1], fallback: nil))
        let again = try #require(try second.runBatch())
        #expect(again.batchId == 1 && again.numInputRows == 120)
        #expect(again.startOffsets == logged.startOffsets && again.endOffsets == logged.endOffsets)
        let next = try #require(try second.runBatch())
        #expect(next.batchId == 2 && next.numInputRows == 80 && next.startOffsets == logged.endOffsets)
        second.stop()
        #expect(session.table("v")?.sortedRows == Transactions.perBrand(Array(0..<300)))
    }

    /// As with a file: the batch that runs again read nothing (it closed windows); records
    /// sent after it must still be read.
    @Test func aReplayedKafkaBatchWithoutNewRecordsLeavesTheSourceReading() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        let scratch = try CheckpointScratch()
        let location = scratch.path("chk/v")
        let view = CheckpointResumeTests.perMinute
        try send(Self.values(0..<200), keys: Self.keys(0..<200), to: "tx", on: cluster.bootstrapServers)
        let (_, first, _) = try open(cluster, view: view, mode: "append", location: location)
        #expect(try first.runBatch()?.numInputRows == 200)
        let closing = try #require(try first.runBatch())
        #expect(closing.numInputRows == 0 && closing.batchId == 1)
        first.stop()
        try FileManager.default.removeItem(atPath: location + "/commits/1")
        try FileManager.default.removeItem(atPath: stateFile(location, 1))

        let (_, second, resumed) = try open(cluster, view: view, mode: "append", location: location)
        #expect(resumed?.rerun == [1])
        #expect(try second.runBatch()?.numOutputRows == closing.numOutputRows)
        try send(Self.values(200..<260), keys: Self.keys(200..<260), to: "tx", on: cluster.bootstrapServers)
        let next = try second.runBatch()
        second.stop()
        #expect(next?.numInputRows == 60, "records sent after the replay are read")
    }

    /// Another topic behind the same location: the state's offsets name partitions the new
    /// source does not read, which is refused before any batch.
    @Test func anotherTopicIsRefused() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 2)
        try cluster.createTopic("other", partitions: 2)
        try send(Self.values(0..<20), keys: Self.keys(0..<20), to: "tx", on: cluster.bootstrapServers)
        let scratch = try CheckpointScratch()
        let location = scratch.path("chk/v")
        let (_, first, _) = try open(cluster, view: CheckpointResumeTests.perBrand, mode: "complete", location: location)
        #expect(try first.runBatch()?.numInputRows == 20)
        first.stop()
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'other');
            CREATE STREAM tx FROM k FORMAT json SCHEMA \(Transactions.schema);
            \(CheckpointResumeTests.perBrand)
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE complete")
        defer { query.stop() }
        #expect {
            try query.attachCheckpoint(at: location)
        } throws: { error in
            "\(error)".contains("written by a query over kafka topics tx; v now reads kafka topics other")
        }
        #expect {
            try query.attachCheckpoint(at: location)
        } throws: { error in
            "\(error)".contains(location)
        }
    }
}
