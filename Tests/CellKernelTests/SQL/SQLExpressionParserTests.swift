import Testing
@testable import CellKernel

@Suite struct SQLExpressionParserTests {
    @Test func precedenceFollowsSpark() throws {
        // a OR (b AND (NOT (c = (d + (e * f)))))
        let parsed = try SQLParsing.expression("a OR b AND NOT c = d + e * f")
        let expected: SQLExpression = .bin(.or, .col("a"), .bin(.and, .col("b"), .not(.bin(.equal, .col("c"), .bin(.add, .col("d"), .bin(.multiply, .col("e"), .col("f")))))))
        #expect(parsed == expected)
        #expect(parsed.sqlText == "(a OR (b AND (NOT (c = (d + (e * f))))))")
    }

    @Test func leftAssociativity() throws {
        #expect(try SQLParsing.expression("a - b - c") == .bin(.subtract, .bin(.subtract, .col("a"), .col("b")), .col("c")))
        #expect(try SQLParsing.expression("a / b * c % d DIV e") == .bin(.integerDivide, .bin(.remainder, .bin(.multiply, .bin(.divide, .col("a"), .col("b")), .col("c")), .col("d")), .col("e")))
        #expect(try SQLParsing.expression("a = b = c") == .bin(.equal, .bin(.equal, .col("a"), .col("b")), .col("c")))
    }

    @Test func concatSharesPrecedenceWithPlus() throws {
        #expect(try SQLParsing.expression("a || b + c") == .bin(.add, .bin(.concat, .col("a"), .col("b")), .col("c")))
        #expect(try SQLParsing.expression("a || b * c") == .bin(.concat, .col("a"), .bin(.multiply, .col("b"), .col("c"))))
    }

    @Test func parenthesesOverridePrecedence() throws {
        let parsed = try SQLParsing.expression("(a + b) * c")
        #expect(parsed == .bin(.multiply, .bin(.add, .col("a"), .col("b")), .col("c")))
        #expect(parsed.location.column == 1)
    }

    @Test func comparisonOperators() throws {
        let cases: [(String, BinaryOperator)] = [
            ("=", .equal), ("==", .equal), ("<>", .notEqual), ("!=", .notEqual), ("<", .lessThan),
            ("<=", .lessThanOrEqual), (">", .greaterThan), (">=", .greaterThanOrEqual), ("<=>", .nullSafeEqual),
        ]
        for (symbol, op) in cases {
            #expect(try SQLParsing.expression("a \(symbol) 1") == .bin(op, .col("a"), .int(1)), "\(symbol)")
        }
    }

    @Test func notBindsLooserThanComparisonAndTighterThanAnd() throws {
        #expect(try SQLParsing.expression("NOT a = 1 AND b") == .bin(.and, .not(.bin(.equal, .col("a"), .int(1))), .col("b")))
        #expect(try SQLParsing.expression("! a") == .not(.col("a")))
        #expect(try SQLParsing.expression("NOT NOT a") == .not(.not(.col("a"))))
    }

    @Test func betweenAndItsNegation() throws {
        #expect(try SQLParsing.expression("x BETWEEN 1 AND 10") == .of(.between(.col("x"), lower: .int(1), upper: .int(10), negated: false)))
        let negated = try SQLParsing.expression("x NOT BETWEEN a + 1 AND b AND y")
        #expect(negated == .bin(.and, .of(.between(.col("x"), lower: .bin(.add, .col("a"), .int(1)), upper: .col("b"), negated: true)), .col("y")))
    }

    @Test func inListAndItsNegation() throws {
        #expect(try SQLParsing.expression("x IN (1, 2, 3)") == .of(.inList(.col("x"), [.int(1), .int(2), .int(3)], negated: false)))
        #expect(try SQLParsing.expression("x NOT IN ('a')") == .of(.inList(.col("x"), [.str("a")], negated: true)))
    }

