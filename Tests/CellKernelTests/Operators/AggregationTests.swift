@testable import CellKernel
import Testing

@Suite struct AggregationTests {
    static let schema = Schema([.init(name: "k", type: .string), .init(name: "v", type: .double), .init(name: "s", type: .string)])

    static func rows(_ rows: [(Value, Value, Value)]) -> Batch {
        var k = Column(type: .string), v = Column(type: .double), s = Column(type: .string)
        for (a, b, c) in rows { k.append(a); v.append(b); s.append(c) }
        return Batch(schema: schema, columns: [k, v, s])
    }

    func aggregation() -> HashAggregation {
        HashAggregation(keys: [.column(0, .string)], aggregates: [
            AggregateSpec(.countAll, nil), AggregateSpec(.count, .column(1, .double)), AggregateSpec(.sum, .column(1, .double)),
            AggregateSpec(.avg, .column(1, .double)), AggregateSpec(.min, .column(2, .string)), AggregateSpec(.max, .column(1, .double)),
            AggregateSpec(.countDistinct, .column(2, .string)),
        ])
    }

    @Test func incrementalEqualsAllAtOnceAndSkipsNulls() {
        let first = Self.rows([(.string("POS"), .double(10), .string("b")), (.string("TEF"), .null, .string("a")),
                               (.null, .double(1), .null)])
        let second = Self.rows([(.string("POS"), .double(2.5), .string("a")), (.string("POS"), .null, .string("b"))])
        var incremental = aggregation()
        incremental.beginBatch(); incremental.add(first)
        incremental.beginBatch(); incremental.add(second)
        // Only POS was touched by the second batch: what update mode emits.
        #expect(incremental.touchedGroups()[0].values == [.string("POS")])

        var once = aggregation()
        once.add(Batch(schema: Self.schema, columns: (0..<3).map { i in
            var c = first.columns[i]
            for r in 0..<second.count { c.append(second.columns[i].value(at: r)) }
            return c
        }))
        let expected: [[Value]] = [
            [.string("POS"), .string("TEF"), .null],          // keys, in order of first appearance
            [.int(3), .int(1), .int(1)],                       // count(*)
            [.int(2), .int(0), .int(1)],                       // count(v)
            [.double(12.5), .null, .double(1)],                // sum(v)
            [.double(6.25), .null, .double(1)],                // avg(v)
            [.string("a"), .string("a"), .null],               // min(s)
            [.double(10), .null, .double(1)],                  // max(v)
            [.int(2), .int(1), .int(0)],                       // count(DISTINCT s)
        ]
        #expect(incremental.allGroups().map(\.values) == expected)
        #expect(once.allGroups().map(\.values) == expected)
    }

    /// What a fused scan does with its threads' partials: the first becomes the empty state,
    /// the next merges into it; the result is one aggregation over all the rows, every group
    /// touched, and a later batch's partial merges into what the first two built.
    @Test func partialsMergedEqualOneAggregationOfAllRows() {
        let a = Self.rows([(.string("POS"), .double(10), .string("b")), (.string("TEF"), .null, .string("a"))])
        let b = Self.rows([(.string("Gateway"), .double(1), .null), (.string("POS"), .double(2.5), .string("a"))])
        let c = Self.rows([(.string("TEF"), .double(4), .string("c"))])
        func partial(_ batch: Batch) -> HashAggregation {
            var p = aggregation()
            p.add(batch)
            return p
        }
        var merged = aggregation()
        merged.beginBatch()
        merged.merge(partial(a))
        merged.merge(partial(b))
        #expect(merged.touchedGroups()[0].values == [.string("POS"), .string("TEF"), .string("Gateway")])
        var once = aggregation()
        once.add(a); once.add(b)
        #expect(merged.allGroups().map(\.values) == once.allGroups().map(\.values))

        merged.beginBatch()
        merged.merge(partial(c))
        once.add(c)
        #expect(merged.touchedGroups()[0].values == [.string("TEF")])
        #expect(merged.allGroups().map(\.values) == once.allGroups().map(\.values))
        #expect(merged.allGroups()[1].values == [.int(2), .int(2), .int(1)])  // count(*) per group
    }

