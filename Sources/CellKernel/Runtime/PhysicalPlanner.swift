/// Lowers a ``LogicalPlan`` to the local engine's operators.
///
/// The stateless part of a plan over streams (scans, filters, projections, windows and
/// unions of them), and the aggregation right above it if there is one, fuse into one
/// ``ScanPipeline``: decode only what is read, filter, window and pre-aggregate per thread,
/// merge. That is today's fast path, so a view over views costs no more than the same query
/// written as one. Everything above (HAVING, the select list over an aggregate, a chained
/// aggregation, ORDER BY, LIMIT) runs over each batch's result.
struct PhysicalPlanner {
    let mode: OutputMode
    /// A table scan's rows (SELECT at the prompt).
    var table: (String) -> Batch? = { _ in nil }

    /// The root operator, and the fused scans whose sources the driver reads, in source order.
    func lower(_ plan: LogicalPlan) -> (root: any BatchOperator, scans: [ScanPipeline]) {
        var scans: [ScanPipeline] = []
        var sources = 0
        let tracksWatermark = plan.usesWatermark
        /// `stateless` as one fused scan, feeding `aggregate` if given.
        func fused(_ stateless: LogicalPlan, into aggregate: AggregateOperator?, schema: Schema) -> ScanPipeline {
            let scan = ScanPipeline(branches: branches(stateless), aggregate: aggregate, schema: schema)
            scans.append(scan)
            return scan
        }
        func lower(_ node: LogicalPlan) -> any BatchOperator {
            if node.isStatelessStream { return fused(node, into: nil, schema: node.schema) }
            switch node.operation {
            case .aggregate(let aggregation):
                let input = node.inputs[0]
                if let session = aggregation.session {
                    // Sessions merge across batches: the rows come whole to one stateful operator.
                    return SessionWindowOperator(aggregation, session: session, schema: node.schema, inputSchema: input.schema,
                                                 input: lower(input), mode: mode)
                }
                if input.isStatelessStream {
                    let aggregate = AggregateOperator(aggregation, schema: node.schema, inputSchema: input.schema, input: nil, mode: mode)
                    return fused(input, into: aggregate, schema: node.schema)
                }
                return AggregateOperator(aggregation, schema: node.schema, inputSchema: input.schema, input: lower(input), mode: mode)
            case .filter(let condition):
                return RowOperator(.filter(condition), input: lower(node.inputs[0]))
            case .project(let expressions):
                return RowOperator(.project(expressions, node.schema), input: lower(node.inputs[0]))
            case .window(let spec):
                return RowOperator(.window(spec), input: lower(node.inputs[0]))
            case .sort(let keys):
                return SortOperator(keys: keys, limit: nil, input: lower(node.inputs[0]))
            case .limit(let n):
                // In append mode every batch adds rows to one result: the limit is the stream's.
                if mode == .append && !plan.streams.isEmpty {
                    return StreamLimitOperator(limit: n, input: lower(node.inputs[0]))
                }
                if case .sort(let keys) = node.inputs[0].operation {
                    return SortOperator(keys: keys, limit: n, input: lower(node.inputs[0].inputs[0]))
                }
                return SortOperator(keys: [], limit: n, input: lower(node.inputs[0]))
            case .unionAll:
                return UnionOperator(inputs: node.inputs.map(lower), schema: node.schema)
            case .tableScan(let name, let columns):
                // No rows (EXPLAIN lowers without tables), or a table that no longer has the
                // columns the plan was bound to: empty columns of the plan's types, not an index past the end.
                guard let whole = table(name), columns.allSatisfy(whole.columns.indices.contains) else {
                    return TableScanOperator(name: name, table: Batch(empty: node.schema))
                }
                return TableScanOperator(name: name, table: Batch(schema: node.schema, columns: columns.map { whole.columns[$0] }))
            case .join(let spec):
                return join(node, spec)
            case .generate(let spec):
                // Not fused: a generator changes the row count, so it runs over the fused
                // scan's output (and an aggregation above it reads its rows).
                return GenerateOperator(spec, schema: node.schema, input: lower(node.inputs[0]))
            case .deduplicate(let spec):
                // Stateful: the batch's rows, from every thread, come whole to one operator.
                return DeduplicateOperator(spec, eventTime: node.inputs[0].eventTime?.column, input: lower(node.inputs[0]))
            case .streamScan:
                // Fused above (a scan is stateless); here only for the switch to be whole.
                return fused(node, into: nil, schema: node.schema)
            }
        }
        /// A join: with a table side, the table is hashed and the other side probes it; two
        /// streams join in the stream-stream operator. A stream never builds: the binder's
        /// output-mode rules refused the orientations that would need it.
        func join(_ node: LogicalPlan, _ spec: JoinSpec) -> any BatchOperator {
            let (left, right) = (node.inputs[0], node.inputs[1])
            if !left.streams.isEmpty && !right.streams.isEmpty {
                return StreamJoinOperator(left: lower(left), right: lower(right), spec: spec, schema: node.schema)
            }
            let shape = Self.hashJoinShape(node, spec)
            return HashJoinOperator(build: lower(shape.probeIsLeft ? right : left), probe: lower(shape.probeIsLeft ? left : right), shape: shape)
        }
        /// A stream-static join inside a fused scan: the table side's rows (a table, filtered
        /// or projected: nothing there can fail) hashed now, probed by each chunk of the stream.
        func fusedProbe(_ node: LogicalPlan, _ spec: JoinSpec) -> (stream: LogicalPlan, step: RowStep) {
            let shape = Self.hashJoinShape(node, spec)
            let (stream, table) = shape.probeIsLeft ? (node.inputs[0], node.inputs[1]) : (node.inputs[1], node.inputs[0])
            var context = BatchContext(mode: mode, watermark: 0)
            let rows = (try? lower(table).next(&context)) ?? Batch(empty: table.schema)
            return (stream, .probe(HashJoinProbe(buildRows: rows, shape: shape)))
        }
        /// The stateless tree as one branch per stream, each with its steps bottom-up.
        func branches(_ node: LogicalPlan) -> [ScanPipeline.Branch] {
            switch node.operation {
            case .streamScan(let stream, let columns):
                defer { sources += 1 }
                let watermark = tracksWatermark ? node.eventTime.flatMap { mark in
                    stream.watermark.map { (column: mark.column, delayMicros: $0.delayMicros) }
                } : nil
                return [ScanPipeline.Branch(source: sources, stream: stream, scanColumns: columns, scanSchema: node.schema,
                                            watermark: watermark, steps: [])]
            case .unionAll:
                return node.inputs.flatMap(branches)
            case .filter(let condition):
                return branches(node.inputs[0]).map { var b = $0; b.steps.append(.filter(condition)); return b }
            case .project(let expressions):
                return branches(node.inputs[0]).map { var b = $0; b.steps.append(.project(expressions, node.schema)); return b }
            case .window(let spec):
                return branches(node.inputs[0]).map { var b = $0; b.steps.append(.window(spec)); return b }
            case .join(let spec):
                let (stream, step) = fusedProbe(node, spec)
                return branches(stream).map { var b = $0; b.steps.append(step); return b }
            default:
                return []  // unreachable: only stateless nodes come here
            }
        }
        let root = lower(plan)
        return (root, scans)
    }

