@testable import CellKernel
import Foundation
import Testing

private func bindError(_ text: String) -> String? {
    do { _ = try sql(text, ("s", .string, [.string("x")])); return nil } catch { return "\(error)" }
}

@Suite struct HostileArgumentTests {
    // Before: `'aaaaaaaaaaaaaaaaaaaa!' RLIKE '(a+)+$'` ran 210 s for one row (Swift's Regex backtracks
    // exponentially and has no step limit or cancellation), and a stop could not reach it.
    @Test(arguments: ["(a+)+$", "(a*)*b", "(?:a+)+", "(x+x+)+y", "((ab)*c)+", "(a+){2,}", "(\\w+\\s?)*$", "([a-z]+)*!", "(.*a){20}", "^(.*?,){11}x"])
    func nestedRepetitionIsRefusedAtThePattern(pattern: String) {
        let rlike = bindError("s RLIKE '\(pattern.replacingOccurrences(of: "\\", with: "\\\\"))'")
        #expect(rlike?.contains("repeats a group that itself repeats") == true, "\(pattern): \(rlike ?? "accepted")")
        let replace = bindError("regexp_replace(s, '\(pattern.replacingOccurrences(of: "\\", with: "\\\\"))', '')")
        #expect(replace?.contains("repeats a group that itself repeats") == true, "\(pattern): \(replace ?? "accepted")")
    }

    @Test(arguments: ["(ab)+", "(a|b)*c", "a+b+", "[(a+)]+", "\\(a+\\)+", "(a+)?", "(a+){1}", "(a+)b+", "(\\d{2})+", "(a+){3}", "(\\d+\\.){3}\\d+", "(\\d{1,3}\\.){3}\\d{1,3}", "(ab){100}", "x{2,3}", "\\Q(a+)+\\E"])
    func ordinaryRepetitionIsAccepted(pattern: String) {
        #expect(RegexGuard.nestedRepetition(in: pattern) == nil, "\(pattern)")
    }

    @Test func catastrophicInputIsFastWithAnAcceptedEquivalent() throws {
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let v = try sql("s RLIKE 'a+$'", ("s", .string, [.string(String(repeating: "a", count: 30) + "!")]))
            #expect(v == [.bool(false)])
        }
        #expect(elapsed < .seconds(2))
    }
}

/// Every function with extreme arguments: each must give a value or NULL, never trap.
@Suite struct HostileArgumentSweepTests {
    static let expressions: [String] = [
        "substring(s, -9223372036854775808, 9223372036854775807)", "substring(s, 9223372036854775807, -9223372036854775808)",
        "substring(s, -2147483648, 2147483647)", "substring(s, 2147483647, 2147483647)", "substring(s, 0, -1)",
        "substring(s, d, d)", "substring(s, i)", "substring(s, -2147483647)",
        "round(d, 2147483647)", "round(d, -2147483648)", "round(d, 9223372036854775807)", "round(d, -9223372036854775808)",
        "round(i, -9223372036854775808)", "round(i, 9223372036854775807)", "round(i, -19)", "round(i, -18)",
        "round(1e308, -308)", "round(CAST(1 AS DECIMAL(38,0)), -9223372036854775808)", "round(CAST(1 AS DECIMAL(38,0)), 9223372036854775807)",
        "abs(i)", "abs(d)", "abs(CAST(i AS INT))", "i div 0", "i div -1", "d div 0", "i % -1", "i % 0", "-i", "i * i", "i + i", "i - i",
        "translate(s, s, '')", "translate(s, '', s)", "replace(s, '', 'x')", "replace(s, s, s)", "regexp_replace(s, '', 'x')",
        "regexp_replace(s, 'a', '$9')", "regexp_replace(s, '(a)', '\\\\')", "regexp_replace(s, '(a)', '${x}')",
        "concat(s, s, s)", "upper(s)", "lower(s)", "trim(s)", "length(s)", "s LIKE '%a%a%a%a%a%a%b'", "s LIKE '\\\\'",
        "s RLIKE '^$'", "to_timestamp(s)", "to_date(s)", "to_timestamp(s, s)", "to_timestamp(d)", "to_timestamp(i)",
        "to_timestamp(s, 'yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy')", "to_timestamp(s, 'SSSSSSSSSSSSSSSSSSSSSSSS')", "to_timestamp(s, '''unterminated')",
        "to_date(s, 'QQQ xx ZZ')", "date_format(to_timestamp(i), 'yyyyyyyyyyyyyyyyyyyyyyyyyyyy')", "date_format(to_timestamp(i), 'SSSSSSSSSSSSSSSSSSS')",
        "date_format(to_timestamp(i), 'EEEE MMMM a hh ''q')", "date_format(to_timestamp(i), 'QqzZXxVvGuwWkKn')", "date_format(s, 'yyyy')",
        "year(to_timestamp(i))", "month(to_timestamp(d))", "second(to_timestamp(i))", "hour(to_date(s))",
        "CAST(s AS INT)", "CAST(s AS DOUBLE)", "CAST(s AS DECIMAL(38, 10))", "CAST(d AS DECIMAL(38, 0))", "CAST(d AS BIGINT)", "CAST(d AS INT)",
        "CAST(i AS TIMESTAMP)", "CAST(d AS TIMESTAMP)", "CAST(s AS TIMESTAMP)", "CAST(s AS DATE)", "CAST(CAST(i AS TIMESTAMP) AS STRING)",
        "CAST(CAST(i AS DATE) AS STRING)", "CAST(d AS STRING)", "coalesce(s, NULL)", "nvl(NULL, i)",
    ]
    static let strings: [Value] = [
        .string(""), .string(String(repeating: "a", count: 1 << 20)), .string("a\u{0}b\n\"'\\"), .string("\u{FFFD}\u{10FFFF}"),
        .string(String(decoding: [0x61, 0xC3, 0x28, 0xFF, 0xED, 0xA0, 0x80], as: UTF8.self)), .string("-9223372036854775809"),
        .string("1e400"), .string("NaN"), .string("-Infinity"), .string("294248-01-01"), .string("-290308-12-21 19:59:05.224192"), .null,
    ]
    static let doubles: [Value] = [.double(.nan), .double(.infinity), .double(-.infinity), .double(1e308), .double(-0.0), .double(.leastNonzeroMagnitude),
                                   .double(9.223372036854775807e18), .double(-9.3e18), .double(2.5), .double(-2.5), .double(0), .null]
    static let ints: [Value] = [.int(.min), .int(.max), .int(0), .int(-1), .int(1), .int(Int64(Int32.min)), .int(Int64(Int32.max)),
                                .int(Int64(Int32.max) + 1), .int(253_402_300_800_000_000), .int(-1), .int(86_400), .null]

    @Test(arguments: expressions)
    func noTrap(expression: String) throws {
        let binder = Binder(columns: [Binder.Column(name: "s", type: .string), Binder.Column(name: "d", type: .double),
                                      Binder.Column(name: "i", type: .bigint)])
        let bound: BoundExpression
        do { bound = try binder.bind(try SQLParser.parseExpression(expression)) } catch { return }  // a statement error is fine
        let data = [column(.string, Self.strings), column(.double, Self.doubles), column(.bigint, Self.ints)]
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = Evaluator.evaluate(bound, columns: data, count: Self.strings.count) }
        #expect(elapsed < .seconds(10), "\(expression) took \(elapsed)")
    }
}
