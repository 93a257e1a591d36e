/// Turns SQL text into tokens, keeping each token's exact position.
///
/// The lexer never throws: text it cannot read becomes a final ``TokenKind/invalid(_:)``
/// token, so a fault late in a script is reported only once the parser has accepted
/// everything before it.
struct Lexer: Sendable {
    let characters: [Character]
    let environment: [String: String]
    var index = 0
    var location: SourceLocation
    var finished = false

    /// - Parameters:
    ///   - source: the SQL text.
    ///   - environment: values for `${NAME}` references inside string literals.
    ///   - origin: where `source` starts in a larger file (a notebook cell, say), so positions
    ///     point into that file.
    init(source: String, environment: [String: String] = [:], origin: SourceLocation = .start) {
        characters = Self.characters(of: source)
        self.environment = environment
        location = origin
    }

    /// The text as the lexer reads it: characters as a person sees them, except that a quote
    /// never fuses with the combining marks after it (`'\u{301}!'` is a string starting with
    /// U+0301, not a quote-like glyph and an unterminated string).
    static func characters(of source: String) -> [Character] {
        var characters: [Character] = []
        characters.reserveCapacity(source.utf8.count)
        for character in source {
            let scalars = character.unicodeScalars
            if scalars.count > 1, let first = scalars.first, first == "'" || first == "\"" || first == "`" {
                characters.append(Character(first))
                characters.append(Character(String(String.UnicodeScalarView(scalars.dropFirst()))))
            } else {
                characters.append(character)
            }
        }
        return characters
    }

    /// Every token of `source`, ending with `.endOfInput` or `.invalid`.
    static func tokenize(
        _ source: String, environment: [String: String] = [:], origin: SourceLocation = .start
    ) -> [Token] {
        var lexer = Lexer(source: source, environment: environment, origin: origin)
        var tokens: [Token] = []
        while true {
            let token = lexer.next()
            tokens.append(token)
            switch token.kind {
            case .endOfInput, .invalid: return tokens
            default: continue
            }
        }
    }

    /// The next token; after the end (or a fault) it keeps returning `.endOfInput`.
    mutating func next() -> Token {
        guard !finished else {
            return Token(kind: .endOfInput, location: location, end: location, text: "")
        }
        do {
            let token = try scan()
            if token.kind == .endOfInput { finished = true }
            return token
        } catch {
            finished = true
            let width = max(1, error.length)
            return Token(kind: .invalid(error), location: error.location, end: location,
                         text: String(characters[offsetIndex(of: error.location)...].prefix(width)))
        }
    }

    // MARK: - Scanning

    mutating func scan() throws(SQLError) -> Token {
        try skipTrivia()
        let start = location
        let startIndex = index
        guard let character = peek() else {
            return Token(kind: .endOfInput, location: start, end: start, text: "")
        }
        let kind: TokenKind
        var keyword: Keyword?
        if Self.isIdentifierStart(character) {
            while let next = peek(), Self.isIdentifierPart(next) { advance() }
            let word = text(from: startIndex)
            kind = .word(word)
            keyword = Keyword(word: word)
        } else if Self.isDigit(character) || (character == "." && peek(1).map(Self.isDigit) == true) {
            kind = try scanNumber(start: start, startIndex: startIndex)
        } else if character == "'" || character == "\"" {
            kind = .string(try scanString(quote: character, start: start))
        } else if character == "`" {
            kind = .quotedIdentifier(try scanQuotedIdentifier(start: start))
        } else {
            kind = .symbol(try scanSymbol(start: start))
        }
        return Token(kind: kind, keyword: keyword, location: start, end: location, text: text(from: startIndex))
    }

    /// Skips whitespace, `-- line` comments and (nested, as in Spark) `/* block */` comments.
    mutating func skipTrivia() throws(SQLError) {
        while let character = peek() {
            if character.isWhitespace {
                advance()
            } else if character == "-", peek(1) == "-" {
                while let next = peek(), !next.isNewline { advance() }
            } else if character == "/", peek(1) == "*" {
                let start = location
                advance(2)
                var depth = 1
                while depth > 0 {
                    guard let next = peek() else {
                        throw SQLError("unterminated comment", at: start, length: 2,
                                       hint: "close it with */", isAtEndOfInput: true)
                    }
                    if next == "*", peek(1) == "/" {
                        depth -= 1
                        advance(2)
                    } else if next == "/", peek(1) == "*" {
                        depth += 1
                        advance(2)
                    } else {
                        advance()
                    }
                }
            } else {
                return
            }
        }
    }

    mutating func scanSymbol(start: SourceLocation) throws(SQLError) -> Symbol {
        let character = advance()
        switch character {
        case "(": return .leftParen
        case ")": return .rightParen
        case ",": return .comma
        case ";": return .semicolon
        case ".": return .dot
        case "*": return .star
        case "+": return .plus
        case "-": return .minus
        case "/": return .slash
        case "%": return .percent
        case ":": return .colon
        case "[": return .leftBracket
        case "]": return .rightBracket
        case "=":
            return accept("=") ? .doubleEqual : .equal
        case "<":
            if accept("=") { return accept(">") ? .nullSafeEqual : .lessOrEqual }
            return accept(">") ? .lessGreater : .less
        case ">":
            return accept("=") ? .greaterOrEqual : .greater
        case "!":
            return accept("=") ? .bangEqual : .bang
        case "|" where accept("|"):
            return .concat
        case "|":
            throw SQLError("unexpected character '|'", at: start,
                           hint: "string concatenation is written '||'")
        case "$":
            throw SQLError("unexpected character '$'", at: start,
                           hint: "${NAME} variables are expanded only inside string literals, e.g. '${NAME}'")
        case "\"", "'", "`":
            preconditionFailure("quotes are scanned as literals")
        default:
            let hint = character.isLetter
                ? "identifiers use the letters A-Z, digits and '_'; back-quote other names, e.g. `\(character)`"
                : nil
            throw SQLError("unexpected character '\(character)'", at: start, hint: hint)
        }
    }

    // MARK: - Character access

    func peek(_ ahead: Int = 0) -> Character? {
        index + ahead < characters.count ? characters[index + ahead] : nil
    }

    @discardableResult
    mutating func advance() -> Character {
        let character = characters[index]
        index += 1
        location.offset += character.utf8.count
        if character.isNewline {
            location.line += 1
            location.column = 1
        } else {
            location.column += 1
        }
        return character
    }

    mutating func advance(_ count: Int) {
        for _ in 0..<count { advance() }
    }

    mutating func accept(_ character: Character) -> Bool {
        guard peek() == character else { return false }
        advance()
        return true
    }

    func text(from startIndex: Int) -> String {
        String(characters[startIndex..<index])
    }

    /// The index of the character at `target` (a location this lexer has passed).
    func offsetIndex(of target: SourceLocation) -> Int {
        var offset = location.offset
        var position = index
        while position > 0, offset > target.offset {
            position -= 1
            offset -= characters[position].utf8.count
        }
        return position
    }

    // MARK: - Character classes (ASCII only: other letters need back-quotes)

    static func isIdentifierStart(_ character: Character) -> Bool {
        guard let value = character.asciiValue else { return false }
        return (value >= 0x41 && value <= 0x5A) || (value >= 0x61 && value <= 0x7A) || value == 0x5F
    }

    static func isIdentifierPart(_ character: Character) -> Bool {
        isIdentifierStart(character) || isDigit(character)
    }

    static func isDigit(_ character: Character) -> Bool {
        guard let value = character.asciiValue else { return false }
        return value >= 0x30 && value <= 0x39
    }
}
