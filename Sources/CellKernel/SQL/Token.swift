/// Punctuation and operators, spelt as in SQL.
enum Symbol: String, Hashable, Sendable, CaseIterable {
    case leftParen = "("
    case rightParen = ")"
    case comma = ","
    case semicolon = ";"
    case dot = "."
    case star = "*"
    case plus = "+"
    case minus = "-"
    case slash = "/"
    case percent = "%"
    case equal = "="
    case doubleEqual = "=="
    case lessGreater = "<>"
    case bangEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case nullSafeEqual = "<=>"
    case concat = "||"
    case bang = "!"
    /// In nested types: `STRUCT<a: INT>`.
    case colon = ":"
    /// Subscripts: `arr[0]`, `map['k']`.
    case leftBracket = "["
    case rightBracket = "]"
}

/// How a numeric token was written, which decides its literal type (as in Spark).
enum NumberKind: Hashable, Sendable {
    /// Digits only: INT-sized values become `Int64` literals, larger ones decimals.
    case integer
    /// Digits with an `L` suffix: must fit BIGINT.
    case long
    /// Digits with a point, or a `BD` suffix: exact decimal.
    case decimal
    /// An exponent, or a `D` suffix: DOUBLE.
    case double
}

/// What a token is, with its value.
enum TokenKind: Hashable, Sendable {
    /// A plain identifier or keyword: `[A-Za-z_][A-Za-z0-9_]*`, as written.
    case word(String)
    /// A back-quoted identifier, unquoted (``` `` ``` already turned into one backquote).
    case quotedIdentifier(String)
    /// A string literal's value: escapes processed and `${VAR}` references expanded.
    case string(String)
    /// A number's text without its type suffix.
    case number(String, NumberKind)
    case symbol(Symbol)
    case endOfInput
    /// Text the lexer could not read; always the last token, and the parser reports its error
    /// only if it gets that far, so faults come out in source order.
    case invalid(SQLError)
}

/// One lexical unit of SQL text.
struct Token: Hashable, Sendable {
    /// What the token is.
    var kind: TokenKind
    /// The keyword a `.word` spells, whatever its case; `nil` for everything else.
    var keyword: Keyword?
    /// Where the token starts.
    var location: SourceLocation
    /// Just past the token's last character.
    var end: SourceLocation
    /// The token exactly as written, quotes and escapes included.
    var text: String

    /// A token; the lexer makes these.
    init(
        kind: TokenKind, keyword: Keyword? = nil, location: SourceLocation, end: SourceLocation,
        text: String
    ) {
        self.kind = kind
        self.keyword = keyword
        self.location = location
        self.end = end
        self.text = text
    }

    /// The token as an error message names it: keywords in upper case, values quoted.
    var displayName: String {
        switch kind {
        case .word:
            return "'\(keyword?.rawValue ?? text)'"
        case .quotedIdentifier, .number, .symbol:
            return "'\(text)'"
        case .string:
            let shown = text.count > 32 ? String(text.prefix(29)) + "..." : text
            return "the string \(shown)"
        case .endOfInput:
            return "the end of the input"
        case .invalid:
            return "'\(text)'"
        }
    }

    /// How many characters the token covers, for error underlines.
    var width: Int { max(1, text.count) }

    func `is`(_ keyword: Keyword) -> Bool { self.keyword == keyword }

    func `is`(_ symbol: Symbol) -> Bool { kind == .symbol(symbol) }

    /// True for tokens that can name something: non-reserved words and quoted identifiers.
    var isName: Bool {
        switch kind {
        case .word: keyword?.isReserved != true
        case .quotedIdentifier: true
        default: false
        }
    }
}
