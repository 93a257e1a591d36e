/// Parsing of the date and timestamp strings Spark's JSON reader accepts by default.
enum JSONTimeParsing {
    /// Days from 1970-01-01 to a proleptic Gregorian date (Spark 3's calendar), by counting
    /// 400-year eras from a year that starts in March, which puts the leap day last.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// `count` decimal digits at `text[i]`, or nil.
    @inline(__always)
    static func digits(_ text: UnsafePointer<UInt8>, _ i: Int, _ count: Int) -> Int? {
        var value = 0
        for k in i..<(i + count) {
            let d = text[k] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            value = value * 10 + Int(d)
        }
        return value
    }

    /// Spark trims surrounding whitespace and control characters before parsing.
    @inline(__always)
    static func trimmed(_ text: UnsafePointer<UInt8>, _ count: Int) -> (UnsafePointer<UInt8>, Int) {
        var start = 0
        var end = count
        while start < end && text[start] <= 0x20 { start += 1 }
        while end > start && text[end - 1] <= 0x20 { end -= 1 }
        return (text + start, end - start)
    }

    /// `yyyy-MM-dd` at the start of `text` as days since the epoch.
    @inline(__always)
    static func leadingDate(_ text: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        guard n >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
              let year = digits(text, 0, 4), let month = digits(text, 5, 2), let day = digits(text, 8, 2),
              month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month)
        else { return nil }
        return daysSinceEpoch(year: year, month: month, day: day)
    }

    /// A DATE string: `yyyy-MM-dd`, optionally followed by a time after 'T' or ' ' whose date
    /// is taken as written (Spark's `stringToDate` ignores what follows the date).
    static func date(_ rawText: UnsafePointer<UInt8>, count rawCount: Int) -> Int64? {
        let (text, n) = trimmed(rawText, rawCount)
        guard let days = leadingDate(text, n) else { return nil }
        if n == 10 || text[10] == UInt8(ascii: "T") || text[10] == UInt8(ascii: " ") {
            return Int64(days)
        }
        return nil
    }

    /// A TIMESTAMP string as microseconds since the epoch: `yyyy-MM-dd`, optionally followed by
    /// 'T' or ' ' and `HH:mm[:ss[.fraction]]`, optionally followed by `Z`, `±HH`, `±HH:MM` or
    /// `±HHMM`; no zone means UTC. Fraction digits past the sixth are dropped (Spark keeps µs).
    static func timestamp(_ rawText: UnsafePointer<UInt8>, count rawCount: Int) -> Int64? {
        let (text, n) = trimmed(rawText, rawCount)
        guard let days = leadingDate(text, n) else { return nil }
        var seconds = days * 86_400
        if n == 10 { return Int64(seconds) * 1_000_000 }
        guard n >= 16, text[10] == UInt8(ascii: "T") || text[10] == UInt8(ascii: " "),
              text[13] == UInt8(ascii: ":"),
              let hour = digits(text, 11, 2), let minute = digits(text, 14, 2), hour <= 23, minute <= 59
        else { return nil }
        seconds += hour * 3600 + minute * 60
        var i = 16
        var micros = 0
        if i < n && text[i] == UInt8(ascii: ":") {
            guard i + 3 <= n, let second = digits(text, i + 1, 2), second <= 59 else { return nil }
            seconds += second
            i += 3
            if i < n && text[i] == UInt8(ascii: ".") {
                i += 1
                var fractionDigits = 0
                while i < n && JSONScanner.isDigit(text[i]) {
                    if fractionDigits < 6 { micros = micros * 10 + Int(text[i] - UInt8(ascii: "0")) }
                    fractionDigits += 1
                    i += 1
                }
                guard fractionDigits > 0 else { return nil }
                while fractionDigits < 6 {
                    micros *= 10
                    fractionDigits += 1
                }
            }
        }
        if i < n {
            let c = text[i]
            if c == UInt8(ascii: "Z") {
                i += 1
            } else if c == UInt8(ascii: "+") || c == UInt8(ascii: "-") {
                guard i + 3 <= n, let offsetHours = digits(text, i + 1, 2), offsetHours <= 18 else { return nil }
                var offset = offsetHours * 3600
                i += 3
                if i < n {
                    if text[i] == UInt8(ascii: ":") { i += 1 }
                    guard i + 2 <= n, let offsetMinutes = digits(text, i, 2), offsetMinutes <= 59 else { return nil }
                    offset += offsetMinutes * 60
                    i += 2
                }
                seconds += c == UInt8(ascii: "+") ? -offset : offset
            } else {
                return nil
            }
        }
        guard i == n else { return nil }
        return Int64(seconds) * 1_000_000 + Int64(micros)
    }
}
