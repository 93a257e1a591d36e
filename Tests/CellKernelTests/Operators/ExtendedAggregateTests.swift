@testable import CellKernel
import Foundation
import Testing

/// The statistical, boolean, first/last, min_by/max_by and DISTINCT-sum aggregates, driven
/// through HashAggregation directly (batches in order, partials merged as a fused scan's
/// threads are) and checked against straightforward Swift references.
@Suite struct ExtendedAggregateTests {
    static let schema = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: .double)])

    static func batch(_ keys: [Int64], _ values: [Double?]) -> Batch {
        var k = Column(type: .bigint), v = Column(type: .double)
        for (key, value) in zip(keys, values) {
            k.append(.int(key))
            if let value { v.append(value) } else { v.appendNull() }
        }
        return Batch(schema: schema, columns: [k, v])
    }

    static func aggregation(_ functions: [AggregateFunction]) -> HashAggregation {
        HashAggregation(keys: [.column(0, .bigint)], aggregates: functions.map { AggregateSpec($0, .column(1, .double)) })
    }

    /// Two-pass variance: the reference Welford/Chan must agree with.
    static func reference(_ xs: [Double]) -> (pop: Double?, samp: Double?) {
        guard !xs.isEmpty else { return (nil, nil) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let m2 = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (m2 / Double(xs.count), xs.count > 1 ? m2 / Double(xs.count - 1) : nil)
    }

    static func doubles(_ c: Column) -> [Double?] {
        c.values.map { if case .double(let d) = $0 { d } else { nil } }
    }

    /// 200k values near 1e9 with a spread of ~1 (where a sum of squares, Σx² - (Σx)²/n with
    /// Σx² ≈ 5e22, loses every digit: its rounding alone is ~1e7), in 4 groups, fed in one
    /// piece and as 7 merged partials: both within 1e-6 (relative) of two-pass.
    @Test func varianceIsNumericallyStableAndMerges() throws {
        var random = SystemRandomNumberGenerator()
        let n = 200_000
        let keys = (0..<n).map { Int64($0 % 4) }
        let values = (0..<n).map { _ in 1e9 + Double.random(in: -1...1, using: &random) }
        let functions: [AggregateFunction] = [.varPop, .varSamp, .stddevPop, .stddevSamp]
        var whole = Self.aggregation(functions)
        whole.add(Self.batch(keys, values))
        var merged = Self.aggregation(functions)
        let cuts = [0, 1, 17, 30_000, 100_000, 100_001, 150_000, n]
        for (a, b) in zip(cuts, cuts.dropFirst()) {
            var partial = Self.aggregation(functions)
            partial.add(Self.batch(Array(keys[a..<b]), Array(values[a..<b])))
            merged.merge(partial)
        }
        for result in [whole.allGroups(), merged.allGroups()] {
            for (g, key) in result[0].values.enumerated() {
                guard case .int(let k) = key else { Issue.record("key \(key)"); continue }
                let xs = zip(keys, values).filter { $0.0 == k }.map(\.1)
                let (pop, samp) = Self.reference(xs)
                let got = (1...4).map { Self.doubles(result[$0])[g]! }
                for (value, want) in zip(got, [pop!, samp!, pop!.squareRoot(), samp!.squareRoot()]) {
                    #expect(abs(value - want) <= 1e-6 * want, "group \(k): \(value) vs two-pass \(want)")
                }
                #expect(want(got[0], near: 1.0 / 3.0, within: 0.01), "uniform on [-1, 1] has variance 1/3")
            }
        }
    }

    func want(_ x: Double, near y: Double, within: Double) -> Bool { abs(x - y) <= within }

    /// Spark 3.5: no rows NULL everywhere; one row: population 0, sample NULL; NULLs skipped.
    @Test func varianceOfFewRows() throws {
        var agg = Self.aggregation([.varPop, .varSamp, .stddevPop, .stddevSamp])
        agg.add(Self.batch([1, 2, 2, 3], [5, 7, nil, nil]))
        let r = agg.allGroups()
        #expect(Self.doubles(r[1]) == [0, 0, nil])
        #expect(Self.doubles(r[2]) == [nil, nil, nil])
        #expect(Self.doubles(r[3]) == [0, 0, nil])
        #expect(Self.doubles(r[4]) == [nil, nil, nil])
    }

    /// Past the double range: sum and avg are +Infinity as in Spark (the compensated sum used
    /// to turn that into NaN); the variance's Welford terms become NaN, as Spark's do.
    @Test func extremeDoubles() throws {
        var agg = HashAggregation(keys: [.column(0, .bigint)], aggregates: [
            AggregateSpec(.sum, .column(1, .double)), AggregateSpec(.avg, .column(1, .double)),
            AggregateSpec(.varPop, .column(1, .double)), AggregateSpec(.sumDistinct, .column(1, .double)),
        ])
        agg.add(Self.batch([1, 1, 2, 2], [1e308, 1e308, 1e308, -1e308]))
        let r = agg.allGroups()
        #expect(Self.doubles(r[1]) == [.infinity, 0])
        #expect(Self.doubles(r[2]) == [.infinity, 0])
        let variance = Self.doubles(r[3])
        #expect(variance[0] == 0, "two equal values: no spread")
        #expect(variance[1]?.isNaN == true, "1e308 - (-1e308) overflows, as in Spark's CentralMomentAgg")
        #expect(Self.doubles(r[4]) == [1e308, 0])
    }

    /// sum(DISTINCT) of bigints wraps on overflow as Spark's non-ANSI sum; avg(DISTINCT) is a
    /// double; duplicates count once across batches and partials.
    @Test func distinctSumsOfInt64Extremes() throws {
        let s = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: .bigint)])
        func rows(_ v: [Int64?]) -> Batch {
            var k = Column(type: .bigint), c = Column(type: .bigint)
            for x in v { k.append(.int(0)); if let x { c.append(.int(x)) } else { c.appendNull() } }
            return Batch(schema: s, columns: [k, c])
        }
        func make() -> HashAggregation {
            HashAggregation(keys: [.column(0, .bigint)], aggregates: [AggregateSpec(.sumDistinct, .column(1, .bigint)),
                                                                     AggregateSpec(.avgDistinct, .column(1, .bigint))])
        }
        var agg = make()
        agg.add(rows([.max, 1, nil, 1]))
        var partial = make()
        partial.add(rows([.max, 2, .min]))
        agg.merge(partial)
        let r = agg.allGroups()
        // Int64.max + 1 + 2 + Int64.min wraps to 2.
        #expect(r[1].values == [.int(2)])
        // Each value becomes a double first, as in Spark's Average: Int64.max is 2^63 then, and
        // the compensated sum of 2^63, 1, 2, -2^63 is exactly 3.
        #expect(Self.doubles(r[2]) == [0.75])
    }

    /// first/last in arrival order (later batches and later partials arrive later), NULLs
    /// respected or ignored; min_by/max_by skip NULL orderings and keep the first of ties.
    @Test func firstLastAndMinByFollowArrivalOrder() throws {
        let s = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: .string), .init(name: "o", type: .bigint)])
        func rows(_ r: [(Int64, String?, Int64?)]) -> Batch {
            var k = Column(type: .bigint), v = Column(type: .string), o = Column(type: .bigint)
            for (a, b, c) in r {
                k.append(.int(a))
                if let b { v.append(.string(b)) } else { v.appendNull() }
                if let c { o.append(.int(c)) } else { o.appendNull() }
            }
            return Batch(schema: s, columns: [k, v, o])
        }
        func make() -> HashAggregation {
            let v = BoundExpression.column(1, .string), o = BoundExpression.column(2, .bigint)
            return HashAggregation(keys: [.column(0, .bigint)], aggregates: [
                AggregateSpec(.first, v), AggregateSpec(.firstIgnoreNulls, v), AggregateSpec(.last, v), AggregateSpec(.lastIgnoreNulls, v),
                AggregateSpec(.minBy, v, ordering: o), AggregateSpec(.maxBy, v, ordering: o),
            ])
        }
        var agg = make()
        agg.add(rows([(1, nil, nil), (1, "a", 5), (2, "only", nil)]))
        var p1 = make(), p2 = make()
        p1.add(rows([(1, "b", 1), (1, "tie", 1)]))
        p2.add(rows([(1, "c", 9), (1, nil, 9), (1, "z", nil)]))
        agg.merge(p1)
        agg.merge(p2)
        let r = agg.allGroups()
        func texts(_ c: Column) -> [String?] { c.values.map { if case .string(let t) = $0 { t } else { nil } } }
        #expect(texts(r[1]) == [nil, "only"])
        #expect(texts(r[2]) == ["a", "only"])
        #expect(texts(r[3]) == ["z", "only"])
        #expect(texts(r[4]) == ["z", "only"])
        #expect(texts(r[5]) == ["b", nil], "least ordering 1, first of the tie; group 2 has no ordering")
        #expect(texts(r[6]) == ["c", nil], "greatest ordering 9, first of the tie")

        // The same state through a snapshot: equal bytes, equal rows.
        let snapshot = agg.snapshot()
        let restored = try HashAggregation(restoring: snapshot, keys: agg.keys, aggregates: agg.aggregates)
        #expect(restored.snapshot().groupState == snapshot.groupState)
        #expect(restored.allGroups().map(\.values) == r.map(\.values))
    }

    // MARK: SQL surface

    static let emptyFile: String = {
        let path = NSTemporaryDirectory() + "cells-aggs-\(UUID().uuidString).jsonl"
        FileManager.default.createFile(atPath: path, contents: Data())
        return path
    }()

    static let ddl = """
        CREATE SOURCE f USING file OPTIONS ('path' = '\(emptyFile)');
        CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP, brand STRING, user STRING, amount DOUBLE, ok BOOLEAN)
          WATERMARK event_time DELAY '1 minute';
        """

    func names(_ select: String) throws -> [String] {
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: Self.ddl + "CREATE VIEW v AS " + select + ";")
        return try session.prepare(start: "START v OUTPUT MODE update").plan.schema.fields.map(\.name)
    }

    /// Spark's names for unaliased aggregates: the function as called, its arguments' SQL.
    @Test func resultColumnsAreNamedAsSpark() throws {
        #expect(try names("SELECT brand, stddev(amount), std(amount), stddev_samp(amount), var_pop(amount), variance(amount) FROM tx GROUP BY brand")
            == ["brand", "stddev(amount)", "std(amount)", "stddev_samp(amount)", "var_pop(amount)", "variance(amount)"])
        #expect(try names("SELECT brand, first(user), last_value(user), min_by(user, amount), max_by(user, amount), every(ok), any(ok), some(ok), bool_or(ok), sum(DISTINCT amount) FROM tx GROUP BY brand")
            == ["brand", "first(user)", "last_value(user)", "min_by(user, amount)", "max_by(user, amount)", "every(ok)", "any(ok)", "some(ok)", "bool_or(ok)", "sum(DISTINCT amount)"])
        #expect(try names("SELECT DISTINCT brand, user FROM tx") == ["brand", "user"])
        #expect(try names("SELECT percentile_approx(amount, 0.5), approx_percentile(amount, 0.25, 100), percentile_approx(amount, 0.9) AS p FROM tx")
            == ["percentile_approx(amount, 0.5, 10000)", "approx_percentile(amount, 0.25, 100)", "p"])
        #expect(try names("SELECT brand, first(user, true), last_value(user, false), count_if(amount > 50), avg(DISTINCT amount) FROM tx GROUP BY brand")
            == ["brand", "first(user)", "last_value(user)", "count_if((amount > 50))", "avg(DISTINCT amount)"])
    }

    func error(_ select: String) -> String {
        let session = CellSession(environment: [:], output: { _ in })
        do {
            try session.run(script: Self.ddl + "CREATE VIEW v AS " + select + ";")
            _ = try session.prepare(start: "START v OUTPUT MODE update")
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// SELECT DISTINCT follows GROUP BY's output-mode rules: append only with a window under
    /// the watermark among its items.
    @Test func selectDistinctOutputModes() throws {
        func start(_ select: String, _ mode: String) -> String {
            let session = CellSession(environment: [:], output: { _ in })
            do {
                try session.run(script: Self.ddl + "CREATE VIEW v AS " + select + ";")
                _ = try session.prepare(start: "START v OUTPUT MODE \(mode)")
                return "started"
            } catch {
                return "\(error)"
            }
        }
        #expect(start("SELECT DISTINCT window(event_time, '1 minute'), brand FROM tx", "append") == "started")
        #expect(start("SELECT DISTINCT brand FROM tx", "update") == "started")
        #expect(start("SELECT DISTINCT brand FROM tx", "complete") == "started")
        #expect(start("SELECT DISTINCT brand FROM tx", "append") != "started")
    }

    @Test func misusesAreClearErrors() {
        #expect(error("SELECT brand, stddev(DISTINCT amount) FROM tx GROUP BY brand").contains("stddev(DISTINCT ...) is not supported"))
        #expect(error("SELECT brand, count_if(amount) FROM tx GROUP BY brand").contains("count_if() needs a boolean"))
        #expect(error("SELECT brand, min_by(user) FROM tx GROUP BY brand").contains("min_by() takes two arguments"))
        #expect(error("SELECT brand, first(user, 'yes') FROM tx GROUP BY brand").contains("must be true or false"))
        #expect(error("SELECT brand, variance(user, 1) FROM tx GROUP BY brand").contains("takes one argument"))
        #expect(error("SELECT DISTINCT brand, count(*) FROM tx GROUP BY brand").contains("SELECT DISTINCT with GROUP BY"))
        #expect(error("SELECT percentile_approx(amount, 1.5) FROM tx").contains("between 0.0 and 1.0"))
        #expect(error("SELECT percentile_approx(amount, 0.5, 0) FROM tx").contains("positive integer literal"))
        #expect(error("SELECT percentile_approx(amount, array(0.5, 0.9)) FROM tx").contains("array of percentages is not supported"))
        #expect(error("SELECT percentile_approx(ok, 0.5) FROM tx").contains("needs numbers"))
        let hint = error("SELECT brand, user, count(*) FROM tx GROUP BY brand")
        #expect(hint.contains("first(user) or max(user)"), "\(hint)")
    }
}