    @Test func likeRlikeAndNegations() throws {
        #expect(try SQLParsing.expression("name LIKE 'A%'") == .of(.like(.col("name"), pattern: .str("A%"), negated: false)))
        #expect(try SQLParsing.expression("name NOT LIKE 'A%'") == .of(.like(.col("name"), pattern: .str("A%"), negated: true)))
        #expect(try SQLParsing.expression("name RLIKE '^A'") == .of(.rlike(.col("name"), pattern: .str("^A"), negated: false)))
        #expect(try SQLParsing.expression("name NOT REGEXP '^A'") == .of(.rlike(.col("name"), pattern: .str("^A"), negated: true)))
    }

    @Test func isNullAndIsNotNull() throws {
        #expect(try SQLParsing.expression("a IS NULL") == .of(.isNull(.col("a"), negated: false)))
        #expect(try SQLParsing.expression("a + 1 IS NOT NULL") == .of(.isNull(.bin(.add, .col("a"), .int(1)), negated: true)))
    }

    @Test func caseSearchedForm() throws {
        let parsed = try SQLParsing.expression("CASE WHEN v > 100 THEN 'high' WHEN v > 10 THEN 'mid' ELSE 'low' END")
        let expected: SQLExpression = .of(.caseWhen(CaseWhen(
            operand: nil,
            branches: [
                WhenBranch(when: .bin(.greaterThan, .col("v"), .int(100)), then: .str("high")),
                WhenBranch(when: .bin(.greaterThan, .col("v"), .int(10)), then: .str("mid")),
            ],
            otherwise: .str("low"))))
        #expect(parsed == expected)
    }

    @Test func caseSimpleForm() throws {
        let parsed = try SQLParsing.expression("case bandeira when 'visa' then 1 when 'master' then 2 end")
        let expected: SQLExpression = .of(.caseWhen(CaseWhen(
            operand: .col("bandeira"),
            branches: [WhenBranch(when: .str("visa"), then: .int(1)), WhenBranch(when: .str("master"), then: .int(2))])))
        #expect(parsed == expected)
    }

    @Test func castToEveryType() throws {
        let cases: [(String, SQLType)] = [
            ("STRING", .string), ("BOOLEAN", .boolean), ("INT", .int), ("INTEGER", .int), ("BIGINT", .bigint),
            ("LONG", .bigint), ("FLOAT", .float), ("REAL", .float), ("DOUBLE", .double),
            ("DECIMAL", .decimal(precision: 10, scale: 0)), ("DECIMAL(10,2)", .decimal(precision: 10, scale: 2)),
            ("decimal(5)", .decimal(precision: 5, scale: 0)), ("NUMERIC(18, 4)", .decimal(precision: 18, scale: 4)),
            ("DATE", .date), ("TIMESTAMP", .timestamp), ("timestamp", .timestamp),
        ]
        for (name, type) in cases {
            #expect(try SQLParsing.expression("CAST(x AS \(name))") == .cast(.col("x"), as: type), "\(name)")
        }
    }

    @Test func functionCalls() throws {
        #expect(try SQLParsing.expression("COUNT(*)") == .call("COUNT", .int(1)))
        #expect(try SQLParsing.expression("count(DISTINCT card)") == .call("count", .col("card"), distinct: true))
        #expect(try SQLParsing.expression("now()") == .call("now"))
        #expect(try SQLParsing.expression("sum(*)") == .call("sum", .of(.star(qualifier: nil))))
        let nested = try SQLParsing.expression("to_timestamp(concat(dia_compra, ' ', horario_compra))")
        #expect(nested == .call("to_timestamp", .call("concat", .col("dia_compra"), .str(" "), .col("horario_compra"))))
        guard case .function(let function) = try SQLParsing.expression("AvG(x)").kind else {
            Issue.record("expected a call")
            return
        }
        #expect(function.name == "AvG")
        #expect(function.lowercasedName == "avg")
    }

