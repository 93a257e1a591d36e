/// Expressions, by Spark's precedence, lowest first:
///
/// 1. `OR`
/// 2. `AND`
/// 3. `NOT` (also `!`)
/// 4. one predicate after a value: `[NOT] BETWEEN`, `[NOT] IN`, `[NOT] LIKE`, `[NOT] RLIKE`,
///    `IS [NOT] NULL`
/// 5. comparisons `= == <> != < <= > >= <=>` (left-associative)
/// 6. `+ - ||` (Spark puts `||` with `+` and `-`)
/// 7. `* / % DIV`
/// 8. unary `-` and `+`
/// 9. postfix `.field` and `[index]`, chained left to right: `a.b[0].c`, `m['k']`
/// 10. primaries: literals, columns, calls, CAST, CASE, parentheses
extension SQLParser {
    /// How many levels an expression may have: nested parentheses, calls, CASE, CAST, NOT and
    /// signs, and every operator of a chain such as `a + b + c` (each adds a level to the tree).
    ///
    /// The parser, the planner and the evaluator recurse over expressions, and a recursion
    /// deeper than the thread's stack kills the process. Statements are parsed and planned on
    /// the main thread (8 MiB); batches are evaluated on Dispatch's worker threads, whose stacks
    /// are 512 KiB on Linux. A debug build, whose frames are largest (about 23 KiB of parser
    /// stack per level of parentheses), parses, plans and evaluates this depth within those
    /// (`DeepNestingTests` runs each shape at the limit). No tree deeper than this leaves the
    /// parser, so nothing downstream needs a check of its own.
    static let maximumExpressionDepth = 128

    mutating func parseExpression() throws(SQLError) -> SQLExpression {
        try enterLevel()
        defer { nesting -= 1 }
        return try checked(try parseOr(), at: current)
    }

    /// Counts one more level of recursion, refusing one too many before recursing, so that
    /// ten thousand `(` fail at the first one past the limit instead of exhausting the stack.
    private mutating func enterLevel() throws(SQLError) {
        nesting += 1
        if nesting > Self.maximumExpressionDepth { throw tooDeep(at: current) }
    }

    /// `expression` if its tree is within the limit; otherwise an error at `token`, where the
    /// level too many was added.
    private func checked(_ expression: SQLExpression, at token: Token) throws(SQLError) -> SQLExpression {
        guard expression.height <= Self.maximumExpressionDepth else { throw tooDeep(at: token) }
        return expression
    }

    private func tooDeep(at token: Token) -> SQLError {
        failure(
            "expression nested too deeply (more than \(Self.maximumExpressionDepth) levels of parentheses, "
                + "calls or operators)", at: token,
            hint: "simplify it, or split it into smaller expressions (e.g. computed columns of the stream)")
    }

    private mutating func parseOr() throws(SQLError) -> SQLExpression {
        var left = try parseAnd()
        while let or = accept(.or) {
            left = try checked(.binary(.or, left, try parseAnd()), at: or)
        }
        return left
    }

    private mutating func parseAnd() throws(SQLError) -> SQLExpression {
        var left = try parseNot()
        while let and = accept(.and) {
            left = try checked(.binary(.and, left, try parseNot()), at: and)
        }
        return left
    }

    private mutating func parseNot() throws(SQLError) -> SQLExpression {
        if let not = accept(.not) ?? accept(.bang) {
            try enterLevel()
            defer { nesting -= 1 }
            return try checked(.unary(.not, try parseNot(), at: not.location), at: not)
        }
        return try parsePredicated()
    }

    /// A value and at most one predicate after it, as in Spark's grammar.
    ///
    /// The predicate is parsed by a function of its own, after the value: frames on the path
    /// that every nested level recurses through stay small (debug builds give a function one
    /// slot per temporary of every branch), so deep nesting uses less stack.
    private mutating func parsePredicated() throws(SQLError) -> SQLExpression {
        let start = current
        let value = try parseComparison()
        return try checked(try parsePredicate(after: value), at: start)
    }

