/// Expressions as Spark SQL text that Spark 4.0 parses to the same meaning, and that cells'
/// own parser reads back to an equal tree: what the Spark Connect backend sends.
///
/// Every compound operand is parenthesized, so neither parser's precedence rules are relied
/// on; only the top of a clause (a select item, WHERE, an argument) is written bare. This is
/// not ``SQLExpression/columnName``, which mimics how Spark *names* a column.
extension SQLExpression {
    /// This expression as Spark SQL text.
    ///
    /// - Throws: ``SQLError`` for a tree deeper than the parser allows (only a tree built by
    ///   hand can be one), which the recursion here must not be given.
    func sparkSQL() throws(SQLError) -> String {
        guard height <= SQLParser.maximumExpressionDepth else {
            throw SQLError(
                "expression nested too deeply to send to Spark (more than \(SQLParser.maximumExpressionDepth) levels)",
                at: location, hint: "split it into smaller expressions (e.g. computed columns of the stream)")
        }
        return renderBare()
    }

    /// The text in a position delimited on both sides (a select item, an argument, a
    /// bracket), where no parentheses are needed.
    fileprivate func renderBare() -> String {
        switch kind {
        case .literal(let literal):
            return literal.sparkSQL
        case .column(let qualifier, let name):
            guard let qualifier else { return sparkIdentifier(name) }
            return sparkIdentifier(qualifier) + "." + sparkIdentifier(name)
        case .star(let qualifier):
            return qualifier.map { sparkIdentifier($0) + ".*" } ?? "*"
        case .unary(.not, let operand):
            // `NOT NOT x` needs no parentheses: a chain of NOTs stays as shallow to re-parse as written.
            if case .unary(.not, _) = operand.kind { return "NOT " + operand.renderBare() }
            return "NOT " + operand.renderOperand()
        case .unary(let op, let operand):
            let sign = op == .negate ? "-" : "+"
            switch operand.kind {
            case .unary(.negate, _), .unary(.plus, _), .literal(_) where operand.startsWithSign:
                // A space: `--` would start a comment.
                return sign + " " + operand.renderBare()
            case .literal(.integer), .literal(.decimal), .literal(.double):
                // `-5` would be read as the literal -5, not as the negation of 5.
                return sign + "(" + operand.renderBare() + ")"
            default:
                return sign + operand.renderOperand()
            }
        case .binary(let op, let left, let right):
            return left.renderOperand() + " " + op.sparkSQL + " " + right.renderOperand()
        case .function(let call):
            return call.sparkSQL
        case .cast(let operand, let type):
            return "CAST(" + operand.renderBare() + " AS " + type.sparkDDL + ")"
        case .caseWhen(let c):
            var text = "CASE"
            if let operand = c.operand { text += " " + operand.renderBare() }
            for branch in c.branches {
                text += " WHEN " + branch.when.renderBare() + " THEN " + branch.then.renderBare()
            }
            if let otherwise = c.otherwise { text += " ELSE " + otherwise.renderBare() }
            return text + " END"
        case .inList(let value, let list, let negated):
            return value.renderOperand() + (negated ? " NOT IN (" : " IN (")
                + list.map { $0.renderBare() }.joined(separator: ", ") + ")"
        case .between(let value, let lower, let upper, let negated):
            return value.renderOperand() + (negated ? " NOT BETWEEN " : " BETWEEN ")
                + lower.renderOperand() + " AND " + upper.renderOperand()
        case .like(let value, let pattern, let negated):
            return value.renderOperand() + (negated ? " NOT LIKE " : " LIKE ") + pattern.renderOperand()
        case .rlike(let value, let pattern, let negated):
            return value.renderOperand() + (negated ? " NOT RLIKE " : " RLIKE ") + pattern.renderOperand()
        case .isNull(let value, let negated):
            return value.renderOperand() + (negated ? " IS NOT NULL" : " IS NULL")
        case .field(let base, let name):
            return base.renderFieldBase() + "." + sparkIdentifier(name)
        case .indexed(let base, let index):
            return base.renderOperand() + "[" + index.renderBare() + "]"
        }
    }

    /// The text as the operand of an operator or predicate: parenthesized unless it is a
    /// primary that binds tighter than any operator.
    fileprivate func renderOperand() -> String {
        isPrimary ? renderBare() : "(" + renderBare() + ")"
    }

    /// The text before `.field`. An unqualified column is parenthesized too: `a.b` would read
    /// as column `b` of table `a`, where `(a).b` is field `b` of column `a`.
    fileprivate func renderFieldBase() -> String {
        if case .column(nil, _) = kind { return "(" + renderBare() + ")" }
        return renderOperand()
    }

    /// A negative number, whose text starts with `-`.
    private var startsWithSign: Bool {
        if case .literal(let literal) = kind { return literal.isNegativeNumber }
        return false
    }

    /// Forms that end where they start (a name, a call, a bracketed or keyword-delimited
    /// construct): safe as an operand without parentheses.
    private var isPrimary: Bool {
        switch kind {
        case .literal(let literal):
            return !literal.isNegativeNumber
        case .column, .star, .function, .cast, .caseWhen, .field, .indexed:
            return true
        case .unary, .binary, .inList, .between, .like, .rlike, .isNull:
            return false
        }
    }
}

