@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

// DECIMAL as Spark 3 computes it (non-ANSI, spark.sql.decimalOperations.allowPrecisionLoss on):
// result types by Spark's rules, values exact, rounded HALF_UP, NULL when they overflow.

/// Binds and evaluates `text` over columns; the result's type and its rows as Spark's text.
private func evaluate(_ text: String, _ columns: (String, SQLType, [Value])...) throws -> (SQLType, [String]) {
    let (type, out) = try evaluateSQL(text, over: columns)
    return (type, (0..<out.count).map { out.isNull($0) ? "NULL" : Cast.text(out, $0) })
}


/// Runs python3's `decimal` module (an independent exact implementation) over `input`.
private func python(_ script: String, input: String) throws -> [String] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script]
    let stdin = Pipe(), stdout = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let data = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
}

/// Spark's result type and value for `a op b`, written from Spark's DecimalPrecision rules and
/// computed exactly by Python's decimal module.
private let sparkDecimalScript = #"""
import sys
from decimal import Decimal, getcontext, ROUND_HALF_UP, ROUND_DOWN
getcontext().prec = 400
getcontext().rounding = ROUND_DOWN
getcontext().Emax = 999999
getcontext().Emin = -999999
def adjust(p, s):
    if p <= 38: return (max(p, 1), s)
    i = p - s
    return (38, max(38 - i, min(s, 6)))
for line in sys.stdin:
    op, p1, s1, a, p2, s2, b = line.split()
    p1, s1, p2, s2 = int(p1), int(s1), int(p2), int(s2)
    x = Decimal(a).scaleb(-s1); y = Decimal(b).scaleb(-s2)
    if op == '+': p, s = adjust(max(p1 - s1, p2 - s2) + max(s1, s2) + 1, max(s1, s2)); r = x + y
    elif op == '-': p, s = adjust(max(p1 - s1, p2 - s2) + max(s1, s2) + 1, max(s1, s2)); r = x - y
    elif op == '*': p, s = adjust(p1 + p2 + 1, s1 + s2); r = x * y
    elif op == '/':
        sc = max(6, s1 + p2 + 1); p, s = adjust(p1 - s1 + s2 + sc, sc); r = None if y == 0 else x / y
    else:
        p, s = adjust(min(p1 - s1, p2 - s2) + max(s1, s2), max(s1, s2)); r = None if y == 0 else x % y
    if r is None: print(f"DECIMAL({p},{s}) NULL"); continue
    q = r.quantize(Decimal(1).scaleb(-s), rounding=ROUND_HALF_UP)
    if q == 0: q = abs(q)  # BigDecimal has no negative zero
    if abs(q) >= Decimal(10) ** (p - s): print(f"DECIMAL({p},{s}) NULL"); continue
    print(f"DECIMAL({p},{s}) {q:f}")
