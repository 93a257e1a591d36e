@testable import CellKernel
import Foundation
import Testing

/// `CREATE TABLE t USING sqlite`: a table the `sqlite3` shell wrote, read back with the types
/// its columns are declared with, for ad hoc SELECT, stream-static joins and REFRESH.
@Suite struct SQLiteTableTests {
    static let brands = """
        CREATE TABLE brands (brand TEXT PRIMARY KEY, issuer TEXT, fee DECIMAL(5,2), since DATE, active BOOLEAN,
                             opened TIMESTAMP, "rank" INTEGER, score REAL);
        INSERT INTO brands VALUES ('a', 'Alpha', '1.25', '2020-01-31', 1, '2020-01-31 12:00:00', 1, 0.5),
                                  ('b', 'Beta', 2.5, '2021-02-01', 0, '2021-02-01 00:00:00.25', 9007199254740993, -1e308),
                                  ('c', NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        """

    /// Each row's values as CAST(x AS STRING) writes them, NULL as `NULL`.
    static func rows(_ batch: Batch) -> [[String]] {
        (0..<batch.count).map { row in batch.columns.map { $0.isNull(row) ? "NULL" : Cast.text($0, row) } }
    }

    @Test func aTableReadsWithTheTypesItsColumnsDeclare() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("lookup.db")
        try SQLiteShell.execute(db, Self.brands)
        let (session, transcript) = sqliteSession()
        try session.run(script: "CREATE TABLE brands USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'brands');")
        let table = try #require(session.table("brands"))
        #expect(table.schema.fields.map(\.name) == ["brand", "issuer", "fee", "since", "active", "opened", "rank", "score"])
        #expect(table.schema.fields.map(\.type) == [.string, .string, .decimal(precision: 5, scale: 2), .date, .boolean, .timestamp, .bigint, .double])
        let a = table.columns.map { $0.value(at: 0) }
        #expect(a[2] == .decimal(125))
        #expect(a[3] == .int(TimeText.days(year: 2020, month: 1, day: 31)))
        #expect(a[4] == .bool(true))
        #expect(a[5] == .int(TimeText.days(year: 2020, month: 1, day: 31) * 86_400_000_000 + 12 * 3_600_000_000))
        let b = table.columns.map { $0.value(at: 1) }
        #expect(b[2] == .decimal(250), "a REAL 2.5 in a DECIMAL(5,2) column is 2.50 exactly")
        #expect(b[5] == .int(TimeText.days(year: 2021, month: 2, day: 1) * 86_400_000_000 + 250_000))
        #expect(b[6] == .int(9_007_199_254_740_993), "64-bit integers read whole")
        #expect(b[7] == .double(-1e308))
        #expect(table.columns.dropFirst().allSatisfy { $0.isNull(2) }, "NULLs stay NULL")
        #expect(transcript.value.contains("table brands: 3 rows, brand STRING, issuer STRING, fee DECIMAL(5,2)"), "\(transcript.value)")

