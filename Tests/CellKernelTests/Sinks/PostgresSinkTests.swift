@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// The postgres sink and `CREATE TABLE ... USING postgres` end to end, against a real server
/// (``PostgresServer``): a notebook's views started `USING postgres`, the tables read back
/// with psql and compared with aggregates computed here from the input rows, in the three
/// output modes, over windows, NULL and hostile keys, across a crash and a server restart.
@Suite(.enabled(if: PostgresServer.isInstalled, "PostgreSQL is not installed: make test installs Debian's postgresql"))
struct PostgresSinkTests {
    /// Input rows: key `k` (NULL every sixth, others with a tab, quotes, a backslash, emoji),
    /// `n` = the row's index, `x` a multiple of 0.5 (exact sums in any order), `ts` 13 s apart.
    /// Input rows (keys with a tab, quotes, a backslash, emoji: COPY's escaping) and the
    /// aggregates expected of them; NULL as the suite's psql reader prints it.
    static let events = SinkEvents(keys: ["a", "tab\tkey", nil, #"quote'""#, "é🎉", #"back\slash"#], null: "<NULL>")
    static let script = SinkEvents.script

    let server: PostgresServer
    let database: String
    let scratch: SQLiteScratch

    init() throws {
        server = try PostgresServer.start()
        database = try server.freshDatabase()
        scratch = try SQLiteScratch()
    }

    /// The START options of a table in this test's database.
    func options(_ table: String, url: String? = nil) -> String {
        "('url' = '\(url ?? server.url(database))', 'dbtable' = '\(table)')"
    }

    func session(_ file: String) throws -> (CellSession, Transcript) {
        let transcript = Transcript()
        let session = CellSession(environment: [:], output: transcript.output)
        try session.run(script: "CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');\n" + Self.script)
        return (session, transcript)
    }

    /// psql's rows of `sql`, NULL as ``SinkEvents/null``.
    func rows(_ sql: String, in database: String? = nil, on server: PostgresServer? = nil) throws -> [[String]] {
        try (server ?? self.server).psql(sql, database: database ?? self.database).map { $0.map { $0 ?? Self.events.null } }
    }

    /// A table of key → numbers, each key once.
    func keyed(_ sql: String, in database: String? = nil, on server: PostgresServer? = nil) throws -> [String: [Double]] {
        var found: [String: [Double]] = [:]
        for row in try rows(sql, in: database, on: server) {
            #expect(found[row[0]] == nil, "key \(row[0]) twice")
            found[row[0]] = row.dropFirst().compactMap(Double.init)
        }
        return found
    }

    /// Runs `start` batch by batch: rows `parts[0]` first, each next part appended before the
    /// next batch; `check` after each batch with the rows read so far.
    func run(_ start: String, parts: [Range<Int>], check: (_ rowsSoFar: Range<Int>) throws -> Void) throws {
        let file = try scratch.write(Self.events.lines(parts[0]), to: "events.jsonl")
        let (session, _) = try session(file)
        let query = try session.prepare(start: start)
        defer { query.stop() }
        for (index, part) in parts.enumerated() {
            if index > 0 { try ScratchFile.append(Self.events.lines(part), to: file) }
            _ = try #require(try query.runBatch())
            try check(parts[0].lowerBound..<part.upperBound)
        }
    }

    // MARK: Output modes

    @Test func appendModeInsertsEveryRowOnceWithSparkTypes() throws {
        try run("START events OUTPUT MODE append USING postgres OPTIONS \(options("events"))", parts: [0..<40, 40..<90, 90..<100]) { rows throws in
            #expect(try keyed("SELECT k, count(*), sum(n), sum(x) FROM events GROUP BY k") == Self.events.totals(rows))
        }
        let types = try rows("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'events' ORDER BY ordinal_position")
        #expect(types == [["k", "text"], ["n", "bigint"], ["x", "double precision"], ["ts", "timestamp without time zone"]])
        let times = try rows("SELECT n, extract(epoch FROM ts)::bigint, k FROM events ORDER BY n")
        #expect(times.count == 100)
        for row in times {
            let i = try #require(Int(row[0]))
            #expect(row[1] == String(Self.events.seconds(i)), "\(row)")
            #expect(row[2] == Self.events.key(i) ?? Self.events.null, "the key's bytes as written")
        }
    }

    @Test func updateModeKeepsOneCurrentRowPerGroupNullKeyIncluded() throws {
        try run("START totals OUTPUT MODE update USING postgres OPTIONS \(options("totals"))", parts: [0..<5, 5..<60, 60..<61, 61..<130]) { rows throws in
            #expect(try keyed("SELECT k, c, s, total FROM totals") == Self.events.totals(rows))
        }
        #expect(try rows("SELECT count(*) FROM totals WHERE k IS NULL") == [["1"]])
        #expect(try rows("SELECT indexdef FROM pg_indexes WHERE tablename = 'totals'").first?.first?.contains("(k)") == true)
    }

    @Test func completeModeReplacesTheTableWithTheWholeResult() throws {
        try server.psql("CREATE SCHEMA analytics", database: database)
        try run("START totals OUTPUT MODE complete USING postgres OPTIONS \(options("analytics.totals"))", parts: [0..<3, 3..<50, 50..<80]) { rows throws in
            #expect(try keyed("SELECT k, c, s, total FROM analytics.totals") == Self.events.totals(rows))
        }
    }

    @Test func windowsAreKeyedByTheirStartTimestamp() throws {
        func check(_ rows: Range<Int>) throws {
            var found: [String: [Int]] = [:]
            for row in try self.rows("SELECT extract(epoch FROM \"window\")::bigint, k, c, s FROM minutes") {
                #expect(found["\(row[0])|\(row[1])"] == nil, "group \(row[0]) \(row[1]) twice")
                found["\(row[0])|\(row[1])"] = [Int(row[2]) ?? -1, Int(row[3]) ?? -1]
            }
            #expect(found == Self.events.perMinute(rows))
        }
        try run("START minutes OUTPUT MODE update USING postgres OPTIONS \(options("minutes"))", parts: [0..<10, 10..<25, 25..<40]) { try check($0) }
        #expect(try rows("SELECT min(\"window\") FROM minutes") == [["2024-01-01 00:00:00"]])
    }

    // MARK: Exactly once

    /// Batches 0 and 1 run with a checkpoint; then batch 1's commit is deleted, as a crash
    /// after the sink's transaction and before the checkpoint's commit leaves it. The next run
    /// does batch 1 again with the same rows: the sink finds it logged, and nothing is doubled.
    @Test func aBatchRunAgainAfterACrashIsNotWrittenTwice() throws {
        let location = scratch.path("chk/events")
        let file = try scratch.write(Self.events.lines(0..<30), to: "events.jsonl")
        let start = "START events OUTPUT MODE append USING postgres OPTIONS \(options("events"))"
        let sums = { try keyed("SELECT k, count(*), sum(n), sum(x) FROM events GROUP BY k") }
        do {
            let (session, _) = try session(file)
            let query = try session.prepare(start: start)
            try query.attachCheckpoint(at: location)
            #expect(query.sinks.last?.guarantee == .exactlyOnce)
            _ = try #require(try query.runBatch())
            try ScratchFile.append(Self.events.lines(30..<70), to: file)
            _ = try #require(try query.runBatch())
            query.stop()
        }
        #expect(try sums() == Self.events.totals(0..<70))
        try FileManager.default.removeItem(atPath: location + "/commits/1")

        let (session, _) = try session(file)
        let query = try session.prepare(start: start)
        defer { query.stop() }
        let resumed = try #require(try query.attachCheckpoint(at: location))
        #expect(resumed.rerun == [1])
        let replayed = try #require(try query.runBatch())
        #expect(replayed.batchId == 1 && replayed.numInputRows == 40)
        #expect(try sums() == Self.events.totals(0..<70), "batch 1's rows are in the table once")
        try ScratchFile.append(Self.events.lines(70..<85), to: file)
        _ = try #require(try query.runBatch())
        #expect(try sums() == Self.events.totals(0..<85))
        #expect(try rows("SELECT batch_id FROM _cells_batches") == [["2"]])
    }

    /// The other side of a crash: batch 1's transaction never committed (neither its rows nor
    /// its log row are there). The batch run again writes them, once; in update mode too.
    @Test func aBatchWhoseTransactionDidNotCommitIsWrittenWhenItRunsAgain() throws {
        let location = scratch.path("chk/totals")
        let file = try scratch.write(Self.events.lines(0..<30), to: "events.jsonl")
        let start = "START totals OUTPUT MODE update USING postgres OPTIONS \(options("totals"))"
        do {
            let (session, _) = try session(file)
            let query = try session.prepare(start: start)
            try query.attachCheckpoint(at: location)
            _ = try #require(try query.runBatch())
            let afterFirst = try rows("SELECT k, c, s, total FROM totals")
            try ScratchFile.append(Self.events.lines(30..<70), to: file)
            _ = try #require(try query.runBatch())
            query.stop()
            try FileManager.default.removeItem(atPath: location + "/commits/1")
            // What the database holds when batch 1's transaction was cut off: batch 0's result.
            try server.psql("DELETE FROM totals; UPDATE _cells_batches SET batch_id = 0", database: database)
            for row in afterFirst {
                let values = row.map { $0 == Self.events.null ? "NULL" : "'" + $0.replacing("'", with: "''") + "'" }.joined(separator: ", ")
                try server.psql("INSERT INTO totals VALUES (\(values))", database: database)
            }
        }
        #expect(try keyed("SELECT k, c, s, total FROM totals") == Self.events.totals(0..<30))
        let (session, _) = try session(file)
        let query = try session.prepare(start: start)
        defer { query.stop() }
        try query.attachCheckpoint(at: location)
        _ = try #require(try query.runBatch())
        #expect(try keyed("SELECT k, c, s, total FROM totals") == Self.events.totals(0..<70))
        #expect(try rows("SELECT batch_id FROM _cells_batches") == [["1"]])
    }

    /// The server restarts between batches: the sink retries the batch on a new connection, as
    /// a broker that went away is retried, and writes it once.
    @Test func aServerRestartBetweenBatchesIsRetried() throws {
        let own = try PostgresServer.startPrivate()
        defer { own.stop() }
        let name = try own.freshDatabase()
        let file = try scratch.write(Self.events.lines(0..<20), to: "events.jsonl")
        let (session, _) = try session(file)
        let query = try session.prepare(start: "START totals OUTPUT MODE update USING postgres OPTIONS \(options("totals", url: own.url(name)))")
        defer { query.stop() }
        try query.attachCheckpoint(at: scratch.path("chk/restart"))
        _ = try #require(try query.runBatch())
        try own.restart()
        try ScratchFile.append(Self.events.lines(20..<50), to: file)
        _ = try #require(try query.runBatch())
        #expect(try keyed("SELECT k, c, s, total FROM totals", in: name, on: own) == Self.events.totals(0..<50))
        #expect(try rows("SELECT batch_id FROM _cells_batches", in: name, on: own) == [["1"]])
    }

    /// The server goes away for good mid-query: the sink retries the batch until a stop, which
    /// ends the retries (and any wait on the server) at once.
    @Test func aStopEndsTheRetriesOfAServerThatIsGone() throws {
        let own = try PostgresServer.startPrivate()
        let name = try own.freshDatabase()
        let file = try scratch.write(Self.events.lines(0..<20), to: "events.jsonl")
        let (session, _) = try session(file)
        let query = try session.prepare(start: "START totals OUTPUT MODE update USING postgres OPTIONS \(options("totals", url: own.url(name)))")
        defer { query.stop() }
        _ = try #require(try query.runBatch())
        own.stop()
        try ScratchFile.append(Self.events.lines(20..<30), to: file)
        let started = ContinuousClock.now
        let stopAt = started + .seconds(2)
        #expect(throws: (any Error).self) {
            _ = try query.runBatch(shouldStop: { ContinuousClock.now > stopAt }, notice: { _ in })
        }
        let waited = ContinuousClock.now - started
        #expect(waited >= .seconds(2) && waited < .seconds(3), "\(waited)")
    }

    // MARK: Tables

    @Test func createTableUsingPostgresReadsATableForSelectAndJoins() throws {
        try server.psql("""
            CREATE TABLE brands (brand TEXT PRIMARY KEY, issuer VARCHAR(20), fee NUMERIC(5,2), since DATE, active BOOLEAN,
                                 opened TIMESTAMP, "rank" BIGINT, score DOUBLE PRECISION);
            INSERT INTO brands VALUES ('a', 'Alpha', 1.25, '2020-01-31', true, '2020-01-31 12:00:00', 9007199254740993, -1e308),
                                      ('tab\tkey', 'Tabbed', 2.5, '0044-03-15 BC', false, '2021-02-01 00:00:00.25', -9223372036854775808, 'NaN'),
                                      ('c', NULL, NULL, NULL, NULL, NULL, NULL, NULL)
            """, database: database)
        let file = try scratch.write(Self.events.lines(0..<24), to: "events.jsonl")
        let (session, transcript) = try session(file)
        try session.run(script: "CREATE TABLE brands USING postgres OPTIONS \(options("brands"));")
        let table = try #require(session.table("brands"))
        #expect(table.schema.fields.map(\.name) == ["brand", "issuer", "fee", "since", "active", "opened", "rank", "score"])
        #expect(table.schema.fields.map(\.type) == [.string, .string, .decimal(precision: 5, scale: 2), .date, .boolean, .timestamp, .bigint, .double])
        let byBrand = Dictionary(uniqueKeysWithValues: (0..<table.count).map { row in (table.columns[0].value(at: row), table.columns.map { $0.value(at: row) }) })
        let a = try #require(byBrand[.string("a")])
        #expect(a[2] == .decimal(125) && a[6] == .int(9_007_199_254_740_993) && a[7] == .double(-1e308))
        #expect(a[3] == .int(18_292) && a[5] == .int(1_580_472_000_000_000))
        let tabbed = try #require(byBrand[.string("tab\tkey")])
        // 15 March 44 BC is in the proleptic year -43: Julian day 1 705 428, 735 160 days before 1970.
        #expect(tabbed[3] == .int(-735_160) && tabbed[6] == .int(.min))
        if case .double(let score) = tabbed[7] { #expect(score.isNaN) } else { Issue.record("score \(tabbed[7])") }
        #expect(byBrand[.string("c")]?.dropFirst().allSatisfy { $0 == .null } == true)
        #expect(transcript.value.contains("table brands: 3 rows, brand STRING, issuer STRING, fee DECIMAL(5,2)"), "\(transcript.value)")

        try session.run(script: """
            SELECT issuer, fee FROM brands WHERE active;
            CREATE VIEW joined AS SELECT e.n, b.issuer FROM e JOIN brands b ON e.k = b.brand;
            START joined TRIGGER ONCE USING memory;
            """)
        #expect(transcript.value.contains("| Alpha|1.25|"), "\(transcript.value)")
        let joined = try #require(session.table("joined"))
        let expected = (0..<24).filter { ["a", "tab\tkey"].contains(Self.events.key($0)) }
        #expect(Set((0..<joined.count).map { joined.columns[0].value(at: $0) }) == Set(expected.map { .int(Int64($0)) }))
    }

    @Test func whatTheSinkWroteReadsBackAsItWas() throws {
        let file = try scratch.write(Self.events.lines(0..<50), to: "events.jsonl")
        let (session, _) = try session(file)
        try session.run(script: """
            START totals TRIGGER ONCE USING postgres OPTIONS \(options("totals"));
            CREATE TABLE back USING postgres OPTIONS \(options("totals"));
            """)
        let back = try #require(session.table("back"))
        #expect(back.schema.fields.map(\.type) == [.string, .bigint, .bigint, .double])
        var found: [String: [Double]] = [:]
        for row in 0..<back.count {
            let key = back.columns[0].isNull(row) ? Self.events.null : back.columns[0].value(at: row).description
            found[key] = back.columns.dropFirst().map {
                switch $0.value(at: row) { case .int(let v): Double(v); case .double(let v): v; default: .nan }
            }
        }
        #expect(found == Self.events.totals(0..<50))
    }

    // MARK: Errors and secrets

    @Test func thePasswordNeverShowsInTheSession() throws {
        let password = PostgresServer.password
        let url = "postgresql://\(PostgresServer.passwordUser):\(password)@127.0.0.1:\(server.port)/\(database)"
        let file = try scratch.write(Self.events.lines(0..<10), to: "events.jsonl")
        let (session, transcript) = try session(file)
        try server.psql("GRANT ALL ON SCHEMA public TO \(PostgresServer.passwordUser)", database: database)
        try session.run(script: """
            START totals TRIGGER ONCE USING postgres OPTIONS ('url' = '\(url)', 'dbtable' = 'totals');
            CREATE TABLE back USING postgres OPTIONS ('url' = '\(url)', 'dbtable' = 'totals');
            SHOW TABLES;
            DESCRIBE back;
            """)
        #expect(try keyed("SELECT k, c, s, total FROM totals") == Self.events.totals(0..<10))
        #expect(transcript.value.contains("table back"), "\(transcript.value)")
        var messages = [transcript.value]
        for script in [
            "START totals TRIGGER ONCE USING postgres OPTIONS ('url' = '\(url)x', 'dbtable' = 'totals');",
            "START totals TRIGGER ONCE USING postgres OPTIONS ('url' = 'postgresql://\(PostgresServer.passwordUser)@127.0.0.1:\(server.port)/\(database)', 'password' = '\(password)!', 'dbtable' = 't');",
            "CREATE TABLE nope USING postgres OPTIONS ('url' = '\(url)', 'dbtable' = 'missing');",
            "START totals TRIGGER ONCE USING postgres OPTIONS ('url' = '\(url)', 'dbtable' = 'totals' 'oops');",
        ] {
            do {
                try session.run(script: script)
                Issue.record("no error from \(script)")
            } catch {
                messages.append(error.message)
            }
        }
        for message in messages { #expect(!message.contains(password), "\(message)") }
        #expect(messages[1].contains("has no such database"), "\(messages[1])")
        #expect(messages[2].contains("password authentication failed") && messages[2].contains("'password'"), "\(messages[2])")
        #expect(messages[3].contains("no table missing"), "\(messages[3])")
        #expect(messages[4].contains("[redacted]"), "\(messages[4])")
    }

    @Test func nothingListeningFailsAtStartNamingTheServer() throws {
        let port = try PostgresServer.freePort()
        let file = try scratch.write(Self.events.lines(0..<3), to: "events.jsonl")
        let (session, _) = try session(file)
        let started = ContinuousClock.now
        do {
            try session.run(script: "START totals TRIGGER ONCE USING postgres OPTIONS ('url' = 'jdbc:postgresql://127.0.0.1:\(port)/db', 'dbtable' = 't', 'connectTimeout' = '2');")
            Issue.record("START succeeded with nothing listening")
        } catch {
            #expect(error.message.contains("127.0.0.1:\(port)") && error.message.contains("is PostgreSQL running?"), "\(error.message)")
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
