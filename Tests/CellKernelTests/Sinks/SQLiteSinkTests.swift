@testable import CellKernel
import Foundation
import Testing

/// The sqlite sink end to end: a notebook's view started `USING sqlite`, the file read back
/// with the `sqlite3` shell and compared with the aggregates computed here from the input
/// rows, in the three output modes, over windows and NULL keys, and across a crash.
@Suite struct SQLiteSinkTests {
    /// Input rows: key `k` (NULL every sixth, and a non-ASCII one), `n` = the row's index,
    /// `x` a multiple of 0.5 (exact sums in any order), `ts` 13 s apart from 2024-01-01.
    /// Input rows (a non-ASCII key among them) and the aggregates expected of them.
    static let events = SinkEvents(keys: ["a", "b", nil, "c", "a", "é"], null: SQLiteShell.null)
    static let script = SinkEvents.script

    /// A session over the input file, with the views above.
    static func session(_ file: String) throws -> (CellSession, Transcript) {
        let (session, transcript) = sqliteSession()
        try session.run(script: "CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');\n" + script)
        return (session, transcript)
    }

    /// `totals` as the shell reads it back: per key, count, sum of n, sum of x.
    static func totals(in db: String, table: String = "totals") throws -> [String: [Double]] {
        var found: [String: [Double]] = [:]
        for row in try SQLiteShell.rows(db, "SELECT k, c, s, total FROM \(table);") {
            #expect(found[row[0]] == nil, "key \(row[0]) twice in \(table)")
            found[row[0]] = row.dropFirst().compactMap(Double.init)
        }
        return found
    }

    /// Runs `start` batch by batch: the input's rows `parts[0]` first, each next part appended
    /// before the next batch; `check` after each batch, with the rows read so far.
    static func run(_ start: String, parts: [Range<Int>], scratch: SQLiteScratch,
                    check: (_ rowsSoFar: Range<Int>) throws -> Void) throws {
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
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        try Self.run("START events OUTPUT MODE append USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'events')",
                     parts: [0..<40, 40..<90, 90..<100], scratch: scratch) { rows in
            let read = try SQLiteShell.rows(db, "SELECT k, count(*), sum(n), sum(x) FROM events GROUP BY k;")
            let found = Dictionary(uniqueKeysWithValues: read.map { ($0[0], $0.dropFirst().compactMap(Double.init)) })
            #expect(found == Self.events.totals(rows))
        }
        let types = try SQLiteShell.rows(db, "SELECT name, type FROM pragma_table_info('events') ORDER BY cid;")
        #expect(types == [["k", "TEXT"], ["n", "BIGINT"], ["x", "DOUBLE"], ["ts", "TIMESTAMP"]])
        // Timestamps are UTC text SQLite's date functions read: each row's is its input time.
        let times = try SQLiteShell.rows(db, "SELECT n, ts, typeof(ts), CAST(strftime('%s', ts) AS INTEGER) FROM events ORDER BY n;")
        #expect(times.count == 100)
        for row in times {
            let i = try #require(Int(row[0]))
            #expect(row[2] == "text")
            #expect(row[3] == String(Self.events.seconds(i)), "\(row)")
        }
        #expect(times[1][1] == "2024-01-01 00:00:13")
    }

