import Testing
@testable import CellKernel

/// Group ids are dense and in order of first appearance, whichever way a batch's keys are
/// looked up: a single text key without NULLs by its text (`textGroupIDs`), anything else
/// encoded. Batches of both kinds, in any order, must give the ids a dictionary gives.
@Suite struct GroupTableTests {
    static func column(_ keys: [String?]) -> Column { column(keys.map { $0.map(Value.string) }, type: .string) }

    static func column(_ values: [Value?], type: SQLType) -> Column {
        var c = Column(type: type)
        for v in values { c.append(v ?? .null) }
        return c
    }

    @Test(arguments: [5, 300, 5000])
    func textAndEncodedLookupsGiveFirstAppearanceIDs(distinct: Int) {
        var table = GroupTable(keyTypes: [.string])
        var expected: [String?: Int32] = [:]
        var state: UInt64 = UInt64(distinct)
        func next() -> Int { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(state >> 33) }
        for batch in 0..<12 {
            let withNulls = batch % 4 == 3
            let keys: [String?] = (0..<(200 + next() % 2000)).map { _ in
                if withNulls && next() % 10 == 0 { return nil }
                let n = next() % distinct
                // Lengths 0-40, sharing prefixes and suffixes, so short and long hashes and
                // the stored-key comparison are all exercised.
                return n == 0 ? "" : String(repeating: "ab", count: n % 20) + String(n)
            }
            let ids = table.groupIDs([Self.column(keys)], count: keys.count)
            for (key, id) in zip(keys, ids) {
                let want = expected[key] ?? Int32(expected.count)
                expected[key] = want
                #expect(id == want, "batch \(batch), key \(key ?? "NULL")")
            }
            #expect(table.count == expected.count)
        }
        // A copy (a partial) goes on alone; the original is unchanged by it.
        var copy = table
        let fresh = copy.groupIDs([Self.column(["never seen", "ab1"])], count: 2)
        #expect(fresh[0] == Int32(expected.count))
        #expect(table.groupIDs([Self.column(["never seen"])], count: 1) == [Int32(expected.count)])
    }

    @Test func emptyAndLongTextsAndAnEmptyBatch() {
        var table = GroupTable(keyTypes: [.string])
        #expect(table.groupIDs([Self.column([])], count: 0) == [])
        let long = String(repeating: "x", count: 100)
        #expect(table.groupIDs([Self.column(["", long, "", long + "y", long])], count: 5) == [0, 1, 0, 2, 1])
        #expect(table.groupIDs([Self.column([nil, ""])], count: 2) == [3, 0])
        #expect(table.groupIDs([Self.column([long + "y", ""])], count: 2) == [2, 0])
    }
}

extension GroupTableTests {
    @Test func knownTextsAreFoundWithoutGrowingTheTable() {
        var table = GroupTable(keyTypes: [.string])
        let keys = (0..<10_000).map { ["Visa", "Mastercard", "Elo", "Amex", "Hipercard"][$0 % 5] as String? }
        _ = table.groupIDs([Self.column(keys)], count: keys.count)
        let size = table.estimatedBytes
        #expect(table.groupIDs([Self.column(keys)], count: keys.count).prefix(5) == [0, 1, 2, 3, 4])
        #expect(table.estimatedBytes == size)
    }
}

extension GroupTableTests {
    /// A first block of mostly new keys turns the text lookups off in the middle of a batch:
    /// the whole batch is then looked up the encoded way, its first block finding the groups
    /// it made with the ids they got.
    @Test func manyNewKeysFallBackToEncodedLookupsWithTheSameIDs() {
        var table = GroupTable(keyTypes: [.string])
        let keys = (0..<3000).map { "card \($0 % 2500)" as String? }
        let ids = table.groupIDs([Self.column(keys)], count: keys.count)
        #expect(ids == (0..<3000).map { Int32($0 % 2500) })
        #expect(table.count == 2500)
        #expect(table.groupIDs([Self.column(["card 7", "new", "card 2499"])], count: 3) == [7, 2500, 2499])
    }
}

extension GroupTableTests {
    /// A window and a category: a 64-bit key before the text goes the text way too (its word
    /// compared and mixed into the hash), batches with NULLs the encoded way, and both must
    /// agree on every group's id, also after the text slots grow and are rehashed from the
    /// stored keys.
    @Test(arguments: [3, 40, 3000])
    func aWordBeforeTheTextGivesFirstAppearanceIDsEitherWay(distinct: Int) {
        var table = GroupTable(keyTypes: [.timestamp, .string])
        struct Key: Hashable { let word: Int64?, text: String? }
        var expected: [Key: Int32] = [:]
        var state: UInt64 = UInt64(distinct) &+ 17
        func next() -> Int { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(state >> 33) }
        let extremes: [Int64] = [.min, .max, 0, -1, 60_000_000]
        for batch in 0..<12 {
            let withNulls = batch % 4 == 3
            let keys: [Key] = (0..<(200 + next() % 2000)).map { _ in
                let n = next() % distinct
                // The same texts under different words and the same words under different texts.
                let word: Int64? = withNulls && next() % 9 == 0 ? nil : (n % 7 == 0 ? extremes[n % 5] : Int64(n % 11) * 60_000_000)
                let text: String? = withNulls && next() % 11 == 0 ? nil : (n % 13 == 0 ? "" : "cat" + String(n / 3))
                return Key(word: word, text: text)
            }
            let ids = table.groupIDs([Self.column(keys.map { $0.word.map(Value.int) }, type: .timestamp), Self.column(keys.map(\.text))], count: keys.count)
            for (key, id) in zip(keys, ids) {
                let want = expected[key] ?? Int32(expected.count)
                expected[key] = want
                #expect(id == want, "batch \(batch), key \(String(describing: key))")
            }
            #expect(table.count == expected.count)
        }
    }
}
