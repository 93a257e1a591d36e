#if canImport(Glibc)
import Glibc
#endif

/// Numbers read from text, with the grammar Spark's casts accept.
enum NumberText {
    /// Java's `Double.parseDouble` grammar on trimmed text: sign, digits, optional fraction and
    /// exponent, optional `d`/`f` suffix, `NaN` and `Infinity`. Correctly rounded (strtod).
    static func parseDouble(_ text: UnsafeRawBufferPointer) -> Double? {
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

    /// Spark's string-to-integer cast: optional sign and digits, and a fractional part that
    /// is checked and dropped ('1.9' is 1). Overflow of Int64 is nil.
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
        if i < end && text[i] == UInt8(ascii: ".") {
            i += 1
            while i < end, text[i] >= 0x30, text[i] <= 0x39 { i += 1 }
        }
        guard i == end, digits > 0 else { return nil }
        return value
    }
}

/// Doubles and floats as Java's `toString` writes them, which is how Spark prints them:
/// plain between 10^-3 and 10^7 (always with a fractional digit), scientific elsewhere.
enum JavaNumberText {
    static func double(_ d: Double) -> String { format(d.description, isNaN: d.isNaN, isInfinite: d.isInfinite, negative: d < 0) }
    static func float(_ f: Float) -> String { format(f.description, isNaN: f.isNaN, isInfinite: f.isInfinite, negative: f < 0) }

    /// Reformats Swift's shortest round-trip text (same digits as Java's since JDK 19).
    private static func format(_ swift: String, isNaN: Bool, isInfinite: Bool, negative: Bool) -> String {
        if isNaN { return "NaN" }
        if isInfinite { return negative ? "-Infinity" : "Infinity" }
        var text = Substring(swift)
        var sign = ""
        if text.hasPrefix("-") { sign = "-"; text = text.dropFirst() }
        // Split into significant digits and the position of the decimal point.
        var mantissa = text
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = text[..<e]
            exponent = Int(text[text.index(after: e)...]) ?? 0
        }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let integer = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = integer + fraction
        var point = integer.count + exponent
        let leading = digits.prefix { $0 == "0" }.count
        digits.removeFirst(leading)
        point -= leading
        while digits.count > 1 && digits.hasSuffix("0") { digits.removeLast() }
        if digits.isEmpty { return sign + "0.0" }
        let magnitude = point - 1  // value = 0.digits × 10^point = d.ddd × 10^magnitude
        if magnitude >= -3 && magnitude < 7 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
            if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
            let cut = digits.index(digits.startIndex, offsetBy: point)
            return sign + digits[..<cut] + "." + digits[cut...]
        }
        let first = digits.prefix(1)
        let rest = digits.dropFirst()
        return sign + first + "." + (rest.isEmpty ? "0" : rest) + "E" + String(magnitude)
    }
}

/// DECIMAL values (unscaled Int64) as text.
enum DecimalText {
    static func format(_ unscaled: Int64, scale: Int) -> String {
        guard scale > 0 else { return String(unscaled) }
        let negative = unscaled < 0
        var digits = String(unscaled.magnitude)
        if digits.count <= scale { digits = String(repeating: "0", count: scale - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -scale)
        return (negative ? "-" : "") + digits[..<cut] + "." + digits[cut...]
    }
}