    /// Partials big enough that merging looks their groups up in passes (the merged table
    /// past `GroupTable.largeTable` slots), and small ones into a small table: the groups come
    /// out as one aggregation of all the rows makes them, in the same order.
    @Test(arguments: [40_000, 300])
    func mergedPartialsOfManyGroupsEqualOneAggregation(groups: Int) {
        func batch(_ range: Range<Int>) -> Batch {
            Self.rows(range.map { i in
                // Keys of many lengths (and NULL), so the stored keys' bytes and ends vary.
                let key: Value = i % 997 == 0 ? .null : .string(String(repeating: "k", count: i % 23) + String(i % groups))
                return (key, i % 5 == 0 ? .null : .double(Double(i) / 8), .string(String(i % 7)))
            })
        }
        let parts = [batch(0..<(groups / 2)), batch((groups / 3)..<groups), batch((groups / 4)..<(groups + groups / 2))]
        var merged = aggregation()
        merged.beginBatch()
        for part in parts {
            var p = aggregation()
            p.add(part)
            merged.merge(p)
        }
        var once = aggregation()
        for part in parts { once.add(part) }
        #expect(merged.groupCount == once.groupCount)
        #expect(merged.groupCount > groups)
        #expect(merged.allGroups().map(\.values) == once.allGroups().map(\.values))
    }

    @Test func globalAggregateWithoutKeys() {
        var agg = HashAggregation(keys: [], aggregates: [AggregateSpec(.countAll, nil), AggregateSpec(.sum, .column(1, .double))])
        agg.add(Self.rows([(.null, .double(1), .null), (.null, .double(2), .null)]))
        #expect(agg.allGroups().map(\.values) == [[.int(2)], [.double(3)]])
    }

    @Test func manyGroupsSurviveRehashing() {
        var keys = Column(type: .bigint)
        for i in 0..<50_000 { keys.append(Int64(i % 12_345)) }
        let batch = Batch(schema: Schema([.init(name: "k", type: .bigint)]), columns: [keys])
        var agg = HashAggregation(keys: [.column(0, .bigint)], aggregates: [AggregateSpec(.countAll, nil)])
        agg.add(batch)
        #expect(agg.groupCount == 12_345)
        let result = agg.allGroups()
        let counts = result[1].values
        for (index, key) in result[0].values.enumerated() {
            guard case .int(let k) = key, case .int(let n) = counts[index] else { Issue.record("types"); continue }
            #expect(n == (k < 50_000 % 12_345 ? 5 : 4))
        }
    }

    @Test func bigTablesLookUpInTwoPassesAndAgree() {
        // Past GroupTable.largeTable slots the lookups take the route in passes; batches mix
        // known keys, new keys and repeats within a batch, and the table rehashes in between.
        var agg = HashAggregation(keys: [.column(0, .string)], aggregates: [AggregateSpec(.countAll, nil)])
        var expected: [String: Int64] = [:]
        for b in 0..<6 {
            var keys = Column(type: .string)
            for i in 0..<40_000 {
                let key = "card-\((i * 7919 + b * 13_001) % (30_000 + b * 12_000))"
                keys.append(.string(key))
                expected[key, default: 0] += 1
            }
            agg.add(Batch(schema: Schema([.init(name: "k", type: .string)]), columns: [keys]))
        }
        #expect(agg.groupCount == expected.count && expected.count > 65_536 / 2)
        let result = agg.allGroups()
        var seen: [String: Int64] = [:]
        for (key, count) in zip(result[0].values, result[1].values) {
            guard case .string(let k) = key, case .int(let n) = count else { Issue.record("types"); continue }
            seen[k] = n
        }
        #expect(seen == expected)
    }

