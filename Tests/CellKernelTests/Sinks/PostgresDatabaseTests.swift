@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// PostgresDatabase against a real PostgreSQL server (``PostgresServer``): what it writes is
/// read back with psql and compared with values computed here, apart from the code under test.
@Suite(.enabled(if: PostgresServer.isInstalled, "PostgreSQL is not installed: make test installs Debian's postgresql"))
struct PostgresDatabaseTests {
    let server: PostgresServer
    let database: String

    init() throws {
        server = try PostgresServer.start()
        database = try server.freshDatabase()
    }

    func open(_ options: [String: String] = [:]) throws -> PostgresDatabase {
        try PostgresDatabase(options: ["url": server.url(database)].merging(options) { $1 })
    }

    /// A batch of `fields` holding `rows`.
    static func batch(_ fields: [(String, SQLType)], _ rows: [[Value]]) -> Batch {
        let schema = Schema(fields.map { Schema.Field(name: $0.0, type: $0.1) })
        var columns = fields.map { Column(type: $0.1) }
        for row in rows { for (index, value) in row.enumerated() { columns[index].append(value) } }
        return Batch(schema: schema, columns: columns)
    }

    /// CREATE TABLE with the database's own column types.
    func create(_ db: PostgresDatabase, _ table: String, _ fields: [(String, SQLType)]) throws {
        let columns = try fields.map { "\(PostgresTableName.quoted($0.0)) \(try #require(db.columnType(for: $0.1)))" }
        try db.execute("CREATE TABLE \(table) (\(columns.joined(separator: ", ")))")
    }

    func rows(_ batch: Batch) -> [[Value]] {
        (0..<batch.count).map { row in batch.columns.map { $0.value(at: row) } }
    }

    // MARK: Writing and reading back

