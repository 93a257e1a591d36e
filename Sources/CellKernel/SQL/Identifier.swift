/// A name written in SQL: of a source, stream, view, column, alias or sink.
public struct Identifier: Hashable, Sendable, CustomStringConvertible {
    /// The name as written, without backquotes. Spark resolves names case-insensitively, so
    /// compare with ``matches(_:)``.
    public var name: String
    /// Written in backquotes (so it may be a reserved word or contain any character).
    @IgnoredInComparison var isQuoted: Bool
    @IgnoredInComparison var location: SourceLocation

    init(_ name: String, isQuoted: Bool = false, at location: SourceLocation = .start) {
        self.name = name
        self.isQuoted = isQuoted
        self.location = location
    }

    /// The name as written.
    public var description: String { name }

    /// Case-insensitive (ASCII) equality with `other`, as Spark's default name resolution.
    func matches(_ other: String) -> Bool {
        name.caseInsensitiveCompare(other)
    }
}