    /// Past `AggregateState.farGroups` groups, sums of doubles without NULLs are added with
    /// prefetches ahead: each group's count, sum and average must be what the same rows give
    /// in a state of one group, bit for bit, through overflow to Infinity and cancellations.
    @Test func sumsOverManyGroupsEqualOneGroupAtATime() {
        let groups = AggregateState.farGroups + 3_000
        func value(_ row: Int) -> Double {
            switch row % 7 {
            case 0: 1e308
            case 1: Double(row) * 0.1
            case 2: 1e16
            case 3: -1e16
            case 4: -0.3
            default: 1
            }
        }
        let specs = [AggregateSpec(.countAll, nil), AggregateSpec(.sum, .column(1, .double)), AggregateSpec(.avg, .column(1, .double))]
        let schema = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: .double)])
        var many = HashAggregation(keys: [.column(0, .bigint)], aggregates: specs)
        var rowsOf: [Int64: [Double]] = [:]
        for batch in 0..<2 {
            var keys: [Int64] = [], values: [Double] = []
            for i in 0..<(groups * 2) {
                let row = batch * groups * 2 + i
                let key = Int64((i * 7_919) % groups)
                // Every 11th group overflows: four rows of 1e308.
                let x = key % 11 == 0 ? 1e308 : value(row)
                keys.append(key)
                values.append(x)
                rowsOf[key, default: []].append(x)
            }
            many.add(Batch(schema: schema, columns: [Column(type: .bigint, data: .int64(keys)), Column(type: .double, data: .double(values))]))
        }
        #expect(many.groupCount == groups)
        let result = many.allGroups()
        var checked = 0
        for (index, key) in result[0].values.enumerated() where index % 97 == 0 {
            guard case .int(let k) = key, let values = rowsOf[k] else { Issue.record("key \(key)"); continue }
            var one = HashAggregation(keys: [.column(0, .bigint)], aggregates: specs)
            one.add(Batch(schema: schema, columns: [Column(type: .bigint, data: .int64(Array(repeating: k, count: values.count))),
                                                    Column(type: .double, data: .double(values))]))
            let alone = one.allGroups()
            #expect((1...3).map { result[$0].values[index] } == (1...3).map { alone[$0].values[0] }, "group \(k)")
            checked += 1
        }
        #expect(checked > 100)
        // The overflowing groups' sums are Infinity, as Spark's are, and no other group's is.
        let infiniteKeys = zip(result[0].values, result[2].values).compactMap { key, sum in sum == .double(.infinity) ? key : nil }
        #expect(infiniteKeys.count == (groups + 10) / 11)
        #expect(infiniteKeys.allSatisfy { if case .int(let k) = $0 { k % 11 == 0 } else { false } })
    }

    @Test func compensatedSumsDoNotDependOnOrder() {
        let values: [Double] = [1e16, 1, -1e16, 1, 3.3, -2.2, 1e-3]
        var forward = HashAggregation(keys: [], aggregates: [AggregateSpec(.sum, .column(0, .double))])
        var backward = forward
        let one = { (v: [Double]) in Batch(schema: Schema([.init(name: "v", type: .double)]), columns: [Column(type: .double, data: .double(v))]) }
        forward.add(one(values))
        for v in values.reversed() { backward.add(one([v])) }
        #expect(forward.allGroups()[0].values == backward.allGroups()[0].values)
        // Plain left-to-right summation loses both 1s against 1e16 and gives 1.101.
        guard case .double(let sum) = forward.allGroups()[0].values[0] else { Issue.record("type"); return }
        #expect(abs(sum - 3.101) < 1e-12)
    }

    @Test func approximateDistinctIsWithinSparksError() {
        for n in [10, 1_000, 100_000] {
            var agg = HashAggregation(keys: [], aggregates: [AggregateSpec(.approxCountDistinct, .column(0, .bigint))])
            agg.add(Batch(schema: Schema([.init(name: "x", type: .bigint)]), columns: [Column(type: .bigint, data: .int64((0..<Int64(n)).map { $0 * 7919 }))]))
            guard case .int(let estimate) = agg.allGroups()[0].values[0] else { Issue.record("type"); continue }
            #expect(abs(Double(estimate) - Double(n)) <= max(1, 0.15 * Double(n)), "n=\(n) estimate=\(estimate)")
        }
    }
}
