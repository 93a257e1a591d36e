/// Names → definitions: the sources, streams, views and static tables a session has defined, in the order
/// they were defined (what SHOW lists). Names are case-insensitive, as in Spark.
struct Catalog {
    /// A view: its query as written and the plan it binds to.
    struct View {
        var name: String
        var query: Query
        var plan: LogicalPlan
        /// Where it was defined, which another engine's errors about it point at.
        var place: ForeignDefinitions.Place
    }

    /// A stream as written: what another engine re-creates it from.
    struct StreamSyntax {
        var create: CreateStream
        var place: ForeignDefinitions.Place
    }

    /// A static table: how to read it, and what was read (at CREATE or the last REFRESH).
    struct Table {
        var spec: StaticTableSpec
        var contents: StaticTableContents
        var name: String { spec.name }
    }

    private(set) var sources: [String: SourceDefinition] = [:]
    private(set) var streams: [String: StreamDefinition] = [:]
    private(set) var streamSyntax: [String: StreamSyntax] = [:]
    private(set) var views: [String: View] = [:]
    /// Static tables (CREATE TABLE), with their rows as last loaded.
    private(set) var tables: [String: Table] = [:]
    /// Keys in definition order (a redefinition moves to the end).
    private(set) var order: [String] = []

    func isDefined(_ key: String) -> Bool {
        sources[key] != nil || streams[key] != nil || views[key] != nil || tables[key] != nil
    }

    mutating func define(_ table: Table) {
        tables[table.name.lowercased()] = table
        remember(table.name)
    }

    /// Forgets a static table; false if there is none by that name.
    mutating func dropTable(_ key: String) -> Bool {
        guard tables.removeValue(forKey: key) != nil else { return false }
        order.removeAll { $0 == key }
        return true
    }

    mutating func define(_ source: SourceDefinition) {
        sources[source.name.lowercased()] = source
        remember(source.name)
    }

    mutating func define(_ stream: StreamDefinition, syntax: StreamSyntax) {
        streams[stream.name.lowercased()] = stream
        streamSyntax[stream.name.lowercased()] = syntax
        remember(stream.name)
    }

    mutating func define(_ view: View) {
        views[view.name.lowercased()] = view
        remember(view.name)
    }

    private mutating func remember(_ name: String) {
        order.removeAll { $0 == name.lowercased() }
        order.append(name.lowercased())
    }

    /// What a name in a view's FROM means: a view (its plan, inlined) or a stream.
    func relation(_ key: String) -> Relation? {
        if let view = views[key] { return .view(view.plan) }
        if let stream = streams[key] { return .stream(stream) }
        // A view may join a static table; a started view's results change as it runs, so only
        // CREATE TABLE tables are read by views (their rows are taken when the view starts).
        if let table = tables[key] { return .table(name: key, schema: table.contents.batch.schema) }
        return nil
    }

    /// Every name a user may type next: sources, streams, views and their columns.
    var names: Set<String> {
        var names = Set<String>()
        for source in sources.values { names.insert(source.name) }
        for stream in streams.values {
            names.insert(stream.name)
            for column in stream.columns { names.insert(column.name) }
        }
        for table in tables.values {
            names.insert(table.name)
            for field in table.contents.batch.schema.fields { names.insert(field.name) }
        }
        for view in views.values {
            names.insert(view.name)
            for field in view.plan.schema.fields { names.insert(field.name) }
        }
        return names
    }
}
