/// A position in SQL source text.
///
/// `line` and `column` are 1-based and count characters (grapheme clusters), which is what a
/// person sees in an editor; `offset` counts UTF-8 bytes from the start of the text, which is
/// what slicing `String.utf8` needs.
public struct SourceLocation: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 1-based line number.
    public var line: Int
    /// 1-based column, in characters.
    public var column: Int
    /// UTF-8 byte offset from the start of the text.
    public var offset: Int

    /// A location; `offset` must agree with `line` and `column` in the text it refers to.
    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// The first character of a text.
    public static let start = SourceLocation(line: 1, column: 1, offset: 0)

    /// `line:column`, the form compilers print.
    public var description: String { "\(line):\(column)" }

    /// Source order.
    public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
        (lhs.line, lhs.column, lhs.offset) < (rhs.line, rhs.column, rhs.offset)
    }
}
