/// An error a statement failed with, ready to show: SQL errors point at file:line:col with
/// the line and a caret; runtime errors say what failed, where, and what to do.
public struct CellError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case sql(SQLError)
        case runtime
    }

    public var kind: Kind
    public var message: String

    public static func sql(_ error: SQLError, source: String, file: String?) -> CellError {
        CellError(kind: .sql(error), message: error.rendered(source: source, file: file))
    }

    public static func runtime(_ message: String) -> CellError {
        CellError(kind: .runtime, message: message)
    }

    public var description: String { message }
}
