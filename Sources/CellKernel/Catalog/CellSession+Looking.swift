import KafkaBridge

/// SELECT over tables, EXPLAIN, SHOW and DESCRIBE.
extension CellSession {
    // MARK: Looking

    /// SELECT over started views' result tables.
    func query(_ query: Query) throws {
        // On an engine of its own, the started views' tables live there: the query runs there,
        // unless it reads the session's own static tables.
        if backend.readsDefinitions, !query.relationNames.contains(where: { catalog.tables[$0.name.lowercased()] != nil }),
           let result = try backend.select(sparkSQL: query.sparkSQL()) {
            let names = result.schema.fields.map(\.name)
            output(.table(ResultTable(names: names, columns: result.columns, text: ConsoleTable().render(names: names, columns: result.columns))))
            return
        }
        let plan = try tableBinder.bind(query)
        let result = try TableQuery.run(plan) { [unowned self] name in tableRows(name) }
        let names = plan.schema.fields.map(\.name)
        output(.table(ResultTable(names: names, columns: result.columns, text: ConsoleTable().render(names: names, columns: result.columns))))
    }

    /// EXPLAIN: a view (or a query over streams) as START would run it, or a SELECT over
    /// tables; the logical plan, then the physical one.
    func explain(_ target: ExplainTarget) throws {
        let logical: LogicalPlan
        switch target {
        case .view(let name):
            if let view = catalog.views[name.name.lowercased()] {
                logical = view.plan
            } else if tableSchema(name.name.lowercased()) != nil {
                logical = try tableBinder.bind(Query(Select(items: [SelectItem(SQLExpression(.star(qualifier: nil), at: name.location))],
                                                            from: TableReference(name: name), at: name.location)))
            } else {
                throw SQLError("unknown view '\(name.name)'", at: name.location, length: name.name.count,
                               hint: catalog.views.isEmpty ? "CREATE VIEW it first, or EXPLAIN SELECT ..." : "views: \(catalog.views.values.map(\.name).sorted().joined(separator: ", "))")
            }
        case .query(let query):
            // Over streams and views if it reads them; otherwise over tables.
            do {
                logical = try streamingBinder.bind(query)
            } catch let streaming {
                guard let overTables = try? tableBinder.bind(query) else { throw streaming }
                logical = overTables
            }
        }
        let physical = logical.streams.isEmpty ? TableQuery.explain(logical)
            : PhysicalPlanner(mode: OutputModeRules.defaultMode(logical)).lower(logical).root.explainTree()
        output(.plan(logical: logical.explain(), physical: physical))
    }

    func show(_ target: ShowTarget) {
        var names: [String] = [], details: [String] = []
        switch target {
        case .sources:
            for key in catalog.order { if let s = catalog.sources[key] { names.append(s.name); details.append("\(s.connector) \(s.options.sorted { $0.key < $1.key }.map { "\($0.key)=\(Redaction.shown($0.key, $0.value))" }.joined(separator: " "))") } }
        case .streams:
            for key in catalog.order { if let s = catalog.streams[key] { names.append(s.name); details.append("from \(s.sourceName), \(s.columns.count) columns, mode \(s.mode.rawValue)" + (s.watermark.map { " watermark \(s.columns[$0.column].name) - \($0.delayMicros / 1_000_000) s" } ?? "")) } }
        case .views:
            for key in catalog.order { if let v = catalog.views[key] { names.append(v.name); details.append("from \(v.plan.streams.map(\.name).uniqued().joined(separator: ", ")): " + v.plan.schema.fields.map(\.name).joined(separator: ", ")) } }
        case .tables:
            // Static tables, then started views' tables (running or stopped).
            for key in catalog.order { if let t = catalog.tables[key] { names.append(t.name); details.append("\(t.spec.describedAs): \(t.contents.batch.count) rows, " + t.contents.batch.schema.fields.map(\.name).joined(separator: ", ")) } }
            for (key, query) in queries.started.sorted(by: { $0.key < $1.key }) where catalog.tables[key] == nil { names.append(query.name); details.append("results of view \(query.name): \(query.result.count) rows, " + query.result.schema.fields.map(\.name).joined(separator: ", ")) }
        case .queries:
            for (key, query) in queries.background.sorted(by: { $0.key < $1.key }) { names.append(key); details.append(QueryManager.status(query)) }
        }
        var name = Column(type: .string), detail = Column(type: .string)
        names.forEach { name.append($0) }
        details.forEach { detail.append($0) }
        show(names: ["name", target == .queries ? "status" : "definition"], columns: [name, detail])
    }

    func describe(_ name: Identifier) throws {
        let key = name.name.lowercased()
        let schema: Schema
        var notes: [String] = []
        if let stream = catalog.streams[key] {
            schema = stream.schema
            notes = stream.columns.map { c in
                switch c.origin {
                case .json: "json"
                case .computed: "computed"
                case .kafka: "kafka record field"
                case .corruptRecord: "corrupt record text"
                }
            }
        } else if let table = catalog.tables[key] {
            schema = table.contents.batch.schema
            let origin: String = switch table.spec.format {
            case .csv: "csv \(table.spec.path)"
            case .jsonLines: "json \(table.spec.path)"
            case .database: table.spec.describedAs
            }
            notes = schema.fields.map { _ in origin }
        } else if let query = queries.started[key] {
            schema = query.result.schema
        } else if let view = catalog.views[key] {
            schema = view.plan.schema
        } else if let source = catalog.sources[key] {
            output(.message("source \(source.name): \(source.connector)" + source.options.sorted { $0.key < $1.key }.map { "\n  \($0.key) = \(Redaction.shown($0.key, $0.value))" }.joined()))
            return
        } else {
            throw SQLError("nothing is called '\(name.name)'", at: name.location, length: name.name.count)
        }
        var names = Column(type: .string), types = Column(type: .string), kinds = Column(type: .string)
        for (i, field) in schema.fields.enumerated() {
            names.append(field.name)
            types.append(field.type.description)
            kinds.append(notes.indices.contains(i) ? notes[i] : "")
        }
        show(names: ["col_name", "data_type", "comment"], columns: [names, types, kinds])
    }

    func show(names: [String], columns: [Column]) {
        output(.table(ResultTable(names: names, columns: columns, text: ConsoleTable(truncate: 0).render(names: names, columns: columns))))
    }

    /// The rows of a table: a static table, or a started view's results (while it runs and
    /// after it stops).
    public func table(_ name: String) -> Batch? {
        tableRows(name.lowercased())
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
