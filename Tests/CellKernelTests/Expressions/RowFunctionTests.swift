@testable import CellKernel
import Foundation
import Testing

// Expected values are Spark 3.x results with spark.sql.ansi.enabled=false and a UTC session
// time zone. TIMESTAMPs are µs since the epoch, DATEs days since 1970-01-01.

/// Evaluates a row function over argument columns given as (type, values).
private func rowCall(_ function: RowFunction, _ args: (SQLType, [Value])..., type: SQLType) -> [Value] {
    let columns = args.map { column($0.0, $0.1) }
    let arguments = columns.indices.map { BoundExpression.column($0, columns[$0].type) }
    return Evaluator.evaluate(.call(.row(function), arguments, type), columns: columns, count: columns[0].count).values
}

/// Evaluates CAST of one column.
private func cast(_ type: SQLType, _ values: [Value], to target: SQLType) -> [Value] {
    Evaluator.evaluate(.call(.cast, [.column(0, type)], target), columns: [column(type, values)], count: values.count).values
}

private func strings(_ values: String?...) -> [Value] { values.map { $0.map(Value.string) ?? .null } }
private func ints(_ values: Int64?...) -> [Value] { values.map { $0.map(Value.int) ?? .null } }
private func bools(_ values: Bool?...) -> [Value] { values.map { $0.map(Value.bool) ?? .null } }

private let second: Int64 = 1_000_000
private let day: Int64 = 86_400 * second
/// 2024-01-01 12:34:56 UTC.
private let newYearNoon: Int64 = 1_704_112_496 * second
/// 2024-03-05 14:07:09.123456 UTC (a Tuesday).
private let marchFifth: Int64 = 1_709_647_629_123_456
/// 2024-01-01 as a DATE.
private let newYearDay: Int64 = 19_723

@Suite struct RowFunctionTests {
    // MARK: substring

    @Test func substringPositions() {
        let s = (SQLType.string, strings("Spark SQL", nil))
        func sub(_ pos: Int64, _ len: Int64? = nil) -> Value {
            if let len {
                return rowCall(.substring, s, (.int, ints(pos, pos)), (.int, ints(len, len)), type: .string)[0]
            }
            return rowCall(.substring, s, (.int, ints(pos, pos)), type: .string)[0]
        }
        #expect(sub(5) == .string("k SQL"))
        #expect(sub(5, 1) == .string("k"))
        #expect(sub(0, 3) == .string("Spa"))      // 0 acts as 1
        #expect(sub(1, 3) == .string("Spa"))
        #expect(sub(-3) == .string("SQL"))        // from the end
        #expect(sub(-3, 2) == .string("SQ"))
        #expect(sub(-10, 3) == .string("Sp"))     // starts before the beginning: the window is cut
        #expect(sub(-20, 3) == .string(""))
        #expect(sub(3, 100) == .string("ark SQL"))
        #expect(sub(3, 2_147_483_647) == .string("ark SQL"))
        #expect(sub(20) == .string(""))
        #expect(sub(2, -1) == .string(""))        // negative length
        #expect(sub(2, 0) == .string(""))
        // NULL in, NULL out, for every argument.
        #expect(rowCall(.substring, s, (.int, ints(1, 1)), type: .string)[1] == .null)
        #expect(rowCall(.substring, (.string, strings("abc")), (.int, ints(nil)), type: .string) == [.null])
        #expect(rowCall(.substring, (.string, strings("abc")), (.int, ints(1)), (.int, ints(nil)), type: .string) == [.null])
    }

    @Test func substringCountsCodePoints() {
        func sub(_ text: String, _ pos: Int64, _ len: Int64) -> Value {
            rowCall(.substring, (.string, strings(text)), (.int, ints(pos)), (.int, ints(len)), type: .string)[0]
        }
        #expect(sub("héllo wörld", 2, 4) == .string("éllo"))
        #expect(sub("héllo wörld", -5, 2) == .string("wö"))
        #expect(sub("a😀b", 2, 1) == .string("😀"))
        // Spark counts code points, not grapheme clusters: a combining accent is a character of
        // its own, and so is each half of CR LF.
        #expect(sub("e\u{301}x", 2, 1) == .string("\u{301}"))
        #expect(sub("a\r\nb", 3, 1) == .string("\n"))
    }

