/// A Spark Connect address, as Spark's clients write it: `sc://host[:port][/;key=value;...]`,
/// port 15002 by default. Parameters: `user_id`, `session_id` (join an existing session);
/// `token` and `use_ssl=true` are refused (TLS is not supported yet).
public struct SparkConnectURL: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var userID: String
    /// A session to join, instead of a new one.
    public var sessionID: String?

    public static let defaultPort = 15002

    public init(parsing text: String) throws(SparkConnectError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("sc://") else {
            throw SparkConnectError(.invalidAddress, "'\(text)' does not start with sc://")
        }
        let rest = trimmed.dropFirst(5)
        let (authority, tail) = rest.firstIndex(of: "/").map { (rest[..<$0], rest[rest.index(after: $0)...]) } ?? (rest[...], ""[...])
        var host = String(authority)
        var port = Self.defaultPort
        if host.hasPrefix("[") {
            // [::1]:15002
            guard let close = host.firstIndex(of: "]") else { throw SparkConnectError(.invalidAddress, "'\(text)': unclosed [ in the host") }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") { port = try Self.port(String(after.dropFirst()), in: text) } else if !after.isEmpty {
                throw SparkConnectError(.invalidAddress, "'\(text)': unexpected '\(after)' after the host")
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            port = try Self.port(String(host[host.index(after: colon)...]), in: text)
            host = String(host[..<colon])
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "@" || $0 == "?" || $0 == "#" }) else {
            throw SparkConnectError(.invalidAddress, "'\(text)' has no host name")
        }
        self.host = host
        self.port = port
        userID = "cells"
        for parameter in tail.split(separator: ";", omittingEmptySubsequences: true) {
            let parts = parameter.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { throw SparkConnectError(.invalidAddress, "'\(text)': parameter '\(parameter)' is not key=value") }
            let value = String(parts[1])
            switch parts[0].lowercased() {
            case "user_id":
                guard !value.isEmpty else { throw SparkConnectError(.invalidAddress, "'\(text)': user_id is empty") }
                userID = value
            case "session_id":
                guard UUIDText.isValid(value) else { throw SparkConnectError(.invalidAddress, "'\(text)': session_id must be a UUID") }
                sessionID = value.lowercased()
            case "use_ssl" where value.lowercased() == "false": break
            case "use_ssl", "token":
                throw SparkConnectError(.invalidAddress, "'\(text)': \(parts[0]) is not supported yet (cells speaks plaintext gRPC)")
            case "user_agent": break
            default:
                throw SparkConnectError(.invalidAddress, "'\(text)': unknown parameter '\(parts[0])' (user_id, session_id)")
            }
        }
    }

    private static func port(_ text: String, in address: String) throws(SparkConnectError) -> Int {
        guard let port = Int(text), (1...65535).contains(port) else {
            throw SparkConnectError(.invalidAddress, "'\(address)': port '\(text)' is not a number from 1 to 65535")
        }
        return port
    }

    public var description: String {
        "sc://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }
}

/// Spark Connect's session ids are UUIDs: the server refuses anything else.
enum UUIDText {
    static func isValid(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }
}