extension BinaryOperator {
    /// The operator as Spark SQL writes it: as Spark prints it (``sqlSymbol``), but for the
    /// two that Spark's documentation spells otherwise (both parsers read either form).
    var sparkSQL: String {
        switch self {
        case .notEqual: "<>"
        case .integerDivide: "DIV"
        default: sqlSymbol
        }
    }
}

extension FunctionCall {
    /// `name(args)`, `name(DISTINCT args)`; the parser's `interval` call is `INTERVAL 'text'`.
    fileprivate var sparkSQL: String {
        if lowercasedName == "interval", !distinct, arguments.count == 1,
           case .literal(.string(let text)) = arguments[0].kind {
            return "INTERVAL " + sparkStringLiteral(text)
        }
        // The name is a word the parser read as one (letters, digits, `_`), so it needs no
        // quoting; quoting it would make cells' parser read a column instead of a call.
        return name + "(" + (distinct ? "DISTINCT " : "")
            + arguments.map { $0.renderBare() }.joined(separator: ", ") + ")"
    }
}

extension Literal {
    /// The literal as Spark SQL text that reads back as the same value and type.
    var sparkSQL: String {
        switch self {
        case .null:
            return "NULL"
        case .bool(let value):
            return value ? "TRUE" : "FALSE"
        case .integer(let value):
            // Both parsers type an unsuffixed integer INT when it fits and BIGINT otherwise,
            // and read the sign as part of the number, so Int64.min is written as is.
            return String(value)
        case .decimal(let text):
            // `BD` keeps an integral decimal (too big for BIGINT, or written 5BD) a DECIMAL
            // with the digits, and so the precision and scale, as written.
            return text + "BD"
        case .double(let value):
            guard value.isFinite else {
                let name = value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity"
                return "CAST('\(name)' AS DOUBLE)"
            }
            // Swift's description is the shortest text that reads back to the same double
            // (both Java's parser and Swift's round correctly); `D` makes it a DOUBLE.
            return value.description.uppercased() + "D"
        case .string(let value):
            return sparkStringLiteral(value)
        }
    }

    /// A number below zero: its text starts with `-`, which must not follow another sign.
    var isNegativeNumber: Bool {
        switch self {
        case .integer(let value): value < 0
        case .decimal(let text): text.hasPrefix("-")
        case .double(let value): value.sign == .minus
        default: false
        }
    }
}

/// `'text'` with the escapes both Spark's and cells' lexers read back to `value`: backslash
/// and quote escaped, control characters as `\uXXXX`, and the `$` of a `${` as `\u0024`, so
/// neither cells' `${NAME}` expansion nor Spark's variable substitution (which runs on the raw
/// text) sees a reference.
func sparkStringLiteral(_ value: String) -> String {
    var text = "'"
    let scalars = Array(value.unicodeScalars)
    for (index, scalar) in scalars.enumerated() {
        switch scalar {
        case "\\": text += "\\\\"
        case "'": text += "\\'"
        case "\n": text += "\\n"
        case "\r": text += "\\r"
        case "\t": text += "\\t"
        case "$" where index + 1 < scalars.count && scalars[index + 1] == "{": text += "\\u0024"
        case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
            let hex = String(scalar.value, radix: 16, uppercase: true)
            text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: text.unicodeScalars.append(scalar)
        }
    }
    return text + "'"
}

/// A name in backquotes, an embedded backquote doubled: Spark reads any such name literally,
/// reserved word or not.
func sparkIdentifier(_ name: String) -> String {
    "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
}

extension Identifier {
    /// The name in backquotes (``sparkIdentifier(_:)``).
    var sparkSQL: String { sparkIdentifier(name) }
}

extension SQLType {
    /// The type as Spark's DDL writes it: `DECIMAL(10,2)`, `ARRAY<STRING>`,
    /// ``STRUCT<`a`: INT>``, `MAP<STRING, BIGINT>`.
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
        // Spark's name for the type of a bare NULL.
        case .null: "VOID"
        case .struct(let fields):
            "STRUCT<" + fields.map { sparkIdentifier($0.name) + ": " + $0.type.sparkDDL }.joined(separator: ", ") + ">"
        case .array(let element): "ARRAY<" + element.sparkDDL + ">"
        case .map(let key, let value): "MAP<" + key.sparkDDL + ", " + value.sparkDDL + ">"
        }
    }
}

/// Spark SQL spelling for code outside the kernel that writes SQL of its own around the
/// views' (the Spark backend's decoding step, its sinks): the same quoting the renderer uses.
public enum SparkSQLText {
    /// `` `name` ``, an embedded backquote doubled.
    public static func identifier(_ name: String) -> String { sparkIdentifier(name) }
    /// `'text'`, escaped so that both Spark's lexer and its variable substitution read `text` back.
    public static func string(_ text: String) -> String { sparkStringLiteral(text) }
}
