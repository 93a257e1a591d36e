/// A query written back as Spark SQL: what another engine (Spark, through Spark Connect) runs
/// for a view, from the syntax tree rather than the text typed (variables are expanded, and
/// nothing depends on how the user spaced or quoted things).
///
/// Every identifier is back-quoted, every operator parenthesized, every literal typed the way
/// Spark's parser reads it back (`5L` is BIGINT, `1.5D` DOUBLE, `1.5` DECIMAL), and every
/// unaliased select item gets the name cells gives it as an explicit alias, so both engines
/// name result columns alike. What Spark SQL cannot say is refused at its place.
extension Query {
    func sparkSQL() throws(SQLError) -> String {
        var text = ""
        if !with.isEmpty {
            text = "WITH " + (try with.map { (cte) throws(SQLError) in "\(cte.name.sparkQuoted) AS (\(try cte.query.sparkSQL()))" }).joined(separator: ", ") + " "
        }
        let composed = !unionAll.isEmpty || !orderBy.isEmpty || limit != nil
        let selects = try ([select] + unionAll).map { (select) throws(SQLError) in
            let rendered = try select.sparkSQL()
            // A member with its own ORDER BY or LIMIT keeps them inside parentheses.
            return composed && (!select.orderBy.isEmpty || select.limit != nil) ? "(\(rendered))" : rendered
        }
        text += selects.joined(separator: " UNION ALL ")
        if !orderBy.isEmpty { text += " ORDER BY " + (try orderBy.map { (o) throws(SQLError) in try o.sparkSQL() }).joined(separator: ", ") }
        if let limit { text += " LIMIT \(limit)" }
        return text
    }
}

extension Select {
    func sparkSQL() throws(SQLError) -> String {
        var text = "SELECT " + (distinct ? "DISTINCT " : "")
        text += try items.map { (item) throws(SQLError) in try item.sparkSQL() }.joined(separator: ", ")
        text += " FROM " + (try from.sparkSQL())
        for lateral in lateralViews {
            text += " LATERAL VIEW " + (lateral.outer ? "OUTER " : "") + (try lateral.generator.sparkSQL()) + " " + lateral.table.sparkQuoted
            if !lateral.columns.isEmpty { text += " AS " + lateral.columns.map(\.sparkQuoted).joined(separator: ", ") }
        }
        if let whereClause { text += " WHERE " + (try whereClause.sparkSQL()) }
        if !groupBy.isEmpty { text += " GROUP BY " + (try groupBy.map { (e) throws(SQLError) in try e.sparkSQL() }).joined(separator: ", ") }
        if let having { text += " HAVING " + (try having.sparkSQL()) }
        if !orderBy.isEmpty { text += " ORDER BY " + (try orderBy.map { (o) throws(SQLError) in try o.sparkSQL() }).joined(separator: ", ") }
        if let limit { text += " LIMIT \(limit)" }
        return text
    }
}

extension SelectItem {
    func sparkSQL() throws(SQLError) -> String {
        let expression = try self.expression.sparkSQL()
        if case .star = self.expression.kind { return expression }
        if !aliases.isEmpty { return expression + " AS (" + aliases.map(\.sparkQuoted).joined(separator: ", ") + ")" }
        return expression + " AS " + Identifier.sparkQuoted(columnName)
    }
}

extension OrderItem {
    func sparkSQL() throws(SQLError) -> String {
        try expression.sparkSQL() + (ascending ? " ASC" : " DESC") + (nullsFirst ? " NULLS FIRST" : " NULLS LAST")
    }
}

extension TableReference {
    func sparkSQL() throws(SQLError) -> String {
        if let deduplicate {
            throw SQLError("DEDUPLICATE is cells' own syntax: Spark SQL has no such clause, so it runs only on the local engine",
                           at: deduplicate.location, hint: "SET ENGINE local to run this view, or drop the clause")
        }
        var text: String
        if let subquery {
            text = "(\(try subquery.sparkSQL()))" + (alias.map { " AS \($0.sparkQuoted)" } ?? " AS `__subquery`")
        } else {
            text = name.sparkQuoted + (alias.map { " AS \($0.sparkQuoted)" } ?? "")
        }
        for join in joins {
            text += " \(join.kind.rawValue) JOIN " + (try join.right.sparkSQL())
            if let on = join.on { text += " ON " + (try on.sparkSQL()) }
            if !join.using.isEmpty { text += " USING (" + join.using.map(\.sparkQuoted).joined(separator: ", ") + ")" }
        }
        return text
    }
}

extension Identifier {
    /// `` `name` ``, a backquote inside doubled.
    var sparkQuoted: String { Self.sparkQuoted(name) }

