/// Generators in the select list (Spark's `Generate`): explode, posexplode, their `_outer`
/// forms and json_tuple. Spark allows one per SELECT clause, as a whole select item, and
/// nowhere else; the other items are evaluated per input row and repeated.
extension QueryBinder {
    /// The generator functions, by lower-cased name.
    static let generatorNames: Set<String> = ["explode", "explode_outer", "posexplode", "posexplode_outer", "json_tuple"]

    static func isGenerator(_ e: SQLExpression) -> Bool {
        if case .function(let call) = e.kind { generatorNames.contains(call.lowercasedName) } else { false }
    }

    /// Refuses a generator anywhere Spark does not run one: inside another expression, in
    /// WHERE, GROUP BY, HAVING or ORDER BY, a second one in the select list, or one beside
    /// aggregates.
    static func checkGenerators(_ select: Select) throws(SQLError) {
        func nested(in e: SQLExpression) -> SQLExpression? {
            var found: SQLExpression?
            _ = e.contains { if found == nil, isGenerator($0) { found = $0 }; return false }
            return found
        }
        func refuse(_ e: SQLExpression?, _ clause: String) throws(SQLError) {
            guard let e, case .function(let call) = e.kind else { return }
            throw SQLError("generators are not supported in \(clause), but \(call.lowercasedName)() is used there", at: e.location,
                           length: call.name.count, hint: "explode in the select list of a subquery, and filter or group its result outside")
        }
        try refuse(select.whereClause.flatMap(nested), "WHERE")
        for e in select.groupBy { try refuse(nested(in: e), "GROUP BY") }
        try refuse(select.having.flatMap(nested), "HAVING")
        for item in select.orderBy { try refuse(nested(in: item.expression), "ORDER BY") }
        var first: SQLExpression?
        for item in select.items {
            let e = item.expression
            if isGenerator(e) {
                if let first, case .function(let call) = e.kind {
                    throw SQLError("only one generator is allowed per SELECT clause, but \(call.lowercasedName)() is a second one (the first is at \(first.location))",
                                   at: e.location, length: call.name.count, hint: "explode one column per SELECT: select from a subquery that explodes the other")
                }
                first = e
                for argument in e.children {
                    if let inner = nested(in: argument), case .function(let call) = inner.kind {
                        throw SQLError("generators cannot be nested in expressions, but \(call.lowercasedName)() is", at: inner.location,
                                       length: call.name.count, hint: "explode in a subquery, then use its column")
                    }
                }
            } else if let inner = nested(in: e), case .function(let call) = inner.kind {
                throw SQLError("generators cannot be nested in expressions, but \(call.lowercasedName)() is inside \(e.sqlText)", at: inner.location,
                               length: call.name.count, hint: "explode as a select item of its own (in a subquery), then use its column outside")
            }
        }
        if let first, case .function(let call) = first.kind {
            let aggregates = select.items.contains { item in
                item.expression.contains { if case .function(let f) = $0.kind { Binder.aggregateNames[f.lowercasedName] != nil } else { false } }
            }
            if select.distinct {
                throw SQLError("SELECT DISTINCT with \(call.lowercasedName)() is not supported", at: first.location, length: call.name.count,
                               hint: "select DISTINCT from a subquery that explodes: SELECT DISTINCT x FROM (SELECT explode(a) AS x FROM s)")
            }
            if aggregates || !select.groupBy.isEmpty || select.having != nil {
                throw SQLError("\(call.lowercasedName)() together with GROUP BY or aggregates is not supported", at: first.location,
                               length: call.name.count, hint: "explode in a subquery and aggregate its rows outside: SELECT x, count(*) FROM (SELECT explode(a) AS x FROM s) GROUP BY x")
            }
        }
    }

    /// The select list's generator as a ``LogicalPlan/Operation/generate(_:)`` over `plan`, and
    /// the select list with that item replaced by one item per generated column (bound through
    /// `scope`'s replacements to the columns the node appends); nil when there is none.
    func generate(_ select: Select, over plan: LogicalPlan, scope: inout Binder) throws(SQLError) -> (plan: LogicalPlan, select: Select)? {
        guard let index = select.items.firstIndex(where: { Self.isGenerator($0.expression) }),
              case .function(let call) = select.items[index].expression.kind else { return nil }
        let item = select.items[index]
        let at = item.expression.location
        let aliases = item.aliases.isEmpty ? item.alias.map { [$0] } ?? [] : item.aliases
        let spec = try generatorSpec(call, at: at, scope: scope, aliases: aliases, outer: false)
        let fields = spec.fields
        let width = plan.schema.fields.count
        let node = LogicalPlan(.generate(spec), [plan], schema: Schema(plan.schema.fields + fields), eventTime: plan.eventTime)
        // Each generated column is a select item of its own, bound through a replacement; the
        // qualifier cannot be written in SQL, so it stands for nothing else.
        var items = Array(select.items[..<index])
        for (j, field) in fields.enumerated() {
            let stand = SQLExpression(.column(qualifier: "#generate", name: "\(j)"), at: at)
            scope.replacements.append((stand, .column(width + j, field.type)))
            items.append(SelectItem(stand, alias: Identifier(field.name, at: at)))
        }
        items += select.items[(index + 1)...]
        var rewritten = select
        rewritten.items = items
        return (node, rewritten)
    }