    @inline(never)
    private mutating func parsePredicate(after value: SQLExpression) throws(SQLError) -> SQLExpression {
        let at = value.location
        var negated = false
        if check(.not) {
            guard [.between, .in, .like, .rlike, .regexp].contains(peek().keyword) else { return value }
            advance()
            negated = true
        }
        if accept(.between) != nil {
            let lower = try parseComparison()
            try expect(.and, "between the bounds of BETWEEN")
            let upper = try parseComparison()
            return SQLExpression(.between(value, lower: lower, upper: upper, negated: negated), at: at)
        }
        if accept(.in) != nil {
            let open = try expect(.leftParen, "after IN")
            if current.is(.select) {
                throw failure("subqueries are not supported", at: current, hint: "list the values: x IN (1, 2, 3)")
            }
            var list = [try parseExpression()]
            while accept(.comma) != nil { list.append(try parseExpression()) }
            try expect(.rightParen, closing: open, alternatives: "',' or ')'")
            return SQLExpression(.inList(value, list, negated: negated), at: at)
        }
        if accept(.like) != nil {
            return SQLExpression(.like(value, pattern: try parseComparison(), negated: negated), at: at)
        }
        if accept(.rlike) != nil || accept(.regexp) != nil {
            return SQLExpression(.rlike(value, pattern: try parseComparison(), negated: negated), at: at)
        }
        if !negated, accept(.is) != nil {
            let not = accept(.not) != nil
            try expect(.null, not ? "after IS NOT" : "or NOT NULL after IS")
            return SQLExpression(.isNull(value, negated: not), at: at)
        }
        return value
    }

    private mutating func parseComparison() throws(SQLError) -> SQLExpression {
        var left = try parseAdditive()
        while let op = comparisonOperator(current) {
            let token = advance()
            left = try checked(.binary(op, left, try parseAdditive()), at: token)
        }
        return left
    }

    private func comparisonOperator(_ token: Token) -> BinaryOperator? {
        guard case .symbol(let symbol) = token.kind else { return nil }
        switch symbol {
        case .equal, .doubleEqual: return .equal
        case .lessGreater, .bangEqual: return .notEqual
        case .nullSafeEqual: return .nullSafeEqual
        case .less: return .lessThan
        case .lessOrEqual: return .lessThanOrEqual
        case .greater: return .greaterThan
        case .greaterOrEqual: return .greaterThanOrEqual
        default: return nil
        }
    }

