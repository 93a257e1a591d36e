import CSQLite

/// Rows in and out of SQLite: every value bound as a parameter of one prepared statement
/// per batch, never spliced into SQL text.
extension SQLiteDatabase {
    func write(_ batch: Batch, into table: String, replacingOn keys: [Int]?) throws(DatabaseError) {
        let target = quoted(table: table)
        let names = batch.schema.fields.map { quoted(identifier: $0.name) }
        let marks = names.indices.map { "?\($0 + 1)" }
        let insert = try prepare("INSERT INTO \(target) (\(names.joined(separator: ", "))) VALUES (\(marks.joined(separator: ", ")))")
        defer { sqlite3_finalize(insert) }
        // SQLite's UNIQUE and `=` keep NULLs apart; `IS` matches NULL to NULL, as the groups do.
        var delete: OpaquePointer?
        if let keys, !keys.isEmpty {
            let matches = keys.enumerated().map { "\(names[$0.element]) IS ?\($0.offset + 1)" }
            delete = try prepare("DELETE FROM \(target) WHERE \(matches.joined(separator: " AND "))")
        }
        defer { sqlite3_finalize(delete) }
        for row in 0..<batch.count {
            if row % Self.rowsBetweenStopChecks == Self.rowsBetweenStopChecks - 1, shouldStop() {
                throw DatabaseError(.unreachable, "stopped while writing \(batch.count) rows to \(table) in \(place)")
            }
            if let delete, let keys {
                for (position, column) in keys.enumerated() { bind(batch.columns[column], row, to: delete, at: Int32(position + 1)) }
                _ = try step(delete, doing: "DELETE FROM \(table) (row \(row) of the batch)")
                sqlite3_reset(delete)
            }
            for (position, column) in batch.columns.enumerated() { bind(column, row, to: insert, at: Int32(position + 1)) }
            _ = try step(insert, doing: "INSERT INTO \(table) (row \(row) of the batch)")
            sqlite3_reset(insert)
        }
    }

    /// Binds one value as SQLite keeps it (see the type's documentation for the forms).
    private func bind(_ column: Column, _ row: Int, to statement: OpaquePointer, at index: Int32) {
        if column.isNull(row) {
            sqlite3_bind_null(statement, index)
            return
        }
        switch column.data {
        case .int64(let values):
            switch column.type {
            case .timestamp: bindText(TimeText.formatTimestamp(values[row]), to: statement, at: index)
            case .date: bindText(TimeText.formatDate(values[row]), to: statement, at: index)
            case .null: sqlite3_bind_null(statement, index)
            default: sqlite3_bind_int64(statement, index, values[row])
            }
        case .int128(let values):
            bindText(DecimalText.format(values[row], scale: DecimalArithmetic.scale(of: column.type)), to: statement, at: index)
        case .double(let values):
            // SQLite has no NaN: it would bind one as NULL anyway; said here so it is on purpose.
            if values[row].isNaN { sqlite3_bind_null(statement, index) } else { sqlite3_bind_double(statement, index, values[row]) }
        case .bool(let values):
            sqlite3_bind_int64(statement, index, values[row] ? 1 : 0)
        case .bytes(let vector):
            vector.withElement(row) { bindText($0, to: statement, at: index) }
        }
    }

    private func bindText(_ text: String, to statement: OpaquePointer, at index: Int32) {
        var text = text
        text.withUTF8 { bindText(UnsafeRawBufferPointer($0), to: statement, at: index) }
    }

    /// Binds UTF-8 bytes (NULs and all: the length is given), copied by SQLite.
    private func bindText(_ bytes: UnsafeRawBufferPointer, to statement: OpaquePointer, at index: Int32) {
        // A NULL pointer would bind NULL: an empty string gets a real (empty) one.
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            sqlite3_bind_text(statement, index, "", 0, cells_sqlite_transient())
            return
        }
        sqlite3_bind_text(statement, index, base.assumingMemoryBound(to: CChar.self), Int32(clamping: bytes.count), cells_sqlite_transient())
    }

    func read(_ table: String, schema: Schema) throws(DatabaseError) -> Batch {
        let names = schema.fields.map { quoted(identifier: $0.name) }.joined(separator: ", ")
        let statement = try prepare("SELECT \(names) FROM \(quoted(table: table))")
        defer { sqlite3_finalize(statement) }
        var columns = schema.fields.map { Column(type: $0.type) }
        var row = 0
        while try step(statement, doing: "reading \(table)") {
            row += 1
            for index in columns.indices {
                guard sqlite3_column_type(statement, Int32(index)) != SQLITE_NULL else {
                    columns[index].appendNull()
                    continue
                }
                guard Self.append(statement, Int32(index), to: &columns[index]) else {
                    let field = schema.fields[index]
                    let value = Self.text(statement, Int32(index)) ?? ""
                    throw DatabaseError(.invalid, "\(table) row \(row), column \(field.name): '\(value.prefix(100))' is not a \(field.type)",
                                        hint: "SQLite keeps any value in any column: correct the value, or declare the column TEXT and cast it in a view")
                }
            }
        }
        return Batch(schema: schema, columns: columns)
    }

    /// Appends the current row's value of `index`, converted to the column's type; false when
    /// it does not convert (text in an INTEGER column, a number in a TIMESTAMP column).
    private static func append(_ statement: OpaquePointer, _ index: Int32, to column: inout Column) -> Bool {
        let storage = sqlite3_column_type(statement, index)
        switch column.type {
        case .int, .bigint:
            switch storage {
            case SQLITE_INTEGER: column.append(sqlite3_column_int64(statement, index))
            case SQLITE_FLOAT:
                let d = sqlite3_column_double(statement, index)
                guard d == d.rounded(), let v = Int64(exactly: d) else { return false }
                column.append(v)
            default:
                guard let v = withText(statement, index, { NumberText.parseInteger($0) }) else { return false }
                column.append(v)
            }
        case .float, .double:
            let d: Double
            switch storage {
            case SQLITE_INTEGER, SQLITE_FLOAT: d = sqlite3_column_double(statement, index)
            default:
                guard let parsed = withText(statement, index, { NumberText.parseDouble($0) }) else { return false }
                d = parsed
            }
            column.append(column.type == .float ? Double(Float(d)) : d)
        case .boolean:
            switch storage {
            case SQLITE_INTEGER, SQLITE_FLOAT: column.append(sqlite3_column_double(statement, index) != 0)
            default:
                switch text(statement, index)?.lowercased() {
                case "true", "t", "1": column.append(true)
                case "false", "f", "0": column.append(false)
                default: return false
                }
            }
        case .decimal(let precision, let scale):
            // A REAL's text is its 15 significant digits (what SQLite shows for it).
            guard let text = text(statement, index), let unscaled = ExactDecimal(text)?.unscaled(precision: precision, scale: scale) else {
                return false
            }
            column.append(unscaled)
        case .timestamp, .date:
            // A number has no unit SQLite agrees on (seconds, days, Julian days): only text reads.
            guard storage == SQLITE_TEXT, let text = text(statement, index),
                  let value = column.type == .date ? TimeText.parseDate(text) : TimeText.parseTimestamp(text) else { return false }
            column.append(value)
        case .string, .null, .struct, .array, .map:
            guard let text = text(statement, index) else { return false }
            column.append(text)
        }
        return true
    }

    /// `body` over the value's text bytes, without making a String.
    private static func withText<T>(_ statement: OpaquePointer, _ index: Int32, _ body: (UnsafeRawBufferPointer) -> T?) -> T? {
        guard let bytes = sqlite3_column_text(statement, index) else { return nil }
        return body(UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(statement, index))))
    }
}
