/// Numbers, string literals and back-quoted identifiers: the tokens with inner structure.
extension Lexer {
    /// `42`, `1.5`, `.5`, `1e3`, `1.5E-3`, and Spark's suffixes `10L` (BIGINT), `1.5D`
    /// (DOUBLE) and `1.5BD` (DECIMAL).
    mutating func scanNumber(start: SourceLocation, startIndex: Int) throws(SQLError) -> TokenKind {
        var kind = NumberKind.integer
        skipDigits()
        // A point directly followed by a letter is left alone: `1.x` is not a number.
        if peek() == ".", !(peek(1).map(Self.isIdentifierStart) ?? false) {
            advance()
            skipDigits()
            kind = .decimal
        }
        if let e = peek(), e == "e" || e == "E" {
            let signed = peek(1) == "+" || peek(1) == "-"
            if let digit = peek(signed ? 2 : 1), Self.isDigit(digit) {
                advance(signed ? 2 : 1)
                skipDigits()
                kind = .double
            }
        }
        var digits = text(from: startIndex)
        if let suffix = peek() {
            if (suffix == "L" || suffix == "l") && kind == .integer {
                advance()
                kind = .long
            } else if suffix == "D" || suffix == "d" {
                advance()
                kind = .double
            } else if (suffix == "B" || suffix == "b") && (peek(1) == "D" || peek(1) == "d") {
                advance(2)
                kind = .decimal
            }
        }
        if let next = peek(), Self.isIdentifierPart(next) || next == "." {
            while let more = peek(), Self.isIdentifierPart(more) || more == "." { advance() }
            let written = text(from: startIndex)
            throw SQLError("malformed number '\(written)'", at: start, length: written.count,
                           hint: "names cannot start with a digit; back-quote them, e.g. `\(written)`")
        }
        // Normal forms keep the planner from re-deriving them: `.5` is 0.5, `1.` is 1.
        if digits.hasPrefix(".") { digits = "0" + digits }
        if kind == .decimal, digits.hasSuffix(".") { digits.removeLast() }
        return .number(digits, kind)
    }

    private mutating func skipDigits() {
        while let next = peek(), Self.isDigit(next) { advance() }
    }

    /// A string in single or double quotes. A doubled quote stands for itself, and backslash
    /// escapes follow Spark: `\n \t \r \b \0 \Z`, octal `\101`, `\u00e9`, and any other
    /// character after a backslash is itself, except `\%` and `\_`, which stay escaped for LIKE.
    mutating func scanString(quote: Character, start: SourceLocation) throws(SQLError) -> String {
        let unterminated = SQLError(
            "unterminated string literal", at: start,
            hint: "the string that starts here needs a closing \(quote)", isAtEndOfInput: true)
        advance()
        var characters: [LiteralCharacter] = []
        while true {
            guard let character = peek() else { throw unterminated }
            let here = location
            advance()
            if character == quote {
                guard peek() == quote else { break }
                advance()
                characters.append(LiteralCharacter(quote, at: here, escaped: true))
            } else if character == "\\" {
                guard peek() != nil else { throw unterminated }
                for escaped in try scanEscape(at: here) {
                    characters.append(LiteralCharacter(escaped, at: here, escaped: true))
                }
            } else {
                characters.append(LiteralCharacter(character, at: here, escaped: false))
            }
        }
        return try VariableExpander(environment: environment).expand(characters)
    }

    /// The character(s) a backslash escape stands for; the backslash is already consumed.
    private mutating func scanEscape(at backslash: SourceLocation) throws(SQLError) -> [Character] {
        let character = advance()
        switch character {
        case "0"..."3" where isOctalDigit(peek()) && isOctalDigit(peek(1)):
            let value = [character, advance(), advance()].reduce(0) { $0 * 8 + Int($1.asciiValue! - 0x30) }
            return [Character(Unicode.Scalar(UInt8(value)))]
        case "0": return ["\u{0}"]
        case "b": return ["\u{8}"]
        case "n": return ["\n"]
        case "r": return ["\r"]
        case "t": return ["\t"]
        case "Z": return ["\u{1A}"]
        case "%", "_": return ["\\", character]
        case "u":
            var value: UInt32 = 0
            for ahead in 0..<4 {
                guard let digit = peek(ahead)?.hexDigitValue, peek(ahead)?.isASCII == true else {
                    throw SQLError("invalid \\u escape", at: backslash, length: 2 + ahead,
                                   hint: "write \\u and four hexadecimal digits, e.g. \\u00e9")
                }
                value = value * 16 + UInt32(digit)
            }
            advance(4)
            guard let scalar = Unicode.Scalar(value) else {
                throw SQLError("\\u\(String(value, radix: 16)) is not a Unicode character",
                               at: backslash, length: 6)
            }
            return [Character(scalar)]
        default:
            return [character]
        }
    }

    private func isOctalDigit(_ character: Character?) -> Bool {
        guard let value = character?.asciiValue else { return false }
        return value >= 0x30 && value <= 0x37
    }

    /// A back-quoted identifier; a doubled backquote stands for one backquote.
    mutating func scanQuotedIdentifier(start: SourceLocation) throws(SQLError) -> String {
        advance()
        var name = ""
        while true {
            guard let character = peek() else {
                throw SQLError("unterminated quoted identifier", at: start,
                               hint: "the name that starts here needs a closing `", isAtEndOfInput: true)
            }
            advance()
            if character == "`" {
                guard accept("`") else { break }
            }
            name.append(character)
        }
        guard !name.isEmpty else {
            throw SQLError("empty quoted identifier", at: start, length: 2,
                           hint: "a name needs at least one character between the backquotes")
        }
        return name
    }
}