    private mutating func parseAdditive() throws(SQLError) -> SQLExpression {
        var left = try parseMultiplicative()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.plus): op = .add
            case .symbol(.minus): op = .subtract
            case .symbol(.concat): op = .concat
            default: return left
            }
            let token = advance()
            left = try checked(.binary(op, left, try parseMultiplicative()), at: token)
        }
    }

    private mutating func parseMultiplicative() throws(SQLError) -> SQLExpression {
        var left = try parseUnary()
        while true {
            let op: BinaryOperator
            switch current.kind {
            case .symbol(.star): op = .multiply
            case .symbol(.slash): op = .divide
            case .symbol(.percent): op = .remainder
            case .word where check(.div): op = .integerDivide
            default: return left
            }
            let token = advance()
            left = try checked(.binary(op, left, try parseUnary()), at: token)
        }
    }

    private mutating func parseUnary() throws(SQLError) -> SQLExpression {
        if let minus = accept(.minus) {
            // Spark's grammar reads a minus before a number as part of the literal.
            if case .number = current.kind { return try parseNegativeNumber(minus) }
            try enterLevel()
            defer { nesting -= 1 }
            return try checked(.unary(.negate, try parseUnary(), at: minus.location), at: minus)
        }
        if let plus = accept(.plus) {
            try enterLevel()
            defer { nesting -= 1 }
            return try checked(.unary(.plus, try parseUnary(), at: plus.location), at: plus)
        }
        return try parsePostfix(try parsePrimary())
    }

    @inline(never)
    private mutating func parseNegativeNumber(_ minus: Token) throws(SQLError) -> SQLExpression {
        guard case .number(let digits, let kind) = current.kind else { throw failure(expected: "a number") }
        let number = advance()
        return try parsePostfix(.literal(try numberLiteral("-" + digits, kind, number), at: minus.location))
    }

    /// `.field` and `[index]` after a value: `window(ts, '1 minute').start`, `a.b[0].c`, `m['k']`.
    private mutating func parsePostfix(_ base: SQLExpression) throws(SQLError) -> SQLExpression {
        var expression = base
        while true {
            if current.is(.dot) {
                let dot = advance()
                guard let name = fieldName(current) else { throw failure(expected: "a field name after '.'") }
                advance()
                expression = try checked(.field(expression, name), at: dot)
            } else if current.is(.leftBracket) {
                expression = try parseSubscript(of: expression)
            } else {
                return expression
            }
        }
    }

    /// `[index]` after a value; the index is a whole expression (`arr[i + 1]`).
    @inline(never)
    private mutating func parseSubscript(of base: SQLExpression) throws(SQLError) -> SQLExpression {
        let open = advance()
        if current.is(.rightBracket) {
            throw failure(expected: "an index or key inside '[ ]'", hint: "write e.g. arr[0] or m['key']")
        }
        let index = try parseExpression()
        try expect(.rightBracket, closing: open, alternatives: "']'")
        return try checked(SQLExpression(.indexed(base, index: index), at: base.location), at: open)
    }

    /// After a dot any word names a field, reserved or not: `.end` is fine.
    private func fieldName(_ token: Token) -> String? {
        switch token.kind {
        case .word(let word), .quotedIdentifier(let word): word
        default: nil
        }
    }

    /// Parentheses here, everything else in ``parseAtom()``, to keep this frame small (see
    /// ``parsePredicated()``).
    private mutating func parsePrimary() throws(SQLError) -> SQLExpression {
        guard current.is(.leftParen) else { return try parseAtom() }
        let open = advance()
        if current.is(.select) {
            throw failure("subqueries are not supported", at: current, hint: "define a view and query it instead")
        }
        let inner = try parseExpression()
        try expect(.rightParen, closing: open, alternatives: "')'")
        return SQLExpression(inner.kind, at: open.location)
    }

    @inline(never)
    private mutating func parseAtom() throws(SQLError) -> SQLExpression {
        let token = current
        switch token.kind {
        case .number(let digits, let kind):
            advance()
            return .literal(try numberLiteral(digits, kind, token), at: token.location)
        case .string(let value):
            advance()
            return .string(value, at: token.location)
        case .quotedIdentifier(let name):
            advance()
            return try parseColumn(name, at: token.location)
        case .word(let word):
            return try parseWord(word, token)
        default:
            throw failure(expected: "an expression")
        }
    }

    private mutating func parseWord(_ word: String, _ token: Token) throws(SQLError) -> SQLExpression {
        switch token.keyword {
        case .true?, .false?:
            advance()
            return .literal(.bool(token.is(.true)), at: token.location)
        case .null?:
            advance()
            return .literal(.null, at: token.location)
        case .cast?:
            return try parseCast()
        case .case?:
            return try parseCase()
        case .interval?:
            // `INTERVAL '10 minutes'` or `INTERVAL 10 MINUTES`: kept as a call of `interval`
            // on its text, which the binder reads only beside a TIMESTAMP in `+` and `-`.
            advance()
            var text: String
            if case .string(let value) = current.kind {
                text = value
                advance()
                // `INTERVAL '1' MINUTE`: the unit after the quoted number.
                if current.isName, value.allSatisfy(\.isNumber), !value.isEmpty {
                    text += " " + current.text
                    advance()
                }
            } else if case .number(let digits, _) = current.kind, peek().isName || peek().keyword != nil {
                advance()
                text = "\(digits) \(current.text)"
                advance()
            } else {
                throw failure(expected: "a duration after INTERVAL, e.g. INTERVAL 10 MINUTES or INTERVAL '10 minutes'")
            }
            guard parseIntervalMicroseconds(text) != nil else {
                throw failure("'\(text)' is not a duration", at: token, hint: "write e.g. INTERVAL 10 MINUTES or INTERVAL '1 hour 30 minutes'")
            }
            return SQLExpression(.function(FunctionCall(name: "interval", arguments: [.string(text, at: token.location)])), at: token.location)
        case let keyword? where keyword.isReserved:
            throw failure(expected: "an expression")
        default:
            advance()
            if current.is(.leftParen) { return try parseCall(word, token) }
            return try parseColumn(word, at: token.location)
        }
    }

    /// `name` or `qualifier.name`; a further `.x` is a struct field, read by parsePostfix.
    private mutating func parseColumn(_ name: String, at location: SourceLocation) throws(SQLError) -> SQLExpression {
        if current.is(.dot), let field = fieldName(peek()) {
            advance()
            advance()
            return .column(field, qualifier: name, at: location)
        }
        return .column(name, at: location)
    }

    /// `f()`, `f(a, b)`, `f(DISTINCT a)`, `count(*)`.
    private mutating func parseCall(_ name: String, _ nameToken: Token) throws(SQLError) -> SQLExpression {
        let open = try expect(.leftParen)
        let distinct = accept(.distinct) != nil
        var arguments: [SQLExpression] = []
        if let star = accept(.star) {
            // Spark's parser turns count(*) into count(1); other functions keep the star for the
            // planner to reject with the function's name.
            let isCount = name.lowercased() == "count" && !distinct
            arguments.append(isCount ? .integer(1, at: star.location) : SQLExpression(.star(qualifier: nil), at: star.location))
        } else if !current.is(.rightParen) || distinct {
            arguments.append(try parseExpression())
            while accept(.comma) != nil { arguments.append(try parseExpression()) }
        }
        try expect(.rightParen, closing: open, alternatives: arguments.isEmpty ? "')'" : "',' or ')'")
        return .function(name, arguments, distinct: distinct, at: nameToken.location)
    }

    /// `CAST(expression AS type)`.
    private mutating func parseCast() throws(SQLError) -> SQLExpression {
        let cast = advance()
        let open = try expect(.leftParen, "after CAST")
        let operand = try parseExpression()
        try expect(.as, "and a type in CAST(expression AS type)")
        let type = try parseType()
        try expect(.rightParen, closing: open, alternatives: "')'")
        return .cast(operand, as: type, at: cast.location)
    }

    /// `CASE [operand] WHEN a THEN b ... [ELSE c] END`.
    private mutating func parseCase() throws(SQLError) -> SQLExpression {
        let caseToken = advance()
        let operand = check(.when) ? nil : try parseExpression()
        var branches: [WhenBranch] = []
        while accept(.when) != nil {
            let when = try parseExpression()
            try expect(.then, "after the WHEN condition")
            branches.append(WhenBranch(when: when, then: try parseExpression()))
        }
        guard !branches.isEmpty else { throw failure(expected: "WHEN") }
        let otherwise = accept(.else) != nil ? try parseExpression() : nil
        if accept(.end) == nil {
            let alternatives = otherwise == nil ? "WHEN, ELSE or END" : "END"
            throw failure(expected: alternatives, hint: "the CASE at \(caseToken.location) needs an END")
        }
        return SQLExpression(
            .caseWhen(CaseWhen(operand: operand, branches: branches, otherwise: otherwise)), at: caseToken.location)
    }

    /// The literal a number token stands for, typed as Spark types it.
    func numberLiteral(_ digits: String, _ kind: NumberKind, _ token: Token) throws(SQLError) -> Literal {
        switch kind {
        case .integer:
            if let value = Int64(digits) { return .integer(value) }
            // Too big for BIGINT: Spark makes it a DECIMAL up to 38 digits, else a DOUBLE.
            let count = digits.filter { $0 != "-" }.count
            if count <= 38 { return .decimal(digits) }
            return .double(try double(digits, token))
        case .long:
            guard let value = Int64(digits) else {
                throw failure("\(token.text) is out of range for BIGINT", at: token)
            }
            return .integer(value)
        case .decimal:
            guard digits.filter(\.isNumber).count <= 38 else {
                throw failure("\(token.text) has more than 38 digits, too many for a DECIMAL", at: token,
                              hint: "write it with an exponent (1.5E40) to make it a DOUBLE")
            }
            return .decimal(digits)
        case .double:
            return .double(try double(digits, token))
        }
    }

    private func double(_ digits: String, _ token: Token) throws(SQLError) -> Double {
        guard let value = Double(digits), value.isFinite else {
            throw failure("\(token.text) is out of range for DOUBLE", at: token)
        }
        return value
    }
}

