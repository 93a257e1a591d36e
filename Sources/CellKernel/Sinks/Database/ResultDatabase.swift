/// A database that a started view's results are kept in (`START v USING sqlite|postgres`) and
/// that `CREATE TABLE t USING sqlite|postgres` reads back: SQLite through libsqlite3,
/// PostgreSQL through libpq.
///
/// One connection serves one query (or one table read), on that query's thread. The sink
/// (``DatabaseSink``) owns the semantics, identical on both: which rows go, in which
/// transaction, and the batch log that makes it exactly-once. A database owns its dialect:
/// the column types it creates, how it moves many rows fast (prepared statements for SQLite,
/// `COPY` for PostgreSQL), how NULL keys compare.
protocol ResultDatabase: AnyObject {
    /// The database as errors name it: a file path, or `postgresql://user@host:port/db`
    /// (never a password).
    var place: String { get }

    /// The column type a column of `type` is created with (Spark's JDBC types where Spark has
    /// them: BIGINT, INTEGER, DOUBLE PRECISION, TEXT, BOOLEAN, TIMESTAMP, DATE, NUMERIC(p,s));
    /// nil when the database cannot hold such values (nested types).
    func columnType(for type: SQLType) -> String?

    /// The table's columns in order, as the database declares them; nil when there is no such
    /// table. `table` is as the user wrote `dbtable` (PostgreSQL: perhaps `schema.table`).
    func columns(of table: String) throws(DatabaseError) -> [DatabaseColumn]?

    /// Runs statements that return no rows (CREATE TABLE, BEGIN, COMMIT, ROLLBACK, DELETE).
    func execute(_ sql: String) throws(DatabaseError)

    /// Starts the transaction a batch is written in. The default runs `BEGIN`; SQLite takes
    /// its write lock at once (`BEGIN IMMEDIATE`), so that a busy file is found here, where
    /// waiting and retrying is safe, rather than midway through the batch.
    func beginTransaction() throws(DatabaseError)

    /// `name` as one identifier in the dialect's SQL (a column, an index). The default quotes
    /// as standard SQL does, which SQLite and PostgreSQL share: `"a""b"`.
    func quoted(identifier name: String) -> String

    /// `dbtable` as the dialect names that table in SQL. The default is one quoted identifier;
    /// PostgreSQL may read `schema.table` as two.
    func quoted(table: String) -> String

    /// A small query's rows, each value as the database's text or NULL (the batch log).
    func query(_ sql: String) throws(DatabaseError) -> [[String?]]

    /// Adds the batch's rows to `table`, whose columns are the batch's, in order. With `keys`
    /// (column indexes, never empty when given), the table's rows whose key columns equal a
    /// batch row's (NULL equal to NULL) go first: an upsert that also works for NULL keys.
    /// Runs inside the caller's transaction.
    func write(_ batch: Batch, into table: String, replacingOn keys: [Int]?) throws(DatabaseError)

    /// The whole table as a batch of `schema` (``DatabaseColumn/sqlType`` of its columns).
    func read(_ table: String, schema: Schema) throws(DatabaseError) -> Batch

    /// Checked while a call waits on the database or works through many rows: true gives the
    /// call up with an ``DatabaseError/Kind/unreachable`` error (Ctrl-C, STOP), the caller's
    /// transaction then rolled back. The sink sets it around each batch.
    var shouldStop: () -> Bool { get set }

    func close()
}

extension ResultDatabase {
    func beginTransaction() throws(DatabaseError) { try execute("BEGIN") }

    func quoted(identifier name: String) -> String {
        var text = "\""
        for scalar in name.unicodeScalars {
            if scalar == "\"" { text += "\"\"" } else { text.unicodeScalars.append(scalar) }
        }
        return text + "\""
    }

    func quoted(table: String) -> String { quoted(identifier: table) }
}

/// A column of a database table, as the database declares it.
struct DatabaseColumn: Sendable, Hashable {
    var name: String
    /// As the database spells it: `BIGINT`, `double precision`, `TEXT`.
    var declaredType: String
    /// The cells type its values read back as (`CREATE TABLE ... USING`); nil for a type
    /// cells does not read (then reading the table is an error naming the column).
    var sqlType: SQLType?
}

/// A database that cannot be reached, or refused a statement: what, where, and what to do.
struct DatabaseError: Error, Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        /// Nothing answers, or the connection went away: worth retrying.
        case unreachable
        /// The server answered no (a bad statement, a constraint, a permission).
        case refused
        /// The options or the table do not fit (other columns, a nested type).
        case invalid
    }
    var kind: Kind
    var message: String
    var hint: String?

    init(_ kind: Kind, _ message: String, hint: String? = nil) {
        self.kind = kind
        self.message = message
        self.hint = hint
    }

    var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
