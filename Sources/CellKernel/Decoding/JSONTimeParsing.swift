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
        canonicalTimestamp(rawText, rawCount) ?? parsedTimestamp(rawText, count: rawCount)
    }

    /// ``timestamp(_:count:)`` for any form, a field at a time.
    static func parsedTimestamp(_ rawText: UnsafePointer<UInt8>, count rawCount: Int) -> Int64? {
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

    /// The form nearly every producer writes, `yyyy-MM-ddTHH:mm:ss.SSSZ` (or without the
    /// milliseconds), checked eight bytes at a time: what ``timestamp(_:count:)`` gives for
    /// it, or nil for any other text (which that parser then reads).
    @inline(__always)
    static func canonicalTimestamp(_ text: UnsafePointer<UInt8>, _ n: Int) -> Int64? {
        guard n == 24 || n == 20 else { return nil }
        let raw = UnsafeRawPointer(text)
        let date = raw.loadUnaligned(as: UInt64.self)                      // yyyy-MM-
        let time = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)   // ddTHH:mm
        let rest = n == 24                                                  // :ss.SSSZ or :ssZ
            ? raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self)
            : UInt64(raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        // Per word: the separator bytes as written, and which bytes are digits.
        guard date & 0xFF00_00FF_0000_0000 == 0x2D00_002D_0000_0000, digits(date, lanes: 0x00FF_FF00_FFFF_FFFF),
              time & 0x0000_FF00_00FF_0000 == 0x0000_3A00_0054_0000, digits(time, lanes: 0xFFFF_00FF_FF00_FFFF)
        else { return nil }
        var micros = 0
        if n == 24 {
            guard rest & 0xFF00_0000_FF00_00FF == 0x5A00_0000_2E00_003A, digits(rest, lanes: 0x00FF_FFFF_00FF_FF00) else { return nil }
            micros = (Int(text[20] &- 48) * 100 + Int(text[21] &- 48) * 10 + Int(text[22] &- 48)) * 1000
        } else {
            guard rest & 0xFF00_00FF == 0x5A00_003A, digits(rest, lanes: 0x00FF_FF00) else { return nil }
        }
        @inline(__always) func two(_ i: Int) -> Int { Int(text[i] &- 48) * 10 + Int(text[i + 1] &- 48) }
        let year = two(0) * 100 + two(2), month = two(5), day = two(8)
        let hour = two(11), minute = two(14), second = two(17)
        guard month >= 1, month <= 12, day >= 1, day <= daysInMonth(year: year, month: month),
              hour <= 23, minute <= 59, second <= 59 else { return nil }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return Int64(seconds) * 1_000_000 + Int64(micros)
    }

    /// Whether every byte of `word` under `lanes` (0xFF per byte) is an ASCII digit; the
    /// additions stay inside their bytes, so no byte disturbs another.
    @inline(__always)
    static func digits(_ word: UInt64, lanes: UInt64) -> Bool {
        let high = word & lanes & 0xF0F0_F0F0_F0F0_F0F0
        let low = (word & lanes & 0x0F0F_0F0F_0F0F_0F0F) &+ 0x0606_0606_0606_0606
        return high == lanes & 0x3030_3030_3030_3030 && low & lanes & 0x1010_1010_1010_1010 == 0
    }
}