    @Test func appendWritesEveryTypeAndReadsItBack() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [("s", .string), ("b", .boolean), ("i", .int), ("n", .bigint), ("f", .float),
                                            ("d", .double), ("m", .decimal(precision: 10, scale: 2)), ("day", .date), ("ts", .timestamp)]
        try create(db, "everything", fields)
        let written = Self.batch(fields, [
            [.string("a"), .bool(true), .int(7), .int(1 << 40), .double(Double(Float(1.5))), .double(0.1), .decimal(12345), .int(19_723), .int(1_704_067_230_000_000)],
            [.null, .null, .null, .null, .null, .null, .null, .null, .null],
            [.string(""), .bool(false), .int(-7), .int(-1), .double(Double(Float(0.1))), .double(-2.5), .decimal(-1), .int(-1), .int(-1)],
        ])
        try db.write(written, into: "everything", replacingOn: nil)
        let shown = try server.psql("SELECT s, b, i, n, f, d, m, day, ts FROM everything ORDER BY i NULLS LAST", database: database)
        #expect(shown == [
            ["", "f", "-7", "-1", "0.1", "-2.5", "-0.01", "1969-12-31", "1969-12-31 23:59:59.999999"],
            ["a", "t", "7", "1099511627776", "1.5", "0.1", "123.45", "2024-01-01", "2024-01-01 00:00:30"],
            [nil, nil, nil, nil, nil, nil, nil, nil, nil],
        ])
        let columns = try #require(try db.columns(of: "everything"))
        #expect(columns.map(\.name) == fields.map(\.0))
        #expect(columns.map(\.sqlType) == fields.map(\.1))
        #expect(columns.map(\.declaredType) == ["text", "boolean", "integer", "bigint", "real", "double precision", "numeric(10,2)",
                                                "date", "timestamp without time zone"])
        let read = try db.read("everything", schema: written.schema)
        #expect(Set(rows(read)) == Set(rows(written)))
    }

    @Test func upsertReplacesRowsWithEqualKeysNullKeysIncluded() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [("k1", .string), ("k2", .bigint), ("v", .double)]
        try create(db, "totals", fields)
        let keys: [(String?, Int64?)] = [("a", 1), ("a", nil), (nil, 1), (nil, nil), ("b", 2), ("", 0)]
        let first = keys.enumerated().map { index, key in [key.0.map(Value.string) ?? .null, key.1.map(Value.int) ?? .null, .double(Double(index))] }
        try db.write(Self.batch(fields, first), into: "totals", replacingOn: [0, 1])
        // Every NULL combination again, one key new, one left alone.
        let second: [(String?, Int64?, Double)] = [("a", nil, 10), (nil, 1, 11), (nil, nil, 12), ("a", 1, 13), ("c", nil, 14)]
        try db.write(Self.batch(fields, second.map { [$0.0.map(Value.string) ?? .null, $0.1.map(Value.int) ?? .null, .double($0.2)] }),
                     into: "totals", replacingOn: [0, 1])
        // What an upsert by (k1, k2) with NULL equal to NULL leaves, computed in a dictionary.
        struct Key: Hashable { var k1: String?; var k2: Int64? }
        var expected: [Key: Double] = [:]
        for (index, key) in keys.enumerated() { expected[Key(k1: key.0, k2: key.1)] = Double(index) }
        for row in second { expected[Key(k1: row.0, k2: row.1)] = row.2 }
        let shown = try server.psql("SELECT k1, k2, v FROM totals", database: database)
        #expect(shown.count == expected.count)
        let found = Dictionary(shown.map { (Key(k1: $0[0], k2: $0[1].flatMap { Int64($0) }), Double($0[2] ?? "") ?? .nan) }) { a, _ in a }
        #expect(found == expected)
    }

    @Test func upsertUsesTheKeysOnlyAndTouchesNothingElse() throws {
        let db = try open()
        try db.execute("CREATE TABLE wide (k BIGINT, v TEXT, note TEXT DEFAULT 'kept' NOT NULL)")
        try server.psql("INSERT INTO wide VALUES (1, 'one', 'x'), (2, 'two', 'y')", database: database)
        try db.write(Self.batch([("k", .bigint), ("v", .string)], [[.int(2), .string("TWO")], [.int(3), .string("three")]]),
                     into: "wide", replacingOn: [0])
        // A column the batch lacks takes the table's default on the new rows.
        #expect(try server.psql("SELECT k, v, note FROM wide ORDER BY k", database: database)
                == [["1", "one", "x"], ["2", "TWO", "kept"], ["3", "three", "kept"]])
    }

    @Test func writeInsideTheCallersTransactionRollsBackWithIt() throws {
        let db = try open()
        try create(db, "t", [("k", .bigint)])
        try db.execute("BEGIN")
        try db.write(Self.batch([("k", .bigint)], [[.int(1)], [.int(2)]]), into: "t", replacingOn: [0])
        try db.write(Self.batch([("k", .bigint)], [[.int(2)], [.int(3)]]), into: "t", replacingOn: [0])
        #expect(try db.query("SELECT count(*) FROM t") == [["3"]])
        try db.execute("ROLLBACK")
        #expect(try server.psql("SELECT count(*) FROM t", database: database) == [["0"]])
    }

    @Test func schemaQualifiedAndQuotedTableNames() throws {
        let db = try open()
        try db.execute("CREATE SCHEMA analytics")
        try db.execute(#"CREATE TABLE analytics."Mixed Case" ("Key" TEXT, "v" BIGINT)"#)
        #expect(try db.columns(of: #"Analytics."Mixed Case""#)?.map(\.name) == ["Key", "v"])
        #expect(try db.columns(of: "analytics.mixed_case") == nil)
        #expect(try db.columns(of: "nowhere") == nil)
        let batch = Self.batch([("Key", .string), ("v", .bigint)], [[.string("x"), .int(1)]])
        try db.write(batch, into: #"ANALYTICS."Mixed Case""#, replacingOn: [0])
        try db.write(Self.batch([("Key", .string), ("v", .bigint)], [[.string("x"), .int(2)]]), into: #"analytics."Mixed Case""#, replacingOn: [0])
        #expect(try server.psql(#"SELECT "Key", v FROM analytics."Mixed Case""#, database: database) == [["x", "2"]])
        // A table with no columns exists: an empty list, not nil.
        try db.execute("CREATE TABLE bare ()")
        #expect(try db.columns(of: "bare") == [])
    }

    @Test func tableNamesAreReadAsPostgreSQLReadsThem() throws {
        #expect(try PostgresTableName("Events").sql == #""events""#)
        #expect(try PostgresTableName(" Analytics . Events ").sql == #""analytics"."events""#)
        #expect(try PostgresTableName(#""Mixed ""Quote""".t"#).sql == #""Mixed ""Quote"""."t""#)
        #expect(try PostgresTableName(#""Robert'); DROP TABLE x;--""#).table == "Robert'); DROP TABLE x;--")
        #expect(try PostgresTableName(#""Ünïcode""#).description == #""Ünïcode""#)
        for bad in ["", "a.b.c", "a..b", #""open"#, "a b", #""""#, ".t", String(repeating: "x", count: 64), "t\u{0}"] {
            #expect(throws: DatabaseError.self, "\(bad)") { try PostgresTableName(bad) }
        }
    }

    // MARK: Extremes

    @Test func extremeNumbersRoundTripExactly() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [("id", .int), ("n", .bigint), ("i", .int), ("d", .double), ("f", .float),
                                            ("wide", .decimal(precision: 38, scale: 0)), ("fine", .decimal(precision: 38, scale: 38))]
        try create(db, "extremes", fields)
        let widest = try #require(Int128("99999999999999999999999999999999999999"))
        let values: [(Int64, Int64, Double, Double, Int128, Int128)] = [
            (.min, Int64(Int32.min), 1e308, Double(Float.greatestFiniteMagnitude), widest, widest),
            (.max, Int64(Int32.max), -1e308, -Double(Float.greatestFiniteMagnitude), -widest, -widest),
            (0, 0, .nan, .nan, 0, 1),
            (1, 1, .infinity, .infinity, 1, -1),
            (-1, -1, -.infinity, -.infinity, -1, 0),
            (2, 2, 5e-324, Double(Float.leastNonzeroMagnitude), 10, 10),
            (3, 3, -0.0, -0.0, 3, 3),
            (4, 4, 0.1 + 0.2, Double(Float(0.1) + Float(0.2)), 4, 4),
            (5, 5, Double.pi * 1e-300, Double(Float.pi), 5, 5),
        ]
        let written = Self.batch(fields, values.enumerated().map { index, v in
            [.int(Int64(index)), .int(v.0), .int(v.1), .double(v.2), .double(v.3), .decimal(v.4), .decimal(v.5)]
        })
        try db.write(written, into: "extremes", replacingOn: nil)
        let shown = try server.psql("SELECT n, i, d, f, wide, fine FROM extremes ORDER BY id", database: database)
        #expect(shown.map { $0[0] } == values.map { String($0.0) })
        #expect(shown.map { $0[1] } == values.map { String($0.1) })
        for (row, value) in zip(shown, values) {
            // The server's own text for the value, read as Swift reads numbers: the same double.
            let d = try #require(Double(row[2] ?? "")), f = try #require(Double(row[3] ?? ""))
            #expect(d.bitPattern == value.2.bitPattern || (d.isNaN && value.2.isNaN), "\(row)")
            #expect(Float(f).bitPattern == Float(value.3).bitPattern || (f.isNaN && value.3.isNaN), "\(row)")
        }
        #expect(shown[0][4] == "99999999999999999999999999999999999999")
        #expect(shown[1][4] == "-99999999999999999999999999999999999999")
        #expect(shown[0][5] == "0.99999999999999999999999999999999999999")
        #expect(shown[3][5] == "-0.00000000000000000000000000000000000001")
        let read = try db.read("extremes", schema: written.schema)
        let readRows = rows(read).sorted { "\($0[0])" < "\($1[0])" }, writtenRows = rows(written).sorted { "\($0[0])" < "\($1[0])" }
        for (a, b) in zip(readRows, writtenRows) {
            // NaN is not equal to itself: compare the bits.
            let same = zip(a, b).allSatisfy { x, y in
                if case .double(let p) = x, case .double(let q) = y { return p.bitPattern == q.bitPattern || (p.isNaN && q.isNaN) }
                return x == y
            }
            #expect(same, "\(a) vs \(b)")
        }
    }

    @Test func extremeDatesAndTimestampsRoundTrip() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [("id", .int), ("day", .date), ("ts", .timestamp)]
        try create(db, "times", fields)
        // Days and microseconds since 1970 of dates known apart from cells' calendar code.
        let values: [(Int64, Int64, String, String)] = [
            (-719_162, -62_135_596_800_000_000, "0001-01-01", "0001-01-01 00:00:00"),
            (2_932_896, 253_402_300_799_999_999, "9999-12-31", "9999-12-31 23:59:59.999999"),
            (-719_163, -62_135_596_800_000_001, "0001-12-31 BC", "0001-12-31 23:59:59.999999 BC"),
            // 1 BC is a leap year: its 29 February exists.
            // (1 AD starts on day -719162; 1 BC has 366 days; 29 February is its 60th.)
            (-719_162 - 366 + 59, -62_162_121_600_000_000, "0001-02-29 BC", "0001-02-29 00:00:00 BC"),
            (2_932_897, 253_402_300_800_000_000, "10000-01-01", "10000-01-01 00:00:00"),
            (0, 0, "1970-01-01", "1970-01-01 00:00:00"),
            (-1, -1, "1969-12-31", "1969-12-31 23:59:59.999999"),
            (11_016, 951_782_400_000_001, "2000-02-29", "2000-02-29 00:00:00.000001"),
        ]
        let written = Self.batch(fields, values.enumerated().map { [.int(Int64($0.offset)), .int($0.element.0), .int($0.element.1)] })
        try db.write(written, into: "times", replacingOn: nil)
        let shown = try server.psql("SELECT day, ts FROM times ORDER BY id", database: database)
        #expect(shown == values.map { [$0.2, $0.3] })
        let read = try db.read("times", schema: written.schema)
        #expect(Set(rows(read)) == Set(rows(written)))
    }

    @Test func timesOutsidePostgreSQLsRangeAreRefusedNamingTheTable() throws {
        let db = try open()
        try create(db, "far", [("ts", .timestamp)])
        // 4714 BC is before PostgreSQL's first timestamp (4713 BC).
        let early = Self.batch([("ts", .timestamp)], [[.int(-210_900_000_000_000_000)]])
        let error = try #require(throws: DatabaseError.self) { try db.write(early, into: "far", replacingOn: nil) }
        #expect(error.kind == .refused)
        #expect(error.message.contains("far") && error.message.contains("out of range"), "\(error)")
        #expect(try server.psql("SELECT count(*) FROM far", database: database) == [["0"]])
    }

    @Test func readsPostgreSQLsOwnTypesAsSparkDoes() throws {
        let db = try open()
        try db.execute("""
            CREATE TYPE mood AS ENUM ('sad', 'happy');
            CREATE TABLE theirs (a SMALLINT, b INTEGER, c BIGINT, d REAL, e DOUBLE PRECISION, f NUMERIC(5,2), g NUMERIC,
              h VARCHAR(5), i CHAR(3), j UUID, k JSONB, l TIMESTAMPTZ, m mood, n BYTEA, o INTEGER[], p INTERVAL)
            """)
        let columns = try #require(try db.columns(of: "theirs"))
        #expect(columns.map(\.sqlType) == [.int, .int, .bigint, .float, .double, .decimal(precision: 5, scale: 2),
                                           .decimal(precision: 38, scale: 18), .string, .string, .string, .string, .timestamp,
                                           .string, nil, nil, nil])
        try server.psql("""
            INSERT INTO theirs (a, f, g, i, j, k, l, m) VALUES
              (-32768, -999.99, 1.5, 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"x": [1, 2]}', '2024-01-01 01:00:00+01', 'happy'),
              (1, 0, 0, NULL, NULL, NULL, 'infinity', NULL),
              (2, 0, 0, NULL, NULL, NULL, '-infinity', NULL)
            """, database: database)
        let schema = Schema(columns.prefix(13).compactMap { column in column.sqlType.map { Schema.Field(name: column.name, type: $0) } })
        let read = try db.read("theirs", schema: schema)
        let byA = Dictionary(uniqueKeysWithValues: rows(read).map { ("\($0[0])", $0) })
        let first = try #require(byA["-32768"])
        #expect(first[5] == .decimal(-99999))
        #expect(first[6] == .decimal(1_500_000_000_000_000_000))
        #expect(first[8] == .string("ab "))
        #expect(first[9] == .string("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
        #expect(first[10] == .string(#"{"x": [1, 2]}"#))
        #expect(first[11] == .int(1_704_067_200_000_000))
        #expect(first[12] == .string("happy"))
        #expect(byA["1"]?[11] == .int(253_402_300_799_999_999))
        #expect(byA["2"]?[11] == .int(-62_135_596_800_000_000))
        // A value too wide for the DECIMAL it is read as: an error naming the table and column.
        try server.psql("INSERT INTO theirs (a, g) VALUES (3, 123456789012345678901.5)", database: database)
        let error = try #require(throws: DatabaseError.self) { try db.read("theirs", schema: schema) }
        #expect(error.message.contains("theirs") && error.message.contains("'g'"), "\(error)")
    }

    // MARK: COPY escaping

    static let hostileStrings = [
        "tab\there", "new\nline", "carriage\rreturn", "\r\n", "back\\slash", "\\N", "\\", "\\.", "\n\\.\n", "ends with backslash\\",
        "'single' \"double\" `back`", "emoji 🎉👩‍👩‍👧", "e\u{301}", "\u{7F}\u{1}\u{1B}[31m", "semicolon; DROP TABLE t; --",
        "", " ", "日本語テキスト", "\u{FEFF}bom", "\u{2028}\u{2029}", String(repeating: "long\t\\\n", count: 50_000),
    ]

    @Test func copyEscapesEveryHostileString() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [("id", .int), ("s", .string)]
        try create(db, "hostile", fields)
        let written = Self.batch(fields, Self.hostileStrings.enumerated().map { [.int(Int64($0.offset)), .string($0.element)] } + [[.int(-1), .null]])
        try db.write(written, into: "hostile", replacingOn: nil)
        // The server's bytes as hex, so that no psql formatting stands between.
        let shown = try server.psql("SELECT id, encode(convert_to(s, 'UTF8'), 'hex') FROM hostile ORDER BY id", database: database)
        let expected = [["-1", nil]] + Self.hostileStrings.enumerated().map { ["\($0.offset)", $0.element.utf8.map { String(format: "%02x", $0) }.joined()] }
        #expect(shown.count == expected.count)
        for (got, want) in zip(shown, expected) { #expect(got == want, "row \(want[0] ?? "")") }
        // And the same through upserts.
        try db.write(written, into: "hostile", replacingOn: [1])
        #expect(try server.psql("SELECT count(*), count(DISTINCT s) FROM hostile", database: database) == [["\(expected.count)", "\(expected.count - 1)"]])
        let read = try db.read("hostile", schema: written.schema)
        #expect(Set(rows(read)) == Set(rows(written)))
    }

    @Test func aNulCharacterIsAClearErrorAndWritesNothing() throws {
        let db = try open()
        try create(db, "nul", [("k", .string), ("v", .bigint)])
        let batch = Self.batch([("k", .string), ("v", .bigint)], [[.string("fine"), .int(1)], [.string("bad\u{0}byte"), .int(2)]])
        for keys in [nil, [0]] as [[Int]?] {
            let error = try #require(throws: DatabaseError.self) { try db.write(batch, into: "nul", replacingOn: keys) }
            #expect(error.kind == .invalid)
            #expect(error.message.contains("'k'") && error.message.contains("row 2") && error.message.contains("NUL"), "\(error)")
            #expect(error.hint?.contains("replace") == true)
        }
        #expect(try server.psql("SELECT count(*) FROM nul", database: database) == [["0"]])
        // The connection is still good for the next batch.
        try db.write(Self.batch([("k", .string), ("v", .bigint)], [[.string("next"), .int(3)]]), into: "nul", replacingOn: nil)
        #expect(try server.psql("SELECT k, v FROM nul", database: database) == [["next", "3"]])
    }

    @Test func invalidUTF8IsRefusedNamingTheTableAndWritesNothing() throws {
        let db = try open()
        try create(db, "bytes", [("s", .string)])
        var column = Column(type: .string)
        column.append("fine")
        [UInt8]([0x61, 0xFF, 0xFE, 0x62]).withUnsafeBytes { column.append(bytes: $0) }
        let batch = Batch(schema: Schema([.init(name: "s", type: .string)]), columns: [column])
        let error = try #require(throws: DatabaseError.self) { try db.write(batch, into: "bytes", replacingOn: nil) }
        #expect(error.kind == .refused && error.message.contains("table bytes") && error.message.contains("UTF8"), "\(error)")
        #expect(try server.psql("SELECT count(*) FROM bytes", database: database) == [["0"]])
    }

    // MARK: Many rows

    @Test func hundredThousandRowsAppendAndUpsertFast() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [("k", .bigint), ("name", .string), ("total", .double)]
        try create(db, "big", fields)
        func batch(_ range: Range<Int64>, factor: Double) -> Batch {
            var columns = [Column(type: .bigint, capacity: range.count), Column(type: .string, capacity: range.count), Column(type: .double, capacity: range.count)]
            for k in range {
                columns[0].append(.int(k))
                columns[1].append(.string("name \(k)\twith tab"))
                columns[2].append(.double(Double(k) * factor))
            }
            return Batch(schema: Schema(fields.map { Schema.Field(name: $0.0, type: $0.1) }), columns: columns)
        }
        let clock = ContinuousClock()
        let first = batch(0..<100_000, factor: 1)
        // Half the keys again, half new.
        let second = batch(50_000..<150_000, factor: 2)
        let append = try clock.measure { try db.write(first, into: "big", replacingOn: nil) }
        let upsert = try clock.measure { try db.write(second, into: "big", replacingOn: [0]) }
        print("postgres: 100000 rows appended in \(append), 100000 upserted over 100000 in \(upsert)")
        let shown = try server.psql("SELECT count(*), sum(total), count(DISTINCT k) FROM big", database: database)
        var expectedSum = 0.0
        for k in 0..<50_000 { expectedSum += Double(k) }
        for k in 50_000..<150_000 { expectedSum += Double(k) * 2 }
        #expect(shown.first?[0] == "150000")
        #expect(shown.first?[2] == "150000")
        #expect(Double(shown.first?[1] ?? "") == expectedSum)
        #expect(append < .seconds(30) && upsert < .seconds(30))
    }

    // MARK: Unreachable, slow, stopped

    @Test func nothingListeningIsUnreachableWithinTheDeadline() throws {
        let port = try PostgresServer.freePort()
        let started = ContinuousClock.now
        let error = try #require(throws: DatabaseError.self) {
            try PostgresDatabase(options: ["url": "postgresql://someone@127.0.0.1:\(port)/db", "connectTimeout": "2"])
        }
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(error.kind == .unreachable)
        #expect(error.message.contains("127.0.0.1:\(port)"), "\(error)")
        #expect(error.hint == "is PostgreSQL running? check 'url'")
    }

    @Test func aServerThatNeverAnswersTimesOut() throws {
        // Accepts connections (the kernel does) but never says a word.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        #expect(listen(listener, 8) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let started = ContinuousClock.now
        let error = try #require(throws: DatabaseError.self) {
            try PostgresDatabase(options: ["url": "jdbc:postgresql://127.0.0.1:\(port)/db", "connectTimeout": "1"])
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(error.kind == .unreachable)
        #expect(error.message.contains("did not answer in time"), "\(error)")
    }

    @Test func aSlowStatementEndsAtQueryTimeout() throws {
        let db = try open(["queryTimeout": "1"])
        let started = ContinuousClock.now
        let error = try #require(throws: DatabaseError.self) { try db.execute("SELECT pg_sleep(20)") }
        #expect(ContinuousClock.now - started < .seconds(3))
        #expect(error.kind == .unreachable, "\(error)")
        // The connection is made again for the next statement.
        #expect(try db.query("SELECT 1 + 1") == [["2"]])
    }

    @Test func stopEndsAWaitWithinAFractionOfASecond() throws {
        let db = try open(["queryTimeout": "0"])
        let started = ContinuousClock.now
        db.shouldStop = { ContinuousClock.now - started > .milliseconds(300) }
        let error = try #require(throws: DatabaseError.self) { try db.execute("SELECT pg_sleep(30)") }
        #expect(ContinuousClock.now - started < .seconds(1))
        #expect(error.message.contains("stopped"), "\(error)")
        db.shouldStop = { false }
        #expect(try db.query("SELECT 'again'") == [["again"]])
        // The server ended the abandoned statement's session, so no sleeper is left behind.
        var sleepers: [[String?]] = [["1"]]
        for _ in 0..<50 where sleepers != [["0"]] {
            sleepers = try server.psql("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND datname = '\(database)'")
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(sleepers == [["0"]])
    }

    @Test func aRestartedServerIsReconnectedAndALostTransactionIsNotCommittedHalf() throws {
        let own = try PostgresServer.startPrivate()
        defer { own.stop() }
        let name = try own.freshDatabase()
        let db = try PostgresDatabase(options: ["url": own.url(name), "connectTimeout": "5"])
        try create(db, "t", [("k", .bigint)])
        try db.execute("BEGIN")
        try db.write(Self.batch([("k", .bigint)], [[.int(1)], [.int(2)]]), into: "t", replacingOn: nil)
        try own.restart()
        let commit = try #require(throws: DatabaseError.self) { try db.execute("COMMIT") }
        #expect(commit.kind == .unreachable && commit.hint == "is PostgreSQL running? check 'url'", "\(commit)")
        // On the new connection, what would have gone with the lost transaction is refused...
        let write = try #require(throws: DatabaseError.self) {
            try db.write(Self.batch([("k", .bigint)], [[.int(3)]]), into: "t", replacingOn: nil)
        }
        #expect(write.kind == .unreachable && write.message.contains("broke inside a transaction"), "\(write)")
        // ...reads are not, and a new transaction starts afresh.
        #expect(try db.query("SELECT count(*) FROM t") == [["0"]])
        try db.execute("BEGIN")
        try db.write(Self.batch([("k", .bigint)], [[.int(4)]]), into: "t", replacingOn: [0])
        try db.execute("COMMIT")
        #expect(try own.psql("SELECT k FROM t", database: name) == [["4"]])

        // Idle when the server goes: the next call may find out, the one after connects again.
        try own.restart()
        var answers: [[[String?]]] = []
        for _ in 0..<2 { if let rows = try? db.query("SELECT count(*) FROM t") { answers.append(rows) } }
        #expect(answers.last == [["1"]])

        // Gone for good: unreachable, within the connect timeout.
        own.stop()
        let started = ContinuousClock.now
        var last: DatabaseError?
        for _ in 0..<2 {
            do { _ = try db.query("SELECT 1") } catch { last = error }
        }
        #expect(last?.kind == .unreachable && last?.hint == "is PostgreSQL running? check 'url'", "\(String(describing: last))")
        #expect(ContinuousClock.now - started < .seconds(12))
    }

    @Test func hostileColumnNamesAndKeysOfEveryType() throws {
        let db = try open()
        let fields: [(String, SQLType)] = [(#"we"ird col"#, .string), ("🎉", .double), ("ts key", .timestamp), ("m", .decimal(precision: 5, scale: 2)),
                                            ("flag", .boolean), ("day", .date), ("Upper", .int), (String(repeating: "n", count: 63), .bigint)]
        try create(db, "keys", fields)
        #expect(try db.columns(of: "keys")?.map(\.name) == fields.map(\.0))
        let first = Self.batch(fields, [
            [.string("x"), .double(0.0), .int(1), .decimal(100), .bool(true), .int(1), .int(1), .int(1)],
            [.string("x"), .double(.nan), .int(1), .decimal(100), .bool(true), .int(1), .int(1), .int(2)],
            [.string("y"), .double(1), .null, .null, .null, .null, .null, .int(3)],
        ])
        try db.write(first, into: "keys", replacingOn: Array(0..<7))
        // -0.0 equals 0.0 and NaN equals NaN as keys, in PostgreSQL as in Spark's groups.
        let second = Self.batch(fields, [
            [.string("x"), .double(-0.0), .int(1), .decimal(100), .bool(true), .int(1), .int(1), .int(10)],
            [.string("x"), .double(.nan), .int(1), .decimal(100), .bool(true), .int(1), .int(1), .int(20)],
            [.string("y"), .double(1), .null, .null, .null, .null, .null, .int(30)],
        ])
        try db.write(second, into: "keys", replacingOn: Array(0..<7))
        let column = PostgresTableName.quoted(String(repeating: "n", count: 63))
        #expect(try server.psql("SELECT \(column) FROM keys ORDER BY 1", database: database) == [["10"], ["20"], ["30"]])
        #expect(Set(rows(try db.read("keys", schema: first.schema)).map { $0[7] }) == [.int(10), .int(20), .int(30)])
    }

    @Test func emptyBatchesWriteNothing() throws {
        let db = try open()
        try create(db, "empty", [("k", .bigint)])
        try db.write(Self.batch([("k", .bigint)], []), into: "empty", replacingOn: nil)
        try db.write(Self.batch([("k", .bigint)], []), into: "empty", replacingOn: [0])
        #expect(try server.psql("SELECT count(*) FROM empty", database: database) == [["0"]])
        #expect(try db.read("empty", schema: Schema([.init(name: "k", type: .bigint)])).count == 0)
    }

    // MARK: Errors and secrets

    @Test func refusedStatementsNameTheServerAndTheTable() throws {
        let db = try open()
        try db.execute("CREATE TABLE narrow (k BIGINT NOT NULL)")
        let error = try #require(throws: DatabaseError.self) {
            try db.write(Self.batch([("k", .bigint)], [[.null]]), into: "narrow", replacingOn: nil)
        }
        #expect(error.kind == .refused)
        #expect(error.message.contains("postgresql://postgres@127.0.0.1:\(server.port)/\(database)"), "\(error)")
        #expect(error.message.contains("table narrow") && error.message.contains("null value"), "\(error)")
        let missing = try #require(throws: DatabaseError.self) {
            try db.write(Self.batch([("k", .bigint)], [[.int(1)]]), into: "absent", replacingOn: [0])
        }
        #expect(missing.kind == .refused && missing.message.contains("absent"), "\(missing)")
    }

    @Test func thePasswordIsNeverShown() throws {
        let password = PostgresServer.password
        let user = PostgresServer.passwordUser
        let good = ["url": "postgresql://\(user)@127.0.0.1:\(server.port)/\(database)", "password": password]
        let db = try PostgresDatabase(options: good)
        #expect(try db.query("SELECT current_user") == [[user]])
        #expect(!db.place.contains(password))
        // In the url's userinfo, percent-encoded or not, and in a JDBC url's parameters.
        let inURL = try PostgresDatabase(options: ["url": "postgresql://\(user):\(password)@127.0.0.1:\(server.port)/\(database)"])
        #expect(inURL.place == "postgresql://\(user)@127.0.0.1:\(server.port)/\(database)")
        let jdbc = try PostgresDatabase(options: ["url": "jdbc:postgresql://127.0.0.1:\(server.port)/\(database)?user=\(user)&password=\(password)"])
        #expect(try jdbc.query("SELECT current_user") == [[user]])
        let refused = try #require(throws: DatabaseError.self) { try jdbc.execute("SELECT * FROM secret_\(password)") }
        #expect(!refused.description.contains(password), "\(refused)")

        for options in [["url": "postgresql://\(user)@127.0.0.1:\(server.port)/\(database)", "password": password + "-wrong"],
                        ["url": "postgresql://\(user):\(password)x@127.0.0.1:\(server.port)/\(database)"],
                        ["url": "jdbc:postgresql://127.0.0.1:\(server.port)/\(database)?user=\(user)&password=\(password)x"]] {
            let error = try #require(throws: DatabaseError.self) { try PostgresDatabase(options: options) }
            #expect(error.kind == .refused, "\(error)")
            #expect(error.message.contains("password authentication failed"), "\(error)")
            #expect(error.hint?.contains("'password'") == true)
            #expect(!error.description.contains(password), "\(error)")
        }
        // A url libpq cannot read, with the password in it.
        let bad = try #require(throws: DatabaseError.self) {
            try PostgresDatabase(options: ["url": "postgresql://\(user):\(password)@127.0.0.1:\(server.port)/db?nonsense=1"])
        }
        #expect(bad.kind == .invalid && !bad.description.contains(password), "\(bad)")
    }

    @Test func aURLsPasswordIsASecretOfTheSession() throws {
        let url = "postgresql://u:Hunter-22%21@db.example:5432/app"
        #expect(Redaction.shown("url", url) == "postgresql://u:[redacted]@db.example:5432/app")
        #expect(Set(Redaction.secretValues(of: [(key: "url", value: url)])) == ["Hunter-22%21", "Hunter-22!"])
        #expect(Redaction.shown("url", "jdbc:postgresql://h/db?user=u&password=s3cret-pw&ssl=true")
                == "jdbc:postgresql://h/db?user=u&password=[redacted]&ssl=true")
        #expect(Redaction.shown("url", "postgresql://user@host/db") == "postgresql://user@host/db")
        // The line an error quotes hides it where it is written.
        let source = "START v USING postgres OPTIONS ('url' = '\(url)', 'dbtable' = 't' 'x');"
        let rendered = SQLError("expected ',' or ')'", at: SourceLocation(line: 1, column: 69, offset: 68)).rendered(source: source)
        #expect(!rendered.contains("Hunter"), "\(rendered)")
        #expect(rendered.contains("'postgresql://u:[redacted]@db.example:5432/app'"), "\(rendered)")
    }

    // MARK: Settings

    @Test func settingsFromSparksJDBCOptions() throws {
        let jdbc = try PostgresSettings(options: ["URL": "jdbc:postgresql://db.example:6543/sales?ssl=true&ApplicationName=nb&connectTimeout=3",
                                                  "user": "ana", "password": "pw-1234", "queryTimeout": "0"])
        #expect(jdbc.place == "postgresql://ana@db.example:6543/sales")
        #expect(jdbc.keywords["host"] == "db.example" && jdbc.keywords["port"] == "6543" && jdbc.keywords["dbname"] == "sales")
        #expect(jdbc.keywords["sslmode"] == "verify-full" && jdbc.keywords["application_name"] == "nb")
        #expect(jdbc.keywords["password"] == "pw-1234" && jdbc.secrets == ["pw-1234"])
        #expect(jdbc.connectTimeout == .seconds(3) && jdbc.queryTimeout == nil)

        let local = try PostgresSettings(options: ["url": "jdbc:postgresql:warehouse"])
        #expect(local.place == "postgresql://localhost:5432/warehouse")

        let several = try PostgresSettings(options: ["url": "postgresql://a:b%40c@[::1]:5433,replica/app?sslmode=disable&connect_timeout=4"])
        #expect(several.place == "postgresql://a@[::1]:5433,replica:5432/app")
        #expect(several.keywords["password"] == "b@c" && several.connectTimeout == .seconds(4))
        #expect(several.queryTimeout == .seconds(PostgresSettings.defaultQueryTimeout))
        #expect(Set(several.secrets) == ["b%40c", "b@c"])

        for (options, fragment) in [(["dbtable": "t"], "needs 'url'"), (["url": "mysql://h/db"], "must be a PostgreSQL URL"),
                                    (["url": "jdbc:postgresql://h/db?stringtype=unspecified"], "'stringtype'"),
                                    (["url": "postgresql://h/db", "queryTimeout": "-1"], "queryTimeout"),
                                    (["url": "postgresql://h/db", "connectTimeout": "0"], "connectTimeout"),
                                    (["url": "postgresql://h/db?nonsense=1"], "libpq")] {
            let error = try #require(throws: DatabaseError.self) { try PostgresSettings(options: options) }
            #expect(error.kind == .invalid && error.message.contains(fragment), "\(error)")
        }
    }
}
