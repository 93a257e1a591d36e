/// SET ENGINE, and what another engine needs of the catalog: a started view's definitions
/// in the order they must be re-created, each query as Spark SQL.
extension CellSession {
    // MARK: Engines

    /// Switches where later STARTs run. Queries running in the background stay on the engine
    /// they run on, so the switch waits until they are stopped.
    func setEngine(_ choice: EngineChoice) throws {
        try useEngine(choice.address, at: choice.location)
    }

    /// `cells --engine ADDRESS`, `$CELLS_ENGINE`, `SET ENGINE`: `local` or an address the
    /// resolver knows.
    public func useEngine(_ address: String) throws(CellError) {
        try reporting(source: address, file: nil) { try useEngine(address, at: nil) }
    }

    private func useEngine(_ address: String, at location: SourceLocation?) throws {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        if !queries.background.isEmpty {
            let running = queries.background.values.map(\.name).sorted().joined(separator: ", ")
            throw location.map { SQLError("queries run in the background on \(backend.name): \(running)", at: $0, hint: "STOP them first, then SET ENGINE") }
                ?? CellError.runtime("queries run in the background on \(backend.name): \(running); STOP them first")
        }
        let next: any ExecutionBackend
        if trimmed.lowercased() == "local" {
            next = LocalBackend(connectors: connectors)
        } else {
            guard let engineResolver else {
                let why = "this cells was built without Spark Connect, so only the local engine runs here"
                let hint = "build it with `make spark` (swift build --traits SparkConnect), or SET ENGINE local"
                throw location.map { SQLError(why, at: $0, hint: hint) } ?? CellError.runtime("\(why): \(hint)")
            }
            next = try engineResolver(trimmed)
        }
        backend.close()
        backend = next
        output(.message("engine: \(next.summary)"))
    }

    /// Stops every background query and lets go of the engine: a shell's exit.
    public func close() {
        queries.stopAll()
        backend.close()
    }

    /// The definitions `view` reads, streams first, then views in dependency order with
    /// `view` last: what an engine that binds SQL itself re-creates.
    func foreignDefinitions(of view: Catalog.View) throws -> ForeignDefinitions {
        var streams: [ForeignDefinitions.Stream] = [], views: [ForeignDefinitions.View] = []
        var done: Set<String> = []
        func visit(_ view: Catalog.View) throws {
            for name in view.query.relationNames where !done.contains(name.name.lowercased()) {
                let key = name.name.lowercased()
                done.insert(key)
                if let inner = catalog.views[key] {
                    try visit(inner)
                } else if let stream = catalog.streams[key], let syntax = catalog.streamSyntax[key] {
                    streams.append(try foreign(stream, syntax))
                } else if catalog.tables[key] != nil {
                    throw SQLError("'\(name.name)' is a static table (CREATE TABLE): joins with static tables run only on the local engine",
                                   at: name.location, hint: "SET ENGINE local to run this view")
                }
            }
            views.append(ForeignDefinitions.View(name: view.name, sql: try view.query.namingItsColumns.sparkSQL(), place: view.place))
        }
        try visit(view)
        return ForeignDefinitions(streams: streams, views: views)
    }

    private func foreign(_ stream: StreamDefinition, _ syntax: Catalog.StreamSyntax) throws -> ForeignDefinitions.Stream {
        let create = syntax.create
        guard let source = catalog.sources[stream.sourceName.lowercased()] else {
            throw CellError.runtime("the source \(stream.sourceName) of \(stream.name) no longer exists")
        }
        if stream.mode == .dropMalformed, let option = create.options.option("mode") {
            throw SQLError("mode DROPMALFORMED runs only on the local engine: Spark's from_json keeps or fails a malformed record, it cannot drop it",
                           at: option.valueLocation, hint: "use PERMISSIVE (the default) and filter on the corrupt-record column, or SET ENGINE local")
        }
        var columns: [ForeignDefinitions.Stream.Column] = []
        for column in stream.columns {
            let quoted = sparkIdentifier(column.name)
            switch column.origin {
            case .json, .corruptRecord:
                columns.append(.init(name: column.name, type: column.type, expression: "`record`.\(quoted)", isComputed: false))
            case .kafka(let field):
                let raw = sparkIdentifier(field.rawValue)
                let expression = field == .key || field == .value ? "CAST(\(raw) AS STRING)" : raw
                columns.append(.init(name: column.name, type: column.type, expression: expression, isComputed: false))
            case .computed:
                guard let written = create.columns.first(where: { $0.name.name.caseInsensitiveCompare(column.name) })?.expression else {
                    throw CellError.runtime("the computed column \(column.name) of \(stream.name) has no expression")
                }
                columns.append(.init(name: column.name, type: column.type, expression: try written.sparkSQL(), isComputed: true))
            }
        }
        var decoderOptions: [String: String] = [:]
        for option in create.options { decoderOptions[option.key] = option.value }
        let watermark = create.watermark.map { (column: $0.column.name, delay: $0.delay) }
        return ForeignDefinitions.Stream(name: stream.name, source: source, format: create.format.name.lowercased(),
                                         recordDDL: stream.sparkRecordDDL, decoderOptions: decoderOptions,
                                         columns: columns, watermark: watermark, place: syntax.place)
    }
}

extension StreamDefinition {
    /// What `from_json` reads a record as, in Spark's DDL: the record's own fields and the
    /// corrupt-record column, in order ("`name` STRING, `value` DOUBLE"); computed columns
    /// and Kafka's fields are not in the record.
    var sparkRecordDDL: String {
        columns.compactMap { column -> String? in
            switch column.origin {
            case .json, .corruptRecord: sparkIdentifier(column.name) + " " + column.type.sparkDDL
            case .kafka, .computed: nil
            }
        }.joined(separator: ", ")
    }
}

extension Query {
    /// The query with each unnamed select item named as cells names it: another engine then
    /// names the view's columns as cells printed them at CREATE VIEW, even where its own
    /// generated names differ (Spark 4 names `x BETWEEN a AND b` otherwise than Spark 3).
    var namingItsColumns: Query {
        var query = self
        func name(_ select: inout Select) {
            for index in select.items.indices where select.items[index].alias == nil && select.items[index].aliases.isEmpty {
                if case .star = select.items[index].expression.kind { continue }
                let item = select.items[index]
                select.items[index].alias = Identifier(item.columnName, at: item.expression.location)
            }
        }
        name(&query.select)
        for index in query.unionAll.indices { name(&query.unionAll[index]) }
        return query
    }

    /// The names this query reads (FROM, JOIN, inside subqueries and common table
    /// expressions, and UNION ALL's selects), each once, in the order written; the names of
    /// its own common table expressions are not among them.
    var relationNames: [Identifier] {
        var names: [Identifier] = [], seen: Set<String> = []
        // A common table expression sees those before it; the main query sees them all.
        var local: Set<String> = []
        func add(_ name: Identifier) {
            let key = name.name.lowercased()
            if !local.contains(key), seen.insert(key).inserted { names.append(name) }
        }
        func add(_ reference: TableReference) {
            if let subquery = reference.subquery {
                subquery.relationNames.forEach(add)
            } else {
                add(reference.name)
            }
            for join in reference.joins { add(join.right) }
        }
        for cte in with {
            cte.query.relationNames.forEach(add)
            local.insert(cte.name.name.lowercased())
        }
        for select in [select] + unionAll { add(select.from) }
        return names
    }
}
