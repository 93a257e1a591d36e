/// Why an Arrow IPC stream could not be decoded, and where.
///
/// Every malformed, truncated or unsupported input ends here rather than in a trap: the reader
/// takes bytes from the network, so any length, offset or count in them may be hostile.
public struct ArrowError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in words (for an unsupported feature, the feature's Arrow name).
    public var message: String
    /// The byte offset in the decoded stream where the problem was found.
    public var offset: Int

    /// An error found at `offset` of the stream (also for callers that wrap the reader).
    public init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    public var description: String { "Arrow IPC stream: \(message) (at byte \(offset))" }

    static func unsupported(_ feature: String, at offset: Int) -> ArrowError {
        ArrowError("\(feature) is not supported (cells reads Spark's result types only)", at: offset)
    }
}
