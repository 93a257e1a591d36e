extension LogicalPlan {
    /// The same plan with every scan narrowed to the columns the tree above it reads: what
    /// lets the decoder skip JSON fields no operator uses, however many views lie between.
    func pruned() -> LogicalPlan {
        pruned(keeping: Set(schema.fields.indices), eventTimeNeeded: false).plan
    }

    /// A plan whose outputs include `needed` (maybe more), and where each old output column
    /// went. `eventTimeNeeded`: an aggregation above uses the watermark, so a scan keeps the
    /// column its watermark is measured on.
    private func pruned(keeping needed: Set<Int>, eventTimeNeeded: Bool) -> (plan: LogicalPlan, map: [Int: Int]) {
        func remap(_ e: BoundExpression, _ map: [Int: Int]) -> BoundExpression { e.remappingColumns { map[$0] ?? $0 } }
        func remapped(_ mark: EventTimeColumn?, _ map: [Int: Int]) -> EventTimeColumn? {
            mark.flatMap { m in map[m.column].map { EventTimeColumn(column: $0, shiftMicros: m.shiftMicros) } }
        }
        switch operation {
        case .streamScan(let stream, let columns):
            var keep = needed
            if eventTimeNeeded, let mark = eventTime { keep.insert(mark.column) }
            if keep.isEmpty {
                // Batches know their row count from their columns: `count(*)` still reads one
                // (the Kafka offset when there is one: it costs no decoding).
                keep.insert(columns.firstIndex { stream.columns[$0].origin == .kafka(.offset) } ?? 0)
            }
            let kept = keep.sorted()
            let map = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            let plan = LogicalPlan(.streamScan(stream, columns: kept.map { columns[$0] }), [],
                                   schema: Schema(kept.map { schema.fields[$0] }), eventTime: remapped(eventTime, map))
            return (plan, map)
        case .tableScan(let name, let columns):
            let kept = needed.isEmpty ? [0] : needed.sorted()
            let map = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            return (LogicalPlan(.tableScan(name: name, columns: kept.map { columns[$0] }), [],
                                schema: Schema(kept.map { schema.fields[$0] }), eventTime: nil), map)
        case .filter(let condition):
            let (input, map) = inputs[0].pruned(keeping: needed.union(condition.columnsUsed), eventTimeNeeded: eventTimeNeeded)
            return (LogicalPlan(.filter(remap(condition, map)), [input], schema: input.schema, eventTime: input.eventTime), map)
        case .sort(let keys):
            let (input, map) = inputs[0].pruned(keeping: needed.union(keys.map(\.column)), eventTimeNeeded: eventTimeNeeded)
            let sorted = keys.map { SortKey(column: map[$0.column]!, ascending: $0.ascending, nullsFirst: $0.nullsFirst) }
            return (LogicalPlan(.sort(sorted), [input], schema: input.schema, eventTime: input.eventTime), map)
        case .limit(let n):
            let (input, map) = inputs[0].pruned(keeping: needed, eventTimeNeeded: eventTimeNeeded)
            return (LogicalPlan(.limit(n), [input], schema: input.schema, eventTime: input.eventTime), map)
        case .deduplicate(var spec):
            // Every key is read; the event time too (late rows, expiry) when there is a watermark.
            let (input, map) = inputs[0].pruned(keeping: needed.union(spec.keys), eventTimeNeeded: true)
            spec.keys = spec.keys.map { map[$0] ?? $0 }
            return (LogicalPlan(.deduplicate(spec), [input], schema: input.schema, eventTime: input.eventTime), map)
        case .project(let expressions):
            let kept = needed.isEmpty ? [0] : needed.sorted()
            let used = kept.reduce(into: Set<Int>()) { $0.formUnion(expressions[$1].columnsUsed) }
            let (input, inputMap) = inputs[0].pruned(keeping: used, eventTimeNeeded: eventTimeNeeded)
            let map = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            let outer = kept.map { remap(expressions[$0], inputMap) }
            return (Self.projection(outer, over: input, schema: Schema(kept.map { schema.fields[$0] }),
                                    eventTime: remapped(eventTime, map)), map)
        case .window(let spec):
            let width = inputs[0].schema.fields.count
            let (input, inputMap) = inputs[0].pruned(keeping: needed.filter { $0 < width }.union(spec.time.columnsUsed),
                                                     eventTimeNeeded: eventTimeNeeded)
            var map = inputMap
            map[width] = input.schema.fields.count
            var window = spec
            window.time = remap(spec.time, inputMap)
            return (LogicalPlan(.window(window), [input], schema: Schema(input.schema.fields + [schema.fields[width]]),
                                eventTime: input.eventTime), map)
        case .aggregate(var aggregation):
            var used = Set<Int>()
            for key in aggregation.keys { used.formUnion(key.columnsUsed) }
            for spec in aggregation.aggregates { if let argument = spec.argument { used.formUnion(argument.columnsUsed) } }
            for spec in aggregation.aggregates { if let ordering = spec.ordering { used.formUnion(ordering.columnsUsed) } }
            var (input, map) = inputs[0].pruned(keeping: used, eventTimeNeeded: eventTimeNeeded || aggregation.usesWatermark)
            aggregation.keys = aggregation.keys.map { remap($0, map) }
            aggregation.aggregates = aggregation.aggregates.map { spec in
                var spec = spec
                spec.argument = spec.argument.map { remap($0, map) }
                spec.ordering = spec.ordering.map { remap($0, map) }
                return spec
            }
            // Grouping a select list (a view over a view) groups its expressions directly, so the
            // chain runs as the query written in one piece would.
            if case .project(let inner) = input.operation {
                let arguments = aggregation.keys + aggregation.aggregates.compactMap(\.argument) + aggregation.aggregates.compactMap(\.ordering)
                if Self.substitutable(inner, into: arguments) {
                    aggregation.keys = aggregation.keys.map { $0.substitutingColumns(inner) }
                    aggregation.aggregates = aggregation.aggregates.map { spec in
                        var spec = spec
                        spec.argument = spec.argument.map { $0.substitutingColumns(inner) }
                        spec.ordering = spec.ordering.map { $0.substitutingColumns(inner) }
                        return spec
                    }
                    input = input.inputs[0]
                }
            }
            let identity = Dictionary(uniqueKeysWithValues: schema.fields.indices.map { ($0, $0) })
            return (LogicalPlan(.aggregate(aggregation), [input], schema: schema, eventTime: eventTime), identity)
        case .unionAll:
            let kept = needed.isEmpty ? [0] : needed.sorted()
            let map = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
            let terms = inputs.map { term in
                let (input, inputMap) = term.pruned(keeping: Set(kept), eventTimeNeeded: eventTimeNeeded)
                let columns = kept.map { inputMap[$0]! }
                if columns == Array(input.schema.fields.indices) { return input }
                // Every side must output the same columns in the same places.
                return Self.projection(columns.map { .column($0, input.schema.fields[$0].type) }, over: input,
                                       schema: Schema(columns.map { input.schema.fields[$0] }),
                                       eventTime: input.eventTime.flatMap { mark in
                                           columns.firstIndex(of: mark.column).map { EventTimeColumn(column: $0, shiftMicros: mark.shiftMicros) }
                                       })
            }
            return (LogicalPlan(.unionAll, terms, schema: Schema(kept.map { schema.fields[$0] }), eventTime: remapped(eventTime, map)), map)
        case .join(var spec):
            // Each side keeps what the join's output needs of it plus what its keys, its
            // condition and its time range read.
            let width = inputs[0].schema.fields.count
            var leftNeeded = Set(needed.filter { $0 < width }), rightNeeded = Set(needed.filter { $0 >= width }.map { $0 - width })
            for key in spec.leftKeys { leftNeeded.formUnion(key.columnsUsed) }
            for key in spec.rightKeys { rightNeeded.formUnion(key.columnsUsed) }
            for c in spec.condition?.columnsUsed ?? [] { if c < width { leftNeeded.insert(c) } else { rightNeeded.insert(c - width) } }
            if let range = spec.timeRange { leftNeeded.insert(range.leftColumn); rightNeeded.insert(range.rightColumn) }
            if let mark = eventTime { if mark.column < width { leftNeeded.insert(mark.column) } else { rightNeeded.insert(mark.column - width) } }
            // Two streams: each side's watermark bounds the join's state, so both keep their event time.
            let streaming = !inputs[0].streams.isEmpty && !inputs[1].streams.isEmpty
            let (left, leftMap) = inputs[0].pruned(keeping: leftNeeded, eventTimeNeeded: eventTimeNeeded || streaming)
            let (right, rightMap) = inputs[1].pruned(keeping: rightNeeded, eventTimeNeeded: eventTimeNeeded || streaming)
            let newWidth = left.schema.fields.count
            var map: [Int: Int] = [:]
            for (old, new) in leftMap { map[old] = new }
            for (old, new) in rightMap { map[old + width] = new + newWidth }
            spec.leftKeys = spec.leftKeys.map { remap($0, leftMap) }
            spec.rightKeys = spec.rightKeys.map { remap($0, rightMap) }
            spec.condition = spec.condition.map { remap($0, map) }
            if var range = spec.timeRange {
                range.leftColumn = leftMap[range.leftColumn] ?? range.leftColumn
                range.rightColumn = rightMap[range.rightColumn] ?? range.rightColumn
                spec.timeRange = range
            }
            // Each kept column keeps its name and its nullability (an outer join's NULL side).
            var fields = left.schema.fields + right.schema.fields
            for (old, new) in map { fields[new] = schema.fields[old] }
            return (LogicalPlan(.join(spec), [left, right], schema: Schema(fields), eventTime: remapped(eventTime, map)), map)
        case .generate(var spec):
            // The input keeps what is read above it and what the generator reads; the generated
            // columns all stay (they cost one pass whichever are read).
            let width = inputs[0].schema.fields.count
            let (input, inputMap) = inputs[0].pruned(keeping: needed.filter { $0 < width }.union(spec.argument.columnsUsed),
                                                     eventTimeNeeded: eventTimeNeeded)
            spec.argument = remap(spec.argument, inputMap)
            var read = Set(needed.filter { $0 < width }.compactMap { inputMap[$0] })
            if let mark = input.eventTime { read.insert(mark.column) }
            spec.unread = input.schema.fields.indices.filter { !read.contains($0) }
            var map = inputMap
            for j in spec.fields.indices { map[width + j] = input.schema.fields.count + j }
            return (LogicalPlan(.generate(spec), [input], schema: Schema(input.schema.fields + spec.fields),
                                eventTime: input.eventTime), map)
        }
    }
}

