import CByteScan

/// Validating token readers over one JSON document in memory.
///
/// Every reader takes the offset of a token's first byte and returns the offset just past it,
/// or throws where the text stops being JSON. Values nobody asked for are skipped with the same
/// checks as values that are read (string contents, escapes, UTF-8, number grammar, nesting),
/// so a truncated or corrupt document is malformed no matter which fields a query extracts.
struct JSONScanner {
    /// Jackson's default nesting limit (Spark's parser), counting the document's own object.
    static let maximumDepth = 1000

    let base: UnsafePointer<UInt8>
    let end: Int
    /// Whether a newline is the end of the document rather than whitespace: for reading a
    /// JSON line in a buffer of many without finding its end first (`end` is the buffer's).
    let stopsAtNewline: Bool

    @inline(__always)
    init(base: UnsafePointer<UInt8>, end: Int, stopsAtNewline: Bool = false) {
        self.base = base
        self.end = end
        self.stopsAtNewline = stopsAtNewline
    }

    /// An error at `p`; at the end of the buffer every problem is really a truncation.
    @inline(__always)
    func fail(_ problem: JSONProblem, _ p: Int) -> JSONSyntaxError {
        JSONSyntaxError(problem: p >= end ? .truncated : problem, offset: min(p, end))
    }

    @inline(__always)
    func skipWhitespace(_ start: Int) -> Int {
        var p = start
        while p < end {
            let c = base[p]
            // One comparison settles the common case: every token byte is above 0x20.
            if c > 0x20 || (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) { break }
            if c == 0x0A && stopsAtNewline { break }
            p &+= 1
        }
        return p
    }

    // MARK: Strings

    /// High bit set in each byte lane that a string scan must stop at: `"`, `\`, a control
    /// character, or a non-ASCII byte (whose UTF-8 sequence is then validated).
    ///
    /// Borrows from the subtractions only run upward from a lane that is itself a stop, so the
    /// lowest flagged lane is exact, which is all the scan uses.
    @inline(__always)
    static func stringStopMask(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let q = w ^ (ones &* 0x22)
        let b = w ^ (ones &* 0x5C)
        let quote = (q &- ones) & ~q
        let backslash = (b &- ones) & ~b
        let belowSpace = w &- (ones &* 0x20)
        return (quote | backslash | belowSpace | w) & (ones &* 0x80)
    }

