/// Shorthands for building expressions in code: the planner's rewrites and tests.
extension SQLExpression {
    /// A constant.
    static func literal(_ value: Literal, at location: SourceLocation = .start) -> SQLExpression {
        SQLExpression(.literal(value), at: location)
    }

    /// A string constant.
    static func string(_ value: String, at location: SourceLocation = .start) -> SQLExpression {
        literal(.string(value), at: location)
    }

    /// An integer constant.
    static func integer(_ value: Int64, at location: SourceLocation = .start) -> SQLExpression {
        literal(.integer(value), at: location)
    }

    /// A column reference, `qualifier.name` when qualified.
    static func column(
        _ name: String, qualifier: String? = nil, at location: SourceLocation = .start
    ) -> SQLExpression {
        SQLExpression(.column(qualifier: qualifier, name: name), at: location)
    }

    /// A function call, `name(arguments)`.
    static func function(
        _ name: String, _ arguments: [SQLExpression], distinct: Bool = false,
        at location: SourceLocation = .start
    ) -> SQLExpression {
        SQLExpression(.function(FunctionCall(name: name, arguments: arguments, distinct: distinct)), at: location)
    }

    /// A prefix operation, located at its operator (or its operand when not given).
    static func unary(
        _ op: UnaryOperator, _ operand: SQLExpression, at location: SourceLocation? = nil
    ) -> SQLExpression {
        SQLExpression(.unary(op, operand), at: location ?? operand.location)
    }

    /// A binary expression located at its left operand, where it starts.
    static func binary(_ op: BinaryOperator, _ left: SQLExpression, _ right: SQLExpression) -> SQLExpression {
        SQLExpression(.binary(op, left, right), at: left.location)
    }

    /// `CAST(operand AS type)`.
    static func cast(_ operand: SQLExpression, as type: SQLType, at location: SourceLocation? = nil) -> SQLExpression {
        SQLExpression(.cast(operand, type), at: location ?? operand.location)
    }

    /// `base.name`, a field of a struct.
    static func field(_ base: SQLExpression, _ name: String) -> SQLExpression {
        SQLExpression(.field(base, name: name), at: base.location)
    }
}
