/// What a name in FROM stands for, as the catalog answers.
enum Relation {
    /// A stream: read from its source.
    case stream(StreamDefinition)
    /// A view: its plan is read in place of the name (views over views inline).
    case view(LogicalPlan)
    /// A started view's memory table (SELECT at the prompt).
    case table(name: String, schema: Schema)
}

/// Binds a ``Query`` into a ``LogicalPlan``: names resolved (WITH queries, then what the
/// catalog's `resolve` knows), expressions typed, each clause a node.
///
/// The binder builds the tree in SQL's logical order (FROM, WHERE, window, GROUP BY, HAVING,
/// select list, ORDER BY, LIMIT; UNION ALL over its terms) and then narrows every scan to the
/// columns the tree uses (``LogicalPlan/pruned()``).
struct QueryBinder {
    /// The catalog's answer for a name (already lower-cased), or nil with the names it has.
    let resolve: (String) -> Relation?
    /// What the catalog would suggest for an unknown name: its kind and the names it knows.
    let unknown: (Identifier) -> SQLError

    func bind(_ query: Query) throws(SQLError) -> LogicalPlan {
        try bind(query, scope: [:]).pruned()
    }

    /// `plan` if within the bounds every later pass relies on (they recurse over the tree).
    static func bounded(_ plan: LogicalPlan, at location: SourceLocation) throws(SQLError) -> LogicalPlan {
        if plan.scanCount > LogicalPlan.maximumScans {
            throw SQLError("this query reads streams \(plan.scanCount == .max ? "too many" : "\(plan.scanCount)") times; at most \(LogicalPlan.maximumScans) are allowed",
                           at: location, hint: "each scan of a stream opens its source: union fewer, or union the streams once in a view and read that")
        }
        if plan.size > LogicalPlan.maximumSize {
            throw SQLError("this query's plan has \(plan.size == .max ? "too many" : "\(plan.size)") operators; at most \(LogicalPlan.maximumSize) are allowed",
                           at: location, hint: "a WITH query or view read twice is copied twice: read it once")
        }
        if plan.height > LogicalPlan.maximumHeight {
            throw SQLError("this query's plan is \(plan.height) operators tall; at most \(LogicalPlan.maximumHeight) are allowed",
                           at: location, hint: "views over views inline each other: shorten the chain, or start a view and query its table")
        }
        return plan
    }

    private func bind(_ query: Query, scope outer: [String: LogicalPlan]) throws(SQLError) -> LogicalPlan {
        var scope = outer
        for cte in query.with {
            scope[cte.name.name.lowercased()] = try Self.bounded(try bind(cte.query, scope: scope), at: cte.name.location)
        }
        let first = try Self.bounded(try bind(query.select, scope: scope), at: query.select.location)
        guard !query.unionAll.isEmpty else { return first }
        var terms = [first]
        for select in query.unionAll {
            let term = try Self.bounded(try bind(select, scope: scope), at: select.location)
            guard term.schema.fields.count == first.schema.fields.count else {
                throw SQLError("UNION ALL needs the same number of columns on each side: the first SELECT has \(first.schema.fields.count), this one \(term.schema.fields.count)",
                               at: select.location, length: 6)
            }
            terms.append(term)
        }
        // Each column takes the type all sides fit in; names come from the first SELECT.
        var fields = first.schema.fields
        for (index, field) in fields.enumerated() {
            var type = field.type
            for (t, term) in terms.enumerated().dropFirst() {
                let other = term.schema.fields[index].type
                guard let common = Self.unionType(type, other) else {
                    throw SQLError("UNION ALL column \(index + 1) (\(field.name)) is \(type) in the first SELECT but \(other) in SELECT \(t + 1)",
                                   at: query.unionAll[t - 1].location, length: 6, hint: "CAST one side so both have the same type")
                }
                type = common
            }
            fields[index].type = type
        }
        let schema = Schema(fields)
        terms = terms.map { term in
            guard term.schema.fields.map(\.type) != fields.map(\.type) else { return term }
            let casts = term.schema.fields.enumerated().map { TypeCoercion.cast(.column($0.offset, $0.element.type), to: fields[$0.offset].type) }
            return LogicalPlan(.project(casts), [term], schema: Schema(zip(term.schema.fields, fields).map { .init(name: $0.name, type: $1.type) }),
                               eventTime: term.eventTime)
        }
        let eventTime = terms.allSatisfy({ $0.eventTime == first.eventTime }) ? first.eventTime : nil
        var plan = try Self.bounded(LogicalPlan(.unionAll, terms, schema: schema, eventTime: eventTime), at: query.location)
        plan = try order(plan, by: query.orderBy, items: nil)
        if let limit = query.limit {
            guard limit >= 0 else { throw SQLError("LIMIT must not be negative", at: query.location) }
            plan = LogicalPlan(.limit(Int(clamping: limit)), [plan], schema: plan.schema, eventTime: plan.eventTime)
        }
        return plan
    }

