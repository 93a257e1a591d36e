import Foundation

/// Scalar functions evaluated a row at a time on boxed values: the long tail of Spark's
/// library. The ones queries put on every input row have column loops for the common rows
/// (`RowFunctions+Kernels.swift`); the rest, and the odd rows, come here.
public enum RowFunction: Sendable, Hashable {
    case substring, trim, ltrim, rtrim, regexpReplace, abs, integerDivide
    /// `round(x, scale)`, HALF_UP on the decimal text of the value, as Spark rounds.
    case round(scale: Int)
    /// `to_timestamp(text[, pattern])` and `to_date(text[, pattern])`; nil pattern: ISO-8601.
    case toTimestamp(pattern: String?), toDate(pattern: String?)
    case dateFormat(pattern: String)
    case year, month, day, hour, minute, second
    /// `LIKE` with `%`, `_` and `\` escapes; `RLIKE` with a regular expression.
    case like(pattern: String), rlike(pattern: String)
}

enum RowFunctions {
    /// `kernels: false` evaluates every row on boxed values, the reference the kernels are
    /// tested against.
    static func apply(_ function: RowFunction, _ inputs: [Column], type: SQLType, count: Int, kernels: Bool = true) -> Column {
        var out = Column(type: type, capacity: count)
        let kernel = kernels ? RowKernel(function, inputs, type: type) : nil
        let likeMatcher: LikePattern? = if case .like(let pattern) = function { LikePattern(pattern) } else { nil }
        let regex: Regex<AnyRegexOutput>? = switch function {
        case .rlike(let pattern): try? Regex(pattern)
        case .regexpReplace: inputs.count > 1 && !inputs[1].isNull(0) && count > 0 ? (try? Regex(Cast.text(inputs[1], 0))) : nil
        default: nil
        }
        func evaluateRow(_ row: Int, into out: inout Column) {
            let args = inputs.map { $0.value(at: row) }
            if args.contains(.null) { return out.appendNull() }
            out.append(evaluate(function, args, inputs: inputs, row: row, type: type, like: likeMatcher, regex: regex))
        }
        if let kernel {
            kernel.run(count, into: &out, otherwise: evaluateRow)
        } else {
            for row in 0..<count { evaluateRow(row, into: &out) }
        }
        return out
    }

