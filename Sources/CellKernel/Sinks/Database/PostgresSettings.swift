import KafkaBridge

import CLibPQ

/// How to reach one PostgreSQL database, read from Spark's JDBC option names:
///
/// - `url`: libpq's form, `postgresql://user:password@host:port/db?sslmode=require`
///   (`postgres://` too, several `host:port` separated by commas), or Spark's
///   `jdbc:postgresql://host:port/db?user=u&password=p&ssl=true`;
/// - `user` and `password`, which win over the url's;
/// - `connectTimeout`: seconds to wait for the server to answer a connection (default 10);
/// - `queryTimeout`: seconds one statement may take, as Spark's JDBC option (default 60, 0 for
///   no limit; the server is told the same as its `statement_timeout`).
///
/// Nothing of these reaches SQL text: they become libpq's connection keywords.
struct PostgresSettings: Sendable {
    /// libpq's connection keywords and their values, the password among them.
    var keywords: [String: String]
    /// The database as errors name it: `postgresql://user@host:port/db`, never a password.
    var place: String
    /// The passwords given (the url's, the option's), scrubbed out of every message libpq or
    /// the server writes.
    var secrets: [String]
    var connectTimeout: Duration
    /// nil: statements may take as long as they take (`queryTimeout` 0).
    var queryTimeout: Duration?

    /// The options read here, lower-cased (the sink adds `dbtable`).
    static let options: Set<String> = ["url", "user", "password", "connecttimeout", "querytimeout"]

    static let defaultConnectTimeout: Int64 = 10
    static let defaultQueryTimeout: Int64 = 60

