/// Every SQL function a query may call, one ``FunctionEntry`` each: its names, how many
/// arguments it takes, how a call binds (argument casts, checks on constant arguments, result
/// type) and the kernel that evaluates it. The binder binds calls through it, and completion
/// and the "did you mean" hint for an unknown function read its names.
///
/// ## Adding a function
///
/// Add one entry to its family's list: `FunctionRegistry+String.swift`, `+Math`, `+Time`,
/// `+Conditional` (or `+Aggregate`). The first name is the function's, the rest are aliases.
/// A function whose arguments are all text is one line:
///
/// ```swift
/// .strings("reverse", arity: 1...1, kernel: .row(.reverse), result: .string),
/// ```
///
/// Anything else gives its binding as a closure over the bound ``FunctionArguments``, which
/// has the usual casts and checks (`string(i)`, `numeric(i)`, `temporal(i)`, `constantText(i)`,
/// `constantInt(i)`, `regexPattern(i)`), each throwing the message users see. The arity is
/// checked before the closure runs. A closure that throws spells out `throws(SQLError)`
/// (Swift does not infer a typed throw for a closure of several statements):
///
/// ```swift
/// .scalar("date_trunc", arity: 2...2) { (args) throws(SQLError) in
///     let unit = try args.constantText(0)
///     return .call(.row(.dateTrunc(unit: unit)), [try args.temporal(1)], .timestamp)
/// },
/// ```
///
/// The kernel is a ``ScalarFunction`` case the evaluator already runs, or a new one: a
/// ``RowFunction`` case (one row at a time, in `RowFunctions.swift`) for most functions, a
/// column loop of its own for one on the hot path. Then give the new name a case in
/// `FunctionRegistryTests`, which fails for a name it does not evaluate.
enum FunctionRegistry {
    /// All entries, family by family; the order is completion's.
    static let entries: [FunctionEntry] = conditionalFunctions + stringFunctions + mathFunctions + timeFunctions
        + collectionFunctions + jsonFunctions + aggregateFunctions

    /// The entry for a lower-case name or alias.
    static func entry(named name: String) -> FunctionEntry? { byName[name] }

    /// Names as completion lists them: the scalar functions in registry order, then the
    /// aggregates alphabetically.
    static let names: [String] = entries.filter { !$0.isAggregate }.flatMap(\.names)
        + entries.filter(\.isAggregate).flatMap(\.names).sorted()

    /// Each aggregate name with the aggregate it means.
    static let aggregatesByName: [String: AggregateFunction] = {
        var functions: [String: AggregateFunction] = [:]
        for entry in entries {
            guard case .aggregate(let function) = entry.kind else { continue }
            for name in entry.names where functions[name] == nil { functions[name] = function }
        }
        return functions
    }()

    // A duplicated name keeps its first entry (FunctionRegistryTests refuses duplicates).
    private static let byName: [String: FunctionEntry] = {
        var entries: [String: FunctionEntry] = [:]
        for entry in Self.entries {
            for name in entry.names where entries[name] == nil { entries[name] = entry }
        }
        return entries
    }()
}

/// One SQL function: its names and what a call of it becomes.
struct FunctionEntry: Sendable {
    /// Binds a call whose arguments are bound and whose count is within the arity.
    typealias Binding = @Sendable (FunctionArguments) throws(SQLError) -> BoundExpression

    enum Kind: Sendable {
        /// A scalar function: a ``BoundExpression``, evaluated by the kernel its binding names.
        case scalar(arity: ClosedRange<Int>, bind: Binding)
        /// An aggregate, planned by ``ViewPlanner`` in the select list, HAVING and ORDER BY.
        case aggregate(AggregateFunction)
        /// `window(...)`: a GROUP BY key (``ViewPlanner``), refused anywhere else.
        case groupingWindow
    }

    /// Lower case; the first is the function's name, the rest aliases.
    let names: [String]
    let kind: Kind

    var isAggregate: Bool { if case .aggregate = kind { true } else { false } }

    /// A scalar function whose binding is `bind`.
    static func scalar(_ names: String..., arity: ClosedRange<Int>, bind: @escaping Binding) -> FunctionEntry {
        FunctionEntry(names: names, kind: .scalar(arity: arity, bind: bind))
    }

    /// A scalar function of text: every argument cast to STRING, then `kernel`.
    static func strings(_ names: String..., arity: ClosedRange<Int>, kernel: ScalarFunction, result: SQLType) -> FunctionEntry {
        FunctionEntry(names: names, kind: .scalar(arity: arity, bind: { args in .call(kernel, args.strings, result) }))
    }

    static func aggregate(_ names: String..., function: AggregateFunction) -> FunctionEntry {
        FunctionEntry(names: names, kind: .aggregate(function))
    }
}

/// A call's bound arguments, with the casts and checks bindings share. Each check throws the
/// message users see, positioned at the argument.
struct FunctionArguments {
    /// The function's name as called, lower case (an alias stays itself in messages).
    let name: String
    let call: FunctionCall
    let bound: [BoundExpression]
    let location: SourceLocation

    var count: Int { bound.count }

    subscript(_ i: Int) -> BoundExpression { bound[i] }

    /// Argument `i` as STRING.
    func string(_ i: Int) -> BoundExpression { TypeCoercion.cast(bound[i], to: .string) }

    /// Every argument as STRING.
    var strings: [BoundExpression] { bound.indices.map(string) }

    /// Argument `i` as a number: itself if numeric, else cast to DOUBLE (Spark's implicit cast).
    func numeric(_ i: Int) -> BoundExpression {
        bound[i].type.isNumeric ? bound[i] : TypeCoercion.cast(bound[i], to: .double)
    }

    /// The text of argument `i`, which must be a string literal.
    func constantText(_ i: Int) throws(SQLError) -> String {
        guard case .literal(.string(let text), _) = bound[i] else {
            throw SQLError("argument \(i + 1) of \(name)() must be a string literal", at: call.arguments[i].location)
        }
        return text
    }

    /// The value of argument `i`, which must be an integer literal.
    func constantInt(_ i: Int) throws(SQLError) -> Int {
        guard case .literal(.int(let v), _) = bound[i] else {
            throw SQLError("argument \(i + 1) of \(name)() must be an integer literal", at: call.arguments[i].location)
        }
        return Int(v)
    }

    /// Argument `i`, a string literal that is a regular expression ``RegexGuard`` lets through:
    /// its pattern is compiled once per batch, and a pattern that backtracks exponentially
    /// would hang the query beyond the reach of Ctrl-C.
    func regexPattern(_ i: Int) throws(SQLError) -> String {
        let pattern = try constantText(i)
        let location = call.arguments[i].location
        if (try? Regex(pattern)) == nil { throw SQLError("'\(pattern)' is not a valid regular expression", at: location) }
        if let refusal = RegexGuard.refusal(pattern, at: location) { throw refusal }
        return pattern
    }

    /// Argument `i` as a point in time: a TIMESTAMP or DATE as is, text (or NULL) as TIMESTAMP.
    func temporal(_ i: Int) throws(SQLError) -> BoundExpression {
        switch bound[i].type {
        case .timestamp, .date: return bound[i]
        case .string, .null: return TypeCoercion.cast(bound[i], to: .timestamp)
        default: throw SQLError("\(name)() needs a TIMESTAMP or DATE, not \(bound[i].type)", at: call.arguments[i].location)
        }
    }

    /// The type every argument converts to, or an error naming the two that do not meet.
    func commonType() throws(SQLError) -> SQLType {
        try TypeCoercion.commonType(bound.map(\.type), at: location, what: name)
    }
}
