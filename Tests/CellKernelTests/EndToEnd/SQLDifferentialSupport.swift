@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

// Support for SQLDifferentialTests: random rows, written as JSON lines and inserted into
// SQLite; random queries, described once and written out both as Spark SQL (for cells) and
// as the equivalent SQLite text; and an order-free comparison of the two results.

/// The kinds of value a generated expression has. INT and BIGINT are both `.integer` here:
/// the generator keeps every integer small enough that neither overflows.
enum DiffKind: CaseIterable { case integer, real, text, boolean }

/// One expression of a generated query, written out per dialect by ``DiffExpr/sql(_:minimal:)``.
indirect enum DiffExpr {
    case column(String)
    case integer(Int64)
    case long(Int64)  // 10L in Spark
    case real(String)  // e.g. "2.5": written 2.5D for Spark, a DOUBLE there too (2.5 would be a DECIMAL)
    /// A string literal; in Spark, non-ASCII characters as `\uXXXX` escapes when `unicodeEscapes`.
    case text(String, unicodeEscapes: Bool = false)
    case boolean(Bool)
    case null
    case arithmetic(String, DiffExpr, DiffExpr)  // + - *
    case divide(DiffExpr, DiffExpr)  // Spark's `/` is always fractional
    case remainder(DiffExpr, DiffExpr)  // integers only: SQLite's % truncates reals to integers
    case integerDivide(DiffExpr, DiffExpr)  // Spark's DIV; SQLite's / on integers
    case negate(DiffExpr)
    case compare(String, DiffExpr, DiffExpr)  // = <> != < <= > >= <=> (SQLite: IS)
    case and(DiffExpr, DiffExpr), or(DiffExpr, DiffExpr), not(DiffExpr)
    case isNull(DiffExpr, negated: Bool)
    case inList(DiffExpr, [DiffExpr], negated: Bool)
    case between(DiffExpr, DiffExpr, DiffExpr, negated: Bool)
    case like(DiffExpr, pattern: String, negated: Bool)
    case caseWhen([(DiffExpr, DiffExpr)], otherwise: DiffExpr?)
    /// CASE operand WHEN value THEN result ... END.
    case caseValue(DiffExpr, [(DiffExpr, DiffExpr)], otherwise: DiffExpr?)
    case coalesce([DiffExpr])
    /// upper, lower, length, abs, trim, replace, ...: the Spark name (maybe an alias such as
    /// ucase or char_length) and the SQLite name.
    case call(String, [DiffExpr], sqlite: String)
    /// concat(a, b, ...), or `a || b` in Spark too when `operator`.
    case concat([DiffExpr], operator: Bool)
    case substring(DiffExpr, Int, Int?)
    case cast(DiffExpr, DiffKind)
    /// An aggregate call: count(*) when the argument is nil.
    case aggregate(String, DiffExpr?, distinct: Bool)
    /// An aggregate SQLite lacks: Spark's call, and SQLite's equivalent as a template in
    /// which `$` stands for the argument (e.g. count_if(c) as `sum(CASE WHEN $ THEN 1 ...)`).
    case emulatedAggregate(String, DiffExpr, sqlite: String)

    enum Dialect { case spark, sqlite }

    /// Whether the expression reads a column of the stream (inside aggregates too).
    var readsColumn: Bool {
        switch self {
        case .column: true
        case .integer, .long, .real, .text, .boolean, .null: false
        case .arithmetic(_, let a, let b), .divide(let a, let b), .remainder(let a, let b), .integerDivide(let a, let b), .compare(_, let a, let b),
             .and(let a, let b), .or(let a, let b):
            a.readsColumn || b.readsColumn
        case .negate(let a), .not(let a), .isNull(let a, _), .like(let a, _, _), .substring(let a, _, _), .cast(let a, _):
            a.readsColumn
        case .inList(let a, let list, _): a.readsColumn || list.contains { $0.readsColumn }
        case .between(let a, let lo, let hi, _): a.readsColumn || lo.readsColumn || hi.readsColumn
        case .caseWhen(let branches, let otherwise):
            branches.contains { $0.0.readsColumn || $0.1.readsColumn } || otherwise?.readsColumn == true
        case .caseValue(let operand, let branches, let otherwise):
            operand.readsColumn || branches.contains { $0.0.readsColumn || $0.1.readsColumn } || otherwise?.readsColumn == true
        case .coalesce(let args), .call(_, let args, _), .concat(let args, _): args.contains { $0.readsColumn }
        case .aggregate(_, let argument, _): argument?.readsColumn == true
        case .emulatedAggregate(_, let argument, _): argument.readsColumn
        }
    }

    /// The expression in dialect `d`. `minimal`: parentheses only where precedence needs them
    /// (the same in both dialects for the operators used here), else around every operation.
    func sql(_ d: Dialect, minimal: Bool = false) -> String {
        render(d, minimal).text
    }

    /// Binding strength of what `render` returns: 100 for an atom (a name, a literal, a call,
    /// anything in parentheses).
    private static let atom = 100

    private func render(_ d: Dialect, _ minimal: Bool) -> (text: String, precedence: Int) {
        func sub(_ e: DiffExpr) -> String { e.render(d, minimal).text }
        /// `e` as an operand that must bind at least as strongly as `precedence` (more
        /// strongly when `strictly`).
        func operand(_ e: DiffExpr, _ precedence: Int, strictly: Bool = false) -> String {
            let (text, p) = e.render(d, minimal)
            return p > precedence || (!strictly && p == precedence) ? text : "(\(text))"
        }
        func op(_ text: String, _ precedence: Int) -> (String, Int) {
            minimal ? (text, precedence) : ("(\(text))", Self.atom)
        }
        func atom(_ text: String) -> (String, Int) { (text, Self.atom) }
        switch self {
        case .column(let name): return atom(name)
        case .integer(let v): return atom(v < 0 ? "(\(v))" : "\(v)")
        case .long(let v):
            let text = d == .spark ? "\(v)L" : "\(v)"
            return atom(v < 0 ? "(\(text))" : text)
        case .real(let text):
            let literal = d == .spark ? text + "D" : text
            return atom(text.hasPrefix("-") ? "(\(literal))" : literal)
        case .text(let s, let unicodeEscapes):
            // Spark escapes with backslashes; SQLite doubles quotes and has no escapes.
            guard d == .spark else { return atom("'" + s.replacingOccurrences(of: "'", with: "''") + "'") }
            var out = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case _ where unicodeEscapes && scalar.value >= 0x80 && scalar.value < 0x10000: out += String(format: "\\u%04x", scalar.value)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return atom("'\(out)'")
        case .boolean(let b): return atom(b ? "TRUE" : "FALSE")
        case .null: return atom("NULL")
        case .arithmetic(let o, let a, let b):
            let p = o == "*" ? 8 : 7
            return op("\(operand(a, p)) \(o) \(operand(b, p, strictly: true))", p)
        case .divide(let a, let b):
            // SQLite divides integers as integers: make the dividend REAL.
            let left = d == .spark ? operand(a, 8) : "CAST(\(sub(a)) AS REAL)"
            return op("\(left) / \(operand(b, 8, strictly: true))", 8)
        case .remainder(let a, let b): return op("\(operand(a, 8)) % \(operand(b, 8, strictly: true))", 8)
        case .integerDivide(let a, let b): return op("\(operand(a, 8)) \(d == .spark ? "DIV" : "/") \(operand(b, 8, strictly: true))", 8)
        case .negate(let a): return op("-\(operand(a, Self.atom))", 9)
        case .compare(let o, let a, let b):
            return op("\(operand(a, 5, strictly: true)) \(o == "<=>" && d == .sqlite ? "IS" : o) \(operand(b, 5, strictly: true))", 5)
        case .and(let a, let b): return op("\(operand(a, 2)) AND \(operand(b, 2, strictly: true))", 2)
        case .or(let a, let b): return op("\(operand(a, 1)) OR \(operand(b, 1, strictly: true))", 1)
        case .not(let a): return op("NOT \(operand(a, 3))", 3)
        // Predicates: always in parentheses; their operands may be arithmetic.
        case .isNull(let a, let negated): return atom("(\(operand(a, 7)) IS \(negated ? "NOT " : "")NULL)")
        case .inList(let a, let list, let negated):
            return atom("(\(operand(a, 7)) \(negated ? "NOT " : "")IN (\(list.map(sub).joined(separator: ", "))))")
        case .between(let a, let lo, let hi, let negated):
            return atom("(\(operand(a, 7)) \(negated ? "NOT " : "")BETWEEN \(operand(lo, 7)) AND \(operand(hi, 7)))")
        case .like(let a, let pattern, let negated):
            // SQLite's LIKE ignores ASCII case; its GLOB is case-sensitive, as Spark's LIKE is.
            if d == .spark { return atom("(\(operand(a, 7)) \(negated ? "NOT " : "")LIKE '\(pattern)')") }
            let glob = pattern.replacingOccurrences(of: "%", with: "*").replacingOccurrences(of: "_", with: "?")
            return atom("(\(operand(a, 7)) \(negated ? "NOT " : "")GLOB '\(glob)')")
        case .caseWhen(let branches, let otherwise):
            let whens = branches.map { "WHEN \(sub($0.0)) THEN \(sub($0.1))" }.joined(separator: " ")
            return atom("(CASE \(whens)\(otherwise.map { " ELSE \(sub($0))" } ?? "") END)")
        case .caseValue(let operand, let branches, let otherwise):
            let whens = branches.map { "WHEN \(sub($0.0)) THEN \(sub($0.1))" }.joined(separator: " ")
            return atom("(CASE \(sub(operand)) \(whens)\(otherwise.map { " ELSE \(sub($0))" } ?? "") END)")
        case .coalesce(let args): return atom("coalesce(\(args.map(sub).joined(separator: ", ")))")
        case .call(let name, let args, let sqlite):
            return atom("\(d == .spark ? name : sqlite)(\(args.map(sub).joined(separator: ", ")))")
        case .concat(let args, let isOperator):
            // Both are NULL when any argument is. `||` binds differently in Spark (as +) and
            // SQLite (above *): its operands are atoms, the whole in parentheses.
            if d == .spark && !isOperator { return atom("concat(\(args.map(sub).joined(separator: ", ")))") }
            return atom("(\(args.map { operand($0, Self.atom) }.joined(separator: " || ")))")
        case .substring(let a, let position, let length):
            return atom("\(d == .spark ? (position == 2 ? "substr" : "substring") : "substr")(\(sub(a)), \(position)\(length.map { ", \($0)" } ?? ""))")
        case .cast(let a, let kind):
            let type = switch (d, kind) {
            case (.spark, .integer): "BIGINT"
            case (.spark, .real): "DOUBLE"
            case (.spark, .text): "STRING"
            case (.spark, .boolean): "BOOLEAN"
            case (.sqlite, .integer): "INTEGER"
            case (.sqlite, .real): "REAL"
            case (.sqlite, .text): "TEXT"
            case (.sqlite, .boolean): "INTEGER"
            }
            return atom("CAST(\(sub(a)) AS \(type))")
        case .aggregate(let name, let argument, let distinct):
            return atom("\(d == .sqlite && name == "mean" ? "avg" : name)(\(distinct ? "DISTINCT " : "")\(argument.map(sub) ?? "*"))")
        case .emulatedAggregate(let name, let argument, let template):
            let a = "(\(sub(argument)))"
            return atom(d == .spark ? "\(name)\(a)" : "(" + template.replacingOccurrences(of: "$", with: a) + ")")
        }
    }
}

