/// Constant-time weighted sampling (Vose's alias method), with a payload stored beside each
/// outcome.
///
/// The extended schema picks a card out of 100,000 and a merchant out of 2,000 for every message.
/// A cumulative-weights binary search would cost ~17 dependent cache misses; an alias table costs
/// one, and keeping the outcome's data (the card itself) in the same record as its column means
/// that miss also fetches the card. When the draw goes to the alias instead, the alias is a heavy,
/// popular outcome (that is what fills the column), so its record is usually already cached.
struct AliasTable<Payload: Sendable>: Sendable {
    /// Acceptance threshold (probability scaled to 2^32), the alternative outcome, and the data of
    /// this column's own outcome.
    struct Column: Sendable {
        var threshold: UInt32
        var alias: UInt32
        var payload: Payload
    }

    private let columns: [Column]

    var count: Int { columns.count }

    /// Builds the table; weights need not be normalised but must be finite, non-negative and not
    /// all zero. `payloads[i]` belongs to outcome `i`.
    init(weights: [Double], payloads: [Payload]) {
        let n = weights.count
        precondition(n > 0 && n <= Int(UInt32.max), "alias table needs 1...2^32-1 weights")
        precondition(payloads.count == n, "one payload per weight")
        let total = weights.reduce(0, +)
        precondition(total > 0 && total.isFinite, "alias table weights must have a positive sum")

        let scale = Double(n) / total
        // Unsafe buffers: the set-up runs 100,000 iterations per generator, and unoptimised
        // (debug) builds of the tests would otherwise spend most of their time here.
        var scaled = weights
        var aliases = [(threshold: UInt32, alias: UInt32)](repeating: (.max, 0), count: n)
        var worklists = [UInt32](repeating: 0, count: n)
        scaled.withUnsafeMutableBufferPointer { scaled in
            aliases.withUnsafeMutableBufferPointer { aliases in
                worklists.withUnsafeMutableBufferPointer { worklists in
                    // Under-full columns stack up from the front, over-full ones from the back.
                    var smallCount = 0
                    var largeStart = n
                    for i in 0..<n {
                        precondition(scaled[i] >= 0, "alias table weights must be non-negative")
                        scaled[i] *= scale
                        if scaled[i] < 1 {
                            worklists[smallCount] = UInt32(i)
                            smallCount += 1
                        } else {
                            largeStart -= 1
                            worklists[largeStart] = UInt32(i)
                        }
                    }
                    while smallCount > 0 && largeStart < n {
                        smallCount -= 1
                        let s = Int(worklists[smallCount])
                        let l = Int(worklists[largeStart])
                        aliases[s] = (Self.threshold(scaled[s]), UInt32(l))
                        scaled[l] = (scaled[l] + scaled[s]) - 1
                        if scaled[l] < 1 {
                            // Moves to the small stack. Both stacks together never hold more
                            // than n entries, so sharing one buffer they cannot collide.
                            largeStart += 1
                            worklists[smallCount] = UInt32(l)
                            smallCount += 1
                        }
                    }
                    // Whatever is left is full up to rounding error: it always keeps its own outcome.
                    for k in 0..<smallCount {
                        let i = worklists[k]
                        aliases[Int(i)] = (.max, i)
                    }
                    for k in largeStart..<n {
                        let i = worklists[k]
                        aliases[Int(i)] = (.max, i)
                    }
                }
            }
        }
        columns = [Column](unsafeUninitializedCapacity: n) { buffer, initialized in
            aliases.withUnsafeBufferPointer { aliases in
                payloads.withUnsafeBufferPointer { payloads in
                    for i in 0..<n {
                        buffer.initializeElement(at: i, to: Column(threshold: aliases[i].threshold,
                                                                   alias: aliases[i].alias, payload: payloads[i]))
                    }
                }
            }
            initialized = n
        }
    }

    private static func threshold(_ p: Double) -> UInt32 {
        if p <= 0 { return 0 }
        return UInt32(min(p * 4_294_967_296.0, 4_294_967_295.0))
    }

    /// Maps 64 random bits to an outcome: the high half of `bits × n` picks the column and the
    /// fraction left over decides between the column and its alias, so one draw is enough.
    @inline(__always)
    func sampleIndex(_ bits: UInt64) -> Int {
        let product = bits.multipliedFullWidth(by: UInt64(columns.count))
        let column = Int(truncatingIfNeeded: product.high)
        let entry = columns[column]
        let fraction = UInt32(truncatingIfNeeded: product.low >> 32)
        return fraction < entry.threshold ? column : Int(entry.alias)
    }

    /// The payload of the outcome `bits` selects (see `sampleIndex`). The entry was just read
    /// by `sampleIndex`, so reading it again costs no second cache miss.
    @inline(__always)
    func sample(_ bits: UInt64) -> Payload {
        columns[sampleIndex(bits)].payload
    }

    /// The payload of outcome `i`.
    func payload(at i: Int) -> Payload { columns[i].payload }
}

extension AliasTable where Payload == Void {
    /// A table whose outcomes are just their indices (`sampleIndex`).
    init(weights: [Double]) {
        self.init(weights: weights, payloads: Array(repeating: (), count: weights.count))
    }
}
