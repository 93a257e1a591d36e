/// `[WITH name AS (query), ...] SELECT [DISTINCT] items FROM name [[AS] alias] [WHERE e]
/// [GROUP BY e, ...] [HAVING e] [UNION ALL SELECT ...] [ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], ...]
/// [LIMIT n]`, where `name` may be `(query)`.
extension SQLParser {
    /// How deeply subqueries and WITH queries may nest. Each level also counts as an
    /// expression level (``maximumExpressionDepth``), so the parser's stack stays bounded.
    static let maximumQueryDepth = 32

    mutating func parseQuery() throws(SQLError) -> Query {
        // The statement's own query is not a level: only nested ones are.
        let level = queryNesting > 0 ? 1 : 0
        queryNesting += 1
        nesting += level
        defer { queryNesting -= 1; nesting -= level }
        if queryNesting > Self.maximumQueryDepth || nesting > Self.maximumExpressionDepth {
            throw failure("queries nested too deeply (more than \(Self.maximumQueryDepth) levels of subqueries and WITH)",
                          at: current, hint: "define some of them as views and query those instead")
        }
        var ctes: [CommonTableExpression] = []
        if accept(.with) != nil {
            repeat {
                let name = try identifier("a name for the WITH query")
                if let first = ctes.first(where: { $0.name.name.caseInsensitiveCompare(name.name) }) {
                    throw SQLError("'\(name.name)' is defined twice in this WITH", at: name.location, length: name.name.count,
                                   hint: "the first is at \(first.name.location)")
                }
                try expect(.as, "after the WITH query's name")
                let open = try expect(.leftParen, "and the query in parentheses after AS")
                let query = try parseQuery()
                try expect(.rightParen, "after the WITH query", closing: open)
                ctes.append(CommonTableExpression(name: name, query: query))
            } while accept(.comma) != nil
        }
        var terms = [try parseQueryTerm()]
        while let union = accept(.union) {
            guard accept(.all) != nil else {
                throw failure("UNION without ALL (which removes duplicate rows) is not supported on streams", at: union,
                              hint: "write UNION ALL; to drop duplicates, GROUP BY the columns")
            }
            if !terms[terms.count - 1].orderBy.isEmpty || terms[terms.count - 1].limit != nil {
                throw failure("ORDER BY and LIMIT must come after the last SELECT of a UNION ALL", at: union,
                              hint: "they apply to the whole union; to sort one side, make it a subquery: (SELECT ... ORDER BY ...)")
            }
            terms.append(try parseQueryTerm())
        }
        var query = Query(terms[0], with: ctes, unionAll: Array(terms.dropFirst()))
        if terms.count > 1 {
            // The last SELECT's ORDER BY and LIMIT are the union's, as SQL reads them.
            let last = terms.count - 2
            query.orderBy = query.unionAll[last].orderBy
            query.limit = query.unionAll[last].limit
            query.unionAll[last].orderBy = []
            query.unionAll[last].limit = nil
        }
        return query
    }

    /// A SELECT, or a parenthesized query (read as `SELECT * FROM (query)`).
    private mutating func parseQueryTerm() throws(SQLError) -> Select {
        if current.is(.leftParen) && (peek().is(.select) || peek().is(.with) || peek().is(.leftParen)) {
            let open = advance()
            let query = try parseQuery()
            try expect(.rightParen, "after the query", closing: open)
            if query.with.isEmpty && query.unionAll.isEmpty { return query.select }
            return Select(items: [SelectItem(SQLExpression(.star(qualifier: nil), at: open.location))],
                          from: TableReference(subquery: query, alias: nil, at: open.location), at: open.location)
        }
        if !current.is(.select) {
            throw failure(expected: "SELECT" + (queryNesting > 1 || check(.with) ? "" : " or WITH"))
        }
        return try parseSelect()
    }

    /// The clauses after FROM, in the order SQL requires.
    private static let clauses: [(keyword: Keyword, name: String)] = [
        (.where, "WHERE"), (.group, "GROUP BY"), (.having, "HAVING"), (.order, "ORDER BY"), (.limit, "LIMIT"),
    ]

