/// A source that cannot be opened or read, with what to do about it.
struct SourceError: Error, Sendable, CustomStringConvertible {
    var message: String
    var hint: String?
    /// The option whose value is at fault, as the user may have spelled it (matched ignoring
    /// case): the session then reports the error at that option in the statement.
    var option: String?

    init(_ message: String, hint: String? = nil, option: String? = nil) {
        self.message = message
        self.hint = hint
        self.option = option
    }

    var description: String {
        hint.map { "\(message)\nhint: \($0)" } ?? message
    }
}
