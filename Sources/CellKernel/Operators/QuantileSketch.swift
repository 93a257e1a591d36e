/// A mergeable quantile summary in the manner of Greenwald and Khanna: sorted samples of
/// the input, each with bounds on its rank among all values seen (`rmin...rmax`), so any
/// rank is answered within a known error; what `percentile_approx` keeps per group.
///
/// Values are order-preserving 64-bit keys (``key(_:)-swift.type.method``), so one sketch serves
/// integers, timestamps and doubles. Arriving values wait in a buffer; a full buffer is
/// sorted (an exact summary) and merged in. Merging two summaries adds their rank bounds
/// (each sample's rank among the other summary's values lies between its neighbours' ranks
/// there), so partial sketches of a batch's threads combine without loss of the guarantee;
/// compression then drops samples while every gap `rmax[i+1] - rmin[i]` stays within
/// `2 * relativeError * count`, which bounds the error of every answer by `relativeError *
/// count` ranks (Spark's relative error, 1/accuracy). The samples kept stay near
/// `2 / relativeError` for one stream and `3 / relativeError` after many merges (measured
/// over 1M values; QuantileSketchTests holds it under 4 / relativeError), whatever the count:
/// at the default accuracy about 30k samples of 24 bytes, plus an 8k-value buffer.
struct QuantileSketch: Sendable, Hashable {
    let relativeError: Double
    private(set) var keys: [UInt64] = []
    private(set) var rmin: [Int64] = []
    private(set) var rmax: [Int64] = []
    /// Values folded into the samples.
    private(set) var summarized: Int64 = 0
    private(set) var buffer: [UInt64] = []

    init(relativeError: Double) {
        self.relativeError = relativeError
    }

    /// Values seen.
    var count: Int64 { summarized + Int64(buffer.count) }

    /// Values buffered before a merge: enough to amortize it, few enough to stay small.
    var bufferLimit: Int { Swift.max(256, Swift.min(8_192, Int(1 / relativeError))) }

    @inline(__always)
    mutating func add(_ key: UInt64) {
        buffer.append(key)
        if buffer.count >= bufferLimit { flush() }
    }

