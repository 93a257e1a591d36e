extension LogicalPlan {
    /// The tree as EXPLAIN prints it, root first, in Spark's style:
    ///
    /// ```
    /// Project [captura, avg(valor)]
    /// +- Aggregate keys [formato_captura] aggregates [avg(valor)]
    ///    +- Scan stream transacoes [value, formato_captura]
    /// ```
    func explain() -> String {
        var lines: [String] = []
        explain(into: &lines, prefix: "", childPrefix: "")
        return lines.joined(separator: "\n") + "\n"
    }

    private func explain(into lines: inout [String], prefix: String, childPrefix: String) {
        lines.append(prefix + describeNode())
        for input in inputs {
            input.explain(into: &lines, prefix: childPrefix + "+- ", childPrefix: childPrefix + "   ")
        }
    }

    /// One line for this node: what it does, with its input's column names in expressions.
    func describeNode() -> String {
        let names = inputs.first?.schema.fields.map(\.name) ?? []
        func text(_ e: BoundExpression) -> String { e.sqlText(columns: names) }
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
        switch operation {
        case .streamScan(let stream, _):
            let mark = stream.watermark.map { " watermark \(stream.columns[$0.column].name) delay \($0.delayMicros / 1_000_000) s" } ?? ""
            return "Scan stream \(stream.name) from \(stream.sourceName) \(list(schema.fields.map(\.name)))\(mark)"
        case .tableScan(let name, _):
            return "Scan table \(name) \(list(schema.fields.map(\.name)))"
        case .filter(let condition):
            return "Filter \(text(condition))"
        case .project(let expressions):
            return "Project " + projectionText(expressions, schema, columns: names)
        case .window(let spec):
            let slide = spec.slideMicros == spec.sizeMicros ? "" : " slide \(describeInterval(spec.slideMicros))"
            return "Window \(text(spec.time)) size \(describeInterval(spec.sizeMicros))\(slide) AS window"
        case .aggregate(let aggregation):
            let aggregates = aggregation.aggregates.map { $0.sqlText(columns: names) }
            let closing = aggregation.usesWatermark ? " (windows close at the watermark)" : ""
            let keys = aggregation.keys.enumerated().map { index, key in
                aggregation.session.map { $0.key == index ? "session_window(\(text(key)), \(describeInterval($0.gapMicros)))" : text(key) } ?? text(key)
            }
            return "Aggregate keys \(list(keys)) aggregates \(list(aggregates))\(closing)"
        case .sort(let keys):
            let shown = keys.map { key in
                "\(schema.fields[key.column].name) \(key.ascending ? "ASC" : "DESC") NULLS \(key.nullsFirst ? "FIRST" : "LAST")"
            }
            return "Sort \(list(shown))"
        case .limit(let n):
            return "Limit \(n)"
        case .deduplicate(let spec):
            let within = spec.withinWatermarkDelayMicros.map { " within watermark (delay \(describeInterval($0)))" } ?? ""
            return "Deduplicate \(list(spec.keys.map { names[$0] }))\(within)"
        case .unionAll:
            return "UnionAll \(list(schema.fields.map(\.name)))"
        case .join(let spec):
            let rightNames = inputs[1].schema.fields.map(\.name)
            let keys = zip(spec.leftKeys, spec.rightKeys).map { "\($0.sqlText(columns: names)) = \($1.sqlText(columns: rightNames))" }
            let condition = spec.condition.map { " condition \($0.sqlText(columns: names + rightNames))" } ?? ""
            let range = spec.timeRange.map { r in
                let bound = { (m: Int64) in m == .min || m == .max ? "unbounded" : "\(m / 1_000_000) s" }
                return " time range \(rightNames[r.rightColumn]) - \(names[r.leftColumn]) in [\(bound(r.lowerMicros)), \(bound(r.upperMicros))]"
            } ?? ""
            return "Join \(spec.kind.rawValue) keys \(list(keys))\(condition)\(range)"
        case .generate(let spec):
            let keys = spec.keys.map { ", '\($0)'" }.joined()
            return "Generate \(spec.sqlName)(\(text(spec.argument))\(keys)) AS \(list(spec.fields.map(\.name)))"
        }
    }
}

/// A select list as EXPLAIN shows it: each expression, `AS` its name where the two differ.
func projectionText(_ expressions: [BoundExpression], _ schema: Schema, columns: [String]) -> String {
    "[" + zip(expressions, schema.fields).map { e, field in
        let shown = e.sqlText(columns: columns)
        return shown == field.name ? shown : "\(shown) AS \(field.name)"
    }.joined(separator: ", ") + "]"
}

extension AggregateSpec {
    /// The aggregate as SQL-like text: `sum(amount)`, `count(*)`.
    func sqlText(columns: [String]) -> String {
        let second = (ordering.map { ", " + $0.sqlText(columns: columns) } ?? "") + parameters.map { ", \($0)" }.joined()
        return argument.map { "\(function.rawValue)(\($0.sqlText(columns: columns))\(second))" } ?? function.rawValue
    }
}

extension BoundExpression {
    /// The expression as SQL-like text, with `columns` naming its column references.
    func sqlText(columns: [String]) -> String {
        switch self {
        case .column(let index, _):
            return index < columns.count ? columns[index] : "#\(index)"
        case .literal(let value, let type):
            if value.isNull { return "NULL" }
            if case .string(let s) = value { return "'" + s.replacingOccurrences(of: "'", with: "\\'") + "'" }
            if type == .timestamp, case .int(let micros) = value { return "\(micros) µs" }
            return "\(value)"
        case .call(let function, let arguments, let type):
            let args = arguments.map { $0.sqlText(columns: columns) }
            let infix: String? = switch function {
            case .add: "+"
            case .subtract: "-"
            case .multiply: "*"
            case .divide: "/"
            case .remainder: "%"
            case .equal: "="
            case .notEqual: "<>"
            case .less: "<"
            case .lessOrEqual: "<="
            case .greater: ">"
            case .greaterOrEqual: ">="
            case .nullSafeEqual: "<=>"
            case .and: "AND"
            case .or: "OR"
            default: nil
            }
            if let infix, args.count == 2 { return "(\(args[0]) \(infix) \(args[1]))" }
            switch function {
            case .cast: return "CAST(\(args[0]) AS \(type))"
            case .not: return "NOT \(args[0])"
            case .negate: return "-\(args[0])"
            case .isNull: return "\(args[0]) IS NULL"
            case .isNotNull: return "\(args[0]) IS NOT NULL"
            case .row(let f): return "\(f)(\(args.joined(separator: ", ")))"
            case .nested(let f): return NestedAccess.explain(f, arguments.map(\.type), args)
            default: return "\(function)(\(args.joined(separator: ", ")))"
            }
        }
    }
}
