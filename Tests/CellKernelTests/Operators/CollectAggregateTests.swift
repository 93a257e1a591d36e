@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// collect_list / collect_set (and array_agg), driven through HashAggregation directly:
/// batches in order, partials merged as a fused scan's threads are, snapshots and deltas,
/// checked against a straightforward Swift reference (a list per key in arrival order; a set
/// per key as the first occurrence of each value).
@Suite struct CollectAggregateTests {
    static func batch(_ keys: [Int64], _ values: [Value], type: SQLType) -> Batch {
        let schema = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: type)])
        var k = Column(type: .bigint), v = Column(type: type)
        for (key, value) in zip(keys, values) {
            k.append(.int(key))
            v.append(value)
        }
        return Batch(schema: schema, columns: [k, v])
    }

    static func make(_ type: SQLType) -> HashAggregation {
        HashAggregation(keys: [.column(0, .bigint)], aggregates: [
            AggregateSpec(.collectList, .column(1, type)), AggregateSpec(.collectSet, .column(1, type)),
        ])
    }

    /// The reference: per key, the non-NULL values in order, and their first occurrences.
    /// `same` says when two values are one set element (Spark: NaN = NaN, -0.0 = 0.0).
    static func reference(_ keys: [Int64], _ values: [Value]) -> [Int64: (list: [Value], set: [Value])] {
        var out: [Int64: (list: [Value], set: [Value])] = [:]
        for (k, v) in zip(keys, values) {
            out[k, default: ([], [])].list.append(.null)  // keeps the key even for NULL-only groups
            out[k]!.list.removeLast()
            guard !v.isNull else { continue }
            let n = normalized(v)
            out[k]!.list.append(n)
            if !out[k]!.set.contains(where: { same($0, n) }) { out[k]!.set.append(n) }
        }
        return out
    }

    /// The value as an ARRAY element reads back: the nested encoding writes one NaN and 0.0.
    static func normalized(_ v: Value) -> Value {
        if case .double(let d) = v { return .double(d.isNaN ? .nan : (d == 0 ? 0 : d)) }
        return v
    }

    static func same(_ a: Value, _ b: Value) -> Bool {
        if case .double(let x) = a, case .double(let y) = b { return x == y || x.isNaN && y.isNaN }
        return a == b
    }

    static func equalArrays(_ a: Value, _ b: [Value]) -> Bool {
        guard case .array(let got) = a, got.count == b.count else { return false }
        return zip(got, b).allSatisfy { same($0, $1) }
    }

    /// Checks every group of `agg` against the reference of all the rows it was fed.
    static func check(_ agg: HashAggregation, _ keys: [Int64], _ values: [Value], _ what: String) {
        let want = reference(keys, values)
        let r = agg.allGroups()
        #expect(r[0].count == want.count, "\(what): group count")
        for (g, key) in r[0].values.enumerated() {
            guard case .int(let k) = key, let w = want[k] else { Issue.record("\(what): unexpected key \(key)"); continue }
            #expect(equalArrays(r[1].value(at: g), w.list), "\(what): collect_list of \(k): \(r[1].value(at: g)) vs \(w.list)")
            #expect(equalArrays(r[2].value(at: g), w.set), "\(what): collect_set of \(k): \(r[2].value(at: g)) vs \(w.set)")
        }
    }

    /// Values drawn from a small pool (so duplicates are common), a NULL in ten.
    static func draw(_ type: SQLType, _ random: inout CellsRandom) -> Value {
        if Int.random(in: 0..<10, using: &random) == 0 { return .null }
        let i = Int.random(in: 0..<40, using: &random)
        switch type {
        case .bigint: return .int([Int64.min, Int64.max, 0, -1][i % 4] &+ Int64(i / 4))
        case .double: return .double([Double.nan, -0.0, 0.0, 1e308, -Double.infinity, 2.5, -Double.nan][i % 7] + Double(i / 7) * (i % 7 == 3 ? 0 : 1))
        case .string: return .string(["", "a", "é", "naïve ✓", String(repeating: "x", count: 300)][i % 5] + String(i / 5))
        case .boolean: return .bool(i % 2 == 0)
        case .decimal: return .decimal(Int128(i) * 10_000_000_000_000_000_000 - 17)
        case .array: return .array(i % 3 == 0 ? [] : [.int(Int64(i % 5)), i % 4 == 0 ? .null : .int(7)])
        default: return .null
        }
    }

    /// 40 seeded runs over six element types, 60 groups, 3,000 rows: whole, in 9 merged
    /// partials (a fused scan's threads), and as 5 batches: all equal to the reference.
    @Test(arguments: [SQLType.bigint, .double, .string, .boolean, .decimal(precision: 38, scale: 2), .array(.bigint)])
    func matchesTheReferenceWholeMergedAndBatched(type: SQLType) throws {
        for seed in UInt64(1)...40 {
            var random = CellsRandom(seed: seed)
            let n = 3_000
            let keys = (0..<n).map { _ in Int64.random(in: 0..<60, using: &random) }
            let values = (0..<n).map { _ in Self.draw(type, &random) }
            var whole = Self.make(type)
            whole.add(Self.batch(keys, values, type: type))
            Self.check(whole, keys, values, "\(type) seed \(seed) whole")

            var merged = Self.make(type)
            var cuts = (0..<8).map { _ in Int.random(in: 0...n, using: &random) }.sorted()
            cuts = [0] + cuts + [n]
            for (a, b) in zip(cuts, cuts.dropFirst()) {
                var partial = Self.make(type)
                partial.add(Self.batch(Array(keys[a..<b]), Array(values[a..<b]), type: type))
                merged.merge(partial)
            }
            Self.check(merged, keys, values, "\(type) seed \(seed) merged")

            var batched = Self.make(type)
            for a in stride(from: 0, to: n, by: 600) {
                batched.beginBatch()
                batched.add(Self.batch(Array(keys[a..<a + 600]), Array(values[a..<a + 600]), type: type))
            }
            Self.check(batched, keys, values, "\(type) seed \(seed) batched")
            #expect(batched.snapshot().groupState == whole.snapshot().groupState, "same rows in the same order: same state")
        }
    }

    /// NULLs are skipped; a group of only NULLs is an empty array, not NULL (Spark 3.5).
    @Test func nullsAreSkippedAndAnEmptyGroupIsAnEmptyArray() {
        var agg = Self.make(.string)
        agg.add(Self.batch([1, 1, 2, 1], [.null, .string("a"), .null, .null], type: .string))
        let r = agg.allGroups()
        #expect(r[1].values == [.array([.string("a")]), .array([])])
        #expect(r[2].values == [.array([.string("a")]), .array([])])
        #expect(r[1].type == .array(.string) && r[2].type == .array(.string))
    }

    /// Spark's set semantics for doubles: every NaN is one element, -0.0 is 0.0.
    @Test func setOfDoublesHasOneNaNAndOneZero() {
        var agg = Self.make(.double)
        let nan2 = Double(bitPattern: Double.nan.bitPattern | 1)
        agg.add(Self.batch([0, 0, 0, 0, 0, 0], [.double(-0.0), .double(.nan), .double(0.0), .double(nan2), .double(-.nan), .double(1)], type: .double))
        let set = agg.allGroups()[2].value(at: 0)
        guard case .array(let xs) = set else { Issue.record("not an array: \(set)"); return }
        #expect(xs.count == 3)
        #expect(xs[0] == .double(0) && xs[2] == .double(1))
        if case .double(let d) = xs[1] { #expect(d.isNaN) } else { Issue.record("\(xs[1])") }
        guard case .array(let list) = agg.allGroups()[1].value(at: 0) else { return }
        #expect(list.count == 6, "the list keeps every value")
    }

    /// A snapshot restores the same state (same bytes, same rows); the restored set still
    /// knows its members, so a duplicate after the restart is not added again.
    @Test func snapshotRoundTripKeepsMembership() throws {
        var random = CellsRandom(seed: 99)
        let keys = (0..<2_000).map { _ in Int64.random(in: 0..<30, using: &random) }
        let values = (0..<2_000).map { _ in Self.draw(.string, &random) }
        var live = Self.make(.string)
        live.add(Self.batch(Array(keys[..<1_000]), Array(values[..<1_000]), type: .string))
        let snapshot = live.snapshot()
        var restored = try HashAggregation(restoring: snapshot, keys: live.keys, aggregates: live.aggregates)
        #expect(restored.snapshot().groupState == snapshot.groupState)
        let rest = Self.batch(Array(keys[1_000...]), Array(values[1_000...]), type: .string)
        live.add(rest)
        restored.add(rest)
        Self.check(restored, keys, values, "restored")
        #expect(restored.snapshot().groupState == live.snapshot().groupState)
    }

    /// A full snapshot, then a delta of what changed, rebuild the live state.
    @Test func deltaRoundTrip() throws {
        var random = CellsRandom(seed: 7)
        let keys = (0..<3_000).map { _ in Int64.random(in: 0..<500, using: &random) }
        let values = (0..<3_000).map { _ in Self.draw(.bigint, &random) }
        var live = Self.make(.bigint)
        live.add(Self.batch(Array(keys[..<2_000]), Array(values[..<2_000]), type: .bigint))
        let base = live.snapshot()
        live.markCheckpointed()
        live.beginBatch()
        live.add(Self.batch(Array(keys[2_000...]), Array(values[2_000...]), type: .bigint))
        let delta = try #require(live.delta(signature: "s"))
        #expect(delta.count < live.snapshot().groupState.count, "the delta holds the changed groups only")
        var restored = try HashAggregation(restoring: base, keys: live.keys, aggregates: live.aggregates)
        try restored.applyDelta(delta, signature: "s")
        #expect(restored.snapshot().groupState == live.snapshot().groupState)
        Self.check(restored, keys, values, "base + delta")
    }

    /// Damaged element bytes in a snapshot are an error, not a trap or a wrong array.
    @Test func damagedElementsInASnapshotAreRefused() throws {
        var agg = Self.make(.string)
        agg.add(Self.batch([1, 1], [.string("abc"), .string("abd")], type: .string))
        let snapshot = agg.snapshot()
        var bytes = snapshot.groupState
        // The set's last element is "abd": make it "abc", a duplicate the set cannot hold.
        let abd = Array("abd".utf8)
        let at = try #require((0...(bytes.count - 3)).last { Array(bytes[$0..<$0 + 3]) == abd })
        bytes[at + 2] = UInt8(ascii: "c")
        var damaged = snapshot
        damaged.groupState = bytes
        #expect(throws: SnapshotError.self) {
            _ = try HashAggregation(restoring: damaged, keys: agg.keys, aggregates: agg.aggregates)
        }
    }

    /// One group of 300,000 values with 1,000 distinct ones, in batches and merged partials:
    /// the list has every value in order, the set each once; the state's estimate counts the
    /// collected bytes (so the state-memory limit sees them).
    @Test func hugeGroups() {
        let n = 300_000
        let values = (0..<n).map { Value.int(Int64(($0 * 7_919) % 1_000)) }
        let keys = [Int64](repeating: 5, count: n)
        var agg = Self.make(.bigint)
        let empty = agg.estimatedStateBytes
        for a in stride(from: 0, to: n, by: 50_000) {
            var partial = Self.make(.bigint)
            partial.add(Self.batch(Array(keys[a..<a + 50_000]), Array(values[a..<a + 50_000]), type: .bigint))
            agg.merge(partial)
        }
        let r = agg.allGroups()
        guard case .array(let list) = r[1].value(at: 0), case .array(let set) = r[2].value(at: 0) else {
            Issue.record("not arrays"); return
        }
        #expect(list == values)
        #expect(set == (0..<1_000).map { Value.int(Int64(($0 * 7_919) % 1_000)) })
        #expect(Set(set).count == 1_000)
        #expect(agg.estimatedStateBytes - empty >= n * 9, "300k 9-byte slots are counted: \(agg.estimatedStateBytes)")
    }

    /// Past the bytes one ARRAY may hold, a group stops collecting and the state reports
    /// itself over any limit (the query then stops with the state-memory error).
    @Test func aGroupPastTheArrayLimitReportsItselfOverTheLimit() {
        var values = CollectedValues()
        var column = Column(type: .string)
        column.append(.string(String(repeating: "z", count: 1 << 20)))
        for _ in 0..<1_100 { values.add(column, 0, distinct: false) }
        #expect(values.overflowed)
        #expect(values.bytes.count <= CollectedValues.maximumBytes)
        #expect(values.count < 1_100)
        var agg = Self.make(.string)
        agg.add(Self.batch([1], [.string("x")], type: .string))
        agg.states[0].collected[0] = values
        #expect(agg.estimatedStateBytes >= Int.max / 1024)
    }

    // MARK: SQL surface

    static let emptyFile: String = {
        let path = NSTemporaryDirectory() + "cells-collect-\(UUID().uuidString).jsonl"
        FileManager.default.createFile(atPath: path, contents: Data())
        return path
    }()

    static let ddl = """
        CREATE SOURCE f USING file OPTIONS ('path' = '\(emptyFile)');
        CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP, brand STRING, user STRING, amount DOUBLE,
          tags MAP<STRING, STRING>, items ARRAY<BIGINT>);
        """

    func fields(_ select: String) throws -> [Schema.Field] {
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: Self.ddl + "CREATE VIEW v AS " + select + ";")
        return try session.prepare(start: "START v OUTPUT MODE update").plan.schema.fields
    }

    @Test func namesAndTypesAreSparks() throws {
        let f = try fields("SELECT brand, collect_list(user), array_agg(amount), collect_set(user), collect_list(items), collect_list(tags) FROM tx GROUP BY brand")
        #expect(f.map(\.name) == ["brand", "collect_list(user)", "array_agg(amount)", "collect_set(user)", "collect_list(items)", "collect_list(tags)"])
        #expect(f.map(\.type) == [.string, .array(.string), .array(.double), .array(.string), .array(.array(.bigint)),
                                  .array(.map(key: .string, value: .string))])
    }

    @Test func aSetOfMapsIsRefused() throws {
        let session = CellSession(environment: [:], output: { _ in })
        #expect {
            try session.run(script: Self.ddl + "CREATE VIEW v AS SELECT collect_set(tags) FROM tx;")
            _ = try session.prepare(start: "START v OUTPUT MODE update")
        } throws: { "\($0)".contains("maps cannot be compared") }
    }
}