    @Test func windowFieldsAndQualifiedColumns() throws {
        #expect(try SQLParsing.expression("window(event_time, '1 minute').start") == .field(.call("window", .col("event_time"), .str("1 minute")), "start"))
        #expect(try SQLParsing.expression("window(ts, '10 minutes', '5 minutes').end") == .field(.call("window", .col("ts"), .str("10 minutes"), .str("5 minutes")), "end"))
        #expect(try SQLParsing.expression("window.start") == .col("start", "window"))
        #expect(try SQLParsing.expression("t.`avg(valor)`") == .col("avg(valor)", "t"))
        #expect(try SQLParsing.expression("a.b.c") == .field(.col("b", "a"), "c"))
        #expect(try SQLParsing.expression("window") == .col("window"))
    }

    @Test func literals() throws {
        #expect(try SQLParsing.expression("TRUE") == .literal(.bool(true)))
        #expect(try SQLParsing.expression("false") == .literal(.bool(false)))
        #expect(try SQLParsing.expression("NULL") == .literal(.null))
        #expect(try SQLParsing.expression("42") == .int(42))
        #expect(try SQLParsing.expression("9223372036854775807") == .int(.max))
        #expect(try SQLParsing.expression("9223372036854775808") == .literal(.decimal("9223372036854775808")))
        #expect(try SQLParsing.expression("1234567890123456789012345678901234567890") == .literal(.double(1.2345678901234568e39)))
        #expect(try SQLParsing.expression("1.50") == .literal(.decimal("1.50")))
        #expect(try SQLParsing.expression("1e3") == .literal(.double(1000)))
        #expect(try SQLParsing.expression("10L") == .int(10))
        #expect(try SQLParsing.expression("\"double quoted\"") == .str("double quoted"))
    }

    @Test func minusBeforeANumberIsPartOfTheLiteral() throws {
        #expect(try SQLParsing.expression("-5") == .int(-5))
        #expect(try SQLParsing.expression("-9223372036854775808") == .int(.min))
        #expect(try SQLParsing.expression("-1.5") == .literal(.decimal("-1.5")))
        #expect(try SQLParsing.expression("- x") == .unary(.negate, .col("x")))
        #expect(try SQLParsing.expression("a - 5") == .bin(.subtract, .col("a"), .int(5)))
        #expect(try SQLParsing.expression("-2 * 3") == .bin(.multiply, .int(-2), .int(3)))
        #expect(try SQLParsing.expression("+x") == .unary(.plus, .col("x")))
    }

    @Test func locationsPointAtTheFirstCharacter() throws {
        let parsed = try SQLParsing.expression("  avg(CAST(value AS FLOAT)) + 1")
        #expect(parsed.location.description == "1:3")
        guard case .binary(_, let left, let right) = parsed.kind, case .function(let avg) = left.kind else {
            Issue.record("unexpected shape")
            return
        }
        #expect(right.location.description == "1:31")
        #expect(avg.arguments[0].location.description == "1:7")
        guard case .cast(let value, _) = avg.arguments[0].kind else {
            Issue.record("expected a cast")
            return
        }
        #expect(value.location.description == "1:12")
    }

    @Test func traversal() throws {
        let parsed = try SQLParsing.expression("sum(a) + count(b) * 2")
        #expect(parsed.children.count == 2)
        #expect(parsed.contains { if case .function(let f) = $0.kind { f.lowercasedName == "count" } else { false } })
        #expect(!parsed.contains { if case .column(_, "x") = $0.kind { true } else { false } })
    }

    @Test func samenessIgnoresLocationsAndCaseOfNames() throws {
        let a = try SQLParsing.expression("window(event_time, '1 minute')")
        let b = try SQLParsing.expression("   WINDOW(Event_Time,   '1 minute')")
        #expect(a.isSameExpression(as: b))
        #expect(a != b)  // names differ in case
        #expect(try SQLParsing.expression("f(x)") == SQLParsing.expression("\n  f( x )"))
        #expect(!a.isSameExpression(as: try SQLParsing.expression("window(event_time, '1 MINUTE')")))
        #expect(a.normalized.hashValue == b.normalized.hashValue)
    }
}