/// A generated query: one description, written out as Spark SQL and as SQLite SQL.
struct DiffQuery {
    var items: [DiffExpr]
    var filter: DiffExpr?
    var groupBy: [DiffExpr]
    var having: DiffExpr?
    var isAggregate: Bool
    var star = false
    /// For an aggregation: run in update mode (the memory table upserts by key), else complete.
    var update = false
    /// Parentheses only where precedence needs them.
    var minimal = false

    var mode: String { isAggregate ? (update ? "update" : "complete") : "append" }

    /// Whether the query reads any column of the stream. One that reads none hits an engine
    /// bug (see SQLDifferentialTests.queryReadingNoColumnSeesEveryRow), so the generator
    /// avoids it.
    var readsColumn: Bool {
        star || (items + groupBy + [filter, having].compactMap { $0 }).contains { $0.readsColumn }
    }

    func sql(_ d: DiffExpr.Dialect) -> String {
        let select = star ? "*" : items.enumerated().map { "\($0.element.sql(d, minimal: minimal)) AS c\($0.offset)" }.joined(separator: ", ")
        var text = "SELECT \(select) FROM t"
        if let filter { text += " WHERE \(filter.sql(d, minimal: minimal))" }
        if !groupBy.isEmpty { text += " GROUP BY \(groupBy.map { $0.sql(d, minimal: minimal) }.joined(separator: ", "))" }
        if let having { text += " HAVING \(having.sql(d, minimal: minimal))" }
        return text
    }
}

