import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A ``ResultDatabase`` in one SQLite file, through libsqlite3: the embedded default
/// (`USING sqlite OPTIONS ('path' = 'results.db', 'dbtable' = 'media')`), nothing to install.
///
/// Decisions, as the README tells users:
/// - Types are Spark's JDBC names, so that readers know them: BIGINT, INTEGER, DOUBLE, FLOAT,
///   TEXT, BOOLEAN (0 or 1), TIMESTAMP as UTC text `YYYY-MM-DD HH:MM:SS[.ffffff]` and DATE as
///   `YYYY-MM-DD` (what SQLite's date functions read). SQLite has no decimal storage: a
///   DECIMAL(p,s) column is declared `TEXT DECIMAL(p,s)`, whose TEXT affinity keeps the exact
///   digits (a `DECIMAL` declaration alone would let SQLite turn them into a lossy REAL).
/// - DOUBLE NaN is stored as NULL (SQLite has no NaN and binds it as NULL); ±Infinity stays a
///   REAL infinity.
/// - A file cells creates is put in WAL mode, so that readers (the `sqlite3` shell, a
///   dashboard) read while a query writes; an existing file keeps the journal mode its owner
///   chose. Statements wait ``busyTimeoutMillis`` for another connection's lock, then fail as
///   ``DatabaseError/Kind/unreachable``, which the sink retries between checks for a stop.
final class SQLiteDatabase: ResultDatabase {
    let place: String
    private var connection: OpaquePointer?
    /// Checked between rows of a write (every ``rowsBetweenStopChecks``).
    var shouldStop: () -> Bool = { false }
    static let rowsBetweenStopChecks = 1024

    /// How long a statement waits for a lock another connection holds. Short, so that the
    /// sink's retries (which check for Ctrl-C and STOP) do the long waiting.
    static let busyTimeoutMillis: Int32 = 500

    /// The options a sqlite sink or table takes besides `dbtable`.
    static let options: Set<String> = ["path"]

    /// Opens `path`; for writing, a missing file is created (in WAL mode), for reading it is an
    /// error.
    init(path: String, forWriting: Bool) throws(DatabaseError) {
        place = path
        guard !path.allSatisfy(\.isWhitespace), !path.unicodeScalars.contains("\0") else {
            throw DatabaseError(.invalid, "'path' must name a file, not '\(path)'", hint: "e.g. 'path' = 'results.db'")
        }
        let existed = Self.fileExists(path)
        if !forWriting && !existed {
            throw DatabaseError(.invalid, "no SQLite database at \(path)",
                                hint: "check the path; a sqlite sink creates the file when a query starts")
        }
        let flags = forWriting ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READONLY
        let code = sqlite3_open_v2(path, &connection, flags, nil)
        guard code == SQLITE_OK else {
            let reason = connection.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(connection)
            connection = nil
            throw DatabaseError(.invalid, "cannot open the SQLite database \(path): \(reason)",
                                hint: forWriting ? "the folder must exist and be writable" : "the file must be readable")
        }
        sqlite3_extended_result_codes(connection, 1)
        sqlite3_busy_timeout(connection, Self.busyTimeoutMillis)
        // A file that is not a database fails at its first statement: here, at START.
        _ = try query("SELECT count(*) FROM sqlite_schema")
        if forWriting && !existed { try execute("PRAGMA journal_mode = WAL") }
    }

    /// The sink's and the table's options: `path` (required).
    convenience init(options: [String: String], forWriting: Bool) throws(DatabaseError) {
        guard let path = options.first(where: { $0.key.lowercased() == "path" })?.value else {
            throw DatabaseError(.invalid, "sqlite needs 'path', the database file", hint: "add 'path' = 'results.db' to OPTIONS")
        }
        try self.init(path: path, forWriting: forWriting)
    }

    deinit { close() }

    func close() {
        sqlite3_close_v2(connection)
        connection = nil
    }

    private static func fileExists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    // MARK: Types

    func columnType(for type: SQLType) -> String? {
        switch type {
        case .string, .null: "TEXT"
        case .boolean: "BOOLEAN"
        case .int: "INTEGER"
        case .bigint: "BIGINT"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .decimal(let p, let s): "TEXT DECIMAL(\(p),\(s))"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .struct, .array, .map: nil
        }
    }

