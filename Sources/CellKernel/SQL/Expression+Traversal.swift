/// Walking expression trees: the planner looks for aggregate calls and column references.
extension SQLExpression {
    /// The direct sub-expressions, in source order.
    var children: [SQLExpression] {
        switch kind {
        case .literal, .column, .star:
            return []
        case .unary(_, let operand), .cast(let operand, _), .isNull(let operand, _), .field(let operand, _):
            return [operand]
        case .binary(_, let left, let right):
            return [left, right]
        case .function(let call):
            return call.arguments
        case .caseWhen(let caseWhen):
            var children = caseWhen.operand.map { [$0] } ?? []
            for branch in caseWhen.branches { children += [branch.when, branch.then] }
            if let otherwise = caseWhen.otherwise { children.append(otherwise) }
            return children
        case .inList(let value, let list, _):
            return [value] + list
        case .between(let value, let lower, let upper, _):
            return [value, lower, upper]
        case .like(let value, let pattern, _), .rlike(let value, let pattern, _):
            return [value, pattern]
        case .indexed(let base, let index):
            return [base, index]
        }
    }

    /// True if this expression or any expression inside it satisfies `predicate`.
    func contains(where predicate: (SQLExpression) -> Bool) -> Bool {
        predicate(self) || children.contains { $0.contains(where: predicate) }
    }
}
