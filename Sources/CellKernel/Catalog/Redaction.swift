import KafkaBridge
import Synchronization

/// The secret values a session has been given, shared with the closures that print for it
/// (a background query's thread among them), so that nothing it prints shows one.
final class SessionSecrets: Sendable {
    private let values = Mutex<[String]>([])

    /// Adds the values of the secret options among `options`.
    func add(_ options: [SQLOption]) {
        let found = Redaction.secretValues(of: options.map { (key: $0.key, value: $0.value) })
        guard !found.isEmpty else { return }
        values.withLock { values in
            values = Array(Set(values + found)).sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
        }
    }

    /// `text` with the secrets replaced.
    func scrub(_ text: String) -> String {
        let secrets = values.withLock { $0 }
        return secrets.isEmpty ? text : Redaction.scrub(text, secrets: secrets)
    }
}
