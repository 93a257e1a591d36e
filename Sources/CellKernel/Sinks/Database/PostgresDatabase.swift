/// PostgreSQL as a ``ResultDatabase``, through libpq: a view's results kept in a table
/// (`START v USING postgres OPTIONS ('url' = ..., 'dbtable' = ...)`), and a table read back
/// (`CREATE TABLE t USING postgres`). The connection options are Spark's JDBC ones (see
/// ``PostgresSettings``); every call is bounded by a deadline (see ``PostgresConnection``).
///
/// Many rows move with `COPY ... FROM STDIN` in its text format: appended rows straight into
/// the table, upserted rows into a temporary table first, from which one DELETE joined on the
/// keys removes the rows they replace and one INSERT adds them.
final class PostgresDatabase: ResultDatabase {
    let connection: PostgresConnection

    /// Connects with the connection options among `options` (`url`, `user`, `password`,
    /// `connectTimeout`, `queryTimeout`).
    init(options: [String: String]) throws(DatabaseError) {
        connection = try PostgresConnection(settings: PostgresSettings(options: options))
    }

    var place: String { connection.place }

    /// Checked while a call waits on the server: true gives the call up (Ctrl-C, STOP), so
    /// that nothing waits past a stop for longer than a fraction of a second.
    var shouldStop: () -> Bool {
        get { connection.shouldStop }
        set { connection.shouldStop = newValue }
    }

    /// Spark's PostgreSQL dialect's types.
    func columnType(for type: SQLType) -> String? {
        switch type {
        case .string, .null: "TEXT"
        case .boolean: "BOOLEAN"
        case .int: "INTEGER"
        case .bigint: "BIGINT"
        case .float: "REAL"
        case .double: "DOUBLE PRECISION"
        case .decimal(let precision, let scale): "NUMERIC(\(precision),\(scale))"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .struct, .array, .map: nil
        }
    }

    func execute(_ sql: String) throws(DatabaseError) {
        try connection.run(sql, doing: Self.describe(sql))
    }

    func query(_ sql: String) throws(DatabaseError) -> [[String?]] {
        let result = try connection.run(sql, doing: Self.describe(sql))
        return (0..<result.rowCount).map { row in (0..<result.columnCount).map { result.string(row: row, column: $0) } }
    }

    func write(_ batch: Batch, into table: String, replacingOn keys: [Int]?) throws(DatabaseError) {
        let name = try PostgresTableName(table)
        guard batch.count > 0 else { return }
        if let keys, keys.contains(where: { !batch.schema.fields.indices.contains($0) }) {
            throw DatabaseError(.invalid, "the keys \(keys) of table \(name) are not columns of the batch")
        }
        let columns = batch.schema.fields.map { PostgresTableName.quoted($0.name) }.joined(separator: ", ")
        let what = "writing table \(name)"
        try inTransaction(doing: what) { () throws(DatabaseError) in
            guard let keys, !keys.isEmpty else {
                try copy(batch, into: "\(name.sql) (\(columns))", table: name, doing: what)
                return
            }
            let staged = "pg_temp.cells_rows"
            try connection.run("DROP TABLE IF EXISTS \(staged)", doing: what)
            // The table's own column types, without its constraints or defaults.
            try connection.run("CREATE TEMP TABLE cells_rows ON COMMIT DROP AS SELECT \(columns) FROM \(name.sql) WITH NO DATA",
                               doing: what)
            try copy(batch, into: "\(staged) (\(columns))", table: name, doing: what)
            let keyNames = keys.map { PostgresTableName.quoted(batch.schema.fields[$0].name) }
            // Plain equality lets PostgreSQL hash the join (or use an index on the keys); NULL
            // keys, which equality never matches, are deleted apart, and only when there are any.
            try connection.run("DELETE FROM \(name.sql) AS t USING \(staged) AS s WHERE "
                               + keyNames.map { "t.\($0) = s.\($0)" }.joined(separator: " AND "), doing: what)
            if keys.contains(where: { batch.columns[$0].hasNulls }) {
                try connection.run("DELETE FROM \(name.sql) AS t USING \(staged) AS s WHERE ("
                                   + keyNames.map { "s.\($0) IS NULL" }.joined(separator: " OR ") + ") AND "
                                   + keyNames.map { "t.\($0) IS NOT DISTINCT FROM s.\($0)" }.joined(separator: " AND "),
                                   doing: what)
            }
            try connection.run("INSERT INTO \(name.sql) (\(columns)) SELECT \(columns) FROM \(staged)", doing: what)
            try connection.run("DROP TABLE \(staged)", doing: what)
        }
    }

    func close() { connection.close() }

    /// `dbtable` read as PostgreSQL reads it: `analytics.events` is a table in a schema.
    func quoted(table: String) -> String {
        (try? PostgresTableName(table))?.sql ?? quoted(identifier: table)
    }

    /// `COPY target FROM STDIN` with the batch's rows.
    private func copy(_ batch: Batch, into target: String, table: PostgresTableName, doing what: String) throws(DatabaseError) {
        var text = PostgresCopyText(batch, table: table)
        try connection.copy("COPY \(target) FROM STDIN", doing: what) { (buffer: inout [UInt8]) throws(DatabaseError) -> Bool in
            try text.next(into: &buffer, limit: PostgresConnection.chunkSize)
        }
    }

    /// Runs `body` in the caller's transaction, or in one of its own when there is none, so
    /// that a write is whole or not at all either way.
    private func inTransaction(doing what: String, _ body: () throws(DatabaseError) -> Void) throws(DatabaseError) {
        guard !connection.inTransaction else { return try body() }
        // Not the caller's lost transaction's rows committed on their own.
        try connection.checkTransactionNotLost()
        try connection.run("BEGIN", doing: what)
        do {
            try body()
            try connection.run("COMMIT", doing: what)
        } catch {
            _ = try? connection.run("ROLLBACK", doing: what)
            throw error
        }
    }

    /// What a statement was for, in errors: its first words.
    private static func describe(_ sql: String) -> String {
        let words = sql.split(whereSeparator: \.isWhitespace).prefix(8).joined(separator: " ")
        return "running `\(words.count > 100 ? words.prefix(100) + "…" : words)`"
    }
}

extension DatabaseConnector {
    /// A PostgreSQL server, through libpq.
    static let postgres = DatabaseConnector(name: "postgres", options: PostgresSettings.options, placeOption: "url",
                                            example: "'url' = 'postgresql://user@localhost:5432/db'") { options, _ throws(DatabaseError) in
        try PostgresDatabase(options: options)
    }
}
