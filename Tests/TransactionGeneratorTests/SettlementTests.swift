import Foundation
import Testing
@testable import TransactionGenerator

/// The settlement schema's two streams, read back as JSON: every settlement follows its
/// authorization, the fates come in the shares promised (seeded, so the figures are fixed),
/// delays are as described, and the same seed gives the same bytes.
@Suite struct SettlementTests {
    struct Sample {
        var authorizations: [String: (time: Int64, amount: Double, index: Int)] = [:]
        var settlements: [(id: String, time: Int64, amount: Double, index: Int)] = []
        var values: [[UInt8]] = []
        var keys: [String] = []
    }

    /// `count` authorizations on a simulated clock (exponential gaps), through the producer's
    /// generator, then the clock far ahead until every scheduled settlement is out.
    static func sample(seed: UInt64, count: Int) throws -> Sample {
        var generator = CardTransactionGenerator(schema: .settlement, seed: seed)
        var key: [UInt8] = [], value: [UInt8] = []
        var clock = Double(start2024)
        var sample = Sample()
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        func record(_ index: Int) throws {
            let object = try JSONSerialization.jsonObject(with: Data(value)) as? [String: Any] ?? [:]
            let id = try #require(object["auth_id"] as? String)
            let text = try #require(object["event_time"] as? String)
            let time = Int64((try #require(formatter.date(from: text))).timeIntervalSince1970 * 1000)
            #expect(String(decoding: key, as: UTF8.self) == id)
            sample.keys.append(id)
            sample.values.append(value)
            if generator.lastStream == .authorization {
                #expect(Set(object.keys) == ["auth_id", "card_number", "amount", "merchant", "event_time"])
                let card = try #require(object["card_number"] as? String)
                #expect(card.count == 16 && card.allSatisfy(\.isASCII) && card.allSatisfy(\.isNumber), "the extended schema's card pool")
                #expect(sample.authorizations[id] == nil, "auth ids are unique")
                sample.authorizations[id] = (time, try #require(object["amount"] as? Double), index)
            } else {
                #expect(Set(object.keys) == ["auth_id", "settled_amount", "event_time"])
                sample.settlements.append((id, time, try #require(object["settled_amount"] as? Double), index))
            }
        }
        var index = 0
        var authorizations = 0
        while authorizations < count {
            generator.next(eventTimeMillis: Int64(clock), key: &key, value: &value)
            try record(index)
            index += 1
            if generator.lastStream == .authorization {
                authorizations += 1
                clock += generator.nextGapMillis() * 50  // ~1 s apart: delays of minutes overlap many
            }
        }
        // Far ahead: every pending settlement is due, and comes before any new authorization.
        while true {
            generator.next(eventTimeMillis: Int64(clock) + 3_600_000, key: &key, value: &value)
            guard generator.lastStream == .settlement else { break }
            try record(index)
            index += 1
        }
        return sample
    }

    @Test func sharesDelaysAndOrder() throws {
        let count = 20_000
        let sample = try Self.sample(seed: 2024, count: count)
        #expect(sample.authorizations.count == count)
        var onTime = 0, late = 0
        var delays: [Int64] = []
        var seen = Set<String>()
        var previousTime = Int64.min
        for settlement in sample.settlements {
            let auth = try #require(sample.authorizations[settlement.id], "a settlement of an unknown authorization")
            #expect(seen.insert(settlement.id).inserted, "one settlement per authorization")
            #expect(settlement.index > auth.index, "the settlement follows its authorization")
            // Sent when due: the settlement stream is in event-time order.
            #expect(settlement.time >= previousTime)
            previousTime = settlement.time
            let delay = settlement.time - auth.time
            if delay <= SettlementGenerator.windowMillis {
                onTime += 1
                delays.append(delay)
                #expect(delay >= 1_000 && delay <= 540_000)
            } else {
                late += 1
                #expect(delay <= 1_800_000)
            }
            #expect(abs(settlement.amount - auth.amount) <= auth.amount * 0.15 + 0.01)
        }
        let missing = count - sample.settlements.count
        // 20,000 draws: the standard deviation of a 3 % share is 0.12 points, of 2 % 0.1.
        #expect(abs(Double(missing) / Double(count) - 0.03) < 0.005, "missing \(missing)")
        #expect(abs(Double(late) / Double(count) - 0.02) < 0.004, "late \(late)")
        #expect(onTime + late + missing == count)
        delays.sort()
        let median = Double(delays[delays.count / 2]) / 1000
        #expect(median > 17 && median < 23, "median delay \(median) s")
        // Lognormal: a long tail, the 95th percentile some minutes (20 s * e^1.645 ~ 104 s).
        let p95 = Double(delays[delays.count * 95 / 100]) / 1000
        #expect(p95 > 80 && p95 < 130, "95th percentile \(p95) s")
        let changed = sample.settlements.filter { s in sample.authorizations[s.id].map { abs($0.amount - s.amount) > 0.001 } ?? false }.count
        #expect(Double(changed) / Double(sample.settlements.count) > 0.07 && Double(changed) / Double(sample.settlements.count) < 0.13)
    }

    @Test func sameSeedSameStreams() throws {
        let a = try Self.sample(seed: 7, count: 500), b = try Self.sample(seed: 7, count: 500)
        #expect(a.values == b.values)
        let c = try Self.sample(seed: 8, count: 500)
        #expect(a.values != c.values)
    }

    @Test func sharesAreConfigurable() {
        var generator = SettlementGenerator(seed: 1, shares: .init(late: 0.5, missing: 0.25))
        var key: [UInt8] = [], value: [UInt8] = []
        for i in 0..<4_000 { _ = generator.next(nowMillis: start2024 + Int64(i), key: &key, value: &value) }
        let fates = generator.fates
        let total = Double(fates.values.reduce(0, +))
        #expect(generator.authorizations == Int(total))
        #expect(abs(Double(fates[.missing] ?? 0) / total - 0.25) < 0.04)
        #expect(abs(Double(fates[.late] ?? 0) / total - 0.5) < 0.04)
    }
}
