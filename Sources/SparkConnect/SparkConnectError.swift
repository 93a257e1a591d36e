/// What went wrong talking to Spark Connect: the server out of reach, a deadline, or Spark's
/// own error (its error class and message).
public struct SparkConnectError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case invalidAddress
        /// Nothing answers at the address.
        case unreachable
        /// The call's deadline passed.
        case timeout
        /// Spark refused or failed the request.
        case server
        /// An answer that does not fit the protocol.
        case protocolViolation
    }

    public var kind: Kind
    /// Spark's error class (`UNRESOLVED_COLUMN.WITH_SUGGESTION`), when it gave one.
    public var errorClass: String?
    public var message: String

    public init(_ kind: Kind, _ message: String, errorClass: String? = nil) {
        self.kind = kind
        self.message = message
        self.errorClass = errorClass
    }

    public var description: String { message }

    /// Spark puts its error class first in the message: `[CLASS] text` or `[CLASS.SUB] text`.
    static func errorClass(in message: String) -> String? {
        guard message.hasPrefix("["), let close = message.firstIndex(of: "]") else { return nil }
        let name = message[message.index(after: message.startIndex)..<close]
        guard !name.isEmpty, name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" || $0 == "." }) else { return nil }
        return String(name)
    }
}
