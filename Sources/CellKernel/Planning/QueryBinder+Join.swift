/// FROM with joins: each side bound on its own, columns resolved over both (qualified by each
/// side's alias or name), the ON condition split into equality keys and the rest, as Spark's
/// `ExtractEquiJoinKeys` does.
extension QueryBinder {
    /// What FROM reads, bound: the plan, its columns as names resolve them, the columns `*`
    /// expands to, and the names USING made shared.
    struct FromClause {
        var plan: LogicalPlan
        var columns: [Binder.Column]
        /// Output columns of `*`, in order.
        var star: [Int]
        /// `USING (k)`: the bare name `k` reads one side's column (the preserved side's).
        var replacements: [(expression: SQLExpression, bound: BoundExpression)] = []
        var isJoin: Bool { columns.contains { $0.qualifier != nil } }

        /// The columns `*` or `q.*` expands to.
        func starColumns(_ qualifier: String?, at location: SourceLocation) throws(SQLError) -> [Int] {
            guard let qualifier, isJoin else { return star }
            let matching = star.filter { columns[$0].qualifier?.caseInsensitiveCompare(qualifier) == true }
            guard !matching.isEmpty else {
                let known = Array(Set(columns.compactMap(\.qualifier))).sorted()
                throw SQLError("unknown table or alias '\(qualifier)' in '\(qualifier).*'", at: location, length: qualifier.count,
                               hint: "the tables here are \(known.joined(separator: ", "))")
            }
            return matching
        }
    }

    /// `*` over a stream leaves out the Kafka record's fields, as Spark's from_json columns do.
    static func starColumns(of plan: LogicalPlan) -> [Int] {
        if case .streamScan(let stream, _) = plan.operation {
            return stream.columns.indices.filter { if case .kafka = stream.columns[$0].origin { false } else { true } }
        }
        // A deduplicated stream has the stream's columns (QueryBinder+Deduplicate.swift).
        if case .deduplicate = plan.operation { return starColumns(of: plan.inputs[0]) }
        return Array(plan.schema.fields.indices)
    }

    /// The qualifier a FROM item's columns carry: its alias, else its name (none for an
    /// unaliased subquery).
    private static func qualifier(of reference: TableReference) -> String? {
        reference.alias?.name ?? (reference.subquery == nil ? reference.name.name : nil)
    }

    func fromClause(_ from: TableReference, scope: [String: LogicalPlan]) throws(SQLError) -> FromClause {
        let first = try Self.bounded(try source(from, scope: scope), at: from.name.location)
        let qualifier = from.joins.isEmpty ? nil : Self.qualifier(of: from)
        var clause = FromClause(plan: first, columns: first.schema.fields.map { .init(name: $0.name, type: $0.type, qualifier: qualifier) },
                                star: Self.starColumns(of: first))
        for join in from.joins {
            let right = try Self.bounded(try source(join.right, scope: scope), at: join.right.name.location)
            clause = try self.join(clause, right, join)
        }
        return clause
    }

