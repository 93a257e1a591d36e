extension FunctionRegistry {
    static let stringFunctions: [FunctionEntry] = [
        .strings("translate", arity: 3...3, kernel: .translate, result: .string),
        .strings("replace", arity: 2...3, kernel: .replace, result: .string),
        .scalar("regexp_replace", arity: 3...3) { (args) throws(SQLError) in
            _ = try args.regexPattern(1)
            return .call(.row(.regexpReplace), args.strings, .string)
        },
        .scalar("substring", "substr", arity: 2...3) { args in
            // Spark's Substring takes INT position and length; wider numbers are cast (wrapping).
            .call(.row(.substring), [args.string(0)] + args.bound.dropFirst().map { TypeCoercion.cast($0, to: .int) }, .string)
        },
        .strings("concat", arity: 1...64, kernel: .concat, result: .string),
        .strings("upper", "ucase", arity: 1...1, kernel: .upper, result: .string),
        .strings("lower", "lcase", arity: 1...1, kernel: .lower, result: .string),
        .strings("trim", arity: 1...1, kernel: .row(.trim), result: .string),
        .strings("ltrim", arity: 1...1, kernel: .row(.ltrim), result: .string),
        .strings("rtrim", arity: 1...1, kernel: .row(.rtrim), result: .string),
        .strings("length", "char_length", "character_length", arity: 1...1, kernel: .length, result: .int),
    ]
}
