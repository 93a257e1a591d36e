/// An error a statement failed with, ready to show: SQL errors point at file:line:col with
/// the line and a caret; runtime errors say what failed, where, and what to do.
public struct CellError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        case sql(SQLError)
        case runtime
    }

    public var kind: Kind
    public var message: String
    /// Where the statement that failed starts (for a stream, its START): runtime errors name
    /// the statement, so a failure minutes into a notebook's run points at its line.
    public var location: SourceLocation?

    public static func sql(_ error: SQLError, source: String, file: String?) -> CellError {
        CellError(kind: .sql(error), message: error.rendered(source: source, file: file), location: error.location)
    }

    /// A failure while running; with a location the message starts `file:line:col: error:`.
    public static func runtime(_ message: String, at location: SourceLocation? = nil, file: String? = nil) -> CellError {
        guard let location else { return CellError(kind: .runtime, message: message, location: nil) }
        return CellError(kind: .runtime, message: "\(file.map { "\($0):" } ?? "")\(location): error: \(message)", location: location)
    }

    public var description: String { message }
}
