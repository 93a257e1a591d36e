/// Type names, mapped to ``SQLType``: STRING, BOOLEAN, INT/INTEGER, BIGINT/LONG, FLOAT/REAL,
/// DOUBLE, DECIMAL/DEC/NUMERIC[(p[, s])], DATE, TIMESTAMP.
extension SQLParser {
    static let typeNames = [
        "STRING", "BOOLEAN", "INT", "INTEGER", "BIGINT", "LONG", "FLOAT", "REAL", "DOUBLE",
        "DECIMAL", "DEC", "NUMERIC", "DATE", "TIMESTAMP",
    ]

    /// The largest precision ``SQLType/decimal(precision:scale:)`` can hold: Spark's 38 (its
    /// values are Int128 counts of units).
    static let maximumDecimalPrecision = 38

    mutating func parseType() throws(SQLError) -> SQLType {
        let token = current
        let expected = "a type (STRING, BOOLEAN, INT, BIGINT, FLOAT, DOUBLE, DECIMAL, DATE or TIMESTAMP)"
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
        default:
            let hint = Suggestion.closest(to: word, among: Self.typeNames).map { "did you mean \($0)?" }
            throw failure(expected: expected, hint: hint)
        }
        advance()
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
