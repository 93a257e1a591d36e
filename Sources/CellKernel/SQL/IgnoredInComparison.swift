/// A stored value that takes no part in `==` or hashing.
///
/// AST nodes keep where they came from, yet two nodes spelt alike in different places must
/// compare equal: the planner matches a GROUP BY expression with the same expression in the
/// select list, and tests compare parsed trees with trees built by hand. Wrapping the location
/// keeps the synthesized `Hashable` conformances honest for every other field.
@propertyWrapper
public struct IgnoredInComparison<Value: Sendable>: Hashable, Sendable {
    /// The stored value.
    public var wrappedValue: Value

    /// Wraps `wrappedValue`.
    public init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
    }

    /// Always true: the value never makes two nodes differ.
    public static func == (lhs: Self, rhs: Self) -> Bool { true }

    /// Adds nothing, consistently with `==`.
    public func hash(into hasher: inout Hasher) {}
}

extension IgnoredInComparison: CustomDebugStringConvertible {
    /// The wrapped value alone, so dumps of AST nodes stay readable in test failures.
    public var debugDescription: String { String(reflecting: wrappedValue) }
}