    /// Folds the buffer into the samples.
    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.sort()
        var exact = QuantileSketch(relativeError: relativeError)
        exact.keys = buffer
        exact.rmin = (1...Int64(buffer.count)).map { $0 }
        exact.rmax = exact.rmin
        exact.summarized = Int64(buffer.count)
        buffer.removeAll(keepingCapacity: true)
        absorb(exact)
    }

    /// Folds `other` in (its buffer too).
    mutating func merge(_ other: QuantileSketch) {
        var other = other
        other.flush()
        flush()
        absorb(other)
    }

    private mutating func absorb(_ b: QuantileSketch) {
        guard b.summarized > 0 else { return }
        guard summarized > 0 else {
            keys = b.keys; rmin = b.rmin; rmax = b.rmax; summarized = b.summarized
            compress()
            return
        }
        let na = summarized, nb = b.summarized
        var k: [UInt64] = [], lo: [Int64] = [], hi: [Int64] = []
        let total = keys.count + b.keys.count
        k.reserveCapacity(total); lo.reserveCapacity(total); hi.reserveCapacity(total)
        var i = 0, j = 0
        // Merged order: by key, this summary's samples before the other's on equal keys.
        while i < keys.count || j < b.keys.count {
            if j == b.keys.count || i < keys.count && keys[i] <= b.keys[j] {
                // b's samples before keys[i]: j of them (b.keys[j-1] < keys[i] <= b.keys[j]).
                k.append(keys[i])
                lo.append(rmin[i] + (j > 0 ? b.rmin[j - 1] : 0))
                hi.append(rmax[i] + (j < b.keys.count ? b.rmax[j] - 1 : nb))
                i += 1
            } else {
                k.append(b.keys[j])
                lo.append(b.rmin[j] + (i > 0 ? rmin[i - 1] : 0))
                hi.append(b.rmax[j] + (i < keys.count ? rmax[i] - 1 : na))
                j += 1
            }
        }
        keys = k; rmin = lo; rmax = hi
        summarized = na + nb
        compress()
    }

    /// Drops samples while the gap around each stays within 2 * relativeError * count.
    private mutating func compress() {
        let allowed = Int64((2 * relativeError * Double(summarized)).rounded(.down))
        guard keys.count > 2, allowed > 1 else { return }
        var k = [keys[0]], lo = [rmin[0]], hi = [rmax[0]]
        for i in 1..<(keys.count - 1) where rmax[i + 1] - lo[lo.count - 1] > allowed {
            k.append(keys[i]); lo.append(rmin[i]); hi.append(rmax[i])
        }
        k.append(keys[keys.count - 1]); lo.append(rmin[rmin.count - 1]); hi.append(rmax[rmax.count - 1])
        keys = k; rmin = lo; rmax = hi
    }

    /// The key of rank ceil(p * count) (Spark's rank for percentile p), within the error
    /// bound; nil for no values.
    func quantile(_ p: Double) -> UInt64? {
        var s = self
        s.flush()
        guard s.summarized > 0 else { return nil }
        let n = s.summarized
        let rank = Swift.min(n, Swift.max(1, Int64((p * Double(n)).rounded(.up))))
        var best = 0, bestError = Int64.max
        // The samples' rank bounds rise with their index: a binary search would do, but the
        // answer is read once per group per result.
        for i in s.keys.indices {
            let error = Swift.max(rank - s.rmin[i], s.rmax[i] - rank)
            if error < bestError { best = i; bestError = error }
        }
        return s.keys[best]
    }

    /// The worst rank error of an answer, from the samples' bounds (at most relativeError *
    /// count, as compression keeps it).
    var certifiedError: Int64 {
        var s = self
        s.flush()
        var worst: Int64 = 0
        for i in s.keys.indices.dropLast() { worst = Swift.max(worst, (s.rmax[i + 1] - s.rmin[i] + 1) / 2) }
        return worst
    }

    // MARK: Keys

    /// An order-preserving key: signed integers by flipping the sign bit; doubles by their
    /// bits, negatives inverted (NaN sorts above +Infinity, as Spark orders doubles; -0.0
    /// becomes 0.0).
    static func key(_ x: Int64) -> UInt64 { UInt64(bitPattern: x) ^ (1 << 63) }
    static func integer(_ key: UInt64) -> Int64 { Int64(bitPattern: key ^ (1 << 63)) }

    static func key(_ x: Double) -> UInt64 {
        let d = x.isNaN ? Double.nan : (x == 0 ? 0 : x)
        let bits = d.bitPattern
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    static func double(_ key: UInt64) -> Double {
        Double(bitPattern: key & (1 << 63) != 0 ? key & ~(1 << 63) : ~key)
    }

    // MARK: Snapshot

    func write(to out: inout SnapshotWriter) {
        out.int(keys.count)
        for i in keys.indices { out.u64(keys[i]); out.i64(rmin[i]); out.i64(rmax[i]) }
        out.i64(summarized)
        out.int(buffer.count)
        for key in buffer { out.u64(key) }
    }

    static func read(from reader: inout SnapshotReader, relativeError: Double) throws(SnapshotError) -> QuantileSketch {
        var s = QuantileSketch(relativeError: relativeError)
        let n = try reader.count("percentile samples", unit: 24)
        for _ in 0..<n {
            s.keys.append(try reader.u64("percentile sample"))
            s.rmin.append(try reader.i64("percentile rank"))
            s.rmax.append(try reader.i64("percentile rank"))
        }
        s.summarized = try reader.i64("percentile count")
        for _ in 0..<(try reader.count("percentile buffer", unit: 8)) { s.buffer.append(try reader.u64("percentile value")) }
        // Ranks must be sane, or an answer could be read out of bounds of what was seen.
        guard s.summarized >= 0, zip(s.rmin, s.rmax).allSatisfy({ 1 <= $0 && $0 <= $1 && $1 <= s.summarized }),
              s.keys.isEmpty == (s.summarized == 0), zip(s.keys, s.keys.dropFirst()).allSatisfy({ $0 <= $1 })
        else { throw .corrupt("a percentile sketch's ranks are inconsistent") }
        return s
    }
}