    @Test func substringThroughSQL() throws {
        let s = ("s", SQLType.string, strings("Spark SQL", nil))
        #expect(try sql("substring(s, 2, 3)", s) == strings("par", nil))
        #expect(try sql("substr(s, -3)", s) == strings("SQL", nil))
        #expect(try sql("substring(s, 0, 2)", s) == strings("Sp", nil))
        // Spark's substring takes INT positions: a BIGINT argument is cast to INT (wrapping).
        #expect(try sql("substring(s, 4294967298)", s) == strings("park SQL", nil))
        #expect(try sql("substring(s, NULL, 2)", s) == strings(nil, nil))
    }

    // MARK: trim

    @Test func trimRemovesSpacesOnly() {
        let s = (SQLType.string, strings("  a b  ", "\ta\t ", " \t", "", "   ", nil))
        #expect(rowCall(.trim, s, type: .string) == strings("a b", "\ta\t", "\t", "", "", nil))
        #expect(rowCall(.ltrim, s, type: .string) == strings("a b  ", "\ta\t ", "\t", "", "", nil))
        #expect(rowCall(.rtrim, s, type: .string) == strings("  a b", "\ta\t", " \t", "", "", nil))
        // Spark trims the space code point, even when a combining mark follows it.
        #expect(rowCall(.ltrim, (.string, strings(" \u{301}a")), type: .string) == strings("\u{301}a"))
    }

    @Test func trimThroughSQL() throws {
        let s = ("s", SQLType.string, strings("  x  ", nil))
        #expect(try sql("trim(s)", s) == strings("x", nil))
        #expect(try sql("ltrim(s)", s) == strings("x  ", nil))
        #expect(try sql("rtrim(s)", s) == strings("  x", nil))
    }

    // MARK: regexp_replace

    @Test func regexpReplace() {
        func replace(_ text: String?, _ pattern: String, _ replacement: String) -> Value {
            rowCall(.regexpReplace, (.string, strings(text)), (.string, strings(pattern)), (.string, strings(replacement)),
                    type: .string)[0]
        }
        #expect(replace("2024-01-15", #"(\d+)-(\d+)-(\d+)"#, "$3/$2/$1") == .string("15/01/2024"))
        #expect(replace("ab", "(a)(b)", "$2$1") == .string("ba"))           // adjacent group references
        #expect(replace("ab", "(a)(b)", "$2\\$") == .string("b$"))          // a reference, then an escape
        #expect(replace("a.b.c", #"\."#, "\\$") == .string("a$b$c"))        // \$ is a literal dollar
        #expect(replace("ab", "(a)", "$10") == .string("a0b"))              // Java: $1 then '0' (one group only)
        #expect(replace("b", "(a)?b", "[$1]") == .string("[]"))             // an unmatched group is empty
        #expect(replace("abc", "x", "y") == .string("abc"))                 // no match
        #expect(replace("", "x", "y") == .string(""))
        #expect(replace("", "x*", "y") == .string("y"))                     // Java: "".replaceAll("x*", "y")
        #expect(replace("abc", "x*", "-") == .string("-a-b-c-"))
        #expect(replace("aaa", "a", "") == .string(""))
        #expect(replace("john smith", "(?<first>\\w+) (?<last>\\w+)", "${last}, ${first}") == .string("smith, john"))
        #expect(replace(nil, "a", "b") == .null)
        #expect(rowCall(.regexpReplace, (.string, strings("a")), (.string, strings("a")), (.string, strings(nil)), type: .string) == [.null])
    }

    @Test func regexpReplaceThroughSQL() throws {
        let s = ("s", SQLType.string, strings("a1b22c333", "none", nil))
        #expect(try sql("regexp_replace(s, '[0-9]+', '#')", s) == strings("a#b#c#", "none", nil))
        #expect(try sql("regexp_replace(s, '([a-z])([0-9])', '$2$1')", s) == strings("1a2b23c33", "none", nil))
        #expect(throws: SQLError.self) { try sql("regexp_replace(s, '(', 'x')", s) }
    }

    // MARK: abs

    @Test func absOfIntegersAndDoubles() {
        #expect(rowCall(.abs, (.bigint, ints(-5, 5, 0, .min, nil)), type: .bigint) == ints(5, 5, 0, .min, nil))
        // INT wraps like Java's Math.abs(Integer.MIN_VALUE).
        #expect(rowCall(.abs, (.int, ints(-7, Int64(Int32.min))), type: .int) == ints(7, Int64(Int32.min)))
        let d = rowCall(.abs, (.double, [.double(-1.5), .double(-0.0), .double(.nan), .double(-.infinity), .null]), type: .double)
        #expect(d[0] == .double(1.5))
        guard case .double(let zero) = d[1], case .double(let nan) = d[2] else { Issue.record("not doubles: \(d)"); return }
        #expect(zero == 0 && zero.sign == .plus)
        #expect(nan.isNaN)
        #expect(d[3] == .double(.infinity))
        #expect(d[4] == .null)
    }

