import Foundation
import Synchronization
import KafkaBridge

/// One shell's or script's session: it runs statements against a catalog of definitions
/// (``Catalog``), starts views on an execution backend (the local engine by default) and
/// keeps the handles of started queries (``QueryManager``).
///
/// The kernel knows nothing about terminals: what it shows goes to `output` as values
/// (``SessionOutput``), and a foreground stream runs until its trigger ends or `shouldStop`
/// says so (Ctrl-C).
public final class CellSession {
    public var environment: [String: String]
    /// Replaces every START's trigger (`cells run --trigger once|available-now`).
    public var triggerOverride: TriggerPolicy?
    /// Bounds on a stream run in the foreground (`cells run --batches N --timeout S`); the
    /// stream stops cleanly at the first bound reached, as if by Ctrl-C.
    public var foregroundLimit = ForegroundLimit()
    /// The state memory limit of a query whose START does not give
    /// `'cells.stateMemoryLimit'`.
    public var stateMemoryLimit = StateMemoryLimit.default
    /// Where START runs views.
    public let backend: any ExecutionBackend
    /// Sources and sinks by name.
    public let connectors: ConnectorRegistry
    private let output: @Sendable (SessionOutput) -> Void
    /// The secret option values given so far: nothing the session prints shows one.
    private let secrets = SessionSecrets()
    private var catalog = Catalog()
    private let queries = QueryManager()

