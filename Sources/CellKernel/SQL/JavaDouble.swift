/// Doubles (and floats) printed as Java's `Double.toString` (`Float.toString`) prints them,
/// because Spark shows values and names generated columns with that text (`1000.0`,
/// `1.0E-5`, `1.5E20`), and cells should read the same.
enum JavaDouble {
    static func string<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let sign = value < 0 ? "-" : ""
        let (digits, exponent) = shortestDigits(of: value.magnitude)
        let magnitude = value.magnitude
        if magnitude >= 1e-3 && magnitude < 1e7 {
            if exponent >= 0 {
                let whole = digits.prefix(exponent + 1).padding(toLength: exponent + 1)
                let fraction = digits.count > exponent + 1 ? String(digits.dropFirst(exponent + 1)) : "0"
                return "\(sign)\(whole).\(fraction)"
            }
            return "\(sign)0.\(String(repeating: "0", count: -exponent - 1))\(digits)"
        }
        let fraction = digits.count > 1 ? String(digits.dropFirst()) : "0"
        return "\(sign)\(digits.first!).\(fraction)E\(exponent)"
    }

    /// The shortest digits that round-trip (Swift and Java agree on those) and the decimal
    /// exponent of the first one: `1234.5` is ("12345", 3), `0.001` is ("1", -3).
    private static func shortestDigits<F: BinaryFloatingPoint & CustomStringConvertible>(of value: F) -> (String, Int) {
        let text = value.description
        let parts = text.split(separator: "e")
        let exponentPart = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(mantissa[0])
        let fraction = mantissa.count > 1 ? String(mantissa[1]) : ""
        var digits: Substring
        var exponent: Int
        if whole.allSatisfy({ $0 == "0" }) {
            let leadingZeros = fraction.prefix { $0 == "0" }.count
            digits = fraction.dropFirst(leadingZeros)
            exponent = -(leadingZeros + 1) + exponentPart
        } else {
            let trimmed = whole.drop { $0 == "0" }
            digits = Substring(trimmed + fraction)
            exponent = trimmed.count - 1 + exponentPart
        }
        while digits.count > 1, digits.last == "0" { digits.removeLast() }
        return (String(digits), exponent)
    }
}

extension Substring {
    fileprivate func padding(toLength length: Int) -> String {
        String(self) + String(repeating: "0", count: Swift.max(0, length - count))
    }
}
