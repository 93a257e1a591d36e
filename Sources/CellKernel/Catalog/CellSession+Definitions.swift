import KafkaBridge

/// CREATE SOURCE, STREAM and VIEW: what a name means, checked now rather than at START.
extension CellSession {
    // MARK: Definitions

    func checkNew(_ name: Identifier, orReplace: Bool, isTable: Bool = false) throws(SQLError) {
        let key = name.name.lowercased()
        if orReplace, !isTable, catalog.tables[key] != nil {
            throw SQLError("'\(name.name)' is a table", at: name.location, length: name.name.count,
                           hint: "DROP TABLE \(name.name) first, or choose another name")
        }
        if !orReplace, catalog.isDefined(key) {
            throw SQLError("'\(name.name)' already exists", at: name.location, length: name.name.count,
                           hint: "use CREATE OR REPLACE, or another name")
        }
        if queries.isRunning(key) {
            throw SQLError("'\(name.name)' is running", at: name.location, hint: "STOP \(name.name) first")
        }
    }

    func createSource(_ create: CreateSource) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        guard let connector = connectors.sources[create.connector.name.lowercased()] else {
            throw SQLError("unknown source type \(create.connector.name)", at: create.connector.location,
                           hint: connectors.sourceHint)
        }
        let options = Dictionary(create.options.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        let summary: String
        if backend.readsDefinitions {
            // Another engine reads the source itself, from where it runs: the brokers or the
            // path need not be reachable from here, and it checks them at START.
            summary = "\(connector.name), read by \(backend.name)"
        } else {
            // Connecting now checks the broker and topic, so a typo shows up here, not at START.
            let opened = try atOption(create.options) { try connector.open(options) }
            summary = opened.summary
            opened.close()
        }
        catalog.define(SourceDefinition(name: create.name.name, connector: connector.name, options: options))
        output(.message("source \(create.name.name): \(summary)"))
    }

    func createStream(_ create: CreateStream, place: ForeignDefinitions.Place) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        guard let source = catalog.sources[create.source.name.lowercased()] else {
            throw SQLError("unknown source '\(create.source.name)'", at: create.source.location,
                           hint: catalog.sources.isEmpty ? "CREATE SOURCE it first" : "sources: \(catalog.sources.values.map(\.name).sorted().joined(separator: ", "))")
        }
        let isKafka = connectors.sources[source.connector.lowercased()]?.isKafka ?? false
        let stream = try StreamPlanner().plan(create, sourceIsKafka: isKafka)
        catalog.define(stream, syntax: Catalog.StreamSyntax(create: create, place: place))
        let declared = stream.columns.filter { if case .kafka = $0.origin { false } else { true } }
        output(.message("stream \(stream.name): \(declared.map { "\($0.name) \($0.type)" }.joined(separator: ", "))"))
    }

    func createView(_ create: CreateView, place: ForeignDefinitions.Place) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        let plan = try streamingBinder.bind(create.query)
        // A view is a stream's query: static tables join a stream, they are not one (Spark's
        // writeStream needs a streaming Dataset too).
        if plan.streams.isEmpty {
            var tables: [String] = []
            plan.forEachNode { if case .tableScan(let name, _) = $0.operation { tables.append(name) } }
            let table = create.query.select.from.name
            throw SQLError("'\(tables.first ?? table.name)' is a static table, not a stream: a view reads at least one stream",
                           at: table.location, length: table.name.count,
                           hint: "SELECT reads tables at the prompt; in a view, join the table with a stream")
        }
        catalog.define(Catalog.View(name: create.name.name, query: create.query, plan: plan, place: place))
        output(.message("view \(create.name.name): \(plan.schema.fields.map { "\($0.name) \($0.type)" }.joined(separator: ", "))"))
    }

    /// Binds queries over streams and views (what a view may read).
    var streamingBinder: QueryBinder {
        QueryBinder(resolve: { [catalog] key in catalog.relation(key) }, unknown: { [catalog, queries] name in
            let key = name.name.lowercased()
            if queries.started[key] != nil {
                return SQLError("'\(name.name)' is a table (a started view's results), not a stream", at: name.location,
                                hint: "a view reads streams and other views; SELECT reads tables")
            }
            if catalog.tables[key] != nil {
                return SQLError("'\(name.name)' is a static table, not a stream", at: name.location,
                                hint: "a view reads streams and other views; SELECT reads tables")
            }
            let known = (catalog.streams.values.map(\.name) + catalog.views.values.map(\.name)).sorted()
            let suggestion = Suggestion.closest(to: name.name, among: known)
            return SQLError("unknown stream '\(name.name)'", at: name.location,
                            hint: suggestion.map { "did you mean '\($0)'?" }
                                ?? (known.isEmpty ? "CREATE STREAM it first" : "streams and views: \(known.joined(separator: ", "))"))
        })
    }

    /// Binds queries over started views' tables (SELECT at the prompt).
    var tableBinder: QueryBinder {
        QueryBinder(resolve: { [unowned self] key in
            tableSchema(key).map { .table(name: key, schema: $0) }
        }, unknown: { [catalog, tableNames] name in
            let key = name.name.lowercased()
            if catalog.streams[key] != nil {
                return SQLError("\(name.name) is a stream: it has no end to SELECT from", at: name.location,
                                hint: "CREATE VIEW v AS SELECT ... FROM \(name.name), START v, then SELECT * FROM v")
            }
            return SQLError("unknown table '\(name.name)'", at: name.location,
                            hint: tableNames.isEmpty ? "START a view first (its results become a table of the same name), or CREATE TABLE"
                                                     : "tables: \(tableNames.joined(separator: ", "))")
        })
    }
}