    /// The cells type a declared SQLite type reads as: the names cells writes first, then
    /// SQLite's own affinity rules (https://sqlite.org/datatype3.html, 3.1). Every integer
    /// type reads as BIGINT, since SQLite keeps every integer in 64 bits; a BLOB has no cells
    /// type; any other declaration (none, `JSON`, `UUID`) reads as the text of its values.
    static func sqlType(declared: String) -> SQLType? {
        let name = declared.uppercased()
        if name.contains("DECIMAL") || name.contains("NUMERIC") {
            if let (p, s) = precisionAndScale(name), (1...38).contains(p), (0...p).contains(s) { return .decimal(precision: p, scale: s) }
            return .double
        }
        if name.contains("BOOL") { return .boolean }
        if name.contains("TIMESTAMP") || name.contains("DATETIME") { return .timestamp }
        if name.hasPrefix("DATE") { return .date }
        if name.contains("INT") { return .bigint }
        if name.contains("CHAR") || name.contains("CLOB") || name.contains("TEXT") { return .string }
        if name.contains("BLOB") { return nil }
        if name.hasPrefix("FLOAT") && !name.contains("DOUB") { return .float }
        if name.contains("REAL") || name.contains("FLOA") || name.contains("DOUB") { return .double }
        return .string
    }

    /// `(p, s)` or `(p)` at the end of a declared type.
    private static func precisionAndScale(_ name: String) -> (Int, Int)? {
        guard let open = name.lastIndex(of: "("), let close = name.lastIndex(of: ")"), open < close else { return nil }
        let parts = name[name.index(after: open)..<close].split(separator: ",", omittingEmptySubsequences: false)
            .map { Int(String($0).trimmingASCIIWhitespace()) }
        switch parts.count {
        case 1: return parts[0].map { ($0, 0) }
        case 2: if let p = parts[0], let s = parts[1] { return (p, s) } else { return nil }
        default: return nil
        }
    }

    // MARK: Statements

    func columns(of table: String) throws(DatabaseError) -> [DatabaseColumn]? {
        let statement = try prepare("SELECT name, type FROM pragma_table_info(?1) ORDER BY cid")
        defer { sqlite3_finalize(statement) }
        sqlite3_bind_text(statement, 1, table, -1, cells_sqlite_transient())
        var columns: [DatabaseColumn] = []
        while try step(statement, doing: "reading the columns of \(table)") {
            let name = Self.text(statement, 0) ?? ""
            let declared = Self.text(statement, 1) ?? ""
            columns.append(DatabaseColumn(name: name, declaredType: declared, sqlType: Self.sqlType(declared: declared)))
        }
        return columns.isEmpty ? nil : columns
    }

    func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(connection, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let reason = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(message)
            throw failure(code, reason, doing: Self.firstWords(of: sql))
        }
    }

    func beginTransaction() throws(DatabaseError) { try execute("BEGIN IMMEDIATE") }

    func query(_ sql: String) throws(DatabaseError) -> [[String?]] {
        let statement = try prepare(sql)
        defer { sqlite3_finalize(statement) }
        var rows: [[String?]] = []
        let count = sqlite3_column_count(statement)
        while try step(statement, doing: Self.firstWords(of: sql)) {
            rows.append((0..<count).map { Self.text(statement, $0) })
        }
        return rows
    }

    /// A compiled statement, which the caller finalizes.
    func prepare(_ sql: String) throws(DatabaseError) -> OpaquePointer {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v2(connection, sql, -1, &statement, nil)
        guard code == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw failure(code, String(cString: sqlite3_errmsg(connection)), doing: Self.firstWords(of: sql))
        }
        return statement
    }

    /// Steps once: true when a row is there, false when the statement is done.
    func step(_ statement: OpaquePointer, doing: @autoclosure () -> String) throws(DatabaseError) -> Bool {
        let code = sqlite3_step(statement)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = failure(code, String(cString: sqlite3_errmsg(connection)), doing: doing())
            sqlite3_reset(statement)
            throw error
        }
    }

    /// What went wrong, as a ``DatabaseError``: a lock another connection holds past the busy
    /// timeout is worth retrying (`unreachable`), anything else is SQLite saying no.
    func failure(_ code: Int32, _ reason: String, doing: String) -> DatabaseError {
        switch code & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED:
            DatabaseError(.unreachable, "SQLite \(place) is locked by another connection (\(doing)): \(reason)",
                          hint: "another program is writing to the file; cells retries until it is free")
        case SQLITE_READONLY:
            DatabaseError(.refused, "SQLite \(place) cannot be written (\(doing)): \(reason)", hint: "the file and its folder must be writable")
        case SQLITE_NOTADB:
            DatabaseError(.invalid, "\(place) is not an SQLite database: \(reason)", hint: "choose another 'path'")
        default:
            DatabaseError(.refused, "SQLite \(place) refused \(doing): \(reason)")
        }
    }

    /// A statement's first words, for errors (never its values: there are none in it).
    private static func firstWords(of sql: String) -> String {
        let words = sql.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true).prefix(3)
        return words.joined(separator: " ")
    }

    /// Column `index` of the current row as text (SQLite's text of any value), nil for NULL.
    static func text(_ statement: OpaquePointer, _ index: Int32) -> String? {
        guard sqlite3_column_type(statement, index) != SQLITE_NULL, let bytes = sqlite3_column_text(statement, index) else { return nil }
        let count = Int(sqlite3_column_bytes(statement, index))
        return String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}