"""#

@Suite struct DecimalTests {
    @Test func literalsAreTypedAsSpark() throws {
        #expect(try evaluate("1.5").0 == .decimal(precision: 2, scale: 1))
        #expect(try evaluate("1.5e0").0 == .double)
        #expect(try evaluate("0.05").0 == .decimal(precision: 2, scale: 2))
        #expect(try evaluate("100.0").0 == .decimal(precision: 4, scale: 1))
        #expect(try evaluate("0.1 + 0.2") == (.decimal(precision: 2, scale: 1), ["0.3"]))
        #expect(try evaluate("12345678901234567890123456789012345678").0 == .decimal(precision: 38, scale: 0))
        #expect(try evaluate("1.5 * 2") == (.decimal(precision: 13, scale: 1), ["3.0"]))
        #expect(try evaluate("1.5 * 2.0e0").0 == .double)
        #expect(try evaluate("10.00 / 3") == (.decimal(precision: 15, scale: 13), ["3.3333333333333"]))
    }

    @Test func thirtyEightDigitsAreExact() throws {
        let big = "99999999999999999999999999999999999999"
        #expect(try evaluate("CAST('\(big)' AS DECIMAL(38,0))").1 == [big])
        #expect(try evaluate("CAST('\(big)' AS DECIMAL(38,0)) + 1").1 == ["NULL"], "past 38 digits is NULL (non-ANSI)")
        #expect(try evaluate("CAST('\(big)' AS DECIMAL(38,0)) - 1").1 == ["99999999999999999999999999999999999998"])
        #expect(try evaluate("-CAST('-\(big)' AS DECIMAL(38,0))").1 == [big])
        // DECIMAL(38,10) × DECIMAL(10,0) is DECIMAL(49,10), adjusted to DECIMAL(38,6): rounded HALF_UP.
        #expect(try evaluate("CAST('1234567890123456789.0123456789' AS DECIMAL(38,10)) * 10")
                == (.decimal(precision: 38, scale: 6), ["12345678901234567890.123457"]))
        #expect(try evaluate("CAST(CAST('0.1234567890123456789012345678901234567' AS DECIMAL(38,37)) AS STRING)").1
                == ["0.1234567890123456789012345678901234567"])
        #expect(try evaluate("CAST(CAST('12345678901234567890.5' AS DECIMAL(38,1)) AS BIGINT)").1 == ["-6101065172474983726"],
                "Decimal.toLong wraps, as Spark's")
        #expect(try evaluate("CAST('12345678901234567890.5' AS DECIMAL(38,1)) div 1").1 == ["-6101065172474983726"])
        #expect(try evaluate("CAST(CAST('123.456' AS DECIMAL(38,3)) AS DOUBLE)").1 == ["123.456"])
        #expect(try evaluate("abs(CAST('-\(big)' AS DECIMAL(38,0)))").1 == [big])
        #expect(try evaluate("round(CAST('2.345' AS DECIMAL(38,3)), 2)") == (.decimal(precision: 38, scale: 2), ["2.35"]))
        #expect(try evaluate("CAST('\(big)' AS DECIMAL(38,0)) > CAST('\(big.dropLast())' AS DECIMAL(38,0))").1 == ["true"])
        #expect(try evaluate("CAST('1.10' AS DECIMAL(5,2)) = 1.1").1 == ["true"])
    }

    @Test func arithmeticMatchesAnExactImplementation() throws {
        var random = CellsRandom(seed: 20_261_201)
        func value(_ p: Int) -> Int128 {
            let digits = Int.random(in: 1...p, using: &random)
            var v: Int128 = 0
            for _ in 0..<digits { v = v * 10 + Int128(Int.random(in: 0...9, using: &random)) }
            // Many at the very top of the precision, where results overflow.
            if Int.random(in: 0..<4, using: &random) == 0 { v = DecimalArithmetic.powerOfTen(p) - 1 - Int128(Int.random(in: 0...3, using: &random)) }
            return Bool.random(using: &random) ? -v : v
        }
        var cases: [(op: String, p1: Int, s1: Int, a: Int128, p2: Int, s2: Int, b: Int128)] = []
        for _ in 0..<3000 {
            let p1 = [1, 5, 10, 18, 19, 20, 28, 37, 38].randomElement(using: &random)!
            let p2 = [1, 5, 10, 18, 19, 20, 28, 37, 38].randomElement(using: &random)!
            let s1 = Int.random(in: 0...p1, using: &random), s2 = Int.random(in: 0...p2, using: &random)
            let op = ["+", "-", "*", "/", "%"].randomElement(using: &random)!
            cases.append((op, p1, s1, value(p1), p2, s2, Int.random(in: 0..<20, using: &random) == 0 ? 0 : value(p2)))
        }
        let expected = try python(sparkDecimalScript, input: cases.map { "\($0.op) \($0.p1) \($0.s1) \($0.a) \($0.p2) \($0.s2) \($0.b)" }
            .joined(separator: "\n") + "\n")
        try #require(expected.count == cases.count, "python3 answered every case")
        var failures: [String] = []
        for (c, want) in zip(cases, expected) {
            let (type, rows) = try evaluate("a \(c.op) b", ("a", .decimal(precision: c.p1, scale: c.s1), [.decimal(c.a)]),
                                            ("b", .decimal(precision: c.p2, scale: c.s2), [.decimal(c.b)]))
            let got = "\(type) \(rows[0])"
            if got != want { failures.append("DECIMAL(\(c.p1),\(c.s1)) \(c.a) \(c.op) DECIMAL(\(c.p2),\(c.s2)) \(c.b): \(got), want \(want)") }
        }
        #expect(failures.isEmpty, "\(failures.count) of \(cases.count) differ: \(failures.prefix(5))")
    }

    @Test func decimalsInConditionalsAndLists() throws {
        let d = ("d", SQLType.decimal(precision: 5, scale: 2), [Value.decimal(150), .null, .decimal(-99_999)])
        #expect(try evaluate("d IN (1.5, 2)", d).1 == ["true", "NULL", "false"])
        #expect(try evaluate("coalesce(d, 0)", d) == (.decimal(precision: 12, scale: 2), ["1.50", "0.00", "-999.99"]))
        #expect(try evaluate("CASE WHEN d > 0 THEN d ELSE 0.125 END", d) == (.decimal(precision: 6, scale: 3), ["1.500", "0.125", "0.125"]))
        #expect(try evaluate("d BETWEEN 1 AND 2", d).1 == ["true", "NULL", "false"])
        #expect(try evaluate("d * 1.0e0", d) == (.double, ["1.5", "NULL", "-999.99"]))
    }

    @Test func orderByDecimal() {
        let d = column(.decimal(precision: 38, scale: 2), [.decimal(5), .decimal(-DecimalArithmetic.powerOfTen(37)), .null, .decimal(DecimalArithmetic.powerOfTen(37))])
        let sorted = SortOperator.sorted([d], by: [SortKey(column: 0, ascending: true, nullsFirst: true)], limit: nil)
        #expect(sorted[0].values == [.null, .decimal(-DecimalArithmetic.powerOfTen(37)), .decimal(5), .decimal(DecimalArithmetic.powerOfTen(37))])
    }

    @Test func integersMeetDecimalsAsSparkDecimals() throws {
        // INT is DECIMAL(10,0), BIGINT DECIMAL(20,0) against a DECIMAL.
        let (type, rows) = try evaluate("d + n", ("d", .decimal(precision: 38, scale: 2), [.decimal(1)]), ("n", .bigint, [.int(.max)]))
        #expect(type == .decimal(precision: 38, scale: 2))
        #expect(rows == ["9223372036854775807.01"])
        #expect(try evaluate("d * n", ("d", .decimal(precision: 10, scale: 2), [.decimal(-150)]), ("n", .int, [.int(Int64(Int32.min))]))
                == (.decimal(precision: 21, scale: 2), ["3221225472.00"]))
    }
}

/// Sums and averages of DECIMAL over a real file stream: exact where Spark is, NULL on overflow.
@Suite struct DecimalAggregationTests {
    private func run(_ schema: String, _ select: String, _ lines: [String]) throws -> [[String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-dec-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (\(schema));
            CREATE VIEW v AS \(select);
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE complete")
        _ = try query.runBatch()
        query.stop()
        // Each value as Spark prints it (a DECIMAL with its scale).
        guard let table = session.table("v") else { return [] }
        return (0..<table.count).map { row in table.columns.map { $0.isNull(row) ? "NULL" : Cast.text($0, row) } }.sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
    }

    @Test func sumOfDecimal18DoesNotWrap() throws {
        // 20 × 999999999999999999 = 19999999999999999980: DECIMAL(28,0), past Int64.
        let rows = try run("k STRING, d DECIMAL(18,0)", "SELECT k, sum(d) AS total FROM s GROUP BY k",
                           Array(repeating: #"{"k":"a","d":999999999999999999}"#, count: 20))
        #expect(rows == [["a", "19999999999999999980"]])
    }

    @Test func thirtyEightDigitFieldsDecodeExactly() throws {
        let rows = try run("k STRING, d DECIMAL(38,10)", "SELECT k, sum(d) AS total, avg(d) AS mean, min(d) AS lo, max(d) AS hi FROM s GROUP BY k", [
            #"{"k":"a","d":1234567890123456789012345678.9012345678}"#,
            #"{"k":"a","d":"-0.0000000001"}"#,
            #"{"k":"a","d":0.00000000005}"#,
        ])
        // 0.00000000005 rounds HALF_UP to 0.0000000001 at scale 10. avg is DECIMAL(38,14): the mean
        // has 27 integer digits, 41 with the scale, so it overflows to NULL as in Spark.
        #expect(rows == [["a", "1234567890123456789012345678.9012345678", "NULL",
                          "-0.0000000001", "1234567890123456789012345678.9012345678"]])
    }

    @Test func groupByDecimalKeys() throws {
        let big = String(repeating: "9", count: 38)
        let rows = try run("d DECIMAL(38,0)", "SELECT d, count(*) AS n FROM s GROUP BY d", [
            #"{"d":\#(big)}"#, #"{"d":-\#(big)}"#, #"{"d":\#(big)}"#, #"{"d":18446744073709551616}"#, #"{"d":0}"#, #"{"d":null}"#,
        ])
        #expect(rows == [["-\(big)", "1"], ["0", "1"], ["18446744073709551616", "1"], [big, "2"], ["NULL", "1"]])
    }

    @Test func sumOverflowIsNullAndAverageExact() throws {
        let nines = String(repeating: "9", count: 38)
        let rows = try run("k STRING, d DECIMAL(38,0)", "SELECT k, sum(d) AS total, count(*) AS n FROM s GROUP BY k", [
            #"{"k":"a","d":\#(nines)}"#, #"{"k":"a","d":1}"#, #"{"k":"b","d":\#(nines)}"#, #"{"k":"b","d":-1}"#,
        ])
        #expect(rows == [["a", "NULL", "2"], ["b", "99999999999999999999999999999999999998", "2"]])
        let averages = try run("k STRING, d DECIMAL(10,2)", "SELECT k, avg(d) AS mean FROM s GROUP BY k", [
            #"{"k":"a","d":1.00}"#, #"{"k":"a","d":2.00}"#, #"{"k":"a","d":2.00}"#,
        ])
        #expect(averages == [["a", "1.666667"]], "DECIMAL(14,6), HALF_UP")
    }
}

@Suite struct DecimalToDoubleTests {
    /// Every DECIMAL becomes the DOUBLE nearest its exact value, as Swift's own correctly
    /// rounded text parsing gives it, on the fast path (≤ 2^53, scale ≤ 22) and off it.
    @Test func nearestDouble() {
        var random = CellsRandom(seed: 7)
        for _ in 0..<2000 {
            let digits = Int.random(in: 1...38, using: &random)
            var v: Int128 = 0
            for _ in 0..<digits { v = v * 10 + Int128(Int.random(in: 0...9, using: &random)) }
            if Bool.random(using: &random) { v = -v }
            let scale = Int.random(in: 0...min(digits, 38), using: &random)
            #expect(DecimalArithmetic.double(v, scale: scale) == Double(DecimalArithmetic.text(v, scale: scale)), "\(v) scale \(scale)")
        }
        #expect(DecimalArithmetic.double(1, scale: 1) == 0.1)
        #expect(DecimalArithmetic.double(9_007_199_254_740_993, scale: 0) == 9_007_199_254_740_992)
    }
}