    private static func evaluate(_ function: RowFunction, _ args: [Value], inputs: [Column], row: Int, type: SQLType,
                                 like: LikePattern?, regex: Regex<AnyRegexOutput>?) -> Value {
        func text(_ i: Int) -> String { Cast.text(inputs[i], row) }
        func int(_ i: Int) -> Int64? {
            if case .int(let v) = args[i] { return v }
            // Scala's Double.toLong: truncates, saturates, NaN is 0.
            if case .double(let d) = args[i] { return d.isNaN ? 0 : Int64(exactly: d.rounded(.towardZero)) ?? (d < 0 ? .min : .max) }
            return nil
        }
        // A DATE as microseconds, NULL (nil) where its midnight is outside the TIMESTAMP range.
        func dateMicros(_ v: Int64) -> Int64? {
            guard inputs[0].type == .date else { return v }
            let (m, overflow) = v.multipliedReportingOverflow(by: TimeText.microsPerDay)
            return overflow ? nil : m
        }
        switch function {
        case .substring:
            // Spark counts code points (UTF8String.numChars), not grapheme clusters.
            let characters = Array(text(0).unicodeScalars)
            guard let pos = int(1) else { return .null }
            let window = RowKernel.substringWindow(count: characters.count, position: pos, length: args.count > 2 ? int(2) ?? 0 : nil)
            return .string(String(String.UnicodeScalarView(characters[window])))
        // Spark's one-argument trims remove the space character (U+0020) only.
        case .trim: return .string(trimSpaces(text(0), leading: true, trailing: true))
        case .ltrim: return .string(trimSpaces(text(0), leading: true, trailing: false))
        case .rtrim: return .string(trimSpaces(text(0), leading: false, trailing: true))
        case .regexpReplace:
            guard let regex else { return .null }
            let replacement = text(2)
            return .string(text(0).replacing(regex) { match in expand(replacement, match) })
        case .abs:
            switch args[0] {
            // Math.abs of the minimum value is itself, for INT as for BIGINT; DECIMAL is unscaled.
            case .int(let v): return .int(v == .min || (type == .int && v == Int64(Int32.min)) ? v : Swift.abs(v))
            case .decimal(let u): return .decimal(u < 0 ? 0 &- u : u)
            case .double(let d): return .double(Swift.abs(d))
            default: return .null
            }
        case .integerDivide:
            return integerDivide(args[0], inputs[0].type, args[1], inputs[1].type)
        case .round(let scale):
            switch args[0] {
            case .decimal(let u):
                // BigDecimal.setScale(scale, HALF_UP), into the result's scale (at least 0).
                let from = DecimalArithmetic.scale(of: inputs[0].type)
                let target = min(max(scale, -38), 38)
                guard let r = DecimalArithmetic.rescale(u, by: target - from),
                      let back = DecimalArithmetic.rescale(r, by: DecimalArithmetic.scale(of: type) - target),
                      back.magnitude < DecimalArithmetic.powerOfTen(type.decimalPrecision).magnitude else { return .null }
                return .decimal(back)
            case .int(let v) where scale >= 0: return .int(v)
            case .int(let v):
                // BigDecimal(v).setScale(scale, HALF_UP).toLong (or .toInt): wraps on overflow.
                guard scale > -20 else { return .int(0) }
                var unit: Int128 = 1
                for _ in 0 ..< -scale { unit *= 10 }
                let magnitude = (Int128(v).magnitude + UInt128(unit / 2)) / UInt128(unit) * UInt128(unit)
                let rounded = v < 0 ? -Int128(magnitude) : Int128(magnitude)
                return .int(type == .int ? Int64(Int32(truncatingIfNeeded: rounded)) : Int64(truncatingIfNeeded: rounded))
            case .double(let d) where d.isFinite:
                // BigDecimal(d) is the decimal text of Double.toString: round that, HALF_UP.
                guard let exact = ExactDecimal(JavaDouble.string(d)),
                      let unscaled = exact.roundedHalfUp(scale: scale) else { return args[0] }
                if unscaled.allSatisfy({ $0 == 0 }) { return .double(0) }
                let digits = String(decoding: unscaled.map { $0 + 0x30 }, as: UTF8.self)
                return .double(Double((exact.negative ? "-" : "") + digits + "e" + String(-scale)) ?? d)
            default: return args[0]
            }
        case .toTimestamp(let pattern), .toDate(let pattern):
            let micros: Int64?
            if case .int(let v) = args[0], inputs[0].type == .timestamp || inputs[0].type == .date {
                if case .toDate = function, inputs[0].type == .date { return .int(v) }
                micros = dateMicros(v)
            } else if let pattern {
                micros = DatePattern(pattern).parse(text(0))
            } else if case .toDate = function {
                // to_date(s) is CAST(s AS DATE), which reads the date and ignores what follows it.
                guard let days = TimeText.parseDate(text(0)) else { return .null }
                return .int(days)
            } else {
                micros = TimeText.parseTimestamp(text(0).trimmingASCIIWhitespace())
            }
            guard let micros else { return .null }
            if case .toDate = function { return .int(TimeText.floorDiv(micros, TimeText.microsPerDay)) }
            return .int(micros)
        case .dateFormat(let pattern):
            guard case .int(let v) = args[0] else { return .null }
            guard let micros = dateMicros(v) else { return .null }
            return .string(DatePattern(pattern).format(micros))
        case .year, .month, .day, .hour, .minute, .second:
            guard case .int(let v) = args[0] else { return .null }
            return .int(RowKernel.datePart(function, v, isDate: inputs[0].type == .date))
        case .like:
            return .bool(like?.matches(text(0)) ?? false)
        case .rlike:
            guard let regex else { return .null }
            return .bool((try? regex.firstMatch(in: text(0))) != nil)
        }
    }

