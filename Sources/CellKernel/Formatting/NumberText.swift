#if canImport(Glibc)
import Glibc
#endif

/// Numbers read from text, with the grammar Spark's casts accept.
enum NumberText {
    /// Spark's string-to-double cast: Java's `Double.parseDouble`, then the special values Spark
    /// accepts case-insensitively when Java does not ('inf', '-infinity', 'nan', ...).
    static func parseDouble(_ text: UnsafeRawBufferPointer) -> Double? {
        if let d = parseJavaDouble(text) { return d }
        guard text.count <= 16 else { return nil }
        let word = String(decoding: text, as: UTF8.self).trimmingASCIIWhitespace().lowercased()
        switch word {
        case "inf", "+inf", "infinity", "+infinity": return .infinity
        case "-inf", "-infinity": return -.infinity
        case "nan": return .nan
        default: return nil
        }
    }

    /// Java's `Double.parseDouble` grammar on trimmed text: sign, digits, optional fraction and
    /// exponent, optional `d`/`f` suffix, `NaN` and `Infinity`. Correctly rounded (strtod).
    private static func parseJavaDouble(_ text: UnsafeRawBufferPointer) -> Double? {
        var start = 0, end = text.count
        while start < end && text[start] <= 0x20 { start += 1 }
        while end > start && text[end - 1] <= 0x20 { end -= 1 }
        guard start < end else { return nil }
        if end - start <= 64 {
            return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 66) { buffer in
                var n = 0
                var i = start
                var negative = false
                if text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-") {
                    negative = text[i] == UInt8(ascii: "-")
                    i += 1
                }
                let rest = UnsafeRawBufferPointer(rebasing: text[i..<end])
                if rest.elementsEqual("NaN".utf8) { return .nan }
                if rest.elementsEqual("Infinity".utf8) { return negative ? -.infinity : .infinity }
                var digits = 0, dot = false, exponent = false, exponentDigits = 0
                if negative { buffer[n] = CChar(UInt8(ascii: "-")); n += 1 }
                while i < end {
                    let c = text[i]
                    switch c {
                    case UInt8(ascii: "0")...UInt8(ascii: "9"):
                        if exponent { exponentDigits += 1 } else { digits += 1 }
                    case UInt8(ascii: "."):
                        guard !dot && !exponent else { return nil }
                        dot = true
                    case UInt8(ascii: "e"), UInt8(ascii: "E"):
                        guard !exponent && digits > 0 else { return nil }
                        exponent = true
                        if i + 1 < end && (text[i + 1] == UInt8(ascii: "+") || text[i + 1] == UInt8(ascii: "-")) {
                            buffer[n] = CChar(c); n += 1; i += 1
                            buffer[n] = CChar(text[i]); n += 1; i += 1
                            continue
                        }
                    case UInt8(ascii: "d"), UInt8(ascii: "D"), UInt8(ascii: "f"), UInt8(ascii: "F"):
                        guard i == end - 1 else { return nil }
                        i += 1
                        continue
                    default:
                        return nil
                    }
                    buffer[n] = CChar(c); n += 1; i += 1
                }
                guard digits > 0, !exponent || exponentDigits > 0 else { return nil }
                buffer[n] = 0
                return strtod(buffer.baseAddress!, nil)
            }
        }
        // Long texts are rare: take the slow, allocating path.
        return Double(String(decoding: text[start..<end], as: UTF8.self))
    }

    /// Spark's string-to-integer cast (UTF8String.toLong): optional sign and digits, and a
    /// fractional part that is checked and dropped ('1.9' is 1, and '.5' is 0, as in Spark).
    /// Overflow of Int64 is nil.
    static func parseInteger(_ text: UnsafeRawBufferPointer) -> Int64? {
        var start = 0, end = text.count
        while start < end && text[start] <= 0x20 { start += 1 }
        while end > start && text[end - 1] <= 0x20 { end -= 1 }
        guard start < end else { return nil }
        var i = start
        let negative = text[i] == UInt8(ascii: "-")
        if negative || text[i] == UInt8(ascii: "+") { i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < end, text[i] >= 0x30, text[i] <= 0x39 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let d = Int64(text[i] - 0x30)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            guard !o1 && !o2 else { return nil }
            value = s
            digits += 1
            i += 1
        }
        var point = false
        if i < end && text[i] == UInt8(ascii: ".") {
            point = true
            i += 1
            while i < end, text[i] >= 0x30, text[i] <= 0x39 { i += 1 }
        }
        guard i == end, digits > 0 || point else { return nil }
        return value
    }
}

