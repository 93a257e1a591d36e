/// Resolves names and types in expressions: the parser's `SQLExpression` becomes a
/// `BoundExpression` over a row of known columns, with Spark's implicit casts inserted, or a
/// positioned error naming what is wrong (an unknown column, with the closest name; a type
/// mismatch; a misused aggregate).
struct Binder {
    struct Column {
        var name: String
        var type: SQLType
        /// The table alias (or name) the column may be qualified with: set over a join, where
        /// each side's columns carry their own.
        var qualifier: String? = nil
    }

    var columns: [Column]
    /// Expressions standing for columns already computed (GROUP BY keys and aggregates, after
    /// aggregation): matched structurally before anything else.
    var replacements: [(expression: SQLExpression, bound: BoundExpression)] = []
    /// What a column reference outside the replacements means (after GROUP BY, it is an error).
    var columnsOutsideReplacements: ColumnRule = .allowed

    enum ColumnRule { case allowed, mustBeGrouped }

    init(columns: [Column]) {
        self.columns = columns
    }

    func resolve(_ name: String, qualifier: String? = nil, at location: SourceLocation) throws(SQLError) -> BoundExpression {
        // Qualifiers are checked only where columns carry them (over a join); a single input
        // keeps reading `t.col` as `col`, as it always has.
        if let qualifier, columns.contains(where: { $0.qualifier != nil }) {
            let qualified = columns.indices.filter { columns[$0].qualifier?.caseInsensitiveCompare(qualifier) == true }
            guard !qualified.isEmpty else {
                if let nested = try structField(qualifier, name, at: location) { return nested }
                let known = Array(Set(columns.compactMap(\.qualifier))).sorted()
                throw SQLError("unknown table or alias '\(qualifier)' in '\(qualifier).\(name)'", at: location, length: qualifier.count,
                               hint: Suggestion.closest(to: qualifier, among: known).map { "did you mean '\($0)'?" }
                                   ?? "the tables here are \(known.joined(separator: ", "))")
            }
            let matches = qualified.filter { columns[$0].name.caseInsensitiveCompare(name) }
            if matches.count == 1 { return .column(matches[0], columns[matches[0]].type) }
            if matches.count > 1 {
                throw SQLError("column '\(qualifier).\(name)' is ambiguous: '\(qualifier)' names more than one table here", at: location,
                               length: qualifier.count + 1 + name.count, hint: "give each table its own alias")
            }
            let names = qualified.map { columns[$0].name }
            throw SQLError("'\(qualifier)' has no column '\(name)'", at: location, length: qualifier.count + 1 + name.count,
                           hint: Suggestion.closest(to: name, among: names).map { "did you mean '\(qualifier).\($0)'?" }
                               ?? "its columns: \(names.joined(separator: ", "))")
        }
        if let qualifier, let nested = try structField(qualifier, name, at: location) { return nested }
        let matches = columns.indices.filter { columns[$0].name.caseInsensitiveCompare(name) }
        if let index = matches.first {
            // Over a join, a bare name both sides have is ambiguous (Spark's AMBIGUOUS_REFERENCE).
            let sides = Set(matches.map { columns[$0].qualifier?.lowercased() ?? "" })
            if sides.count > 1 {
                let options = matches.compactMap { columns[$0].qualifier.map { "\($0).\(name)" } }
                throw SQLError("column '\(name)' is ambiguous: it could be \(options.joined(separator: " or "))", at: location,
                               length: name.count, hint: "qualify it, e.g. \(options[0])")
            }
            return .column(index, columns[index].type)
        }
        let suggestion = Suggestion.closest(to: name, among: columns.map(\.name))
        throw SQLError("unknown column '\(name)'", at: location, length: name.count,
                       hint: suggestion.map { "did you mean '\($0)'?" }
                           ?? "columns here: \(columns.map(\.name).joined(separator: ", "))")
    }

