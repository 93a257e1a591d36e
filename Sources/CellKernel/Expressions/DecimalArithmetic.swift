/// Exact DECIMAL arithmetic with Spark's types (non-ANSI, `allowPrecisionLoss` on): values are
/// unscaled Int128s of at most 38 digits; products and quotients go through 256 bits, results
/// round HALF_UP to the result's scale, and a result that does not fit its precision is NULL.
enum DecimalArithmetic {
    /// Spark's `DecimalType.MAX_PRECISION`, and `MINIMUM_ADJUSTED_SCALE`.
    static let maxPrecision = 38
    static let minimumAdjustedScale = 6

    private static let powers: [UInt128] = (0...38).map { n in (0..<n).reduce(UInt128(1)) { r, _ in r * 10 } }

    /// 10^n for n in 0...38 (clamped).
    @inline(__always)
    static func powerOfTen(_ n: Int) -> Int128 { Int128(powers[min(max(n, 0), 38)]) }

    // MARK: Result types

    /// The DECIMAL an operand of type `t` takes in decimal arithmetic (Spark's `DecimalType.forType`).
    static func asDecimal(_ t: SQLType) -> (p: Int, s: Int)? {
        switch t {
        case .decimal(let p, let s): (p, s)
        case .int: (10, 0)
        case .bigint: (20, 0)
        default: nil
        }
    }

    /// Spark's `DecimalType.adjustPrecisionScale`: past 38 digits, integer digits are kept and
    /// the scale gives way, down to 6 (or the scale asked, if smaller).
    static func adjusted(_ p: Int, _ s: Int) -> SQLType {
        if p <= maxPrecision { return .decimal(precision: max(p, 1), scale: s) }
        let integerDigits = p - s
        let scale = max(maxPrecision - integerDigits, min(s, minimumAdjustedScale))
        return .decimal(precision: maxPrecision, scale: scale)
    }

    /// The result type of `a op b` when either side is a DECIMAL and neither is fractional.
    static func resultType(_ op: ScalarFunction, _ a: SQLType, _ b: SQLType) -> SQLType? {
        guard let (p1, s1) = asDecimal(a), let (p2, s2) = asDecimal(b) else { return nil }
        switch op {
        case .add, .subtract:
            let s = max(s1, s2)
            return adjusted(max(p1 - s1, p2 - s2) + s + 1, s)
        case .multiply:
            return adjusted(p1 + p2 + 1, s1 + s2)
        case .divide:
            let s = max(minimumAdjustedScale, s1 + p2 + 1)
            return adjusted(p1 - s1 + s2 + s, s)
        case .remainder:
            let s = max(s1, s2)
            return adjusted(min(p1 - s1, p2 - s2) + s, s)
        default:
            return nil
        }
    }

    /// The narrowest DECIMAL holding both (Spark's `widerDecimalType`), for comparisons and CASE.
    static func wider(_ a: SQLType, _ b: SQLType) -> SQLType? {
        guard let (p1, s1) = asDecimal(a), let (p2, s2) = asDecimal(b) else { return nil }
        let s = max(s1, s2)
        let range = max(p1 - s1, p2 - s2)
        return .decimal(precision: min(range + s, maxPrecision), scale: min(s, maxPrecision))
    }

    // MARK: Values

    /// An unscaled value of `column` at `row` (INT and BIGINT are DECIMAL(10,0) and (20,0)).
    @inline(__always)
    static func unscaled(_ column: Column, _ row: Int) -> Int128 {
        switch column.data {
        case .int128(let v): v[row]
        case .int64(let v): Int128(v[row])
        default: 0
        }
    }

    static func scale(of t: SQLType) -> Int { if case .decimal(_, let s) = t { s } else { 0 } }

    /// `a op b` over columns, into DECIMAL `type`.
    static func binary(_ op: ScalarFunction, _ a: Column, _ b: Column, type: SQLType) -> Column {
        guard case .decimal(let p, let s) = type else { preconditionFailure("decimal arithmetic into \(type)") }
        let sa = scale(of: a.type), sb = scale(of: b.type)
        let n = a.count
        var validity = combinedValidity(a, b)
        var out = [Int128](repeating: 0, count: n)
        let bound = powerOfTen(p)
        for i in 0..<n where validity.isEmpty || validity[i] {
            let x = unscaled(a, i), y = unscaled(b, i)
            let r: Int128? = switch op {
            case .add: add(x, sa, y, sb, scale: s)
            case .subtract: add(x, sa, -y, sb, scale: s)
            case .multiply: multiply(x, sa, y, sb, scale: s)
            case .divide: y == 0 ? nil : divide(x, scale: sa, by: y, scale: sb, resultScale: s)
            case .remainder: y == 0 ? nil : remainder(x, sa, y, sb, scale: s)
            default: nil
            }
            if let r, r > -bound, r < bound { out[i] = r } else { markNull(&validity, i, count: n) }
        }
        return Column(type: type, data: .int128(out), validity: validity)
    }

