import Foundation

/// Checks of option values shared by the sources and sinks, each failing with the option's
/// name, the value given, and what is allowed; the session then points at the value in the
/// statement (the error carries the option's name).
enum OptionValues {
    /// A whole number in `range`, e.g. a timeout in milliseconds or a row count.
    static func integer(_ text: String, option: String, in range: ClosedRange<Int64>, meaning: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let value = Int64(trimmed), range.contains(value) else {
            let allowed = range.upperBound == .max ? "a whole number of at least \(range.lowerBound)"
                                                   : "a whole number from \(range.lowerBound) to \(range.upperBound)"
            throw SourceError("'\(option)' must be \(allowed) (\(meaning)), not '\(text)'", option: option)
        }
        return value
    }

    /// `true` or `false`, ignoring case.
    static func boolean(_ text: String, option: String) throws -> Bool {
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw SourceError("'\(option)' must be true or false, not '\(text)'", option: option)
        }
    }

    /// Text that is not empty (nor only blanks).
    static func nonEmpty(_ text: String, option: String, example: String) throws -> String {
        guard !text.allSatisfy(\.isWhitespace) else {
            throw SourceError("'\(option)' must not be empty", hint: "e.g. '\(option)' = '\(example)'", option: option)
        }
        return text
    }

}

extension Dictionary where Key == String, Value == String {
    /// The option named `name` (any case) as the user spelled it, and its value.
    func spelled(_ name: String) -> (name: String, value: String)? {
        first { $0.key.lowercased() == name.lowercased() }.map { ($0.key, $0.value) }
    }
}