    func bind(_ expression: SQLExpression) throws(SQLError) -> BoundExpression {
        if let replaced = replacements.first(where: { $0.expression.isSameExpression(as: expression) }) {
            return replaced.bound
        }
        let at = expression.location
        switch expression.kind {
        case .literal(let literal):
            return Self.literal(literal)
        case .column(let qualifier, let name):
            if columnsOutsideReplacements == .mustBeGrouped {
                // A plain name that is a grouped column is that key (`GROUP BY t.k` then `k`).
                if let key = replacements.first(where: {
                    if case .column = $0.expression.kind { return $0.expression.columnName.caseInsensitiveCompare(name) }
                    return false
                }) { return key.bound }
                throw SQLError("column '\(name)' is neither in GROUP BY nor inside an aggregate function", at: at,
                               length: name.count, hint: "add it to GROUP BY, or aggregate it, e.g. first(\(name)) or max(\(name))")
            }
            return try resolve(name, qualifier: qualifier, at: at)
        case .star:
            throw SQLError("'*' is only allowed as a whole select item or in count(*)", at: at, length: 1)
        case .unary(.not, let operand):
            return .call(.not, [try boolean(operand, "NOT")], .boolean)
        case .unary(.negate, let operand):
            let value = try numeric(operand, "unary -")
            return .call(.negate, [value], value.type)
        case .unary(.plus, let operand):
            return try numeric(operand, "unary +")
        case .binary(let op, let left, let right):
            return try binary(op, left, right, at: at)
        case .function(let call) where call.lowercasedName == "interval" && call.arguments.count == 1:
            throw SQLError("an INTERVAL is only supported added to or subtracted from a TIMESTAMP", at: at,
                           hint: "write e.g. b.t <= a.t + INTERVAL 10 MINUTES; window() takes durations as strings")
        case .function(let call):
            return try function(call, at: at)
        case .cast(let operand, let type):
            let boundOperand = try bind(operand)
            try Cast.checkNested(from: boundOperand.type, to: type, at: at)
            return TypeCoercion.cast(boundOperand, to: type)
        case .caseWhen(let caseWhen):
            return try self.caseWhen(caseWhen, at: at)
        case .inList(let value, let list, let negated):
            var bound: [BoundExpression] = [try bind(value)]
            for element in list { bound.append(try bind(element)) }
            let common = try TypeCoercion.commonType(bound.map(\.type), at: at, what: "IN")
            let result = BoundExpression.call(.inList, bound.map { TypeCoercion.cast($0, to: common) }, .boolean)
            return negated ? .call(.not, [result], .boolean) : result
        case .between(let value, let lower, let upper, let negated):
            let v = try bind(value), lo = try bind(lower), hi = try bind(upper)
            let common = try TypeCoercion.commonType([v.type, lo.type, hi.type], at: at, what: "BETWEEN")
            let (cv, clo, chi) = (TypeCoercion.cast(v, to: common), TypeCoercion.cast(lo, to: common), TypeCoercion.cast(hi, to: common))
            let result = BoundExpression.call(.between, [cv, clo, chi], .boolean)
            return negated ? .call(.not, [result], .boolean) : result
        case .like(let value, let pattern, let negated), .rlike(let value, let pattern, let negated):
            guard case .literal(.string(let text)) = pattern.kind else {
                throw SQLError("the pattern of LIKE must be a string literal", at: pattern.location)
            }
            let isLike = if case .like = expression.kind { true } else { false }
            if !isLike, (try? Regex(text)) == nil {
                throw SQLError("'\(text)' is not a valid regular expression", at: pattern.location)
            }
            if !isLike, let refusal = RegexGuard.refusal(text, at: pattern.location) { throw refusal }
            let result = BoundExpression.call(.row(isLike ? .like(pattern: text) : .rlike(pattern: text)),
                                              [TypeCoercion.cast(try bind(value), to: .string)], .boolean)
            return negated ? .call(.not, [result], .boolean) : result
        case .isNull(let operand, let negated):
            return .call(negated ? .isNotNull : .isNull, [try bind(operand)], .boolean)
        case .field(let base, let name):
            return try field(of: base, name, at: at)
        case .indexed(let base, let index):
            return try element(of: base, index, at: at)
        }
    }

    // MARK: Operators