/// collect_list / collect_set through SQL over a stream file, run as a streaming query (the
/// fused scan pre-aggregates per thread and merges), in two appends: each group's elements,
/// sorted (a list's order across threads is as unspecified as Spark's), equal the reference.
@Suite struct CollectAggregateQueryTests {
    @Test func aStreamingQueryCollectsEveryGroupsValues() throws {
        let path = NSTemporaryDirectory() + "cells-collect-q-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var random = CellsRandom(seed: 5)
        var rows: [(brand: String, user: String?, amount: Int)] = []
        func lines(_ n: Int) -> String {
            (0..<n).map { _ in
                let brand = ["visa", "elo", "amex"][Int.random(in: 0..<3, using: &random)]
                let user: String? = Int.random(in: 0..<8, using: &random) == 0 ? nil : "u\(Int.random(in: 0..<25, using: &random))"
                let amount = Int.random(in: -5...5, using: &random)
                rows.append((brand, user, amount))
                return #"{"brand":"\#(brand)","user":\#(user.map { "\"\($0)\"" } ?? "null"),"amount":\#(amount)}"# + "\n"
            }.joined()
        }
        try lines(20_000).write(toFile: path, atomically: true, encoding: .utf8)
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (brand STRING, user STRING, amount BIGINT);
            CREATE VIEW v AS SELECT brand, collect_list(user) AS users, collect_set(user) AS distinct_users,
              array_agg(amount) AS amounts, collect_list(DISTINCT amount) AS distinct_amounts FROM tx GROUP BY brand;
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE complete")
        defer { query.stop() }
        while try query.runBatch() != nil {}
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(lines(5_000).utf8))
        try handle.close()
        while try query.runBatch() != nil {}
        let table = try #require(session.table("v"))
        #expect(table.count == 3)
        func sorted(_ v: Value) -> [String] {
            guard case .array(let xs) = v else { return ["not an array: \(v)"] }
            return xs.map(\.description).sorted()
        }
        // SQLite as the oracle too: group_concat of each group's values and of its distinct ones.
        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE t (brand TEXT, user TEXT, amount INTEGER)")
        try oracle.insert(into: "t", columns: 3, rows: rows.map { [.text($0.brand), $0.user.map { .text($0) } ?? .null, .integer(Int64($0.amount))] })
        let fromSQLite = try oracle.query("""
            SELECT brand, group_concat(user, char(31)), group_concat(amount, char(31)),
              (SELECT group_concat(u, char(31)) FROM (SELECT DISTINCT user AS u FROM t d WHERE d.brand = t.brand AND d.user IS NOT NULL)),
              (SELECT group_concat(a, char(31)) FROM (SELECT DISTINCT amount AS a FROM t d WHERE d.brand = t.brand))
            FROM t GROUP BY brand
            """)
        #expect(fromSQLite.count == table.count)
        func split(_ v: OracleValue) -> [String] {
            guard case .text(let text) = v else { return [] }
            return text.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init).sorted()
        }
        for row in fromSQLite {
            guard case .text(let brand) = row[0], let g = (0..<table.count).first(where: { table.columns[0].value(at: $0) == .string(brand) }) else {
                Issue.record("SQLite has a group cells has not: \(row)"); continue
            }
            #expect(sorted(table.columns[1].value(at: g)) == split(row[1]), "\(brand) users vs SQLite")
            #expect(sorted(table.columns[3].value(at: g)) == split(row[2]), "\(brand) amounts vs SQLite")
            #expect(sorted(table.columns[2].value(at: g)) == split(row[3]), "\(brand) distinct users vs SQLite")
            #expect(sorted(table.columns[4].value(at: g)) == split(row[4]), "\(brand) distinct amounts vs SQLite")
        }
        for g in 0..<table.count {
            guard case .string(let brand) = table.columns[0].value(at: g) else { Issue.record("brand"); continue }
            let mine = rows.filter { $0.brand == brand }
            #expect(sorted(table.columns[1].value(at: g)) == mine.compactMap(\.user).sorted(), "\(brand) users")
            #expect(sorted(table.columns[2].value(at: g)) == Array(Set(mine.compactMap(\.user))).sorted(), "\(brand) distinct users")
            #expect(sorted(table.columns[3].value(at: g)) == mine.map { "\($0.amount)" }.sorted(), "\(brand) amounts")
            #expect(sorted(table.columns[4].value(at: g)) == Array(Set(mine.map { "\($0.amount)" })).sorted(), "\(brand) distinct amounts")
        }
    }
}