    /// The type two sides of a UNION ALL column share, as Spark widens them.
    static func unionType(_ a: SQLType, _ b: SQLType) -> SQLType? {
        if a == b { return a }
        if a == .null { return b }
        if b == .null { return a }
        if a.isNumeric && b.isNumeric { return TypeCoercion.widerNumeric(a, b) }
        if (a == .timestamp && b == .date) || (a == .date && b == .timestamp) { return .timestamp }
        if a == .string || b == .string { return .string }
        return nil
    }

    func source(_ from: TableReference, scope: [String: LogicalPlan]) throws(SQLError) -> LogicalPlan {
        guard let dedup = from.deduplicate else { return try relation(from, scope: scope) }
        return try deduplicated(try relation(from, scope: scope), dedup, item: from.name)
    }

    private func relation(_ from: TableReference, scope: [String: LogicalPlan]) throws(SQLError) -> LogicalPlan {
        if let subquery = from.subquery { return try bind(subquery, scope: scope) }
        let key = from.name.name.lowercased()
        if let cte = scope[key] { return cte }
        switch resolve(key) {
        case .stream(let stream)?:
            return LogicalPlan(.streamScan(stream, columns: Array(stream.columns.indices)), [], schema: stream.schema,
                               eventTime: stream.watermark.map { EventTimeColumn(column: $0.column, shiftMicros: 0) })
        case .view(let plan)?:
            return plan
        case .table(let name, let schema)?:
            return LogicalPlan(.tableScan(name: name, columns: Array(schema.fields.indices)), [], schema: schema, eventTime: nil)
        case nil:
            throw unknown(from.name)
        }
    }

    // MARK: One SELECT

