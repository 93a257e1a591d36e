/// Rendering expressions back to SQL the way Spark names result columns.
///
/// Spark names an unaliased select item after its expression, pretty-printed: column
/// references lose their qualifier and backquotes, string literals lose their quotes, and
/// operators are parenthesized. The rules below follow Spark 3.4+ (`toPrettySQL`, which keeps
/// user-written CASTs):
///
/// | written                          | rendered                                  |
/// |----------------------------------|-------------------------------------------|
/// | `t.col`, `` `col` ``             | `col`                                     |
/// | `'1 minute'`, `42`, `1.50`       | `1 minute`, `42`, `1.50`                  |
/// | `1e3`, `NULL`, `TRUE`            | `1000.0` (Java's `Double.toString`), `NULL`, `true` |
/// | `AVG(x)`, `count(*)`             | `avg(x)`, `count(1)`                      |
/// | `count(DISTINCT x)`              | `count(DISTINCT x)`                       |
/// | `a + b`, `a = b`, `a AND b`      | `(a + b)`, `(a = b)`, `(a AND b)`         |
/// | `a == b`, `a <> b`, `a DIV b`    | `(a = b)`, `(NOT (a = b))`, `(a div b)`   |
/// | `a || b`                         | `concat(a, b)`                            |
/// | `-x`, `+x`, `NOT x`              | `(- x)`, `(+ x)`, `(NOT x)`               |
/// | `-5` (a literal)                 | `-5`                                      |
/// | `CAST(x AS FLOAT)`               | `CAST(x AS FLOAT)`                        |
/// | `x IS NULL`, `x IS NOT NULL`     | `(x IS NULL)`, `(x IS NOT NULL)`          |
/// | `x IN (1, 2)`, `x NOT IN (1)`    | `(x IN (1, 2))`, `(NOT (x IN (1)))`       |
/// | `x BETWEEN a AND b`              | `((x >= a) AND (x <= b))` (Spark 3 rewrites BETWEEN) |
/// | `x LIKE p`, `x NOT LIKE p`       | `x LIKE p`, `(NOT x LIKE p)`              |
/// | `x RLIKE p`                      | `RLIKE(x, p)`                             |
/// | `CASE x WHEN 1 THEN a END`       | `CASE WHEN (x = 1) THEN a END`            |
/// | `window(ts, '1 minute').start`   | `window(ts, 1 minute).start`              |
/// | `arr[0]`, `m['k']`               | `arr[0]`, `m[k]`                          |
extension SQLExpression {
    /// The expression as Spark pretty-prints it in generated column names (see above).
    var sqlText: String {
        switch kind {
        case .literal(let literal):
            return literal.sqlText
        case .column(_, let name):
            return name
        case .star(let qualifier):
            return qualifier.map { "\($0).*" } ?? "*"
        case .unary(.not, let operand):
            return "(NOT \(operand.sqlText))"
        case .unary(.negate, let operand):
            return "(- \(operand.sqlText))"
        case .unary(.plus, let operand):
            return "(+ \(operand.sqlText))"
        case .binary(.concat, let left, let right):
            return "concat(\(left.sqlText), \(right.sqlText))"
        case .binary(.notEqual, let left, let right):
            return "(NOT (\(left.sqlText) = \(right.sqlText)))"
        case .binary(let op, let left, let right):
            return "(\(left.sqlText) \(op.sqlSymbol) \(right.sqlText))"
        case .function(let call):
            let arguments = call.arguments.map(\.sqlText).joined(separator: ", ")
            return "\(call.lowercasedName)(\(call.distinct ? "DISTINCT " : "")\(arguments))"
        case .cast(let operand, let type):
            return "CAST(\(operand.sqlText) AS \(type))"
        case .caseWhen(let caseWhen):
            var text = "CASE"
            for branch in caseWhen.branches {
                let condition = caseWhen.operand.map { "(\($0.sqlText) = \(branch.when.sqlText))" }
                    ?? branch.when.sqlText
                text += " WHEN \(condition) THEN \(branch.then.sqlText)"
            }
            if let otherwise = caseWhen.otherwise { text += " ELSE \(otherwise.sqlText)" }
            return text + " END"
        case .inList(let value, let list, let negated):
            let text = "(\(value.sqlText) IN (\(list.map(\.sqlText).joined(separator: ", "))))"
            return negated ? "(NOT \(text))" : text
        case .between(let value, let lower, let upper, let negated):
            let text = "((\(value.sqlText) >= \(lower.sqlText)) AND (\(value.sqlText) <= \(upper.sqlText)))"
            return negated ? "(NOT \(text))" : text
        case .like(let value, let pattern, let negated):
            let text = "\(value.sqlText) LIKE \(pattern.sqlText)"
            return negated ? "(NOT \(text))" : text
        case .rlike(let value, let pattern, let negated):
            let text = "RLIKE(\(value.sqlText), \(pattern.sqlText))"
            return negated ? "(NOT \(text))" : text
        case .isNull(let operand, let negated):
            return "(\(operand.sqlText) IS \(negated ? "NOT " : "")NULL)"
        case .field(let base, let name):
            return "\(base.sqlText).\(name)"
        case .indexed(let base, let index):
            return "\(base.sqlText)[\(index.sqlText)]"
        }
    }

    /// The name Spark gives this expression as an unaliased select item.
    ///
    /// Mostly ``sqlText``, with Spark's exceptions: a column (`t.col`, or the struct path
    /// `window.start`) is named after its last part, and a CAST of a column keeps the column's
    /// name (`CAST(value AS INT)` is `value`).
    var columnName: String {
        switch kind {
        case .column(_, let name):
            return name
        case .field(let base, let name) where base.isNamePath:
            return name
        case .cast(let operand, _) where operand.isNamePath:
            return operand.columnName
        default:
            return sqlText
        }
    }

    /// A dotted name (`a`, `a.b`, `a.b.c`): Spark resolves these to named attributes.
    private var isNamePath: Bool {
        switch kind {
        case .column: true
        case .field(let base, _): base.isNamePath
        default: false
        }
    }
}

extension Literal {
    /// The literal as Spark prints it in generated names: strings without quotes, doubles as
    /// Java prints them.
    var sqlText: String {
        switch self {
        case .null: "NULL"
        case .bool(let value): value ? "true" : "false"
        case .integer(let value): String(value)
        case .decimal(let text): text
        case .double(let value): JavaDouble.string(value)
        case .string(let value): value
        }
    }
}

extension BinaryOperator {
    /// The operator as Spark prints it.
    var sqlSymbol: String {
        switch self {
        case .or: "OR"
        case .and: "AND"
        case .equal: "="
        case .nullSafeEqual: "<=>"
        case .notEqual: "!="
        case .lessThan: "<"
        case .lessThanOrEqual: "<="
        case .greaterThan: ">"
        case .greaterThanOrEqual: ">="
        case .add: "+"
        case .subtract: "-"
        case .concat: "||"
        case .multiply: "*"
        case .divide: "/"
        case .remainder: "%"
        case .integerDivide: "div"
        }
    }
}