    mutating func parseSelect() throws(SQLError) -> Select {
        let select = try expect(.select)
        let distinct = accept(.distinct) != nil
        var items = [try parseSelectItem()]
        while accept(.comma) != nil { items.append(try parseSelectItem()) }
        if !check(.from) {
            throw failure(expected: "FROM after the select list",
                          hint: current.kind == .endOfInput ? "a query reads a stream or a view: add FROM <name>" : nil)
        }
        advance()
        let from = try parseTableReference()

        var query = Select(distinct: distinct, items: items, from: from, at: select.location)
        while check(.lateral) { query.lateralViews.append(try parseLateralView()) }
        var seen: [Keyword: Token] = [:]
        var rank = -1
        while let position = Self.clauses.firstIndex(where: { check($0.keyword) }) {
            let token = current
            let name = Self.clauses[position].name
            if let first = seen[token.keyword!] {
                throw failure("\(name) is given twice", at: token, hint: "the first \(name) is at \(first.location)")
            }
            if position < rank {
                throw failure("\(name) must come before \(Self.clauses[rank].name)", at: token)
            }
            seen[token.keyword!] = token
            rank = position
            advance()
            switch token.keyword! {
            case .where:
                query.whereClause = try parseExpression()
            case .group:
                try expect(.by, "after GROUP")
                query.groupBy = try parseExpressionList()
            case .having:
                query.having = try parseExpression()
            case .order:
                try expect(.by, "after ORDER")
                query.orderBy = [try parseOrderItem()]
                while accept(.comma) != nil { query.orderBy.append(try parseOrderItem()) }
            default:
                query.limit = try parseLimit()
            }
        }
        let remaining = Self.clauses[(rank + 1)...].map(\.name)
        switch current.kind {
        case .symbol(.semicolon), .endOfInput: break
        case .symbol(.rightParen) where queryNesting > 1: break
        case _ where current.is(.union): break
        default:
            throw failure(expected: remaining.isEmpty ? "';' after the statement" : remaining.joined(separator: ", ") + " or ';'")
        }
        return query
    }

    private mutating func parseSelectItem() throws(SQLError) -> SelectItem {
        if let star = accept(.star) {
            return SelectItem(SQLExpression(.star(qualifier: nil), at: star.location))
        }
        if current.isName, peek().is(.dot), peek(2).is(.star) {
            let qualifier = try identifier("a name")
            advance()
            advance()
            return SelectItem(SQLExpression(.star(qualifier: qualifier.name), at: qualifier.location))
        }
        let expression = try parseExpression()
        // `AS (a, b)`: the names of a generator's columns (posexplode, explode of a map, json_tuple).
        if check(.as), peek().is(.leftParen) {
            advance()
            let open = advance()
            var item = SelectItem(expression)
            item.aliases = [try identifier("an alias")]
            while accept(.comma) != nil { item.aliases.append(try identifier("an alias")) }
            try expect(.rightParen, "after the aliases", closing: open)
            return item
        }
        return SelectItem(expression, alias: try parseAlias(alternatives: [.from], expected: "FROM"))
    }

    /// `AS name`, or a bare name (remembered: it may be a misspelt keyword).
    private mutating func parseAlias(alternatives: [Keyword], expected: String) throws(SQLError) -> Identifier? {
        if accept(.as) != nil { return try identifier("an alias after AS") }
        guard current.isName else { return nil }
        implicitAlias = ImplicitAlias(tokenIndex: index, alternatives: alternatives, expected: expected)
        return try identifier("an alias")
    }

    /// Words that cannot alias a table, because they start a join (Spark's strict non-reserved
    /// words), or follow the FROM item (LATERAL VIEW, DEDUPLICATE).
    private static let joinWords: Set<Keyword> = [.inner, .left, .right, .outer, .full, .cross, .natural, .semi, .anti, .using, .lateral, .deduplicate]

    /// `LATERAL VIEW [OUTER] generator(args) table [AS] column [, column ...]`.
    private mutating func parseLateralView() throws(SQLError) -> LateralView {
        let start = advance()
        try expect(.view, "after LATERAL")
        let outer = accept(.outer) != nil
        let generator = try parseExpression()
        guard case .function = generator.kind else {
            throw SQLError("LATERAL VIEW needs a generator call such as explode(column)", at: generator.location)
        }
        let table = try identifier("a table alias after the LATERAL VIEW generator (Spark requires one)")
        var columns: [Identifier] = []
        if accept(.as) != nil || (current.isName && !current.is(.lateral)) {
            columns = [try identifier("a column name")]
            while accept(.comma) != nil { columns.append(try identifier("a column name")) }
        }
        return LateralView(outer: outer, generator: generator, table: table, columns: columns, at: start.location)
    }