    /// A session whose output arrives as values.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                backend: (any ExecutionBackend)? = nil, connectors: ConnectorRegistry = .standard,
                events: @escaping @Sendable (SessionOutput) -> Void) {
        self.environment = environment
        self.connectors = connectors
        self.backend = backend ?? LocalBackend(connectors: connectors)
        let secrets = self.secrets
        self.output = { events($0.scrubbed(secrets.scrub)) }
    }

    /// A session whose output arrives as the console shows it.
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment,
                            backend: (any ExecutionBackend)? = nil, output: @escaping @Sendable (String) -> Void) {
        self.init(environment: environment, backend: backend, events: { output($0.text) })
    }

    /// The sources defined, by lower-cased name.
    public var sources: [String: SourceDefinition] { catalog.sources }
    /// The streams defined, by lower-cased name.
    public var streams: [String: StreamDefinition] { catalog.streams }

    /// Parses and runs every statement of `script` in order; stops at the first error.
    ///
    /// - Parameters:
    ///   - origin: where `script` starts in `file` (a notebook cell), so errors point into it.
    ///   - source: the whole text of `file` that errors are shown against; `script` if `nil`.
    public func run(script: String, file: String? = nil, origin: SourceLocation = .start, source: String? = nil,
                    shouldStop: @escaping () -> Bool = { false }) throws(CellError) {
        let source = source ?? script
        let statements: [SQLStatement]
        do {
            statements = try SQLParser.parseScript(script, environment: environment, origin: origin)
        } catch {
            throw .sql(error, source: source, file: file)
        }
        for statement in statements {
            try execute(statement, source: source, file: file, shouldStop: shouldStop)
        }
    }

    /// The functions a statement may call (for tab completion).
    public static var functionNames: [String] { Binder.functionNames }

    /// Every name a user may type next: sources, streams, views, tables, their columns and
    /// the connectors (for tab completion).
    public var knownNames: [String] {
        var names = catalog.names
        for query in queries.started.values { names.insert(query.name) }
        names.formUnion(connectors.names)
        return names.sorted()
    }

    /// Runs one parsed statement. `source` is the text it was parsed from (for error positions).
    public func execute(_ statement: SQLStatement, source: String, file: String? = nil,
                        shouldStop: @escaping () -> Bool = { false }) throws(CellError) {
        switch statement.kind {
        case .createSource(let create): secrets.add(create.options)
        case .createStream(let create): secrets.add(create.options)
        case .start(let start): secrets.add(start.sinkOptions)
        default: break
        }
        try reporting(source: source, file: file, at: statement.location) {
            switch statement.kind {
            case .createSource(let create): try createSource(create)
            case .createStream(let create): try createStream(create)
            case .createView(let create): try createView(create)
            case .start(let start): try self.start(start, place: "\(file.map { "\($0):" } ?? "")\(statement.location)", shouldStop: shouldStop)
            case .select(let select): try query(select)
            case .explain(let target): try explain(target)
            case .show(let target): show(target)
            case .describe(let name): try describe(name)
            case .stop(let name): try stop(name)
            }
        }
    }

    /// Runs `body`, turning whatever it throws into a ``CellError``: SQL errors rendered
    /// against `source`, everything else as a runtime error at `location` (the statement's).
    /// No secret option value survives into the message.
    private func reporting<T>(source: String, file: String?, at location: SourceLocation? = nil,
                              _ body: () throws -> T) throws(CellError) -> T {
        do {
            return try body()
        } catch let error as SQLError {
            var rendered = CellError.sql(error, source: source, file: file)
            rendered.message = secrets.scrub(rendered.message)
            throw rendered
        } catch let error as CellError {
            if case .runtime = error.kind, error.location == nil {
                throw .runtime(secrets.scrub(error.message), at: location, file: file)
            }
            throw error
        } catch {
            throw .runtime(secrets.scrub("\(error)"), at: location, file: file)
        }
    }

    /// A source's or sink's complaint about one option, as an error at that option's value in
    /// the statement; other errors pass unchanged.
    private func atOption<T>(_ options: [SQLOption], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SourceError {
            guard let name = error.option, let option = options.option(name) else { throw error }
            throw SQLError(error.message, at: option.valueLocation, hint: error.hint)
        } catch let error as SinkError {
            guard let name = error.option, let option = options.option(name) else { throw error }
            throw SQLError(error.description, at: option.valueLocation, hint: error.hint)
        }
    }

    // MARK: Definitions

    private func checkNew(_ name: Identifier, orReplace: Bool) throws(SQLError) {
        let key = name.name.lowercased()
        if !orReplace, catalog.isDefined(key) {
            throw SQLError("'\(name.name)' already exists", at: name.location, length: name.name.count,
                           hint: "use CREATE OR REPLACE, or another name")
        }
        if queries.isRunning(key) {
            throw SQLError("'\(name.name)' is running", at: name.location, hint: "STOP \(name.name) first")
        }
    }

    private func createSource(_ create: CreateSource) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        guard let connector = connectors.sources[create.connector.name.lowercased()] else {
            throw SQLError("unknown source type \(create.connector.name)", at: create.connector.location,
                           hint: connectors.sourceHint)
        }
        let options = Dictionary(create.options.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        // Connecting now checks the broker and topic, so a typo shows up here, not at START.
        let opened = try atOption(create.options) { try connector.open(options) }
        let summary = opened.summary
        opened.close()
        catalog.define(SourceDefinition(name: create.name.name, connector: connector.name, options: options))
        output(.message("source \(create.name.name): \(summary)"))
    }

    private func createStream(_ create: CreateStream) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        guard let source = catalog.sources[create.source.name.lowercased()] else {
            throw SQLError("unknown source '\(create.source.name)'", at: create.source.location,
                           hint: catalog.sources.isEmpty ? "CREATE SOURCE it first" : "sources: \(catalog.sources.values.map(\.name).sorted().joined(separator: ", "))")
        }
        let isKafka = connectors.sources[source.connector.lowercased()]?.isKafka ?? false
        let stream = try StreamPlanner().plan(create, sourceIsKafka: isKafka)
        catalog.define(stream)
        let declared = stream.columns.filter { if case .kafka = $0.origin { false } else { true } }
        output(.message("stream \(stream.name): \(declared.map { "\($0.name) \($0.type)" }.joined(separator: ", "))"))
    }

    private func createView(_ create: CreateView) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        let plan = try streamingBinder.bind(create.query)
        catalog.define(Catalog.View(name: create.name.name, query: create.query, plan: plan))
        output(.message("view \(create.name.name): \(plan.schema.fields.map { "\($0.name) \($0.type)" }.joined(separator: ", "))"))
    }

    /// Binds queries over streams and views (what a view may read).
    private var streamingBinder: QueryBinder {
        QueryBinder(resolve: { [catalog] key in catalog.relation(key) }, unknown: { [catalog, queries] name in
            let key = name.name.lowercased()
            if queries.started[key] != nil {
                return SQLError("'\(name.name)' is a table (a started view's results), not a stream", at: name.location,
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
    private var tableBinder: QueryBinder {
        QueryBinder(resolve: { [queries] key in
            queries.started[key].map { .table(name: key, schema: $0.result.schema) }
        }, unknown: { [catalog, queries] name in
            let key = name.name.lowercased()
            if catalog.streams[key] != nil {
                return SQLError("\(name.name) is a stream: it has no end to SELECT from", at: name.location,
                                hint: "CREATE VIEW v AS SELECT ... FROM \(name.name), START v, then SELECT * FROM v")
            }
            return SQLError("unknown table '\(name.name)'", at: name.location,
                            hint: queries.started.isEmpty ? "START a view first: its results become a table of the same name"
                                                          : "tables: \(queries.started.keys.sorted().joined(separator: ", "))")
        })
    }

    // MARK: Running

    /// - Parameter place: `file:line:col` of the START, which a background query's failure names.
    private func start(_ start: StartQuery, place: String, shouldStop: @escaping () -> Bool) throws {
        let request = try request(for: start, place: place)
        let query = try atOption(start.sinkOptions) { try backend.prepare(request) }
        queries.add(query, inBackground: start.background)
        if start.background {
            output(.message("started \(query.name) in the background (\(query.outputMode.rawValue) mode, trigger \(query.trigger)); STOP \(query.name) to end it"))
            return
        }
        try query.runInForeground(limit: foregroundLimit, shouldStop: shouldStop)
    }

    /// Builds the query a START statement describes on the local engine, without running it:
    /// for callers that drive micro-batches themselves (tests). Its result table is
    /// registered.
    func prepare(start text: String) throws(CellError) -> StreamingQuery {
        try reporting(source: text, file: nil) {
            let statement = try SQLParser.parseStatement(text, environment: environment)
            guard case .start(let start) = statement.kind else {
                throw CellError.runtime("expected a START statement: \(text)")
            }
            let local = LocalBackend(connectors: connectors)
            let request = try request(for: start, place: "")
            let query = try atOption(start.sinkOptions) { try local.query(for: request) }
            queries.add(LocalRunningQuery(query, request: request), inBackground: false)
            return query
        }
    }

    /// What START asks of the backend: the view's plan, its mode and trigger (checked against
    /// Spark's rules), its sources' definitions and its sinks'.
    private func request(for start: StartQuery, place: String) throws -> QueryRequest {
        let key = start.view.name.lowercased()
        guard let view = catalog.views[key] else {
            throw SQLError("unknown view '\(start.view.name)'", at: start.view.location,
                           hint: catalog.views.isEmpty ? "CREATE VIEW it first" : "views: \(catalog.views.values.map(\.name).sorted().joined(separator: ", "))")
        }
        if queries.isRunning(key) { throw SQLError("'\(start.view.name)' is already running", at: start.view.location) }
        let plan = view.plan
        let mode = start.outputMode ?? OutputModeRules.defaultMode(plan)
        try OutputModeRules.check(plan, mode: mode, at: start.outputModeLocation ?? start.view.location)
        let trigger = try triggerOverride ?? start.trigger.map { (t) throws(SQLError) in try Self.policy(t, at: start.triggerLocation ?? start.view.location) }
            ?? .processingTime(micros: 0)
        let sources = try plan.streams.map { (stream) throws -> SourceDefinition in
            guard let source = catalog.sources[stream.sourceName.lowercased()] else {
                throw CellError.runtime("the source \(stream.sourceName) of \(stream.name) no longer exists")
            }
            return source
        }
        var limit = stateMemoryLimit
        if let option = start.sinkOptions.option(StateMemoryLimit.optionName) {
            guard let parsed = StateMemoryLimit(parsing: option.value) else {
                throw SQLError("'\(option.value)' is not a size for \(StateMemoryLimit.optionName)", at: option.valueLocation,
                               hint: "write a size such as '512m' or '4g'")
            }
            limit = parsed
        }
        // The limit is the query's, not the sink's: the sink does not see it.
        let sinkOptions = Dictionary(start.sinkOptions.filter { !$0.key.caseInsensitiveCompare(StateMemoryLimit.optionName) }
            .map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        var sinks: [SinkDefinition] = []
        switch start.sink?.name.lowercased() {
        // A table printed every trigger would write over the prompt of a background query:
        // by default it only fills its result table, which SELECT reads.
        case nil where start.background: break
        case nil: sinks.append(SinkDefinition(connector: "console", options: sinkOptions))
        case let name? where connectors.sinks[name] != nil: sinks.append(SinkDefinition(connector: name, options: sinkOptions))
        case let other?:
            throw SQLError("unknown sink \(other)", at: start.sink!.location, hint: connectors.sinkHint)
        }
        // A sink's complaint about an option points at that option; opening happens in prepare.
        return QueryRequest(name: view.name, plan: plan, outputMode: mode, trigger: trigger, sources: sources, sinks: sinks,
                            stateMemoryLimit: limit, place: place, output: output)
    }

    static func policy(_ trigger: Trigger, at location: SourceLocation) throws(SQLError) -> TriggerPolicy {
        switch trigger {
        case .once: return .once
        case .availableNow: return .availableNow
        case .processingTime(let text):
            guard let micros = parseIntervalMicroseconds(text) else {
                throw SQLError("'\(text)' is not a trigger interval such as '5 seconds'", at: location)
            }
            guard micros >= 0 else {
                throw SQLError("the trigger interval '\(text)' is negative", at: location,
                               hint: "give a positive interval such as '5 seconds', or '0 seconds' to run batches back to back")
            }
            return .processingTime(micros: micros)
        }
    }

    private func stop(_ name: Identifier) throws {
        guard queries.stop(name.name.lowercased()) != nil else {
            throw SQLError("'\(name.name)' is not running", at: name.location,
                           hint: queries.background.isEmpty ? "no query runs in the background" : "running: \(queries.background.keys.sorted().joined(separator: ", "))")
        }
        output(.message("stopped \(name.name); its last result stays in the table \(name.name)"))
    }

    // MARK: Looking

    /// SELECT over started views' result tables.
    private func query(_ query: Query) throws {
        let plan = try tableBinder.bind(query)
        let result = try TableQuery.run(plan) { [queries] name in queries.started[name]?.result }
        let names = plan.schema.fields.map(\.name)
        output(.table(ResultTable(names: names, columns: result.columns, text: ConsoleTable().render(names: names, columns: result.columns))))
    }

    /// EXPLAIN: a view (or a query over streams) as START would run it, or a SELECT over
    /// tables; the logical plan, then the physical one.
    private func explain(_ target: ExplainTarget) throws {
        let logical: LogicalPlan
        switch target {
        case .view(let name):
            if let view = catalog.views[name.name.lowercased()] {
                logical = view.plan
            } else if queries.started[name.name.lowercased()] != nil {
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

    private func show(_ target: ShowTarget) {
        var names: [String] = [], details: [String] = []
        switch target {
        case .sources:
            for key in catalog.order { if let s = catalog.sources[key] { names.append(s.name); details.append("\(s.connector) \(s.options.sorted { $0.key < $1.key }.map { "\($0.key)=\(Redaction.shown($0.key, $0.value))" }.joined(separator: " "))") } }
        case .streams:
            for key in catalog.order { if let s = catalog.streams[key] { names.append(s.name); details.append("from \(s.sourceName), \(s.columns.count) columns, mode \(s.mode.rawValue)" + (s.watermark.map { " watermark \(s.columns[$0.column].name) - \($0.delayMicros / 1_000_000) s" } ?? "")) } }
        case .views:
            for key in catalog.order { if let v = catalog.views[key] { names.append(v.name); details.append("from \(v.plan.streams.map(\.name).uniqued().joined(separator: ", ")): " + v.plan.schema.fields.map(\.name).joined(separator: ", ")) } }
        case .queries:
            for (key, query) in queries.background.sorted(by: { $0.key < $1.key }) { names.append(key); details.append(QueryManager.status(query)) }
        }
        var name = Column(type: .string), detail = Column(type: .string)
        names.forEach { name.append($0) }
        details.forEach { detail.append($0) }
        show(names: ["name", target == .queries ? "status" : "definition"], columns: [name, detail])
    }

    private func describe(_ name: Identifier) throws {
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

    private func show(names: [String], columns: [Column]) {
        output(.table(ResultTable(names: names, columns: columns, text: ConsoleTable(truncate: 0).render(names: names, columns: columns))))
    }

    /// The result table of a started view (while it runs and after it stops).
    public func table(_ name: String) -> Batch? {
        queries.started[name.lowercased()]?.result
    }
}

/// Spark's rules on which output modes a streaming query allows.
enum OutputModeRules {
    /// Complete for an aggregation, append otherwise, and append for chained aggregations
    /// (the only mode Spark runs them in).
    static func defaultMode(_ plan: LogicalPlan) -> OutputMode {
        guard plan.isAggregate else { return .append }
        return plan.hasChainedAggregation ? .append : .complete
    }

    static func check(_ plan: LogicalPlan, mode: OutputMode, at location: SourceLocation) throws(SQLError) {
        var top = plan
        var sorts = false, limited = false
        // ORDER BY and LIMIT apply to each batch's result: they may only stand at the top.
        while true {
            if case .sort = top.operation { sorts = true } else if case .limit = top.operation { limited = true } else { break }
            top = top.inputs[0]
        }
        var buried = false
        top.forEachNode { node in
            switch node.operation {
            case .sort, .limit: buried = true
            default: break
            }
        }
        if buried {
            throw SQLError("ORDER BY and LIMIT inside a subquery or a view read by another one are not supported on streams",
                           at: location, hint: "sort and limit in the outermost query only (Spark sorts a stream only after an aggregation, in complete mode)")
        }
        if plan.isAggregate {
            var aggregations: [Aggregation] = []
            plan.forEachNode { if case .aggregate(let a) = $0.operation { aggregations.append(a) } }
            if plan.hasChainedAggregation && mode != .append {
                throw SQLError("multiple streaming aggregations (stateful operators chained, or side by side in a UNION ALL) run only in OUTPUT MODE append, as in Spark",
                               at: location, hint: "START it with OUTPUT MODE append: each window is emitted once the watermark closes it")
            }
            if mode == .append && aggregations.contains(where: { $0.window == nil || !$0.usesWatermark }) {
                throw SQLError("append mode needs a watermark on a windowed aggregation: without one, no group is ever final",
                               at: location, hint: "use OUTPUT MODE complete or update, or add WATERMARK col DELAY '...' to the stream and group by window(col, ...)")
            }
            if sorts && mode != .complete {
                throw SQLError("ORDER BY on a stream needs OUTPUT MODE complete", at: location)
            }
            if limited && mode == .update {
                throw SQLError("LIMIT is not supported in update mode", at: location, hint: "use OUTPUT MODE complete")
            }
        } else {
            if mode == .complete {
                throw SQLError("complete mode needs an aggregation: a plain stream has no complete result", at: location,
                               hint: "use OUTPUT MODE append")
            }
            if sorts {
                throw SQLError("ORDER BY on a stream is only supported after an aggregation, in complete mode", at: location)
            }
        }
    }
}

extension LogicalPlan {
    /// Whether an aggregation reads another's result, or a union joins aggregations.
    var hasChainedAggregation: Bool {
        func aggregations(_ node: LogicalPlan) -> Int {
            let below = node.inputs.map(aggregations)
            let here: Int
            if case .aggregate = node.operation { here = 1 } else { here = 0 }
            if case .unionAll = node.operation { return below.reduce(0, +) }
            return here + (below.max() ?? 0)
        }
        var union = false
        forEachNode { node in
            if case .unionAll = node.operation, node.inputs.contains(where: \.isAggregate) { union = true }
        }
        return aggregations(self) > 1 || union
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
