@testable import CellKernel
import CSQLite
import Foundation
import Synchronization
import Testing

/// The sqlite sink over batches made here: extreme values as SQLite keeps them (read by the
/// `sqlite3` shell) and as they read back, the batch log, and a locked file.
@Suite struct SQLiteDatabaseTests {
    static let microsPerDay: Int64 = 86_400_000_000

    /// One row per edge: the extremes of each type, NULLs, and strings SQL text would trip on.
    static func extremes() -> ResultBatch {
        let schema = Schema([
            .init(name: "i", type: .bigint), .init(name: "small", type: .int), .init(name: "d", type: .double),
            .init(name: "f", type: .float), .init(name: "ts", type: .timestamp), .init(name: "day", type: .date),
            .init(name: "amount", type: .decimal(precision: 38, scale: 18)), .init(name: "s", type: .string),
            .init(name: "b", type: .boolean),
        ])
        let year1 = TimeText.days(year: 1, month: 1, day: 1)
        let year9999 = TimeText.days(year: 9999, month: 12, day: 31)
        let maxDecimal = Int128("99999999999999999999999999999999999999")!
        let rows: [[Value]] = [
            [.int(.min), .int(Int64(Int32.min)), .double(-1e308), .double(Double(Float.leastNonzeroMagnitude)),
             .int(year1 * microsPerDay), .int(year1), .decimal(-maxDecimal), .string(""), .bool(true)],
            [.int(.max), .int(Int64(Int32.max)), .double(1e308), .double(Double(Float.greatestFiniteMagnitude)),
             .int(year9999 * microsPerDay + microsPerDay - 1), .int(year9999), .decimal(1), .string("it's \"quoted\"; DROP TABLE t; -- 😀"), .bool(false)],
            [.null, .null, .null, .null, .null, .null, .null, .null, .null],
            [.int(0), .int(0), .double(.nan), .double(-0.5), .int(500_000), .int(0), .decimal(0), .string("a\u{0}b"), .bool(true)],
            [.int(-1), .int(-1), .double(.infinity), .double(1), .int(-1), .int(-1), .decimal(-1), .string("Ω\n\t\\"), .bool(false)],
            [.int(1), .int(1), .double(-.infinity), .double(2), .int(1), .int(1), .decimal(123_456_789_012_345_678), .string(" "), .bool(true)],
        ]
        var columns = schema.fields.map { Column(type: $0.type) }
        for row in rows {
            for (index, value) in row.enumerated() {
                switch value {
                case .null: columns[index].appendNull()
                case .int(let v): columns[index].append(v)
                case .decimal(let v): columns[index].append(v)
                case .double(let v): columns[index].append(v)
                case .bool(let v): columns[index].append(v)
                case .string(let v): columns[index].append(v)
                default: Issue.record("no such value in this table")
                }
            }
        }
        return ResultBatch(batchId: 0, schema: schema, columns: columns, mode: .append, keyColumns: [])
    }

    static func sink(_ db: String, table: String = "t", schema: Schema, mode: OutputMode = .append, keys: ResultKeys = .none) throws -> DatabaseSink {
        try DatabaseSink(connector: .sqlite, options: ["path": db, "dbtable": table], schema: schema, mode: mode, keys: keys)
    }

    @Test func extremeValuesAreKeptExactlyAndReadBack() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("x.db")
        let batch = Self.extremes()
        let sink = try Self.sink(db, schema: batch.schema)
        try sink.write(batch)
        try sink.close()

