/// The one rule that decides which settings are secrets, and the scrubbing of their values out
/// of text meant for people (tables, errors, logs).
///
/// It lives in KafkaBridge, the lowest layer, because librdkafka's own log lines and error
/// strings are cleaned here too; the kernel and the CLI call the same functions.
public enum Redaction {
    /// What a secret's value is shown as.
    public static let placeholder = "[redacted]"

    /// Name parts that make a setting secret wherever they appear in its name (ignoring case):
    /// `kafka.sasl.password`, `ssl.key.password`, `sasl.oauthbearer.client.secret`,
    /// `kafka.sasl.jaas.config`, `ssl.key.pem`, `ssl.keystore.location`, an API token...
    ///
    /// `key` on its own is not one: a Kafka sink's `key` names a column, and
    /// `key.serializer`/`key.deserializer` name classes. Key *material* is `ssl.key.*` and
    /// `ssl.keystore.*` (with or without a `kafka.` prefix) and names that say `private.key`,
    /// `api.key`, `access.key` or `secret.key` (with `.`, `_`, `-` or nothing between).
    private static let secretParts = [
        "password", "passwd", "secret", "token", "credential", "sasl.jaas", "sasl.oauthbearer.config",
        "ssl.key", "ssl_key", "privatekey", "apikey", "accesskey",
    ]

    /// Whether the setting named `name` holds a secret.
    public static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        // `private_key`, `api-key`, `access.key` all fold to the same spelling.
        let folded = String(lowered.unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != "." }.map(Character.init))
        return secretParts.contains { part in
            let partFolded = String(part.unicodeScalars.filter { $0 != "_" && $0 != "-" && $0 != "." }.map(Character.init))
            // Dotted parts must match as written (`ssl.key.` is not `sslkeystore`...); the
            // undotted ones may be written with any separator.
            return part.contains(".") ? lowered.contains(part) : folded.contains(partFolded)
        }
    }

    /// `value`, or the placeholder when `name` is a secret: for showing one setting. A
    /// connection URL shows with its password (see ``urlPasswords(in:)``) replaced.
    public static func shown(_ name: String, _ value: String) -> String {
        if isSecret(name) { return placeholder }
        let passwords = urlPasswords(in: value)
        return passwords.isEmpty ? value : scrub(value, secrets: passwords)
    }

    /// The passwords a connection URL carries, as written and percent-decoded: its userinfo's
    /// (`postgresql://user:PASSWORD@host/db`) and a secret query parameter's
    /// (`jdbc:postgresql://host/db?user=u&password=PASSWORD`). A URL is not a secret as a
    /// whole: the host and database are what an error must name.
    public static func urlPasswords(in value: String) -> [String] {
        guard let scheme = value.range(of: "://") else { return [] }
        var found: [Substring] = []
        let rest = value[scheme.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            found.append(authority[authority.index(after: colon)..<at])
        }
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...].prefix { $0 != "#" }
            for parameter in query.split(separator: "&") {
                guard let equal = parameter.firstIndex(of: "="), isSecret(String(parameter[..<equal])) else { continue }
                found.append(parameter[parameter.index(after: equal)...])
            }
        }
        var passwords: [String] = []
        for written in found where !written.isEmpty {
            passwords.append(String(written))
            if let decoded = percentDecoded(written), decoded != String(written), !decoded.isEmpty { passwords.append(decoded) }
        }
        return passwords.sorted { $0.count > $1.count }
    }

    /// `text` with its `%XX` escapes decoded; nil when they do not spell UTF-8.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            let digits = utf8.prefix(2)
            guard digits.count == 2, let value = UInt8(String(decoding: digits, as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Values shorter than this are not scrubbed out of free text: a one-letter password would
    /// otherwise turn every such letter of a table or message into the placeholder. Such a
    /// value is still hidden wherever it is shown by name (SHOW, DESCRIBE, the echoed line).
    public static let shortestScrubbed = 4

    /// The values of the secret settings among `settings`, longest first (so that a secret
    /// containing another is replaced whole), without those too short to scrub.
    public static func secretValues(of settings: some Sequence<(key: String, value: String)>) -> [String] {
        var values = Set<String>()
        for (key, value) in settings {
            if isSecret(key) {
                if value.count >= shortestScrubbed { values.insert(value) }
            } else {
                values.formUnion(urlPasswords(in: value).filter { $0.count >= shortestScrubbed })
            }
        }
        return values.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// `text` with every occurrence of each of `secrets` replaced by the placeholder. Cheap
    /// when there are no secrets, which is the usual case: callers may run it on every line.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        guard !secrets.isEmpty else { return text }
        var result = text
        for secret in secrets where !secret.isEmpty && result.contains(secret) {
            result = result.replacing(secret, with: placeholder)
        }
        return result
    }
}

extension KafkaConfiguration {
    /// The values of this configuration's secret properties (see ``Redaction``).
    public var secretValues: [String] {
        Redaction.secretValues(of: properties.map { (key: $0.key, value: $0.value) })
    }
}