/// The test table: g STRING (few values, some not ASCII), h INT, x BIGINT, y DOUBLE, s STRING
/// (mostly ASCII, mixed case, with characters JSON must escape, sometimes long, sometimes an
/// emoji: outside the BMP, a surrogate pair when escaped; in half the cases with combining
/// accents, U+0301, which Spark counts as characters of their own), b BOOLEAN.
enum DiffData {
    static let columns = ["g", "h", "x", "y", "s", "b"]
    static let streamSchema = "g STRING, h INT, x BIGINT, y DOUBLE, s STRING, b BOOLEAN"
    static let sqliteSchema = "CREATE TABLE t (g TEXT, h INTEGER, x INTEGER, y REAL, s TEXT, b INTEGER)"
    static let groups = ["a", "b", "B", "ab", "é", "éa", "A b", "e"]
    /// Pieces of s: ASCII and an emoji (and, if asked, U+0301), which have no case, so upper(s)
    /// agrees with SQLite's upper(), which changes ASCII letters only.
    static let stringPieces = ["a", "A", "b", "z", "Z", "0", "1", "9", " ", "-", "_", "%", "\"", "\\", "e", "😀"]

    static func randomRows(_ count: Int, combiningMarks: Bool, random: inout CellsRandom) -> [[Value]] {
        let pieces = stringPieces + (combiningMarks ? ["\u{301}", "\u{301}", "e\u{301}"] : [])
        return (0..<count).map { _ in
            func maybeNull(_ v: Value) -> Value { Int.random(in: 0..<10, using: &random) == 0 ? .null : v }
            let x: Int64 = Int.random(in: 0..<25, using: &random) == 0
                ? [3_000_000_000, -3_000_000_000, 2_147_483_648, -2_147_483_649][Int.random(in: 0..<4, using: &random)]
                : Int64.random(in: -100...100, using: &random)
            let length = Int.random(in: 0..<12, using: &random) == 0 ? Int.random(in: 15...40, using: &random) : Int.random(in: 0...5, using: &random)
            let s = (0..<length).map { _ in pieces.randomElement(using: &random)! }.joined()
            return [
                maybeNull(.string(groups.randomElement(using: &random)!)),
                maybeNull(.int(Int64.random(in: -1...4, using: &random))),
                maybeNull(.int(x)),
                maybeNull(.double(Double(Int64.random(in: -1_000_000...1_000_000, using: &random)) / 1000)),
                maybeNull(.string(s)),
                maybeNull(.bool(Bool.random(using: &random))),
            ]
        }
    }

