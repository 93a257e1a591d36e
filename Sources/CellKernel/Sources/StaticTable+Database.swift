/// How `CREATE TABLE t USING sqlite|postgres` reads a database's table: given by the
/// connectors, since the databases sit with the sinks, above the sources.
struct DatabaseTableSource: Sendable {
    /// As USING names it.
    var name: String
    /// The options it accepts, lower-cased (`dbtable` among them).
    var options: Set<String>
    /// Checks the options without opening the database; returns where the database is (its
    /// path or URL, for SHOW TABLES and DESCRIBE).
    var check: @Sendable (_ options: [String: String]) throws(SourceError) -> String
    /// Opens the database, reads the table whole with the types its columns are declared
    /// with, and closes the database.
    var read: @Sendable (_ options: [String: String]) throws(SourceError) -> Batch
}
