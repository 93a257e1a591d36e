/// UTC calendar arithmetic on Unix epoch milliseconds, in pure integer code.
///
/// The generator stamps a date and time on every message; Foundation's calendars and formatters
/// allocate and take locks, whereas the proleptic-Gregorian conversion below (Howard Hinnant's
/// `civil_from_days` / `days_from_civil`) is a handful of integer divisions. The `String`
/// functions are conveniences for tests and the command line; the hot path writes bytes directly.
public enum CivilTime {
    /// `"YYYY-MM-DD"` of the UTC day containing `millis`.
    public static func date(_ millis: Int64) -> String {
        render { $0.date(CivilDateTime(millis: millis)) }
    }

    /// `"HH:MM:SS"` (UTC) of `millis`; milliseconds are dropped, not rounded.
    public static func time(_ millis: Int64) -> String {
        render { $0.time(CivilDateTime(millis: millis)) }
    }

    /// `"YYYY-MM-DDTHH:MM:SS.mmmZ"` (UTC) of `millis`.
    public static func iso8601(_ millis: Int64) -> String {
        render { $0.iso8601(CivilDateTime(millis: millis)) }
    }

    /// Parses an ISO-8601 date-time into epoch milliseconds, or returns `nil` if malformed or out
    /// of the calendar (e.g. February 30th).
    ///
    /// Accepted: `YYYY-MM-DDTHH:MM:SS`, optionally followed by a fraction of 1 to 9 digits
    /// (truncated to milliseconds) and optionally by `Z` or a `±HH:MM` offset; no suffix means UTC.
    /// As with Python's `datetime.fromisoformat`, a bare `YYYY-MM-DD` (midnight) and a space
    /// instead of `T` are accepted too, so `--start` values written for the Python anchors work.
    public static func parseISO8601(_ text: String) -> Int64? {
        var scanner = DigitScanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take(UInt8(ascii: "-")),
              let month = scanner.number(digits: 2), scanner.take(UInt8(ascii: "-")),
              let day = scanner.number(digits: 2),
              (1...12).contains(month), (1...daysInMonth(year: Int64(year), month: month)).contains(day)
        else { return nil }
        var millis = daysFromCivil(year: Int64(year), month: month, day: day) * 86_400_000
        if scanner.atEnd { return millis }

        guard scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")) || scanner.take(UInt8(ascii: " ")),
              let hour = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")),
              let minute = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")),
              let second = scanner.number(digits: 2),
              hour < 24, minute < 60, second < 60
        else { return nil }
        millis += Int64(hour * 3_600_000 + minute * 60_000 + second * 1000)

        if scanner.take(UInt8(ascii: ".")) {
            var digits = 0
            var fraction = 0
            while let d = scanner.digit() {
                digits += 1
                if digits <= 3 { fraction = fraction * 10 + d }
            }
            guard (1...9).contains(digits) else { return nil }
            for _ in 0..<max(0, 3 - digits) { fraction *= 10 }
            millis += Int64(fraction)
        }

        if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
            // UTC already.
        } else if let sign = scanner.sign() {
            guard let offsetHours = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")),
                  let offsetMinutes = scanner.number(digits: 2), offsetHours < 24, offsetMinutes < 60
            else { return nil }
            millis -= sign * Int64(offsetHours * 3_600_000 + offsetMinutes * 60_000)
        }
        return scanner.atEnd ? millis : nil
    }

    private static func render(_ body: (inout ByteWriter) -> Void) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            var writer = ByteWriter(buffer)
            body(&writer)
            return String(decoding: writer.written, as: UTF8.self)
        }
    }

    static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic-Gregorian date.
    static func daysFromCivil(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400                                           // [0, 399]
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)            // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1           // [0, 365]
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}

/// A UTC instant broken into calendar fields.
struct CivilDateTime {
    var year: Int64
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var millisecond: Int

    @inline(__always)
    init(millis: Int64) {
        // Floor division: instants before 1970 still land on the right day.
        var days = millis / 86_400_000
        var msOfDay = millis % 86_400_000
        if msOfDay < 0 {
            msOfDay += 86_400_000
            days -= 1
        }
        let ms = Int(msOfDay)
        hour = ms / 3_600_000
        minute = ms / 60_000 % 60
        second = ms / 1000 % 60
        millisecond = ms % 1000

        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097                                                   // [0, 146096]
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)     // [0, 365]
        let shiftedMonth = (5 * dayOfYear + 2) / 153                                       // March = 0
        day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }
}

extension ByteWriter {
    /// Four-digit years as usual; years outside 0...9999 get a sign or extra digits rather than
    /// being silently wrapped.
    @inline(__always)
    mutating func year(_ y: Int64) {
        if y >= 0 && y <= 9999 {
            let v = Int(y)
            twoDigits(v / 100)
            twoDigits(v % 100)
        } else {
            if y < 0 { byte(UInt8(ascii: "-")) }
            decimal(y.magnitude, minimumWidth: 4)
        }
    }

    @inline(__always)
    mutating func date(_ c: CivilDateTime) {
        year(c.year)
        byte(UInt8(ascii: "-"))
        twoDigits(c.month)
        byte(UInt8(ascii: "-"))
        twoDigits(c.day)
    }

    @inline(__always)
    mutating func time(_ c: CivilDateTime) {
        twoDigits(c.hour)
        byte(UInt8(ascii: ":"))
        twoDigits(c.minute)
        byte(UInt8(ascii: ":"))
        twoDigits(c.second)
    }

    @inline(__always)
    mutating func iso8601(_ c: CivilDateTime) {
        date(c)
        byte(UInt8(ascii: "T"))
        time(c)
        byte(UInt8(ascii: "."))
        threeDigits(c.millisecond)
        byte(UInt8(ascii: "Z"))
    }
}

/// Just enough of a scanner for fixed-layout ISO-8601 text.
private struct DigitScanner {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { position == bytes.count }

    mutating func take(_ b: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == b else { return false }
        position += 1
        return true
    }

    mutating func digit() -> Int? {
        guard position < bytes.count, (48...57).contains(bytes[position]) else { return nil }
        position += 1
        return Int(bytes[position - 1] - 48)
    }

    /// Exactly `digits` decimal digits.
    mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let d = digit() else { return nil }
            value = value * 10 + d
        }
        return value
    }

    mutating func sign() -> Int64? {
        if take(UInt8(ascii: "+")) { return 1 }
        if take(UInt8(ascii: "-")) { return -1 }
        return nil
    }
}
