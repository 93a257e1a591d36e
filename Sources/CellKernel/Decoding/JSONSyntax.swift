/// What made a document not well-formed JSON, as a one-byte code: the hot path only carries the
/// code and an offset, and the message text is built when a malformation is actually reported.
enum JSONProblem: UInt8, Sendable {
    case empty
    case notAnObject
    case expectedKey
    case expectedColon
    case expectedCommaOrBrace
    case expectedCommaOrBracket
    case expectedValue
    case unterminatedString
    case controlCharacter
    case invalidEscape
    case unpairedSurrogate
    case invalidUTF8
    case invalidLiteral
    case invalidNumber
    case trailingData
    case tooDeep
    case truncated

    var message: String {
        switch self {
        case .empty: "empty document"
        case .notAnObject: "expected '{' (a document must be a JSON object)"
        case .expectedKey: "expected a key string"
        case .expectedColon: "expected ':' after a key"
        case .expectedCommaOrBrace: "expected ',' or '}' after a value"
        case .expectedCommaOrBracket: "expected ',' or ']' after a value"
        case .expectedValue: "expected a value"
        case .unterminatedString: "unterminated string"
        case .controlCharacter: "unescaped control character in a string"
        case .invalidEscape: "invalid escape sequence"
        case .unpairedSurrogate: "unpaired UTF-16 surrogate in a \\u escape"
        case .invalidUTF8: "invalid UTF-8"
        case .invalidLiteral: "invalid literal"
        case .invalidNumber: "invalid number"
        case .trailingData: "unexpected data after the object"
        case .tooDeep: "nesting deeper than \(JSONScanner.maximumDepth) levels"
        case .truncated: "unexpected end of document"
        }
    }
}

/// A syntax error: small and trivially copyable, so typed throws carry it in registers.
struct JSONSyntaxError: Error {
    var problem: JSONProblem
    var offset: Int
}