    /// `primary [join ...]`: a name or subquery, then any chain of joins, left-deep.
    private mutating func parseTableReference() throws(SQLError) -> TableReference {
        var reference = try parseTablePrimary()
        while true {
            if let comma = accept(.comma) {
                throw failure("joins written with a comma (FROM a, b) are not supported", at: comma,
                              hint: "write FROM a JOIN b ON a.key = b.key")
            }
            let start = current
            let kind: JoinClause.Kind
            if accept(.join) != nil {
                kind = .inner
            } else if accept(.inner) != nil {
                kind = .inner
                try expect(.join, "after INNER")
            } else if accept(.left) != nil || check(.right) {
                let isLeft = start.is(.left)
                if !isLeft { advance() }
                if check(.semi) || check(.anti) {
                    throw failure("\(isLeft ? "LEFT" : "RIGHT") \(current.text.uppercased()) JOIN is not supported", at: start,
                                  hint: "write an INNER JOIN (semi) or a LEFT JOIN ... WHERE right.key IS NULL (anti)")
                }
                _ = accept(.outer)
                try expect(.join, "after \(isLeft ? "LEFT" : "RIGHT")")
                kind = isLeft ? .leftOuter : .rightOuter
            } else if check(.full) || check(.cross) || check(.natural) {
                let word = current.text.uppercased()
                throw failure("\(word) JOIN is not supported", at: start,
                              hint: word == "FULL" ? "use a LEFT or RIGHT OUTER JOIN" : "write an INNER JOIN with an ON condition comparing a column of each side")
            } else {
                break
            }
            let right = try parseTablePrimary()
            var on: SQLExpression?
            var using: [Identifier] = []
            if accept(.on) != nil {
                on = try parseExpression()
            } else if accept(.using) != nil {
                let open = try expect(.leftParen, "and the column names after USING")
                using = [try identifier("a column name")]
                while accept(.comma) != nil { using.append(try identifier("a column name")) }
                try expect(.rightParen, "after the USING columns", closing: open)
            } else {
                throw failure(expected: "ON condition or USING (column) after the joined \(right.subquery == nil ? "name" : "subquery")",
                              hint: "a join needs the columns it matches on, e.g. ON a.card_number = b.card_number")
            }
            reference.joins.append(JoinClause(kind: kind, right: right, on: on, using: using, at: start.location))
        }
        return reference
    }

    /// A name or `(query)`, with its alias.
    private mutating func parseTablePrimary() throws(SQLError) -> TableReference {
        let expected = Self.clauses.map(\.name).joined(separator: ", ") + ", JOIN or ';'"
        let alternatives = Self.clauses.map(\.keyword) + [.union, .join, .on]
        func alias(_ parser: inout SQLParser) throws(SQLError) -> Identifier? {
            if let keyword = parser.current.keyword, Self.joinWords.contains(keyword) { return nil }
            return try parser.parseAlias(alternatives: alternatives, expected: expected)
        }
        if let open = accept(.leftParen) {
            guard current.is(.select) || current.is(.with) || current.is(.leftParen) else {
                throw failure(expected: "a query (SELECT or WITH) in the parentheses after FROM or JOIN")
            }
            let query = try parseQuery()
            try expect(.rightParen, "after the subquery", closing: open)
            var reference = TableReference(subquery: query, alias: try alias(&self), at: open.location)
            reference.deduplicate = try parseDeduplication()
            return reference
        }
        let name = try identifier("a stream or view name after FROM or JOIN")
        var reference = TableReference(name: name, alias: try alias(&self))
        reference.deduplicate = try parseDeduplication()
        return reference
    }

    /// `DEDUPLICATE [BY (column, ...)] [WITHIN WATERMARK]`, if there.
    private mutating func parseDeduplication() throws(SQLError) -> Deduplication? {
        guard let start = accept(.deduplicate) else { return nil }
        var columns: [Identifier] = []
        if accept(.by) != nil {
            let open = try expect(.leftParen, "and the key columns after DEDUPLICATE BY, e.g. DEDUPLICATE BY (auth_id)")
            columns = [try identifier("a column name")]
            while accept(.comma) != nil { columns.append(try identifier("a column name")) }
            try expect(.rightParen, "after the DEDUPLICATE BY columns", closing: open)
        }
        var within = false
        if accept(.within) != nil {
            try expect(.watermark, "after WITHIN (DEDUPLICATE ... WITHIN WATERMARK)")
            within = true
        }
        return Deduplication(columns: columns, withinWatermark: within, at: start.location)
    }

    private mutating func parseExpressionList() throws(SQLError) -> [SQLExpression] {
        var list = [try parseExpression()]
        while accept(.comma) != nil { list.append(try parseExpression()) }
        return list
    }

    private mutating func parseOrderItem() throws(SQLError) -> OrderItem {
        let expression = try parseExpression()
        var ascending = true
        if accept(.desc) != nil {
            ascending = false
        } else {
            _ = accept(.asc)
        }
        var nullsFirst: Bool?
        if accept(.nulls) != nil {
            if accept(.first) != nil {
                nullsFirst = true
            } else {
                try expect(.last, "or FIRST after NULLS")
                nullsFirst = false
            }
        }
        return OrderItem(expression, ascending: ascending, nullsFirst: nullsFirst)
    }

    private mutating func parseLimit() throws(SQLError) -> Int64 {
        guard case .number(let digits, let kind) = current.kind, kind == .integer || kind == .long,
            let value = Int64(digits)
        else {
            throw failure(expected: "a number of rows after LIMIT")
        }
        advance()
        return value
    }
}
