/// `CREATE [OR REPLACE] TABLE name USING file|csv OPTIONS ('path' = '...', ...) [SCHEMA (c TYPE, ...)]`:
/// a static table, read from a file once per CREATE and per `REFRESH TABLE`.
struct CreateTable: Hashable, Sendable {
    /// The name SELECTs (and stream-static joins) read the table by.
    var name: Identifier
    /// `file` (JSON lines, as the file source's records) or `csv`: checked by the catalog.
    var format: Identifier
    /// Reader settings: `path` (required), and for CSV `header`, `delimiter`, `inferSchema`...
    var options: [SQLOption]
    /// The declared columns; `nil` to infer them from the data (CSV only).
    var columns: [TableColumn]?
    /// `CREATE OR REPLACE`: replacing an existing table is allowed.
    var orReplace: Bool

    /// A table definition, as the parser builds it.
    init(name: Identifier, format: Identifier, options: [SQLOption] = [], columns: [TableColumn]? = nil, orReplace: Bool = false) {
        self.name = name
        self.format = format
        self.options = options
        self.columns = columns
        self.orReplace = orReplace
    }
}

/// A declared column of a static table: a name and a type (no computed columns: a table is
/// read once, so a view over it computes whatever it needs).
struct TableColumn: Hashable, Sendable {
    var name: Identifier
    var type: SQLType
}