    private func binary(_ op: BinaryOperator, _ left: SQLExpression, _ right: SQLExpression,
                        at: SourceLocation) throws(SQLError) -> BoundExpression {
        switch op {
        case .and, .or:
            return .call(op == .and ? .and : .or, [try boolean(left, op.rawValue.uppercased()), try boolean(right, op.rawValue.uppercased())], .boolean)
        case .concat:
            return .call(.concat, [TypeCoercion.cast(try bind(left), to: .string), TypeCoercion.cast(try bind(right), to: .string)], .string)
        case .equal, .nullSafeEqual, .notEqual, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual:
            let l = try bind(left), r = try bind(right)
            let common = try comparisonType(l.type, r.type, at: at, op: op)
            let function: ScalarFunction = switch op {
            case .equal: .equal
            case .nullSafeEqual: .nullSafeEqual
            case .notEqual: .notEqual
            case .lessThan: .less
            case .lessThanOrEqual: .lessOrEqual
            case .greaterThan: .greater
            default: .greaterOrEqual
            }
            return .call(function, [TypeCoercion.cast(l, to: common), TypeCoercion.cast(r, to: common)], .boolean)
        case .add, .subtract, .multiply, .remainder:
            // TIMESTAMP ± INTERVAL: microseconds added (what a join's time range is written with).
            if op != .multiply && op != .remainder, case .function(let call) = right.kind, call.lowercasedName == "interval",
               call.arguments.count == 1, case .literal(.string(let text)) = call.arguments[0].kind {
                guard let micros = parseIntervalMicroseconds(text) else { throw SQLError("'\(text)' is not a duration", at: right.location) }
                var time = try bind(left)
                if time.type == .string || time.type == .date { time = TypeCoercion.cast(time, to: .timestamp) }
                guard time.type == .timestamp else {
                    throw SQLError("an INTERVAL is added to a TIMESTAMP, but \(left.sqlText) is \(time.type)", at: left.location)
                }
                return .call(op == .add ? .add : .subtract, [time, .literal(.int(micros), .timestamp)], .timestamp)
            }
            let l = try numeric(left, op.rawValue), r = try numeric(right, op.rawValue)
            let function: ScalarFunction = op == .add ? .add : op == .subtract ? .subtract : op == .multiply ? .multiply : .remainder
            // DECIMAL with DECIMAL or integers: exact, in Spark's result type; the operands
            // keep their own types (their scales are read when evaluating).
            if TypeCoercion.decimalOperands(l.type, r.type) != nil, let type = DecimalArithmetic.resultType(function, l.type, r.type) {
                return .call(function, [l, r], type)
            }
            let type = TypeCoercion.widerNumeric(l.type, r.type)
            return .call(function, [TypeCoercion.cast(l, to: type), TypeCoercion.cast(r, to: type)], type)
        case .divide:
            // Spark's `/` is fractional: DECIMAL when a DECIMAL meets DECIMALs or integers, else DOUBLE.
            let l = try numeric(left, "/"), r = try numeric(right, "/")
            if TypeCoercion.decimalOperands(l.type, r.type) != nil, let type = DecimalArithmetic.resultType(.divide, l.type, r.type) {
                return .call(.divide, [l, r], type)
            }
            return .call(.divide, [TypeCoercion.cast(l, to: .double), TypeCoercion.cast(r, to: .double)], .double)
        case .integerDivide:
            let l = try numeric(left, "div"), r = try numeric(right, "div")
            return .call(.row(.integerDivide), [l, r], .bigint)
        }
    }

    private func boolean(_ e: SQLExpression, _ what: String) throws(SQLError) -> BoundExpression {
        let bound = try bind(e)
        if bound.type == .null { return TypeCoercion.cast(bound, to: .boolean) }
        guard bound.type == .boolean else {
            throw SQLError("\(what) needs a BOOLEAN, but \(e.sqlText) is \(bound.type)", at: e.location)
        }
        return bound
    }

    private func numeric(_ e: SQLExpression, _ what: String) throws(SQLError) -> BoundExpression {
        let bound = try bind(e)
        switch bound.type {
        case _ where bound.type.isNumeric: return bound
        case .string, .null: return TypeCoercion.cast(bound, to: .double)  // Spark's implicit cast for arithmetic
        default: throw SQLError("\(what) needs numbers, but \(e.sqlText) is \(bound.type)", at: e.location)
        }
    }