    /// A join with a table as a hash join: the stream probes if there is one; between two
    /// tables, the side an outer join keeps.
    static func hashJoinShape(_ node: LogicalPlan, _ spec: JoinSpec) -> HashJoinShape {
        let (left, right) = (node.inputs[0], node.inputs[1])
        let probeIsLeft = !left.streams.isEmpty || (right.streams.isEmpty && spec.kind != .rightOuter)
        return HashJoinShape(probeIsLeft: probeIsLeft, buildKeys: probeIsLeft ? spec.rightKeys : spec.leftKeys,
                             probeKeys: probeIsLeft ? spec.leftKeys : spec.rightKeys,
                             preserveProbe: probeIsLeft ? spec.kind == .leftOuter : spec.kind == .rightOuter,
                             condition: spec.condition, schema: node.schema, kindName: spec.kind.rawValue)
    }
}

extension LogicalPlan {
    /// Scans of streams and the row-at-a-time operators over them: what fuses into one scan.
    var isStatelessStream: Bool {
        switch operation {
        case .streamScan: true
        case .filter, .project, .window: inputs[0].isStatelessStream
        case .unionAll: inputs.allSatisfy(\.isStatelessStream)
        // A stream joined with a table probes it row by row: stateless, fused like a filter.
        case .join(let spec):
            Self.isStaticRows(inputs[1]) && inputs[0].isStatelessStream && spec.kind != .rightOuter
                || Self.isStaticRows(inputs[0]) && inputs[1].isStatelessStream && spec.kind != .leftOuter
        case .tableScan, .aggregate, .sort, .limit, .generate, .deduplicate: false
        }
    }

    /// A table's rows, filtered or projected: what a fused join hashes when the plan is lowered.
    private static func isStaticRows(_ plan: LogicalPlan) -> Bool {
        switch plan.operation {
        case .tableScan: true
        case .filter, .project: isStaticRows(plan.inputs[0])
        default: false
        }
    }

    /// Whether an aggregation of the plan closes windows by the watermark (so the streams'
    /// event times must be followed).
    var usesWatermark: Bool {
        var found = false
        forEachNode { node in
            if case .aggregate(let a) = node.operation, a.usesWatermark { found = true }
            // A join of two streams evicts its state by the watermark.
            if case .join = node.operation, !node.inputs[0].streams.isEmpty, !node.inputs[1].streams.isEmpty { found = true }
            // Deduplication over a watermarked stream drops late rows and evicts keys by it.
            if case .deduplicate = node.operation, node.inputs[0].eventTime != nil { found = true }
        }
        return found
    }

    /// The output columns that are GROUP BY keys of the top aggregation: what update mode
    /// upserts by. Followed down through the select list, HAVING, ORDER BY and LIMIT.
    var keyColumnsInOutput: [Int] {
        let traced = tracedKeys.columns
        return traced.indices.filter { traced[$0] != nil }
    }

    /// Which of the top aggregation's keys the output holds, and how many keys it has.
    var resultKeys: ResultKeys {
        let (columns, keyCount) = tracedKeys
        guard let keyCount else { return .none }
        let present = columns.indices.filter { columns[$0] != nil }
        let missing = keyCount - Set(columns.compactMap { $0 }).count
        return missing == 0 ? .columns(present) : .incomplete(present: present, missing: missing)
    }

    /// For each output column, the aggregation key it is; and the number of keys of the
    /// aggregation reached (nil when the output is not an aggregation's groups).
    private var tracedKeys: (columns: [Int?], keyCount: Int?) {
        func trace(_ node: LogicalPlan, _ columns: [Int?]) -> ([Int?], Int?) {
            switch node.operation {
            case .aggregate(let aggregation):
                return (columns.map { c in c.flatMap { $0 < aggregation.keys.count ? $0 : nil } }, aggregation.keys.count)
            case .filter, .sort, .limit:
                return trace(node.inputs[0], columns)
            case .project(let expressions):
                let below = columns.map { c -> Int? in
                    guard let c, case .column(let i, _) = expressions[c] else { return nil }
                    return i
                }
                return trace(node.inputs[0], below)
            default:
                return (columns.map { _ in nil }, nil)
            }
        }
        return trace(self, Array(schema.fields.indices))
    }
}
