/// One character of a string literal's value and where it was written, so that a fault in a
/// `${...}` reference can point at the reference itself.
struct LiteralCharacter {
    var character: Character
    var location: SourceLocation
    /// Written with a backslash or a doubled quote: an escaped `$` never starts a reference,
    /// which is how to write a literal `${` (`'\${HOME}'`).
    var escaped: Bool

    init(_ character: Character, at location: SourceLocation, escaped: Bool) {
        self.character = character
        self.location = location
        self.escaped = escaped
    }
}

/// Expands `${NAME}` and `${NAME:-default}` in string literals, as a shell does.
///
/// Expansion happens inside string literals only, after escapes are processed, so everything
/// outside literals keeps its exact position. As in a shell, `:-` uses the default when the
/// variable is unset or empty. Defaults are taken literally (no nested references).
struct VariableExpander {
    let environment: [String: String]

    func expand(_ characters: [LiteralCharacter]) throws(SQLError) -> String {
        var result = ""
        var index = 0
        while index < characters.count {
            let current = characters[index]
            let opensReference = current.character == "$" && !current.escaped
                && index + 1 < characters.count && characters[index + 1].character == "{"
            guard opensReference else {
                result.append(current.character)
                index += 1
                continue
            }
            let (value, next) = try expandReference(in: characters, at: index)
            result += value
            index = next
        }
        return result
    }

    /// The value of the reference whose `$` is at `start`, and the index just past its `}`.
    private func expandReference(
        in characters: [LiteralCharacter], at start: Int
    ) throws(SQLError) -> (String, Int) {
        let location = characters[start].location
        var index = start + 2
        var name = ""
        while index < characters.count, isNameCharacter(characters[index].character, first: name.isEmpty) {
            name.append(characters[index].character)
            index += 1
        }
        let syntax = "variables are written ${NAME} or ${NAME:-default}"
        guard !name.isEmpty else {
            throw SQLError("expected a variable name after '${'", at: location, length: 2, hint: syntax)
        }
        var fallback: String?
        if index < characters.count, characters[index].character == ":",
            index + 1 < characters.count, characters[index + 1].character == "-"
        {
            index += 2
            var text = ""
            while index < characters.count, characters[index].character != "}" {
                text.append(characters[index].character)
                index += 1
            }
            fallback = text
        }
        guard index < characters.count, characters[index].character == "}" else {
            let found = index < characters.count ? "'\(characters[index].character)'" : "the end of the string"
            let expected = fallback == nil ? "'}' or ':-'" : "'}'"
            throw SQLError("expected \(expected) to end the reference to \(name) but found \(found)",
                           at: location, length: index - start, hint: syntax)
        }
        index += 1
        if let value = environment[name], !(value.isEmpty && fallback != nil) {
            return (value, index)
        }
        if let fallback { return (fallback, index) }
        throw SQLError("variable \(name) is not set", at: location, length: index - start,
                       hint: "set \(name) in the environment, or give a default: ${\(name):-value}")
    }

    private func isNameCharacter(_ character: Character, first: Bool) -> Bool {
        first ? Lexer.isIdentifierStart(character) : Lexer.isIdentifierPart(character)
    }
}