    static func sparkQuoted(_ name: String) -> String {
        "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    }
}

extension SQLExpression {
    func sparkSQL() throws(SQLError) -> String {
        switch kind {
        case .literal(let literal):
            return literal.sparkSQL
        case .column(let qualifier, let name):
            return (qualifier.map { Identifier.sparkQuoted($0) + "." } ?? "") + Identifier.sparkQuoted(name)
        case .star(let qualifier):
            return (qualifier.map { Identifier.sparkQuoted($0) + "." } ?? "") + "*"
        case .unary(let op, let operand):
            let symbol = switch op { case .not: "NOT "; case .negate: "- "; case .plus: "+ " }
            return "(\(symbol)\(try operand.sparkSQL()))"
        case .binary(let op, let left, let right):
            let symbol = op == .concat ? "||" : op == .integerDivide ? "DIV" : op.sqlSymbol
            return "(\(try left.sparkSQL()) \(symbol) \(try right.sparkSQL()))"
        case .function(let call):
            // INTERVAL '10 minutes' is held as a call of `interval` on its text.
            if call.lowercasedName == "interval", call.arguments.count == 1, case .literal(.string(let text)) = call.arguments[0].kind {
                return "INTERVAL " + Literal.string(text).sparkSQL
            }
            let arguments = try call.arguments.map { (argument) throws(SQLError) in try argument.sparkSQL() }
            return "\(Identifier.sparkQuoted(call.name))(\(call.distinct ? "DISTINCT " : "")\(arguments.joined(separator: ", ")))"
        case .cast(let operand, let type):
            return "CAST(\(try operand.sparkSQL()) AS \(type.sparkDDL))"
        case .caseWhen(let caseWhen):
            var text = "CASE"
            if let operand = caseWhen.operand { text += " " + (try operand.sparkSQL()) }
            for branch in caseWhen.branches {
                text += " WHEN \(try branch.when.sparkSQL()) THEN \(try branch.then.sparkSQL())"
            }
            if let otherwise = caseWhen.otherwise { text += " ELSE " + (try otherwise.sparkSQL()) }
            return text + " END"
        case .inList(let value, let list, let negated):
            let items = try list.map { (item) throws(SQLError) in try item.sparkSQL() }
            return "(\(try value.sparkSQL())\(negated ? " NOT" : "") IN (\(items.joined(separator: ", "))))"
        case .between(let value, let lower, let upper, let negated):
            return "(\(try value.sparkSQL())\(negated ? " NOT" : "") BETWEEN \(try lower.sparkSQL()) AND \(try upper.sparkSQL()))"
        case .like(let value, let pattern, let negated):
            return "(\(try value.sparkSQL())\(negated ? " NOT" : "") LIKE \(try pattern.sparkSQL()))"
        case .rlike(let value, let pattern, let negated):
            return "(\(try value.sparkSQL())\(negated ? " NOT" : "") RLIKE \(try pattern.sparkSQL()))"
        case .isNull(let operand, let negated):
            return "(\(try operand.sparkSQL()) IS \(negated ? "NOT " : "")NULL)"
        case .field(let base, let name):
            return "\(try base.sparkSQL()).\(Identifier.sparkQuoted(name))"
        case .indexed(let base, let index):
            return "\(try base.sparkSQL())[\(try index.sparkSQL())]"
        }
    }
}

extension Literal {
    /// The literal as Spark's parser reads back the same value and type.
    var sparkSQL: String {
        switch self {
        case .null: return "NULL"
        case .bool(let value): return value ? "TRUE" : "FALSE"
        case .integer(let value):
            // An integer literal is INT when it fits, BIGINT with an L.
            return Int64(Int32.min)...Int64(Int32.max) ~= value ? String(value) : "\(value)L"
        case .decimal(let text):
            // Digits without a point are a DECIMAL only past BIGINT's range; BD says DECIMAL always.
            return text + "BD"
        case .double(let value):
            if value.isNaN { return "CAST('NaN' AS DOUBLE)" }
            if value.isInfinite { return value > 0 ? "CAST('Infinity' AS DOUBLE)" : "CAST('-Infinity' AS DOUBLE)" }
            // Swift prints the shortest text that reads back the same double.
            var text = "\(value)".uppercased()
            if !text.contains(".") && !text.contains("E") { text += ".0" }
            return text + "D"
        case .string(let value):
            var text = "'"
            for scalar in value.unicodeScalars {
                switch scalar {
                case "'": text += "\\'"
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    text += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
            return text + "'"
        }
    }
}

extension SQLType {
    /// The type as Spark's DDL writes it (what CAST and `from_json`'s schema take).
    var sparkDDL: String {
        switch self {
        case .string: "STRING"
        case .boolean: "BOOLEAN"
        case .int: "INT"
        case .bigint: "BIGINT"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .decimal(let precision, let scale): "DECIMAL(\(precision),\(scale))"
        case .date: "DATE"
        case .timestamp: "TIMESTAMP"
        case .null: "VOID"
        case .struct(let fields): "STRUCT<" + fields.map { "\(Identifier.sparkQuoted($0.name)): \($0.type.sparkDDL)" }.joined(separator: ", ") + ">"
        case .array(let element): "ARRAY<\(element.sparkDDL)>"
        case .map(let key, let value): "MAP<\(key.sparkDDL), \(value.sparkDDL)>"
        }
    }
}
