/// An expression of the SQL text, with the position of its first character.
///
/// Equality and hashing are structural and ignore locations: `a + 1` written twice compares
/// equal, which is what matching GROUP BY expressions with select items needs. Names are
/// compared as written; ``isSameExpression(as:)`` also ignores their case, as Spark does.
struct SQLExpression: Hashable, Sendable {
    /// What the expression is.
    var kind: ExpressionKind {
        didSet { height = kind.height }
    }
    /// Where the expression's first character is.
    @IgnoredInComparison var location: SourceLocation
    /// Levels of the tree from this node down to its deepest leaf (1 for a leaf), kept as
    /// nodes are built so that the parser can refuse a tree too deep for the recursive passes
    /// over it (binding, printing, comparing, freeing) without walking it.
    @IgnoredInComparison private(set) var height: Int

    /// An expression of `kind` written at `location`.
    init(_ kind: ExpressionKind, at location: SourceLocation = .start) {
        self.kind = kind
        self.location = location
        self.height = kind.height
    }
}

extension ExpressionKind {
    /// One more than the highest child: children know their own heights, so this is O(children).
    var height: Int {
        switch self {
        case .literal, .column, .star:
            return 1
        case .unary(_, let operand), .cast(let operand, _), .isNull(let operand, _), .field(let operand, _):
            return operand.height + 1
        case .binary(_, let left, let right), .like(let left, let right, _), .rlike(let left, let right, _),
             .indexed(let left, let right):
            return max(left.height, right.height) + 1
        case .function(let call):
            return (call.arguments.lazy.map(\.height).max() ?? 0) + 1
        case .caseWhen(let c):
            var highest = max(c.operand?.height ?? 0, c.otherwise?.height ?? 0)
            for branch in c.branches { highest = max(highest, branch.when.height, branch.then.height) }
            return highest + 1
        case .inList(let value, let list, _):
            return max(value.height, list.lazy.map(\.height).max() ?? 0) + 1
        case .between(let value, let lower, let upper, _):
            return max(value.height, lower.height, upper.height) + 1
        }
    }
}

/// The forms an expression takes.
indirect enum ExpressionKind: Hashable, Sendable {
    case literal(Literal)
    /// A column, optionally qualified: `t.col`. `window.start` also parses as a qualified
    /// column; the planner decides whether `window` is a table or a struct column.
    case column(qualifier: String?, name: String)
    /// `*` or `t.*`, in a select list.
    case star(qualifier: String?)
    case unary(UnaryOperator, SQLExpression)
    case binary(BinaryOperator, SQLExpression, SQLExpression)
    case function(FunctionCall)
    case cast(SQLExpression, SQLType)
    case caseWhen(CaseWhen)
    /// `x [NOT] IN (a, b, ...)`.
    case inList(SQLExpression, [SQLExpression], negated: Bool)
    /// `x [NOT] BETWEEN lower AND upper`.
    case between(SQLExpression, lower: SQLExpression, upper: SQLExpression, negated: Bool)
    /// `x [NOT] LIKE pattern`.
    case like(SQLExpression, pattern: SQLExpression, negated: Bool)
    /// `x [NOT] RLIKE pattern` (or `REGEXP`).
    case rlike(SQLExpression, pattern: SQLExpression, negated: Bool)
    /// `x IS [NOT] NULL`.
    case isNull(SQLExpression, negated: Bool)
    /// `x.name`: a field of a struct, e.g. `window(event_time, '1 minute').start`.
    case field(SQLExpression, name: String)
    /// `x[index]`: an element of an ARRAY (0-based) or the value of a MAP's key.
    case indexed(SQLExpression, index: SQLExpression)
}

/// A function call: `f(a, b)`, `count(DISTINCT x)`.
///
/// `count(*)` is read as `count(1)`, as Spark's parser does; a star in any other function
/// stays a ``ExpressionKind/star(qualifier:)`` argument for the planner to reject.
struct FunctionCall: Hashable, Sendable {
    /// The name as written.
    let name: String
    /// The name in lower case: what to look functions up by, and how Spark prints them.
    let lowercasedName: String
    /// The arguments, in order.
    var arguments: [SQLExpression]
    /// `f(DISTINCT ...)`: aggregate distinct values only.
    var distinct: Bool

    /// A call of `name`; the lower-cased name is derived.
    init(name: String, arguments: [SQLExpression], distinct: Bool = false) {
        self.name = name
        self.lowercasedName = name.lowercased()
        self.arguments = arguments
        self.distinct = distinct
    }
}

/// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
struct CaseWhen: Hashable, Sendable {
    /// The value compared with each branch's `when` in the simple form; `nil` when each
    /// `when` is a condition.
    var operand: SQLExpression?
    /// The `WHEN ... THEN ...` pairs, tried in order.
    var branches: [WhenBranch]
    /// The `ELSE` value; NULL when absent.
    var otherwise: SQLExpression?

    /// A CASE expression.
    init(operand: SQLExpression? = nil, branches: [WhenBranch], otherwise: SQLExpression? = nil) {
        self.operand = operand
        self.branches = branches
        self.otherwise = otherwise
    }
}

/// One `WHEN when THEN then` of a CASE.
struct WhenBranch: Hashable, Sendable {
    /// The condition, or the value compared with the operand in the simple form.
    var when: SQLExpression
    /// The result when the branch matches.
    var then: SQLExpression

    /// A branch of a CASE.
    init(when: SQLExpression, then: SQLExpression) {
        self.when = when
        self.then = then
    }
}