    /// One JSON line per row: keys in random order; a NULL is `null` or a missing key; some
    /// strings escaped as \uXXXX; doubles written plainly, as integers or with an exponent;
    /// sometimes a field the schema does not declare, blanks between tokens, a CRLF line end or
    /// a blank line before (not a record).
    static func jsonLine(_ row: [Value], random: inout CellsRandom) -> String {
        var fields: [String] = []
        for (name, value) in zip(columns, row) {
            let text: String
            switch value {
            case .null:
                if Bool.random(using: &random) { continue }
                text = "null"
            case .bool(let b): text = b ? "true" : "false"
            case .int(let v): text = "\(v)"
            case .decimal(let v): text = "\(v)"
            case .double(let d):
                switch Int.random(in: 0..<4, using: &random) {
                case 0 where d == d.rounded(): text = "\(Int64(d))"
                case 1: text = String(format: "%.6e", d)
                default: text = "\(d)"
                }
            case .string(let s): text = jsonString(s, escapeNonASCII: Bool.random(using: &random))
            case .structure, .array, .map: preconditionFailure("the differential schema has no nested columns")
            }
            fields.append("\"\(name)\":\(text)")
        }
        if Int.random(in: 0..<8, using: &random) == 0 { fields.append(#""extra":{"n":[1,"}",null],"g":"shadow"}"#) }
        fields.shuffle(using: &random)
        let spaced = Int.random(in: 0..<6, using: &random) == 0
        var line = spaced ? "{ " + fields.map { $0.replacingCharacters(in: $0.range(of: "\":")!, with: "\" :\t") }.joined(separator: " , ") + " }"
                          : "{" + fields.joined(separator: ",") + "}"
        if Int.random(in: 0..<20, using: &random) == 0 { line = (Bool.random(using: &random) ? "\n" : "  \n") + line }
        return line + (Int.random(in: 0..<10, using: &random) == 0 ? "\r\n" : "\n")
    }

    static func jsonString(_ s: String, escapeNonASCII: Bool) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value >= 0x10000 && escapeNonASCII:
                // A surrogate pair, as JSON writes characters outside the BMP.
                let v = scalar.value - 0x10000
                out += String(format: "\\u%04x\\u%04X", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
            case _ where scalar.value >= 0x80 && escapeNonASCII: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

}

/// Random expressions of a wanted kind, and random queries made of them.
struct DiffQueryGenerator {
    var random: CellsRandom
    /// Whether s holds combining accents: then no replace(), which matches Characters (see
    /// SQLDifferentialTests.replaceCountsCodePoints).
    var combiningMarks = false

    mutating func chance(_ n: Int) -> Bool { Int.random(in: 0..<n, using: &random) == 0 }
    mutating func pick<T>(_ choices: [T]) -> T { choices.randomElement(using: &random)! }
    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }

    /// A column, sometimes written in upper case or back-quoted (names are case-insensitive).
    mutating func col(_ name: String) -> DiffExpr {
        switch int(0..<12) {
        case 0: .column(name.uppercased())
        case 1: .column("`\(name)`")
        default: .column(name)
        }
    }

    mutating func expression(_ kind: DiffKind, depth: Int) -> DiffExpr {
        switch kind {
        case .integer: integer(depth)
        case .real: real(depth)
        case .text: text(depth)
        case .boolean: boolean(depth)
        }
    }

    mutating func integerLeaf() -> DiffExpr {
        if chance(25) { return .null }
        switch int(0..<6) {
        case 0, 1: return col("x")
        case 2, 3: return col("h")
        case 4: return chance(5) ? .long(Int64(int(-5...10))) : .integer(Int64(int(-5...10)))
        default: return .call(pick(["length", "length", "char_length"]), [col(pick(["s", "g"]))], sqlite: "length")
        }
    }

    mutating func integer(_ depth: Int) -> DiffExpr {
        if depth <= 0 || chance(3) { return integerLeaf() }
        switch int(0..<9) {
        case 0, 1:
            return .arithmetic(pick(["+", "-"]), integer(depth - 1), integer(depth - 1))
        case 2:
            // Products stay small: one side is a small literal or h (-1...4).
            return .arithmetic("*", integer(depth - 1), chance(2) ? col("h") : .integer(Int64(int(-5...5))))
        case 3:
            let divisor: DiffExpr = chance(3) ? col("h") : .integer(Int64(pick([-7, -3, 2, 3, 10])))
            return chance(3) ? .integerDivide(integer(depth - 1), divisor) : .remainder(integer(depth - 1), divisor)
        case 4: return chance(2) ? .negate(integer(depth - 1)) : .call("abs", [integer(depth - 1)], sqlite: "abs")
        case 5: return .call("length", [text(depth - 1)], sqlite: "length")
        case 6: return .cast(real(depth - 1), .integer)  // truncates toward zero in both
        case 7: return caseWhen(.integer, depth)
        default:
            if chance(4) { return .call(pick(["nvl", "ifnull"]), [integer(depth - 1), integer(depth - 1)], sqlite: "ifnull") }
            return .coalesce([integer(depth - 1), integer(depth - 1)] + (chance(3) ? [.integer(0)] : []))
        }
    }

    mutating func realLiteral() -> DiffExpr {
        .real(pick(["0.5", "2.5", "-1.25", "100.125", "0.001", "-37.5", "999.999", "-500.5", "250.0", "1.0E2"]))
    }

    mutating func real(_ depth: Int) -> DiffExpr {
        if depth <= 0 || chance(3) { return chance(25) ? .null : chance(4) ? realLiteral() : col("y") }
        switch int(0..<8) {
        case 0, 1: return .arithmetic(pick(["+", "-", "*"]), real(depth - 1), chance(2) ? real(depth - 1) : integer(depth - 1))
        case 2: return .divide(chance(2) ? integer(depth - 1) : real(depth - 1), chance(2) ? integer(depth - 1) : real(depth - 1))
        case 3: return .cast(integer(depth - 1), .real)
        case 4: return chance(2) ? .negate(real(depth - 1)) : .call("abs", [real(depth - 1)], sqlite: "abs")
        case 5: return caseWhen(.real, depth)
        case 6: return .coalesce([real(depth - 1), chance(2) ? realLiteral() : integer(depth - 1)])
        default: return .arithmetic("+", col("y"), integer(depth - 1))
        }
    }

    mutating func textLiteral() -> DiffExpr {
        let text = pick(["a", "b", "B", "ab", "é", "éa", "A b", "", "z", "Z", "1", "a9", "zz", "e", "😀", " ", "\\", "it's", "\"", "-", "e\u{301}"])
        return .text(text, unicodeEscapes: chance(3))
    }

    mutating func text(_ depth: Int) -> DiffExpr {
        if depth <= 0 || chance(3) { return chance(25) ? .null : chance(5) ? textLiteral() : col(pick(["g", "s"])) }
        switch int(0..<10) {
        // upper() only on s: SQLite's upper leaves é alone, Spark's does not.
        case 0: return .call(pick(["upper", "ucase"]), [col("s")], sqlite: "upper")
        case 8:
            let trim = pick(["trim", "ltrim", "rtrim"])
            return .call(trim, [text(depth - 1)], sqlite: trim)
        case 9 where !combiningMarks: return .call("replace", [text(depth - 1), .text(pick(["a", "e", " ", "z", "é", "ab"])), .text(pick(["", "X", "éé", "--"]))], sqlite: "replace")
        case 1: return .call(pick(["lower", "lcase"]), [text(depth - 1)], sqlite: "lower")
        case 2, 3:
            let args = [text(depth - 1), chance(3) ? integer(depth - 1) : text(depth - 1)] + (chance(4) ? [textLiteral()] : [])
            return .concat(args, operator: chance(3))
        // Positions from the end too; not 0 and no negative length, where SQLite differs.
        case 4: return .substring(text(depth - 1), pick([1, 1, 2, 3, -1, -2, -4]), chance(4) ? nil : int(0...3))
        case 5: return .coalesce([text(depth - 1), text(depth - 1)])
        case 6: return .cast(integer(depth - 1), .text)
        default: return caseWhen(.text, depth)
        }
    }

    mutating func caseWhen(_ kind: DiffKind, _ depth: Int) -> DiffExpr {
        if chance(3) {
            // CASE h WHEN 1 THEN ... / CASE g WHEN 'a' THEN ...
            let onText = chance(2)
            let branches = (0..<int(1...3)).map { _ -> (DiffExpr, DiffExpr) in
                (onText ? textLiteral() : .integer(Int64(int(-1...4))), expression(kind, depth: depth - 1))
            }
            return .caseValue(onText ? col("g") : col("h"), branches, otherwise: chance(3) ? nil : expression(kind, depth: depth - 1))
        }
        let branches = (0..<int(1...2)).map { _ in (boolean(depth - 1), expression(kind, depth: depth - 1)) }
        return .caseWhen(branches, otherwise: chance(3) ? nil : expression(kind, depth: depth - 1))
    }

    mutating func comparison(_ depth: Int) -> DiffExpr {
        let op = pick(["=", "<>", "!=", "<", "<=", ">", ">=", "<=>"])
        switch int(0..<5) {
        case 0: return .compare(op, integer(depth - 1), integer(depth - 1))
        case 1: return .compare(op, real(depth - 1), chance(2) ? real(depth - 1) : integer(depth - 1))
        case 2: return .compare(op, text(depth - 1), chance(2) ? textLiteral() : text(depth - 1))
        case 3:
            let column = pick(["x", "h", "y"])
            if column == "x" && chance(4) {
                let big: Int64 = pick([3_000_000_000, -3_000_000_000, 2_147_483_648, -2_147_483_649])
                return .compare(op, col(column), chance(2) ? .long(big) : .integer(big))
            }
            return .compare(op, col(column), column == "y" || chance(4) ? realLiteral() : .integer(Int64(column == "h" ? int(-1...4) : int(-50...50))))
        default: return .compare(pick(["=", "<>"]), col("b"), chance(2) ? .boolean(Bool.random(using: &random)) : boolean(depth - 1))
        }
    }

    mutating func likePattern() -> String {
        // Not a bare U+0301: the lexer would fuse it with the opening quote (see
        // SQLDifferentialTests.stringLiteralMayStartWithCombiningMark).
        let pieces = ["%", "_", "a", "A", "b", "z", "é", "e", "1", " ", "9", "😀", "e\u{301}"]
        var pattern = ""
        for _ in 0..<int(1...3) { pattern += pick(pieces) }
        if chance(2) { pattern = "%" + pattern }
        if chance(2) { pattern += "%" }
        return pattern
    }

    mutating func boolean(_ depth: Int) -> DiffExpr {
        if depth <= 0 { return chance(3) ? col("b") : .compare(pick(["<", ">", "="]), col(pick(["x", "h"])), .integer(Int64(int(-3...3)))) }
        switch int(0..<12) {
        case 0, 1, 2: return comparison(depth)
        case 3: return .and(boolean(depth - 1), boolean(depth - 1))
        case 4: return .or(boolean(depth - 1), boolean(depth - 1))
        case 5: return .not(boolean(depth - 1))
        case 6: return .isNull(expression(pick(DiffKind.allCases), depth: depth - 1), negated: Bool.random(using: &random))
        case 7:
            if chance(2) {
                var list = (0..<int(1...4)).map { _ in DiffExpr.integer(Int64(int(-2...5))) }
                if chance(4) { list.append(.null) }
                return .inList(chance(2) ? col("h") : integer(depth - 1), list, negated: chance(3))
            }
            var list = (0..<int(1...3)).map { _ in textLiteral() }
            if chance(5) { list.append(.null) }
            return .inList(chance(2) ? col("g") : text(depth - 1), list, negated: chance(3))
        case 8:
            if chance(2) {
                let lo = int(-60...40)
                return .between(chance(2) ? col("x") : integer(depth - 1), .integer(Int64(lo)), .integer(Int64(lo + int(0...80))), negated: chance(3))
            }
            // Mostly lower bound first (else BETWEEN is never true).
            var (lo, hi) = (realLiteral(), realLiteral())
            if case .real(let a) = lo, case .real(let b) = hi, Double(a)! > Double(b)!, !chance(4) { (lo, hi) = (hi, lo) }
            return .between(chance(2) ? col("y") : real(depth - 1), lo, hi, negated: chance(3))
        case 9:
            let subject: DiffExpr = chance(4) ? col("x") : (chance(2) ? col(pick(["g", "s"])) : text(depth - 1))
            return .like(subject, pattern: likePattern(), negated: chance(3))
        case 10: return col("b")
        default: return .compare(pick(["=", "<>"]), boolean(depth - 1), boolean(depth - 1))
        }
    }

    // MARK: Queries

    mutating func groupKey() -> DiffExpr {
        switch int(0..<11) {
        case 10: chance(2) ? col("y") : .arithmetic("*", col("y"), .integer(0))  // -0.0 and 0.0 are one group
        case 0, 1: col("g")
        case 2, 3: col("h")
        case 4: col("b")
        case 5: col("s")
        case 6: .remainder(col("x"), .integer(3))
        case 7: .call("lower", [col("g")], sqlite: "lower")
        case 8: .compare(">", col("x"), .integer(0))
        default: .coalesce([col("g"), .text("none")])
        }
    }

    mutating func aggregate() -> DiffExpr {
        let depth = int(0...2)
        switch int(0..<20) {
        case 12:
            // Spark 3.5: var_samp/stddev of one row is NULL, as SQLite's division by count - 1 = 0.
            let (name, sqlite) = pick([
                ("var_pop", "(sum($ * $) - 1.0 * sum($) * sum($) / count($)) / count($)"),
                ("variance", "(sum($ * $) - 1.0 * sum($) * sum($) / count($)) / (count($) - 1)"),
                ("var_samp", "(sum($ * $) - 1.0 * sum($) * sum($) / count($)) / (count($) - 1)"),
                ("stddev_pop", "sqrt(max(0.0, (sum($ * $) - 1.0 * sum($) * sum($) / count($)) / count($)))"),
                ("stddev", "sqrt(max(0.0, (sum($ * $) - 1.0 * sum($) * sum($) / count($)) / (count($) - 1)))"),
                ("std", "sqrt(max(0.0, (sum($ * $) - 1.0 * sum($) * sum($) / count($)) / (count($) - 1)))"),
            ])
            // Small exact integers: SQLite's sum-of-squares formula is exact enough only there
            // (big values are in VarianceTests, against a two-pass Swift reference).
            let argument: DiffExpr = pick([col("h"), .call("length", [col("s")], sqlite: "length"),
                                           .arithmetic("-", col("h"), .integer(Int64(int(-3...3))))])
            return .emulatedAggregate(name, argument, sqlite: sqlite)
        case 13: return .emulatedAggregate("count_if", boolean(depth), sqlite: "coalesce(sum(CASE WHEN $ THEN 1 ELSE 0 END), 0)")
        case 14: return .emulatedAggregate(pick(["bool_and", "every"]), boolean(depth), sqlite: "min(CASE WHEN $ THEN 1 WHEN NOT $ THEN 0 END)")
        case 15: return .emulatedAggregate(pick(["bool_or", "some"]), boolean(depth), sqlite: "max(CASE WHEN $ THEN 1 WHEN NOT $ THEN 0 END)")
        case 16, 17: return .aggregate(pick(["sum", "avg"]), integer(depth), distinct: true)
        case 18: return .aggregate(pick(["sum", "avg"]), col("y"), distinct: true)
        case 0: return .aggregate("count", nil, distinct: false)
        case 1: return .aggregate("count", chance(4) ? .integer(1) : expression(pick(DiffKind.allCases), depth: depth), distinct: false)
        case 2:
            // DISTINCT over integers, strings and booleans; doubles only as stored (no -0.0).
            let argument: DiffExpr = chance(4) ? col("y") : expression(pick([.integer, .text, .boolean]), depth: depth)
            return .aggregate("count", argument, distinct: true)
        case 3, 4: return .aggregate("sum", chance(2) ? integer(depth) : real(depth), distinct: false)
        case 5, 6: return .aggregate(chance(4) ? "mean" : "avg", chance(2) ? integer(depth) : real(depth), distinct: false)
        default:
            let argument: DiffExpr = switch int(0..<7) {
            case 0, 1: integer(depth)
            case 2, 3: real(depth)
            case 4, 5: text(depth)
            default: col("b")
            }
            return .aggregate(pick(["min", "max"]), argument, distinct: false)
        }
    }

    mutating func havingCondition(keys: [DiffExpr]) -> DiffExpr {
        func one(_ g: inout DiffQueryGenerator) -> DiffExpr {
            switch g.int(0..<6) {
            case 0: return .compare(g.pick([">", ">=", "<"]), .aggregate("count", nil, distinct: false), .integer(Int64(g.int(0...8))))
            case 1: return .compare(g.pick([">", "<"]), .aggregate("sum", g.col("x"), distinct: false), .integer(Int64(g.int(-200...200))))
            case 2: return .compare(g.pick([">", "<"]), .aggregate("avg", g.col("y"), distinct: false), g.realLiteral())
            case 3: return .compare(g.pick([">", "<="]), .aggregate("max", g.col("s"), distinct: false), g.textLiteral())
            case 4 where !keys.isEmpty: return .isNull(keys[0], negated: Bool.random(using: &g.random))
            default: return .isNull(.aggregate("min", g.col("g"), distinct: false), negated: Bool.random(using: &g.random))
            }
        }
        let first = one(&self)
        guard chance(3) else { return first }
        return chance(2) ? .and(first, one(&self)) : .or(first, one(&self))
    }

    mutating func query() -> DiffQuery {
        let filter: DiffExpr? = chance(4) ? nil : boolean(int(1...3))
        if chance(3) {
            // A plain projection.
            if chance(8) { return DiffQuery(items: [], filter: filter, groupBy: [], isAggregate: false, star: true) }
            var query = DiffQuery(items: (0..<int(1...4)).map { _ in expression(pick(DiffKind.allCases), depth: int(0...3)) },
                                  filter: filter, groupBy: [], isAggregate: false, minimal: chance(2))
            if !query.readsColumn { query.items.append(col("x")) }
            return query
        }
        var keys: [DiffExpr] = []
        for _ in 0..<pick([0, 1, 1, 2, 2]) {
            let key = groupKey()
            if !keys.contains(where: { $0.sql(.spark) == key.sql(.spark) }) { keys.append(key) }
        }
        var aggregates = (0..<int(keys.isEmpty ? 1...4 : 0...4)).map { _ in aggregate() }
        // Sometimes arithmetic over aggregates, or a key inside an expression.
        if chance(4), aggregates.count >= 2 {
            aggregates.append(.arithmetic(pick(["+", "-"]), .aggregate("count", nil, distinct: false), .aggregate("sum", col("h"), distinct: false)))
        }
        if chance(5) { aggregates.append(.coalesce([.aggregate("max", col("x"), distinct: false), .integer(-1)])) }
        var items = keys + aggregates
        if chance(5), let key = keys.first(where: { if case .column("h") = $0 { true } else { false } }) {
            items.append(.arithmetic("+", key, .integer(1)))
        }
        items.shuffle(using: &random)
        let having = chance(3) ? havingCondition(keys: keys) : nil
        var query = DiffQuery(items: items, filter: filter, groupBy: keys, having: having, isAggregate: true, minimal: chance(2))
        if !query.readsColumn { query.items.append(.aggregate("count", col("x"), distinct: false)) }
        // Update mode ends with the complete result when every key is a column of the result
        // (rows are upserted by key) and no HAVING hides a group's last update.
        let keysShown = keys.allSatisfy { key in items.contains { $0.sql(.spark) == key.sql(.spark) } }
        query.update = !keys.isEmpty && having == nil && keysShown && chance(2)
        return query
    }
}

/// Order-free comparison: rows as multisets; integers and text exactly, doubles (and an
/// integer SQLite computed where cells has a double) to about 9 significant digits.
enum DiffCompare {
    static func same(_ a: OracleValue, _ b: OracleValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.integer(x), .integer(y)): return x == y
        case let (.text(x), .text(y)): return x.utf8.elementsEqual(y.utf8)  // String's == is canonical equivalence
        case let (.real(x), .real(y)): return close(x, y)
        case let (.real(x), .integer(y)), let (.integer(y), .real(x)): return close(x, Double(y))
        default: return false
        }
    }

