/// Type names, mapped to ``SQLType``: STRING, BOOLEAN, INT/INTEGER, BIGINT/LONG, FLOAT/REAL,
/// DOUBLE, DECIMAL/DEC/NUMERIC[(p[, s])], DATE, TIMESTAMP, and the nested STRUCT<name[:] T, ...>,
/// ARRAY<T>, MAP<K, V> (nested at most ``SQLType/maximumNestingDepth`` deep).
extension SQLParser {
    static let typeNames = [
        "STRING", "BOOLEAN", "INT", "INTEGER", "BIGINT", "LONG", "FLOAT", "REAL", "DOUBLE",
        "DECIMAL", "DEC", "NUMERIC", "DATE", "TIMESTAMP", "STRUCT", "ARRAY", "MAP",
    ]

    /// The largest precision ``SQLType/decimal(precision:scale:)`` can hold: Spark's 38 (its
    /// values are Int128 counts of units).
    static let maximumDecimalPrecision = 38

    mutating func parseType() throws(SQLError) -> SQLType {
        try parseType(depth: 0)
    }

    /// Recursion is bounded by `depth`, so a hostile `ARRAY<ARRAY<...` cannot exhaust the stack.
    private mutating func parseType(depth: Int) throws(SQLError) -> SQLType {
        let token = current
        let expected = "a type (STRING, BOOLEAN, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, DATE, TIMESTAMP, STRUCT, ARRAY or MAP)"
        guard case .word(let word) = token.kind else { throw failure(expected: expected) }
        let type: SQLType
        switch word.uppercased() {
        case "STRING": type = .string
        case "BOOLEAN": type = .boolean
        case "INT", "INTEGER": type = .int
        case "BIGINT", "LONG": type = .bigint
        case "FLOAT", "REAL": type = .float
        case "DOUBLE": type = .double
        case "DATE": type = .date
        case "TIMESTAMP": type = .timestamp
        case "DECIMAL", "DEC", "NUMERIC":
            advance()
            return try parseDecimalArguments(token)
        case "STRUCT", "ARRAY", "MAP":
            guard depth < SQLType.maximumNestingDepth else {
                throw failure("types nest at most \(SQLType.maximumNestingDepth) levels deep", at: token,
                              hint: "flatten the schema, or keep the deep part as a STRING and read it with get_json_object()")
            }
            advance()
            return try parseNestedArguments(word.uppercased(), depth: depth + 1)
        default:
            let hint = Suggestion.closest(to: word, among: Self.typeNames).map { "did you mean \($0)?" }
            throw failure(expected: expected, hint: hint)
        }
        advance()
        return type
    }

    /// `<...>` after STRUCT, ARRAY or MAP.
    private mutating func parseNestedArguments(_ kind: String, depth: Int) throws(SQLError) -> SQLType {
        if kind == "STRUCT", accept(.lessGreater) != nil { return .struct([]) }
        let open = try expect(.less, "after \(kind)")
        let type: SQLType
        switch kind {
        case "ARRAY":
            type = .array(try parseType(depth: depth))
        case "MAP":
            let keyToken = current
            let key = try parseType(depth: depth)
            guard !key.isNested else {
                throw failure("a MAP key must not be a \(key)", at: keyToken, hint: "use a STRING or number key")
            }
            try expect(.comma, "between the key and value types of MAP")
            type = .map(key: key, value: try parseType(depth: depth))
        default:
            var fields: [StructField] = []
            while true {
                let nameToken = current
                let name: String
                switch nameToken.kind {
                // Spark accepts any word as a field name, reserved or not.
                case .word(let word): name = word
                case .quotedIdentifier(let quoted): name = quoted
                default: throw failure(expected: "a field name")
                }
                advance()
                if fields.contains(where: { $0.name.caseInsensitiveCompare(name) }) {
                    throw failure("duplicate field '\(name)' in STRUCT", at: nameToken)
                }
                _ = accept(.colon)
                fields.append(StructField(name: name, type: try parseType(depth: depth)))
                if accept(.comma) == nil { break }
            }
            type = .struct(fields)
        }
        try expect(.greater, "closing \(kind)<", closing: open)
        return type
    }

    /// `(p)` or `(p, s)` after DECIMAL; Spark's default is DECIMAL(10, 0).
    private mutating func parseDecimalArguments(_ decimal: Token) throws(SQLError) -> SQLType {
        guard let open = accept(.leftParen) else { return .decimal(precision: 10, scale: 0) }
        let precisionToken = current
        let precision = try smallInteger("the precision of DECIMAL")
        var scale = 0
        let scaleToken = current
        if accept(.comma) != nil { scale = try smallInteger("the scale of DECIMAL") }
        try expect(.rightParen, closing: open, alternatives: scaleToken.is(.comma) ? "')'" : "',' or ')'")
        guard precision >= 1, precision <= Self.maximumDecimalPrecision else {
            throw failure(
                "DECIMAL precision must be between 1 and \(Self.maximumDecimalPrecision), not \(precision)",
                at: precisionToken,
                hint: precision > Self.maximumDecimalPrecision
                    ? "Spark's DECIMAL holds at most 38 digits; use DOUBLE for wider values" : nil)
        }
        guard scale <= precision else {
            throw failure("DECIMAL scale \(scale) is larger than its precision \(precision)",
                          at: tokens[index - 2])
        }
        return .decimal(precision: precision, scale: scale)
    }

    private mutating func smallInteger(_ what: String) throws(SQLError) -> Int {
        guard case .number(let digits, .integer) = current.kind, let value = Int(digits), value <= 1000 else {
            throw failure(expected: what)
        }
        advance()
        return value
    }
}
