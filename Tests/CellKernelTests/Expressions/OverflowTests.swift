@testable import CellKernel
import Foundation
import Testing

// Values at the ends of the 64-bit range: each computes Spark 3's non-ANSI result (a wrap,
// a NULL, a saturated value) or reports a clear error, and none traps.

private func timestamps(_ values: Int64...) -> (String, SQLType, [Value]) { ("ts", .timestamp, values.map(Value.int)) }

@Suite struct TimeOverflowTests {
    @Test func extremeTimestampsFormatAsSpark() {
        // Spark's TIMESTAMP range is Int64 µs: -290308-12-21 19:59:05.224192 to +294247-01-10 04:00:54.775807.
        #expect(TimeText.formatTimestamp(.min) == "-290308-12-21 19:59:05.224192")
        #expect(TimeText.formatTimestamp(.max) == "+294247-01-10 04:00:54.775807")
        #expect(TimeText.formatTimestampForFiles(.min) == "-290308-12-21T19:59:05.224Z")
        #expect(TimeText.formatTimestampForFiles(.max) == "+294247-01-10T04:00:54.775Z")
        #expect(TimeText.formatTimestamp(-9_223_372_036_854_000_000) == "-290308-12-21 19:59:06")
    }

    @Test func yearsZeroNegativeAndPast9999() throws {
        // Spark writes four digits at least, '+' past 9999 and '-' before year 0.
        #expect(TimeText.formatDate(TimeText.days(year: 10000, month: 1, day: 1)) == "+10000-01-01")
        #expect(TimeText.formatDate(TimeText.days(year: 9999, month: 12, day: 31)) == "9999-12-31")
        #expect(TimeText.formatDate(TimeText.days(year: 0, month: 1, day: 1)) == "0000-01-01")
        #expect(TimeText.formatDate(TimeText.days(year: -1, month: 12, day: 31)) == "-0001-12-31")
        #expect(try sql("CAST(CAST('10000-01-01' AS DATE) AS STRING)") == [.string("+10000-01-01")])
        #expect(try sql("year(CAST('+1000000-06-30' AS DATE))") == [.int(1_000_000)])
        #expect(try sql("month(CAST('-0044-03-15' AS DATE))") == [.int(3)])
    }

    @Test func datePartsOfExtremeTimestamps() throws {
        let ts = timestamps(.min, .max)
        #expect(try sql("year(ts)", ts) == [.int(-290_308), .int(294_247)])
        #expect(try sql("month(ts)", ts) == [.int(12), .int(1)])
        #expect(try sql("day(ts)", ts) == [.int(21), .int(10)])
        #expect(try sql("hour(ts)", ts) == [.int(19), .int(4)])
        #expect(try sql("minute(ts)", ts) == [.int(59), .int(0)])
        #expect(try sql("second(ts)", ts) == [.int(5), .int(54)])
        #expect(try sql("date_format(ts, 'yyyy-MM-dd HH:mm:ss')", ts) == [.string("-290308-12-21 19:59:05"), .string("294247-01-10 04:00:54")])
        #expect(try sql("CAST(ts AS DATE)", ts).count == 2)
        #expect(try sql("CAST(CAST(ts AS DATE) AS STRING)", ts) == [.string("-290308-12-21"), .string("+294247-01-10")])
    }

    @Test func datesBeyondTheTimestampRange() throws {
        // A DATE far past year 294247 has no TIMESTAMP: NULL, as a cast that does not fit.
        #expect(try sql("CAST(CAST('+5000000-01-01' AS DATE) AS TIMESTAMP)") == [.null])
        #expect(try sql("date_format(CAST('+5000000-01-01' AS DATE), 'yyyy')") == [.null])
        #expect(try sql("to_timestamp(CAST('+5000000-01-01' AS DATE))") == [.null])
        #expect(try sql("to_date(CAST('+5000000-01-01' AS DATE)) = CAST('+5000000-01-01' AS DATE)") == [.bool(true)])
        #expect(try sql("day(CAST('+5000000-01-02' AS DATE))") == [.int(2)])
    }

