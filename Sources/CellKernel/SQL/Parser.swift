/// Parses cells' SQL: Spark SQL queries plus the streaming statements (CREATE SOURCE,
/// CREATE STREAM, CREATE VIEW, START, SHOW, DESCRIBE, STOP).
///
/// A hand-written recursive-descent parser over the tokens of ``Lexer``. Every failure is an
/// ``SQLError`` naming what was expected and what was found, at the token where parsing
/// stopped, with a "did you mean" hint when a word is a near miss of a keyword that fits there.
///
/// ```swift
/// var parser = SQLParser(source: text, environment: ProcessInfo.processInfo.environment)
/// let statements = try parser.parseScript()
/// ```
public struct SQLParser: Sendable {
    let source: String
    let origin: SourceLocation
    var tokens: [Token]
    var index = 0
    /// Keywords the parser looked for at ``triedIndex``: the candidates for "did you mean".
    var tried: [Keyword] = []
    var triedIndex = 0
    /// The last alias taken without AS: if parsing fails right after it, the alias was
    /// probably a misspelt keyword (`SELECT a FORM t`), and the error says so.
    var implicitAlias: ImplicitAlias?
    /// Expression levels being parsed right now (parentheses, calls, NOT, unary signs): see
    /// ``maximumExpressionDepth``.
    var nesting = 0
    /// Queries being parsed right now (the statement's, subqueries, WITH queries): see
    /// ``maximumQueryDepth``.
    var queryNesting = 0

    struct ImplicitAlias {
        var tokenIndex: Int
        /// The keywords that could have stood where the alias is.
        var alternatives: [Keyword]
        /// The alternatives as an error message names them.
        var expected: String
    }

    /// - Parameters:
    ///   - source: the SQL text: one or more statements separated by `;`.
    ///   - environment: values for `${NAME}` and `${NAME:-default}` in string literals.
    ///   - origin: where `source` starts in a larger file (a notebook cell), so that error
    ///     positions point into that file.
    init(source: String, environment: [String: String] = [:], origin: SourceLocation = .start) {
        self.source = source
        self.origin = origin
        tokens = Lexer.tokenize(source, environment: environment, origin: origin)
    }

    /// Every statement of the script, in order.
    ///
    /// Statements are separated by `;`; the last may omit it, and empty statements are
    /// skipped, so a script of only comments yields no statements.
    mutating func parseScript() throws(SQLError) -> [SQLStatement] {
        var statements: [SQLStatement] = []
        while let statement = try parseStatement() { statements.append(statement) }
        return statements
    }

    /// The next statement of the script and its `;`, or `nil` at the end.
    mutating func parseStatement() throws(SQLError) -> SQLStatement? {
        while accept(.semicolon) != nil {}
        if case .endOfInput = current.kind { return nil }
        let first = current
        let kind = try parseStatementKind()
        let last = tokens[max(0, index - 1)]
        try expectEndOfStatement()
        _ = accept(.semicolon)
        return SQLStatement(kind, at: first.location, text: text(from: first.location, to: last.end))
    }

    /// Parses `source` as a script.
    public static func parseScript(
        _ source: String, environment: [String: String] = [:], origin: SourceLocation = .start
    ) throws(SQLError) -> [SQLStatement] {
        var parser = SQLParser(source: source, environment: environment, origin: origin)
        return try parser.parseScript()
    }

    /// Parses `source` as exactly one statement (a final `;` is allowed). Text without a
    /// statement (blank, or only comments) is an error at its end.
    public static func parseStatement(
        _ source: String, environment: [String: String] = [:], origin: SourceLocation = .start
    ) throws(SQLError) -> SQLStatement {
        var parser = SQLParser(source: source, environment: environment, origin: origin)
        guard let statement = try parser.parseStatement() else {
            throw parser.failure(expected: statementKinds)
        }
        if case .endOfInput = parser.current.kind { return statement }
        throw parser.failure(expected: "the end of the input", hint: "only one statement is allowed here")
    }

    /// Whether typed text is ready to run: it parses and ends with `;`, or it fails before its
    /// end (an error is better shown now than after the user types more lines). A shell reads
    /// more lines while this is false.
    public static func isComplete(_ text: String, environment: [String: String] = [:]) -> Bool {
        do {
            _ = try parseScript(text, environment: environment)
        } catch {
            return !error.isAtEndOfInput
        }
        // The last token, so that a comment after the `;` does not hide it.
        let tokens = Lexer.tokenize(text, environment: environment).map(\.kind).filter { $0 != .endOfInput }
        guard let last = tokens.last else { return true }
        return last == .symbol(.semicolon)
    }

    /// The language's keywords, for completion.
    public static var keywords: [String] { Keyword.allCases.map(\.rawValue) }

    /// Parses `source` as one expression, e.g. a computed column typed on its own.
    static func parseExpression(
        _ source: String, environment: [String: String] = [:], origin: SourceLocation = .start
    ) throws(SQLError) -> SQLExpression {
        var parser = SQLParser(source: source, environment: environment, origin: origin)
        let expression = try parser.parseExpression()
        if case .endOfInput = parser.current.kind { return expression }
        throw parser.failure(expected: "an operator or the end of the expression")
    }

