/// Queries as Spark SQL text, for the Spark Connect backend: each view's query runs in Spark
/// over temp views named like cells' streams and views.
///
/// The text reads back through cells' own parser to an equal ``Query`` (the round-trip tests
/// hold it to that), and to the same meaning in Spark 4.0: every name is backquoted, every
/// compound operand parenthesized, every literal written so that Spark types it as cells did.
/// Syntax that is cells' own (``Deduplication``) is refused with an error at the clause.
extension Query {
    /// This query as Spark SQL text, on one line.
    ///
    /// - Throws: ``SQLError`` at a construct Spark SQL cannot express (`DEDUPLICATE`, a LIMIT
    ///   beyond Spark's INT), naming it and saying it runs only on the local engine.
    func sparkSQL() throws(SQLError) -> String {
        try render(depth: 0)
    }

    fileprivate func render(depth: Int) throws(SQLError) -> String {
        // The parser nests queries at most this deep; a tree built by hand must not take the
        // recursion further.
        guard depth <= SQLParser.maximumQueryDepth else {
            throw SQLError("queries nested too deeply to send to Spark (more than \(SQLParser.maximumQueryDepth) levels)",
                           at: location, hint: "define some of them as views and query those instead")
        }
        var text = ""
        if !with.isEmpty {
            var definitions: [String] = []
            for cte in with {
                definitions.append(cte.name.sparkSQL + " AS (" + (try cte.query.render(depth: depth + 1)) + ")")
            }
            text += "WITH " + definitions.joined(separator: ", ") + " "
        }
        if unionAll.isEmpty {
            // A lone SELECT holds its own ORDER BY and LIMIT; the query's are the union's.
            var only = select
            if only.orderBy.isEmpty { only.orderBy = orderBy }
            if only.limit == nil { only.limit = limit }
            return text + (try only.render(depth: depth))
        }
        var terms: [String] = []
        for term in [select] + unionAll {
            let rendered = try term.render(depth: depth)
            // A member's own ORDER BY or LIMIT would be read as the union's: keep it inside.
            terms.append(term.orderBy.isEmpty && term.limit == nil ? rendered : "(" + rendered + ")")
        }
        text += terms.joined(separator: " UNION ALL ")
        text += try renderOrderAndLimit(orderBy, limit, at: select.location)
        return text
    }
}

extension Select {
    fileprivate func render(depth: Int) throws(SQLError) -> String {
        var text = distinct ? "SELECT DISTINCT " : "SELECT "
        var rendered: [String] = []
        for item in items { rendered.append(try item.render()) }
        text += rendered.joined(separator: ", ")
        text += " FROM " + (try from.render(depth: depth))
        for lateral in lateralViews { text += " " + (try lateral.render()) }
        if let whereClause { text += " WHERE " + (try whereClause.sparkSQL()) }
        if !groupBy.isEmpty {
            var keys: [String] = []
            for key in groupBy { keys.append(try key.sparkSQL()) }
            text += " GROUP BY " + keys.joined(separator: ", ")
        }
        if let having { text += " HAVING " + (try having.sparkSQL()) }
        text += try renderOrderAndLimit(orderBy, limit, at: location)
        return text
    }
}

/// ` ORDER BY ...` and ` LIMIT n`, each when there.
private func renderOrderAndLimit(_ orderBy: [OrderItem], _ limit: Int64?, at location: SourceLocation) throws(SQLError) -> String {
    var text = ""
    if !orderBy.isEmpty {
        var keys: [String] = []
        for key in orderBy { keys.append(try key.render()) }
        text += " ORDER BY " + keys.joined(separator: ", ")
    }
    if let limit {
        guard limit <= Int64(Int32.max) else {
            throw SQLError("LIMIT \(limit) is beyond Spark's limit of \(Int32.max) rows (its LIMIT takes an INT); "
                           + "it runs only on the local engine (SET ENGINE local)", at: location,
                           hint: "lower the LIMIT, or drop it")
        }
        text += " LIMIT \(limit)"
    }
    return text
}

extension SelectItem {
    fileprivate func render() throws(SQLError) -> String {
        let value = try expression.sparkSQL()
        if !aliases.isEmpty { return value + " AS (" + aliases.map(\.sparkSQL).joined(separator: ", ") + ")" }
        if let alias { return value + " AS " + alias.sparkSQL }
        return value
    }
}

extension OrderItem {
    fileprivate func render() throws(SQLError) -> String {
        var text = try expression.sparkSQL()
        if !ascending { text += " DESC" }
        // Spark's defaults are the parser's (NULLS FIRST ascending, NULLS LAST descending):
        // written only when they differ.
        if nullsFirst != ascending { text += nullsFirst ? " NULLS FIRST" : " NULLS LAST" }
        return text
    }
}

extension TableReference {
    /// The FROM item and its joins.
    fileprivate func render(depth: Int) throws(SQLError) -> String {
        var text = try renderPrimary(depth: depth)
        for join in joins {
            text += " " + join.kind.rawValue + " JOIN " + (try join.right.renderPrimary(depth: depth))
            if let on = join.on {
                text += " ON " + (try on.sparkSQL())
            } else {
                text += " USING (" + join.using.map(\.sparkSQL).joined(separator: ", ") + ")"
            }
        }
        return text
    }

    /// The name or `(subquery)`, with its alias.
    private func renderPrimary(depth: Int) throws(SQLError) -> String {
        if let deduplicate {
            throw SQLError(
                "DEDUPLICATE is cells' own syntax: Spark SQL has no such clause; it runs only on the local engine (SET ENGINE local)",
                at: deduplicate.location, length: "DEDUPLICATE".count,
                hint: "run this notebook with SET ENGINE local, or drop duplicates with GROUP BY the key columns")
        }
        var text: String
        if let subquery {
            text = "(" + (try subquery.render(depth: depth + 1)) + ")"
        } else {
            text = name.sparkSQL
        }
        if let alias { text += " AS " + alias.sparkSQL }
        return text
    }
}

extension LateralView {
    fileprivate func render() throws(SQLError) -> String {
        var text = outer ? "LATERAL VIEW OUTER " : "LATERAL VIEW "
        text += try generator.sparkSQL() + " " + table.sparkSQL
        if !columns.isEmpty { text += " AS " + columns.map(\.sparkSQL).joined(separator: ", ") }
        return text
    }
}
