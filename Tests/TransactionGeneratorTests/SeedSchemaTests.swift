import Foundation
import Testing
@testable import TransactionGenerator

@Suite struct SeedSchemaTests {
    static let displayNames = CardType.allCases.map(\.displayName)
    static let typesByName = Dictionary(uniqueKeysWithValues: CardType.allCases.map { ($0.displayName, $0) })

    @Test func serialisesLikePythonJSONDumps() throws {
        var failures = Failures()
        for message in seedSample {
            failures.check(message.names == seedFieldNames && message.quoted.allSatisfy { $0 }, message.text)
            failures.check(message.text.contains("\", \"") && !message.text.contains("\",\""), message.text)
        }
        #expect(failures.isEmpty, "\(failures)")

        let layout = try Regex(#"^\{"name": "[A-Z][a-z]+ [A-Z][a-z]+", "bandeira": "[A-Za-z0-9 /]+", "credit_card": "[0-9]{12,19}", "value": "\$[0-9,.]+", "dia_compra": "[0-9]{4}-[0-9]{2}-[0-9]{2}", "horario_compra": "[0-9]{2}:[0-9]{2}:[0-9]{2}", "formato_captura": "(Gateway|POS|TEF)"\}$"#)
        for message in seedSample.prefix(1_000) {
            #expect(message.text.wholeMatch(of: layout) != nil, "\(message.text)")
            let object = try message.json()
            #expect(object.count == 7 && object.values.allSatisfy { $0 is String })
            #expect(object["credit_card"] as? String == message.keyText)
            #expect(Self.displayNames.contains(object["bandeira"] as? String ?? ""))
        }
    }

    @Test func namesComeFromTheEnglishLists() {
        let first = Set(Names.first)
        let last = Set(Names.last)
        var failures = Failures()
        for message in seedSample {
            let parts = (message["name"] ?? "").split(separator: " ").map(String.init)
            failures.check(parts.count == 2 && first.contains(parts[0]) && last.contains(parts[1]), "\(parts)")
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(Names.first.count >= 50 && Names.last.count >= 50)
        #expect(first.count == Names.first.count && last.count == Names.last.count)
    }

    @Test func everyCardIsLuhnValidWithTheRightLengthAndPrefix() {
        var failures = Failures()
        var seenMastercard2Series = false
        var seenMaestro5x = false
        for message in seedSample {
            let number = message["credit_card"] ?? ""
            guard let type = Self.typesByName[message["bandeira"] ?? ""] else {
                failures.check(false, "unknown bandeira in \(message.text)")
                continue
            }
            failures.check(message.keyText == number, "key \(message.keyText) != \(number)")
            failures.check(isDigits(number) && number.count == type.length, "\(type) length: \(number)")
            failures.check(Luhn.isValid(Array(number.utf8)), "not Luhn-valid: \(number)")
            failures.check(type.prefixes.contains { matches(number, pattern: $0) }, "\(type) prefix: \(number)")
            failures.check(isBrandCorrect(type, number), "\(type) range: \(number)")
            if type == .mastercard && number.hasPrefix("2") { seenMastercard2Series = true }
            if type == .maestro && ["56", "57", "58"].contains(String(number.prefix(2))) { seenMaestro5x = true }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(seenMastercard2Series && seenMaestro5x)
    }

    @Test func cardTypeTable() {
        #expect(CardType.allCases.count == 10)
        #expect(CardType.allCases.map(\.length) == [12, 16, 16, 13, 19, 15, 16, 14, 15, 16])
        #expect(Self.displayNames == ["Maestro", "Mastercard", "VISA 16 digit", "VISA 13 digit", "VISA 19 digit",
                                      "American Express", "Discover", "Diners Club / Carte Blanche",
                                      "JCB 15 digit", "JCB 16 digit"])
        for type in CardType.allCases {
            #expect(!type.prefixes.isEmpty)
            #expect(type.prefixes.allSatisfy { $0.count < type.length && $0.allSatisfy { "0123456789#%".contains($0) } })
        }
    }

    @Test func priceTagsFollowTheFivePatterns() throws {
        // `#` any digit, `%` a non-zero digit: the original's five formats.
        let grammar = ["#.##", "%#.##", "%##.##", "%,###.##", "%#,###.##"]
        var counts = [Int](repeating: 0, count: grammar.count)
        var failures = Failures()
        var lowest = Double.infinity
        var highest = -Double.infinity
        for message in seedSample {
            let tag = message["value"] ?? ""
            let body = String(tag.dropFirst())
            let formats = grammar.indices.filter { body.count == grammar[$0].count && matches(body, pattern: grammar[$0]) }
            failures.check(tag.hasPrefix("$") && formats.count == 1, tag)
            if let format = formats.first { counts[format] += 1 }
            // The consumer's parse: translate(value, '$,', '') then cast to float.
            let amount = Double(tag.filter { $0 != "$" && $0 != "," }) ?? -1
            failures.check(amount >= 0 && amount <= 99_999.99, tag)
            lowest = min(lowest, amount)
            highest = max(highest, amount)
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(counts.allSatisfy { $0 > 0 })
        #expect(chiSquare(counts, expected: Array(repeating: 0.2, count: 5)) < chiSquareCritical[4]!, "\(counts)")
        #expect(lowest < 0.5 && highest > 90_000)

        // The same grammar as a regular expression, on a smaller sample.
        let regex = try Regex(#"^\$([0-9]|[1-9][0-9]{1,2}|[1-9][0-9]?,[0-9]{3})\.[0-9]{2}$"#)
        for message in seedSample.prefix(1_000) {
            #expect(message["value"]?.wholeMatch(of: regex) != nil, "\(message["value"] ?? "")")
        }
    }

    @Test func brandsAndChannelsAreUniform() {
        var brandCounts: [String: Int] = [:]
        var channelCounts: [String: Int] = [:]
        for message in seedSample {
            brandCounts[message["bandeira"] ?? "", default: 0] += 1
            channelCounts[message["formato_captura"] ?? "", default: 0] += 1
        }
        #expect(Set(brandCounts.keys) == Set(Self.displayNames))
        #expect(Set(channelCounts.keys) == ["Gateway", "POS", "TEF"])
        let brandChi = chiSquare(Self.displayNames.map { brandCounts[$0] ?? 0 }, expected: Array(repeating: 0.1, count: 10))
        let channelChi = chiSquare(["Gateway", "POS", "TEF"].map { channelCounts[$0] ?? 0 },
                                   expected: Array(repeating: 1.0 / 3, count: 3))
        #expect(brandChi < chiSquareCritical[9]!, "\(brandCounts)")
        #expect(channelChi < chiSquareCritical[2]!, "\(channelCounts)")
    }

    @Test func datesAndTimesFollowTheEventTimeAndOffset() {
        let halfPastMidnight = start2024 + 30 * 60_000 + 999
        let utc = generate(.seed, seed: 1, count: 1, start: halfPastMidnight)[0]
        #expect(utc["dia_compra"] == "2024-01-01")
        #expect(utc["horario_compra"] == "00:30:00")
        let saoPaulo = generate(.seed, seed: 1, count: 1, start: halfPastMidnight, utcOffsetSeconds: -3 * 3600)[0]
        #expect(saoPaulo["dia_compra"] == "2023-12-31")
        #expect(saoPaulo["horario_compra"] == "21:30:00")
        // Only the clock fields depend on the offset.
        #expect(utc.text.replacingOccurrences(of: "2024-01-01", with: "2023-12-31")
                    .replacingOccurrences(of: "00:30:00", with: "21:30:00") == saoPaulo.text)

        var failures = Failures()
        for message in seedSample.prefix(2_000) {
            failures.check(message["dia_compra"] == CivilTime.date(message.eventTimeMillis), message.text)
            failures.check(message["horario_compra"] == CivilTime.time(message.eventTimeMillis), message.text)
        }
        #expect(failures.isEmpty, "\(failures)")
    }
}

/// Whether `number` starts with `pattern` (`#` any digit, `%` a non-zero digit).
func matches(_ number: String, pattern: String) -> Bool {
    guard number.count >= pattern.count else { return false }
    return zip(number, pattern).allSatisfy { digit, p in
        switch p {
        case "#": digit.isASCII && digit.isNumber
        case "%": digit.isASCII && digit.isNumber && digit != "0"
        default: digit == p
        }
    }
}

/// The issuer ranges stated independently of `CardType.prefixes`, so a wrong table cannot pass.
func isBrandCorrect(_ type: CardType, _ number: String) -> Bool {
    guard number.count >= 4, isDigits(number) else { return false }
    func lead(_ k: Int) -> Int { Int(number.prefix(k))! }
    switch type {
    case .maestro:
        return [5018, 5020, 5038, 6304, 6759, 6761, 6762, 6763].contains(lead(4)) || (5600...5899).contains(lead(4))
    case .mastercard:
        return (51...55).contains(lead(2)) || (2221...2720).contains(lead(4))
    case .visa16, .visa13, .visa19:
        return number.hasPrefix("4")
    case .amex:
        return [34, 37].contains(lead(2))
    case .discover:
        return lead(4) == 6011 || lead(2) == 65
    case .diners:
        return (300...305).contains(lead(3)) || [36, 38].contains(lead(2))
    case .jcb15:
        return [2100, 1800].contains(lead(4))
    case .jcb16:
        return [3088, 3096, 3112, 3158, 3337, 3528].contains(lead(4))
    }
}