    // MARK: - Token cursor

    var current: Token { tokens[index] }

    func peek(_ ahead: Int = 1) -> Token {
        tokens[min(index + ahead, tokens.count - 1)]
    }

    /// The current token, moving past it (never past the final token).
    @discardableResult
    mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    /// Whether the current token is `keyword`; remembers the question for "did you mean".
    mutating func check(_ keyword: Keyword) -> Bool {
        if triedIndex != index {
            tried.removeAll(keepingCapacity: true)
            triedIndex = index
        }
        tried.append(keyword)
        return current.is(keyword)
    }

    mutating func accept(_ keyword: Keyword) -> Token? {
        check(keyword) ? advance() : nil
    }

    mutating func accept(_ symbol: Symbol) -> Token? {
        current.is(symbol) ? advance() : nil
    }

    /// Consumes `keyword` or fails with "expected KEYWORD \(context) but found ...".
    @discardableResult
    mutating func expect(_ keyword: Keyword, _ context: String? = nil) throws(SQLError) -> Token {
        if let token = accept(keyword) { return token }
        throw failure(expected: keyword.rawValue + (context.map { " \($0)" } ?? ""))
    }

    /// Consumes `symbol` or fails; `opener` is the bracket a `)` would close, named in the hint.
    @discardableResult
    mutating func expect(
        _ symbol: Symbol, _ context: String? = nil, closing opener: Token? = nil
    ) throws(SQLError) -> Token {
        if let token = accept(symbol) { return token }
        throw failure(expected: "'\(symbol.rawValue)'" + (context.map { " \($0)" } ?? ""), closing: opener)
    }

    /// A name: a non-reserved word or a back-quoted identifier.
    mutating func identifier(_ what: String) throws(SQLError) -> Identifier {
        let token = current
        switch token.kind {
        case .word(let word) where token.isName:
            advance()
            return Identifier(word, at: token.location)
        case .quotedIdentifier(let name):
            advance()
            return Identifier(name, isQuoted: true, at: token.location)
        case .word:
            let keyword = token.keyword!.rawValue
            throw failure(
                expected: what, hint: "\(keyword) is a reserved word; write `\(token.text)` to use it as a name")
        default:
            throw failure(expected: what)
        }
    }

    /// Accepts `;` or the end of the input without consuming it.
    mutating func expectEndOfStatement(_ alternatives: String? = nil) throws(SQLError) {
        switch current.kind {
        case .symbol(.semicolon), .endOfInput: return
        default:
            throw failure(expected: alternatives.map { "\($0) or ';'" } ?? "';' after the statement")
        }
    }

    // MARK: - Errors

    /// The error for the current token: "expected \(expected) but found <token>".
    ///
    /// A lexical fault at the current token wins (it explains why nothing matched). When the
    /// token follows an implicit alias that looks like a misspelt keyword, the error moves to
    /// the alias. Otherwise a word near a keyword tried here earns a "did you mean" hint.
    func failure(expected: String, hint: String? = nil, closing opener: Token? = nil) -> SQLError {
        let token = current
        if case .invalid(let error) = token.kind { return error }
        if let alias = implicitAlias, alias.tokenIndex + 1 == index {
            let aliasToken = tokens[alias.tokenIndex]
            if let suggestion = Suggestion.closest(to: aliasToken.text, among: alias.alternatives.map(\.rawValue)) {
                return SQLError(
                    "expected \(alias.expected) but found \(aliasToken.displayName)", at: aliasToken.location,
                    length: aliasToken.width,
                    hint: "did you mean \(suggestion)? (without it, '\(aliasToken.text)' reads as an alias)")
            }
        }
        var hint = hint
        if hint == nil, case .word(let word) = token.kind, triedIndex == index {
            if let suggestion = Suggestion.closest(to: word, among: tried.map(\.rawValue)) {
                hint = "did you mean \(suggestion)?"
            }
        }
        if hint == nil, let opener {
            hint = "the '\(opener.text)' at \(opener.location) is not closed"
        }
        let atEnd = token.kind == .endOfInput
        return SQLError(
            "expected \(expected) but found \(token.displayName)", at: token.location,
            length: token.width, hint: hint, isAtEndOfInput: atEnd)
    }

    /// An error at `token` that is not about what was expected (a duplicate clause, say).
    func failure(_ message: String, at token: Token, hint: String? = nil) -> SQLError {
        if case .invalid(let error) = token.kind { return error }
        return SQLError(message, at: token.location, length: token.width, hint: hint)
    }

    /// The source between two locations of this parser's text.
    func text(from start: SourceLocation, to end: SourceLocation) -> String {
        let utf8 = source.utf8
        let lower = utf8.index(utf8.startIndex, offsetBy: start.offset - origin.offset)
        let upper = utf8.index(utf8.startIndex, offsetBy: end.offset - origin.offset)
        return String(source[lower..<upper])
    }
}