    private func bind(_ written: Select, scope: [String: LogicalPlan]) throws(SQLError) -> LogicalPlan {
        let from = try lateralViews(written.lateralViews, over: try fromClause(written.from, scope: scope))
        let input = from.plan
        try Self.checkGenerators(written)
        var select = !written.distinct ? written
            : try Self.distinctAsGrouping(written, columns: from.star.filter(input.schema.fields.indices.contains).map { input.schema.fields[$0].name })
        var scope = Binder(columns: from.columns)
        scope.replacements = from.replacements
        // Over an aggregation's windows, `window.start` and `window.end` read its window
        // column as they did in the aggregation itself.
        if let mark = input.eventTime, mark.shiftMicros > 0 {
            let name = input.schema.fields[mark.column].name
            let start = BoundExpression.column(mark.column, .timestamp)
            let end = BoundExpression.call(.add, [start, .literal(.int(mark.shiftMicros + 1), .timestamp)], .timestamp)
            let at = select.location
            let column = SQLExpression(.column(qualifier: nil, name: name), at: at)
            scope.replacements.append((SQLExpression(.field(column, name: "start"), at: at), start))
            scope.replacements.append((SQLExpression(.field(column, name: "end"), at: at), end))
            scope.replacements.append((SQLExpression(.column(qualifier: name, name: "start"), at: at), start))
            scope.replacements.append((SQLExpression(.column(qualifier: name, name: "end"), at: at), end))
        }
        var plan = input

        if let condition = select.whereClause {
            let bound = try Self.condition(condition, scope, clause: "WHERE")
            plan = LogicalPlan(.filter(bound), [plan], schema: plan.schema, eventTime: plan.eventTime)
        }
        if let generated = try generate(select, over: plan, scope: &scope) { (plan, select) = generated }

        // GROUP BY keys, with at most one window.
        var keys: [BoundExpression] = []
        var window: WindowSpec?
        var windowKey: Int?
        var session: SessionWindowKey?
        for (index, e) in select.groupBy.enumerated() {
            if case .function(let call) = e.kind, call.lowercasedName == "session_window" {
                // The session operator groups by the event time, then by session (QueryBinder+Session.swift).
                guard session == nil, window == nil else { throw SQLError("only one window() or session_window() per GROUP BY", at: e.location) }
                let (time, gap) = try sessionWindow(call, scope: scope, at: e.location)
                session = SessionWindowKey(key: index, gapMicros: gap)
                keys.append(time)
            } else if case .function(let call) = e.kind, call.lowercasedName == "window" {
                guard window == nil, session == nil else { throw SQLError("only one window() or session_window() per GROUP BY", at: e.location) }
                window = try windowSpec(call, scope: scope, input: input, at: e.location)
                windowKey = index
                // The window start is the column the window node adds after its input's.
                keys.append(.column(input.schema.fields.count, .timestamp))
            } else {
                keys.append(try scope.bind(e))
            }
        }
        var aggregateInput = scope
        if window != nil {
            aggregateInput.columns.append(Binder.Column(name: "window", type: .timestamp))
        }

        // Aggregates, wherever they appear in the select list, HAVING or ORDER BY.
        var aggregateCalls: [(SQLExpression, AggregateSpec)] = []
        func collect(_ e: SQLExpression) throws(SQLError) {
            if case .function(let call) = e.kind, let function = Binder.aggregateNames[call.lowercasedName] {
                guard !aggregateCalls.contains(where: { $0.0.isSameExpression(as: e) }) else { return }
                aggregateCalls.append((e, try aggregate(call, function, scope: scope, at: e.location)))
                return
            }
            for child in e.children { try collect(child) }
        }
        for item in select.items { try collect(item.expression) }
        if let having = select.having { try collect(having) }
        for item in select.orderBy { try collect(item.expression) }
        let isAggregate = !select.groupBy.isEmpty || !aggregateCalls.isEmpty || select.having != nil

        var post = scope
        if isAggregate {
            if let window {
                let inputEventTime = plan.eventTime
                plan = LogicalPlan(.window(window), [plan], schema: Schema(plan.schema.fields + [.init(name: "window", type: .timestamp)]),
                                   eventTime: inputEventTime)
            }
            let eventColumn = plan.eventTime?.column
            let usesWatermark = plan.eventTime != nil
                && (window != nil || keys.contains { key in eventColumn.map { key.columnsUsed.contains($0) } ?? false })
            let aggregation = Aggregation(keys: keys, aggregates: aggregateCalls.map(\.1),
                                          window: windowKey.map { ($0, window!.sizeMicros) }, usesWatermark: usesWatermark,
                                          session: session)
            try Self.checkChain(over: input, window: window, usesWatermark: usesWatermark, select: select)
            let keyTypes = keys.map(\.type)
            let fields = keyTypes.enumerated().map { Schema.Field(name: "#key\($0.offset)", type: $0.element) }
                + aggregateCalls.enumerated().map { Schema.Field(name: "#agg\($0.offset)", type: $0.element.1.resultType) }
                + (session == nil ? [] : [Schema.Field(name: "#sessionEnd", type: .timestamp)])
            // An aggregation's window rows carry event time: the window's last instant.
            let eventTime = windowKey.flatMap { key in
                usesWatermark ? EventTimeColumn(column: key, shiftMicros: window!.sizeMicros - 1) : nil
            }
            plan = LogicalPlan(.aggregate(aggregation), [plan], schema: Schema(fields), eventTime: eventTime)

            post = Binder(columns: fields.map { Binder.Column(name: $0.name, type: $0.type) })
            post.columnsOutsideReplacements = .mustBeGrouped
            for (index, e) in select.groupBy.enumerated() {
                post.replacements.append((e, .column(index, keyTypes[index])))
                if index == session?.key {
                    post.replacements += Self.sessionReplacements(e, start: index, end: keys.count + aggregateCalls.count)
                }
                if index == windowKey, let window {
                    let start = BoundExpression.column(index, .timestamp)
                    let end = BoundExpression.call(.add, [start, .literal(.int(window.sizeMicros), .timestamp)], .timestamp)
                    let loc = e.location
                    post.replacements.append((SQLExpression(.field(e, name: "start"), at: loc), start))
                    post.replacements.append((SQLExpression(.field(e, name: "end"), at: loc), end))
                    // `window.start` reads as the column `start` qualified by `window`.
                    post.replacements.append((SQLExpression(.column(qualifier: "window", name: "start"), at: loc), start))
                    post.replacements.append((SQLExpression(.column(qualifier: "window", name: "end"), at: loc), end))
                }
            }
            for (index, call) in aggregateCalls.enumerated() {
                post.replacements.append((call.0, .column(keys.count + index, call.1.resultType)))
            }
            if let having = select.having {
                let bound = try Self.condition(having, post, clause: "HAVING")
                plan = LogicalPlan(.filter(bound), [plan], schema: plan.schema, eventTime: plan.eventTime)
            }
        }

        // The select list, over the input (plain queries) or over keys then aggregates.
        var projection: [BoundExpression] = []
        var names: [String] = []
        for item in select.items {
            if case .star(let qualifier) = item.expression.kind {
                guard !isAggregate else { throw SQLError("'*' cannot be used with GROUP BY or aggregates", at: item.expression.location) }
                for index in try from.starColumns(qualifier, at: item.expression.location) {
                    projection.append(.column(index, input.schema.fields[index].type))
                    names.append(input.schema.fields[index].name)
                }
                continue
            }
            if isAggregate, let key = session?.key, case .column(nil, let name) = item.expression.kind, name.lowercased() == "session_window" {
                // A bare `session_window` is shown as its start, as a bare `window` is.
                projection.append(.column(key, .timestamp))
                names.append(item.alias?.name ?? "session_window")
                continue
            }
            if isAggregate, let windowKey, case .column(_, let name) = item.expression.kind, name.lowercased() == "window" {
                // A bare `window` is the whole window; shown as its start here, named `window`.
                projection.append(.column(windowKey, .timestamp))
                names.append(item.alias?.name ?? "window")
                continue
            }
            projection.append(try post.bind(item.expression))
            names.append(Self.sparkColumnName(item))
        }
        let projected = Schema(zip(names, projection).map { Schema.Field(name: $0, type: $1.type) })
        let eventTime = plan.eventTime.flatMap { mark in
            projection.firstIndex(of: .column(mark.column, plan.schema.fields[mark.column].type))
                .map { EventTimeColumn(column: $0, shiftMicros: mark.shiftMicros) }
        }
        plan = LogicalPlan(.project(projection), [plan], schema: projected, eventTime: eventTime)
        plan = try order(plan, by: select.orderBy, items: select.items)
        if let limit = select.limit {
            guard limit >= 0 else { throw SQLError("LIMIT must not be negative", at: select.location) }
            plan = LogicalPlan(.limit(Int(clamping: limit)), [plan], schema: plan.schema, eventTime: plan.eventTime)
        }
        return plan
    }