    @Test func updateModeKeepsOneCurrentRowPerGroupNullKeyIncluded() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        try Self.run("START totals OUTPUT MODE update USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'totals')",
                     parts: [0..<5, 5..<60, 60..<61, 61..<130], scratch: scratch) { rows in
            let found = try Self.totals(in: db)
            #expect(found == Self.events.totals(rows))
        }
        // The NULL group is one row, found by IS NULL (not a second row per batch).
        #expect(try SQLiteShell.rows(db, "SELECT count(*) FROM totals WHERE k IS NULL;") == [["1"]])
        let indexes = try SQLiteShell.rows(db, "SELECT name FROM pragma_index_list('totals');")
        #expect(indexes == [["totals_cells_keys"]], "update mode finds a group's row by an index on the keys")
    }

    @Test func completeModeReplacesTheTableWithTheWholeResult() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        try Self.run("START totals OUTPUT MODE complete USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'totals')",
                     parts: [0..<3, 3..<50, 50..<80], scratch: scratch) { rows in
            let found = try Self.totals(in: db)
            #expect(found == Self.events.totals(rows))
        }
    }

    @Test func completeModeWithLimitDropsRowsThatLeaveTheTop() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        let file = try scratch.write(Self.events.lines(0..<12), to: "events.jsonl")
        let (session, _) = try Self.session(file)
        try session.run(script: "CREATE VIEW top AS SELECT k, sum(n) AS s FROM e GROUP BY k ORDER BY s DESC LIMIT 2;")
        let query = try session.prepare(start: "START top OUTPUT MODE complete USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'top')")
        defer { query.stop() }
        func top(_ rows: Range<Int>) -> [[String]] {
            let sums = Self.events.totals(rows).mapValues { Int($0[1]) }
            return sums.sorted { $0.value > $1.value }.prefix(2).map { [$0.key, String($0.value)] }
        }
        _ = try #require(try query.runBatch())
        #expect(try SQLiteShell.rows(db, "SELECT k, s FROM top ORDER BY s DESC;") == top(0..<12))
        // Rows with key 'b' only: 'b' climbs to the top and one of the others leaves it.
        try ScratchFile.append((12..<60).filter { Self.events.key($0) == "b" }.map(Self.events.line).joined(), to: file)
        _ = try #require(try query.runBatch())
        var sums = Self.events.totals(0..<12).mapValues { Int($0[1]) }
        sums["b", default: 0] += (12..<60).filter { Self.events.key($0) == "b" }.reduce(0, +)
        let expected = sums.sorted { $0.value > $1.value }.prefix(2).map { [$0.key, String($0.value)] }
        #expect(expected.first?.first == "b")
        #expect(try SQLiteShell.rows(db, "SELECT k, s FROM top ORDER BY s DESC;") == expected)
    }

    @Test func windowsAreKeyedByTheirStartTimestamp() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        func check(_ rows: Range<Int>) throws {
            var found: [String: [Int]] = [:]
            let read = try SQLiteShell.rows(db, "SELECT CAST(strftime('%s', window) AS INTEGER), k, c, s, typeof(window) FROM minutes;")
            for row in read {
                #expect(row[4] == "text")
                #expect(found["\(row[0])|\(row[1])"] == nil, "group \(row[0]) \(row[1]) twice")
                found["\(row[0])|\(row[1])"] = [Int(row[2]) ?? -1, Int(row[3]) ?? -1]
            }
            #expect(found == Self.events.perMinute(rows))
        }
        try Self.run("START minutes OUTPUT MODE update USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'minutes')",
                     parts: [0..<10, 10..<25, 25..<40], scratch: scratch) { try check($0) }
        #expect(try SQLiteShell.rows(db, "SELECT window FROM minutes ORDER BY window LIMIT 1;") == [["2024-01-01 00:00:00"]])
    }

    @Test func appendModeWindowsArriveOnceWhenTheWatermarkClosesThem() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        try Self.run("START minutes OUTPUT MODE append USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'minutes')",
                     parts: [0..<20, 20..<40, 40..<60, 60..<80], scratch: scratch) { _ in }
        // In order, no row is late. A batch emits the windows that end by the watermark it
        // starts with, which the batch before it set (its last event minus a minute): after
        // four batches, those that end by the third batch's watermark, each once, exactly.
        let watermark = Self.events.seconds(59) - 60
        let expected = Self.events.perMinute(0..<80).filter { (Int($0.key.prefix { $0 != "|" }) ?? 0) + 60 <= watermark }
        var found: [String: [Int]] = [:]
        for row in try SQLiteShell.rows(db, "SELECT CAST(strftime('%s', window) AS INTEGER), k, c, s FROM minutes;") {
            #expect(found["\(row[0])|\(row[1])"] == nil)
            found["\(row[0])|\(row[1])"] = [Int(row[2]) ?? -1, Int(row[3]) ?? -1]
        }
        #expect(expected.count >= 30)
        #expect(found == expected)
    }

    // MARK: Exactly once

    /// Batch 0 and 1 run with a checkpoint; then batch 1's commit is deleted, as a crash after
    /// the sink's transaction and before the checkpoint's commit leaves it. The next run does
    /// batch 1 again with the same rows: the sink finds it logged, and nothing is doubled.
    @Test func aBatchRunAgainAfterACrashIsNotWrittenTwice() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        let location = scratch.path("chk/events")
        let file = try scratch.write(Self.events.lines(0..<30), to: "events.jsonl")
        let start = "START events OUTPUT MODE append USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'events')"
        func sums() throws -> [String: [Double]] {
            let read = try SQLiteShell.rows(db, "SELECT k, count(*), sum(n), sum(x) FROM events GROUP BY k;")
            return Dictionary(uniqueKeysWithValues: read.map { ($0[0], $0.dropFirst().compactMap(Double.init)) })
        }
        do {
            let (session, _) = try Self.session(file)
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

        let (session, transcript) = try Self.session(file)
        let query = try session.prepare(start: start)
        defer { query.stop() }
        let resumed = try #require(try query.attachCheckpoint(at: location))
        #expect(resumed.rerun == [1])
        #expect(!transcript.value.contains("at-least-once"), "\(transcript.value)")
        let replayed = try #require(try query.runBatch())
        #expect(replayed.batchId == 1 && replayed.numInputRows == 40)
        #expect(try sums() == Self.events.totals(0..<70), "batch 1's rows are in the table once")
        try ScratchFile.append(Self.events.lines(70..<85), to: file)
        _ = try #require(try query.runBatch())
        #expect(try sums() == Self.events.totals(0..<85))
        let log = try SQLiteShell.rows(db, "SELECT batch_id FROM _cells_batches;")
        #expect(log == [["2"]])
    }

    /// The other side of a crash: the sink's transaction for batch 1 never committed (its rows
    /// and log row are not there). The batch run again writes them, once.
    @Test func aBatchWhoseTransactionDidNotCommitIsWrittenWhenItRunsAgain() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        let location = scratch.path("chk/events")
        let file = try scratch.write(Self.events.lines(0..<30), to: "events.jsonl")
        let start = "START events USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'events')"
        do {
            let (session, _) = try Self.session(file)
            let query = try session.prepare(start: start)
            try query.attachCheckpoint(at: location)
            _ = try #require(try query.runBatch())
            try ScratchFile.append(Self.events.lines(30..<70), to: file)
            _ = try #require(try query.runBatch())
            query.stop()
        }
        try FileManager.default.removeItem(atPath: location + "/commits/1")
        // What the database holds when batch 1's transaction was cut off: batch 0 alone.
        try SQLiteShell.execute(db, "DELETE FROM events WHERE n >= 30; UPDATE _cells_batches SET batch_id = 0;")
        #expect(try SQLiteShell.rows(db, "SELECT count(*) FROM events;") == [["30"]])

        let (session, _) = try Self.session(file)
        let query = try session.prepare(start: start)
        defer { query.stop() }
        try query.attachCheckpoint(at: location)
        _ = try #require(try query.runBatch())
        let read = try SQLiteShell.rows(db, "SELECT k, count(*), sum(n), sum(x) FROM events GROUP BY k;")
        #expect(Dictionary(uniqueKeysWithValues: read.map { ($0[0], $0.dropFirst().compactMap(Double.init)) }) == Self.events.totals(0..<70))
    }

    @Test func withoutACheckpointTheSinkIsAtLeastOnce() throws {
        let scratch = try SQLiteScratch()
        let file = try scratch.write(Self.events.lines(0..<3), to: "events.jsonl")
        let (session, _) = try Self.session(file)
        let query = try session.prepare(start: "START events USING sqlite OPTIONS ('path' = '\(scratch.path("r.db"))', 'dbtable' = 'events')")
        defer { query.stop() }
        #expect(query.sinks.last?.guarantee == .atLeastOnce)
        _ = try query.runBatch()
        #expect(try SQLiteShell.rows(scratch.path("r.db"), "SELECT count(*) FROM sqlite_schema WHERE name = '_cells_batches';") == [["0"]])
    }

    // MARK: Errors at START

    @Test func anExistingTableWithOtherColumnsIsRefusedByName() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        try SQLiteShell.execute(db, "CREATE TABLE totals (k TEXT, c BIGINT, extra TEXT);")
        let file = try scratch.write(Self.events.lines(0..<3), to: "events.jsonl")
        let (session, _) = try Self.session(file)
        let start = "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'totals');"
        let message = sqliteFailure(of: start, in: session)
        #expect(message.contains("the table totals in \(db) has columns k, c, extra, not the view's k, c, s, total; missing: s, total; not in the view: extra"),
                "\(message)")
        #expect(message.contains("DROP TABLE totals"), "\(message)")
        // Pointed at the option that names the table.
        let column = try #require(start.range(of: "'totals');")).lowerBound.utf16Offset(in: start) + 1
        #expect(message.contains("1:\(column):"), "\(message)")
        // The same names in another order are refused too (rows would go to the wrong columns).
        try SQLiteShell.execute(db, "CREATE TABLE swapped (c BIGINT, k TEXT, s BIGINT, total DOUBLE);")
        let swapped = sqliteFailure(of: "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'swapped');", in: session)
        #expect(swapped.contains("the same names in another order"), "\(swapped)")
        // The table's own columns, in any case, are accepted and written.
        try SQLiteShell.execute(db, "CREATE TABLE upper (K TEXT, C BIGINT, S BIGINT, TOTAL DOUBLE);")
        try session.run(script: "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'upper');")
        #expect(try Self.totals(in: db, table: "upper") == Self.events.totals(0..<3))
    }

    @Test func optionsAndColumnsASinkCannotUseAreErrorsWithAFix() throws {
        let scratch = try SQLiteScratch()
        let file = try scratch.write(Self.events.lines(0..<3), to: "events.jsonl")
        let (session, _) = try Self.session(file)
        let db = scratch.path("r.db")
        let noTable = sqliteFailure(of: "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)');", in: session)
        #expect(noTable.contains("the sink sqlite needs 'dbtable'"), "\(noTable)")
        let typo = sqliteFailure(of: "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 't', 'dbtabel' = 'u');", in: session)
        #expect(typo.contains("unknown option 'dbtabel' for the sink sqlite"), "\(typo)")
        let folder = sqliteFailure(of: "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '/nonexistent/r.db', 'dbtable' = 't');", in: session)
        #expect(folder.contains("cannot open the SQLite database /nonexistent/r.db") && folder.contains("the folder must exist"), "\(folder)")
        try session.run(script: "CREATE VIEW nested AS SELECT k, collect_list(n) AS ns FROM e GROUP BY k;")
        let nested = sqliteFailure(of: "START nested TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'n');", in: session)
        #expect(nested.contains("column 'ns' is ARRAY<BIGINT>") && nested.contains("to_json(ns) AS ns"), "\(nested)")
        try session.run(script: "CREATE VIEW ends AS SELECT window.end AS e, count(*) AS c FROM e GROUP BY window(ts, '1 minute');")
        let ends = sqliteFailure(of: "START ends OUTPUT MODE update TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'e');", in: session)
        #expect(ends.contains("one of them is not among the view's columns"), "\(ends)")
        // Nothing was created by the refused starts.
        #expect(try SQLiteShell.rows(db, "SELECT name FROM sqlite_schema;") == [])
    }

    @Test func aFileThatIsNotADatabaseIsAnErrorAtStart() throws {
        let scratch = try SQLiteScratch()
        let file = try scratch.write(Self.events.lines(0..<3), to: "events.jsonl")
        let (session, _) = try Self.session(file)
        let message = sqliteFailure(of: "START totals TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(file)', 'dbtable' = 't');", in: session)
        #expect(message.contains("\(file) is not an SQLite database"), "\(message)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == Self.events.lines(0..<3), "the file is left as it was")
    }
}
