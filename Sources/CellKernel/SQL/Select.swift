/// `SELECT [DISTINCT] items FROM source [WHERE ..] [GROUP BY ..] [HAVING ..] [ORDER BY ..] [LIMIT n]`.
struct Select: Hashable, Sendable {
    /// `SELECT DISTINCT`.
    var distinct: Bool
    /// The select list, in order.
    var items: [SelectItem]
    /// The stream or view read.
    var from: TableReference
    /// `LATERAL VIEW ...` clauses after FROM, in order (each may read the ones before).
    var lateralViews: [LateralView] = []
    /// The WHERE condition.
    var whereClause: SQLExpression?
    /// The GROUP BY keys; empty when there is no GROUP BY.
    var groupBy: [SQLExpression]
    /// The HAVING condition.
    var having: SQLExpression?
    /// The ORDER BY keys; empty when there is no ORDER BY.
    var orderBy: [OrderItem]
    /// The LIMIT row count.
    var limit: Int64?
    /// Where `SELECT` is.
    @IgnoredInComparison var location: SourceLocation

    /// A query, as the parser builds it.
    init(
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

/// What a query reads: a stream, view, table or common table expression by name, or a
/// subquery (`FROM (SELECT ...) [AS] alias`), with an optional alias for qualified columns,
/// and the joins after it.
struct TableReference: Hashable, Sendable {
    /// The name read; for a subquery, its alias (or `__subquery` without one).
    var name: Identifier
    /// `FROM name [AS] alias`: the qualifier its columns may be written with.
    var alias: Identifier?
    /// Held in an array only because a struct cannot contain itself directly.
    private var nested: [Query] = []

    /// A reference to `name`, optionally aliased.
    init(name: Identifier, alias: Identifier? = nil) {
        self.name = name
        self.alias = alias
    }

    /// `FROM (query) [AS] alias`.
    init(subquery: Query, alias: Identifier?, at location: SourceLocation) {
        self.name = alias ?? Identifier("__subquery", at: location)
        self.alias = alias
        self.nested = [subquery]
    }

    /// The subquery read, for `FROM (SELECT ...)`.
    var subquery: Query? { nested.first }

    /// `FROM a JOIN b ON ... JOIN c ON ...`: the joins after this reference, left-deep (each
    /// joins everything before it with its own right side). Empty when FROM reads one thing.
    var joins: [JoinClause] = []
    /// `name DEDUPLICATE ...`: what is read has its duplicate rows dropped (before any join).
    var deduplicate: Deduplication?
}

/// `DEDUPLICATE [BY (columns)] [WITHIN WATERMARK]` after a FROM item: Spark's
/// `dropDuplicates(columns)` / `dropDuplicatesWithinWatermark(columns)`, which Spark has only
/// in its DataFrame API (QueryBinder+Deduplicate.swift).
struct Deduplication: Hashable, Sendable {
    /// The key columns; empty for every column.
    var columns: [Identifier]
    /// `WITHIN WATERMARK`: a key is forgotten once the watermark passes its first event time + the delay.
    var withinWatermark: Bool
    /// Where `DEDUPLICATE` is.
    @IgnoredInComparison var location: SourceLocation

    init(columns: [Identifier], withinWatermark: Bool, at location: SourceLocation) {
        self.columns = columns
        self.withinWatermark = withinWatermark
        self.location = location
    }
}

/// One `[INNER | LEFT [OUTER] | RIGHT [OUTER]] JOIN right (ON condition | USING (columns))`.
struct JoinClause: Hashable, Sendable {
    enum Kind: String, Hashable, Sendable { case inner = "INNER", leftOuter = "LEFT OUTER", rightOuter = "RIGHT OUTER" }
    var kind: Kind
    /// What is joined: a name or a subquery, with its alias (its own `joins` stay empty).
    var right: TableReference
    /// `ON condition`; nil with USING.
    var on: SQLExpression?
    /// `USING (a, b)`: the columns both sides have, compared for equality.
    var using: [Identifier]
    /// Where the join starts (its first keyword).
    @IgnoredInComparison var location: SourceLocation

    init(kind: Kind, right: TableReference, on: SQLExpression?, using: [Identifier], at location: SourceLocation) {
        self.kind = kind
        self.right = right
        self.on = on
        self.using = using
        self.location = location
    }
}

/// A whole query: `[WITH name AS (query), ...] select [UNION ALL select ...] [ORDER BY ...]
/// [LIMIT n]`.
///
/// A single SELECT keeps its own ORDER BY and LIMIT; after UNION ALL they belong to the union
/// as a whole, as in SQL, and live here.
struct Query: Hashable, Sendable {
    /// `WITH` (common table expressions), in order: each may read the ones before it.
    var with: [CommonTableExpression]
    /// The first (often only) SELECT.
    var select: Select
    /// The SELECTs after each `UNION ALL`.
    var unionAll: [Select]
    /// ORDER BY of the union as a whole (empty without UNION ALL).
    var orderBy: [OrderItem]
    /// LIMIT of the union as a whole (nil without UNION ALL).
    var limit: Int64?

    /// A query, as the parser builds it.
    init(_ select: Select, with: [CommonTableExpression] = [], unionAll: [Select] = [],
                orderBy: [OrderItem] = [], limit: Int64? = nil) {
        self.with = with
        self.select = select
        self.unionAll = unionAll
        self.orderBy = orderBy
        self.limit = limit
    }

    /// Where the query starts.
    var location: SourceLocation { with.first?.name.location ?? select.location }
}

/// `name AS (query)` in a WITH clause.
struct CommonTableExpression: Hashable, Sendable {
    var name: Identifier
    /// Held in an array only because a struct cannot contain itself directly.
    private var nested: [Query]

    init(name: Identifier, query: Query) {
        self.name = name
        self.nested = [query]
    }

    var query: Query { nested[0] }
}

/// One item of a select list: `*`, `t.*`, `expr` or `expr [AS] alias`.
struct SelectItem: Hashable, Sendable {
    /// A ``ExpressionKind/star(qualifier:)`` for `*` and `t.*`.
    var expression: SQLExpression
    /// `expr AS alias` or `expr alias`.
    var alias: Identifier?
    /// `generator AS (a, b)`: one name per column a generator outputs (empty otherwise).
    var aliases: [Identifier] = []

    /// A select item.
    init(_ expression: SQLExpression, alias: Identifier? = nil) {
        self.expression = expression
        self.alias = alias
    }

    /// The result column's name: the alias, or the name Spark generates
    /// (``SQLExpression/columnName``).
    var columnName: String {
        alias?.name ?? expression.columnName
    }
}

/// One key of ORDER BY.
struct OrderItem: Hashable, Sendable {
    /// The sort key.
    var expression: SQLExpression
    /// ASC (the default) or DESC.
    var ascending: Bool
    /// Spark's default when not written: NULLS FIRST for ASC, NULLS LAST for DESC.
    var nullsFirst: Bool

    /// A sort key; `nullsFirst` defaults as in Spark.
    init(_ expression: SQLExpression, ascending: Bool = true, nullsFirst: Bool? = nil) {
        self.expression = expression
        self.ascending = ascending
        self.nullsFirst = nullsFirst ?? ascending
    }
}

/// `LATERAL VIEW [OUTER] generator(args) table [AS] column, ...` (Hive's form of a generator
/// in FROM): the generator's columns join each row of what FROM reads.
struct LateralView: Hashable, Sendable {
    /// `LATERAL VIEW OUTER`: a NULL or empty input keeps its row, with NULLs.
    var outer: Bool
    /// The generator call (explode, posexplode, json_tuple, ...).
    var generator: SQLExpression
    /// The table alias Spark requires after the call.
    var table: Identifier
    /// The names of the generated columns; empty for the generator's own names.
    var columns: [Identifier]
    /// Where `LATERAL` is.
    @IgnoredInComparison var location: SourceLocation

    init(outer: Bool, generator: SQLExpression, table: Identifier, columns: [Identifier], at location: SourceLocation) {
        self.outer = outer
        self.generator = generator
        self.table = table
        self.columns = columns
        self.location = location
    }
}