        try session.run(script: "SELECT issuer, fee, since FROM brands WHERE active;")
        #expect(transcript.value.contains("| Alpha|1.25|2020-01-31|"), "\(transcript.value)")
        try session.run(script: "SHOW TABLES;")
        #expect(transcript.value.contains("sqlite \(db) table brands: 3 rows"), "\(transcript.value)")
    }

    @Test func aStreamJoinsATableReadFromSQLite() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("lookup.db")
        try SQLiteShell.execute(db, Self.brands)
        let events = SQLiteSinkTests.events
        let file = try scratch.write(events.lines(0..<24), to: "events.jsonl")
        let (session, _) = try SQLiteSinkTests.session(file)
        try session.run(script: """
            CREATE TABLE brands USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'brands');
            CREATE VIEW joined AS SELECT e.n, b.issuer, b.fee FROM e JOIN brands b ON e.k = b.brand;
            START joined TRIGGER ONCE USING memory;
            """)
        let issuers = ["a": "Alpha", "b": "Beta", "c": "NULL"]
        let fees = ["a": "1.25", "b": "2.50", "c": "NULL"]
        let expected = (0..<24).compactMap { i -> [String]? in
            guard let k = events.key(i), let issuer = issuers[k], let fee = fees[k] else { return nil }
            return [String(i), issuer, fee]
        }
        let joined = Self.rows(try #require(session.table("joined")))
        #expect(joined.sorted { $0.lexicographicallyPrecedes($1) } == expected.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test func refreshReadsTheTableAgain() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("lookup.db")
        try SQLiteShell.execute(db, Self.brands)
        let (session, transcript) = sqliteSession()
        try session.run(script: "CREATE TABLE brands USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'brands');")
        try SQLiteShell.execute(db, "INSERT INTO brands (brand, issuer) VALUES ('é', 'Eta'); DELETE FROM brands WHERE brand = 'c';")
        try session.run(script: "REFRESH TABLE brands;")
        let table = try #require(session.table("brands"))
        #expect(Set(Self.rows(table).map { $0[0] + "=" + $0[1] }) == ["a=Alpha", "b=Beta", "é=Eta"])
        #expect(transcript.value.contains("table brands: 3 rows"))
        // A table that no longer reads keeps its rows, and the error says why.
        try SQLiteShell.execute(db, "DROP TABLE brands;")
        let message = sqliteFailure(of: "REFRESH TABLE brands;", in: session)
        #expect(message.contains("no table brands in \(db)"), "\(message)")
        #expect(session.table("brands")?.count == 3)
    }

    @Test func whatTheSinkWroteReadsBackAsItWas() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("results.db")
        let events = SQLiteSinkTests.events
        let file = try scratch.write(events.lines(0..<20), to: "events.jsonl")
        let (session, _) = try SQLiteSinkTests.session(file)
        try session.run(script: """
            START events TRIGGER ONCE USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'events');
            START events TRIGGER ONCE USING memory;
            CREATE TABLE back USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'events');
            """)
        let back = try #require(session.table("back"))
        let original = try #require(session.table("events"))
        #expect(back.schema.fields.map(\.type) == [.string, .bigint, .double, .timestamp])
        #expect(back.sortedRows == original.sortedRows)
        #expect(back.count == 20)
    }

    @Test func tablesThatCannotBeReadAreErrorsWithAFix() throws {
        let scratch = try SQLiteScratch()
        let db = scratch.path("lookup.db")
        try SQLiteShell.execute(db, Self.brands + "CREATE TABLE blobs (id INTEGER, data BLOB); CREATE TABLE odd (n BIGINT); INSERT INTO odd VALUES (1), ('twelve');")
        let (session, _) = sqliteSession()
        let missing = sqliteFailure(of: "CREATE TABLE t USING sqlite OPTIONS ('path' = '\(scratch.path("none.db"))', 'dbtable' = 'brands');", in: session)
        #expect(missing.contains("no SQLite database at \(scratch.path("none.db"))"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("none.db")), "reading never creates a database")
        let noTable = sqliteFailure(of: "CREATE TABLE t USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'nope');", in: session)
        #expect(noTable.contains("no table nope in \(db)"), "\(noTable)")
        let blob = sqliteFailure(of: "CREATE TABLE t USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'blobs');", in: session)
        #expect(blob.contains("column data of blobs is BLOB, which cells does not read"), "\(blob)")
        let odd = sqliteFailure(of: "CREATE TABLE t USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'odd');", in: session)
        #expect(odd.contains("odd row 2, column n: 'twelve' is not a BIGINT"), "\(odd)")
        let schema = sqliteFailure(of: "CREATE TABLE t USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'brands') SCHEMA (brand STRING);", in: session)
        #expect(schema.contains("a sqlite table's columns and types are the database's"), "\(schema)")
        let format = sqliteFailure(of: "CREATE TABLE t USING parquet OPTIONS ('path' = '\(db)');", in: session)
        #expect(format.contains("unknown table format parquet") && format.contains("or a database: postgres, sqlite"), "\(format)")
        let option = sqliteFailure(of: "CREATE TABLE t USING sqlite OPTIONS ('path' = '\(db)', 'dbtable' = 'brands', 'header' = 'true');", in: session)
        #expect(option.contains("unknown option 'header' for a sqlite table"), "\(option)")
        #expect(session.table("t") == nil)
    }
}