    /// Java's `Matcher.appendReplacement` syntax: `$n` (the longest group number that exists),
    /// `${name}`, and `\` escaping the next character. An unmatched group adds nothing; what Java
    /// rejects (`$x`, `$9` with fewer groups, a trailing `\`) is kept as written.
    private static func expand(_ replacement: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        let chars = Array(replacement.unicodeScalars)
        let groups = match.output.count - 1
        var out = String.UnicodeScalarView()
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count {
                out.append(chars[i + 1])
                i += 2
                continue
            }
            guard c == "$", i + 1 < chars.count else { out.append(c); i += 1; continue }
            if chars[i + 1] == "{", let close = chars[(i + 2)...].firstIndex(of: "}") {
                let name = String(String.UnicodeScalarView(chars[(i + 2)..<close]))
                if let group = match.output[name] {
                    if let sub = group.substring { out.append(contentsOf: sub.unicodeScalars) }
                    i = close + 1
                    continue
                }
            } else if let first = digit(chars[i + 1]), first <= groups {
                var number = first
                var j = i + 2
                while j < chars.count, let digit = digit(chars[j]), number * 10 + digit <= groups {
                    number = number * 10 + digit
                    j += 1
                }
                if let sub = match.output[number].substring { out.append(contentsOf: sub.unicodeScalars) }
                i = j
                continue
            }
            out.append(c)
            i += 1
        }
        return String(out)
    }

    private static func digit(_ c: Unicode.Scalar) -> Int? {
        ("0"..."9").contains(c) ? Int(c.value - 0x30) : nil
    }

    private static func trimSpaces(_ text: String, leading: Bool, trailing: Bool) -> String {
        var scalars = Substring(text).unicodeScalars
        if leading { while scalars.first == " " { scalars.removeFirst() } }
        if trailing { while scalars.last == " " { scalars.removeLast() } }
        return String(scalars)
    }

    /// `a div b`: Spark's IntegralDivide, NULL when b is 0. Integers truncate toward zero (and
    /// Long.MinValue div -1 wraps, as in Java); DECIMALs divide by value; doubles (which Spark
    /// rejects) truncate their quotient, saturating like a cast to BIGINT.
    /// `a div b` with a DECIMAL side: the exact quotient truncated toward zero, as a BIGINT
    /// (wrapping to 64 bits as Spark's `Decimal.toLong`).
    private static func decimalDivide(_ a: Value, _ aType: SQLType, _ b: Value, _ bType: SQLType) -> Value {
        func unscaled(_ v: Value) -> Int128? { if case .int(let i) = v { Int128(i) } else if case .decimal(let u) = v { u } else { nil } }
        guard let x = unscaled(a), let y = unscaled(b), y != 0 else { return .null }
        let sa = DecimalArithmetic.scale(of: aType), sb = DecimalArithmetic.scale(of: bType)
        // (x / 10^sa) / (y / 10^sb): bring both to the larger scale, then divide.
        let common = max(sa, sb)
        guard let n = DecimalArithmetic.rescale(x, by: common - sa), let d = DecimalArithmetic.rescale(y, by: common - sb), d != 0 else { return .null }
        return .int(Int64(truncatingIfNeeded: n.dividedReportingOverflow(by: d).partialValue))
    }

    private static func integerDivide(_ a: Value, _ aType: SQLType, _ b: Value, _ bType: SQLType) -> Value {
        if case .decimal = aType, DecimalArithmetic.asDecimal(bType) != nil {
            return decimalDivide(a, aType, b, bType)
        }
        if case .decimal = bType, DecimalArithmetic.asDecimal(aType) != nil {
            return decimalDivide(a, aType, b, bType)
        }
        if case .int(let x) = a, case .int(let y) = b {
            guard y != 0 else { return .null }
            return .int(x.dividedReportingOverflow(by: y).partialValue)
        }
        func double(_ v: Value, _ type: SQLType) -> Double? {
            switch v {
            case .double(let d): return d
            case .int(let i): return Double(i)
            case .decimal(let u): return DecimalArithmetic.double(u, scale: DecimalArithmetic.scale(of: type))
            default: return nil
            }
        }
        guard let x = double(a, aType), let y = double(b, bType), y != 0 else { return .null }
        let q = (x / y).rounded(.towardZero)
        if q.isNaN { return .null }
        return .int(q >= 9_223_372_036_854_775_808.0 ? .max : q < -9_223_372_036_854_775_808.0 ? .min : Int64(q))
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes. Characters are code points, as in
/// Spark (whose LIKE is a Java regex with DOTALL): `_` matches a newline, and a precomposed `é`
/// is not `e` followed by a combining accent.
struct LikePattern: Sendable {
    /// A code point, or ``any`` for `%` and ``one`` for `_`.
    private let pieces: [Int32]
    private static let any: Int32 = -1, one: Int32 = -2
    /// Whether every literal is ASCII.
    let isASCII: Bool

    init(_ pattern: String) {
        var pieces: [Int32] = []
        var escape = false
        for c in pattern.unicodeScalars {
            if escape { pieces.append(Int32(c.value)); escape = false; continue }
            switch c {
            case "\\": escape = true
            case "%": pieces.append(Self.any)
            case "_": pieces.append(Self.one)
            default: pieces.append(Int32(c.value))
            }
        }
        self.pieces = pieces
        isASCII = pieces.allSatisfy { $0 < 0x80 }
    }

    func matches(_ text: String) -> Bool {
        matches(Array(text.unicodeScalars)) { Int32($0.value) }
    }

    /// The match on ASCII text's bytes, where a byte is a code point.
    func matches(ascii text: UnsafeRawBufferPointer) -> Bool {
        matches(text) { Int32($0) }
    }

    private func matches<Text: RandomAccessCollection<Element>, Element>(_ text: Text, _ code: (Element) -> Int32) -> Bool
    where Text.Index == Int {
        pieces.withUnsafeBufferPointer { pieces in
            // Backtracking over the last `%` only: linear for the patterns people write.
            var p = 0, t = text.startIndex, starP = -1, starT = text.startIndex
            while t < text.endIndex {
                if p < pieces.count {
                    let piece = pieces[p]
                    if piece == Self.any { starP = p; starT = t; p += 1; continue }
                    if piece == Self.one || piece == code(text[t]) { p += 1; t += 1; continue }
                }
                guard starP >= 0 else { return false }
                p = starP + 1
                starT += 1
                t = starT
            }
            while p < pieces.count && pieces[p] == Self.any { p += 1 }
            return p == pieces.count
        }
    }
}

/// The Java date-time pattern letters Spark users write most: y M d H h m s S a E, quotes.
/// Parsing is case-insensitive for text (Spark's formatter parses case-insensitively).
struct DatePattern {
    private enum Piece { case field(Character, Int), literal(String) }
    private let pieces: [Piece]

    private static let months = ["January", "February", "March", "April", "May", "June", "July", "August",
                                 "September", "October", "November", "December"]
    private static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        var chars = Array(pattern)[...]
        while let c = chars.first {
            if c == "'" {
                // 'text' is literal; '' is a quote, outside or inside quoted text.
                chars = chars.dropFirst()
                if chars.first == "'" { pieces.append(.literal("'")); chars = chars.dropFirst(); continue }
                var literal = ""
                while let q = chars.first {
                    chars = chars.dropFirst()
                    if q == "'" {
                        guard chars.first == "'" else { break }
                        chars = chars.dropFirst()
                    }
                    literal.append(q)
                }
                pieces.append(.literal(literal))
            } else if c.isLetter {
                let run = chars.prefix { $0 == c }.count
                pieces.append(.field(c, run))
                chars = chars.dropFirst(run)
            } else {
                pieces.append(.literal(String(c)))
                chars = chars.dropFirst()
            }
        }
        self.pieces = pieces
    }

    private static func isNumeric(_ piece: Piece) -> Bool {
        guard case .field(let letter, let width) = piece else { return false }
        return "yMdHhmsS".contains(letter) && !(letter == "M" && width >= 3)
    }

    func parse(_ text: String) -> Int64? {
        var chars = Array(text)[...]
        var y: Int64 = 1970, mo: Int64 = 1, d: Int64 = 1, h: Int64 = 0, mi: Int64 = 0, s: Int64 = 0, micros: Int64 = 0
        var clockHour: Int64? = nil, pm = false
        /// Consumes one of `names` (or its first three letters when `short`), case-insensitively.
        func name(_ names: [String], short: Bool) -> Int? {
            for (i, full) in names.enumerated() {
                let word = Array(short ? String(full.prefix(3)) : full)
                if chars.count >= word.count, zip(chars, word).allSatisfy({ $0.lowercased() == $1.lowercased() }) {
                    chars = chars.dropFirst(word.count)
                    return i
                }
            }
            return nil
        }
        for (index, piece) in pieces.enumerated() {
            switch piece {
            case .literal(let l):
                guard chars.starts(with: l) else { return nil }
                chars = chars.dropFirst(l.count)
            case .field("a", _):
                guard let marker = name(["AM", "PM"], short: false) else { return nil }
                pm = marker == 1
            case .field("M", let width) where width >= 3:
                guard let month = name(Self.months, short: width == 3) else { return nil }
                mo = Int64(month + 1)
            case .field(let letter, let width):
                guard Self.isNumeric(piece) else { return nil }
                let digits = chars.prefix { $0.isASCII && $0.isNumber }
                // Next to another number a field takes its width (yyyyMMdd); otherwise years and
                // fractions take all digits, 'yy' two, and the other fields one or two.
                let adjacent = index + 1 < pieces.count && Self.isNumeric(pieces[index + 1])
                let take = switch letter {
                case "y" where width == 2: 2
                case "y", "S": adjacent ? width : digits.count
                default: adjacent ? width : min(digits.count, 2)
                }
                guard take > 0, digits.count >= take, let value = Int64(String(digits.prefix(take))) else { return nil }
                chars = chars.dropFirst(take)
                switch letter {
                case "y": y = width == 2 ? 2000 + value : value  // 'yy': 2000-2099, as Spark's formatter
                case "M": mo = value
                case "d": d = value
                case "H": h = value
                case "h": clockHour = value
                case "m": mi = value
                case "s": s = value
                default:  // "S": a fraction of a second, micros kept
                    guard take <= width else { return nil }
                    let first6 = String(digits.prefix(min(take, 6)))
                    micros = Int64(first6 + String(repeating: "0", count: 6 - first6.count)) ?? 0
                }
            }
        }
        if let clockHour {
            // 'h' is 1-12; without 'a' the hour is taken as AM, as Spark does.
            guard (1...12).contains(clockHour) else { return nil }
            h = clockHour % 12 + (pm ? 12 : 0)
        }
        // Years beyond the TIMESTAMP range (±294247) cannot be a timestamp: NULL, not an overflow.
        guard chars.isEmpty, (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60,
              (-294_248...294_248).contains(y) else { return nil }
        let days = TimeText.days(year: y, month: mo, day: d)
        guard TimeText.civil(days: days) == (y, mo, d) else { return nil }  // no 31/02
        let (scaled, overflow) = (days * 86_400 + h * 3600 + mi * 60 + s).multipliedReportingOverflow(by: 1_000_000)
        let (total, overflowSum) = scaled.addingReportingOverflow(micros)
        return overflow || overflowSum ? nil : total
    }

    func format(_ micros: Int64) -> String {
        let days = TimeText.floorDiv(micros, TimeText.microsPerDay)
        let (y, mo, d) = TimeText.civil(days: days)
        let inDay = TimeText.floorMod(micros, TimeText.microsPerDay)
        let seconds = inDay / 1_000_000
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let l): out += l
            case .field("a", _): out += seconds < 12 * 3600 ? "AM" : "PM"
            case .field("M", let width) where width >= 3:
                let month = Self.months[Int(mo) - 1]
                out += width == 3 ? String(month.prefix(3)) : month
            case .field("E", let width):
                let weekday = Self.weekdays[Int((days % 7 + 10) % 7)]  // 1970-01-01 was a Thursday
                out += width <= 3 ? String(weekday.prefix(3)) : weekday
            case .field("S", let width):
                // The fraction's leading digits, truncated (or padded with zeros past micros).
                let fraction = String(inDay % 1_000_000)
                let six = String(repeating: "0", count: 6 - fraction.count) + fraction
                out += width <= 6 ? String(six.prefix(width)) : six + String(repeating: "0", count: width - 6)
            case .field(let letter, let width):
                let value: Int64 = switch letter {
                case "y": width == 2 ? y % 100 : y
                case "M": mo
                case "d": d
                case "H": seconds / 3600
                case "h": (seconds / 3600 + 11) % 12 + 1
                case "m": seconds / 60 % 60
                case "s": seconds % 60
                default: 0
                }
                let digits = String(value)
                out += String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
        }
        return out
    }
}
