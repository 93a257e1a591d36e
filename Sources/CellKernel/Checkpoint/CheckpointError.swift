/// Why a checkpoint location cannot be used: in use, damaged beyond what recovery falls back
/// over, or written by a different query. Says which file and what to do.
public struct CheckpointError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    init(_ message: String, hint: String? = nil) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }

    /// What to do about a location whose state cannot be used: the hint of every such error.
    static func startOver(_ path: String) -> String {
        "delete \(path) to start over, or give the query a new \(optionName)"
    }

    /// START's option naming the location: errors about the location point at its value.
    public static let optionName = "checkpointLocation"
}