/// DECIMAL values (unscaled) as text.
enum DecimalText {
    static func format(_ unscaled: Int128, scale: Int) -> String {
        let digits = String(unscaled.magnitude)
        let sign = unscaled < 0 ? "-" : ""
        guard scale > 0 else { return sign + digits }
        let padded = String(repeating: "0", count: max(0, scale + 1 - digits.count)) + digits
        let point = padded.index(padded.endIndex, offsetBy: -scale)
        return sign + padded[..<point] + "." + padded[point...]
    }
}

/// A decimal number read exactly from text, with Java's `BigDecimal(String)` grammar after
/// trimming (as Spark's string-to-decimal cast reads it): sign, digits with an optional point,
/// optional exponent. Also what `round` and DOUBLE-to-DECIMAL use on `Double.toString` text.
struct ExactDecimal {
    var negative: Bool
    /// Significant digits (0-9) without leading zeros, empty for zero.
    var digits: [UInt8]
    /// The value is `digits` × 10^exponent.
    var exponent: Int

    init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while let b = bytes.first, b <= 0x20 { bytes.removeFirst() }
        while let b = bytes.last, b <= 0x20 { bytes.removeLast() }
        negative = bytes.first == UInt8(ascii: "-")
        if negative || bytes.first == UInt8(ascii: "+") { bytes.removeFirst() }
        digits = []
        exponent = 0
        var point = false, count = 0
        while let b = bytes.first {
            if b >= 0x30 && b <= 0x39 {
                if b != 0x30 || !digits.isEmpty { digits.append(b - 0x30) }
                if point { exponent -= 1 }
                count += 1
            } else if b == UInt8(ascii: ".") && !point {
                point = true
            } else {
                break
            }
            bytes.removeFirst()
        }
        guard count > 0 else { return nil }
        if let e = bytes.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            bytes.removeFirst()
            let negativeExponent = bytes.first == UInt8(ascii: "-")
            if negativeExponent || bytes.first == UInt8(ascii: "+") { bytes.removeFirst() }
            var value = 0, n = 0
            while let b = bytes.first, b >= 0x30 && b <= 0x39 {
                value = min(value * 10 + Int(b - 0x30), 1_000_000_000)
                n += 1
                bytes.removeFirst()
            }
            guard n > 0 else { return nil }
            exponent += negativeExponent ? -value : value
        }
        guard bytes.isEmpty else { return nil }
    }

    /// The digits of the value × 10^scale rounded HALF_UP to an integer (no leading zeros,
    /// empty for zero), or nil when that integer has more than 38 digits.
    func roundedHalfUp(scale: Int) -> [UInt8]? {
        guard !digits.isEmpty else { return [] }
        let shift = exponent + max(-2_000_000_000, min(2_000_000_000, scale))
        if shift >= 0 {
            guard digits.count + shift <= 38 else { return nil }
            return digits + [UInt8](repeating: 0, count: shift)
        }
        let dropped = -shift
        guard dropped <= digits.count else { return [] }
        var kept = Array(digits.prefix(digits.count - dropped))
        if digits[digits.count - dropped] >= 5 {
            var i = kept.count - 1
            while i >= 0 && kept[i] == 9 { kept[i] = 0; i -= 1 }
            if i >= 0 { kept[i] += 1 } else { kept.insert(1, at: 0) }
        }
        kept.removeFirst(kept.prefix { $0 == 0 }.count)
        return kept.count <= 38 ? kept : nil
    }

    /// The unscaled value of a DECIMAL(precision, scale), HALF_UP; nil when it does not fit.
    func unscaled(precision: Int, scale: Int) -> Int128? {
        guard let rounded = roundedHalfUp(scale: scale), rounded.count <= min(precision, 38) else { return nil }
        let magnitude = rounded.reduce(Int128(0)) { $0 * 10 + Int128($1) }
        return negative ? -magnitude : magnitude
    }
}