    /// `x × 10^k` for k ≥ 0, or rounded HALF_UP `x / 10^-k`; nil when it leaves 128 bits.
    static func rescale(_ x: Int128, by k: Int) -> Int128? {
        if k == 0 { return x }
        if k > 0 {
            guard k <= 38 else { return x == 0 ? 0 : nil }
            let (r, overflow) = x.multipliedReportingOverflow(by: powerOfTen(k))
            return overflow ? nil : r
        }
        guard -k <= 38 else { return 0 }
        return roundedQuotient(high: 0, low: x.magnitude, by: UInt128(powerOfTen(-k)), negative: x < 0)
    }

    /// A magnitude of up to 256 bits with its sign: operands brought to a common scale
    /// (up to 10^76) fit, so sums and remainders are exact before the final rounding.
    struct Wide {
        var negative: Bool
        var high: UInt128
        var low: UInt128

        /// `x × 10^k`, k in 0...38.
        init(_ x: Int128, times k: Int) {
            negative = x < 0
            (high, low) = x.magnitude.multipliedFullWidth(by: UInt128(powerOfTen(k)))
        }

        init(negative: Bool, high: UInt128, low: UInt128) {
            self.negative = negative
            self.high = high
            self.low = low
        }

        static func magnitudeLess(_ a: Wide, _ b: Wide) -> Bool { a.high != b.high ? a.high < b.high : a.low < b.low }

        /// |a| - |b| for |a| >= |b|.
        static func subtractMagnitudes(_ a: Wide, _ b: Wide) -> (UInt128, UInt128) {
            let (low, borrow) = a.low.subtractingReportingOverflow(b.low)
            return (a.high &- b.high &- (borrow ? 1 : 0), low)
        }

        /// The signed sum; nil when it leaves 256 bits (never, for operands below 10^76 each).
        static func + (a: Wide, b: Wide) -> Wide? {
            if a.negative == b.negative {
                let (low, carry) = a.low.addingReportingOverflow(b.low)
                let (high1, o1) = a.high.addingReportingOverflow(b.high)
                let (high, o2) = high1.addingReportingOverflow(carry ? 1 : 0)
                return o1 || o2 ? nil : Wide(negative: a.negative, high: high, low: low)
            }
            if magnitudeLess(a, b) {
                let (h, l) = subtractMagnitudes(b, a)
                return Wide(negative: b.negative, high: h, low: l)
            }
            let (h, l) = subtractMagnitudes(a, b)
            return Wide(negative: a.negative, high: h, low: l)
        }

        /// The magnitude shifted left by one bit.
        func doubled() -> (UInt128, UInt128) { (high << 1 | low >> 127, low << 1) }

        /// |a| mod |b| with the sign of a (Java's BigDecimal.remainder), by long division.
        static func % (a: Wide, b: Wide) -> Wide {
            if b.high == 0 {
                let r1 = a.high % b.low
                let (_, r) = b.low.dividingFullWidth((r1, a.low))
                return Wide(negative: a.negative, high: 0, low: r)
            }
            // Shift-subtract over the 256 bits: only when the divisor itself exceeds 128 bits.
            var r = Wide(negative: false, high: 0, low: 0)
            let divisor = Wide(negative: false, high: b.high, low: b.low)
            for bit in (0..<256).reversed() {
                let (h, l) = r.doubled()
                let word = bit >= 128 ? a.high : a.low
                r = Wide(negative: false, high: h, low: l | (word >> UInt128(bit % 128)) & 1)
                if !magnitudeLess(r, divisor) { (r.high, r.low) = subtractMagnitudes(r, divisor) }
            }
            r.negative = a.negative
            return r
        }

        /// Rounded HALF_UP to `x / 10^k` (k in 0...38) as an Int128; nil when it does not fit.
        func rounded(droppingDigits k: Int) -> Int128? {
            let d = UInt128(powerOfTen(k))
            guard high < d else { return nil }
            var (q, r) = d.dividingFullWidth((high, low))
            if k > 0 && r >= d - r { q += 1 }
            guard q <= UInt128(Int128.max) else { return nil }
            return negative ? -Int128(q) : Int128(q)
        }
    }

    /// Exact sum at the larger scale (256 bits), then rounded to `scale`.
    static func add(_ x: Int128, _ sx: Int, _ y: Int128, _ sy: Int, scale: Int) -> Int128? {
        let common = max(sx, sy)
        guard let sum = Wide(x, times: common - sx) + Wide(y, times: common - sy) else { return nil }
        return scale >= common ? sum.rounded(droppingDigits: 0).flatMap { rescale($0, by: scale - common) } : sum.rounded(droppingDigits: common - scale)
    }

