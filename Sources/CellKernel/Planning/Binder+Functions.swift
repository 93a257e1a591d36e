extension Binder {
    /// Aggregate function names, with the function each means.
    static let aggregateNames: [String: AggregateFunction] = [
        "count": .count, "sum": .sum, "avg": .avg, "mean": .avg, "min": .min, "max": .max,
        "approx_count_distinct": .approxCountDistinct,
    ]

    static let scalarNames = [
        "coalesce", "ifnull", "nvl", "translate", "replace", "regexp_replace", "substring", "substr", "concat",
        "upper", "ucase", "lower", "lcase", "trim", "ltrim", "rtrim", "length", "char_length", "character_length",
        "round", "abs", "to_timestamp", "to_date", "date_format", "year", "month", "day", "dayofmonth", "hour",
        "minute", "second", "window",
    ]

    /// Every function name a query may call.
    static var functionNames: [String] { scalarNames + aggregateNames.keys.sorted() }

    func function(_ call: FunctionCall, at: SourceLocation) throws(SQLError) -> BoundExpression {
        let name = call.lowercasedName
        if Self.aggregateNames[name] != nil {
            throw SQLError("aggregate function \(name)() is not allowed here", at: at, length: name.count,
                           hint: "aggregates belong in the select list or HAVING of a query with GROUP BY (or none)")
        }
        let args = try call.arguments.map { (e) throws(SQLError) in try bind(e) }
        func arity(_ range: ClosedRange<Int>) throws(SQLError) {
            guard range.contains(args.count) else {
                let expected = range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
                throw SQLError("\(name)() takes \(expected) argument\(range.upperBound == 1 ? "" : "s"), not \(args.count)",
                               at: at, length: name.count)
            }
        }
        func string(_ i: Int) -> BoundExpression { Self.cast(args[i], to: .string) }
        func constantText(_ i: Int) throws(SQLError) -> String {
            guard case .literal(.string(let text), _) = args[i] else {
                throw SQLError("argument \(i + 1) of \(name)() must be a string literal", at: call.arguments[i].location)
            }
            return text
        }
        func constantInt(_ i: Int) throws(SQLError) -> Int {
            guard case .literal(.int(let v), _) = args[i] else {
                throw SQLError("argument \(i + 1) of \(name)() must be an integer literal", at: call.arguments[i].location)
            }
            return Int(v)
        }
        func temporal(_ i: Int) throws(SQLError) -> BoundExpression {
            switch args[i].type {
            case .timestamp, .date: return args[i]
            case .string, .null: return Self.cast(args[i], to: .timestamp)
            default: throw SQLError("\(name)() needs a TIMESTAMP or DATE, not \(args[i].type)", at: call.arguments[i].location)
            }
        }

        switch name {
        case "coalesce", "ifnull", "nvl":
            try arity(name == "coalesce" ? 1...64 : 2...2)
            let type = try commonType(args.map(\.type), at: at, what: name)
            return .call(.coalesce, args.map { Self.cast($0, to: type) }, type)
        case "translate":
            try arity(3...3)
            return .call(.translate, [string(0), string(1), string(2)], .string)
        case "replace":
            try arity(2...3)
            return .call(.replace, (0..<args.count).map(string), .string)
        case "regexp_replace":
            try arity(3...3)
            let pattern = try constantText(1)
            if (try? Regex(pattern)) == nil { throw SQLError("'\(pattern)' is not a valid regular expression", at: call.arguments[1].location) }
            if let refusal = RegexGuard.refusal(pattern, at: call.arguments[1].location) { throw refusal }
            return .call(.row(.regexpReplace), [string(0), string(1), string(2)], .string)
        case "substring", "substr":
            try arity(2...3)
            // Spark's Substring takes INT position and length; wider numbers are cast (wrapping).
            return .call(.row(.substring), [string(0)] + args.dropFirst().map { Self.cast($0, to: .int) }, .string)
        case "concat":
            try arity(1...64)
            return .call(.concat, (0..<args.count).map(string), .string)
        case "upper", "ucase": try arity(1...1); return .call(.upper, [string(0)], .string)
        case "lower", "lcase": try arity(1...1); return .call(.lower, [string(0)], .string)
        case "trim": try arity(1...1); return .call(.row(.trim), [string(0)], .string)
        case "ltrim": try arity(1...1); return .call(.row(.ltrim), [string(0)], .string)
        case "rtrim": try arity(1...1); return .call(.row(.rtrim), [string(0)], .string)
        case "length", "char_length", "character_length": try arity(1...1); return .call(.length, [string(0)], .int)
        case "round":
            try arity(1...2)
            let value = args[0].type.isNumeric ? args[0] : Self.cast(args[0], to: .double)
            let scale = args.count > 1 ? try constantInt(1) : 0
            if case .decimal(let p, let s) = value.type {
                // Spark's Round of DECIMAL(p, s): DECIMAL(p - s + 1 + d, d), scale at least 0, bounded by 38.
                let d = Int(clamping: max(min(Int64(scale), 38), -38))
                let type = SQLType.decimal(precision: min(max(p - s + 1 + max(d, 0), 1), 38), scale: min(max(d, 0), 38))
                return .call(.row(.round(scale: scale)), [value], type)
            }
            let type: SQLType = value.type == .int || value.type == .bigint ? value.type : .double
            return .call(.row(.round(scale: scale)), [Self.cast(value, to: type == .double ? .double : value.type)], type)
        case "abs":
            try arity(1...1)
            let value = args[0].type.isNumeric ? args[0] : Self.cast(args[0], to: .double)
            return .call(.row(.abs), [value], value.type)
        case "to_timestamp", "to_date":
            try arity(1...2)
            let pattern = args.count > 1 ? try constantText(1) : nil
            // to_timestamp(number) is CAST(number AS TIMESTAMP): seconds since the epoch, saturating.
            if name == "to_timestamp", pattern == nil, args[0].type.isNumeric { return Self.cast(args[0], to: .timestamp) }
            let input = args[0].type == .timestamp || args[0].type == .date ? args[0] : string(0)
            return name == "to_date" ? .call(.row(.toDate(pattern: pattern)), [input], .date)
                                     : .call(.row(.toTimestamp(pattern: pattern)), [input], .timestamp)
        case "date_format":
            try arity(2...2)
            return .call(.row(.dateFormat(pattern: try constantText(1))), [try temporal(0)], .string)
        case "year", "month", "day", "dayofmonth", "hour", "minute", "second":
            try arity(1...1)
            let function: RowFunction = switch name {
            case "year": .year
            case "month": .month
            case "day", "dayofmonth": .day
            case "hour": .hour
            case "minute": .minute
            default: .second
            }
            return .call(.row(function), [try temporal(0)], .int)
        case "window":
            throw SQLError("window() is only allowed in GROUP BY (and as window.start / window.end in the select list)", at: at, length: 6)
        default:
            let suggestion = Suggestion.closest(to: name, among: Self.functionNames)
            throw SQLError("unknown function \(call.name)()", at: at, length: call.name.count,
                           hint: suggestion.map { "did you mean \($0)()?" })
        }
    }
}
