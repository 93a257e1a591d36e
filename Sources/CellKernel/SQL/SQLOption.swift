/// One `'key' = 'value'` of an OPTIONS list.
///
/// Named `SQLOption` rather than `Option` so it never clashes with ArgumentParser's `Option`
/// in the executable.
public struct SQLOption: Hashable, Sendable {
    /// The option name as written (compare ignoring case, as Spark does).
    public var key: String
    /// The value as text: strings after escapes and `${VAR}` expansion; numbers and booleans
    /// as written (Spark passes every option value on as a string).
    public var value: String
    /// Where the key is written.
    @IgnoredInComparison public var keyLocation: SourceLocation
    /// Where the value is written, for errors about it (a bad bootstrap address, say).
    @IgnoredInComparison public var valueLocation: SourceLocation

    public init(
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
    public func option(_ key: String) -> SQLOption? {
        first { $0.key.caseInsensitiveCompare(key) }
    }

    /// The value of the option named `key`, ignoring case.
    public subscript(option key: String) -> String? {
        option(key)?.value
    }
}