    @Test func absThroughSQL() throws {
        #expect(try sql("abs(x)", ("x", .int, ints(-3, nil))) == ints(3, nil))
        #expect(try sql("abs(x)", ("x", .string, strings("-2.5"))) == [.double(2.5)])
    }

    // MARK: div

    @Test func integerDivision() throws {
        let a = ("a", SQLType.bigint, ints(7, -7, 7, -7, 7, .min, nil, 0))
        let b = ("b", SQLType.bigint, ints(2, 2, -2, -2, 0, -1, 2, 5))
        // Truncates toward zero; by zero is NULL; Long.MinValue div -1 wraps as in Java.
        #expect(try sql("a div b", a, b) == ints(3, -3, -3, 3, nil, .min, nil, 0))
        #expect(try sql("7 div 2") == ints(3))
        #expect(try sql("-7 div 2") == ints(-3))
        #expect(try sql("7 div 0") == ints(nil))
        #expect(try sql("NULL div 2") == ints(nil))
        #expect(try sql("a div 2", ("a", .int, ints(5, -5))) == ints(2, -2))
    }

    @Test func integerDivisionOfDecimals() {
        // DECIMAL operands divide by value, not by unscaled units: 7.50 div 2 = 3, 7.50 div 0.25 = 30.
        let d = (SQLType.decimal(precision: 10, scale: 2), ints(750, 750, -750, 750))
        let e = (SQLType.decimal(precision: 10, scale: 2), ints(200, 25, 200, 0))
        #expect(rowCall(.integerDivide, d, e, type: .bigint) == ints(3, 30, -3, nil))
        #expect(rowCall(.integerDivide, d, (.int, ints(2, 3, 2, 0)), type: .bigint) == ints(3, 2, -3, nil))
    }

    @Test func integerDivisionOfDoublesDoesNotTrap() {
        let v = rowCall(.integerDivide, (.double, [.double(7.9), .double(1e300), .double(.nan), .double(1)]),
                        (.double, [.double(2), .double(1), .double(1), .double(0)]), type: .bigint)
        #expect(v == [.int(3), .int(.max), .null, .null])
    }

    // MARK: round

