import Foundation
import Testing
@testable import TransactionGenerator

@Suite struct ExtendedSchemaTests {
    @Test func everyLineIsACompactThirteenFieldObject() throws {
        let firstDigit = ["Visa": "4", "Mastercard": "5", "Elo": "6", "Amex": "3", "Hipercard": "6"]
        let cityStates = Set(ExtendedVocabulary.cities.map { "\($0.city)|\($0.state)" })
        let names = Set(ExtendedVocabulary.firstNames.flatMap { f in ExtendedVocabulary.lastNames.map { "\(f) \($0)" } })
        let categories = Set(ExtendedVocabulary.categories)
        let merchantPrefixes = ExtendedVocabulary.merchantPrefixes
        let unquoted = Set(["amount", "installments"])

        // Field by field on 10,000 lines (string checks are slow in debug builds); the statistics
        // below cover the whole sample.
        var failures = Failures()
        for message in extendedSample.prefix(10_000) {
            let text = message.text
            failures.check(message.names == extendedFieldNames, "fields: \(text)")
            failures.check(zip(message.names, message.quoted).allSatisfy { unquoted.contains($0) != $1 }, "types: \(text)")
            failures.check(!text.contains("\": ") && !text.contains(", \"") && text.hasSuffix("\"}"), "layout: \(text)")
            let v = message.values
            guard v.count == 13 else { continue }
            failures.check(isUUIDv4(v[0]), "transaction_id \(v[0])")
            failures.check(v[1].count == 16 && isDigits(v[1]) && v[1].hasPrefix(firstDigit[v[2]] ?? "?"), "card \(v[1]) \(v[2])")
            failures.check(message.keyText == v[1], "key \(message.keyText)")
            failures.check(names.contains(v[3]), "customer_name \(v[3])")
            failures.check(isPythonTwoDecimalRepr(v[4]), "amount \(v[4])")
            failures.check(v[5] == "BRL", "currency \(v[5])")
            failures.check(merchantPrefixes.contains { v[6].hasPrefix($0 + " ") && v[6].count == $0.count + 5 && isDigits(v[6].suffix(4)) },
                           "merchant \(v[6])")
            failures.check(categories.contains(v[7]), "category \(v[7])")
            failures.check(cityStates.contains("\(v[8])|\(v[9])"), "city \(v[8]) \(v[9])")
            failures.check(v[10] == "approved" || v[10] == "declined", "status \(v[10])")
            failures.check((1...12).contains(Int(v[11]) ?? 0) && !v[11].hasPrefix("0"), "installments \(v[11])")
            let parsed = CivilTime.parseISO8601(v[12])
            failures.check(parsed != nil && CivilTime.iso8601(parsed!) == v[12] && v[12].count == 24 && v[12].hasSuffix("Z"),
                           "event_time \(v[12])")
        }
        #expect(failures.isEmpty, "\(failures)")

        // Foundation's parser as an independent judge of validity and types, on a smaller sample.
        for message in extendedSample.prefix(2_000) {
            let object = try message.json()
            #expect(object.count == 13 && Set(object.keys) == Set(extendedFieldNames))
            for name in extendedFieldNames where !unquoted.contains(name) {
                #expect(object[name] is String, "\(name) should be a string in \(message.text)")
            }
            #expect(!(object["amount"] is String) && (object["amount"] as? Double).map { $0 >= 0 } == true)
            #expect(!(object["installments"] is String) && (object["installments"] as? Int).map { (1...12).contains($0) } == true)
            #expect(object["card_number"] as? String == message.keyText)
        }
    }