    static func close(_ x: Double, _ y: Double) -> Bool {
        if x == y { return true }
        if x.isNaN || y.isNaN { return false }
        return abs(x - y) <= 1e-9 * max(abs(x), abs(y)) + 1e-7
    }

    /// Rows of `actual` no row of `expected` matched, and rows of `expected` unmatched.
    static func difference(_ actual: [[OracleValue]], _ expected: [[OracleValue]]) -> (extra: [[OracleValue]], missing: [[OracleValue]]) {
        var unmatched = actual
        var missing: [[OracleValue]] = []
        for row in expected {
            if let i = unmatched.firstIndex(where: { $0.count == row.count && zip($0, row).allSatisfy(same) }) {
                unmatched.remove(at: i)
            } else {
                missing.append(row)
            }
        }
        return (unmatched, missing)
    }
}

/// Runs a view over rows through the whole engine: JSON lines in a temporary file read by a
/// `file` source, a typed stream, the view, micro-batches as the file grows.
struct DiffEngineRun {
    var rows: [[OracleValue]]
    var inputRows: Int
    var batches: Int

    /// `chunks` are the JSON lines appended before each round of micro-batches. Each round
    /// runs batches until `runBatch()` returns nil.
    static func run(viewSQL: String, mode: String, chunks: [String], sourceOptions: String = "") throws -> DiffEngineRun {
        try run(views: ["CREATE VIEW v AS \(viewSQL)"], final: "v", mode: mode, chunks: chunks, sourceOptions: sourceOptions)
    }