    @Test func roundHalfUpOnDecimalText() {
        let x = (SQLType.double, [2.5, -2.5, 0.5, -0.5, 1.5, 0.4, Double.nan, .infinity].map(Value.double) + [.null])
        let r0 = rowCall(.round(scale: 0), x, type: .double)
        #expect(Array(r0[0..<6]) == [.double(3), .double(-3), .double(1), .double(-1), .double(2), .double(0)])
        if case .double(let nan) = r0[6] { #expect(nan.isNaN) } else { Issue.record("NaN expected, got \(r0[6])") }
        #expect(r0[7] == .double(.infinity))
        #expect(r0[8] == .null)
        // The double's shortest decimal text is rounded, as Scala's BigDecimal(d) does: 2.675 is
        // 2.67499999999999982236431605997495353221893310546875 in binary, yet rounds to 2.68.
        let y = (SQLType.double, [2.675, 1.005, -1.005, 0.125, 1.0 / 3, 1e300, 1e-300].map(Value.double))
        #expect(rowCall(.round(scale: 2), y, type: .double)
                == [2.68, 1.01, -1.01, 0.13, 0.33, 1e300, 0].map(Value.double))
        #expect(rowCall(.round(scale: -2), (.double, [.double(1234.5), .double(1250), .double(-1250)]), type: .double)
                == [.double(1200), .double(1300), .double(-1300)])
    }

    @Test func roundIntegers() {
        let x = (SQLType.bigint, ints(1234, 1250, -1250, 7, 49, .max, .min, nil))
        #expect(rowCall(.round(scale: 0), x, type: .bigint) == ints(1234, 1250, -1250, 7, 49, .max, .min, nil))
        #expect(rowCall(.round(scale: 2), x, type: .bigint)[0] == .int(1234))
        #expect(Array(rowCall(.round(scale: -2), x, type: .bigint)[0..<5]) == ints(1200, 1300, -1300, 0, 0))
        #expect(Array(rowCall(.round(scale: -1), x, type: .bigint)[3..<5]) == ints(10, 50))
        // Scales beyond the digits of a long round everything to 0 (no overflow trap).
        #expect(rowCall(.round(scale: -20), x, type: .bigint) == ints(0, 0, 0, 0, 0, 0, 0, nil))
        #expect(rowCall(.round(scale: -25), (.bigint, ints(.min)), type: .bigint) == ints(0))
        // Spark rounds in BigDecimal and takes .toLong / .toInt, which wrap on overflow.
        #expect(rowCall(.round(scale: -1), (.bigint, ints(.max)), type: .bigint) == ints(-9_223_372_036_854_775_806))
        #expect(rowCall(.round(scale: -1), (.int, ints(2_147_483_647)), type: .int) == ints(-2_147_483_646))
    }

    @Test func roundThroughSQL() throws {
        // 2.5 is a DECIMAL(2,1) literal in Spark, so round gives DECIMAL(2,0).
        #expect(try sql("round(2.5)") == [.decimal(3)])
        #expect(try sql("round(-2.5)") == [.decimal(-3)])
        #expect(try sql("round(x, 2)", ("x", .double, [.double(2.675), .double(1.005), .null])) == [.double(2.68), .double(1.01), .null])
        #expect(try sql("round(1234, -2)") == ints(1200))
        #expect(try sql("round(n, -1)", ("n", .int, ints(15, -15, 14))) == ints(20, -20, 10))
        #expect(try sql("round(s, 1)", ("s", .string, strings("0.25", "x"))) == [.double(0.3), .null])
    }

    // MARK: to_timestamp / to_date

    @Test func toTimestampWithoutPattern() {
        let s = (SQLType.string, strings("2024-01-01 12:34:56", "2024-01-01T12:34:56Z", " 2024-01-01 12:34:56 ",
                                         "2024-01-01", "garbage", "", nil))
        #expect(rowCall(.toTimestamp(pattern: nil), s, type: .timestamp)
                == ints(newYearNoon, newYearNoon, newYearNoon, newYearNoon - 45_296 * second, nil, nil, nil))
    }

    @Test func toTimestampWithPattern() {
        func parse(_ pattern: String, _ texts: String?...) -> [Value] {
            rowCall(.toTimestamp(pattern: pattern), (.string, texts.map { $0.map(Value.string) ?? .null }), type: .timestamp)
        }
        let midnight = newYearNoon - 45_296 * second
        #expect(parse("yyyy-MM-dd HH:mm:ss", "2024-01-01 12:34:56", "2024-01-01", "2024-01-01 25:00:00", "x", nil)
                == ints(newYearNoon, nil, nil, nil, nil))
        #expect(parse("dd/MM/yyyy", "15/03/2024", "31/02/2024", "2024-03-15", "15/13/2024")
                == ints(19_797 * day, nil, nil, nil))
        #expect(parse("yyyy-MM-dd HH:mm:ss.SSS", "2024-01-01 12:34:56.789") == ints(newYearNoon + 789_000))
        // Adjacent numeric fields take their width: yyyyMMdd.
        #expect(parse("yyyyMMdd", "20240102", "20240230") == ints(19_724 * day, nil))
        #expect(parse("yyyyMMddHHmmss", "20240101123456") == ints(newYearNoon))
        // Two-letter years are 2000-2099, as in Spark's formatter.
        #expect(parse("dd/MM/yy", "01/02/24") == ints(19_754 * day))
        // 12-hour clock with an AM/PM marker.
        #expect(parse("yyyy-MM-dd hh:mm a", "2024-01-01 02:30 PM", "2024-01-01 12:05 AM", "2024-01-01 12:05 pm")
                == ints(midnight + (14 * 3600 + 30 * 60) * second, midnight + 5 * 60 * second, midnight + (12 * 3600 + 5 * 60) * second))
        // Quoted literals.
        #expect(parse("yyyy-MM-dd'T'HH:mm", "2024-01-01T12:34") == ints(newYearNoon - 56 * second))
        // More fraction digits than the pattern's S letters do not parse; fewer do.
        #expect(parse("HH:mm:ss.SSS", "00:00:01.5", "00:00:01.1234") == ints(1_500_000, nil))
        // Text fields: month names, case-insensitively.
        #expect(parse("dd MMM yyyy", "15 Mar 2024", "15 mar 2024", "15 Mars 2024") == ints(19_797 * day, 19_797 * day, nil))
    }

    @Test func toDate() {
        let s = (SQLType.string, strings("2024-01-01", "2024-01-01 23:59:59", "2024-01-01T23:00:00-05:00", "1969-12-31 23:59:59",
                                         "2024-02-30", "2024", "2024-3", "nope", nil))
        // Without a pattern, to_date is CAST(s AS DATE): the time (and zone) after the date is ignored.
        #expect(rowCall(.toDate(pattern: nil), s, type: .date)
                == ints(newYearDay, newYearDay, newYearDay, -1, nil, newYearDay, 19_783, nil, nil))
        #expect(rowCall(.toDate(pattern: "dd/MM/yyyy"), (.string, strings("15/03/2024", "15-03-2024")), type: .date) == ints(19_797, nil))
        // From a TIMESTAMP (floor, also before 1970) and from a DATE.
        #expect(rowCall(.toDate(pattern: nil), (.timestamp, ints(newYearNoon, -1, nil)), type: .date) == ints(newYearDay, -1, nil))
        #expect(rowCall(.toTimestamp(pattern: nil), (.date, ints(newYearDay, -1)), type: .timestamp) == ints(newYearDay * day, -day))
    }

    @Test func toTimestampAndToDateThroughSQL() throws {
        let s = ("s", SQLType.string, strings("15/03/2024 10:11:12", nil))
        #expect(try sql("to_timestamp(s, 'dd/MM/yyyy HH:mm:ss')", s) == ints(19_797 * day + 36_672 * second, nil))
        #expect(try sql("to_date(s, 'dd/MM/yyyy HH:mm:ss')", s) == ints(19_797, nil))
        #expect(try sql("to_timestamp('2024-01-01 12:34:56')") == ints(newYearNoon))
        #expect(try sql("to_date('2024-01-01 12:34:56')") == ints(newYearDay))
        #expect(throws: SQLError.self) { try sql("to_date(s, s)", s) }
    }

    // MARK: date_format

    @Test func dateFormat() {
        func format(_ pattern: String, _ micros: Int64?, type: SQLType = .timestamp) -> Value {
            rowCall(.dateFormat(pattern: pattern), (type, ints(micros)), type: .string)[0]
        }
        #expect(format("yyyy-MM-dd HH:mm", marchFifth) == .string("2024-03-05 14:07"))
        #expect(format("dd/MM/yy", marchFifth) == .string("05/03/24"))
        #expect(format("HH:mm:ss.SSS", marchFifth) == .string("14:07:09.123"))
        #expect(format("HH:mm:ss.SSSSSS", marchFifth) == .string("14:07:09.123456"))
        #expect(format("ss.SSSSSSSSS", marchFifth) == .string("09.123456000"))
        #expect(format("d/M/yyyy H:m:s", marchFifth) == .string("5/3/2024 14:7:9"))
        #expect(format("hh:mm a", marchFifth) == .string("02:07 PM"))
        #expect(format("hh:mm a", newYearNoon - 45_296 * second) == .string("12:00 AM"))
        #expect(format("yyyy-MM-dd'T'HH:mm", marchFifth) == .string("2024-03-05T14:07"))
        #expect(format("HH 'o''clock'", marchFifth) == .string("14 o'clock"))
        #expect(format("MMM d, yyyy", marchFifth) == .string("Mar 5, 2024"))
        #expect(format("EEEE, MMMM d", marchFifth) == .string("Tuesday, March 5"))
        #expect(format("EEE", marchFifth) == .string("Tue"))
        // Before 1970, and from a DATE.
        #expect(format("yyyy-MM-dd HH:mm:ss.SSS", -500_000) == .string("1969-12-31 23:59:59.500"))
        #expect(format("yyyy/MM/dd", newYearDay, type: .date) == .string("2024/01/01"))
        #expect(format("yyyy", nil) == .null)
    }

    @Test func dateFormatThroughSQL() throws {
        let ts = ("ts", SQLType.timestamp, ints(marchFifth, nil))
        #expect(try sql("date_format(ts, 'yyyy-MM-dd HH:mm')", ts) == strings("2024-03-05 14:07", nil))
        #expect(try sql("date_format('2024-03-05 14:07:09', 'dd/MM/yy HH:mm:ss')") == strings("05/03/24 14:07:09"))
        #expect(try sql("date_format(d, 'dd/MM/yyyy')", ("d", .date, ints(newYearDay))) == strings("01/01/2024"))
    }

    // MARK: year, month, day, hour, minute, second

    @Test func fieldsOfTimestampsAndDates() {
        func fields(_ value: Int64?, _ type: SQLType) -> [Value] {
            [RowFunction.year, .month, .day, .hour, .minute, .second].map { rowCall($0, (type, ints(value)), type: .int)[0] }
        }
        #expect(fields(1_709_214_330 * second, .timestamp) == ints(2024, 2, 29, 13, 45, 30))
        #expect(fields(-1, .timestamp) == ints(1969, 12, 31, 23, 59, 59))
        #expect(fields(-298_655_450 * second, .timestamp) == ints(1960, 7, 15, 8, 9, 10))
        #expect(fields(-2_203_891_200 * second, .timestamp) == ints(1900, 3, 1, 0, 0, 0))
        #expect(fields(19_782, .date) == ints(2024, 2, 29, 0, 0, 0))
        #expect(fields(-1, .date) == ints(1969, 12, 31, 0, 0, 0))
        #expect(fields(-25_508, .date) == ints(1900, 3, 1, 0, 0, 0))
        #expect(fields(nil, .timestamp) == ints(nil, nil, nil, nil, nil, nil))
    }

    @Test func fieldsThroughSQL() throws {
        let ts = ("ts", SQLType.timestamp, ints(marchFifth, -1))
        #expect(try sql("year(ts)", ts) == ints(2024, 1969))
        #expect(try sql("dayofmonth(ts)", ts) == ints(5, 31))
        #expect(try sql("hour(ts)", ts) == ints(14, 23))
        #expect(try sql("second('2024-01-01 12:34:56')") == ints(56))
        #expect(try sql("month(d)", ("d", .date, ints(newYearDay))) == ints(1))
    }

    // MARK: LIKE and RLIKE

    @Test func like() {
        let s = (SQLType.string, strings("abc", "abcd", "xabc", "", "a%c", "a_c", "a\nc", nil))
        func like(_ pattern: String) -> [Value] { rowCall(.like(pattern: pattern), s, type: .boolean) }
        #expect(like("abc%") == bools(true, true, false, false, false, false, false, nil))
        #expect(like("%abc") == bools(true, false, true, false, false, false, false, nil))
        #expect(like("%b%") == bools(true, true, true, false, false, false, false, nil))
        #expect(like("a_c") == bools(true, false, false, false, true, true, true, nil))   // '_' matches a newline too
        #expect(like(#"a\%c"#) == bools(false, false, false, false, true, false, false, nil))
        #expect(like(#"a\_c"#) == bools(false, false, false, false, false, true, false, nil))
        #expect(like("") == bools(false, false, false, true, false, false, false, nil))
        #expect(like("%") == bools(true, true, true, true, true, true, true, nil))
        #expect(like("abc") == bools(true, false, false, false, false, false, false, nil))
        #expect(like("a%b%d") == bools(false, true, false, false, false, false, false, nil))
        #expect(like("_") == bools(false, false, false, false, false, false, false, nil))
    }

    @Test func likeComparesCodePoints() {
        // Spark matches code points: 'é' precomposed is not 'e' + combining accent, and '_' is
        // one code point.
        let s = (SQLType.string, strings("caf\u{E9}", "cafe\u{301}"))
        #expect(rowCall(.like(pattern: "caf\u{E9}"), s, type: .boolean) == bools(true, false))
        #expect(rowCall(.like(pattern: "caf_"), s, type: .boolean) == bools(true, false))
        #expect(rowCall(.like(pattern: "caf__"), s, type: .boolean) == bools(false, true))
    }

    @Test func rlikeFindsAMatchAnywhere() {
        let s = (SQLType.string, strings("abc123", "xyz", "", nil))
        #expect(rowCall(.rlike(pattern: "[0-9]+"), s, type: .boolean) == bools(true, false, false, nil))
        #expect(rowCall(.rlike(pattern: "c1"), s, type: .boolean) == bools(true, false, false, nil))
        #expect(rowCall(.rlike(pattern: "^abc"), s, type: .boolean) == bools(true, false, false, nil))
        #expect(rowCall(.rlike(pattern: "^[a-z]+$"), s, type: .boolean) == bools(false, true, false, nil))
        #expect(rowCall(.rlike(pattern: ""), s, type: .boolean) == bools(true, true, true, nil))
    }

    @Test func likeAndRlikeThroughSQL() throws {
        let s = ("s", SQLType.string, strings("50%", "500", nil))
        #expect(try sql(#"s LIKE '%\%'"#, s) == bools(true, false, nil))
        #expect(try sql("s NOT LIKE '5_0'", s) == bools(true, false, nil))
        #expect(try sql("s RLIKE '0{2}'", s) == bools(false, true, nil))
        #expect(try sql("s REGEXP '%'", s) == bools(true, false, nil))
        #expect(throws: SQLError.self) { try sql("s RLIKE '['", s) }
    }

    // MARK: CAST

    @Test func castStringToInt() {
        let s = (strings(" 12 ", "1e2", "12.7", "-12.7", "5.", ".5", "+3", "-", "", "2147483647", "2147483648",
                         "-2147483648", "\t7\n", "1 2", "0x10", nil))
        #expect(cast(.string, s, to: .int)
                == ints(12, nil, 12, -12, 5, 0, 3, nil, nil, 2_147_483_647, nil, -2_147_483_648, 7, nil, nil, nil))
        #expect(cast(.string, strings("9223372036854775807", "9223372036854775808", "-9223372036854775808",
                                      "-9223372036854775809", "2147483648"), to: .bigint)
                == ints(.max, nil, .min, nil, 2_147_483_648))
    }

    @Test func castStringToBoolean() {
        let s = strings("true", "t", "yes", "1", "y", " TRUE ", "false", "f", "no", "0", "n", "2", "tru", "", nil)
        #expect(cast(.string, s, to: .boolean)
                == bools(true, true, true, true, true, true, false, false, false, false, false, nil, nil, nil, nil))
    }

    @Test func castStringToDouble() {
        let v = cast(.string, strings(" 1.5 ", "1e2", "1.5d", "-.5", "inf", "-Infinity", "+INF", "nan", "NaN", "abc", "1e", nil), to: .double)
        #expect(Array(v[0..<4]) == [.double(1.5), .double(100), .double(1.5), .double(-0.5)])
        #expect(Array(v[4..<7]) == [.double(.infinity), .double(-.infinity), .double(.infinity)])
        for nan in v[7..<9] {
            if case .double(let d) = nan { #expect(d.isNaN) } else { Issue.record("NaN expected, got \(nan)") }
        }
        #expect(Array(v[9...]) == [.null, .null, .null])
    }

    @Test func castDoubleToIntegersSaturates() {
        let x = [3e10, -3e10, 2.9, -2.9, .nan, .infinity, 1e19, -1e19].map(Value.double) + [.null]
        let max32 = Int64(Int32.max), min32 = Int64(Int32.min)
        #expect(cast(.double, x, to: .int) == ints(max32, min32, 2, -2, 0, max32, max32, min32, nil))
        #expect(cast(.double, x, to: .bigint) == ints(30_000_000_000, -30_000_000_000, 2, -2, 0, .max, .max, .min, nil))
        // BIGINT to INT wraps (Scala's toInt).
        #expect(cast(.bigint, ints(2_147_483_648, 4_294_967_297), to: .int) == ints(min32, 1))
    }

    @Test func castDoubleToStringAsJava() {
        let x = [1e7, 1e-4, 123.456, 1.0, -0.0, 1e21, 0.001, 9_999_999.0, 1e-5, .nan, .infinity, -.infinity].map(Value.double)
        #expect(cast(.double, x, to: .string)
                == strings("1.0E7", "1.0E-4", "123.456", "1.0", "-0.0", "1.0E21", "0.001", "9999999.0", "1.0E-5",
                           "NaN", "Infinity", "-Infinity"))
    }

    @Test func castToDecimal() {
        let dec = SQLType.decimal(precision: 10, scale: 2)
        // From DOUBLE: HALF_UP on the double's decimal text (Spark's Decimal(d) is BigDecimal(d.toString)).
        let d = [2.675, 1.005, -1.005, 12.3, 0.125, 99_999_999.99, 99_999_999.995, 1e10, .nan, .infinity].map(Value.double) + [.null]
        #expect(cast(.double, d, to: dec) == ints(268, 101, -101, 1230, 13, 9_999_999_999, nil, nil, nil, nil, nil))
        // From STRING: exact text, HALF_UP, trimmed, exponent allowed; too many digits is NULL.
        let s = strings("12.3", " 2.675 ", "1e2", "-0.005", "abc", "123456789.1", ".5", "12345678.904999999", "", nil)
        #expect(cast(.string, s, to: dec) == ints(1230, 268, 10_000, -1, nil, nil, 50, 1_234_567_890, nil, nil))
        // From integers: exact; overflow of the precision is NULL.
        #expect(cast(.bigint, ints(123, 1234, -999, 9_007_199_254_740_993), to: .decimal(precision: 5, scale: 2))
                == ints(12_300, nil, -99_900, nil))
        #expect(cast(.bigint, ints(9_007_199_254_740_993), to: .decimal(precision: 18, scale: 0)) == ints(9_007_199_254_740_993))
        #expect(cast(.boolean, bools(true, false), to: dec) == ints(100, 0))
        // DECIMAL to DECIMAL: HALF_UP on the exact value.
        #expect(cast(.decimal(precision: 10, scale: 3), ints(1250, -1249, 1_234_567_890), to: .decimal(precision: 10, scale: 1))
                == ints(13, -12, 12_345_679))
    }

    @Test func castFromDecimal() {
        let dec = SQLType.decimal(precision: 10, scale: 2)
        #expect(cast(dec, ints(1230, -5, 0, 100, -123_456, nil), to: .string) == strings("12.30", "-0.05", "0.00", "1.00", "-1234.56", nil))
        #expect(cast(.decimal(precision: 5, scale: 0), ints(42), to: .string) == strings("42"))
        #expect(cast(dec, ints(1299, -1299, nil), to: .int) == ints(12, -12, nil))
        #expect(cast(.decimal(precision: 18, scale: 0), ints(9_007_199_254_740_993), to: .bigint) == ints(9_007_199_254_740_993))
        #expect(cast(dec, ints(1250, -5), to: .double) == [.double(12.5), .double(-0.05)])
        #expect(cast(dec, ints(0, 5), to: .boolean) == bools(false, true))
    }

    @Test func castBetweenDatesTimestampsAndNumbers() {
        // TIMESTAMP to DATE floors to the day, also before 1970; DATE to TIMESTAMP is midnight.
        #expect(cast(.timestamp, ints(newYearNoon, -1, 0, nil), to: .date) == ints(newYearDay, -1, 0, nil))
        #expect(cast(.date, ints(newYearDay, -1), to: .timestamp) == ints(newYearDay * day, -day))
        // TIMESTAMP to numbers: seconds (floored); numbers to TIMESTAMP: seconds.
        #expect(cast(.timestamp, ints(newYearNoon, -1), to: .bigint) == ints(1_704_112_496, -1))
        #expect(cast(.timestamp, ints(1_500_000), to: .double) == [.double(1.5)])
        #expect(cast(.bigint, ints(1, -2), to: .timestamp) == ints(second, -2 * second))
        #expect(cast(.double, [.double(1.5), .double(.nan)], to: .timestamp) == ints(1_500_000, nil))
        // DATE to numbers is NULL in Spark 3 (non-ANSI).
        #expect(cast(.date, ints(newYearDay), to: .int) == ints(nil))
        #expect(cast(.date, ints(newYearDay), to: .double) == [.null])
        // And to text.
        #expect(cast(.timestamp, ints(marchFifth), to: .string) == strings("2024-03-05 14:07:09.123456"))
        #expect(cast(.date, ints(newYearDay), to: .string) == strings("2024-01-01"))
    }

    @Test func castStringToDate() {
        let s = strings("2024-01-01", "2024-01-01 10:00:00", "2024-01-01T23:00:00-05:00", "2024-02-30", "2024", "2024-3",
                        " 2024-03-05 ", "x", "1969-12-31", "1969-02-30", "2024-01-01x", nil)
        #expect(cast(.string, s, to: .date) == ints(newYearDay, newYearDay, newYearDay, nil, newYearDay, 19_783,
                                                    19_787, nil, -1, nil, nil, nil))
        // Long digit runs are NULL, not an overflow.
        #expect(cast(.string, strings("99999999999999999999999", "2024-01-999999999999999999"), to: .date) == ints(nil, nil))
        #expect(cast(.string, strings("2024-01-01 12:34:56", "2024-01-01T12:34:56.5Z", "bad"), to: .timestamp)
                == ints(newYearNoon, newYearNoon + 500_000, nil))
    }

    @Test func castsThroughSQL() throws {
        #expect(try sql("CAST(' 12 ' AS INT)") == ints(12))
        #expect(try sql("CAST('1e2' AS INT)") == ints(nil))
        #expect(try sql("CAST('12.7' AS INT)") == ints(12))
        #expect(try sql("CAST('9223372036854775808' AS BIGINT)") == ints(nil))
        #expect(try sql("CAST('yes' AS BOOLEAN)") == bools(true))
        #expect(try sql("CAST(x AS STRING)", ("x", .double, [.double(1e7), .double(1e-4), .double(123.456)]))
                == strings("1.0E7", "1.0E-4", "123.456"))
        #expect(try sql("CAST(CAST(x AS DECIMAL(10,2)) AS STRING)", ("x", .double, [.double(2.675), .double(12.3)]))
                == strings("2.68", "12.30"))
        #expect(try sql("CAST('12.345' AS DECIMAL(10,2))") == ints(1235))
        #expect(try sql("CAST(ts AS DATE)", ("ts", .timestamp, ints(newYearNoon))) == ints(newYearDay))
        // Comparing a DATE with a TIMESTAMP compares instants, the DATE at midnight.
        let d = ("d", SQLType.date, ints(newYearDay, newYearDay + 1))
        let ts = ("ts", SQLType.timestamp, ints(newYearNoon, newYearNoon))
        #expect(try sql("d < ts", d, ts) == bools(true, false))
    }
}
