@testable import CellKernel

/// Shorthands shared by the SQL tests.
enum SQLParsing {
    static func script(_ text: String, environment: [String: String] = [:]) throws -> [SQLStatement] {
        try SQLParser.parseScript(text, environment: environment)
    }

    static func statement(_ text: String, environment: [String: String] = [:]) throws -> StatementKind {
        try SQLParser.parseStatement(text, environment: environment).kind
    }

    static func expression(_ text: String, environment: [String: String] = [:]) throws -> SQLExpression {
        try SQLParser.parseExpression(text, environment: environment)
    }

    static func select(_ text: String) throws -> Select {
        guard case .select(let query) = try statement(text) else { throw Unexpected.kind }
        return query.select
    }

    /// The error parsing `text` as a script reports, or nil if it parses.
    static func error(_ text: String, environment: [String: String] = [:]) -> SQLError? {
        do {
            _ = try SQLParser.parseScript(text, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    static func expressionError(_ text: String) -> SQLError? {
        do {
            _ = try SQLParser.parseExpression(text)
            return nil
        } catch {
            return error
        }
    }

    enum Unexpected: Error { case kind }
}

/// Expression builders that read like the SQL they stand for; members of SQLExpression so
/// they cannot collide with other test files' helpers.
extension SQLExpression {
    static func col(_ name: String, _ qualifier: String? = nil) -> SQLExpression { .column(name, qualifier: qualifier) }
    static func str(_ value: String) -> SQLExpression { .string(value) }
    static func int(_ value: Int64) -> SQLExpression { .integer(value) }
    static func call(_ name: String, _ arguments: SQLExpression..., distinct: Bool = false) -> SQLExpression {
        .function(name, arguments, distinct: distinct)
    }
    static func bin(_ op: BinaryOperator, _ left: SQLExpression, _ right: SQLExpression) -> SQLExpression {
        .binary(op, left, right)
    }
    static func not(_ operand: SQLExpression) -> SQLExpression { .unary(.not, operand) }
    static func of(_ kind: ExpressionKind) -> SQLExpression { SQLExpression(kind) }
}

extension SQLError {
    /// `line:column`, for compact assertions.
    var at: String { location.description }
}