    /// `SELECT DISTINCT items` as Spark plans it: an aggregation grouping by every item (so the
    /// output-mode rules of GROUP BY apply: update or complete, or append when a window under
    /// a watermark is among them). `*` stands for the columns it would select (`columns`).
    /// With aggregates and no GROUP BY the result is one row, already distinct; DISTINCT over
    /// GROUP BY would be a second aggregation, refused here.
    static func distinctAsGrouping(_ select: Select, columns: [String]) throws(SQLError) -> Select {
        guard select.distinct else { return select }
        var select = select
        select.distinct = false
        let aggregates = select.items.contains { item in
            item.expression.contains { if case .function(let f) = $0.kind { Binder.aggregateNames[f.lowercasedName] != nil } else { false } }
        }
        if !select.groupBy.isEmpty {
            throw SQLError("SELECT DISTINCT with GROUP BY is not supported", at: select.location,
                           hint: "the groups are distinct already unless the select list drops keys: select from this query in another view with DISTINCT")
        }
        if aggregates || select.having != nil { return select }
        var items: [SelectItem] = []
        for item in select.items {
            if case .star(let qualifier) = item.expression.kind {
                items += columns.map { SelectItem(SQLExpression(.column(qualifier: qualifier, name: $0), at: item.expression.location)) }
            } else {
                items.append(item)
            }
        }
        select.items = items
        // Literals are constant per group; as GROUP BY keys they could read as positions.
        select.groupBy = items.map(\.expression).filter { if case .literal = $0.kind { false } else { true } }
        if select.groupBy.isEmpty {
            throw SQLError("SELECT DISTINCT of constants only is not supported", at: select.location,
                           hint: "select at least one column")
        }
        return select
    }

