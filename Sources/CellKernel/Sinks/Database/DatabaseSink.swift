/// Keeps a started view's results in a database table (`START v USING sqlite|postgres
/// OPTIONS ('dbtable' = 'media', ...)`), the same way on every ``ResultDatabase``.
///
/// What a batch does to the table, by output mode:
/// - append: its rows are inserted (they are new, or final: a window the watermark closed);
/// - update: its rows replace the table's rows of the same groups, matched by the view's
///   GROUP BY keys (NULL matching NULL, as the groups do), so the table holds the current
///   result; a global aggregate's one row replaces the table's; a view without aggregation
///   inserts, as in append mode;
/// - complete: the table's rows are replaced by the batch's, which is the whole result
///   (rows a LIMIT or HAVING no longer keeps go too).
///
/// A batch is one transaction. With a checkpoint (``attach(_:)``) the transaction also
/// records the batch id in the log table `_cells_batches` (one row per sink: the
/// checkpoint's identity and `dbtable`), and a batch whose id is not above the logged one is
/// skipped: a batch run again after a crash finds itself logged, or finds nothing of itself
/// in the table. That makes the sink exactly-once; without a checkpoint it is at-least-once.
///
/// At START the table is created if absent, with the database's types for the view's columns
/// (and an index on the keys for update mode); an existing table must have the view's
/// columns, in order. A window column is the window's start, a TIMESTAMP, as cells shows it
/// (`window.end AS window_end` adds the end); STRUCT, ARRAY and MAP columns have no column
/// type and are refused with a hint (`to_json`).
final class DatabaseSink: QuerySink {
    let connector: DatabaseConnector
    let database: any ResultDatabase
    /// `dbtable`, as the user wrote it.
    let table: String
    /// The view's output with the table's spelling of each column name.
    let tableSchema: Schema
    let writes: Writes
    /// The sink's row in `_cells_batches`, set by ``attach(_:)``.
    var logKey: String?
    /// How long a batch keeps retrying a database that is locked or gone before the query fails.
    var retryLimit: Duration = .seconds(60)
    /// The first wait between retries; each next one doubles, up to ``longestRetryDelay``.
    var firstRetryDelay: Duration = .milliseconds(100)
    static let longestRetryDelay: Duration = .seconds(5)

    /// The table of the batch log: `sink TEXT PRIMARY KEY, batch_id BIGINT`.
    static let logTable = "_cells_batches"

    /// What each batch does to the table (see the type's documentation).
    enum Writes: Sendable, Equatable {
        /// Insert the batch's rows.
        case insert
        /// Replace the rows whose key columns (output columns, never empty) match a batch row's.
        case upsert(keys: [Int])
        /// Replace the table's rows by the batch's, unless the batch is empty (update mode
        /// of a global aggregate: no row means no change).
        case replaceUnlessEmpty
        /// Replace the table's rows by the batch's, whatever it holds (complete mode).
        case replace
    }

    /// Checks the options and the view's columns, opens the database and makes sure the table
    /// is there with the view's columns. Throws a ``SinkError`` pointing at the option at fault.
    init(connector: DatabaseConnector, options: [String: String], schema: Schema, mode: OutputMode, keys: ResultKeys) throws {
        self.connector = connector
        try OptionValues.forSink { try connector.checkOptions(options, what: "the sink") }
        let table = try OptionValues.forSink { try connector.table(in: options, what: "the sink") }
        let writes = try Self.writes(mode: mode, keys: keys, sink: connector.name)
        try Self.checkColumns(schema, sink: connector.name)
        let database: any ResultDatabase
        do {
            database = try connector.open(options, true)
        } catch {
            throw SinkError("\(connector.name) sink: \(error.message)", hint: error.hint,
                            option: error.kind == .invalid ? options.spelled(connector.placeOption)?.name : nil)
        }
        do {
            tableSchema = try Self.prepareTable(table, in: database, for: schema, writes: writes)
        } catch {
            database.close()
            throw SinkError("\(connector.name) sink: \(error.message)", hint: error.hint,
                            option: error.kind == .invalid ? options.spelled("dbtable")?.name : nil)
        }
        self.database = database
        self.table = table
        self.writes = writes
    }

    var guarantee: DeliveryGuarantee { logKey == nil ? .atLeastOnce : .exactlyOnce }

    func close() throws { database.close() }