    private func caseWhen(_ c: CaseWhen, at: SourceLocation) throws(SQLError) -> BoundExpression {
        var conditions: [BoundExpression] = []
        var subject: BoundExpression?
        if let operand = c.operand {
            // The subject once, compared with each value in the type common to all of them (as
            // Spark types a simple CASE): one copy of it however deep CASEs nest.
            let bound = try bind(operand)
            var common = bound.type
            for branch in c.branches {
                let value = try bind(branch.when)
                if common != .null || value.type != .null {
                    common = try comparisonType(common, value.type, at: branch.when.location, op: .equal)
                }
                conditions.append(value)
            }
            if common == .null { common = .boolean }
            subject = TypeCoercion.cast(bound, to: common)
            conditions = conditions.map { TypeCoercion.cast($0, to: common) }
        } else {
            for branch in c.branches { conditions.append(try boolean(branch.when, "WHEN")) }
        }
        var results = try c.branches.map { (b) throws(SQLError) in try bind(b.then) }
        results.append(try c.otherwise.map { (e) throws(SQLError) in try bind(e) } ?? .literal(.null, .null))
        let type = try TypeCoercion.commonType(results.map(\.type), at: at, what: "CASE")
        var arguments: [BoundExpression] = []
        for (condition, result) in zip(conditions, results) { arguments += [condition, TypeCoercion.cast(result, to: type)] }
        arguments.append(TypeCoercion.cast(results.last!, to: type))
        if let subject { return .call(.simpleCase, [subject] + arguments, type) }
        return .call(.caseWhen, arguments, type)
    }

    // MARK: Types

    static func literal(_ literal: Literal) -> BoundExpression {
        switch literal {
        case .null: .literal(.null, .null)
        case .bool(let b): .literal(.bool(b), .boolean)
        case .integer(let i): Int64(Int32(truncatingIfNeeded: i)) == i ? .literal(.int(i), .int) : .literal(.int(i), .bigint)
        // Spark types `1.50` as DECIMAL(3,2): digits as written, the precision at least the scale.
        case .decimal(let text): decimalLiteral(text)
        case .double(let d): .literal(.double(d), .double)
        case .string(let s): .literal(.string(s), .string)
        }
    }

    /// A decimal literal's DECIMAL(p, s) and unscaled value; past 38 digits, a DOUBLE.
    static func decimalLiteral(_ text: String) -> BoundExpression {
        let fraction = text.split(separator: ".", maxSplits: 1).dropFirst().first.map(\.count) ?? 0
        let significant = text.filter(\.isNumber).drop { $0 == "0" }.count
        let precision = max(significant, fraction, 1)
        guard precision <= DecimalArithmetic.maxPrecision, let exact = ExactDecimal(text),
              let unscaled = exact.unscaled(precision: precision, scale: fraction) else {
            return .literal(.double(Double(text) ?? .nan), .double)
        }
        return .literal(.decimal(unscaled), .decimal(precision: precision, scale: fraction))
    }

    func comparisonType(_ a: SQLType, _ b: SQLType, at: SourceLocation, op: BinaryOperator) throws(SQLError) -> SQLType {
        // Nested values compare by their canonical bytes: right for equality, not for order.
        if (a.isNested || b.isNested) && ![.equal, .notEqual, .nullSafeEqual].contains(op) {
            throw SQLError("cannot order \(a.isNested ? a : b) values", at: at, hint: "compare one of its fields, e.g. s.a")
        }
        if a == b { return a == .null ? .boolean : a }
        if a == .null { return b }
        if b == .null { return a }
        if a.isNumeric && b.isNumeric { return TypeCoercion.widerNumeric(a, b) }
        switch (a, b) {
        // Spark 3.5 (non-ANSI) casts the string to the number's type, so '1.5' = 1 is true (the
        // string truncates to 1) and long card numbers compare exactly; to DOUBLE only against a
        // DECIMAL, for want of a precision to pick (SPARK-22469).
        case (.string, .decimal), (.decimal, .string): return .double
        case (.string, _) where b.isNumeric: return b
        case (_, .string) where a.isNumeric: return a
        case (.string, .timestamp), (.timestamp, .string), (.date, .timestamp), (.timestamp, .date): return .timestamp
        case (.string, .date), (.date, .string): return .date
        case (.string, .boolean), (.boolean, .string): return .boolean
        default:
            throw SQLError("cannot compare \(a) with \(b)", at: at, hint: "CAST one side to the other's type")
        }
    }

}