    /// The generator `call` bound over `scope`, its columns named by `aliases` when given
    /// (Spark's defaults otherwise); `outer` as LATERAL VIEW OUTER asks.
    func generatorSpec(_ call: FunctionCall, at: SourceLocation, scope: Binder, aliases: [Identifier], outer: Bool) throws(SQLError) -> GenerateSpec {
        let name = call.lowercasedName
        guard !call.distinct else {
            throw SQLError("\(name)(DISTINCT ...) is not a thing: a generator is not an aggregate", at: at, length: call.name.count)
        }
        let spec: GenerateSpec
        if name == "json_tuple" {
            guard call.arguments.count >= 2 else {
                throw SQLError("json_tuple() takes a JSON string and at least one key", at: at, length: call.name.count,
                               hint: "json_tuple(payload, 'id', 'name')")
            }
            var text = try scope.bind(call.arguments[0])
            if text.type != .string {
                guard text.type == .null else {
                    throw SQLError("json_tuple() reads a STRING of JSON, but \(call.arguments[0].sqlText) is \(text.type)",
                                   at: call.arguments[0].location, hint: "CAST it AS STRING, or read its fields directly")
                }
                text = TypeCoercion.cast(text, to: .string)
            }
            var keys: [String] = []
            for key in call.arguments.dropFirst() {
                // Spark takes any foldable key; constant keys are what it optimizes and what
                // every use writes, so only string literals are taken here.
                guard case .literal(.string(let k)) = key.kind else {
                    throw SQLError("the keys of json_tuple() must be string literals", at: key.location, hint: "json_tuple(payload, 'id', 'name')")
                }
                keys.append(k)
            }
            spec = GenerateSpec(function: .jsonTuple, outer: false, argument: text, keys: keys,
                                fields: keys.indices.map { Schema.Field(name: "c\($0)", type: .string) })
        } else {
            guard call.arguments.count == 1 else {
                throw SQLError("\(name)() takes one argument (an ARRAY or a MAP), not \(call.arguments.count)", at: at, length: call.name.count)
            }
            let argument = try scope.bind(call.arguments[0])
            let positions = name.hasPrefix("pos")
            var fields: [Schema.Field] = positions ? [.init(name: "pos", type: .int)] : []
            switch argument.type {
            case .array(let element): fields.append(.init(name: "col", type: element))
            case .map(let key, let value): fields += [.init(name: "key", type: key), .init(name: "value", type: value)]
            default:
                throw SQLError("\(name)() needs an ARRAY or a MAP, but \(call.arguments[0].sqlText) is \(argument.type)",
                               at: call.arguments[0].location, hint: "declare the column as ARRAY<...> or MAP<...> in the stream's SCHEMA")
            }
            spec = GenerateSpec(function: positions ? .posexplode : .explode, outer: outer || name.hasSuffix("_outer"),
                                argument: argument, keys: [], fields: fields)
        }
        var fields = spec.fields
        if !aliases.isEmpty {
            guard aliases.count == fields.count else {
                throw SQLError("the number of aliases supplied in the AS clause does not match the number of columns output by \(name)(): expected \(fields.count) aliases but got \(aliases.count)",
                               at: aliases[0].location, hint: fields.count == 1 ? "write AS name" : "write AS (\(fields.map(\.name).joined(separator: ", ")))")
            }
            for (i, alias) in aliases.enumerated() { fields[i].name = alias.name }
        }
        var named = spec
        named.fields = fields
        return named
    }

    /// Each `LATERAL VIEW` as a generate node over what FROM reads: its columns join the
    /// FROM clause's (readable by name in WHERE and the select list, and part of `*`, as in
    /// Spark), qualified by the view's table alias over a join.
    func lateralViews(_ views: [LateralView], over from: FromClause) throws(SQLError) -> FromClause {
        var clause = from
        for view in views {
            guard case .function(let call) = view.generator.kind, Self.generatorNames.contains(call.lowercasedName) else {
                throw SQLError("LATERAL VIEW needs a generator (explode, explode_outer, posexplode, posexplode_outer, json_tuple), not \(view.generator.sqlText)",
                               at: view.generator.location)
            }
            for argument in view.generator.children where argument.contains(where: Self.isGenerator) {
                throw SQLError("generators cannot be nested in expressions", at: argument.location, hint: "use a second LATERAL VIEW over the first one's column")
            }
            var scope = Binder(columns: clause.columns)
            scope.replacements = clause.replacements
            let spec = try generatorSpec(call, at: view.generator.location, scope: scope, aliases: view.columns, outer: view.outer)
            let width = clause.plan.schema.fields.count
            clause.plan = try Self.bounded(LogicalPlan(.generate(spec), [clause.plan], schema: Schema(clause.plan.schema.fields + spec.fields),
                                                       eventTime: clause.plan.eventTime), at: view.location)
            let qualifier = clause.isJoin ? view.table.name : nil
            clause.columns += spec.fields.map { Binder.Column(name: $0.name, type: $0.type, qualifier: qualifier) }
            clause.star += spec.fields.indices.map { width + $0 }
        }
        return clause
    }
}
