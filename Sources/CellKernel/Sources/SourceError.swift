/// A source that cannot be opened or read, with what to do about it.
public struct SourceError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?
    /// The option whose value is at fault, as the user may have spelled it (matched ignoring
    /// case): the session then reports the error at that option in the statement.
    public var option: String?

    public init(_ message: String, hint: String? = nil, option: String? = nil) {
        self.message = message
        self.hint = hint
        self.option = option
    }

    public var description: String {
        hint.map { "\(message)\nhint: \($0)" } ?? message
    }
}