    /// An aggregation over a stream's aggregation is a chain of stateful operators, which
    /// Spark runs only when every one groups by an event-time window under a watermark, the
    /// later ones windowing the earlier one's `window` (whose rows are final once it closes).
    /// Over tables any chain is fine: a table is all there is.
    static func checkChain(over input: LogicalPlan, window: WindowSpec?, usesWatermark: Bool, select: Select) throws(SQLError) {
        guard input.isAggregate, !input.streams.isEmpty else { return }
        var upstreamWindowed = true
        input.forEachNode { node in
            if case .aggregate(let a) = node.operation, a.window == nil || !a.usesWatermark { upstreamWindowed = false }
        }
        let at = select.groupBy.first?.location ?? select.location
        let rule = "an aggregation over another aggregation's result is a chain of stateful operators, which Spark allows only "
            + "when each groups by an event-time window under a watermark, in OUTPUT MODE append"
        guard upstreamWindowed else {
            throw SQLError(rule + ", and the aggregation this one reads is not windowed under a watermark", at: at,
                           hint: "add WATERMARK col DELAY '...' to the stream and GROUP BY window(col, '...') in the first aggregation, "
                               + "or aggregate the stream directly in one view")
        }
        let windowsUpstream = window.map { spec in input.eventTime.map { spec.time.columnsUsed.contains($0.column) } ?? false } ?? false
        guard usesWatermark, windowsUpstream else {
            throw SQLError(rule + ", and this one does not group by a window of the earlier one's window", at: at,
                           hint: "GROUP BY window(window, '...') here (the earlier window's rows carry its end as their event time), "
                               + "then START with OUTPUT MODE append")
        }
    }

    /// ORDER BY over `plan`'s columns: an output column by name or position, or an expression
    /// of the select list.
    private func order(_ plan: LogicalPlan, by order: [OrderItem], items: [SelectItem]?) throws(SQLError) -> LogicalPlan {
        guard !order.isEmpty else { return plan }
        let names = plan.schema.fields.map(\.name)
        var keys: [SortKey] = []
        for item in order {
            let column: Int
            if case .literal(.integer(let position)) = item.expression.kind {
                guard (1...Int64(max(names.count, 1))).contains(position), !names.isEmpty else {
                    throw SQLError("ORDER BY position \(position) is not in the select list (1...\(names.count))", at: item.expression.location)
                }
                column = Int(position) - 1
            } else if case .column(_, let name) = item.expression.kind, let index = names.firstIndex(where: { $0.caseInsensitiveCompare(name) }) {
                column = index
            } else if let items, let index = items.firstIndex(where: { $0.expression.isSameExpression(as: item.expression) }) {
                column = index
            } else {
                throw SQLError("ORDER BY \(item.expression.sqlText) must name a column of the select list", at: item.expression.location)
            }
            keys.append(SortKey(column: column, ascending: item.ascending, nullsFirst: item.nullsFirst))
        }
        return LogicalPlan(.sort(keys), [plan], schema: plan.schema, eventTime: plan.eventTime)
    }

    /// A WHERE or HAVING condition: BOOLEAN, or NULL (which keeps no row, as in Spark).
    private static func condition(_ e: SQLExpression, _ scope: Binder, clause: String) throws(SQLError) -> BoundExpression {
        let bound = try scope.bind(e)
        if bound.type == .null { return TypeCoercion.cast(bound, to: .boolean) }
        guard bound.type == .boolean else {
            throw SQLError("\(clause) needs a BOOLEAN condition, but \(e.sqlText) is \(bound.type)", at: e.location)
        }
        return bound
    }

    /// The most windows one row may fall into (`ceil(size / slide)` of a sliding window).
    static let maxWindowsPerRow: Int64 = 1000

