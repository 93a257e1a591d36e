@testable import CellKernel
import CSQLite

/// SQLite in memory: the independent engine the differential tests compare against.
final class SQLiteOracle {
    private var db: OpaquePointer?

    init() throws {
        guard sqlite3_open(":memory:", &db) == SQLITE_OK else { throw OracleError("cannot open SQLite") }
    }

    deinit { sqlite3_close(db) }

    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &message) == SQLITE_OK else {
            defer { sqlite3_free(message) }
            throw OracleError(message.map { String(cString: $0) } ?? "error in \(sql)")
        }
    }

    /// Inserts rows with a prepared statement (one transaction).
    func insert(into table: String, columns: Int, rows: [[OracleValue]]) throws {
        try execute("BEGIN")
        var statement: OpaquePointer?
        let marks = Array(repeating: "?", count: columns).joined(separator: ",")
        guard sqlite3_prepare_v2(db, "INSERT INTO \(table) VALUES (\(marks))", -1, &statement, nil) == SQLITE_OK else {
            throw OracleError(String(cString: sqlite3_errmsg(db)))
        }
        defer { sqlite3_finalize(statement) }
        for row in rows {
            for (i, value) in row.enumerated() {
                let index = Int32(i + 1)
                switch value {
                case .null: sqlite3_bind_null(statement, index)
                case .integer(let v): sqlite3_bind_int64(statement, index, v)
                case .real(let v): sqlite3_bind_double(statement, index, v)
                case .text(let v): sqlite3_bind_text(statement, index, v, -1, cells_sqlite_transient())
                }
            }
            guard sqlite3_step(statement) == SQLITE_DONE else { throw OracleError(String(cString: sqlite3_errmsg(db))) }
            sqlite3_reset(statement)
        }
        try execute("COMMIT")
    }

    func query(_ sql: String) throws -> [[OracleValue]] {
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &statement, nil) == SQLITE_OK else {
            throw OracleError("\(String(cString: sqlite3_errmsg(db))) in \(sql)")
        }
        defer { sqlite3_finalize(statement) }
        var rows: [[OracleValue]] = []
        while sqlite3_step(statement) == SQLITE_ROW {
            rows.append((0..<sqlite3_column_count(statement)).map { i in
                switch sqlite3_column_type(statement, i) {
                case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, i))
                case SQLITE_FLOAT: .real(sqlite3_column_double(statement, i))
                case SQLITE_TEXT: .text(String(cString: sqlite3_column_text(statement, i)))
                default: .null
                }
            })
        }
        return rows
    }
}

enum OracleValue: Hashable, CustomStringConvertible {
    case null, integer(Int64), real(Double), text(String)

    /// A cells value as SQLite stores it (booleans are integers there).
    init(_ value: Value) {
        switch value {
        case .null: self = .null
        case .int(let v): self = .integer(v)
        case .decimal(let v): self = .integer(Int64(truncatingIfNeeded: v))
        case .double(let v): self = .real(v)
        case .string(let v): self = .text(v)
        case .bool(let v): self = .integer(v ? 1 : 0)
        // Nested values compare as their show() text: SQLite has no such types.
        case .structure, .array, .map: self = .text(value.description)
        }
    }

    var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let v): "\(v)"
        case .real(let v): "\(v)"
        case .text(let v): "'\(v)'"
        }
    }
}

struct OracleError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
