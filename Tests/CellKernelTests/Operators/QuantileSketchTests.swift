@testable import CellKernel
import Foundation
import Testing

/// percentile_approx's sketch against exact percentiles of the same values.
@Suite struct QuantileSketchTests {
    /// Rank of `value` among sorted distinct `values`, 1-based.
    static func rank(of key: UInt64, in sorted: [UInt64]) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi { let mid = (lo + hi) / 2; if sorted[mid] < key { lo = mid + 1 } else { hi = mid } }
        return lo + 1
    }

    static let percentages = [0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0]

    /// Checks every percentage: the answer's exact rank is within relativeError * n of
    /// ceil(p * n), the sketch certifies no more than that, and it keeps at most
    /// 4 / relativeError samples plus its buffer (2 / relativeError for one stream; merged
    /// samples carry rank uncertainty, so fewer can go: ~3 / relativeError measured).
    static func check(_ sketch: QuantileSketch, sorted: [UInt64], _ label: String) {
        let n = sorted.count
        let bound = Int((sketch.relativeError * Double(n)).rounded(.up))
        #expect(sketch.count == Int64(n))
        #expect(sketch.certifiedError <= Int64(bound), "\(label): certified \(sketch.certifiedError) > \(bound)")
        #expect(sketch.keys.count <= Int(4 / sketch.relativeError) + 2, "\(label): \(sketch.keys.count) samples")
        for p in percentages {
            guard let key = sketch.quantile(p) else { Issue.record("\(label): no answer"); continue }
            let want = min(n, max(1, Int((p * Double(n)).rounded(.up))))
            let got = rank(of: key, in: sorted)
            #expect(abs(got - want) <= bound, "\(label) p=\(p): rank \(got), exact \(want), bound \(bound)")
        }
    }

    /// 1M distinct doubles in random order, default accuracy (10000: error 100 ranks), fed in
    /// one sketch and as 16 partial sketches merged (as a fused scan's threads do), and
    /// accuracy 100 (error 10000 ranks): within the bound, and the memory stays bounded.
    @Test(arguments: [10_000.0, 100.0])
    func millionValuesWithinTheRankBound(accuracy: Double) {
        var random = SystemRandomNumberGenerator()
        let n = 1_000_000
        var values = (0..<n).map { Double($0) * 0.37 - 123_456.0 }
        values.shuffle(using: &random)
        let keys = values.map(QuantileSketch.key)
        let sorted = keys.sorted()
        let error = 1 / accuracy

        var whole = QuantileSketch(relativeError: error)
        for k in keys { whole.add(k) }
        Self.check(whole, sorted: sorted, "one sketch, accuracy \(accuracy)")

        var merged = QuantileSketch(relativeError: error)
        let parts = 16
        for part in 0..<parts {
            var partial = QuantileSketch(relativeError: error)
            for k in keys[(part * n / parts)..<((part + 1) * n / parts)] { partial.add(k) }
            merged.merge(partial)
        }
        Self.check(merged, sorted: sorted, "16 merged partials, accuracy \(accuracy)")

        // Merging in many small pieces (many micro-batches, many threads) keeps the bound too.
        var pieces = QuantileSketch(relativeError: error)
        var start = 0, size = 1
        while start < n {
            var partial = QuantileSketch(relativeError: error)
            for k in keys[start..<min(n, start + size)] { partial.add(k) }
            pieces.merge(partial)
            start += size
            size = size * 3 % 20_011 + 1
        }
        Self.check(pieces, sorted: sorted, "uneven merged pieces, accuracy \(accuracy)")
    }

    /// Small inputs are exact: Spark's percentile of the rank ceil(p * n).
    @Test func smallInputsAreExact() {
        var s = QuantileSketch(relativeError: 1e-4)
        for x in [5, 1, 4, 2, 3] as [Int64] { s.add(QuantileSketch.key(x)) }
        let answers = [0.0, 0.2, 0.21, 0.5, 0.8, 1.0].map { s.quantile($0).map(QuantileSketch.integer) }
        #expect(answers == [1, 1, 2, 3, 4, 5])
        #expect(QuantileSketch(relativeError: 0.01).quantile(0.5) == nil)
    }

    /// The keys order as Spark orders values: Int64 extremes, -Infinity < -0.0 = 0.0 < NaN.
    @Test func keysPreserveOrder() {
        let ints: [Int64] = [.min, -1, 0, 1, .max]
        #expect(ints.map(QuantileSketch.key) == ints.map(QuantileSketch.key).sorted())
        #expect(ints.map { QuantileSketch.integer(QuantileSketch.key($0)) } == ints)
        let doubles: [Double] = [-.infinity, -1e308, -1, -.leastNonzeroMagnitude, 0, .leastNonzeroMagnitude, 1, 1e308, .infinity, .nan]
        let keys = doubles.map(QuantileSketch.key)
        #expect(keys == keys.sorted() && Set(keys).count == keys.count)
        #expect(QuantileSketch.key(-0.0) == QuantileSketch.key(0.0))
        #expect(doubles.dropLast().map { QuantileSketch.double(QuantileSketch.key($0)) } == Array(doubles.dropLast()))
        #expect(QuantileSketch.double(QuantileSketch.key(.nan)).isNaN)
    }

    /// A snapshot holds the sketch exactly, and damaged ranks are refused.
    @Test func snapshotsRoundTripAndRefuseNonsense() throws {
        var s = QuantileSketch(relativeError: 0.01)
        for i in 0..<50_000 { s.add(QuantileSketch.key(Int64((i * 7919) % 50_000))) }
        var out = SnapshotWriter()
        s.write(to: &out)
        var reader = SnapshotReader(out.bytes)
        let back = try QuantileSketch.read(from: &reader, relativeError: 0.01)
        #expect(back == s)
        var bad = out.bytes
        // The first sample's rmin (after the count and the key) set to 0.
        for i in 16..<24 { bad[i] = 0 }
        var badReader = SnapshotReader(bad)
        #expect(throws: SnapshotError.self) { try QuantileSketch.read(from: &badReader, relativeError: 0.01) }
    }
}

extension QuantileSketchTests {
    /// The state-memory estimate counts the sketches, so the state memory limit sees them.
    @Test func stateMemoryEstimateCountsSketches() {
        let schema = Schema([.init(name: "k", type: .bigint), .init(name: "v", type: .bigint)])
        var k = Column(type: .bigint), v = Column(type: .bigint)
        for i in 0..<100_000 { k.append(.int(0)); v.append(.int(Int64(i))) }
        var agg = HashAggregation(keys: [.column(0, .bigint)],
                                  aggregates: [AggregateSpec(.percentileApprox, .column(1, .bigint), parameters: [0.5, 10_000])])
        let before = agg.estimatedStateBytes
        agg.add(Batch(schema: schema, columns: [k, v]))
        // ~20k samples of 24 bytes at least once 100k values are summarized with error 1e-4.
        #expect(agg.estimatedStateBytes - before > 100_000, "\(agg.estimatedStateBytes - before)")
        // The median of 0..<100000 is rank 50000, the value 49999, within 1e-4 * 100000 ranks.
        guard case .int(let median)? = agg.allGroups()[1].values.first else { Issue.record("no median"); return }
        #expect(abs(median - 49_999) <= 10, "\(median)")
    }
}