    private func windowSpec(_ call: FunctionCall, scope: Binder, input: LogicalPlan, at: SourceLocation) throws(SQLError) -> WindowSpec {
        guard (2...4).contains(call.arguments.count) else {
            throw SQLError("window() takes a time column, a duration and optionally a slide and a start", at: at, length: 6)
        }
        var time = try scope.bind(call.arguments[0])
        // Windowing an aggregation's window rows: their event time is the window's last
        // instant (Spark's window_time), not its start.
        if case .column(let c, .timestamp) = time, let mark = input.eventTime, mark.column == c, mark.shiftMicros != 0 {
            time = .call(.add, [time, .literal(.int(mark.shiftMicros), .timestamp)], .timestamp)
        }
        let timestamp = time.type == .timestamp ? time : time.type == .string || time.type == .date ? TypeCoercion.cast(time, to: .timestamp) : nil
        guard let timestamp else {
            throw SQLError("window() needs a TIMESTAMP, but \(call.arguments[0].sqlText) is \(time.type)", at: call.arguments[0].location,
                           hint: "make one in the stream, e.g. event_time AS to_timestamp(concat(dia_compra, ' ', horario_compra))")
        }
        func duration(_ i: Int) throws(SQLError) -> Int64 {
            guard case .literal(.string(let text)) = call.arguments[i].kind, let micros = parseIntervalMicroseconds(text) else {
                if case .literal(.string(let text)) = call.arguments[i].kind, intervalExceedsRange(text) {
                    throw SQLError("'\(text)' is longer than the longest duration a TIMESTAMP can span (2^63 microseconds, about 106751991 days)",
                                   at: call.arguments[i].location)
                }
                throw SQLError("window() needs a duration such as '1 minute' here", at: call.arguments[i].location)
            }
            return micros
        }
        func text(_ i: Int) -> String { if case .literal(.string(let s)) = call.arguments[i].kind { "'\(s)'" } else { call.arguments[i].sqlText } }
        let size = try duration(1)
        guard size > 0 else {
            throw SQLError("the window duration (\(text(1))) must be greater than 0", at: call.arguments[1].location)
        }
        let slide = call.arguments.count > 2 ? try duration(2) : size
        if call.arguments.count > 2 {
            guard slide > 0 else {
                throw SQLError("the slide duration (\(text(2))) must be greater than 0", at: call.arguments[2].location)
            }
            guard slide <= size else {
                throw SQLError("the slide duration (\(text(2))) must be less than or equal to the window duration (\(text(1)))",
                               at: call.arguments[2].location)
            }
            // Each row is copied into ceil(size / slide) windows: bound it, or one row can take gigabytes.
            let perRow = size / slide + (size % slide == 0 ? 0 : 1)
            guard perRow <= Self.maxWindowsPerRow else {
                throw SQLError("window(\(text(1)), \(text(2))) puts each row in \(perRow) windows; at most \(Self.maxWindowsPerRow) are allowed",
                               at: call.arguments[2].location,
                               hint: "use a slide of at least 1/\(Self.maxWindowsPerRow) of the window duration")
            }
        }
        let start = call.arguments.count > 3 ? try duration(3) : 0
        guard start.magnitude < slide.magnitude else {
            throw SQLError("the absolute value of the start time (\(text(3))) must be less than the slide duration (\(text(call.arguments.count > 2 ? 2 : 1)))",
                           at: call.arguments[3].location)
        }
        return WindowSpec(time: timestamp, sizeMicros: size, slideMicros: slide, startMicros: start)
    }