    /// The settings of `options` (keys in any case). Only the connection's options are read;
    /// `dbtable` and the others belong to the sink.
    init(options: [String: String]) throws(DatabaseError) {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        guard let url = lowered["url"]?.trimmingASCIIWhitespace(), !url.isEmpty else {
            throw DatabaseError(.invalid, "the postgres connection needs 'url'",
                                hint: "add 'url' = 'postgresql://user@localhost:5432/db' to OPTIONS")
        }
        var secrets = Redaction.urlPasswords(in: url)
        if let password = lowered["password"], !password.isEmpty { secrets.append(password) }
        let scrubbed = { (text: String) in Redaction.scrub(text, secrets: secrets.sorted { $0.count > $1.count }) }

        var connectSeconds = Self.defaultConnectTimeout
        var querySeconds = Self.defaultQueryTimeout
        let uri: String
        if url.lowercased().hasPrefix("jdbc:postgresql:") {
            let translated = try Self.libpqURI(jdbc: url, scrubbed: scrubbed)
            uri = translated.uri
            querySeconds = translated.socketTimeout ?? querySeconds
        } else if url.lowercased().hasPrefix("postgresql://") || url.lowercased().hasPrefix("postgres://") {
            uri = url
        } else {
            throw DatabaseError(.invalid, "'url' must be a PostgreSQL URL, not '\(scrubbed(url))'",
                                hint: "write 'postgresql://user@host:5432/db' or Spark's 'jdbc:postgresql://host:5432/db'")
        }
        var keywords = try Self.parse(uri, scrubbed: scrubbed)
        if let seconds = keywords.removeValue(forKey: "connect_timeout") {
            connectSeconds = try Self.seconds(seconds, option: "connect_timeout in 'url'", allowsZero: false)
        }
        if let user = lowered["user"], !user.isEmpty { keywords["user"] = user }
        if let password = lowered["password"] { keywords["password"] = password }
        if let text = lowered["connecttimeout"] {
            connectSeconds = try Self.seconds(text, option: "connectTimeout", allowsZero: false)
        }
        if let text = lowered["querytimeout"] {
            querySeconds = try Self.seconds(text, option: "queryTimeout", allowsZero: true)
        }
        // A server gone quiet (a pulled cable, a paused VM) is noticed in seconds rather than
        // after the kernel's two hours, unless the url says otherwise.
        for (keyword, value) in [("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
                                 ("keepalives_count", "3"), ("client_encoding", "UTF8"),
                                 ("application_name", "cells")] where keywords[keyword] == nil {
            keywords[keyword] = value
        }
        self.keywords = keywords
        self.secrets = secrets.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        connectTimeout = .seconds(connectSeconds)
        queryTimeout = querySeconds == 0 ? nil : .seconds(querySeconds)
        place = Self.place(of: keywords)
    }

    /// `text` with the passwords replaced (see ``Redaction``).
    func scrub(_ text: String) -> String { Redaction.scrub(text, secrets: secrets) }

    /// libpq's keywords of a `postgresql://` URI, as libpq itself reads it (percent-decoding,
    /// IPv6 hosts in brackets, several hosts, query parameters).
    private static func parse(_ uri: String, scrubbed: (String) -> String) throws(DatabaseError) -> [String: String] {
        let libpq = try LibPQ.functions()
        var message: UnsafeMutablePointer<CChar>?
        guard let options = libpq.PQconninfoParse(uri, &message) else {
            let reason = message.map { String(cString: $0).trimmingASCIIWhitespace() } ?? "out of memory"
            if let message { libpq.PQfreemem(message) }
            throw DatabaseError(.invalid, "'url' is not a PostgreSQL URL libpq reads: \(scrubbed(reason))",
                                hint: "write 'postgresql://user@host:5432/db', percent-encoding '@', ':' and '/' in the user and password")
        }
        defer { libpq.PQconninfoFree(options) }
        var keywords: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { keywords[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        return keywords
    }

    /// Spark's `jdbc:postgresql:` URL as a libpq URI: the same hosts and database, the
    /// PostgreSQL JDBC driver's parameters by their libpq names. A parameter cells does not
    /// know is an error rather than silently dropped (it might have asked for TLS).
    private static func libpqURI(jdbc url: String, scrubbed: (String) -> String) throws(DatabaseError)
        -> (uri: String, socketTimeout: Int64?) {
        var rest = url.dropFirst("jdbc:postgresql:".count)
        var query = Substring("")
        if let question = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        // `jdbc:postgresql:db` and `jdbc:postgresql:/` name a database on localhost.
        let hostAndPath: String = rest.hasPrefix("//") ? String(rest.dropFirst(2)) : "localhost/" + rest.drop { $0 == "/" }
        var parameters: [String] = []
        var socketTimeout: Int64?
        var sslMode: String?
        var ssl = false
        for parameter in query.split(separator: "&") where !parameter.isEmpty {
            let equal = parameter.firstIndex(of: "=") ?? parameter.endIndex
            let name = String(parameter[..<equal])
            let value = equal < parameter.endIndex ? String(parameter[parameter.index(after: equal)...]) : ""
            switch name.lowercased() {
            case "user", "password", "sslcert", "sslkey", "sslrootcert", "sslpassword", "options":
                parameters.append("\(name.lowercased())=\(value)")
            case "sslmode": sslMode = value
            case "ssl": ssl = value.isEmpty || value.lowercased() == "true"
            case "applicationname": parameters.append("application_name=\(value)")
            case "connecttimeout", "logintimeout": parameters.append("connect_timeout=\(value)")
            case "sockettimeout": socketTimeout = try seconds(value, option: "socketTimeout in 'url'", allowsZero: true)
            case "gssencmode": parameters.append("gssencmode=\(value)")
            case "tcpkeepalive": parameters.append("keepalives=\(value.lowercased() == "false" ? 0 : 1)")
            default:
                throw DatabaseError(.invalid, "the url's parameter '\(scrubbed(name))' is not one cells reads",
                                    hint: "remove it, or write the url in libpq's form (postgresql://...) with libpq's parameter names")
            }
        }
        if let sslMode { parameters.append("sslmode=\(sslMode)") } else if ssl { parameters.append("sslmode=verify-full") }
        return ("postgresql://" + hostAndPath + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&")), socketTimeout)
    }

    /// A whole number of seconds, at most a day.
    private static func seconds(_ text: String, option: String, allowsZero: Bool) throws(DatabaseError) -> Int64 {
        guard let value = Int64(text.trimmingASCIIWhitespace()), value >= (allowsZero ? 0 : 1), value <= 86_400 else {
            throw DatabaseError(.invalid, "\(option) must be a whole number of seconds from \(allowsZero ? 0 : 1) to 86400, not '\(text)'",
                                hint: allowsZero ? "0 means no limit" : nil)
        }
        return value
    }

    /// `postgresql://user@host:port,host:port/db`, as libpq will try them; `[local]` for a
    /// Unix socket (no host, or a socket folder).
    private static func place(of keywords: [String: String]) -> String {
        let hosts = (keywords["host"] ?? keywords["hostaddr"] ?? "").split(separator: ",", omittingEmptySubsequences: false)
        let ports = (keywords["port"] ?? "").split(separator: ",", omittingEmptySubsequences: false)
        let addresses = hosts.indices.map { index -> String in
            let host = hosts[index]
            let port = ports.isEmpty ? "5432" : String(ports[ports.count == 1 ? 0 : min(index, ports.count - 1)])
            let shown = host.isEmpty || host.hasPrefix("/") || host.hasPrefix("@") ? "[local]" : host.contains(":") ? "[\(host)]" : String(host)
            return "\(shown):\(port.isEmpty ? "5432" : port)"
        }
        let user = keywords["user"].map { "\($0)@" } ?? ""
        return "postgresql://\(user)\(addresses.joined(separator: ","))/\(keywords["dbname"] ?? keywords["user"] ?? "")"
    }
}