    /// The offset of the first byte from `start` at which a string scan must stop, looking
    /// sixteen (a bit mask of them, `cells_string_stops16`) and then eight bytes a step; where
    /// fewer than eight bytes are left unseen, the offset of the first of them, for the caller
    /// to look at byte by byte.
    @inline(__always)
    func stringStop(from start: Int) -> Int {
        var p = start
        while p &+ 16 <= end {
            let m = cells_string_stops16(base + p)
            if m != 0 { return p &+ m.trailingZeroBitCount }
            p &+= 16
        }
        if p &+ 8 <= end {
            let m = JSONScanner.stringStopMask(UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self))
            if m != 0 { return p &+ m.trailingZeroBitCount &>> 3 }
            p &+= 8
        }
        return p
    }

    /// Scans string contents starting just after the opening quote; returns the offset past the
    /// closing quote and whether any escape occurred (so unescaped strings can be copied as is).
    @inline(__always)
    func scanString(from start: Int) throws(JSONSyntaxError) -> (end: Int, escaped: Bool) {
        var p = start
        var escaped = false
        while true {
            p = stringStop(from: p)
            guard p < end else { throw JSONSyntaxError(problem: .unterminatedString, offset: end) }
            let c = base[p]
            if c == UInt8(ascii: "\"") { return (p &+ 1, escaped) }
            if c == UInt8(ascii: "\\") {
                escaped = true
                p = try skipEscape(at: p)
            } else if c >= 0x80 {
                p = try skipUTF8Sequence(at: p)
            } else if c < 0x20 {
                throw JSONSyntaxError(problem: .controlCharacter, offset: p)
            } else {
                p &+= 1
            }
        }
    }

    /// Validates one UTF-8 sequence (no overlongs, surrogates, or code points past U+10FFFF).
    func skipUTF8Sequence(at p: Int) throws(JSONSyntaxError) -> Int {
        let lead = base[p]
        var length = 0
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw JSONSyntaxError(problem: .invalidUTF8, offset: p)
        }
        guard p + length <= end else { throw JSONSyntaxError(problem: .truncated, offset: end) }
        let second = base[p + 1]
        guard second >= low && second <= high else { throw JSONSyntaxError(problem: .invalidUTF8, offset: p) }
        var k = 2
        while k < length {
            guard base[p + k] & 0xC0 == 0x80 else { throw JSONSyntaxError(problem: .invalidUTF8, offset: p) }
            k += 1
        }
        return p + length
    }

    /// Validates one escape starting at its backslash, pairing UTF-16 surrogates.
    func skipEscape(at p: Int) throws(JSONSyntaxError) -> Int {
        guard p + 1 < end else { throw fail(.truncated, end) }
        switch base[p + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            return p + 2
        case UInt8(ascii: "u"):
            let unit = try hex4(at: p + 2)
            if unit & 0xFC00 == 0xD800 {
                guard p + 8 <= end else { throw fail(.truncated, end) }
                guard base[p + 6] == UInt8(ascii: "\\"), base[p + 7] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(problem: .unpairedSurrogate, offset: p)
                }
                let low = try hex4(at: p + 8)
                guard low & 0xFC00 == 0xDC00 else { throw JSONSyntaxError(problem: .unpairedSurrogate, offset: p) }
                return p + 12
            }
            guard unit & 0xFC00 != 0xDC00 else { throw JSONSyntaxError(problem: .unpairedSurrogate, offset: p) }
            return p + 6
        default:
            throw JSONSyntaxError(problem: .invalidEscape, offset: p)
        }
    }

    func hex4(at p: Int) throws(JSONSyntaxError) -> UInt32 {
        guard p + 4 <= end else { throw fail(.truncated, end) }
        var value: UInt32 = 0
        for k in 0..<4 {
            guard let digit = JSONScanner.hexValue(base[p + k]) else {
                throw JSONSyntaxError(problem: .invalidEscape, offset: p - 2)
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c &- UInt8(ascii: "A") &+ 10
        default: nil
        }
    }

    // MARK: Numbers and literals

    @inline(__always)
    static func isDigit(_ c: UInt8) -> Bool { c &- UInt8(ascii: "0") < 10 }

    /// The value and end of a plain decimal (`-?int(.frac)?`, no exponent) of at most 15
    /// digits, nil for any other number text, valid or not, which ``scanNumber(at:)`` then
    /// reads. Such a number's digits and its power of ten are exact Doubles, so their one
    /// division rounds correctly: the same Double `JSONNumberConversion.double` makes of the
    /// token, without building one. Prices and measurements are nearly all of this form.
    @inline(__always)
    func shortDecimal(at start: Int) -> (value: Double, end: Int)? {
        var p = start
        let negative = base[p] == UInt8(ascii: "-")
        if negative { p &+= 1 }
        // Most such numbers have fewer than eight digits before and after the point: each part
        // is then found and converted from one 8-byte load, without a step per digit. Anything
        // else (a part that fills its load, no digit, text near the end) goes byte by byte.
        if p &+ 8 <= end {
            let word = UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)
            var digits = JSONScanner.nonDigitMask(word).trailingZeroBitCount &>> 3
            if digits > 0 && digits < 8 {
                if word & 0xFF == 0x30 { digits = 1 }  // a leading zero is the whole integer part
                var mantissa = JSONScanner.digitsValue(word, count: digits)
                var q = p &+ digits
                var fraction = 0
                var simple = true
                if base[q] == UInt8(ascii: ".") {
                    q &+= 1
                    if q &+ 8 <= end {
                        let tail = UnsafeRawPointer(base + q).loadUnaligned(as: UInt64.self)
                        fraction = JSONScanner.nonDigitMask(tail).trailingZeroBitCount &>> 3
                        if fraction > 0 && fraction < 8 {
                            mantissa = mantissa &* JSONScanner.powerOfTen(fraction) &+ JSONScanner.digitsValue(tail, count: fraction)
                            q &+= fraction
                        } else {
                            simple = false
                        }
                    } else {
                        simple = false
                    }
                }
                if simple {
                    guard q == end || base[q] | 0x20 != UInt8(ascii: "e") else { return nil }
                    let magnitude = fraction == 0 ? Double(mantissa) : Double(mantissa) / JSONScanner.exactPowerOfTen(fraction)
                    return (negative ? -magnitude : magnitude, q)
                }
            }
        }
        return shortDecimalStepwise(at: start)
    }

    /// ``shortDecimal(at:)`` a byte a step, for any text.
    func shortDecimalStepwise(at start: Int) -> (value: Double, end: Int)? {
        var p = start
        let negative = base[p] == UInt8(ascii: "-")
        if negative { p &+= 1 }
        guard p < end else { return nil }
        var mantissa: UInt64 = 0
        var digits = 0
        var d = base[p] &- UInt8(ascii: "0")
        guard d < 10 else { return nil }
        if d == 0 {
            p &+= 1  // a leading zero is the whole integer part, as in scanNumber
        } else {
            repeat {
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits &+= 1
                p &+= 1
                guard p < end else { break }
                d = base[p] &- UInt8(ascii: "0")
            } while d < 10
        }
        var fraction = 0
        if p < end && base[p] == UInt8(ascii: ".") {
            p &+= 1
            while p < end {
                d = base[p] &- UInt8(ascii: "0")
                guard d < 10 else { break }
                mantissa = mantissa &* 10 &+ UInt64(d)
                fraction &+= 1
                p &+= 1
            }
            guard fraction > 0 else { return nil }
        }
        guard digits &+ fraction <= 15, p == end || base[p] | 0x20 != UInt8(ascii: "e") else { return nil }
        let magnitude = fraction == 0 ? Double(mantissa) : Double(mantissa) / JSONScanner.exactPowerOfTen(fraction)
        return (negative ? -magnitude : magnitude, p)
    }

    /// 0x80 in each byte of `w` that is not an ASCII digit, 0 in each that is: exact per
    /// byte, no carry crossing from one into the next.
    @inline(__always)
    static func nonDigitMask(_ w: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highNibble = (w & (ones &* 0xF0)) ^ (ones &* 0x30)  // 0 where the high nibble is 3
        let lowNibble = ((w & (ones &* 0x0F)) &+ (ones &* 0x06)) & (ones &* 0x10)  // 0 where the low nibble is 0...9
        let x = highNibble | lowNibble
        return (((x & (ones &* 0x7F)) &+ (ones &* 0x7F)) | x) & (ones &* 0x80)
    }

    /// The value of the first `count` (1...8) bytes of `w` read as decimal digits, the first
    /// byte the most significant: the digits moved to the top of the word, zeros below them,
    /// then combined pairwise in three multiplications.
    @inline(__always)
    static func digitsValue(_ w: UInt64, count: Int) -> UInt64 {
        var v = (w & 0x0F0F_0F0F_0F0F_0F0F) &<< UInt64(64 &- 8 &* count)
        v = (v &* 2561) &>> 8 & 0x00FF_00FF_00FF_00FF
        v = (v &* 6_553_601) &>> 16 & 0x0000_FFFF_0000_FFFF
        return (v &* 42_949_672_960_001) &>> 32
    }

    /// 10^e as an integer for 1 <= e <= 7.
    @inline(__always)
    static func powerOfTen(_ e: Int) -> UInt64 {
        switch e {
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        default: 10_000_000
        }
    }

    /// 10^e for 1 <= e <= 15, from a table in the code instead of a global array.
    @inline(__always)
    static func exactPowerOfTen(_ e: Int) -> Double {
        switch e {
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        default: 1e15
        }
    }

    /// Skips a number token, checking JSON's grammar (no leading zeros, '+', or bare '.').
    func skipNumber(at start: Int) throws(JSONSyntaxError) -> Int {
        let end = numberEnd(at: start)
        guard end >= 0 else { throw fail(.invalidNumber, ~end) }
        return end
    }

    /// The end of the number token at `start`, by JSON's grammar; where it is not one, the
    /// complement (`~`, so negative) of the offset ``skipNumber(at:)`` reports. No error is
    /// made, so the decoder's fast path can call this on every number it skips.
    @inline(__always)
    func numberEnd(at start: Int) -> Int {
        var p = start
        if base[p] == UInt8(ascii: "-") { p &+= 1 }
        guard p < end else { return ~p }
        if base[p] == UInt8(ascii: "0") {
            p &+= 1
        } else if JSONScanner.isDigit(base[p]) {
            p &+= 1
            while p < end && JSONScanner.isDigit(base[p]) { p &+= 1 }
        } else {
            return ~start
        }
        if p < end && base[p] == UInt8(ascii: ".") {
            p &+= 1
            guard p < end, JSONScanner.isDigit(base[p]) else { return ~p }
            while p < end && JSONScanner.isDigit(base[p]) { p &+= 1 }
        }
        if p < end && base[p] | 0x20 == UInt8(ascii: "e") {
            p &+= 1
            if p < end && (base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-")) { p &+= 1 }
            guard p < end, JSONScanner.isDigit(base[p]) else { return ~p }
            while p < end && JSONScanner.isDigit(base[p]) { p &+= 1 }
        }
        return p
    }

    /// Reads a number token into a decimal mantissa and exponent (see ``JSONNumberToken``).
    func scanNumber(at start: Int) throws(JSONSyntaxError) -> JSONNumberToken {
        var token = JSONNumberToken(start: start)
        var p = start
        if base[p] == UInt8(ascii: "-") {
            token.negative = true
            p += 1
        }
        guard p < end else { throw fail(.invalidNumber, p) }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        var c = base[p]
        if c == UInt8(ascii: "0") {
            p += 1
        } else if JSONScanner.isDigit(c) {
            repeat {
                if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(c &- UInt8(ascii: "0"))
                    digits &+= 1
                } else {
                    exponent &+= 1
                    token.truncated = true
                }
                p &+= 1
                guard p < end else { break }
                c = base[p]
            } while JSONScanner.isDigit(c)
        } else {
            throw JSONSyntaxError(problem: .invalidNumber, offset: start)
        }
        if p < end && base[p] == UInt8(ascii: ".") {
            token.isInteger = false
            p += 1
            guard p < end, JSONScanner.isDigit(base[p]) else { throw fail(.invalidNumber, p) }
            while p < end {
                c = base[p]
                guard JSONScanner.isDigit(c) else { break }
                if mantissa == 0 && c == UInt8(ascii: "0") {
                    exponent &-= 1
                } else if digits < 19 {
                    mantissa = mantissa &* 10 &+ UInt64(c &- UInt8(ascii: "0"))
                    digits &+= 1
                    exponent &-= 1
                } else {
                    token.truncated = true
                }
                p &+= 1
            }
        }
        if p < end && base[p] | 0x20 == UInt8(ascii: "e") {
            token.isInteger = false
            p += 1
            var negativeExponent = false
            if p < end && (base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-")) {
                negativeExponent = base[p] == UInt8(ascii: "-")
                p += 1
            }
            guard p < end, JSONScanner.isDigit(base[p]) else { throw fail(.invalidNumber, p) }
            var e = 0
            while p < end && JSONScanner.isDigit(base[p]) {
                // Saturates: any exponent this large already means infinity or zero.
                if e < 100_000_000 { e = e &* 10 &+ Int(base[p] &- UInt8(ascii: "0")) }
                p += 1
            }
            exponent &+= negativeExponent ? -e : e
        }
        token.mantissa = mantissa
        token.exponent = exponent
        token.end = p
        return token
    }

    @inline(__always)
    func load32(_ p: Int) -> UInt32 {
        UnsafeRawPointer(base + p).loadUnaligned(as: UInt32.self)
    }

    // The literals as little-endian words, written out so no lazy global initializer runs.
    static var trueWord: UInt32 { 0x6575_7274 }  // "true"
    static var alseWord: UInt32 { 0x6573_6C61 }  // "alse"
    static var nullWord: UInt32 { 0x6C6C_756E }  // "null"

    /// Checks a `true`, `false` or `null` literal starting at `p`; returns the offset past it.
    @inline(__always)
    func skipLiteral(at p: Int) throws(JSONSyntaxError) -> Int {
        switch base[p] {
        case UInt8(ascii: "t"):
            guard p + 4 <= end else { throw fail(.truncated, end) }
            guard load32(p) == JSONScanner.trueWord else { throw JSONSyntaxError(problem: .invalidLiteral, offset: p) }
            return p + 4
        case UInt8(ascii: "f"):
            guard p + 5 <= end else { throw fail(.truncated, end) }
            guard load32(p + 1) == JSONScanner.alseWord else { throw JSONSyntaxError(problem: .invalidLiteral, offset: p) }
            return p + 5
        default:
            guard p + 4 <= end else { throw fail(.truncated, end) }
            guard load32(p) == JSONScanner.nullWord else { throw JSONSyntaxError(problem: .invalidLiteral, offset: p) }
            return p + 4
        }
    }

    // MARK: Skipping values

    /// Skips a string, number or literal (`p < end`).
    @inline(__always)
    func skipScalar(at p: Int) throws(JSONSyntaxError) -> Int {
        switch base[p] {
        case UInt8(ascii: "\""):
            return try scanString(from: p &+ 1).end
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            return try skipLiteral(at: p)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            do { return try skipNumber(at: p) } catch {
                guard let end = nonNumericEnd(at: p) else { throw error }
                return end
            }
        default:
            guard let end = nonNumericEnd(at: p) else { throw JSONSyntaxError(problem: .expectedValue, offset: p) }
            return end
        }
    }

    /// The end of a bare non-numeric number at `p`: `NaN`, `Infinity`, `+Infinity`,
    /// `-Infinity`, `+INF` or `-INF`, the tokens Jackson reads as numbers under Spark's
    /// default `allowNonNumericNumbers`; nil for anything else. Only reached where a value
    /// failed to read as JSON, so ordinary numbers never pay for it.
    func nonNumericEnd(at p: Int) -> Int? {
        func matches(_ word: StaticString, at q: Int) -> Bool {
            let count = word.utf8CodeUnitCount
            guard q + count <= end else { return false }
            return (0..<count).allSatisfy { base[q + $0] == word.utf8Start[$0] }
        }
        switch base[p] {
        case UInt8(ascii: "N"): return matches("NaN", at: p) ? p + 3 : nil
        case UInt8(ascii: "I"): return matches("Infinity", at: p) ? p + 8 : nil
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            if matches("Infinity", at: p + 1) { return p + 9 }
            return matches("INF", at: p + 1) ? p + 4 : nil
        default: return nil
        }
    }

    /// Skips any value (`p < end`); `levelsLeft` is how many nesting levels it may still open.
    @inline(__always)
    func skipValue(at p: Int, levelsLeft: Int) throws(JSONSyntaxError) -> Int {
        let c = base[p]
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
            return try skipContainer(from: p, levelsLeft: levelsLeft)
        }
        return try skipScalar(at: p)
    }

    private enum SkipStep { case opened, member, afterValue }

    /// Skips an object or array starting at its bracket, validating structure as it goes.
    ///
    /// Iterative, with the kinds of the open containers as bits of one register, so skipping
    /// deep values costs no stack frames; only past 64 levels does it recurse, once per 64.
    func skipContainer(from start: Int, levelsLeft: Int) throws(JSONSyntaxError) -> Int {
        guard levelsLeft > 0 else { throw JSONSyntaxError(problem: .tooDeep, offset: start) }
        var inObject = base[start] == UInt8(ascii: "{")
        var kinds: UInt64 = inObject ? 1 : 0
        var depth = 1
        var p = start + 1
        var step = SkipStep.opened
        while true {
            switch step {
            case .opened:
                p = skipWhitespace(p)
                guard p < end else { throw fail(.truncated, p) }
                if base[p] == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    p += 1
                    depth -= 1
                    if depth == 0 { return p }
                    kinds >>= 1
                    inObject = kinds & 1 == 1
                    step = .afterValue
                } else {
                    step = .member
                }
            case .member:
                guard p < end else { throw fail(.truncated, p) }
                if inObject {
                    guard base[p] == UInt8(ascii: "\"") else { throw JSONSyntaxError(problem: .expectedKey, offset: p) }
                    p = skipWhitespace(try scanString(from: p + 1).end)
                    guard p < end, base[p] == UInt8(ascii: ":") else { throw fail(.expectedColon, p) }
                    p = skipWhitespace(p + 1)
                    guard p < end else { throw fail(.truncated, p) }
                }
                let c = base[p]
                if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                    if depth < 64 && depth < levelsLeft {
                        inObject = c == UInt8(ascii: "{")
                        kinds = kinds << 1 | (inObject ? 1 : 0)
                        depth += 1
                        p += 1
                        step = .opened
                        continue
                    }
                    p = try skipContainer(from: p, levelsLeft: levelsLeft - depth)
                } else {
                    p = try skipScalar(at: p)
                }
                step = .afterValue
            case .afterValue:
                p = skipWhitespace(p)
                guard p < end else { throw fail(.truncated, p) }
                let c = base[p]
                if c == UInt8(ascii: ",") {
                    p = skipWhitespace(p + 1)
                    step = .member
                } else if c == (inObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    p += 1
                    depth -= 1
                    if depth == 0 { return p }
                    kinds >>= 1
                    inObject = kinds & 1 == 1
                } else {
                    throw JSONSyntaxError(problem: inObject ? .expectedCommaOrBrace : .expectedCommaOrBracket, offset: p)
                }
            }
        }
    }
}

/// A number token as `±mantissa × 10^exponent`, exact unless `truncated`.
///
/// The mantissa keeps the first 19 significant digits (all that fit a UInt64 for sure);
/// `truncated` says later digits were dropped, which sends conversions to their slow paths.
struct JSONNumberToken {
    var start: Int
    var end: Int = 0
    var mantissa: UInt64 = 0
    var exponent: Int = 0
    var negative = false
    var truncated = false
    /// No fraction and no exponent: Jackson's VALUE_NUMBER_INT, the only kind INT/BIGINT take.
    var isInteger = true

    init(start: Int) {
        self.start = start
    }
}