    @Test func timestampTextWithWideOrSignedYears() throws {
        #expect(try sql("CAST(CAST('10000-01-01 12:30:00' AS TIMESTAMP) AS STRING)") == [.string("+10000-01-01 12:30:00")])
        #expect(try sql("CAST(CAST('+10000-01-01T00:00:00Z' AS TIMESTAMP) AS STRING)") == [.string("+10000-01-01 00:00:00")])
        #expect(try sql("CAST(CAST('-0044-03-15 12:00' AS TIMESTAMP) AS STRING)") == [.string("-0044-03-15 12:00:00")])
        #expect(try sql("CAST(CAST('0000-01-01' AS TIMESTAMP) AS STRING)") == [.string("0000-01-01 00:00:00")])
        #expect(try sql("CAST('294248-01-01' AS TIMESTAMP)") == [.null], "past the TIMESTAMP range")
        #expect(try sql("CAST('+1000000-01-01 00:00:00' AS TIMESTAMP)") == [.null])
        #expect(try sql("CAST('10000-01-01 25:00:00' AS TIMESTAMP)") == [.null])
    }

    @Test func textThatIsNoTimestamp() throws {
        #expect(try sql("to_timestamp('99999999999-01-01', 'yyyy-MM-dd')") == [.null])
        #expect(try sql("to_timestamp('294249-01-01', 'yyyy-MM-dd')") == [.null])
        #expect(try sql("CAST('2024-12-31 23:59:60' AS TIMESTAMP)") == [.null], "Spark 3 has no leap seconds")
        #expect(try sql("to_timestamp('2024-12-31 23:59:60', 'yyyy-MM-dd HH:mm:ss')") == [.null])
    }

    @Test func numbersToTimestamps() throws {
        // Seconds to µs saturate (TimeUnit.SECONDS.toMicros); NaN and infinities are NULL.
        #expect(try sql("CAST(9223372036854775807 AS TIMESTAMP)") == [.int(.max)])
        #expect(try sql("CAST(-9223372036854775807 - 1 AS TIMESTAMP)") == [.int(.min)])
        #expect(try sql("CAST(CAST('1e308' AS DOUBLE) AS TIMESTAMP)") == [.int(.max)])
        #expect(try sql("CAST(CAST('NaN' AS DOUBLE) AS TIMESTAMP)") == [.null])
        #expect(try sql("to_timestamp(1234567890)") == [.int(1_234_567_890_000_000)])
        #expect(try sql("to_timestamp(n)", ("n", .bigint, [.int(.max), .int(.min)])) == [.int(.max), .int(.min)])
        #expect(try sql("to_timestamp(CAST('-1e308' AS DOUBLE))") == [.int(.min)])
        #expect(try sql("CAST(CAST(9223372036854775807 AS TIMESTAMP) AS STRING)") == [.string("+294247-01-10 04:00:54.775807")])
        #expect(try sql("CAST(CAST(-9223372036854775807 - 1 AS TIMESTAMP) AS STRING)") == [.string("-290308-12-21 19:59:05.224192")])
    }

    @Test func windowStartsOutsideTheRangeAreNull() {
        let ts = column(.timestamp, [.int(.min), .int(-9_223_372_036_854_000_000), .int(90_000_000), .int(.max)])
        let starts = TimeFunctions.windowStart(ts, size: 60_000_000, offset: 0).values
        #expect(starts == [.null, .null, .int(60_000_000), .int(9_223_372_036_800_000_000)])
    }
}

@Suite struct WindowAssignmentOverflowTests {
    private func batch(_ times: [Int64]) -> Batch {
        Batch(schema: Schema([.init(name: "t", type: .timestamp)]), columns: [column(.timestamp, times.map(Value.int))])
    }

    private func spec(size: Int64, slide: Int64) -> WindowSpec {
        WindowSpec(time: .column(0, .timestamp), sizeMicros: size, slideMicros: slide)
    }

    @Test func rowsWhoseWindowsOverflowAreLeftOutAndCounted() {
        let minute: Int64 = 60_000_000
        let (out, outOfRange) = WindowOperator.assign(
            batch([.min, -9_223_372_036_854_000_000, 90_000_000, .max, .max - minute * 2]), spec(size: minute, slide: minute))
        #expect(outOfRange == 3, "Int64.min, -9223372036854 s and Int64.max have no representable window")
        #expect(out.columns[1].values == [.int(minute), .int(9_223_372_036_680_000_000)])
        #expect(out.columns[0].values == [.int(90_000_000), .int(.max - minute * 2)])
    }

