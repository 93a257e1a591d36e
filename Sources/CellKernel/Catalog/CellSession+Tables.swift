/// Static tables: CREATE TABLE, REFRESH TABLE, DROP TABLE, and the one lookup every reader of
/// a table goes through (a static table or a started view's memory table).
extension CellSession {
    // MARK: Tables

    /// The rows of the table `key` (lower-cased): a static table, or a started view's results
    /// (running or stopped). Every consumer of a `.tableScan` resolves through this.
    func tableRows(_ key: String) -> Batch? {
        catalog.tables[key]?.contents.batch ?? queries.started[key]?.result
    }

    /// The columns of the table `key`, as the binder sees them.
    func tableSchema(_ key: String) -> Schema? {
        catalog.tables[key]?.contents.batch.schema ?? queries.started[key]?.result.schema
    }

    /// Every table name a SELECT may read, sorted (for hints).
    var tableNames: [String] {
        (catalog.tables.values.map(\.name) + queries.started.values.map(\.name)).uniqued().sorted()
    }

    func createTable(_ create: CreateTable) throws {
        let key = create.name.name.lowercased()
        if create.orReplace, catalog.isDefined(key), catalog.tables[key] == nil {
            throw SQLError("'\(create.name.name)' is not a table", at: create.name.location, length: create.name.name.count,
                           hint: "OR REPLACE replaces a table only; choose another name")
        }
        try checkNew(create.name, orReplace: create.orReplace, isTable: true)
        if queries.started[key] != nil {
            throw SQLError("'\(create.name.name)' is already a table (a started view's results)", at: create.name.location,
                           length: create.name.name.count, hint: "choose another name")
        }
        let declared = create.columns.map { Schema($0.map { Schema.Field(name: $0.name.name, type: $0.type) }) }
        let options = Dictionary(create.options.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        let spec: StaticTableSpec
        do {
            spec = try StaticTableSpec(name: create.name.name, format: create.format.name, options: options, declared: declared,
                                       databases: connectors.tableSources)
        } catch let error where error.option == nil && error.message.hasPrefix("unknown table format") {
            throw SQLError(error.message, at: create.format.location, length: create.format.name.count, hint: error.hint)
        } catch {
            guard let name = error.option, let option = create.options.option(name) else { throw error }
            throw SQLError(error.message, at: option.valueLocation, hint: error.hint)
        }
        let contents = try load(spec, options: create.options)
        catalog.define(Catalog.Table(spec: spec, contents: contents))
        output(.message(Self.summary(of: spec, contents)))
    }

    /// `REFRESH TABLE name`: reads the file (or database table) again. If it no longer reads, the table keeps
    /// its previous rows and the error says why.
    func refreshTable(_ name: Identifier) throws {
        let key = name.name.lowercased()
        guard let table = catalog.tables[key] else {
            if queries.started[key] != nil {
                throw SQLError("'\(name.name)' is a started view's table: it refreshes itself as the view runs",
                               at: name.location, length: name.name.count)
            }
            throw unknownTable(name)
        }
        let contents = try load(table.spec, options: [])
        catalog.define(Catalog.Table(spec: table.spec, contents: contents))
        output(.message(Self.summary(of: table.spec, contents)))
    }

    /// `DROP TABLE name`.
    func dropTable(_ name: Identifier) throws {
        let key = name.name.lowercased()
        guard catalog.dropTable(key) else {
            if queries.started[key] != nil {
                throw SQLError("'\(name.name)' is a started view's table, not a static table", at: name.location,
                               length: name.name.count, hint: "only tables made by CREATE TABLE can be dropped")
            }
            throw unknownTable(name)
        }
        output(.message("table \(name.name) dropped"))
    }

    private func unknownTable(_ name: Identifier) -> SQLError {
        let known = catalog.tables.values.map(\.name).sorted()
        return SQLError("unknown table '\(name.name)'", at: name.location, length: name.name.count,
                        hint: Suggestion.closest(to: name.name, among: known).map { "did you mean '\($0)'?" }
                            ?? (known.isEmpty ? "CREATE TABLE it first" : "tables: \(known.joined(separator: ", "))"))
    }

    private func load(_ spec: StaticTableSpec, options: [SQLOption]) throws -> StaticTableContents {
        do {
            return try StaticTableReader.load(spec)
        } catch {
            // A missing file points at 'path' in the CREATE; elsewhere (REFRESH) it says so.
            if let name = error.option, let option = options.option(name) {
                throw SQLError(error.message, at: option.valueLocation, hint: error.hint)
            }
            throw CellError.runtime(error.hint.map { "\(error.message)\nhint: \($0)" } ?? error.message)
        }
    }

    /// What CREATE and REFRESH print: rows, columns, and the bad rows if any.
    static func summary(of spec: StaticTableSpec, _ contents: StaticTableContents) -> String {
        let batch = contents.batch
        var text = "table \(spec.name): \(batch.count) row\(batch.count == 1 ? "" : "s"), "
            + batch.schema.fields.map { "\($0.name) \($0.type)" }.joined(separator: ", ")
        if contents.inferred { text += " (types inferred)" }
        if contents.badRows > 0 {
            text += "\n\(contents.badRows) bad row\(contents.badRows == 1 ? "" : "s") read with NULLs"
                + (contents.firstBadRow.map { "; the first: \($0)" } ?? "")
        }
        return text
    }
}
