/// Plans a SELECT over a stream (or a table) into the stages of a ``QueryPlan``.
struct ViewPlanner {
    let stream: StreamDefinition

    func plan(view: String, _ select: Select) throws(SQLError) -> QueryPlan {
        let streamColumns = stream.columns.map { Binder.Column(name: $0.name, type: $0.type) }
        let scope = Binder(columns: streamColumns)

        let filter = try select.whereClause.map { (e) throws(SQLError) -> BoundExpression in
            let bound = try scope.bind(e)
            // `WHERE NULL` keeps no row, as in Spark: a NULL-typed condition becomes a BOOLEAN
            // one, so the filter always gets a BOOLEAN column.
            if bound.type == .null { return Binder.cast(bound, to: .boolean) }
            guard bound.type == .boolean else {
                throw SQLError("WHERE needs a BOOLEAN condition, but \(e.sqlText) is \(bound.type)", at: e.location)
            }
            return bound
        }

        // GROUP BY keys, with at most one window.
        var keys: [BoundExpression] = []
        var window: WindowSpec?
        var windowKey: Int?
        for (index, e) in select.groupBy.enumerated() {
            if case .function(let call) = e.kind, call.lowercasedName == "window" {
                guard window == nil else { throw SQLError("only one window() per GROUP BY", at: e.location) }
                window = try windowSpec(call, scope: scope, at: e.location)
                windowKey = index
                // The window start is the column after the scan's (see StreamingQuery.assignWindows).
                keys.append(.column(-1, .timestamp))
            } else {
                keys.append(try scope.bind(e))
            }
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
        if select.distinct {
            throw SQLError("SELECT DISTINCT is not supported on streams", at: select.location,
                           hint: "GROUP BY the columns instead")
        }

        // The select list, over the scan (plain queries) or over keys then aggregates.
        var post = scope
        if isAggregate {
            let keyTypes = keys.map(\.type)
            let postColumns = keyTypes.enumerated().map { Binder.Column(name: "#key\($0.offset)", type: $0.element) }
                + aggregateCalls.enumerated().map { Binder.Column(name: "#agg\($0.offset)", type: $0.element.1.resultType) }
            post = Binder(columns: postColumns)
            post.columnsOutsideReplacements = .mustBeGrouped
            for (index, e) in select.groupBy.enumerated() {
                post.replacements.append((e, .column(index, keyTypes[index])))
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
        }
        var projection: [BoundExpression] = []
        var names: [String] = []
        for item in select.items {
            if case .star = item.expression.kind {
                guard !isAggregate else { throw SQLError("'*' cannot be used with GROUP BY or aggregates", at: item.expression.location) }
                for (index, column) in stream.columns.enumerated() {
                    if case .kafka = column.origin { continue }
                    projection.append(.column(index, column.type))
                    names.append(column.name)
                }
                continue
            }
            if isAggregate, let windowKey, case .column(_, let name) = item.expression.kind, name.lowercased() == "window" {
                // A bare `window` is the whole window; shown as its start here, named `window`.
                projection.append(.column(windowKey, .timestamp))
                names.append(item.alias?.name ?? "window")
                continue
            }
            projection.append(try post.bind(item.expression))
            names.append(item.columnName)
        }
        let having = try select.having.map { (e) throws(SQLError) -> BoundExpression in
            let bound = try post.bind(e)
            if bound.type == .null { return Binder.cast(bound, to: .boolean) }
            guard bound.type == .boolean else {
                throw SQLError("HAVING needs a BOOLEAN condition, but \(e.sqlText) is \(bound.type)", at: e.location)
            }
            return bound
        }
        let outputSchema = Schema(zip(names, projection).map { Schema.Field(name: $0, type: $1.type) })

        // ORDER BY: an output column by name or position, or an expression of the select list.
        var orderBy: [SortKey] = []
        for item in select.orderBy {
            let column: Int
            if case .literal(.integer(let position)) = item.expression.kind {
                guard (1...Int64(names.count)).contains(position) else {
                    throw SQLError("ORDER BY position \(position) is not in the select list (1...\(names.count))", at: item.expression.location)
                }
                column = Int(position) - 1
            } else if case .column(_, let name) = item.expression.kind, let index = names.firstIndex(where: { $0.caseInsensitiveCompare(name) }) {
                column = index
            } else if let index = select.items.firstIndex(where: { $0.expression.isSameExpression(as: item.expression) }) {
                column = index
            } else {
                throw SQLError("ORDER BY \(item.expression.sqlText) must name a column of the select list", at: item.expression.location)
            }
            orderBy.append(SortKey(column: column, ascending: item.ascending, nullsFirst: item.nullsFirst))
        }
        let limit = try select.limit.map { (n) throws(SQLError) -> Int in
            guard n >= 0 else { throw SQLError("LIMIT must not be negative", at: select.location) }
            return Int(n)
        }

        // The scan reads only what the stages use; stream indices become scan positions.
        var used = Set<Int>()
        for e in [filter].compactMap({ $0 }) + keys + aggregateCalls.compactMap({ $0.1.argument }) { used.formUnion(e.columnsUsed) }
        if let window { used.formUnion(window.time.columnsUsed) }
        if !isAggregate { for e in projection { used.formUnion(e.columnsUsed) } }
        var watermark: (scanColumn: Int, delayMicros: Int64)?
        if let mark = stream.watermark, window != nil || keys.contains(where: { $0.columnsUsed.contains(mark.column) }) {
            used.insert(mark.column)
            watermark = (mark.column, mark.delayMicros)
        }
        used.remove(-1)
        if used.isEmpty, let cheapest = stream.columns.indices.first(where: { stream.columns[$0].origin == .kafka(.offset) })
            ?? stream.columns.indices.first {
            // Batches know their row count from their columns: `SELECT count(*)` still reads
            // one (the Kafka offset when there is one: it costs no decoding).
            used.insert(cheapest)
        }
        let scanColumns = used.sorted()
        var position: [Int: Int] = [:]
        for (p, c) in scanColumns.enumerated() { position[c] = p }
        position[-1] = scanColumns.count  // the window start, appended after the scan's columns
        func remap(_ e: BoundExpression) -> BoundExpression { e.remappingColumns { position[$0]! } }

        return QueryPlan(
            view: view, stream: stream, scanColumns: scanColumns, filter: filter.map(remap),
            window: window.map { WindowSpec(time: remap($0.time), sizeMicros: $0.sizeMicros, slideMicros: $0.slideMicros, startMicros: $0.startMicros) },
            keys: keys.map(remap),
            aggregates: aggregateCalls.map { call in var spec = call.1; spec.argument = spec.argument.map(remap); return spec },
            isAggregate: isAggregate, having: having, projection: isAggregate ? projection : projection.map(remap),
            outputSchema: outputSchema, orderBy: orderBy, limit: limit,
            watermark: watermark.map { (position[$0.scanColumn]!, $0.delayMicros) }, windowKey: windowKey)
    }

    /// The most windows one row may fall into (`ceil(size / slide)` of a sliding window).
    static let maxWindowsPerRow: Int64 = 1000

    private func windowSpec(_ call: FunctionCall, scope: Binder, at: SourceLocation) throws(SQLError) -> WindowSpec {
        guard (2...4).contains(call.arguments.count) else {
            throw SQLError("window() takes a time column, a duration and optionally a slide and a start", at: at, length: 6)
        }
        let time = try scope.bind(call.arguments[0])
        let timestamp = time.type == .timestamp ? time : time.type == .string || time.type == .date ? Binder.cast(time, to: .timestamp) : nil
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
        guard call.arguments.count == 1 else {
            throw SQLError("\(call.lowercasedName)() takes one argument", at: at, length: call.name.count)
        }
        let argument = call.arguments[0]
        if argument.contains(where: { if case .function(let f) = $0.kind { Binder.aggregateNames[f.lowercasedName] != nil } else { false } }) {
            throw SQLError("aggregate functions cannot be nested", at: argument.location)
        }
        var bound = try scope.bind(argument)
        switch function {
        case .count: return AggregateSpec(call.distinct ? .countDistinct : .count, bound)
        case .sum, .avg:
            if !bound.type.isNumeric {
                guard bound.type == .string || bound.type == .null else {
                    throw SQLError("\(call.lowercasedName)() needs numbers, but \(argument.sqlText) is \(bound.type)", at: argument.location)
                }
                bound = Binder.cast(bound, to: .double)
            }
            return AggregateSpec(function, bound)
        default:
            return AggregateSpec(call.distinct && function == .count ? .countDistinct : function, bound)
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
}
