/// A kind of ``ResultDatabase`` by name (`sqlite`, `postgres`): what `START ... USING name`
/// writes a view's results to and `CREATE TABLE ... USING name` reads a table from. The
/// semantics are the sink's and the table reader's, the same for every database; a database
/// brings only its options and how to open it, and one registration in ``ConnectorRegistry``
/// makes it both a sink and a kind of table.
struct DatabaseConnector: Sendable {
    var name: String
    /// Its options besides `dbtable`, lower-cased: `path` for SQLite; `url`, `user`,
    /// `password` for PostgreSQL.
    var options: Set<String>
    /// The option that says where the database is (`path`, `url`): errors about opening it
    /// point there, and SHOW TABLES shows its value.
    var placeOption: String
    /// An example of the options, for hints: `'path' = 'results.db'`.
    var example: String
    /// Opens a connection with the user's options (keys as spelled). For writing a sink may
    /// create what is missing (SQLite's file); a table reader never creates anything.
    var open: @Sendable (_ options: [String: String], _ forWriting: Bool) throws(DatabaseError) -> any ResultDatabase

    /// The embedded default: one file, nothing to install.
    static let sqlite = DatabaseConnector(name: "sqlite", options: SQLiteDatabase.options, placeOption: "path",
                                          example: "'path' = 'results.db'") { options, forWriting throws(DatabaseError) in
        try SQLiteDatabase(options: options, forWriting: forWriting)
    }

    /// Every option either form takes.
    var knownOptions: Set<String> { options.union(["dbtable"]) }

    /// Fails at the first option the database does not take (a typo would otherwise be
    /// ignored). Errors are the sources' (``OptionValues/forSink(_:)`` makes them a sink's).
    func checkOptions(_ options: [String: String], what: String) throws(SourceError) {
        for key in options.keys.sorted() where !knownOptions.contains(key.lowercased()) {
            throw SourceError("unknown option '\(key)' for \(what) \(name)",
                              hint: "options: \(knownOptions.sorted().joined(separator: ", "))", option: key)
        }
    }

    /// `dbtable`, checked: present, not blank, no NUL (which would cut the SQL text short).
    func table(in options: [String: String], what: String) throws(SourceError) -> String {
        guard let (key, table) = options.spelled("dbtable") else {
            throw SourceError("\(what) \(name) needs 'dbtable', the table's name",
                              hint: "add OPTIONS (\(example), 'dbtable' = 'results')")
        }
        guard !table.allSatisfy(\.isWhitespace), !table.unicodeScalars.contains("\0") else {
            throw SourceError("'dbtable' must name a table, not '\(table)'", hint: "e.g. 'dbtable' = 'results'", option: key)
        }
        return table
    }
}
