/// Timestamps (µs since the epoch, UTC) and dates (days) to and from text.
enum TimeText {
    static let microsPerSecond: Int64 = 1_000_000
    static let microsPerDay: Int64 = 86_400_000_000

    @inline(__always)
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// `a - floorDiv(a, b) * b` without the product, which overflows for the earliest days.
    @inline(__always)
    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year &- 1 : year
        let era = floorDiv(y, 400)
        let yoe = y &- era &* 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era &* 146_097 &+ doe &- 719_468
    }

    /// The proleptic Gregorian date of a day number. Days beyond ±2^62 (no DATE or TIMESTAMP
    /// comes near) give a wrapped date rather than a trap.
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days &+ 719_468
        let era = floorDiv(z, 146_097)
        let doe = z &- era &* 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe &+ era &* 400 &+ (month <= 2 ? 1 : 0), month, day)
    }

    /// Spark's CAST(string AS DATE) (`DateTimeUtils.stringToDate`): trimmed text of the form
    /// `[+-]yyyy[-[m]m[-[d]d]]`, where a full date may be followed by anything after a space or
    /// 'T' (a time, which is ignored). Days since the epoch; nil for anything else, or a day that
    /// does not exist.
    static func parseDate(_ text: String) -> Int64? {
        let b = Array(text.trimmingASCIIWhitespace().utf8)
        guard !b.isEmpty else { return nil }
        var segments: [Int64] = [1, 1, 1]
        var segment = 0, value: Int64 = 0, digits = 0, j = 0
        var sign: Int64 = 1
        func valid(_ segment: Int, _ digits: Int) -> Bool { segment == 0 ? (4...7).contains(digits) : (1...2).contains(digits) }
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            sign = b[0] == UInt8(ascii: "-") ? -1 : 1
            j = 1
        }
        while j < b.count, b[j] != UInt8(ascii: " "), b[j] != UInt8(ascii: "T") {
            if segment < 2 && b[j] == UInt8(ascii: "-") {
                guard valid(segment, digits) else { return nil }
                segments[segment] = value
                value = 0
                digits = 0
                segment += 1
            } else {
                guard b[j] >= 0x30, b[j] <= 0x39, digits < 7 else { return nil }
                value = value * 10 + Int64(b[j] - 0x30)
                digits += 1
            }
            j += 1
        }
        guard valid(segment, digits) else { return nil }
        if segment < 2 && j < b.count { return nil }  // 'yyyy' and 'yyyy-mm' must be all there is
        segments[segment] = value
        let (year, month, day) = (sign * segments[0], segments[1], segments[2])
        guard (1...12).contains(month), (1...31).contains(day) else { return nil }
        let days = TimeText.days(year: year, month: month, day: day)
        return TimeText.civil(days: days) == (year, month, day) ? days : nil
    }

    /// `yyyy-MM-dd[( |T)HH:mm[:ss[.fraction]]][Z|±HH[:MM]]`, no zone meaning UTC: the
    /// decoder's parser, so a CAST reads text exactly as a TIMESTAMP field of JSON does.
    static func parseTimestamp(_ text: String) -> Int64? {
        var text = text
        let fast = text.withUTF8 { bytes -> Int64? in
            guard let base = bytes.baseAddress else { return nil }
            return JSONTimeParsing.timestamp(base, count: bytes.count)
        }
        return fast ?? parseWideYearTimestamp(text)
    }

    /// Text with a signed year or one of 5 or more digits (`+10000-01-01 00:00:00`,
    /// `-0044-03-15T12:00:00Z`), as Spark's cast reads it: the date as CAST(AS DATE) reads it,
    /// the time as the common parser does; NULL when the result leaves the TIMESTAMP range.
    private static func parseWideYearTimestamp(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        let yearDigits = bytes.drop { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }.prefix { $0 >= 0x30 && $0 <= 0x39 }.count
        guard bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") || yearDigits > 4 else { return nil }
        let cut = bytes.firstIndex { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "T") } ?? bytes.count
        guard let days = parseDate(String(decoding: bytes[..<cut], as: UTF8.self)) else { return nil }
        var inDay: Int64 = 0
        if cut < bytes.count {
            // The time (and zone) on the epoch's day, through the common parser.
            guard let time = parseTimestamp("1970-01-01" + String(decoding: bytes[cut...], as: UTF8.self)) else { return nil }
            inDay = time
        }
        let (midnight, overflow) = days.multipliedReportingOverflow(by: microsPerDay)
        let (micros, overflowSum) = midnight.addingReportingOverflow(inDay)
        return overflow || overflowSum ? nil : micros
    }

    /// Spark's text for a timestamp: `yyyy-MM-dd HH:mm:ss`, plus the fraction without
    /// trailing zeros when it is not zero.
    static func formatTimestamp(_ micros: Int64) -> String {
        let (day, time, fraction) = split(micros)
        var text = formatDate(day) + " " + time
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 6 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }

    /// What Spark's JSON and CSV writers print for a timestamp by default
    /// (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in the UTC session zone): `2024-01-01T00:01:00.000Z`.
    static func formatTimestampForFiles(_ micros: Int64) -> String {
        let (day, time, fraction) = split(micros)
        let millis = String(fraction / 1000)
        return formatDate(day) + "T" + time + "." + String(repeating: "0", count: 3 - millis.count) + millis + "Z"
    }

    /// A timestamp's day, its `HH:mm:ss`, and the microseconds after the second.
    private static func split(_ micros: Int64) -> (day: Int64, time: String, fraction: Int64) {
        let day = floorDiv(micros, microsPerDay)
        let inDay = floorMod(micros, microsPerDay)
        let seconds = inDay / microsPerSecond
        return (day, two(seconds / 3600) + ":" + two(seconds / 60 % 60) + ":" + two(seconds % 60), inDay % microsPerSecond)
    }

    /// `yyyy-MM-dd` as Spark writes it: four digits at least, `+` before a year past 9999 and
    /// `-` before one before year 0 (`+10000-01-01`, `-0001-12-31`).
    static func formatDate(_ days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        let year = String(y.magnitude)
        let sign = y < 0 ? "-" : y > 9999 ? "+" : ""
        return sign + String(repeating: "0", count: max(0, 4 - year.count)) + year + "-" + two(m) + "-" + two(d)
    }

    private static func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
}

enum TimeFunctions {
    /// The start of the window holding each timestamp (Spark's `window(ts, size)` start).
    static func windowStart(_ ts: Column, size: Int64, offset: Int64) -> Column {
        guard case .int64(let v) = ts.data else { preconditionFailure("timestamp column expected") }
        var validity = ts.validity
        var starts = [Int64](repeating: 0, count: v.count)
        for i in v.indices {
            // A start that does not fit in 64 bits is NULL (the row has no window).
            let (shifted, overflow) = v[i].subtractingReportingOverflow(offset)
            let remainder = shifted % size
            let (start, underflow) = v[i].subtractingReportingOverflow(remainder < 0 ? remainder + size : remainder)
            if overflow || underflow { markNull(&validity, i, count: v.count) } else { starts[i] = start }
        }
        return Column(type: .timestamp, data: .int64(starts), validity: validity)
    }
}

extension String {
    /// Spark trims characters up to U+0020 (spaces and control characters) before casting.
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 > 0x20 }), let last = bytes.lastIndex(where: { $0 > 0x20 }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