extension LogicalPlan {
    /// `expressions` over `input`: nothing when they pass its columns through unchanged, and
    /// one projection rather than two when `input` is one too (a view over a view), as long
    /// as no computed column would then be computed twice.
    static func projection(_ expressions: [BoundExpression], over input: LogicalPlan, schema: Schema,
                           eventTime: EventTimeColumn?) -> LogicalPlan {
        var outer = expressions
        var below = input
        if case .project(let inner) = input.operation, substitutable(inner, into: outer) {
            outer = outer.map { $0.substitutingColumns(inner) }
            below = input.inputs[0]
        }
        let identity = outer.count == below.schema.fields.count
            && outer.enumerated().allSatisfy { if case .column(let c, _) = $1 { c == $0 } else { false } }
        if identity && below.schema.fields.map(\.name) == schema.fields.map(\.name) {
            var passed = below
            passed.eventTime = eventTime ?? below.eventTime
            return passed
        }
        return LogicalPlan(.project(outer), [below], schema: schema, eventTime: eventTime)
    }

    /// Whether `inner`'s expressions can replace the column references of `outer` without
    /// computing any of them twice per row.
    static func substitutable(_ inner: [BoundExpression], into outer: [BoundExpression]) -> Bool {
        var uses: [Int: Int] = [:]
        for e in outer { e.forEachColumn { uses[$0, default: 0] += 1 } }
        return uses.allSatisfy { index, count in
            if count <= 1 { return true }
            switch inner[index] {
            case .column, .literal: return true
            case .call: return false
            }
        }
    }
}

extension BoundExpression {
    /// Calls `body` for every column reference, as often as it occurs.
    func forEachColumn(_ body: (Int) -> Void) {
        switch self {
        case .column(let index, _): body(index)
        case .literal: break
        case .call(_, let arguments, _): for argument in arguments { argument.forEachColumn(body) }
        }
    }

    /// The expression with each column reference replaced by the expression it names.
    func substitutingColumns(_ inputs: [BoundExpression]) -> BoundExpression {
        switch self {
        case .column(let index, _): inputs[index]
        case .literal: self
        case .call(let f, let arguments, let type): .call(f, arguments.map { $0.substitutingColumns(inputs) }, type)
        }
    }
}
