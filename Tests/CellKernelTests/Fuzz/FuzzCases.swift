@testable import CellKernel
import Foundation
import TransactionGenerator

/// Generates the fuzz suite's scripts: statements from the grammar, and mutations of the shipped
/// notebooks and of those statements. Everything comes from one seed, so a case is replayed
/// from `FUZZ_SEED` and its index.
struct FuzzCases {
    var random: CellsRandom
    let dataFile: String

    init(seed: UInt64, dataFile: String) {
        random = CellsRandom(seed: seed)
        self.dataFile = dataFile
    }

    mutating func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
    mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }
    mutating func number(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(random.next() % UInt64(range.count)) }

    static let columns = ["n", "d", "s", "b", "ts", "k", "e.n", "`s`", "missing"]
    static let extremeLiterals = [
        "0", "1", "-1", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "99999999999999999999999999999999999999", "123456789012345678901234567890123456789",
        "1L", "0.5", "1.0E308", "-1.7976931348623157E308", "4.9E-324", "1e400", "1.5BD", "0.000000000000000000000000000000000000001",
        "NULL", "true", "false", "''", "'a'", "'NaN'", "'Infinity'", "'-0'", "'9999-12-31'", "'0001-01-01 00:00:00'",
        "'2024-02-30'", "'1970-01-01T00:00:00Z'", "'\\u0000'", "'%'", "'_'", "'.*'", "'(['", "'${X:-d}'", "'\\\\'",
        "'" + String(repeating: "w", count: 300) + "'",
    ]
    static let binaryOperators = ["+", "-", "*", "/", "%", "DIV", "||", "=", "==", "<>", "!=", "<", "<=", ">", ">=", "<=>", "AND", "OR"]
    static let types = ["INT", "BIGINT", "DOUBLE", "FLOAT", "STRING", "BOOLEAN", "TIMESTAMP", "DATE", "DECIMAL(10,2)",
                        "DECIMAL(38,0)", "DECIMAL(38,38)", "DECIMAL(1,0)", "SMALLINT", "TINYINT"]
    static let intervals = ["'1 minute'", "'1 second'", "'10 seconds'", "'1 hour'", "'1 day'", "'2 minutes'", "'1 millisecond'",
                            "'0 seconds'", "'-1 minute'", "'100000 days'", "'1 microsecond'", "'x'"]
    /// Sizes and slides of windows, among them slides tiny against their size (at most 1000
    /// windows per row are allowed: '1 minute', '60 milliseconds' is the most).
    static let windowShapes = ["'1 minute'", "'2 minutes'", "'1 hour'", "'1 day'", "'1 minute', '30 seconds'",
                               "'2 minutes', '1 minute'", "'1 minute', '10 seconds'", "'10 seconds', '1 second'",
                               "'1 minute', '1 minute', '10 seconds'", "'1 minute', '60 milliseconds'"]
    static let wrongWindowShapes = ["'1 day', '10 seconds'", "'1 second', '1 microsecond'", "'100000 days', '1 second'", "'0 seconds'", "'-1 minute'", "'x'", "'1 minute', '2 minutes'", "'1 minute', '0 seconds'",
                                    "'1 millisecond'", "'1 microsecond'", "'1 minute', '30 seconds', '-5 seconds'", "1", "s"]
    static let keywords = ["SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "CASE", "WHEN", "THEN", "ELSE",
                           "END", "CAST", "AS", "NOT", "NULL", "IN", "BETWEEN", "LIKE", "IS", "AND", "OR", "DISTINCT", "START",
                           "CREATE", "VIEW", "STREAM", "SOURCE", "OPTIONS", "USING", "TRIGGER", "OUTPUT", "MODE", "WATERMARK",
                           "DELAY", "SCHEMA", "FORMAT", "(", ")", ",", ";", "*", ".", "'", "`", "--", "/*", "${", "9e99999", "-"]

    /// A random expression at most `depth` levels deep.
    mutating func expression(_ depth: Int, aggregates: Bool = false) -> String {
        if depth <= 0 || chance(25) { return chance(55) ? pick(Self.columns) : pick(Self.extremeLiterals) }
        let d = depth - 1
        switch number(0...13) {
        case 0, 1, 2: return "\(expression(d, aggregates: aggregates)) \(pick(Self.binaryOperators)) \(expression(d, aggregates: aggregates))"
        case 3: return "(\(expression(d, aggregates: aggregates)))"
        case 4: return "\(pick(["NOT ", "-", "+", "!"]))\(expression(d, aggregates: aggregates))"
        case 5: return "CAST(\(expression(d, aggregates: aggregates)) AS \(pick(Self.types)))"
        case 6:
            let operand = chance(30) ? " " + expression(d) : ""
            let branches = (0..<number(1...3)).map { _ in " WHEN \(expression(d)) THEN \(expression(d, aggregates: aggregates))" }
            return "CASE\(operand)\(branches.joined())\(chance(50) ? " ELSE " + expression(d, aggregates: aggregates) : "") END"
        case 7: return "\(expression(d)) \(chance(20) ? "NOT " : "")IN (\((0..<number(1...4)).map { _ in expression(d) }.joined(separator: ", ")))"
        case 8: return "\(expression(d)) \(chance(20) ? "NOT " : "")BETWEEN \(expression(d)) AND \(expression(d))"
        case 9: return "\(expression(d)) \(pick(["LIKE", "RLIKE", "NOT LIKE"])) \(pick(["'a%'", "'%'", "'_b'", "'(['", "'.*'", "s"]))"
        case 10: return "\(expression(d)) IS \(chance(50) ? "NOT " : "")NULL"
        case 11 where aggregates:
            let name = pick(["count", "sum", "avg", "min", "max", "count"])
            return "\(name)(\(chance(15) ? "DISTINCT " : "")\(chance(10) ? "*" : expression(d)))"
        default:
            let name = pick(CellSession.functionNames.filter { $0 != "window" })
            let arguments = (0..<number(0...3)).map { _ in chance(30) ? pick(Self.intervals + ["'yyyy-MM-dd'", "'HH'", "2", "-1"]) : expression(d) }
            return "\(name)(\(arguments.joined(separator: ", ")))"
        }
    }

    enum Kind: CaseIterable { case integer, double, boolean, string, timestamp }

    /// A random expression of `kind` at most `depth` levels deep: type-correct, so that most
    /// cases get past the planner into execution.
    mutating func typed(_ kind: Kind, _ depth: Int) -> String {
        let d = depth - 1
        if depth <= 0 || chance(25) {
            switch kind {
            case .integer: return chance(60) ? "n" : pick(["0", "1", "-1", "7", "2147483647", "-2147483648", "9223372036854775807", "-9223372036854775808", "NULL"])
            case .double: return chance(60) ? "d" : pick(["0.5", "-0.0", "1.0E308", "-1.7976931348623157E308", "4.9E-324", "1e-300", "CAST('NaN' AS DOUBLE)", "CAST('-Infinity' AS DOUBLE)", "NULL"])
            case .boolean: return chance(60) ? "b" : pick(["true", "false", "NULL"])
            case .string: return chance(60) ? pick(["s", "k"]) : pick(["''", "'a'", "'x'", "'%'", "'2024-01-01'", "'é😀'", "NULL", "'" + String(repeating: "q", count: 1000) + "'"])
            case .timestamp: return chance(70) ? "ts" : pick(["CAST('2024-01-01 00:00:00' AS TIMESTAMP)", "to_timestamp(s)", "CAST('9999-12-31 23:59:59' AS TIMESTAMP)", "CAST(NULL AS TIMESTAMP)"])
            }
        }
        switch kind {
        case .integer:
            switch number(0...7) {
            case 0, 1: return "(\(typed(.integer, d)) \(pick(["+", "-", "*", "DIV"])) \(typed(.integer, d)))"
            case 2: return "abs(\(typed(.integer, d)))"
            case 3: return "length(\(typed(.string, d)))"
            case 4: return "\(pick(["year", "month", "day", "hour", "minute", "second"]))(\(typed(.timestamp, d)))"
            case 5: return "CAST(\(typed(pick([.double, .string, .integer]), d)) AS \(pick(["INT", "BIGINT"])))"
            case 6: return "CASE WHEN \(typed(.boolean, d)) THEN \(typed(.integer, d)) ELSE \(typed(.integer, d)) END"
            default: return "coalesce(\(typed(.integer, d)), \(typed(.integer, d)))"
            }
        case .double:
            switch number(0...5) {
            case 0, 1: return "(\(typed(pick([.double, .integer]), d)) \(pick(["+", "-", "*", "/"])) \(typed(.double, d)))"
            case 2: return "round(\(typed(.double, d))\(chance(50) ? ", \(pick(["0", "2", "-2", "40"]))" : ""))"
            case 3: return "CAST(\(typed(pick([.string, .integer]), d)) AS \(pick(["DOUBLE", "FLOAT"])))"
            case 4: return "abs(\(typed(.double, d)))"
            default: return "CASE \(typed(.integer, d)) WHEN \(typed(.integer, d)) THEN \(typed(.double, d)) END"
            }
        case .boolean:
            switch number(0...7) {
            case 0: let k = pick(Kind.allCases); return "\(typed(k, d)) \(pick(["=", "<>", "<", ">=", "<=>"])) \(typed(k, d))"
            case 1: return "(\(typed(.boolean, d)) \(pick(["AND", "OR"])) \(typed(.boolean, d)))"
            case 2: return "NOT \(typed(.boolean, d))"
            case 3: let k = pick(Kind.allCases); return "\(typed(k, d)) IN (\(typed(k, d)), \(typed(k, d)))"
            case 4: let k = pick([Kind.integer, .double, .string]); return "\(typed(k, d)) BETWEEN \(typed(k, d)) AND \(typed(k, d))"
            case 5: return "\(typed(.string, d)) \(pick(["LIKE", "RLIKE"])) \(pick(["'a%'", "'%'", "'_'", "'.*'", "'^x$'"]))"
            case 6: return "\(typed(pick(Kind.allCases), d)) IS \(chance(50) ? "NOT " : "")NULL"
            default: return "CASE WHEN \(typed(.boolean, d)) THEN \(typed(.boolean, d)) END"
            }
        case .string:
            switch number(0...7) {
            case 0: return "concat(\(typed(.string, d)), \(typed(pick(Kind.allCases), d)))"
            case 1: return "(\(typed(.string, d)) || \(typed(.string, d)))"
            case 2: return "\(pick(["upper", "lower", "trim", "ltrim", "rtrim"]))(\(typed(.string, d)))"
            case 3: return "substring(\(typed(.string, d)), \(typed(.integer, d))\(chance(50) ? ", " + typed(.integer, d) : ""))"
            case 4: return "\(pick(["translate", "replace"]))(\(typed(.string, d)), \(pick(["'a'", "'$,'", "''"])), \(pick(["'b'", "''"])))"
            case 5: return "regexp_replace(\(typed(.string, d)), \(pick(["'a+'", "'.'", "'^'"])), 'z')"
            case 6: return "date_format(\(typed(.timestamp, d)), \(pick(["'yyyy-MM-dd'", "'HH:mm:ss.SSS'", "'EEE'", "'y'"])))"
            default: return "CAST(\(typed(pick(Kind.allCases), d)) AS STRING)"
            }
        case .timestamp:
            switch number(0...2) {
            case 0: return "to_timestamp(\(typed(.string, d)))"
            case 1: return "CAST(\(typed(.string, d)) AS TIMESTAMP)"
            default: return "coalesce(\(typed(.timestamp, d)), ts)"
            }
        }
    }

    /// A type-correct aggregate.
    mutating func typedAggregate(_ depth: Int) -> String {
        switch number(0...6) {
        case 0: return "count(*)"
        case 1: return "count(\(chance(40) ? "DISTINCT " : "")\(typed(pick(Kind.allCases), depth)))"
        case 2: return "sum(\(typed(pick([.integer, .double]), depth)))"
        case 3: return "avg(\(typed(pick([.integer, .double]), depth)))"
        case 4: return "\(pick(["min", "max"]))(\(typed(pick(Kind.allCases), depth)))"
        case 5: return "(\(pick(["sum", "max", "min"]))(\(typed(.integer, depth))) \(pick(["+", "*", "-"])) \(pick(["1", "count(*)", "9223372036854775807"])))"
        default: return "count(DISTINCT \(pick(["s", "k", "n", "ts", "b", "d"])))"
        }
    }

    /// A CREATE VIEW and a START of it, type-correct from the grammar: the cases that reach
    /// aggregation and output.
    mutating func typedViewAndStart() -> String {
        var select: [String] = []
        var groupBy: [String] = []
        let grouped = chance(65)
        if grouped {
            if chance(40) {
                let window = "window(ts, \(pick(Self.windowShapes)))"
                groupBy.append(window)
                select.append("\(window).\(pick(["start", "end"])) AS w")
            }
            for key in 0..<number(0...2) {
                let e = chance(50) ? pick(["k", "s", "b", "n", "ts", "d"]) : typed(pick(Kind.allCases), 2)
                groupBy.append(e)
                select.append("\(e) AS g\(key)")
            }
            for a in 0..<number(1...3) { select.append("\(typedAggregate(2)) AS a\(a)") }
        } else {
            select = (0..<number(1...4)).map { "\(typed(pick(Kind.allCases), 4)) AS c\($0)" }
        }
        var view = "CREATE VIEW v AS SELECT \(select.joined(separator: ", ")) FROM e"
        if chance(50) { view += " WHERE \(typed(.boolean, 3))" }
        if grouped, !groupBy.isEmpty { view += " GROUP BY \(groupBy.joined(separator: ", "))" }
        if grouped, chance(30) { view += " HAVING \(pick(["count(*) > 1", "sum(n) IS NOT NULL", "NULL", "max(d) < 0", "min(s) = 'a'"]))" }
        if grouped, chance(15) { view += " ORDER BY \(pick(["1", "a0"]))\(pick(["", " DESC"]))" }
        if grouped, chance(10) { view += " LIMIT \(pick(["0", "1", "5"]))" }
        let mode = grouped ? pick(["complete", "update"]) : "append"
        return view + ";\nSTART v OUTPUT MODE \(mode) TRIGGER AVAILABLE NOW;\n" + (chance(20) ? "SELECT * FROM v;\n" : "")
    }

    /// A CREATE VIEW and a START of it, from the grammar.
    mutating func viewAndStart() -> String {
        var select: [String] = []
        var groupBy: [String] = []
        let grouped = chance(60)
        var window: String?
        if grouped {
            if chance(40) {
                window = "window(\(pick(["ts", "ts", "s", "n", "CAST(n AS TIMESTAMP)"])), \(pick(Self.windowShapes + Self.wrongWindowShapes)))"
                groupBy.append(window!)
                select.append("\(window!).\(pick(["start", "end"])) AS w")
            }
            for key in 0..<number(0...2) {
                let e = chance(60) ? pick(["k", "s", "b", "n"]) : expression(2)
                groupBy.append(e)
                select.append("\(e) AS g\(key)")
            }
            for a in 0..<number(1...3) { select.append("\(expression(3, aggregates: true)) AS a\(a)") }
        } else {
            select = (0..<number(1...4)).map { "\(expression(4)) AS c\($0)" }
            if chance(10) { select = ["*"] }
        }
        var view = "CREATE \(chance(10) ? "OR REPLACE " : "")VIEW v AS SELECT \(select.joined(separator: ", ")) FROM \(chance(95) ? "e" : "nope")"
        if chance(50) { view += " WHERE \(expression(4))" }
        if grouped, !groupBy.isEmpty || chance(30) { view += " GROUP BY \(groupBy.joined(separator: ", "))" }
        if grouped, chance(30) { view += " HAVING \(expression(3, aggregates: true))" }
        if chance(15) { view += " ORDER BY \(pick(["1", "2", "a0", "c0", "g0", "w", "0", "99"]))\(pick(["", " DESC", " ASC NULLS LAST"]))" }
        if chance(15) { view += " LIMIT \(pick(["0", "1", "5", "-1", "9223372036854775807"]))" }
        let mode = grouped ? pick(["complete", "update", "append", "complete"]) : pick(["append", "append", "update", "complete"])
        var start = "START v OUTPUT MODE \(mode) TRIGGER \(pick(["ONCE", "AVAILABLE NOW", "'1 second'", "'0 seconds'"]))"
        if chance(10) { start += " USING console OPTIONS ('numRows' = '\(pick(["1", "0", "-5", "100000"]))', 'truncate' = '\(pick(["true", "false", "x"]))')" }
        if chance(5) { start += " IN BACKGROUND" }
        return view + ";\n" + start + ";\n" + (chance(30) ? "SELECT * FROM v;\nSHOW VIEWS;\nDESCRIBE v;\n" : "")
    }

    /// A stream definition with random columns, computed columns and watermark.
    mutating func stream() -> String {
        var columns = ["n BIGINT", "d DOUBLE", "s STRING", "b BOOLEAN", "ts TIMESTAMP", "k STRING"]
        if chance(20) { columns.append("x \(pick(Self.types))") }
        if chance(20) { columns.append("c AS \(expression(3))") }
        if chance(10) { columns.shuffle(using: &random) }
        var text = "CREATE STREAM e FROM f FORMAT json SCHEMA (\(columns.joined(separator: ", ")))"
        if chance(25) { text += " WATERMARK \(pick(["ts", "ts", "s", "n"])) DELAY \(pick(Self.intervals))" }
        if chance(10) { text += " OPTIONS ('mode' = '\(pick(["PERMISSIVE", "DROPMALFORMED", "FAILFAST", "bogus"]))')" }
        return text + ";\n"
    }

    /// The shipped notebooks, read from files, pointed at the data file instead of Kafka.
    static func notebooks(dataFile: String) -> [String] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("notebooks")
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".cells") }.sorted()
        return files.compactMap { name in
            guard var text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else { return nil }
            // A Kafka source becomes the data file; a Kafka sink becomes the console.
            text = text.replacingOccurrences(
                of: #"USING kafka OPTIONS \([^;]*?'subscribe'[^;]*?\);"#,
                with: "USING file OPTIONS ('path' = '\(dataFile)');", options: .regularExpression)
            text = text.replacingOccurrences(of: #"USING kafka OPTIONS \([^;]*?\);"#, with: "USING console;", options: .regularExpression)
            text = text.replacingOccurrences(of: "TRIGGER '5 seconds'", with: "TRIGGER AVAILABLE NOW")
            return text
        }
    }

    /// `text` with a few random byte- or token-level changes.
    mutating func mutate(_ text: String) -> String {
        var tokens = Self.split(text)
        guard !tokens.isEmpty else { return text }
        for _ in 0..<number(1...4) {
            let i = number(0...(tokens.count - 1))
            switch number(0...9) {
            case 0: tokens.remove(at: i)
            case 1: tokens.insert(tokens[i], at: i)
            case 2: tokens.swapAt(i, number(0...(tokens.count - 1)))
            case 3: tokens.insert(" " + pick(Self.keywords) + " ", at: i)
            case 4: tokens.insert(" " + pick(Self.extremeLiterals) + " ", at: i)
            case 5: tokens.insert(" " + pick(Self.binaryOperators) + " ", at: i)
            case 6:
                // Deep nesting around a token, past or just under the parser's limit.
                let depth = pick([50, SQLParser.maximumExpressionDepth - 2, SQLParser.maximumExpressionDepth + 1, 3000])
                let (open, close) = pick([("(", ")"), ("abs(", ")"), ("NOT ", ""), ("- ", ""), ("CAST(", " AS BIGINT)")])
                tokens[i] = String(repeating: open, count: depth) + tokens[i] + String(repeating: close, count: depth)
            case 7: tokens[i] = " " + expression(3) + " "
            case 8:
                // A byte-level change: a character dropped, doubled or replaced.
                var scalars = Array(tokens[i].unicodeScalars)
                if !scalars.isEmpty {
                    let j = number(0...(scalars.count - 1))
                    switch number(0...2) {
                    case 0: scalars.remove(at: j)
                    case 1: scalars.insert(scalars[j], at: j)
                    default: scalars[j] = pick(["'", "\"", "`", "(", ")", ";", "\n", "\\", "$", "{", "\u{0}", "é", "\u{FFFD}", "-"].flatMap(\.unicodeScalars))
                    }
                }
                tokens[i] = String(String.UnicodeScalarView(scalars))
            default: tokens.insert(" " + String(repeating: pick(["a + ", "b AND ", "s || "]), count: pick([10, 200, 5000])) + "n ", at: i)
            }
        }
        return tokens.joined()
    }

    /// Words, spaces and single punctuation characters, so that joining them gives the text back.
    static func split(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        func flush() { if !current.isEmpty { tokens.append(current); current = "" } }
        for c in text {
            if c.isLetter || c.isNumber || c == "_" { current.append(c) } else { flush(); tokens.append(String(c)) }
        }
        flush()
        return tokens
    }

    /// The `index`th script of a run.
    mutating func script(_ index: Int, notebooks: [String]) -> String {
        let preamble = "CREATE SOURCE f USING file OPTIONS ('path' = '\(dataFile)');\n"
        let plain = "CREATE STREAM e FROM f FORMAT json SCHEMA (n BIGINT, d DOUBLE, s STRING, b BOOLEAN, ts TIMESTAMP, k STRING)"
            + (chance(30) ? " WATERMARK ts DELAY '1 minute'" : "") + ";\n"
        switch index % 6 {
        case 0, 1: return preamble + plain + typedViewAndStart()
        case 2: return preamble + stream() + viewAndStart()
        case 3: return mutate(preamble + plain + (chance(50) ? typedViewAndStart() : viewAndStart()))
        case 4: return notebooks.isEmpty ? preamble + stream() + viewAndStart() : mutate(pick(notebooks))
        default: return preamble + (chance(80) ? plain : mutate(stream())) + mutate(typedViewAndStart())
        }
    }
}