    @Test func brandDeclineAndAmountStatistics() {
        var brands: [String: Int] = [:]
        var declined = 0
        var amountSum = 0.0
        var installmentCounts = [Int](repeating: 0, count: 13)
        for message in extendedSample {
            brands[message.value(at: 2), default: 0] += 1
            if message.value(at: 10) == "declined" { declined += 1 }
            amountSum += Double(message.value(at: 4)) ?? .nan
            installmentCounts[min(12, max(0, Int(message.value(at: 11)) ?? 0))] += 1
        }
        let n = Double(extendedSample.count)
        for (brand, weight) in zip(ExtendedVocabulary.brands, ExtendedVocabulary.brandWeights) {
            // Popular cards make per-message brand shares noisier than per-card ones (an effective
            // sample of ~10^4 cards): ±0.025 is about five standard deviations.
            #expect(abs(Double(brands[brand] ?? 0) / n - weight) < 0.025, "\(brand): \(brands[brand] ?? 0)")
        }
        #expect(abs(Double(declined) / n - 0.05) < 0.005, "declined \(declined)")
        let meanAmount = amountSum / n
        #expect(meanAmount > 135 && meanAmount < 165, "mean amount \(meanAmount)")
        #expect(installmentCounts[0] == 0)
        #expect(chiSquare(Array(installmentCounts[1...]), expected: Array(repeating: 1.0 / 12, count: 12))
                < chiSquareCritical[11]!, "\(installmentCounts)")
    }

    @Test func aboutOnePercentOfEventsAreShiftedBackUpToThirtySeconds() {
        var early = 0
        var failures = Failures()
        for message in extendedSample {
            guard let eventTime = message["event_time"].flatMap(CivilTime.parseISO8601) else {
                failures.check(false, "event_time in \(message.text)")
                continue
            }
            if eventTime != message.eventTimeMillis {
                early += 1
                let shift = message.eventTimeMillis - eventTime
                failures.check(shift >= 1 && shift <= 30_000, "shift \(shift)")
            }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(abs(Double(early) / Double(extendedSample.count) - 0.01) < 0.002, "out of order \(early)")
    }

    @Test func poolsMatchTheAnchorGenerator() {
        var random = CellsRandom(seed: 7)
        let clock = ContinuousClock()
        var pools: ExtendedPools?
        let elapsed = clock.measure { pools = ExtendedPools(random: &random) }
        print("extended pools built in \(elapsed) (debug build)")
        let p = pools!
        #expect(p.cards.count == 100_000)
        #expect(p.merchants.count == 2_000)
        #expect((0..<2_000).allSatisfy { p.merchants.payload(at: $0).index == $0 })
        #expect(p.merchantNames.string(0) == "Mercado 0000")
        #expect(p.merchantNames.string(1) == "Padaria 0001")
        #expect(p.merchantNames.string(1_999) == "Pet Shop 1999")
        #expect(p.customerNames.count == 900)

        var brandCounts = [Int](repeating: 0, count: 5)
        for i in 0..<p.cards.count { brandCounts[Int(p.cards.payload(at: i).brand)] += 1 }
        for (count, weight) in zip(brandCounts, ExtendedVocabulary.brandWeights) {
            #expect(abs(Double(count) / 100_000 - weight) < 0.01, "\(brandCounts)")
        }
        var categoryCounts = [Int](repeating: 0, count: 12)
        for i in 0..<p.merchants.count { categoryCounts[Int(p.merchants.payload(at: i).category)] += 1 }
        #expect(chiSquare(categoryCounts, expected: ExtendedVocabulary.categoryWeights) < chiSquareCritical[11]!,
                "\(categoryCounts)")
    }

    @Test func popularityIsSkewed() {
        // With weights 1/rank^0.6 the busiest card carries ~0.4% of traffic, ~100x the median card.
        var cardHits: [String: Int] = [:]
        for message in extendedSample { cardHits[message.keyText, default: 0] += 1 }
        let top = cardHits.values.max() ?? 0
        print("busiest card \(top), distinct cards \(cardHits.count) of \(extendedSample.count) messages")
        #expect(top > 100 && top < 400, "busiest card \(top) of 50k")
        #expect(cardHits.count > 15_000 && cardHits.count < 45_000, "distinct cards \(cardHits.count)")
    }

    @Test func amountsPrintLikePythonFloats() {
        #expect(render { $0.amount(cents: 1200) } == "12.0")
        #expect(render { $0.amount(cents: 12340) } == "123.4")
        #expect(render { $0.amount(cents: 12345) } == "123.45")
        #expect(render { $0.amount(cents: 12305) } == "123.05")
        #expect(render { $0.amount(cents: 0) } == "0.0")
        #expect(render { $0.amount(cents: 5) } == "0.05")
        #expect(render { $0.amount(cents: 50) } == "0.5")
        #expect(render { $0.amount(cents: 123_456_789) } == "1234567.89")
    }

    @Test func uuidsHaveVersionAndVariantBits() {
        #expect(render { $0.uuid(high: 0, low: 0) } == "00000000-0000-4000-8000-000000000000")
        #expect(render { $0.uuid(high: .max, low: .max) } == "ffffffff-ffff-4fff-bfff-ffffffffffff")
        #expect(render { $0.uuid(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210) }
                == "01234567-89ab-4def-bedc-ba9876543210")
    }

    @Test func gapsAreExponentialWithMeanTwentyMilliseconds() {
        var generator = CardTransactionGenerator(schema: .extended, seed: 3)
        var sum = 0.0
        var sumSquares = 0.0
        let n = 100_000
        for _ in 0..<n {
            let gap = generator.nextGapMillis()
            #expect(gap >= 0 && gap.isFinite)
            sum += gap
            sumSquares += gap * gap
        }
        let mean = sum / Double(n)
        let standardDeviation = (sumSquares / Double(n) - mean * mean).squareRoot()
        #expect(abs(mean - 20) < 0.4, "mean gap \(mean)")
        #expect(abs(standardDeviation - 20) < 1, "gap sd \(standardDeviation)")  // exponential: sd == mean
    }
}

/// Lowercase 8-4-4-4-12 hex with version nibble 4 and variant 8, 9, a or b.
func isUUIDv4(_ text: String) -> Bool {
    let bytes = Array(text.utf8)
    guard bytes.count == 36 else { return false }
    for (i, b) in bytes.enumerated() {
        if [8, 13, 18, 23].contains(i) {
            guard b == UInt8(ascii: "-") else { return false }
        } else {
            guard (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) else { return false }
        }
    }
    return bytes[14] == UInt8(ascii: "4") && "89ab".utf8.contains(bytes[19])
}

/// What Python's `repr` prints for a float rounded to 2 decimals: digits, a point, then one digit,
/// or two when the second is not zero (`12.0`, `123.4`, `123.45`).
func isPythonTwoDecimalRepr(_ text: String) -> Bool {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 2, isDigits(parts[0]), isDigits(parts[1]) else { return false }
    guard parts[0] == "0" || !parts[0].hasPrefix("0") else { return false }
    return parts[1].count == 1 || (parts[1].count == 2 && !parts[1].hasSuffix("0"))
}
