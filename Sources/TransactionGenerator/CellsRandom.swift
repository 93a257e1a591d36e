/// A small, fast, deterministic pseudo-random generator (xoshiro256\*\*, seeded through splitmix64).
///
/// The standard library's generators are either nondeterministic or unspecified across releases;
/// reproducible runs (`--seed`) need an algorithm whose output is fixed by its definition, so the
/// same seed yields the same sequence on every platform and toolchain.
public struct CellsRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates a generator whose whole output is determined by `seed`.
    ///
    /// splitmix64 spreads the seed over the 256-bit state, so small or similar seeds (0, 1, 2 …)
    /// still give unrelated streams and the forbidden all-zero state cannot occur in practice.
    public init(seed: UInt64) {
        var mixer = SplitMix64(state: seed)
        s0 = mixer.next()
        s1 = mixer.next()
        s2 = mixer.next()
        s3 = mixer.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 0x9E37_79B9_7F4A_7C15 }
    }

    /// Creates a generator seeded from the operating system's entropy source, for unseeded runs.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    /// Returns the next 64 uniformly distributed bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = (s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3.rotatedLeft(by: 45)
        return result
    }
}

/// The splitmix64 mixer: used to expand seeds and to derive independent sub-stream seeds.
struct SplitMix64 {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedLeft(by k: UInt64) -> UInt64 { (self << k) | (self >> (64 &- k)) }
}

// Samplers are written here rather than borrowed from `Int.random(in:using:)` because the
// standard library does not promise its mapping from bits to values stays the same across
// releases, and reproducibility under a seed is a feature.
extension CellsRandom {
    /// Uniform integer in `0..<bound` (Lemire's multiply-shift with rejection: exact, and
    /// usually a single multiplication).
    @inline(__always)
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "empty range")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// Uniform index into a collection of `count` elements.
    @inline(__always)
    mutating func index(_ count: Int) -> Int {
        Int(truncatingIfNeeded: below(UInt64(count)))
    }

    /// Uniform integer in `range`, including ranges spanning all of `Int`.
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(bitPattern: Int64(range.upperBound &- range.lowerBound)) &+ 1
        let offset = span == 0 ? next() : below(span)
        return range.lowerBound &+ Int(truncatingIfNeeded: offset)
    }

    /// Uniform double in `[0, 1)` with 53 random bits.
    @inline(__always)
    mutating func unit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Standard normal deviate (Box–Muller; one of the pair is discarded to keep the generator
    /// state a plain value without a cached spare).
    @inline(__always)
    mutating func standardNormal() -> Double {
        let u1 = 1.0 - unit()  // (0, 1]: keeps the logarithm finite
        let u2 = unit()
        return (-2.0 * CMath.ln(u1)).squareRoot() * CMath.cosine(2.0 * Double.pi * u2)
    }

    /// Exponential deviate with the given mean (inverse transform).
    @inline(__always)
    mutating func exponential(mean: Double) -> Double {
        -mean * CMath.ln(1.0 - unit())
    }

    /// Shuffles in place with Fisher–Yates; own implementation for the same reproducibility
    /// reason as the samplers above.
    mutating func shuffle<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
        guard buffer.count > 1 else { return }
        var i = buffer.count - 1
        while i > 0 {
            buffer.swapAt(i, index(i + 1))
            i -= 1
        }
    }
}
