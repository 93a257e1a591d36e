import KafkaBridge

/// The secret literals of a SQL text: the values written after an option name that
/// ``Redaction/isSecret(_:)`` calls secret (`'kafka.sasl.password' = 'SECRET'`), found by the
/// lexer so that an error quoting the line can hide them even when the statement does not
/// parse; and the password inside any string that is a connection URL
/// (`'postgresql://user:SECRET@host/db'`, see ``Redaction/urlPasswords(in:)``).
struct SecretLiterals {
    /// Where each secret value is written; `end` nil for a value that runs to the end of its
    /// line (an unterminated string). `inside`: the span is part of a string (a URL's
    /// password), so its replacement goes without quotes.
    private(set) var spans: [(start: SourceLocation, end: SourceLocation?, inside: Bool)] = []
    /// The values as written and as read (quotes off), to scrub out of messages.
    private(set) var texts: [String] = []

    init(source: String) {
        // A statement with a secret is rare; most texts never mention one, and then the
        // lexer need not run at all.
        guard Self.mayHoldSecret(source) else { return }
        var origin = SourceLocation.start
        var rest = Substring(source)
        while true {
            let tokens = Lexer.tokenize(String(rest), origin: origin)
            scan(tokens)
            // The lexer stops at text it cannot read; what follows may still hold a secret.
            guard let last = tokens.last, case .invalid = last.kind,
                  last.end.offset > origin.offset, last.end.offset - origin.offset <= rest.utf8.count else { break }
            rest = rest[rest.utf8.index(rest.utf8.startIndex, offsetBy: last.end.offset - origin.offset)...]
            origin = last.end
        }
    }

    /// Cheap pre-check: some secret word appears at all.
    private static func mayHoldSecret(_ source: String) -> Bool {
        let lowered = source.lowercased()
        return ["pass", "secret", "token", "jaas", "key", "credential", "oauthbearer", "@"].contains { lowered.contains($0) }
    }

    private mutating func scan(_ tokens: [Token]) {
        var index = 0
        while index < tokens.count {
            // An option name: a string, or words joined by dots.
            var key: String
            var next = index + 1
            switch tokens[index].kind {
            case .string(let text):
                addURLPasswords(of: tokens[index], read: text)
                key = text
            case .word(let word), .quotedIdentifier(let word):
                key = word
                while next + 1 < tokens.count, tokens[next].kind == .symbol(.dot) {
                    guard case .word(let part) = tokens[next + 1].kind else { break }
                    key += "." + part
                    next += 2
                }
            default:
                index += 1
                continue
            }
            guard Redaction.isSecret(key), next < tokens.count else {
                index = next
                continue
            }
            if tokens[next].kind == .symbol(.equal) { next += 1 }
            guard next < tokens.count else { break }
            let value = tokens[next]
            switch value.kind {
            case .string(let text):
                add(value, texts: [value.text, text, String(value.text.prefix(29))] + Redaction.urlPasswords(in: text))
            case .number, .word:
                add(value, texts: [value.text])
            case .symbol(.minus) where next + 1 < tokens.count:
                spans.append((value.location, tokens[next + 1].end, false))
                texts.append(tokens[next + 1].text)
                next += 1
            case .invalid:
                spans.append((value.location, nil, false))
            default:
                break
            }
            index = next + 1
        }
    }

    private mutating func add(_ token: Token, texts more: [String]) {
        spans.append((token.location, token.end, false))
        texts += more.filter { $0.count >= Redaction.shortestScrubbed }
    }

    /// The passwords of a string literal that is a connection URL: each hidden where it is
    /// written, or the whole literal when escapes or a line break make that place unclear.
    private mutating func addURLPasswords(of token: Token, read value: String) {
        let passwords = Redaction.urlPasswords(in: value)
        guard !passwords.isEmpty else { return }
        texts += passwords.filter { $0.count >= Redaction.shortestScrubbed }
        // A password is found as written, or (percent-decoded, or written with escapes) not.
        var covered: [Range<String.Index>] = []
        for password in passwords {
            guard let range = token.text.range(of: password), !covered.contains(where: { $0.overlaps(range) }) else { continue }
            let before = token.text[..<range.lowerBound]
            guard !before.contains(where: \.isNewline) else {
                spans.append((token.location, token.end, false))
                return
            }
            covered.append(range)
            let start = SourceLocation(line: token.location.line, column: token.location.column + before.count,
                                       offset: token.location.offset + before.utf8.count)
            spans.append((start, SourceLocation(line: start.line, column: start.column + token.text[range].count,
                                                offset: start.offset + token.text[range].utf8.count), true))
        }
        if covered.isEmpty { spans.append((token.location, token.end, false)) }
    }

    /// `text` without any of the secret values.
    func scrub(_ text: String) -> String {
        Redaction.scrub(text, secrets: texts.sorted { $0.count > $1.count })
    }

    /// Line `number` of the text with its secret values replaced, and `column` moved so that
    /// it still points at the same character (or at the start of a replaced value).
    func redact(line: String, number: Int, column: Int) -> (line: String, column: Int) {
        var characters = Array(line)
        var column = column
        let onLine = spans.compactMap { span -> (Int, Int, Bool)? in
            guard span.start.line <= number, span.end.map({ $0.line >= number }) ?? (span.start.line == number) else { return nil }
            let from = span.start.line == number ? span.start.column : 1
            let to = span.end.map { $0.line == number ? $0.column : characters.count + 1 } ?? characters.count + 1
            let lower = min(max(1, from), characters.count + 1), upper = min(max(lower, to), characters.count + 1)
            return upper > lower ? (lower, upper, span.inside) : nil
        }
        // Right to left, so that earlier columns stay valid.
        for (from, to, inside) in onLine.sorted(by: { $0.0 > $1.0 }) {
            let replacement = Array(inside ? Redaction.placeholder : "'\(Redaction.placeholder)'")
            characters.replaceSubrange((from - 1)..<(to - 1), with: replacement)
            if column >= to { column += replacement.count - (to - from) } else if column > from { column = from }
        }
        return (String(characters), column)
    }
}
