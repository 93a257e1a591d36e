/// PostgreSQL's dates and timestamps as it prints them with `DateStyle = ISO` and
/// `TimeZone = UTC` (what ``PostgresConnection`` sets): `2024-01-31`, `0044-03-15 BC`,
/// `2024-01-31 12:34:56.5`, `2024-01-31 12:34:56+00` (with time zone), `infinity`.
///
/// `infinity` and `-infinity` read as 9999-12-31 23:59:59.999999 and 0001-01-01 00:00:00,
/// the ends of Spark's range, as Spark's PostgreSQL dialect reads them.
enum PostgresTimeText {
    static let latest: Int64 = TimeText.days(year: 9999, month: 12, day: 31) * TimeText.microsPerDay + TimeText.microsPerDay - 1
    static let earliest: Int64 = TimeText.days(year: 1, month: 1, day: 1) * TimeText.microsPerDay

    /// Days since 1970-01-01; nil for text that is not such a date.
    static func date(_ text: UnsafeRawBufferPointer) -> Int64? {
        if text.elementsEqual("infinity".utf8) { return TimeText.floorDiv(latest, TimeText.microsPerDay) }
        if text.elementsEqual("-infinity".utf8) { return TimeText.floorDiv(earliest, TimeText.microsPerDay) }
        var reader = Reader(bytes: text)
        guard let date = reader.date() else { return nil }
        let bc = reader.takeEra()
        guard reader.atEnd else { return nil }
        return days(date, bc: bc)
    }

    /// Microseconds since the epoch, UTC; nil for text that is not such a timestamp or one
    /// beyond what 64 bits of microseconds hold.
    static func timestamp(_ text: UnsafeRawBufferPointer) -> Int64? {
        if text.elementsEqual("infinity".utf8) { return latest }
        if text.elementsEqual("-infinity".utf8) { return earliest }
        var reader = Reader(bytes: text)
        guard let date = reader.date(), reader.take(UInt8(ascii: " ")),
              let hours = reader.number(digits: 2), reader.take(UInt8(ascii: ":")),
              let minutes = reader.number(digits: 2), reader.take(UInt8(ascii: ":")),
              let seconds = reader.number(digits: 2), hours < 24, minutes < 60, seconds < 60 else { return nil }
        var fraction: Int64 = 0
        if reader.take(UInt8(ascii: ".")) {
            var digits = 0
            while let digit = reader.digit() {
                // PostgreSQL keeps microseconds: a seventh digit is never printed.
                guard digits < 6 else { return nil }
                fraction = fraction * 10 + digit
                digits += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<6 { fraction *= 10 }
        }
        var offset: Int64 = 0
        if let sign = reader.peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            reader.skip()
            guard let zoneHours = reader.number(digits: 2) else { return nil }
            var zone = zoneHours * 3600
            if reader.take(UInt8(ascii: ":")) {
                guard let zoneMinutes = reader.number(digits: 2) else { return nil }
                zone += zoneMinutes * 60
                if reader.take(UInt8(ascii: ":")) {
                    guard let zoneSeconds = reader.number(digits: 2) else { return nil }
                    zone += zoneSeconds
                }
            }
            offset = sign == UInt8(ascii: "+") ? zone : -zone
        }
        let bc = reader.takeEra()
        guard reader.atEnd, let days = days(date, bc: bc) else { return nil }
        let inDay = ((hours * 60 + minutes) * 60 + seconds - offset) * TimeText.microsPerSecond + fraction
        let (midnight, overflow) = days.multipliedReportingOverflow(by: TimeText.microsPerDay)
        let (micros, overflowSum) = midnight.addingReportingOverflow(inDay)
        return overflow || overflowSum ? nil : micros
    }

    /// The days of a printed date; PostgreSQL's year n BC is the proleptic year 1 - n.
    private static func days(_ date: (year: Int64, month: Int64, day: Int64), bc: Bool) -> Int64? {
        let year = bc ? 1 - date.year : date.year
        let days = TimeText.days(year: year, month: date.month, day: date.day)
        return TimeText.civil(days: days) == (year, date.month, date.day) ? days : nil
    }

    /// A cursor over printed bytes.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        var atEnd: Bool { index == bytes.count }
        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
        mutating func skip() { index += 1 }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek() == byte else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard let byte = peek(), byte >= 0x30, byte <= 0x39 else { return nil }
            index += 1
            return Int64(byte - 0x30)
        }

        /// Exactly `digits` digits.
        mutating func number(digits: Int) -> Int64? {
            var value: Int64 = 0
            for _ in 0..<digits {
                guard let digit = digit() else { return nil }
                value = value * 10 + digit
            }
            return value
        }

        /// `yyyy-mm-dd`, with four to seven digits of year (PostgreSQL's dates end in 5874897).
        mutating func date() -> (year: Int64, month: Int64, day: Int64)? {
            var year: Int64 = 0, yearDigits = 0
            while let digit = digit() {
                guard yearDigits < 7 else { return nil }
                year = year * 10 + digit
                yearDigits += 1
            }
            guard yearDigits >= 4, year >= 1, take(UInt8(ascii: "-")), let month = number(digits: 2), take(UInt8(ascii: "-")),
                  let day = number(digits: 2), (1...12).contains(month), (1...31).contains(day) else { return nil }
            return (year, month, day)
        }

        /// Whether ` BC` follows.
        mutating func takeEra() -> Bool {
            let rest = UnsafeRawBufferPointer(rebasing: bytes[index...])
            guard rest.elementsEqual(" BC".utf8) else { return false }
            index = bytes.count
            return true
        }
    }
}
