@testable import CellKernel
import Testing

/// Builds a one-column batch.
func batch(_ name: String, _ type: SQLType, _ values: [Value]) -> Batch {
    var column = Column(type: type, capacity: values.count)
    values.forEach { column.append($0) }
    return Batch(schema: Schema([.init(name: name, type: type)]), columns: [column])
}

func call(_ f: ScalarFunction, _ args: BoundExpression..., type: SQLType) -> BoundExpression {
    .call(f, args, type)
}

@Suite struct EvaluatorTests {
    @Test func stringColumnAgainstAConstantMatchesColumnAgainstColumn() {
        let b = batch("s", .string, [.string("declined"), .string("declined!"), .string(""), .null, .string("approved"), .string("decline")])
        for op: ScalarFunction in [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual, .nullSafeEqual] {
            for text in ["declined", "", "zz"] {
                let constant = call(op, .column(0, .string), .literal(.string(text), .string), type: .boolean)
                // The same comparison with the constant as a column: the general path.
                let repeated = Batch(schema: Schema([.init(name: "s", type: .string), .init(name: "t", type: .string)]),
                                     columns: b.columns + [Column(repeating: .string(text), type: .string, count: b.count)])
                let general = call(op, .column(0, .string), .column(1, .string), type: .boolean)
                #expect(Evaluator.evaluate(constant, on: b).values == Evaluator.evaluate(general, on: repeated).values, "\(op) '\(text)'")
            }
        }
        let equal = call(.equal, .column(0, .string), .literal(.string("declined"), .string), type: .boolean)
        #expect(Evaluator.evaluate(equal, on: b).values == [.bool(true), .bool(false), .bool(false), .null, .bool(false), .bool(false)])
    }