    private func aggregate(_ call: FunctionCall, _ function: AggregateFunction, scope: Binder,
                           at: SourceLocation) throws(SQLError) -> AggregateSpec {
        if function == .count {
            if call.arguments.count == 1, case .star = call.arguments[0].kind { return AggregateSpec(.countAll, nil) }
            if call.arguments.count == 1, case .literal(let l) = call.arguments[0].kind, l != .null, !call.distinct {
                return AggregateSpec(.countAll, nil)
            }
        }
        let name = call.lowercasedName
        let arity: ClosedRange<Int> = switch function {
        case .first, .last: 1...2
        case .minBy, .maxBy: 2...2
        case .percentileApprox: 2...3
        default: 1...1
        }
        guard arity.contains(call.arguments.count) else {
            let says = arity == 1...1 ? "one argument" : arity == 2...2 ? "two arguments" : arity == 2...3 ? "two or three arguments" : "one or two arguments"
            throw SQLError("\(name)() takes \(says)", at: at, length: call.name.count,
                           hint: function == .minBy || function == .maxBy ? "\(name)(value, ordering)" : nil)
        }
        for argument in call.arguments where argument.contains(where: {
            if case .function(let f) = $0.kind { Binder.aggregateNames[f.lowercasedName] != nil } else { false }
        }) {
            throw SQLError("aggregate functions cannot be nested", at: argument.location)
        }
        let argument = call.arguments[0]
        if call.distinct {
            // DISTINCT changes nothing for these; for the others it is a different aggregate
            // not implemented (Spark has stddev(DISTINCT x) etc.): say so rather than ignore it.
            switch function {
            case .count, .sum, .avg, .min, .max, .approxCountDistinct, .boolAnd, .boolOr, .collectList, .collectSet: break
            default:
                throw SQLError("\(name)(DISTINCT ...) is not supported", at: at, length: call.name.count,
                               hint: "remove DISTINCT, or aggregate a view that selects DISTINCT values first")
            }
        }
        var bound = try scope.bind(argument)
        switch function {
        case .count: return AggregateSpec(call.distinct ? .countDistinct : .count, bound)
        case .sum, .avg, .stddevSamp, .stddevPop, .varSamp, .varPop:
            let statistical = function != .sum && function != .avg
            if !bound.type.isNumeric || statistical && bound.type != .double {
                guard bound.type.isNumeric || bound.type == .string || bound.type == .null else {
                    throw SQLError("\(name)() needs numbers, but \(argument.sqlText) is \(bound.type)", at: argument.location)
                }
                // Spark's CentralMomentAgg works in DOUBLE whatever the numeric input.
                bound = TypeCoercion.cast(bound, to: .double)
            }
            if call.distinct { return AggregateSpec(function == .sum ? .sumDistinct : .avgDistinct, bound) }
            return AggregateSpec(function, bound)
        case .countIf, .boolAnd, .boolOr:
            if bound.type == .null { bound = TypeCoercion.cast(bound, to: .boolean) }
            guard bound.type == .boolean else {
                throw SQLError("\(name)() needs a boolean, but \(argument.sqlText) is \(bound.type)", at: argument.location,
                               hint: function == .countIf ? "count_if(condition), e.g. count_if(amount > 100)" : nil)
            }
            return AggregateSpec(function, bound)
        case .first, .last:
            var ignoreNulls = false
            if call.arguments.count == 2 {
                guard case .literal(.bool(let flag)) = call.arguments[1].kind else {
                    throw SQLError("the second argument of \(name)() must be true or false (ignore NULLs)",
                                   at: call.arguments[1].location)
                }
                ignoreNulls = flag
            }
            let chosen: AggregateFunction = switch (function, ignoreNulls) {
            case (.first, false): .first
            case (.first, true): .firstIgnoreNulls
            case (_, false): .last
            default: .lastIgnoreNulls
            }
            return AggregateSpec(chosen, bound)
        case .minBy, .maxBy:
            let ordering = try scope.bind(call.arguments[1])
            return AggregateSpec(function, bound, ordering: ordering)
        case .percentileApprox:
            return try percentile(call, bound, argument)
        case .collectList, .collectSet:
            return try collect(call, function, bound, argument)
        default:
            return AggregateSpec(function, bound)
        }
    }
}

