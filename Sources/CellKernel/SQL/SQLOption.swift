/// One `'key' = 'value'` of an OPTIONS list.
///
/// Named `SQLOption` rather than `Option` so it never clashes with ArgumentParser's `Option`
/// in the executable.
struct SQLOption: Hashable, Sendable {
    /// The option name as written (compare ignoring case, as Spark does).
    var key: String
    /// The value as text: strings after escapes and `${VAR}` expansion; numbers and booleans
    /// as written (Spark passes every option value on as a string).
    var value: String
    /// Where the key is written.
    @IgnoredInComparison var keyLocation: SourceLocation
    /// Where the value is written, for errors about it (a bad bootstrap address, say).
    @IgnoredInComparison var valueLocation: SourceLocation

    init(
        _ key: String, _ value: String, keyLocation: SourceLocation = .start,
        valueLocation: SourceLocation = .start
    ) {
        self.key = key
        self.value = value
        self.keyLocation = keyLocation
        self.valueLocation = valueLocation
    }
}

extension Array where Element == SQLOption {
    /// The option named `key`, ignoring case as Spark's option maps do.
    func option(_ key: String) -> SQLOption? {
        first { $0.key.caseInsensitiveCompare(key) }
    }

    /// The value of the option named `key`, ignoring case.
    subscript(option key: String) -> String? {
        option(key)?.value
    }
}
