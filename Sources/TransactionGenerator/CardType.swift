/// The ten card types of the original producer, each with its number length and issuer prefixes.
public enum CardType: CaseIterable, Sendable {
    case maestro, mastercard, visa16, visa13, visa19, amex, discover, diners, jcb15, jcb16

    /// The name the original wrote into the `bandeira` field.
    public var displayName: String { String(describing: displayNameLiteral) }

    /// Total number of digits, including the Luhn check digit.
    public var length: Int {
        switch self {
        case .maestro: 12
        case .mastercard, .visa16, .discover, .jcb16: 16
        case .visa13: 13
        case .visa19: 19
        case .amex, .jcb15: 15
        case .diners: 14
        }
    }

    /// Issuer prefix patterns; a number starts with one of them, chosen uniformly.
    ///
    /// Patterns are digit strings in which `#` stands for any digit and `%` for a non-zero digit,
    /// which lets a short list cover ranges: Maestro's `56##` is 5600–5699, Mastercard's `222%`
    /// is 2221–2229, and together with `223`…`229`, `23`…`26`, `270`, `271` and `2720` it spans
    /// the 2221–2720 series exactly.
    public var prefixes: [String] {
        switch self {
        case .maestro:
            ["5018", "5020", "5038", "56##", "57##", "58##", "6304", "6759", "6761", "6762", "6763"]
        case .mastercard:
            ["51", "52", "53", "54", "55",
             "222%", "223", "224", "225", "226", "227", "228", "229",
             "23", "24", "25", "26", "270", "271", "2720"]
        case .visa16, .visa13, .visa19:
            ["4"]
        case .amex:
            ["34", "37"]
        case .discover:
            ["6011", "65"]
        case .diners:
            ["300", "301", "302", "303", "304", "305", "36", "38"]
        case .jcb15:
            ["2100", "1800"]
        case .jcb16:
            ["3088", "3096", "3112", "3158", "3337", "3528"]
        }
    }

    /// Static text so the hot path copies the name without touching `String`.
    var displayNameLiteral: StaticString {
        switch self {
        case .maestro: "Maestro"
        case .mastercard: "Mastercard"
        case .visa16: "VISA 16 digit"
        case .visa13: "VISA 13 digit"
        case .visa19: "VISA 19 digit"
        case .amex: "American Express"
        case .discover: "Discover"
        case .diners: "Diners Club / Carte Blanche"
        case .jcb15: "JCB 15 digit"
        case .jcb16: "JCB 16 digit"
        }
    }
}
