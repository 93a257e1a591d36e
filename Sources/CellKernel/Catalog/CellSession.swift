import Foundation
import Synchronization
import KafkaBridge

/// The kernel's state for one shell or script: sources, streams, views, running queries and
/// their memory tables; and the execution of statements against it.
///
/// The kernel knows nothing about terminals: tables and progress lines go to `output`, and
/// a foreground stream runs until its trigger ends or `shouldStop` says so (Ctrl-C).
public final class CellSession {
    public struct SourceEntry: Sendable {
        public var name: String
        public var connector: String
        public var options: [String: String]
    }

    public var environment: [String: String]
    /// Replaces every START's trigger (`cells run --trigger once|available-now`).
    public var triggerOverride: TriggerPolicy?
    private let output: @Sendable (String) -> Void
    /// The secret option values given so far: nothing the session prints shows one.
    private let secrets = SessionSecrets()
    private(set) public var sources: [String: SourceEntry] = [:]
    private(set) public var streams: [String: StreamDefinition] = [:]
    private var views: [String: (name: String, query: Query, plan: LogicalPlan)] = [:]
    private(set) public var tables: [String: MemoryTable] = [:]
    private var background: [String: BackgroundQuery] = [:]
    private var order: [String] = []

    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                output: @escaping @Sendable (String) -> Void) {
        self.environment = environment
        let secrets = self.secrets
        self.output = { output(secrets.scrub($0)) }
    }

    deinit {
        for query in background.values { query.stop() }
    }

    /// Bounds on a stream run in the foreground (`cells run --batches N --timeout S`); the
    /// stream stops cleanly at the first bound reached, as if by Ctrl-C.
    public var foregroundLimit = ForegroundLimit()

    /// The state memory limit of a query whose START does not give
    /// `'cells.stateMemoryLimit'`.
    public var stateMemoryLimit = StateMemoryLimit.default

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

    /// Every name a user may type next: sources, streams, views, tables and their columns
    /// (for tab completion).
    public var knownNames: [String] {
        var names = Set<String>()
        for source in sources.values { names.insert(source.name) }
        for stream in streams.values {
            names.insert(stream.name)
            for column in stream.columns { names.insert(column.name) }
        }
        for view in views.values {
            names.insert(view.name)
            for field in view.plan.schema.fields { names.insert(field.name) }
        }
        for table in tables.values { names.insert(table.name) }
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
        if !orReplace, sources[key] != nil || streams[key] != nil || views[key] != nil {
            throw SQLError("'\(name.name)' already exists", at: name.location, length: name.name.count,
                           hint: "use CREATE OR REPLACE, or another name")
        }
        if background[key] != nil {
            throw SQLError("'\(name.name)' is running", at: name.location, hint: "STOP \(name.name) first")
        }
    }

    private func createSource(_ create: CreateSource) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        let connector = create.connector.name.lowercased()
        guard connector == "kafka" || connector == "file" else {
            throw SQLError("unknown source type \(create.connector.name)", at: create.connector.location,
                           hint: "USING kafka or USING file")
        }
        let options = Dictionary(create.options.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        // Connecting now checks the broker and topic, so a typo shows up here, not at START.
        let opened = try atOption(create.options) { try openSource(connector: connector, options: options) }
        let summary = opened.summary
        opened.close()
        sources[create.name.name.lowercased()] = SourceEntry(name: create.name.name, connector: connector, options: options)
        remember(create.name.name)
        output("source \(create.name.name): \(summary)\n")
    }

    private func openSource(connector: String, options: [String: String]) throws -> StreamSource {
        connector == "kafka" ? try KafkaStreamSource(options: options) : try FileStreamSource(options: options)
    }

    private func createStream(_ create: CreateStream) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        guard let source = sources[create.source.name.lowercased()] else {
            throw SQLError("unknown source '\(create.source.name)'", at: create.source.location,
                           hint: sources.isEmpty ? "CREATE SOURCE it first" : "sources: \(sources.values.map(\.name).sorted().joined(separator: ", "))")
        }
        let stream = try StreamPlanner().plan(create, sourceIsKafka: source.connector == "kafka")
        streams[create.name.name.lowercased()] = stream
        remember(create.name.name)
        let declared = stream.columns.filter { if case .kafka = $0.origin { false } else { true } }
        output("stream \(stream.name): \(declared.map { "\($0.name) \($0.type)" }.joined(separator: ", "))\n")
    }

    private func createView(_ create: CreateView) throws {
        try checkNew(create.name, orReplace: create.orReplace)
        let plan = try streamingBinder.bind(create.query)
        views[create.name.name.lowercased()] = (create.name.name, create.query, plan)
        remember(create.name.name)
        output("view \(create.name.name): \(plan.schema.fields.map { "\($0.name) \($0.type)" }.joined(separator: ", "))\n")
    }

    /// Binds queries over streams and views (what a view may read).
    private var streamingBinder: QueryBinder {
        QueryBinder(resolve: { [streams, views] key in
            if let view = views[key] { return .view(view.plan) }
            if let stream = streams[key] { return .stream(stream) }
            return nil
        }, unknown: { [streams, views, tables] name in
            let key = name.name.lowercased()
            if tables[key] != nil {
                return SQLError("'\(name.name)' is a table (a started view's results), not a stream", at: name.location,
                                hint: "a view reads streams and other views; SELECT reads tables")
            }
            let known = (streams.values.map(\.name) + views.values.map(\.name)).sorted()
            let suggestion = Suggestion.closest(to: name.name, among: known)
            return SQLError("unknown stream '\(name.name)'", at: name.location,
                            hint: suggestion.map { "did you mean '\($0)'?" }
                                ?? (known.isEmpty ? "CREATE STREAM it first" : "streams and views: \(known.joined(separator: ", "))"))
        })
    }

    /// Binds queries over started views' tables (SELECT at the prompt).
    private var tableBinder: QueryBinder {
        QueryBinder(resolve: { [tables] key in
            tables[key].map { .table(name: key, schema: $0.snapshot.schema) }
        }, unknown: { [streams, tables] name in
            let key = name.name.lowercased()
            if streams[key] != nil {
                return SQLError("\(name.name) is a stream: it has no end to SELECT from", at: name.location,
                                hint: "CREATE VIEW v AS SELECT ... FROM \(name.name), START v, then SELECT * FROM v")
            }
            return SQLError("unknown table '\(name.name)'", at: name.location,
                            hint: tables.isEmpty ? "START a view first: its results become a table of the same name"
                                                 : "tables: \(tables.keys.sorted().joined(separator: ", "))")
        })
    }

    private func remember(_ name: String) {
        order.removeAll { $0 == name.lowercased() }
        order.append(name.lowercased())
    }

    // MARK: Running

    /// - Parameter place: `file:line:col` of the START, which a background query's failure names.
    private func start(_ start: StartQuery, place: String, shouldStop: @escaping () -> Bool) throws {
        let query = try prepare(start)
        let key = start.view.name.lowercased()
        tables[key] = query.memory
        if start.background {
            background[key] = BackgroundQuery(query: query, place: place, output: output)
            output("started \(query.view) in the background (\(query.outputMode.rawValue) mode, trigger \(query.trigger)); STOP \(query.view) to end it\n")
            return
        }
        defer { query.stop() }
        let limit = foregroundLimit
        let deadline = limit.duration.map { ContinuousClock.now + $0 }
        var batches = 0
        let interrupt = { shouldStop() || deadline.map { ContinuousClock.now >= $0 } == true }
        try Self.drive(query, output: output, shouldStop: {
            interrupt() || limit.batches.map { batches >= $0 } == true
        }, interrupt: interrupt, batchDone: { batches += 1 })
    }

    /// Builds the query a START statement describes, without running it: for callers that
    /// drive micro-batches themselves (tests, the shell). Its memory table is registered.
    public func prepare(start text: String) throws(CellError) -> StreamingQuery {
        try reporting(source: text, file: nil) {
            let statement = try SQLParser.parseStatement(text, environment: environment)
            guard case .start(let start) = statement.kind else {
                throw CellError.runtime("expected a START statement: \(text)")
            }
            let query = try prepare(start)
            tables[start.view.name.lowercased()] = query.memory
            return query
        }
    }

    private func prepare(_ start: StartQuery) throws -> StreamingQuery {
        let key = start.view.name.lowercased()
        guard let view = views[key] else {
            throw SQLError("unknown view '\(start.view.name)'", at: start.view.location,
                           hint: views.isEmpty ? "CREATE VIEW it first" : "views: \(views.values.map(\.name).sorted().joined(separator: ", "))")
        }
        if background[key] != nil { throw SQLError("'\(start.view.name)' is already running", at: start.view.location) }
        let plan = view.plan
        let mode = start.outputMode ?? OutputModeRules.defaultMode(plan)
        try OutputModeRules.check(plan, mode: mode, at: start.outputModeLocation ?? start.view.location)
        let trigger = try triggerOverride ?? start.trigger.map { (t) throws(SQLError) in try Self.policy(t, at: start.triggerLocation ?? start.view.location) }
            ?? .processingTime(micros: 0)
        let entries = try plan.streams.map { (stream) throws -> SourceEntry in
            guard let entry = sources[stream.sourceName.lowercased()] else {
                throw CellError.runtime("the source \(stream.sourceName) of \(stream.name) no longer exists")
            }
            return entry
        }
        var sinks: [QuerySink] = []
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
        try atOption(start.sinkOptions) {
            switch start.sink?.name.lowercased() {
            // A table printed every trigger would write over the prompt of a background query:
            // by default it only fills its memory table, which SELECT reads.
            case nil where start.background: break
            case nil, "console": sinks.append(try ConsoleSink(options: sinkOptions, output: output))
            case "memory": break
            case "json": sinks.append(try FileSink(format: .json, options: sinkOptions))
            case "csv": sinks.append(try FileSink(format: .csv, options: sinkOptions))
            case "kafka": sinks.append(try KafkaSink(options: sinkOptions, schema: plan.schema))
            case let other?:
                throw SQLError("unknown sink \(other)", at: start.sink!.location, hint: "console, memory, json, csv or kafka")
            }
        }
        var opened: [StreamSource] = []
        do {
            for entry in entries { opened.append(try openSource(connector: entry.connector, options: entry.options)) }
        } catch {
            for source in opened { source.close() }
            throw error
        }
        let query = StreamingQuery(view: view.name, plan: plan, outputMode: mode, trigger: trigger, sources: opened, sinks: sinks)
        query.stateMemoryLimit = limit
        return query
    }

    /// Runs micro-batches per the trigger, printing each batch's progress line.
    static func drive(_ query: StreamingQuery, output: @Sendable (String) -> Void, shouldStop: () -> Bool,
                      interrupt: (() -> Bool)? = nil, notice: (@Sendable (String) -> Void)? = nil,
                      batchDone: () -> Void = {}) throws {
        // A stop reaches into the batch being read (`interrupt`, or `shouldStop` itself, which
        // must then be true too): that batch is abandoned whole and the query stops where the
        // last one ended.
        func stopNow() -> Bool { interrupt?() ?? shouldStop() }
        func tell(_ line: String) {
            if let notice { notice(line + "\n") } else { output(line + "\n") }
        }
        func batch() throws -> Bool {
            // An abandoned batch counts as none; the stop that abandoned it ends the loop.
            let read: BatchProgress?
            do { read = try query.runBatch(shouldStop: stopNow, notice: tell) } catch is StreamInterrupted { return false }
            guard let progress = read else { return false }
            output(progress.line + "\n")
            batchDone()
            return true
        }
        switch query.trigger {
        case .once:
            _ = try batch()
        case .availableNow:
            while !shouldStop(), try batch() || query.hasPendingWork {}
        case .processingTime(let micros):
            let clock = ContinuousClock()
            while !shouldStop() {
                let next = clock.now + .microseconds(micros)
                _ = try batch()
                // Wait out the interval (at least a moment, so an idle stream does not spin).
                let until = max(next, clock.now + .milliseconds(micros == 0 ? 100 : 0))
                while !shouldStop() && clock.now < until { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
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
        guard let query = background.removeValue(forKey: name.name.lowercased()) else {
            throw SQLError("'\(name.name)' is not running", at: name.location,
                           hint: background.isEmpty ? "no query runs in the background" : "running: \(background.keys.sorted().joined(separator: ", "))")
        }
        query.stop()
        output("stopped \(name.name); its last result stays in the table \(name.name)\n")
    }

    // MARK: Looking

    /// SELECT over started views' memory tables.
    private func query(_ query: Query) throws {
        let plan = try tableBinder.bind(query)
        let result = try TableQuery.run(plan) { [tables] name in tables[name]?.snapshot }
        output(ConsoleTable().render(names: plan.schema.fields.map(\.name), columns: result.columns))
    }

    /// EXPLAIN: a view (or a query over streams) as START would run it, or a SELECT over
    /// tables; the logical plan, then the physical one.
    private func explain(_ target: ExplainTarget) throws {
        let logical: LogicalPlan
        switch target {
        case .view(let name):
            if let view = views[name.name.lowercased()] {
                logical = view.plan
            } else if tables[name.name.lowercased()] != nil {
                logical = try tableBinder.bind(Query(Select(items: [SelectItem(SQLExpression(.star(qualifier: nil), at: name.location))],
                                                            from: TableReference(name: name), at: name.location)))
            } else {
                throw SQLError("unknown view '\(name.name)'", at: name.location, length: name.name.count,
                               hint: views.isEmpty ? "CREATE VIEW it first, or EXPLAIN SELECT ..." : "views: \(views.values.map(\.name).sorted().joined(separator: ", "))")
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
        let physical: String
        if logical.streams.isEmpty {
            physical = TableQuery.explain(logical)
        } else {
            physical = PhysicalPlanner(mode: OutputModeRules.defaultMode(logical)).lower(logical).root.explainTree()
        }
        output("== Logical plan ==\n" + logical.explain() + "== Physical plan ==\n" + physical)
    }

    private func show(_ target: ShowTarget) {
        var names: [String] = [], details: [String] = []
        switch target {
        case .sources:
            for key in order { if let s = sources[key] { names.append(s.name); details.append("\(s.connector) \(s.options.sorted { $0.key < $1.key }.map { "\($0.key)=\(Redaction.shown($0.key, $0.value))" }.joined(separator: " "))") } }
        case .streams:
            for key in order { if let s = streams[key] { names.append(s.name); details.append("from \(s.sourceName), \(s.columns.count) columns, mode \(s.mode.rawValue)" + (s.watermark.map { " watermark \(s.columns[$0.column].name) - \($0.delayMicros / 1_000_000) s" } ?? "")) } }
        case .views:
            for key in order { if let v = views[key] { names.append(v.name); details.append("from \(v.plan.streams.map(\.name).uniqued().joined(separator: ", ")): " + v.plan.schema.fields.map(\.name).joined(separator: ", ")) } }
        case .queries:
            for (key, query) in background.sorted(by: { $0.key < $1.key }) { names.append(key); details.append(query.status) }
        }
        var name = Column(type: .string), detail = Column(type: .string)
        names.forEach { name.append($0) }
        details.forEach { detail.append($0) }
        output(ConsoleTable(truncate: 0).render(names: ["name", target == .queries ? "status" : "definition"], columns: [name, detail]))
    }

    private func describe(_ name: Identifier) throws {
        let key = name.name.lowercased()
        let schema: Schema
        var notes: [String] = []
        if let stream = streams[key] {
            schema = stream.schema
            notes = stream.columns.map { c in
                switch c.origin {
                case .json: "json"
                case .computed: "computed"
                case .kafka: "kafka record field"
                case .corruptRecord: "corrupt record text"
                }
            }
        } else if let table = tables[key] {
            schema = table.snapshot.schema
        } else if let view = views[key] {
            schema = view.plan.schema
        } else if let source = sources[key] {
            output("source \(source.name): \(source.connector)\n" + source.options.sorted { $0.key < $1.key }.map { "  \($0.key) = \(Redaction.shown($0.key, $0.value))\n" }.joined())
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
        output(ConsoleTable(truncate: 0).render(names: ["col_name", "data_type", "comment"], columns: [names, types, kinds]))
    }

    /// The memory table of a started view (while it runs and after it stops).
    public func table(_ name: String) -> Batch? {
        tables[name.lowercased()]?.snapshot
    }
}

/// Bounds on a foreground stream: `nil` is unbounded.
public struct ForegroundLimit: Sendable {
    /// Micro-batches that ran (printed a progress line).
    public var batches: Int?
    /// Time since the stream started.
    public var duration: Duration?

    public init(batches: Int? = nil, duration: Duration? = nil) {
        self.batches = batches
        self.duration = duration
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
                throw SQLError("an aggregation over another aggregation's result (chained stateful operators) runs only in OUTPUT MODE append, as in Spark",
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

/// A query running on a thread of its own (START ... IN BACKGROUND).
final class BackgroundQuery: @unchecked Sendable {  // the query is touched only by its thread
    private let stopping = Atomic(false)
    private let done = Atomic(false)
    private let failure = Mutex<String?>(nil)
    private let query: StreamingQuery
    private let batches = Atomic(0)

    init(query: StreamingQuery, place: String, output: @escaping @Sendable (String) -> Void) {
        self.query = query
        let thread = Thread { [self] in
            let query = self.query
            do {
                try CellSession.drive(query, output: { _ in }, shouldStop: { self.stopping.load(ordering: .relaxed) },
                                      notice: { [view = query.view] in output("\(view): \($0)") })
            } catch {
                failure.withLock { $0 = "\(error)" }
                output("\(place): error: \(query.view) stopped: \(error)\n")
            }
            query.stop()
            done.store(true, ordering: .releasing)
        }
        thread.name = "cells.query.\(query.view)"
        thread.start()
    }

    var status: String {
        if let failure = failure.withLock({ $0 }) { return "failed: \(failure)" }
        return done.load(ordering: .acquiring) ? "finished" : "running (\(query.outputMode.rawValue), \(query.trigger))"
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        while !done.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.01) }
    }
}