extension SQLParser {
    /// `expect(.rightParen)` whose message lists what could have come instead.
    @discardableResult
    mutating func expect(
        _ symbol: Symbol, closing opener: Token, alternatives: String
    ) throws(SQLError) -> Token {
        if let token = accept(symbol) { return token }
        throw failure(expected: alternatives, closing: opener)
    }
}

extension SQLParser {
    /// The schema text of `from_json(text, 'a INT, b ARRAY<STRING>')`: a list of fields (a
    /// STRUCT, as Spark's DDL reads it) or one type (`ARRAY<INT>`, `MAP<STRING, INT>`).
    /// `origin` is where the string literal starts, so that errors point into it.
    static func parseSchemaText(_ text: String, origin: SourceLocation) throws(SQLError) -> SQLType {
        var parser = SQLParser(source: text, origin: SourceLocation(line: origin.line, column: origin.column + 1, offset: origin.offset + 1))
        if case .endOfInput = parser.current.kind {
            throw SQLError("the schema is empty", at: origin, hint: "write fields and types, e.g. 'a INT, b ARRAY<STRING>'")
        }
        let type: SQLType
        if case .word(let word) = parser.current.kind, ["ARRAY", "MAP", "STRUCT"].contains(word.uppercased()),
           parser.peek().is(.less) || parser.peek().is(.lessGreater) {
            type = try parser.parseType()
        } else {
            var fields: [StructField] = []
            repeat {
                let nameToken = parser.current
                let name: String
                switch nameToken.kind {
                case .word(let word): name = word
                case .quotedIdentifier(let quoted): name = quoted
                default: throw parser.failure(expected: "a field name")
                }
                parser.advance()
                if fields.contains(where: { $0.name.caseInsensitiveCompare(name) }) {
                    throw parser.failure("duplicate field '\(name)' in the schema", at: nameToken)
                }
                _ = parser.accept(.colon)
                fields.append(StructField(name: name, type: try parser.parseType()))
            } while parser.accept(.comma) != nil
            type = .struct(fields)
        }
        guard case .endOfInput = parser.current.kind else { throw parser.failure(expected: "',' and another field, or the end of the schema") }
        return type
    }
}