    @Test func theOriginalNotebooksCast() {
        // avg(CAST(translate(value, '$,', '') AS FLOAT)): the price tags of the producer.
        let b = batch("value", .string, [.string("$5,067.41"), .string("$0.99"), .string("$12,345.00"), .null, .string("$abc")])
        let translated = call(.translate, .column(0, .string), .literal(.string("$,"), .string), .literal(.string(""), .string), type: .string)
        #expect(Evaluator.evaluate(translated, on: b).values == [.string("5067.41"), .string("0.99"), .string("12345.00"), .null, .string("abc")])
        let cast = call(.cast, translated, type: .float)
        // FLOAT keeps Float precision: 5067.41 is 5067.41015625 as a Float.
        #expect(Evaluator.evaluate(cast, on: b).values == [.double(Double(Float(5067.41))), .double(Double(Float(0.99))),
                                                           .double(12345), .null, .null])
    }

    /// Spark 3.5 compares a string with a number in the number's type (DOUBLE against a
    /// DECIMAL): '1.5' = 1 holds, since the string truncates to 1; 16-digit card numbers
    /// compare exactly, which as doubles they would not (2^53 + 1 rounds to 2^53).
    @Test func aStringComparesWithANumberInTheNumbersType() throws {
        let texts: (String, SQLType, [Value]) = ("s", .string, [.string("1.5"), .string("9007199254740993"), .string(" 7 "), .string("x"), .null])
        // Against an INT, a string past its range is NULL, as CAST(s AS INT) is.
        #expect(try sql("s = 1", texts) == [.bool(true), .null, .bool(false), .null, .null])
        #expect(try sql("s = 9007199254740992", texts) == [.bool(false), .bool(false), .bool(false), .null, .null])
        #expect(try sql("9007199254740993 = s", texts) == [.bool(false), .bool(true), .bool(false), .null, .null])
        #expect(try sql("s = 7", texts) == [.bool(false), .null, .bool(true), .null, .null])
        #expect(try sql("s = 1.5", texts) == [.bool(true), .bool(false), .bool(false), .null, .null], "against a DECIMAL: as DOUBLE")
        #expect(try sql("s > 1.0E0", texts) == [.bool(true), .bool(true), .bool(true), .null, .null])
    }

    @Test func castsFollowSparkNonANSIRules() {
        let s = batch("s", .string, [.string(" 42 "), .string("1.9"), .string("-7"), .string("x"), .string("9999999999"), .string("")])
        #expect(Evaluator.evaluate(call(.cast, .column(0, .string), type: .int), on: s).values
                == [.int(42), .int(1), .int(-7), .null, .null, .null])
        #expect(Evaluator.evaluate(call(.cast, .column(0, .string), type: .bigint), on: s).values[4] == .int(9_999_999_999))
        let d = batch("d", .string, [.string("1e3"), .string("NaN"), .string("-Infinity"), .string("2.5d"), .string("1.2.3")])
        #expect(Evaluator.evaluate(call(.cast, .column(0, .string), type: .double), on: d).values.map(\.description)
                == ["1000.0", "nan", "-inf", "2.5", "NULL"])
        let big = batch("x", .double, [.double(3e10), .double(-2.7), .double(.nan)])
        #expect(Evaluator.evaluate(call(.cast, .column(0, .double), type: .int), on: big).values == [.int(2_147_483_647), .int(-2), .int(0)])
        let b = batch("b", .string, [.string("yes"), .string("F"), .string("maybe")])
        #expect(Evaluator.evaluate(call(.cast, .column(0, .string), type: .boolean), on: b).values == [.bool(true), .bool(false), .null])
    }

    @Test func doublesPrintAsJavaDoes() {
        let cases: [(Double, String)] = [(1, "1.0"), (5067.41, "5067.41"), (0.001, "0.001"), (0.0001, "1.0E-4"),
                                         (1e7, "1.0E7"), (9999999, "9999999.0"), (-123.456, "-123.456"),
                                         (1.5e300, "1.5E300"), (0, "0.0")]
        for (value, text) in cases { #expect(JavaDouble.string(value) == text) }
        #expect(JavaDouble.string(Float(5067.41)) == "5067.41")
    }

    @Test func arithmeticAndDivisionByZero() {
        let two = Batch(schema: Schema([.init(name: "a", type: .bigint), .init(name: "b", type: .bigint)]),
                        columns: [Column(type: .bigint, data: .int64([7, 7, Int64.max])), Column(type: .bigint, data: .int64([2, 0, 1]))])
        #expect(Evaluator.evaluate(call(.remainder, .column(0, .bigint), .column(1, .bigint), type: .bigint), on: two).values == [.int(1), .null, .int(0)])
        #expect(Evaluator.evaluate(call(.add, .column(0, .bigint), .column(1, .bigint), type: .bigint), on: two).values[2] == .int(Int64.min))
        let asDouble = call(.divide, call(.cast, .column(0, .bigint), type: .double), call(.cast, .column(1, .bigint), type: .double), type: .double)
        #expect(Evaluator.evaluate(asDouble, on: two).values[0..<2] == [.double(3.5), .null])
    }

    @Test func threeValuedLogic() {
        let t = Value.bool(true), f = Value.bool(false), n = Value.null
        let left: [Value] = [t, t, t, f, f, f, n, n, n]
        let right: [Value] = [t, f, n, t, f, n, t, f, n]
        var a = Column(type: .boolean), b = Column(type: .boolean)
        left.forEach { a.append($0) }
        right.forEach { b.append($0) }
        let batch = Batch(schema: Schema([.init(name: "a", type: .boolean), .init(name: "b", type: .boolean)]), columns: [a, b])
        #expect(Evaluator.evaluate(call(.and, .column(0, .boolean), .column(1, .boolean), type: .boolean), on: batch).values
                == [t, f, n, f, f, f, n, f, n])
        #expect(Evaluator.evaluate(call(.or, .column(0, .boolean), .column(1, .boolean), type: .boolean), on: batch).values
                == [t, t, t, t, f, n, t, n, n])
        #expect(Evaluator.evaluate(call(.not, .column(0, .boolean), type: .boolean), on: batch).values == [f, f, f, t, t, t, n, n, n])
        #expect(Evaluator.evaluate(call(.nullSafeEqual, .column(0, .boolean), .column(1, .boolean), type: .boolean), on: batch).values
                == [t, f, f, f, t, f, f, f, t])
    }

    @Test func inListIsThreeValued() {
        let b = batch("x", .bigint, [.int(1), .int(5), .null])
        let withNull = call(.inList, .column(0, .bigint), .literal(.int(1), .bigint), .literal(.null, .bigint), type: .boolean)
        #expect(Evaluator.evaluate(withNull, on: b).values == [.bool(true), .null, .null])
        let plain = call(.inList, .column(0, .bigint), .literal(.int(1), .bigint), .literal(.int(2), .bigint), type: .boolean)
        #expect(Evaluator.evaluate(plain, on: b).values == [.bool(true), .bool(false), .null])
    }

    @Test func stringFunctions() {
        let b = batch("s", .string, [.string("Gateway"), .string("ação"), .null])
        #expect(Evaluator.evaluate(call(.upper, .column(0, .string), type: .string), on: b).values == [.string("GATEWAY"), .string("AÇÃO"), .null])
        #expect(Evaluator.evaluate(call(.length, .column(0, .string), type: .int), on: b).values == [.int(7), .int(4), .null])
        let translated = call(.translate, .column(0, .string), .literal(.string("ça"), .string), .literal(.string("cA"), .string), type: .string)
        #expect(Evaluator.evaluate(translated, on: b).values == [.string("GAtewAy"), .string("Acão"), .null])
        let concat = call(.concat, .column(0, .string), .literal(.string("!"), .string), type: .string)
        #expect(Evaluator.evaluate(concat, on: b).values == [.string("Gateway!"), .string("ação!"), .null])
        let replaced = call(.replace, .column(0, .string), .literal(.string("a"), .string), .literal(.string("4"), .string), type: .string)
        #expect(Evaluator.evaluate(replaced, on: b).values == [.string("G4tew4y"), .string("4ção"), .null])
    }

    @Test func timestampsAndWindows() throws {
        let micros = try #require(TimeText.parseTimestamp("2024-01-01T00:01:59.999Z"))
        #expect(TimeText.formatTimestamp(micros) == "2024-01-01 00:01:59.999")
        #expect(TimeText.parseTimestamp("2024-01-01 03:00:00-03:00") == TimeText.parseTimestamp("2024-01-01T06:00:00"))
        #expect(TimeText.parseTimestamp("2023-02-29") == nil)
        let b = batch("ts", .timestamp, [.int(micros), .int(-1)])
        let start = call(.windowStart(size: 60_000_000, offset: 0), .column(0, .timestamp), type: .timestamp)
        #expect(Evaluator.evaluate(start, on: b).values.map { Cast.text(Column(repeating: $0, type: .timestamp, count: 1), 0) }
                == ["2024-01-01 00:01:00", "1969-12-31 23:59:00"])
    }

    @Test func filterKeepsOnlyTrue() {
        let b = batch("x", .bigint, [.int(1), .null, .int(3), .int(-2)])
        let kept = b.filter(call(.greater, .column(0, .bigint), .literal(.int(0), .bigint), type: .boolean))
        #expect(kept.columns[0].values == [.int(1), .int(3)])
    }
}