    private func join(_ left: FromClause, _ right: LogicalPlan, _ join: JoinClause) throws(SQLError) -> FromClause {
        let width = left.plan.schema.fields.count
        let rightQualifier = Self.qualifier(of: join.right)
        if let rightQualifier, left.columns.contains(where: { $0.qualifier?.caseInsensitiveCompare(rightQualifier) == true }) {
            throw SQLError("'\(rightQualifier)' names two tables of this join", at: join.right.alias?.location ?? join.right.name.location,
                           length: rightQualifier.count, hint: "give one of them an alias: JOIN \(join.right.name.name) AS other")
        }
        let rightColumns = right.schema.fields.map { Binder.Column(name: $0.name, type: $0.type, qualifier: rightQualifier) }
        var binder = Binder(columns: left.columns + rightColumns)
        binder.replacements = left.replacements
        let kind: JoinSpec.Kind = switch join.kind {
        case .inner: .inner
        case .leftOuter: .leftOuter
        case .rightOuter: .rightOuter
        }
        var leftKeys: [BoundExpression] = [], rightKeys: [BoundExpression] = [], rest: [BoundExpression] = []
        var star = left.star + Self.starColumns(of: right).map { $0 + width }
        var replacements = left.replacements
        if let on = join.on {
            var bound = try binder.bind(on)
            if bound.type == .null { bound = TypeCoercion.cast(bound, to: .boolean) }
            guard bound.type == .boolean else {
                throw SQLError("ON needs a BOOLEAN condition, but \(on.sqlText) is \(bound.type)", at: on.location)
            }
            for conjunct in Self.conjuncts(bound) {
                if case .call(.equal, let sides, _) = conjunct, sides.count == 2 {
                    let a = sides[0].columnsUsed, b = sides[1].columnsUsed
                    if !a.isEmpty, !b.isEmpty, a.allSatisfy({ $0 < width }), b.allSatisfy({ $0 >= width }) {
                        leftKeys.append(sides[0])
                        rightKeys.append(sides[1].remappingColumns { $0 - width })
                        continue
                    }
                    if !a.isEmpty, !b.isEmpty, b.allSatisfy({ $0 < width }), a.allSatisfy({ $0 >= width }) {
                        leftKeys.append(sides[1])
                        rightKeys.append(sides[0].remappingColumns { $0 - width })
                        continue
                    }
                }
                rest.append(conjunct)
            }
            guard !leftKeys.isEmpty else {
                throw SQLError("this join has no equality between a column of each side in its ON condition", at: on.location,
                               hint: "a join matches rows by equal keys: add e.g. AND \(left.columns.first.map { ($0.qualifier.map { "\($0)." } ?? "") + $0.name } ?? "a.key") = \(rightColumns.first.map { ($0.qualifier.map { "\($0)." } ?? "") + $0.name } ?? "b.key") (CROSS JOIN is not supported)")
            }
        } else {
            // USING (k): k = k, and `*` shows k once, first (the preserved side's), as Spark does.
            var keyColumns: [Int] = []
            var dropped = Set<Int>()
            for name in join.using {
                let l = left.columns.indices.filter { left.columns[$0].name.caseInsensitiveCompare(name.name) }
                let r = rightColumns.indices.filter { rightColumns[$0].name.caseInsensitiveCompare(name.name) }
                guard l.count == 1, r.count == 1 else {
                    let side = l.count != 1 ? "left" : "right"
                    let count = l.count != 1 ? l.count : r.count
                    throw SQLError(count == 0 ? "USING column '\(name.name)' is not a column of the \(side) side of the join"
                                              : "USING column '\(name.name)' is ambiguous on the \(side) side of the join",
                                   at: name.location, length: name.name.count, hint: "write ON with qualified columns instead")
                }
                let lt = left.columns[l[0]].type, rt = rightColumns[r[0]].type
                let common = try binder.comparisonType(lt, rt, at: name.location, op: .equal)
                leftKeys.append(TypeCoercion.cast(.column(l[0], lt), to: common))
                rightKeys.append(TypeCoercion.cast(.column(r[0], rt), to: common))
                let shown = kind == .rightOuter ? r[0] + width : l[0]
                keyColumns.append(shown)
                dropped.formUnion([l[0], r[0] + width])
                replacements.append((SQLExpression(.column(qualifier: nil, name: name.name), at: name.location),
                                     .column(shown, kind == .rightOuter ? rt : lt)))
            }
            star = keyColumns + star.filter { !dropped.contains($0) }
        }
        let condition = rest.isEmpty ? nil : rest.dropFirst().reduce(rest[0]) { .call(.and, [$0, $1], .boolean) }
        let streaming = !left.plan.streams.isEmpty && !right.streams.isEmpty
        let timeRange = streaming ? Self.timeRange(rest, width: width) : nil
        // Outer joins fill the other side with NULLs.
        let leftFields = left.plan.schema.fields.map { f in kind == .rightOuter ? Schema.Field(name: f.name, type: f.type) : f }
        let rightFields = right.schema.fields.map { f in kind == .leftOuter ? Schema.Field(name: f.name, type: f.type) : f }
        let eventTime = left.plan.eventTime
            ?? right.eventTime.map { EventTimeColumn(column: $0.column + width, shiftMicros: $0.shiftMicros) }
        let spec = JoinSpec(kind: kind, leftKeys: leftKeys, rightKeys: rightKeys, condition: condition, timeRange: timeRange)
        let plan = LogicalPlan(.join(spec), [left.plan, right], schema: Schema(leftFields + rightFields), eventTime: eventTime)
        return FromClause(plan: try Self.bounded(plan, at: join.location), columns: left.columns + rightColumns, star: star,
                          replacements: replacements)
    }