    /// Every statement of `views` in order (a chain of views), then `final` started.
    static func run(views: [String], final: String, mode: String, chunks: [String], sourceOptions: String = "") throws -> DiffEngineRun {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sqldiff-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (chunks.first ?? "").write(toFile: file, atomically: false, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)'\(sourceOptions));
            CREATE STREAM t FROM f FORMAT json SCHEMA (\(DiffData.streamSchema));
            \(views.map { $0 + ";" }.joined(separator: "\n"))
            """)
        let query = try session.prepare(start: "START \(final) OUTPUT MODE \(mode) USING memory")
        defer { query.stop() }
        var inputRows = 0, batches = 0
        for (index, chunk) in chunks.enumerated() {
            if index > 0 {
                try ScratchFile.append(chunk, to: file)
            }
            (inputRows, batches) = try drain(query, inputRows: inputRows, batches: batches)
        }
        return try result(session.table(final), inputRows: inputRows, batches: batches)
    }

    /// Runs batches until `runBatch()` returns nil, counting rows and batches.
    static func drain(_ query: StreamingQuery, inputRows: Int, batches: Int) throws -> (Int, Int) {
        var inputRows = inputRows, batches = batches
        while let progress = try query.runBatch() {
            inputRows += progress.numInputRows
            batches += 1
            if batches > 10_000 { throw OracleError("runBatch() never returned nil") }
        }
        return (inputRows, batches)
    }

    static func result(_ table: Batch?, inputRows: Int, batches: Int) throws -> DiffEngineRun {
        let table = try #require(table)
        let result = (0..<table.count).map { r in table.columns.map { OracleValue($0.value(at: r)) } }
        return DiffEngineRun(rows: result, inputRows: inputRows, batches: batches)
    }
}