    @Test func slidingWindowsNearTheEnds() {
        let minute: Int64 = 60_000_000
        let (out, outOfRange) = WindowOperator.assign(batch([.min + minute * 3, 0]), spec(size: minute * 2, slide: minute))
        #expect(outOfRange == 0)
        #expect(out.count == 4)
        #expect(out.columns[1].values.suffix(2) == [.int(0), .int(-minute)])
    }
}

@Suite struct IntegerOverflowTests {
    private let extremes = ("n", SQLType.bigint, [Value.int(.min), .int(.max), .int(-1), .int(0)])

    @Test func arithmeticWrapsAsJavaLongs() throws {
        // Spark (non-ANSI) wraps BIGINT arithmetic in two's complement.
        #expect(try sql("n + 1", extremes) == [.int(.min + 1), .int(.min), .int(0), .int(1)])
        #expect(try sql("n - 1", extremes) == [.int(.max), .int(.max - 1), .int(-2), .int(-1)])
        #expect(try sql("n * 2", extremes) == [.int(0), .int(-2), .int(-2), .int(0)])
        #expect(try sql("-n", extremes) == [.int(.min), .int(-.max), .int(1), .int(0)])
        #expect(try sql("abs(n)", extremes) == [.int(.min), .int(.max), .int(1), .int(0)])
        // Long.MinValue % -1 and div -1: 0 and Long.MinValue in Java, not a trap; by 0 is NULL.
        #expect(try sql("n % -1", extremes) == [.int(0), .int(0), .int(0), .int(0)])
        #expect(try sql("n div -1", extremes) == [.int(.min), .int(-.max), .int(1), .int(0)])
        #expect(try sql("n % 0", extremes) == [.null, .null, .null, .null])
        #expect(try sql("n / 0", extremes) == [.null, .null, .null, .null])
        // INT wraps at 32 bits.
        #expect(try sql("i + 1", ("i", .int, [.int(2_147_483_647)])) == [.int(-2_147_483_648)])
    }

    @Test func castsOutOfRange() throws {
        // Double to integers truncates and saturates (Scala's toLong/toInt), NaN is 0.
        #expect(try sql("CAST(CAST('1e308' AS DOUBLE) AS BIGINT)") == [.int(.max)])
        #expect(try sql("CAST(CAST('-1e308' AS DOUBLE) AS INT)") == [.int(Int64(Int32.min))])
        #expect(try sql("CAST(CAST('NaN' AS DOUBLE) AS BIGINT)") == [.int(0)])
        // Text out of range is NULL; BIGINT to INT wraps.
        #expect(try sql("CAST('9223372036854775808' AS BIGINT)") == [.null])
        #expect(try sql("CAST('2147483648' AS INT)") == [.null])
        #expect(try sql("CAST(n AS INT)", extremes) == [.int(0), .int(-1), .int(-1), .int(0)])
        // Text and doubles past 38 digits do not fit any DECIMAL: NULL.
        #expect(try sql("CAST(CAST('1e308' AS DOUBLE) AS DECIMAL(38,0))") == [.null])
        #expect(try sql("CAST('1e39' AS DECIMAL(38,0))") == [.null])
    }

    @Test func functionsAtTheExtremes() throws {
        // Positions are cast to INT as Spark does (a NaN position is 0, which acts as 1).
        #expect(try sql("substring('abc', CAST('NaN' AS DOUBLE))") == [.string("abc")])
        #expect(try sql("substring('abc', CAST('1e308' AS DOUBLE))") == [.string("")])
        #expect(try sql("round(CAST('1e308' AS DOUBLE), 300)") == [.double(1e308)])
        #expect(try sql("round(CAST('1e308' AS DOUBLE), -400)") == [.double(0)])
        #expect(try sql("round(n, -18)", extremes) == [.int(-9_000_000_000_000_000_000), .int(9_000_000_000_000_000_000), .int(0), .int(0)])
    }
}
