/// `SELECT [DISTINCT] items FROM name [[AS] alias] [WHERE e] [GROUP BY e, ...] [HAVING e]
/// [ORDER BY e [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]`.
extension SQLParser {
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
        try expectEndOfStatement(remaining.isEmpty ? nil : remaining.joined(separator: ", "))
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
        return SelectItem(expression, alias: try parseAlias(alternatives: [.from], expected: "FROM"))
    }

    /// `AS name`, or a bare name (remembered: it may be a misspelt keyword).
    private mutating func parseAlias(alternatives: [Keyword], expected: String) throws(SQLError) -> Identifier? {
        if accept(.as) != nil { return try identifier("an alias after AS") }
        guard current.isName else { return nil }
        implicitAlias = ImplicitAlias(tokenIndex: index, alternatives: alternatives, expected: expected)
        return try identifier("an alias")
    }

    private mutating func parseTableReference() throws(SQLError) -> TableReference {
        if current.is(.leftParen) {
            throw failure("subqueries are not supported", at: current, hint: "define a view and query it instead")
        }
        let name = try identifier("a stream or view name after FROM")
        let expected = Self.clauses.map(\.name).joined(separator: ", ") + " or ';'"
        let alias = try parseAlias(alternatives: Self.clauses.map(\.keyword), expected: expected)
        if current.is(.join) || current.is(.comma) {
            throw failure("joins are not supported", at: current, hint: "a query reads one stream or view")
        }
        return TableReference(name: name, alias: alias)
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
