#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Conversions of number text to the stored values of each SQL type.
enum JSONNumberConversion {
    /// 10^0 ... 10^22: the powers of ten a Double holds exactly (Clinger's fast path).
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// 10^0 ... 10^19, every power of ten a UInt64 holds.
    static let integerPowersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000,
        1_000_000_000, 10_000_000_000, 100_000_000_000, 1_000_000_000_000,
        10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
        10_000_000_000_000_000_000,
    ]

    // MARK: Double

    /// The correctly rounded Double of a number token.
    ///
    /// When the mantissa and the power of ten are both exact Doubles, IEEE arithmetic rounds
    /// their product or quotient once, correctly (Clinger 1990). That covers money, counts and
    /// most measurements; anything else goes to the C library's correctly rounded `strtod`.
    @inline(__always)
    static func double(_ token: JSONNumberToken, base: UnsafePointer<UInt8>) -> Double {
        if !token.truncated {
            if token.mantissa == 0 { return token.negative ? -0.0 : 0.0 }
            if token.mantissa <= 1 << 53 {
                let e = token.exponent
                var magnitude: Double? = nil
                if e >= 0 {
                    if e <= 22 {
                        magnitude = Double(token.mantissa) * exactPowersOfTen[e]
                    } else if e <= 22 + 15 {
                        // Small mantissas absorb part of a larger exponent while staying exact.
                        let (scaled, overflow) = token.mantissa.multipliedReportingOverflow(by: integerPowersOfTen[e - 22])
                        if !overflow && scaled <= 1 << 53 { magnitude = Double(scaled) * 1e22 }
                    }
                } else if e >= -22 {
                    magnitude = Double(token.mantissa) / exactPowersOfTen[-e]
                }
                if let magnitude { return token.negative ? -magnitude : magnitude }
            }
        }
        return slowDouble(base + token.start, count: token.end - token.start)
    }

    /// `strtod` on a NUL-terminated copy of the text (the document buffer has no terminator).
    static func slowDouble(_ text: UnsafePointer<UInt8>, count: Int) -> Double {
        let parsed: Double? = withUnsafeTemporaryAllocation(of: CChar.self, capacity: count + 1) { buffer in
            let c = buffer.baseAddress!
            UnsafeMutableRawPointer(c).copyMemory(from: text, byteCount: count)
            c[count] = 0
            var stop: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(c, &stop)
            // A process that set LC_NUMERIC to a comma locale makes strtod stop at the '.'.
            return stop == c + count ? value : nil
        }
        if let parsed { return parsed }
        return Double(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)) ?? .nan
    }

    // MARK: Integers

    /// The Int64 of an integer token, or nil when it does not fit.
    @inline(__always)
    static func int64(_ token: JSONNumberToken) -> Int64? {
        guard !token.truncated, token.exponent == 0 else { return nil }
        if token.negative {
            guard token.mantissa <= 1 << 63 else { return nil }
            return Int64(truncatingIfNeeded: 0 &- token.mantissa)
        }
        guard token.mantissa <= UInt64(Int64.max) else { return nil }
        return Int64(token.mantissa)
    }

    /// Seconds since the epoch (Spark reads numbers for TIMESTAMP so) as microseconds,
    /// truncated toward zero; nil when out of range.
    static func timestampMicros(_ token: JSONNumberToken, base: UnsafePointer<UInt8>) -> Int64? {
        if !token.truncated {
            let e = token.exponent + 6
            var magnitude: UInt64
            if e >= 0 {
                if token.mantissa == 0 {
                    magnitude = 0
                } else {
                    guard e <= 19 else { return nil }
                    let (m, overflow) = token.mantissa.multipliedReportingOverflow(by: integerPowersOfTen[e])
                    guard !overflow else { return nil }
                    magnitude = m
                }
            } else {
                magnitude = e < -19 ? 0 : token.mantissa / integerPowersOfTen[-e]
            }
            if token.negative {
                guard magnitude <= 1 << 63 else { return nil }
                return Int64(truncatingIfNeeded: 0 &- magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }
        let micros = double(token, base: base) * 1_000_000
        guard micros.isFinite, micros > -9.223372036854775e18, micros < 9.223372036854775e18 else { return nil }
        return Int64(micros)
    }

    // MARK: Decimal

    /// 10^0 ... 10^38: the powers of ten a DECIMAL(38) value is bounded by.
    static let decimalPowersOfTen: [UInt128] = (0...38).map { n in (0..<n).reduce(UInt128(1)) { r, _ in r * 10 } }

    enum DecimalResult {
        case value(Int128)
        case doesNotFit
        case unparsable
    }

    /// Number text as the unscaled Int128 of DECIMAL(`precision`, `scale`), rounding HALF_UP
    /// (ties away from zero) as Java's `BigDecimal.setScale` does for Spark.
    ///
    /// Works on the digits as text, so values with any number of digits or any exponent round
    /// exactly: only the digits left of the rounding position and the one right of it matter.
    /// `lenient` admits what `java.math.BigDecimal(String)` does beyond JSON's grammar (a '+',
    /// leading zeros, ".5", "5.") and ignores ',' as Spark strips them: for numbers in strings.
    static func decimal(_ text: UnsafePointer<UInt8>, count n: Int, precision: Int, scale: Int, lenient: Bool) -> DecimalResult {
        var i = 0
        var negative = false
        if i < n && (text[i] == UInt8(ascii: "-") || (lenient && text[i] == UInt8(ascii: "+"))) {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
        }
        let digitsStart = i
        var integerDigits = 0
        var fractionDigits = 0
        var sawPoint = false
        while i < n {
            let c = text[i]
            if JSONScanner.isDigit(c) {
                if sawPoint { fractionDigits += 1 } else { integerDigits += 1 }
            } else if c == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else if !(lenient && c == UInt8(ascii: ",") && !sawPoint) {
                break
            }
            i += 1
        }
        let digitsEnd = i
        guard integerDigits + fractionDigits > 0 else { return .unparsable }
        var exponent = 0
        if i < n && text[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var negativeExponent = false
            if i < n && (text[i] == UInt8(ascii: "+") || text[i] == UInt8(ascii: "-")) {
                negativeExponent = text[i] == UInt8(ascii: "-")
                i += 1
            }
            guard i < n, JSONScanner.isDigit(text[i]) else { return .unparsable }
            while i < n && JSONScanner.isDigit(text[i]) {
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(text[i] - UInt8(ascii: "0")) }
                i += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        guard i == n else { return .unparsable }

        let total = integerDigits + fractionDigits
        // Digits at or left of the unscaled value's units position; the next one rounds.
        let keep = total + exponent - fractionDigits + scale
        let limit = decimalPowersOfTen[min(max(precision, 1), 38)]
        var unscaled: UInt128 = 0
        var roundUp = false
        var k = 0
        var j = digitsStart
        while j < digitsEnd {
            let c = text[j]
            j += 1
            guard JSONScanner.isDigit(c) else { continue }
            if k < keep {
                // unscaled < limit / 10 keeps the product below 10^38 < 2^128.
                if unscaled >= limit / 10 && unscaled != 0 { return .doesNotFit }
                unscaled = unscaled * 10 + UInt128(c - UInt8(ascii: "0"))
                if unscaled >= limit { return .doesNotFit }
            } else {
                // With keep < 0 the rounding digit is a zero left of all written digits.
                roundUp = k == keep && c >= UInt8(ascii: "5")
                break
            }
            k += 1
        }
        if keep > total && unscaled != 0 {
            var zeros = keep - total
            while zeros > 0 {
                if unscaled >= limit / 10 { return .doesNotFit }
                unscaled *= 10
                if unscaled >= limit { return .doesNotFit }
                zeros -= 1
            }
        }
        if roundUp {
            unscaled += 1
            if unscaled >= limit { return .doesNotFit }
        }
        return .value(negative ? -Int128(unscaled) : Int128(unscaled))
    }
}
