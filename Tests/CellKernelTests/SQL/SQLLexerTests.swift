import Testing
@testable import CellKernel

@Suite struct SQLLexerTests {
    private func kinds(_ text: String, environment: [String: String] = [:]) -> [TokenKind] {
        Lexer.tokenize(text, environment: environment).map(\.kind)
    }

    @Test func wordsSymbolsAndPositions() {
        let tokens = Lexer.tokenize("SELECT a,\n  b <=> c")
        #expect(tokens.map(\.kind) == [
            .word("SELECT"), .word("a"), .symbol(.comma), .word("b"), .symbol(.nullSafeEqual), .word("c"),
            .endOfInput,
        ])
        #expect(tokens[0].keyword == .select)
        #expect(tokens[1].keyword == nil)
        #expect(tokens[3].location == SourceLocation(line: 2, column: 3, offset: 12))
        #expect(tokens[4].location.description == "2:5")
        #expect(tokens[4].end.description == "2:8")
        #expect(tokens[4].text == "<=>")
    }

    @Test func keywordsAreCaseInsensitive() {
        let tokens = Lexer.tokenize("select SeLeCt SELECT selects")
        #expect(tokens.prefix(3).allSatisfy { $0.keyword == .select })
        #expect(tokens[3].keyword == nil)
    }

    @Test func allOperators() {
        #expect(kinds("( ) , ; . * + - / % = == <> != < <= > >= <=> || !") == [
            .symbol(.leftParen), .symbol(.rightParen), .symbol(.comma), .symbol(.semicolon), .symbol(.dot),
            .symbol(.star), .symbol(.plus), .symbol(.minus), .symbol(.slash), .symbol(.percent),
            .symbol(.equal), .symbol(.doubleEqual), .symbol(.lessGreater), .symbol(.bangEqual), .symbol(.less),
            .symbol(.lessOrEqual), .symbol(.greater), .symbol(.greaterOrEqual), .symbol(.nullSafeEqual),
            .symbol(.concat), .symbol(.bang), .endOfInput,
        ])
    }

    @Test func commentsAreSkippedAndPositionsStayExact() {
        let text = "-- a comment; with SELECT\nSELECT /* block\n /* nested */ still */ x -- tail\n"
        let tokens = Lexer.tokenize(text)
        #expect(tokens.map(\.kind) == [.word("SELECT"), .word("x"), .endOfInput])
        #expect(tokens[0].location.description == "2:1")
        #expect(tokens[1].location.description == "3:24")
    }

    @Test func unterminatedBlockComment() throws {
        let tokens = Lexer.tokenize("SELECT /* never closed")
        guard case .invalid(let error) = tokens.last?.kind else {
            Issue.record("expected an invalid token")
            return
        }
        #expect(error.message == "unterminated comment")
        #expect(error.at == "1:8")
        #expect(error.isAtEndOfInput)
    }

    @Test func backquotedIdentifiers() {
        #expect(kinds("`avg(valor)` `a``b` `select`") == [
            .quotedIdentifier("avg(valor)"), .quotedIdentifier("a`b"), .quotedIdentifier("select"), .endOfInput,
        ])
    }

    @Test func stringEscapes() {
        #expect(kinds(#"'it''s' "say ""hi""" 'a\'b' 'c\\d' 'e\nf\tg' '\u00e9\101' 'x\%y\_z' '\q'"#) == [
            .string("it's"), .string(#"say "hi""#), .string("a'b"), .string(#"c\d"#), .string("e\nf\tg"),
            .string("éA"), .string(#"x\%y\_z"#), .string("q"), .endOfInput,
        ])
    }

    @Test func stringsMaySpanLines() {
        let tokens = Lexer.tokenize("'a\nb' c")
        #expect(tokens[0].kind == .string("a\nb"))
        #expect(tokens[1].location.description == "2:4")
    }

    @Test func numbers() {
        #expect(kinds("42 1.5 .5 1. 1e3 1.5E-3 10L 2D 3.25BD") == [
            .number("42", .integer), .number("1.5", .decimal), .number("0.5", .decimal), .number("1", .decimal),
            .number("1e3", .double), .number("1.5E-3", .double), .number("10", .long), .number("2", .double),
            .number("3.25", .decimal), .endOfInput,
        ])
    }

    @Test func malformedNumber() {
        guard case .invalid(let error) = Lexer.tokenize("SELECT 12abc").last?.kind else {
            Issue.record("expected an invalid token")
            return
        }
        #expect(error.message == "malformed number '12abc'")
        #expect(error.at == "1:8")
        #expect(error.length == 5)
    }

    @Test func nonASCIILettersNeedBackquotes() {
        guard case .invalid(let error) = Lexer.tokenize("SELECT preço").last?.kind else {
            Issue.record("expected an invalid token")
            return
        }
        #expect(error.message == "unexpected character 'ç'")
        #expect(error.at == "1:11")
        #expect(error.hint?.contains("back-quote") == true)
    }

    @Test func columnsCountCharactersAndOffsetsCountBytes() {
        let tokens = Lexer.tokenize("'ção' x")
        #expect(tokens[1].location == SourceLocation(line: 1, column: 7, offset: 8))
    }

    @Test func crlfIsOneLineBreak() {
        let tokens = Lexer.tokenize("a\r\nb")
        #expect(tokens[1].location == SourceLocation(line: 2, column: 1, offset: 3))
    }

    @Test func originShiftsPositions() {
        let origin = SourceLocation(line: 10, column: 1, offset: 200)
        let tokens = Lexer.tokenize("a\n b", origin: origin)
        #expect(tokens[0].location == origin)
        #expect(tokens[1].location == SourceLocation(line: 11, column: 2, offset: 203))
    }
}