extension QueryBinder {
    /// `percentile_approx(x, p [, accuracy])`: p a literal in [0, 1], accuracy a positive
    /// integer literal (default 10000, Spark's; the rank error is at most count / accuracy).
    /// The result has x's type; a DECIMAL or STRING x is read as DOUBLE, and so is the result
    /// (Spark keeps DECIMAL: a deliberate difference, the sketch holds 64-bit keys).
    fileprivate func percentile(_ call: FunctionCall, _ bound: BoundExpression, _ argument: SQLExpression) throws(SQLError) -> AggregateSpec {
        let name = call.lowercasedName
        var value = bound
        switch value.type.storage {
        case .int64 where value.type != .null, .double: break
        case .int128, .bytes, .int64: value = TypeCoercion.cast(value, to: .double)
        case .bool:
            throw SQLError("\(name)() needs numbers, dates or timestamps, but \(argument.sqlText) is \(value.type)", at: argument.location)
        }
        func number(_ e: SQLExpression) -> Double? {
            switch e.kind {
            case .literal(.integer(let i)): Double(i)
            case .literal(.double(let d)): d
            case .literal(.decimal(let text)): Double(text)
            default: nil
            }
        }
        let pe = call.arguments[1]
        if case .function(let f) = pe.kind, f.lowercasedName == "array" {
            throw SQLError("\(name)() with an array of percentages is not supported yet", at: pe.location,
                           hint: "one \(name)(x, p) per percentage")
        }
        guard let p = number(pe), p >= 0, p <= 1 else {
            throw SQLError("the percentage of \(name)() must be a number literal between 0.0 and 1.0", at: pe.location)
        }
        var accuracy = 10_000.0
        if call.arguments.count == 3 {
            let ae = call.arguments[2]
            guard case .literal(.integer(let a)) = ae.kind, a > 0, a <= Int64(Int32.max) else {
                throw SQLError("the accuracy of \(name)() must be a positive integer literal", at: ae.location,
                               hint: "e.g. 10000 (the default): the rank error is at most 1/accuracy of the rows")
            }
            accuracy = Double(a)
        }
        return AggregateSpec(.percentileApprox, value, parameters: [p, accuracy])
    }

    /// `collect_list(x)` / `collect_set(x)`: ARRAY<x's type>. `collect_list(DISTINCT x)` is a set
    /// (as Spark's distinct aggregation of it). Spark refuses MAP elements in a set (maps have
    /// no equality there); the ARRAY must stay within the nesting depth every value keeps.
    fileprivate func collect(_ call: FunctionCall, _ function: AggregateFunction, _ bound: BoundExpression,
                             _ argument: SQLExpression) throws(SQLError) -> AggregateSpec {
        let chosen: AggregateFunction = call.distinct ? .collectSet : function
        func hasMap(_ type: SQLType) -> Bool {
            switch type {
            case .map: true
            case .array(let element): hasMap(element)
            case .struct(let fields): fields.contains { hasMap($0.type) }
            default: false
            }
        }
        if chosen == .collectSet, hasMap(bound.type) {
            throw SQLError("\(call.lowercasedName)() cannot collect distinct values of \(bound.type): maps cannot be compared",
                           at: argument.location, hint: "use collect_list(), which keeps every value")
        }
        guard bound.type.nestingDepth < SQLType.maximumNestingDepth else {
            throw SQLError("\(call.lowercasedName)() of \(argument.sqlText) would nest deeper than \(SQLType.maximumNestingDepth) levels",
                           at: argument.location)
        }
        return AggregateSpec(chosen, bound)
    }

    /// Spark's name for an unaliased select item: as ``SelectItem/columnName``, but
    /// percentile_approx shows its default accuracy, `percentile_approx(x, 0.5, 10000)`, and
    /// first/last leave out their ignoreNulls flag, `first(x)` (in Spark it is a field of the
    /// aggregate, not one of the arguments its name lists).
    static func sparkColumnName(_ item: SelectItem) -> String {
        guard item.alias == nil, case .function(let call) = item.expression.kind, call.arguments.count == 2 else { return item.columnName }
        switch Binder.aggregateNames[call.lowercasedName] {
        case .percentileApprox?:
            let name = item.columnName
            return name.hasSuffix(")") ? name.dropLast() + ", 10000)" : name
        case .first?, .last?:
            return "\(call.lowercasedName)(\(call.arguments[0].sqlText))"
        default:
            return item.columnName
        }
    }
}

extension BoundExpression {
    func remappingColumns(_ map: (Int) -> Int) -> BoundExpression {
        switch self {
        case .column(let index, let type): .column(map(index), type)
        case .literal: self
        case .call(let f, let args, let type): .call(f, args.map { $0.remappingColumns(map) }, type)
        }
    }

    /// Column indices the expression reads.
    var columnsUsed: Set<Int> {
        switch self {
        case .column(let index, _): [index]
        case .literal: []
        case .call(_, let arguments, _): arguments.reduce(into: Set<Int>()) { $0.formUnion($1.columnsUsed) }
        }
    }
}
