/// A database's table read back whole, as a static table (`CREATE TABLE t USING sqlite
/// OPTIONS ('path' = 'results.db', 'dbtable' = 'media')`; REFRESH TABLE reads it again).
extension DatabaseConnector {
    var tableSource: DatabaseTableSource {
        DatabaseTableSource(name: name, options: knownOptions,
                            check: { options throws(SourceError) in try checkTable(options) },
                            read: { options throws(SourceError) in try readTable(options) })
    }

    /// The options checked; where the database is.
    func checkTable(_ options: [String: String]) throws(SourceError) -> String {
        _ = try table(in: options, what: "a table")
        guard let (key, place) = options.spelled(placeOption) else {
            throw SourceError("a \(name) table needs '\(placeOption)'", hint: "add OPTIONS (\(example), 'dbtable' = 'customers')")
        }
        guard !place.allSatisfy(\.isWhitespace) else {
            throw SourceError("'\(key)' must not be empty", hint: "e.g. \(example)", option: key)
        }
        return place
    }

    /// The table's rows, typed as its columns are declared (``DatabaseColumn/sqlType``).
    func readTable(_ options: [String: String]) throws(SourceError) -> Batch {
        let table = try table(in: options, what: "a table")
        let database: any ResultDatabase
        do {
            database = try open(options, false)
        } catch {
            throw SourceError(error.message, hint: error.hint, option: error.kind == .invalid ? options.spelled(placeOption)?.name : nil)
        }
        defer { database.close() }
        func failed(_ error: DatabaseError) -> SourceError {
            SourceError("cannot read \(table) in \(database.place): \(error.message)", hint: error.hint)
        }
        let declared: [DatabaseColumn]?
        do { declared = try database.columns(of: table) } catch { throw failed(error) }
        guard let declared else {
            throw SourceError("no table \(table) in \(database.place)",
                              hint: "check 'dbtable'; a \(name) sink creates its table when its query starts",
                              option: options.spelled("dbtable")?.name)
        }
        var fields: [Schema.Field] = []
        for column in declared {
            guard let type = column.sqlType else {
                throw SourceError("column \(column.name) of \(table) is \(column.declaredType), which cells does not read",
                                  hint: "read the table through a view in the database that leaves it out or casts it to TEXT")
            }
            fields.append(Schema.Field(name: column.name, type: type))
        }
        do { return try database.read(table, schema: Schema(fields)) } catch { throw failed(error) }
    }
}