    /// The AND-ed parts of a condition, flattened (iteratively: a long AND chain must not
    /// overflow the stack).
    static func conjuncts(_ e: BoundExpression) -> [BoundExpression] {
        var out: [BoundExpression] = []
        var pending = [e]
        while let next = pending.popLast() {
            if case .call(.and, let arguments, _) = next { pending.append(contentsOf: arguments.reversed()) } else { out.append(next) }
        }
        return out
    }

    /// The bound on `right.t - left.t` that comparisons of the two sides' event times imply
    /// (`r.t BETWEEN l.t AND l.t + INTERVAL 10 MINUTES`, `r.t >= l.t AND r.t <= l.t + ...`,
    /// `l.t > r.t - INTERVAL ...`), for the first pair of TIMESTAMP columns compared.
    static func timeRange(_ conditions: [BoundExpression], width: Int) -> JoinTimeRange? {
        /// `column + offset` for a TIMESTAMP column plus or minus constants.
        func linear(_ e: BoundExpression) -> (column: Int, offset: Int64)? {
            switch e {
            case .column(let c, .timestamp): return (c, 0)
            case .call(let f, let args, .timestamp) where (f == .add || f == .subtract) && args.count == 2:
                guard let base = linear(args[0]), case .literal(.int(let k), _) = args[1] else { return nil }
                let (value, overflow) = f == .add ? base.offset.addingReportingOverflow(k) : base.offset.subtractingReportingOverflow(k)
                return overflow ? nil : (base.column, value)
            default: return nil
            }
        }
        var comparisons: [(ScalarFunction, BoundExpression, BoundExpression)] = []
        for c in conditions {
            guard case .call(let f, let args, _) = c else { continue }
            switch f {
            case .less, .lessOrEqual, .greater, .greaterOrEqual:
                if args.count == 2 { comparisons.append((f, args[0], args[1])) }
            case .between where args.count == 3:
                comparisons.append((.greaterOrEqual, args[0], args[1]))
                comparisons.append((.lessOrEqual, args[0], args[2]))
            default: continue
            }
        }
        var range: JoinTimeRange?
        for (f, x, y) in comparisons {
            guard let a = linear(x), let b = linear(y) else { continue }
            // As `right.t - left.t  op  constant`.
            let op: ScalarFunction, constant: (Int64, Bool), pair: (Int, Int)
            if a.column >= width, b.column < width {
                // r + ao op l + bo  →  r - l op bo - ao
                op = f; constant = b.offset.subtractingReportingOverflow(a.offset); pair = (b.column, a.column - width)
            } else if a.column < width, b.column >= width {
                // l + ao op r + bo  →  r - l (flipped op) ao - bo
                op = f == .less ? .greater : f == .lessOrEqual ? .greaterOrEqual : f == .greater ? .less : .lessOrEqual
                constant = a.offset.subtractingReportingOverflow(b.offset); pair = (a.column, b.column - width)
            } else { continue }
            guard !constant.1 else { continue }
            if range == nil { range = JoinTimeRange(leftColumn: pair.0, rightColumn: pair.1, lowerMicros: .min, upperMicros: .max) }
            guard range!.leftColumn == pair.0, range!.rightColumn == pair.1 else { continue }
            let c = constant.0
            switch op {
            case .less: range!.upperMicros = min(range!.upperMicros, c == .min ? .min : c - 1)
            case .lessOrEqual: range!.upperMicros = min(range!.upperMicros, c)
            case .greater: range!.lowerMicros = max(range!.lowerMicros, c == .max ? .max : c + 1)
            default: range!.lowerMicros = max(range!.lowerMicros, c)
            }
        }
        return range
    }
}