    /// What update mode can do with the view's keys; an error when the output lacks a key.
    static func writes(mode: OutputMode, keys: ResultKeys, sink: String) throws -> Writes {
        switch (mode, keys) {
        case (.append, _), (.update, .none): return .insert
        case (.complete, _): return .replace
        case (.update, .columns(let columns)): return columns.isEmpty ? .replaceUnlessEmpty : .upsert(keys: columns)
        case (.update, .incomplete(_, let missing)):
            throw SinkError("\(sink) sink: update mode replaces a group's row by the view's GROUP BY keys, and \(missing == 1 ? "one of them is" : "\(missing) of them are") not among the view's columns",
                            hint: "select every GROUP BY key as it is (a window as `window`, not only `window.end`), or use OUTPUT MODE complete")
        }
    }

    /// Refuses columns no database table can hold, and names two columns cannot share.
    static func checkColumns(_ schema: Schema, sink: String) throws {
        var seen: [String: String] = [:]
        for field in schema.fields {
            if field.type.isNested {
                throw SinkError("\(sink) sink: column '\(field.name)' is \(field.type), which a \(sink) column cannot hold",
                                hint: "select to_json(\(field.name)) AS \(field.name), or its fields one by one (\(field.name).x AS \(field.name)_x)")
            }
            if field.name.isEmpty || field.name.unicodeScalars.contains("\0") {
                throw SinkError("\(sink) sink: a column named '\(field.name)' cannot be a table column", hint: "name it with AS")
            }
            let folded = field.name.lowercased()
            if let other = seen[folded] {
                throw SinkError("\(sink) sink: the view has two columns named '\(other)' and '\(field.name)', which one table cannot hold",
                                hint: "rename one with AS")
            }
            seen[folded] = field.name
        }
    }

    /// Creates the table when it is absent; checks an existing one's columns. Returns the view's
    /// schema with the table's spelling of each name (which PostgreSQL's quoted names need).
    static func prepareTable(_ table: String, in database: any ResultDatabase, for schema: Schema,
                             writes: Writes) throws(DatabaseError) -> Schema {
        let names = schema.fields.map(\.name)
        var spelled = schema
        if let existing = try database.columns(of: table) {
            let theirs = existing.map(\.name)
            guard theirs.count == names.count, zip(theirs, names).allSatisfy({ $0.caseInsensitiveCompare($1) }) else {
                throw DatabaseError(.invalid, differentColumns(table, in: database.place, theirs: theirs, ours: names),
                                    hint: "drop the table (DROP TABLE \(table)) to have it made again with the view's columns, or choose another 'dbtable'")
            }
            for index in spelled.fields.indices { spelled.fields[index].name = theirs[index] }
        } else {
            var definitions: [String] = []
            for field in schema.fields {
                guard let type = database.columnType(for: field.type) else {
                    throw DatabaseError(.invalid, "column '\(field.name)' is \(field.type), which \(database.place) cannot hold",
                                        hint: "select to_json(\(field.name)) AS \(field.name)")
                }
                definitions.append("\(database.quoted(identifier: field.name)) \(type)")
            }
            try database.execute("CREATE TABLE IF NOT EXISTS \(database.quoted(table: table)) (\(definitions.joined(separator: ", ")))")
        }
        if case .upsert(let keys) = writes {
            // Each batch row finds its group's row by the keys: without an index, by reading the table.
            let columns = keys.map { database.quoted(identifier: spelled.fields[$0].name) }.joined(separator: ", ")
            try database.execute("CREATE INDEX IF NOT EXISTS \(database.quoted(identifier: table + "_cells_keys")) ON \(database.quoted(table: table)) (\(columns))")
        }
        return spelled
    }

    /// "the table media in results.db has columns k, n, extra, not the view's k, n, total:
    /// missing total; not in the view: extra".
    static func differentColumns(_ table: String, in place: String, theirs: [String], ours: [String]) -> String {
        func contains(_ names: [String], _ name: String) -> Bool { names.contains { $0.caseInsensitiveCompare(name) } }
        let missing = ours.filter { !contains(theirs, $0) }
        let extra = theirs.filter { !contains(ours, $0) }
        var text = "the table \(table) in \(place) has columns \(theirs.joined(separator: ", ")), not the view's \(ours.joined(separator: ", "))"
        if !missing.isEmpty { text += "; missing: \(missing.joined(separator: ", "))" }
        if !extra.isEmpty { text += "; not in the view: \(extra.joined(separator: ", "))" }
        if missing.isEmpty && extra.isEmpty { text += " (the same names in another order)" }
        return text
    }
}
