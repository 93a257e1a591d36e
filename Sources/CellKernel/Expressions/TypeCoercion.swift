/// Spark's implicit type rules: which type two values meet in and the cast that gets a value
/// there. The binder applies them to operators, the function registry to arguments.
enum TypeCoercion {
    static func cast(_ e: BoundExpression, to type: SQLType) -> BoundExpression {
        if e.type == type { return e }
        if case .literal(.null, _) = e { return .literal(.null, type) }
        return .call(.cast, [e], type)
    }

    static func numericRank(_ t: SQLType) -> Int {
        switch t {
        case .int: 1
        case .bigint: 2
        case .decimal: 3
        case .float: 4
        case .double: 5
        default: 0
        }
    }

    /// The type two numbers meet in: Spark's widening, with DECIMAL against integers or
    /// DECIMAL the narrowest DECIMAL that holds both, and against FLOAT or DOUBLE a DOUBLE.
    static func widerNumeric(_ a: SQLType, _ b: SQLType) -> SQLType {
        if let decimal = decimalOperands(a, b) { return DecimalArithmetic.wider(decimal.0, decimal.1) ?? .double }
        let wider = numericRank(a) >= numericRank(b) ? a : b
        if case .decimal = wider { return .double }
        return wider
    }

    /// Both types when one is a DECIMAL and the other a DECIMAL or an integer (not fractional).
    static func decimalOperands(_ a: SQLType, _ b: SQLType) -> (SQLType, SQLType)? {
        let aDecimal = if case .decimal = a { true } else { false }
        let bDecimal = if case .decimal = b { true } else { false }
        guard aDecimal || bDecimal, DecimalArithmetic.asDecimal(a) != nil, DecimalArithmetic.asDecimal(b) != nil else { return nil }
        return (a, b)
    }

    static func commonType(_ types: [SQLType], at: SourceLocation, what: String) throws(SQLError) -> SQLType {
        var common = SQLType.null
        for t in types where t != .null {
            if common == .null || common == t { common = t; continue }
            if common.isNumeric && t.isNumeric { common = Self.widerNumeric(common, t); continue }
            if common == .string || t == .string { common = .string; continue }
            if (common == .date && t == .timestamp) || (common == .timestamp && t == .date) { common = .timestamp; continue }
            throw SQLError("\(what) mixes \(common) and \(t)", at: at, hint: "CAST the values to one type")
        }
        return common
    }
}
