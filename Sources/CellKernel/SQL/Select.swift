/// `SELECT [DISTINCT] items FROM source [WHERE ..] [GROUP BY ..] [HAVING ..] [ORDER BY ..] [LIMIT n]`.
public struct Select: Hashable, Sendable {
    /// `SELECT DISTINCT`.
    public var distinct: Bool
    /// The select list, in order.
    public var items: [SelectItem]
    /// The stream or view read.
    public var from: TableReference
    /// The WHERE condition.
    public var whereClause: SQLExpression?
    /// The GROUP BY keys; empty when there is no GROUP BY.
    public var groupBy: [SQLExpression]
    /// The HAVING condition.
    public var having: SQLExpression?
    /// The ORDER BY keys; empty when there is no ORDER BY.
    public var orderBy: [OrderItem]
    /// The LIMIT row count.
    public var limit: Int64?
    /// Where `SELECT` is.
    @IgnoredInComparison public var location: SourceLocation

    /// A query, as the parser builds it.
    public init(
        distinct: Bool = false, items: [SelectItem], from: TableReference,
        whereClause: SQLExpression? = nil, groupBy: [SQLExpression] = [], having: SQLExpression? = nil,
        orderBy: [OrderItem] = [], limit: Int64? = nil, at location: SourceLocation = .start
    ) {
        self.distinct = distinct
        self.items = items
        self.from = from
        self.whereClause = whereClause
        self.groupBy = groupBy
        self.having = having
        self.orderBy = orderBy
        self.limit = limit
        self.location = location
    }
}

/// The stream or view a query reads, with an optional alias for qualified columns.
public struct TableReference: Hashable, Sendable {
    /// The stream or view name.
    public var name: Identifier
    /// `FROM name [AS] alias`: the qualifier its columns may be written with.
    public var alias: Identifier?

    /// A reference to `name`, optionally aliased.
    public init(name: Identifier, alias: Identifier? = nil) {
        self.name = name
        self.alias = alias
    }
}

/// One item of a select list: `*`, `t.*`, `expr` or `expr [AS] alias`.
public struct SelectItem: Hashable, Sendable {
    /// A ``ExpressionKind/star(qualifier:)`` for `*` and `t.*`.
    public var expression: SQLExpression
    /// `expr AS alias` or `expr alias`.
    public var alias: Identifier?

    /// A select item.
    public init(_ expression: SQLExpression, alias: Identifier? = nil) {
        self.expression = expression
        self.alias = alias
    }

    /// The result column's name: the alias, or the name Spark generates
    /// (``SQLExpression/columnName``).
    public var columnName: String {
        alias?.name ?? expression.columnName
    }
}

/// One key of ORDER BY.
public struct OrderItem: Hashable, Sendable {
    /// The sort key.
    public var expression: SQLExpression
    /// ASC (the default) or DESC.
    public var ascending: Bool
    /// Spark's default when not written: NULLS FIRST for ASC, NULLS LAST for DESC.
    public var nullsFirst: Bool

    /// A sort key; `nullsFirst` defaults as in Spark.
    public init(_ expression: SQLExpression, ascending: Bool = true, nullsFirst: Bool? = nil) {
        self.expression = expression
        self.ascending = ascending
        self.nullsFirst = nullsFirst ?? ascending
    }
}
