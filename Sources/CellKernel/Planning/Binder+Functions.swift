extension Binder {
    /// Aggregate function names, with the function each means (from ``FunctionRegistry``).
    static let aggregateNames: [String: AggregateFunction] = FunctionRegistry.aggregatesByName

    /// Every function name a query may call.
    static var functionNames: [String] { FunctionRegistry.names }

    /// A function call outside GROUP BY and the aggregates, bound as its registry entry says.
    func function(_ call: FunctionCall, at: SourceLocation) throws(SQLError) -> BoundExpression {
        let name = call.lowercasedName
        let entry = FunctionRegistry.entry(named: name)
        if entry?.isAggregate == true {
            throw SQLError("aggregate function \(name)() is not allowed here", at: at, length: name.count,
                           hint: "aggregates belong in the select list or HAVING of a query with GROUP BY (or none)")
        }
        // Arguments first: an error inside one comes before any about the call itself.
        let args = try call.arguments.map { (e) throws(SQLError) in try bind(e) }
        switch entry?.kind {
        case .scalar(let arity, let bind)?:
            guard arity.contains(args.count) else {
                let expected = arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
                throw SQLError("\(name)() takes \(expected) argument\(arity.upperBound == 1 ? "" : "s"), not \(args.count)",
                               at: at, length: name.count)
            }
            return try bind(FunctionArguments(name: name, call: call, bound: args, location: at))
        case .groupingWindow?:
            throw SQLError("window() is only allowed in GROUP BY (and as window.start / window.end in the select list)", at: at, length: 6)
        case .aggregate?, nil:
            let suggestion = Suggestion.closest(to: name, among: Self.functionNames)
            throw SQLError("unknown function \(call.name)()", at: at, length: call.name.count,
                           hint: suggestion.map { "did you mean \($0)()?" })
        }
    }
}
