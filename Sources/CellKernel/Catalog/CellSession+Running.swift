/// START and STOP: a view becomes a request to the backend, and its handle joins the query manager.
extension CellSession {
    // MARK: Running

    /// - Parameter place: `file:line:col` of the START, which a background query's failure names.
    func start(_ start: StartQuery, place: String, shouldStop: @escaping () -> Bool) throws {
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
    func request(for start: StartQuery, place: String) throws -> QueryRequest {
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
        var checkpointLocation = checkpointRoot.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "/" + view.name }
        if let option = start.sinkOptions.option(CheckpointError.optionName) {
            guard !option.value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw SQLError("'\(CheckpointError.optionName)' is empty", at: option.valueLocation,
                               hint: "name a folder for the query's checkpoint, such as 'chk/\(view.name)'")
            }
            checkpointLocation = option.value
        }
        // The limit and the location are the query's, not the sink's: the sink does not see them.
        let queryOptions = [StateMemoryLimit.optionName, CheckpointError.optionName]
        let sinkOptions = Dictionary(start.sinkOptions.filter { option in !queryOptions.contains { option.key.caseInsensitiveCompare($0) } }
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
        var request = QueryRequest(name: view.name, plan: plan, outputMode: mode, trigger: trigger, sources: sources, sinks: sinks,
                                   stateMemoryLimit: limit, place: place, checkpointLocation: checkpointLocation, output: output)
        if backend.readsDefinitions {
            request.definitions = try foreignDefinitions(of: view)
        } else {
            request.tables = try staticTables(of: plan, view: view.name, at: start.view.location)
        }
        return request
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

    func stop(_ name: Identifier) throws {
        guard queries.stop(name.name.lowercased()) != nil else {
            throw SQLError("'\(name.name)' is not running", at: name.location,
                           hint: queries.background.isEmpty ? "no query runs in the background" : "running: \(queries.background.keys.sorted().joined(separator: ", "))")
        }
        output(.message("stopped \(name.name); its last result stays in the table \(name.name)"))
    }

    /// The rows of the static tables `plan` reads, as they are now. A table dropped, or read
    /// again with other columns, since the view was defined no longer fits the plan.
    private func staticTables(of plan: LogicalPlan, view: String, at location: SourceLocation) throws(SQLError) -> [String: Batch] {
        var scans: [LogicalPlan] = []
        plan.forEachNode { if case .tableScan = $0.operation { scans.append($0) } }
        var tables: [String: Batch] = [:]
        for scan in scans {
            guard case .tableScan(let name, let columns) = scan.operation else { continue }
            let key = name.lowercased()
            guard let rows = catalog.tables[key]?.contents.batch else {
                throw SQLError("the table '\(name)' that '\(view)' reads no longer exists", at: location,
                               hint: "CREATE TABLE \(name) again, or CREATE OR REPLACE VIEW \(view) without it")
            }
            let fits = zip(columns, scan.schema.fields).allSatisfy { column, field in
                rows.schema.fields.indices.contains(column) && rows.schema.fields[column].type == field.type
                    && rows.schema.fields[column].name.caseInsensitiveCompare(field.name)
            }
            guard fits else {
                throw SQLError("the table '\(name)' has other columns than when '\(view)' was defined", at: location,
                               hint: "CREATE OR REPLACE VIEW \(view) to read the table as it is now")
            }
            tables[key] = rows
        }
        return tables
    }
}
