import KafkaBridge

/// The secret literals of a SQL text: the values written after an option name that
/// ``Redaction/isSecret(_:)`` calls secret (`'kafka.sasl.password' = 'SECRET'`), found by the
/// lexer so that an error quoting the line can hide them even when the statement does not
/// parse.
struct SecretLiterals {
    /// Where each secret value is written; `end` nil for a value that runs to the end of its
    /// line (an unterminated string).
    private(set) var spans: [(start: SourceLocation, end: SourceLocation?)] = []
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
        return ["pass", "secret", "token", "jaas", "key", "credential", "oauthbearer"].contains { lowered.contains($0) }
    }

    private mutating func scan(_ tokens: [Token]) {
        var index = 0
        while index < tokens.count {
            // An option name: a string, or words joined by dots.
            var key: String
            var next = index + 1
            switch tokens[index].kind {
            case .string(let text): key = text
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
                add(value, texts: [value.text, text, String(value.text.prefix(29))])
            case .number, .word:
                add(value, texts: [value.text])
            case .symbol(.minus) where next + 1 < tokens.count:
                spans.append((value.location, tokens[next + 1].end))
                texts.append(tokens[next + 1].text)
                next += 1
            case .invalid:
                spans.append((value.location, nil))
            default:
                break
            }
            index = next + 1
        }
    }

    private mutating func add(_ token: Token, texts more: [String]) {
        spans.append((token.location, token.end))
        texts += more.filter { $0.count >= Redaction.shortestScrubbed }
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
        let replacement = Array("'\(Redaction.placeholder)'")
        let onLine = spans.compactMap { span -> (Int, Int)? in
            guard span.start.line <= number, span.end.map({ $0.line >= number }) ?? (span.start.line == number) else { return nil }
            let from = span.start.line == number ? span.start.column : 1
            let to = span.end.map { $0.line == number ? $0.column : characters.count + 1 } ?? characters.count + 1
            let lower = min(max(1, from), characters.count + 1), upper = min(max(lower, to), characters.count + 1)
            return upper > lower ? (lower, upper) : nil
        }
        // Right to left, so that earlier columns stay valid.
        for (from, to) in onLine.sorted(by: { $0.0 > $1.0 }) {
            characters.replaceSubrange((from - 1)..<(to - 1), with: replacement)
            if column >= to { column += replacement.count - (to - from) } else if column > from { column = from }
        }
        return (String(characters), column)
    }
}