        let types = try SQLiteShell.rows(db, "SELECT type FROM pragma_table_info('t') ORDER BY cid;").map { $0[0] }
        #expect(types == ["BIGINT", "INTEGER", "DOUBLE", "FLOAT", "TIMESTAMP", "DATE", "TEXT DECIMAL(38,18)", "TEXT", "BOOLEAN"])
        let shown = try SQLiteShell.rows(db, """
            SELECT quote(i), quote(small), typeof(d), quote(ts), quote(day), quote(amount), hex(s), s IS NULL, quote(b) FROM t ORDER BY rowid;
            """)
        #expect(shown == [
            ["-9223372036854775808", "-2147483648", "real", "'0001-01-01 00:00:00'", "'0001-01-01'",
             "'-99999999999999999999.999999999999999999'", "", "0", "1"],
            ["9223372036854775807", "2147483647", "real", "'9999-12-31 23:59:59.999999'", "'9999-12-31'",
             "'0.000000000000000001'", Self.hex("it's \"quoted\"; DROP TABLE t; -- 😀"), "0", "0"],
            ["NULL", "NULL", "null", "NULL", "NULL", "NULL", "", "1", "NULL"],
            ["0", "0", "null", "'1970-01-01 00:00:00.5'", "'1970-01-01'", "'0.000000000000000000'", "610062", "0", "1"],
            ["-1", "-1", "real", "'1969-12-31 23:59:59.999999'", "'1969-12-31'", "'-0.000000000000000001'", Self.hex("Ω\n\t\\"), "0", "0"],
            ["1", "1", "real", "'1970-01-01 00:00:00.000001'", "'1970-01-02'", "'0.123456789012345678'", "20", "0", "1"],
        ])
        // The doubles as SQLite holds them, NaN as NULL; the decimals' exact digits (TEXT affinity).
        let doubles = try SQLiteShell.rows(db, "SELECT d = -1e308, d = 1e308, d IS NULL, d > 1e308, d < -1e308, typeof(amount) FROM t ORDER BY rowid;")
        #expect(doubles.map { Array($0.prefix(5)) } == [["1", "0", "0", "0", "0"], ["0", "1", "0", "0", "0"], ["<NULL>", "<NULL>", "1", "<NULL>", "<NULL>"],
                                                  ["<NULL>", "<NULL>", "1", "<NULL>", "<NULL>"], ["0", "0", "0", "1", "0"], ["0", "0", "0", "0", "1"]])
        #expect(doubles.map { $0[5] } == ["text", "text", "null", "text", "text", "text"])

        // Read back, every value is what was written (NaN, which SQLite cannot hold, as NULL).
        let (session, _) = sqliteSession()
        try session.run(script: "CREATE TABLE back USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 't');")
        let back = try #require(session.table("back"))
        #expect(back.schema.fields.map(\.type) == [.bigint, .bigint, .double, .float, .timestamp, .date, .decimal(precision: 38, scale: 18), .string, .boolean])
        for (index, column) in batch.columns.enumerated() {
            for row in 0..<batch.count {
                let written = column.value(at: row), read = back.columns[index].value(at: row)
                if case .double(let d) = written, d.isNaN {
                    #expect(read == .null)
                } else {
                    #expect(read == written, "column \(batch.schema.fields[index].name) row \(row)")
                }
            }
        }
    }

    static func hex(_ text: String) -> String { text.utf8.map { String(format: "%02X", $0) }.joined() }

    /// A batch of `(k, n)` with `n` = the values; `k` = "k<n % 3>".
    static func batch(_ id: Int64, _ values: [Int64], mode: OutputMode = .append) -> ResultBatch {
        var k = Column(type: .string), n = Column(type: .bigint)
        for value in values {
            k.append("k\(value % 3)")
            n.append(value)
        }
        return ResultBatch(batchId: id, schema: Schema([.init(name: "k", type: .string), .init(name: "n", type: .bigint)]),
                           columns: [k, n], mode: mode, keyColumns: [])
    }

    @Test func aCheckpointedSinkSkipsBatchesItLoggedAndKeepsOneLogRowPerQueryAndTable() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("log.db")
        let schema = Self.batch(0, []).schema
        let first = try Self.sink(db, table: "a", schema: schema)
        try first.attach(SinkCheckpoint(folder: scratch.root, identity: "q-1", lastCommitted: nil))
        #expect(first.guarantee == .exactlyOnce)
        try first.write(Self.batch(0, [1, 2, 3]))
        try first.write(Self.batch(1, [10, 20]))
        try first.close()
        // The same query after a crash: batch 1 again (other rows would show if it were written).
        let again = try Self.sink(db, table: "a", schema: schema)
        try again.attach(SinkCheckpoint(folder: scratch.root, identity: "q-1", lastCommitted: 0))
        try again.write(Self.batch(1, [99]))
        try again.write(Self.batch(2, [100]))
        // Another query (another identity) on another table of the same file has its own row.
        let other = try Self.sink(db, table: "b", schema: schema)
        try other.attach(SinkCheckpoint(folder: scratch.root, identity: "q-2", lastCommitted: nil))
        try other.write(Self.batch(0, [7]))
        #expect(try SQLiteShell.rows(db, "SELECT sum(n), count(*) FROM a;") == [["136", "6"]])
        #expect(try SQLiteShell.rows(db, "SELECT sink, batch_id FROM _cells_batches ORDER BY sink;") == [["q-1:a", "2"], ["q-2:b", "0"]])
        #expect(DatabaseSink.logKey(identity: "q-1", table: "my 'table'").hasPrefix("q-1:my__table_-"))
        #expect(DatabaseSink.logKey(identity: "q-1", table: "my 'table'") != DatabaseSink.logKey(identity: "q-1", table: "my _table_"))
    }

    @Test func updateModeMatchesNullKeysAndAGlobalAggregateKeepsOneRow() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("u.db")
        let schema = Schema([.init(name: "k", type: .string), .init(name: "n", type: .bigint)])
        func batch(_ rows: [(String?, Int64)]) -> ResultBatch {
            var k = Column(type: .string), n = Column(type: .bigint)
            for (key, value) in rows {
                if let key { k.append(key) } else { k.appendNull() }
                n.append(value)
            }
            return ResultBatch(batchId: 0, schema: schema, columns: [k, n], mode: .update, keyColumns: [0])
        }
        let sink = try Self.sink(db, table: "u", schema: schema, mode: .update, keys: .columns([0]))
        try sink.write(batch([(nil, 1), ("a", 1), ("", 1)]))
        try sink.write(batch([(nil, 2), ("", 5)]))
        try sink.write(batch([]))
        #expect(try SQLiteShell.rows(db, "SELECT quote(k), n FROM u ORDER BY k;") == [["NULL", "2"], ["''", "5"], ["'a'", "1"]])

        let global = try Self.sink(db, table: "g", schema: Schema([.init(name: "n", type: .bigint)]), mode: .update, keys: .columns([]))
        var n = Column(type: .bigint)
        n.append(Int64(5))
        try global.write(ResultBatch(batchId: 0, schema: global.tableSchema, columns: [n], mode: .update, keyColumns: []))
        n = Column(type: .bigint)
        n.append(Int64(8))
        try global.write(ResultBatch(batchId: 1, schema: global.tableSchema, columns: [n], mode: .update, keyColumns: []))
        try global.write(ResultBatch(batchId: 2, schema: global.tableSchema, columns: [Column(type: .bigint)], mode: .update, keyColumns: []))
        #expect(try SQLiteShell.rows(db, "SELECT n FROM g;") == [["8"]], "an empty update batch changes nothing")
    }

    /// Another connection's write lock, held until released: what a second writer does to the file.
    final class Lock: @unchecked Sendable {
        private var connection: OpaquePointer?

        init(_ path: String) throws {
            guard sqlite3_open(path, &connection) == SQLITE_OK,
                  sqlite3_exec(connection, "BEGIN IMMEDIATE", nil, nil, nil) == SQLITE_OK else {
                throw CellError.runtime("cannot lock \(path)")
            }
        }

        func release() {
            sqlite3_exec(connection, "COMMIT", nil, nil, nil)
            sqlite3_close(connection)
            connection = nil
        }
    }

    @Test func aLockedFileIsRetriedUntilItIsFreeAndAStopCutsTheWaitShort() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("busy.db")
        let schema = Self.batch(0, []).schema
        let sink = try Self.sink(db, schema: schema)
        sink.firstRetryDelay = .milliseconds(50)

        let lock = try Lock(db)
        let clock = ContinuousClock()
        let started = clock.now
        DispatchQueue.global().asyncAfter(deadline: .now() + 1.2) { lock.release() }
        try sink.write(Self.batch(0, [1, 2, 3]), stop: { false })
        #expect(clock.now - started >= .seconds(1), "the write waited for the lock")
        #expect(try SQLiteShell.rows(db, "SELECT sum(n) FROM t;") == [["6"]])

        let held = try Lock(db)
        defer { held.release() }
        let stopAt = clock.now + .milliseconds(300)
        let before = clock.now
        let stopped = Self.error { try sink.write(Self.batch(1, [4]), stop: { clock.now >= stopAt }) }
        #expect(stopped.contains("stopped while waiting to write batch 1 to t") && stopped.contains("locked by another connection"), "\(stopped)")
        #expect(clock.now - before < .seconds(2), "the stop ended the wait")
        sink.retryLimit = .milliseconds(700)
        let gaveUp = Self.error { try sink.write(Self.batch(1, [4]), stop: { false }) }
        #expect(gaveUp.contains("batch 1 could not be written to t within"), "\(gaveUp)")
    }

    /// What `body` throws, as text; a recorded issue when it does not throw.
    static func error(_ body: () throws -> Void, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
        do {
            try body()
            Issue.record("no error", sourceLocation: sourceLocation)
            return ""
        } catch {
            return "\(error)"
        }
    }
}
