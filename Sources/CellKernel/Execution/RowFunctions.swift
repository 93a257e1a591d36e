import Foundation

/// Scalar functions evaluated a row at a time on boxed values: the long tail of Spark's
/// library, which queries use on few rows or on results rather than on every input row.
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
    static func apply(_ function: RowFunction, _ inputs: [Column], type: SQLType, count: Int) -> Column {
        var out = Column(type: type, capacity: count)
        let likeMatcher: LikePattern? = if case .like(let pattern) = function { LikePattern(pattern) } else { nil }
        let regex: Regex<AnyRegexOutput>? = switch function {
        case .rlike(let pattern): try? Regex(pattern)
        case .regexpReplace: inputs.count > 1 && !inputs[1].isNull(0) && count > 0 ? (try? Regex(Cast.text(inputs[1], 0))) : nil
        default: nil
        }
        for row in 0..<count {
            let args = inputs.map { $0.value(at: row) }
            if args.contains(.null) {
                out.appendNull()
                continue
            }
            out.append(evaluate(function, args, inputs: inputs, row: row, type: type, like: likeMatcher, regex: regex))
        }
        return out
    }

    private static func evaluate(_ function: RowFunction, _ args: [Value], inputs: [Column], row: Int, type: SQLType,
                                 like: LikePattern?, regex: Regex<AnyRegexOutput>?) -> Value {
        func text(_ i: Int) -> String { Cast.text(inputs[i], row) }
        func int(_ i: Int) -> Int64? { if case .int(let v) = args[i] { v } else if case .double(let d) = args[i] { Int64(d) } else { nil } }
        switch function {
        case .substring:
            let characters = Array(text(0))
            guard let pos = int(1) else { return .null }
            let length = args.count > 2 ? (int(2) ?? 0) : Int64(characters.count)
            // Spark: 1-based; 0 acts as 1; negative counts from the end.
            var start = pos > 0 ? Int(pos) - 1 : (pos == 0 ? 0 : characters.count + Int(pos))
            var end = length < 0 ? start : start + Int(min(length, Int64(Int32.max)))
            start = max(0, start)
            end = min(characters.count, max(end, start))
            return .string(start < characters.count ? String(characters[start..<end]) : "")
        case .trim: return .string(text(0).trimmingCharacters(in: .init(charactersIn: " ")))
        case .ltrim: return .string(String(text(0).drop { $0 == " " }))
        case .rtrim: return .string(String(text(0).reversed().drop { $0 == " " }.reversed()))
        case .regexpReplace:
            guard let regex else { return .null }
            let replacement = text(2)
            return .string(text(0).replacing(regex) { match in expand(replacement, match) })
        case .abs:
            switch args[0] {
            case .int(let v): return .int(v == .min ? v : Swift.abs(v))
            case .double(let d): return .double(Swift.abs(d))
            default: return .null
            }
        case .integerDivide:
            guard case .int(let a) = args[0], case .int(let b) = args[1], b != 0 else {
                guard let a = Double(args[0].description), let b = Double(args[1].description), b != 0 else { return .null }
                return .int(Int64((a / b).rounded(.towardZero)))
            }
            return .int(a / b)
        case .round(let scale):
            switch args[0] {
            case .int(let v) where scale >= 0: return .int(v)
            case .int(let v):
                let unit = Int64(pow(10.0, Double(-scale)))
                let rounded = (Swift.abs(v) + unit / 2) / unit * unit
                return .int(v < 0 ? -rounded : rounded)
            case .double(let d) where d.isFinite:
                var value = Decimal(string: d.description) ?? Decimal(d)
                var result = Decimal()
                NSDecimalRound(&result, &value, scale, .plain)
                return .double(Double(truncating: result as NSNumber))
            default: return args[0]
            }
        case .toTimestamp(let pattern), .toDate(let pattern):
            let micros: Int64?
            if case .int(let v) = args[0], inputs[0].type == .timestamp || inputs[0].type == .date {
                micros = inputs[0].type == .date ? v * TimeText.microsPerDay : v
            } else if let pattern {
                micros = DatePattern(pattern).parse(text(0))
            } else {
                micros = TimeText.parseTimestamp(text(0).trimmingASCIIWhitespace())
            }
            guard let micros else { return .null }
            if case .toDate = function { return .int(TimeText.floorDiv(micros, TimeText.microsPerDay)) }
            return .int(micros)
        case .dateFormat(let pattern):
            guard case .int(let v) = args[0] else { return .null }
            let micros = inputs[0].type == .date ? v * TimeText.microsPerDay : v
            return .string(DatePattern(pattern).format(micros))
        case .year, .month, .day, .hour, .minute, .second:
            guard case .int(let v) = args[0] else { return .null }
            let micros = inputs[0].type == .date ? v * TimeText.microsPerDay : v
            let days = TimeText.floorDiv(micros, TimeText.microsPerDay)
            let (y, m, d) = TimeText.civil(days: days)
            let seconds = (micros - days * TimeText.microsPerDay) / TimeText.microsPerSecond
            switch function {
            case .year: return .int(y)
            case .month: return .int(m)
            case .day: return .int(d)
            case .hour: return .int(seconds / 3600)
            case .minute: return .int(seconds / 60 % 60)
            default: return .int(seconds % 60)
            }
        case .like:
            return .bool(like?.matches(text(0)) ?? false)
        case .rlike:
            guard let regex else { return .null }
            return .bool((try? regex.firstMatch(in: text(0))) != nil)
        }
    }

    /// `$1`-style group references in a regexp_replace replacement.
    private static func expand(_ replacement: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        var out = ""
        var chars = replacement.makeIterator()
        while let c = chars.next() {
            if c == "\\", let next = chars.next() { out.append(next); continue }
            guard c == "$" else { out.append(c); continue }
            var digits = ""
            while let d = chars.next() {
                if d.isNumber { digits.append(d) } else {
                    if let g = Int(digits), g < match.output.count, let sub = match.output[g].substring { out += sub } else { out += "$" + digits }
                    digits = "#"
                    out.append(d)
                    break
                }
            }
            if digits != "#" {
                if let g = Int(digits), g < match.output.count, let sub = match.output[g].substring { out += sub } else { out += "$" + digits }
            }
        }
        return out
    }
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes.
struct LikePattern {
    private enum Piece { case any, one, literal(Character) }
    private let pieces: [Piece]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        var escape = false
        for c in pattern {
            if escape { pieces.append(.literal(c)); escape = false; continue }
            switch c {
            case "\\": escape = true
            case "%": pieces.append(.any)
            case "_": pieces.append(.one)
            default: pieces.append(.literal(c))
            }
        }
        self.pieces = pieces
    }

    func matches(_ text: String) -> Bool {
        let chars = Array(text)
        // Backtracking over the last `%` only: linear for the patterns people write.
        var p = 0, t = 0, starP = -1, starT = 0
        while t < chars.count {
            if p < pieces.count {
                switch pieces[p] {
                case .any: starP = p; starT = t; p += 1; continue
                case .one: p += 1; t += 1; continue
                case .literal(let c) where c == chars[t]: p += 1; t += 1; continue
                default: break
                }
            }
            guard starP >= 0 else { return false }
            p = starP + 1
            starT += 1
            t = starT
        }
        while p < pieces.count, case .any = pieces[p] { p += 1 }
        return p == pieces.count
    }
}

