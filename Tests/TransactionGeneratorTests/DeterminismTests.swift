import Testing
@testable import TransactionGenerator

@Suite struct DeterminismTests {
    @Test(arguments: TransactionSchema.allCases)
    func sameSeedSameBytes(_ schema: TransactionSchema) {
        let a = generate(schema, seed: 123, count: 2_000)
        let b = generate(schema, seed: 123, count: 2_000)
        #expect(a.map(\.key) == b.map(\.key))
        #expect(a.map(\.value) == b.map(\.value))
    }

    @Test(arguments: TransactionSchema.allCases)
    func differentSeedsDiffer(_ schema: TransactionSchema) {
        let a = generate(schema, seed: 123, count: 200)
        let b = generate(schema, seed: 124, count: 200)
        let c = generate(schema, seed: nil, count: 200)
        let d = generate(schema, seed: nil, count: 200)
        #expect(zip(a, b).filter { $0.value == $1.value }.isEmpty)
        #expect(a.map(\.value) != c.map(\.value))
        #expect(c.map(\.value) != d.map(\.value))
    }

    @Test func drawingGapsLeavesMessagesUnchanged() {
        var withGaps = CardTransactionGenerator(schema: .extended, seed: 9)
        var key: [UInt8] = []
        var value: [UInt8] = []
        var clock = Double(start2024)
        var values: [[UInt8]] = []
        var times: [Int64] = []
        for _ in 0..<500 {
            clock += withGaps.nextGapMillis()
            times.append(Int64(clock))
            withGaps.next(eventTimeMillis: Int64(clock), key: &key, value: &value)
            values.append(value)
        }
        var without = CardTransactionGenerator(schema: .extended, seed: 9)
        for (time, expected) in zip(times, values) {
            without.next(eventTimeMillis: time, key: &key, value: &value)
            #expect(value == expected)
        }
    }

    @Test func buffersAreClearedAndReused() {
        var generator = CardTransactionGenerator(schema: .seed, seed: 4)
        var key: [UInt8] = Array("stale key".utf8)
        var value: [UInt8] = Array(repeating: 0xFF, count: 4_096)  // never in ASCII output
        generator.next(eventTimeMillis: start2024, key: &key, value: &value)
        #expect(value.first == UInt8(ascii: "{") && value.last == UInt8(ascii: "}"))
        #expect(value.count < 300 && !value.contains(0xFF))
        #expect(key.count >= 12 && key.count <= 19)
        #expect(key.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        #expect(value.capacity >= 4_096)  // kept, not reallocated
    }

    @Test func randomMatchesReferenceXoshiro256StarStar() {
        // Reference values from an independent implementation of splitmix64 + xoshiro256**.
        var zero = CellsRandom(seed: 0)
        #expect([zero.next(), zero.next(), zero.next()]
                == [11_091_344_671_253_066_420, 13_793_997_310_169_335_082, 1_900_383_378_846_508_768])
        var fortyTwo = CellsRandom(seed: 42)
        #expect([fortyTwo.next(), fortyTwo.next(), fortyTwo.next()]
                == [1_546_998_764_402_558_742, 6_990_951_692_964_543_102, 12_544_586_762_248_559_009])
        var mixer = SplitMix64(state: 0)
        #expect(mixer.next() == 0xE220_A839_7B1D_CDAF)
    }

    @Test func samplersStayInRange() {
        var random = CellsRandom(seed: 1)
        var seen = Set<UInt64>()
        for _ in 0..<10_000 {
            let v = random.below(7)
            #expect(v < 7)
            seen.insert(v)
            let u = random.unit()
            #expect(u >= 0 && u < 1)
            #expect((-3...3).contains(random.integer(in: -3...3)))
        }
        #expect(seen.count == 7)
        _ = random.integer(in: Int.min...Int.max)  // full-width span must not trap
    }

    @Test func aliasTableFollowsItsWeights() {
        let table = AliasTable(weights: [1, 2, 3, 4, 0])
        var random = CellsRandom(seed: 2)
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<100_000 { counts[table.sampleIndex(random.next())] += 1 }
        #expect(counts[4] == 0)
        #expect(chiSquare(Array(counts[0..<4]), expected: [0.1, 0.2, 0.3, 0.4]) < chiSquareCritical[3]!, "\(counts)")
    }
}