    /// The exact 256-bit product, rounded to `scale`.
    static func multiply(_ x: Int128, _ sx: Int, _ y: Int128, _ sy: Int, scale: Int) -> Int128? {
        let negative = (x < 0) != (y < 0)
        var (high, low) = x.magnitude.multipliedFullWidth(by: y.magnitude)
        var shift = sx + sy - scale
        if shift < 0 {
            // Only when the result scale is larger than the product's: scale up (no rounding).
            guard high == 0, low <= UInt128(Int128.max), let r = rescale(Int128(low), by: -shift) else { return nil }
            return negative ? -r : r
        }
        // Divide by 10^shift in steps of at most 10^38; HALF_UP needs only the last step's remainder.
        while shift > 38 {
            guard let q = quotient(high: high, low: low, by: UInt128(powerOfTen(38))) else { return nil }
            (high, low) = q
            shift -= 38
        }
        guard high < UInt128(powerOfTen(shift)) else { return nil }
        return roundedQuotient(high: high, low: low, by: UInt128(powerOfTen(shift)), negative: negative)
    }

    /// `(x / 10^sx) / (y / 10^sy)` at `resultScale`, rounded HALF_UP, in 256 bits.
    static func divide(_ x: Int128, scale sx: Int, by y: Int128, scale sy: Int, resultScale: Int) -> Int128? {
        guard y != 0 else { return nil }
        let negative = (x < 0) != (y < 0)
        // x × 10^(rs - sx + sy) / y.
        var e = resultScale - sx + sy
        var denominator = y.magnitude
        while e < 0 {
            let step = min(-e, 38)
            let (d, overflow) = denominator.multipliedReportingOverflow(by: UInt128(powerOfTen(step)))
            if overflow { return 0 }  // |x| < 2^127 over more than 2^128: rounds to zero
            denominator = d
            e += step
        }
        var (high, low) = (UInt128(0), x.magnitude)
        while e > 0 {
            let step = min(e, 38)
            // (high, low) × 10^step, in 256 bits.
            let m = UInt128(powerOfTen(step))
            let (lh, ll) = low.multipliedFullWidth(by: m)
            let (hh, hl) = high.multipliedFullWidth(by: m)
            let (newHigh, overflow) = hl.addingReportingOverflow(lh)
            guard hh == 0, !overflow else { return nil }
            (high, low) = (newHigh, ll)
            e -= step
        }
        return roundedQuotient(high: high, low: low, by: denominator, negative: negative)
    }

    /// Spark's `%` on decimals: the sign of the dividend, at the larger scale (256 bits), then rounded.
    static func remainder(_ x: Int128, _ sx: Int, _ y: Int128, _ sy: Int, scale: Int) -> Int128? {
        guard y != 0 else { return nil }
        let common = max(sx, sy)
        let r = Wide(x, times: common - sx) % Wide(y, times: common - sy)
        return scale >= common ? r.rounded(droppingDigits: 0).flatMap { rescale($0, by: scale - common) } : r.rounded(droppingDigits: common - scale)
    }

    /// The 256-bit quotient of (high, low) / d, or nil when d is 0.
    private static func quotient(high: UInt128, low: UInt128, by d: UInt128) -> (UInt128, UInt128)? {
        guard d != 0 else { return nil }
        let qh = high / d, r = high % d
        let (ql, _) = d.dividingFullWidth((r, low))
        return (qh, ql)
    }

    /// (high, low) / d rounded HALF_UP (ties away from zero), signed; nil past Int128 (high < d needed).
    private static func roundedQuotient(high: UInt128, low: UInt128, by d: UInt128, negative: Bool) -> Int128? {
        guard d != 0, high < d else { return nil }
        var (q, r) = d.dividingFullWidth((high, low))
        if r >= d - r { q += 1 }
        guard q <= UInt128(Int128.max) else { return nil }
        return negative ? -Int128(q) : Int128(q)
    }

    // MARK: Text

    /// Spark's text of a DECIMAL: the plain digits with exactly `scale` after the point.
    static func text(_ unscaled: Int128, scale: Int) -> String { DecimalText.format(unscaled, scale: scale) }

    /// The DOUBLE nearest a DECIMAL (as Spark's `Decimal.toDouble`, through its text).
    static func double(_ unscaled: Int128, scale: Int) -> Double {
        // Both exact Doubles: one correctly rounded division (Clinger's fast path), no text.
        if unscaled.magnitude <= 1 << 53, scale <= 22 { return Double(unscaled) / exactPowersOfTen[max(scale, 0)] }
        return Double(text(unscaled, scale: scale)) ?? .nan
    }

    private static let exactPowersOfTen: [Double] = (0...22).map { n in (0..<n).reduce(1.0) { r, _ in r * 10 } }
}

extension SQLType {
    /// A DECIMAL's precision (0 for other types).
    var decimalPrecision: Int { if case .decimal(let p, _) = self { p } else { 0 } }
}