/// The Java date-time pattern letters Spark users write most: y M d H h m s S a, quotes.
struct DatePattern {
    private enum Piece { case field(Character, Int), literal(String) }
    private let pieces: [Piece]

    init(_ pattern: String) {
        var pieces: [Piece] = []
        var chars = Array(pattern)[...]
        while let c = chars.first {
            if c == "'" {
                chars = chars.dropFirst()
                let literal = chars.prefix { $0 != "'" }
                pieces.append(.literal(String(literal)))
                chars = chars.dropFirst(literal.count + 1)
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

    func parse(_ text: String) -> Int64? {
        var chars = Array(text)[...]
        var y: Int64 = 1970, mo: Int64 = 1, d: Int64 = 1, h: Int64 = 0, mi: Int64 = 0, s: Int64 = 0, micros: Int64 = 0
        for piece in pieces {
            switch piece {
            case .literal(let l):
                guard chars.starts(with: l) else { return nil }
                chars = chars.dropFirst(l.count)
            case .field(let letter, let width):
                let digits = chars.prefix { $0.isASCII && $0.isNumber }
                let take = letter == "S" ? digits.count : (width >= 2 && letter != "y" ? min(digits.count, max(width, 2)) : digits.count)
                guard take > 0, let value = Int64(String(digits.prefix(take))) else { return nil }
                chars = chars.dropFirst(take)
                switch letter {
                case "y": y = value
                case "M": mo = value
                case "d": d = value
                case "H", "h": h = value
                case "m": mi = value
                case "s": s = value
                case "S": micros = value * Int64(pow(10.0, Double(max(0, 6 - take))))
                default: return nil
                }
            }
        }
        guard chars.isEmpty, (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 60 else { return nil }
        return (TimeText.days(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + s) * 1_000_000 + micros
    }

    func format(_ micros: Int64) -> String {
        let days = TimeText.floorDiv(micros, TimeText.microsPerDay)
        let (y, mo, d) = TimeText.civil(days: days)
        let inDay = micros - days * TimeText.microsPerDay
        let seconds = inDay / 1_000_000
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let l): out += l
            case .field(let letter, let width):
                let value: Int64 = switch letter {
                case "y": width == 2 ? y % 100 : y
                case "M": mo
                case "d": d
                case "H": seconds / 3600
                case "h": (seconds / 3600 + 11) % 12 + 1
                case "m": seconds / 60 % 60
                case "s": seconds % 60
                case "S": inDay % 1_000_000 / Int64(pow(10.0, Double(max(0, 6 - width))))
                default: 0
                }
                let digits = String(value)
                out += String(repeating: "0", count: max(0, width - digits.count)) + digits
            }
        }
        return out
    }
}
