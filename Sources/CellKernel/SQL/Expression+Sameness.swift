/// Structural comparison as Spark's analyzer sees it, for matching GROUP BY expressions with
/// select items.
extension SQLExpression {
    /// True when both expressions are written alike up to locations and the case of names
    /// (columns, qualifiers, fields, functions): `AVG(T.Value)` is the same as `avg(t.value)`.
    /// String literals and types must match exactly.
    func isSameExpression(as other: SQLExpression) -> Bool {
        normalized == other.normalized
    }

    /// This expression with every name in lower case: a key for dictionaries of expressions
    /// that should follow ``isSameExpression(as:)``.
    var normalized: SQLExpression {
        SQLExpression(normalizedKind, at: location)
    }

    private var normalizedKind: ExpressionKind {
        switch kind {
        case .literal:
            return kind
        case .column(let qualifier, let name):
            return .column(qualifier: qualifier?.lowercased(), name: name.lowercased())
        case .star(let qualifier):
            return .star(qualifier: qualifier?.lowercased())
        case .unary(let op, let operand):
            return .unary(op, operand.normalized)
        case .binary(let op, let left, let right):
            return .binary(op, left.normalized, right.normalized)
        case .function(let call):
            return .function(FunctionCall(
                name: call.lowercasedName, arguments: call.arguments.map(\.normalized), distinct: call.distinct))
        case .cast(let operand, let type):
            return .cast(operand.normalized, type)
        case .caseWhen(let caseWhen):
            return .caseWhen(CaseWhen(
                operand: caseWhen.operand?.normalized,
                branches: caseWhen.branches.map { WhenBranch(when: $0.when.normalized, then: $0.then.normalized) },
                otherwise: caseWhen.otherwise?.normalized))
        case .inList(let value, let list, let negated):
            return .inList(value.normalized, list.map(\.normalized), negated: negated)
        case .between(let value, let lower, let upper, let negated):
            return .between(value.normalized, lower: lower.normalized, upper: upper.normalized, negated: negated)
        case .like(let value, let pattern, let negated):
            return .like(value.normalized, pattern: pattern.normalized, negated: negated)
        case .rlike(let value, let pattern, let negated):
            return .rlike(value.normalized, pattern: pattern.normalized, negated: negated)
        case .isNull(let operand, let negated):
            return .isNull(operand.normalized, negated: negated)
        case .field(let base, let name):
            return .field(base.normalized, name: name.lowercased())
        case .indexed(let base, let index):
            return .indexed(base.normalized, index: index.normalized)
        }
    }
}
