/// Produces two related streams for stream-stream joins: card authorizations, and for each
/// one its settlement a realistic delay later, as a card processor sees them.
///
/// Per authorization (`auth_id`, `card_number`, `amount`, `merchant`, `event_time`) the
/// settlement (`auth_id`, `settled_amount`, `event_time`) is one of:
/// - on time (95 %): after a lognormal delay (median 20 s, sigma 1.0, kept within 1 s ...
///   9 min), inside a 10-minute join window;
/// - late (2 %): 10 to 30 minutes after the authorization, beyond the window;
/// - missing (3 %): never sent.
/// Settlements are sent when the clock reaches their event time, so the settlement stream is
/// in event-time order and an authorization's settlement follows it. Most settle the
/// authorized amount; one in ten settles up to 15 % more or less (tips, partial captures).
///
/// With a seed the messages depend only on the seed and the clock readings passed in. A fate
/// comes from its own random stream, so the shares do not depend on the records' contents.
public struct SettlementGenerator: Sendable {
    /// What a settlement does.
    public enum Fate: Sendable, Equatable { case onTime, late, missing }

    /// Which stream a message belongs to.
    public enum Stream: Sendable, Equatable { case authorization, settlement }

    /// Shares of the fates, and the join window they are meant for.
    public struct Shares: Sendable, Equatable {
        public var late: Double
        public var missing: Double
        public init(late: Double = 0.02, missing: Double = 0.03) {
            self.late = late
            self.missing = missing
        }
    }

    /// The window an on-time settlement falls in: 10 minutes after its authorization.
    public static let windowMillis: Int64 = 600_000
    static let medianDelayMillis = 20_000.0
    static let delaySigma = 1.0
    static let shortestDelayMillis: Int64 = 1_000
    static let longestOnTimeMillis: Int64 = 540_000
    static let latestLateMillis: Int64 = 1_800_000

    public let shares: Shares
    private let pools: ExtendedPools
    private var random: CellsRandom
    private var fateRandom: CellsRandom
    private var gapRandom: CellsRandom
    /// Settlements waiting for their time, a binary min-heap by due time (then auth id, so the
    /// order is the same on every run).
    private var pending: [Pending] = []

    struct Pending: Sendable {
        var dueMillis: Int64
        var authID: UInt64
        var cents: UInt64
    }

    /// The settlements scheduled but not sent yet.
    public var pendingCount: Int { pending.count }

    /// Counts of what was generated, for the producer's summary and for tests.
    public private(set) var authorizations = 0
    public private(set) var fates: [Fate: Int] = [:]

    public init(seed: UInt64?, shares: Shares = Shares()) {
        var system = SystemRandomNumberGenerator()
        var streams = SplitMix64(state: seed ?? system.next())
        var poolRandom = CellsRandom(seed: streams.next())
        random = CellsRandom(seed: streams.next())
        fateRandom = CellsRandom(seed: streams.next())
        gapRandom = CellsRandom(seed: streams.next())
        pools = ExtendedPools(random: &poolRandom)
        self.shares = shares
        precondition(maxRecordLength <= Self.scratchCapacity, "record bound exceeds the scratch buffer")
    }

    static let scratchCapacity = 512

    /// Upper bound on the length of one message, for sizing the scratch buffer.
    var maxRecordLength: Int {
        let fixed = #"{"auth_id":"","card_number":"","amount":,"merchant":"","event_time":""}"#
        return fixed.utf8.count + 18 + 16 + 24 + pools.maxPooledTextLength + 24 + 20
    }

    /// Clears `key` and `value` and writes the next message at `nowMillis` (Unix ms): a
    /// settlement whose time has come, else a new authorization at `nowMillis`. The key is the
    /// auth id on both streams, so an authorization and its settlement share a partition.
    public mutating func next(nowMillis: Int64, key: inout [UInt8], value: inout [UInt8]) -> Stream {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchCapacity) { scratch in
            var w = ByteWriter(scratch)
            let stream: Stream
            let keyRange: Range<Int>
            if let first = pending.first, first.dueMillis <= nowMillis {
                popFirst()
                w.text(#"{"auth_id":""#)
                keyRange = writeID(first.authID, into: &w)
                w.text(#"","settled_amount":"#)
                w.amount(cents: first.cents)
                w.text(#","event_time":""#)
                w.iso8601(CivilDateTime(millis: first.dueMillis))
                w.text(#""}"#)
                stream = .settlement
            } else {
                let id = random.next()
                let card = pools.cards.sample(random.next())
                let merchant = pools.merchants.sample(random.next())
                let cents = ExtendedRecordWriter.amountCents(random: &random)
                w.text(#"{"auth_id":""#)
                keyRange = writeID(id, into: &w)
                w.text(#"","card_number":""#)
                w.word(card.digitsHigh)
                w.word(card.digitsLow)
                w.text(#"","amount":"#)
                w.amount(cents: cents)
                w.text(#","merchant":""#)
                pools.merchantNames.write(Int(merchant.index), into: &w)
                w.text(#"","event_time":""#)
                w.iso8601(CivilDateTime(millis: nowMillis))
                w.text(#""}"#)
                authorizations += 1
                schedule(id: id, cents: cents, at: nowMillis)
                stream = .authorization
            }
            value.replaceSubrange(value.indices, with: w.written)
            key.replaceSubrange(key.indices, with: UnsafeBufferPointer(rebasing: w.written[keyRange]))
            return stream
        }
    }

    /// The gap to the next authorization on a simulated clock: exponential, mean 20 ms.
    public mutating func nextGapMillis() -> Double {
        gapRandom.exponential(mean: ExtendedVocabulary.meanGapMillis)
    }

    /// Draws the settlement's fate, delay and amount.
    private mutating func schedule(id: UInt64, cents: UInt64, at millis: Int64) {
        let draw = fateRandom.unit()
        let fate: Fate = draw < shares.missing ? .missing : draw < shares.missing + shares.late ? .late : .onTime
        fates[fate, default: 0] += 1
        let delay: Int64
        switch fate {
        case .missing: return
        case .late:
            delay = Self.windowMillis + 1 + Int64(fateRandom.unit() * Double(Self.latestLateMillis - Self.windowMillis - 1))
        case .onTime:
            let drawn = Self.medianDelayMillis * CMath.exponential(Self.delaySigma * fateRandom.standardNormal())
            delay = min(max(Int64(drawn.rounded()), Self.shortestDelayMillis), Self.longestOnTimeMillis)
        }
        var settled = cents
        if fateRandom.unit() < 0.1 {
            let factor = 0.85 + 0.3 * fateRandom.unit()
            settled = UInt64((Double(cents) * factor).rounded())
        }
        push(Pending(dueMillis: millis &+ delay, authID: id, cents: settled))
    }

    /// `auth_id`: the id's 16 hex digits after "a-".
    private func writeID(_ id: UInt64, into w: inout ByteWriter) -> Range<Int> {
        let start = w.count
        w.byte(UInt8(ascii: "a"))
        w.byte(UInt8(ascii: "-"))
        for shift in stride(from: 60, through: 0, by: -4) {
            let nibble = UInt8((id >> UInt64(shift)) & 0xF)
            w.byte(nibble < 10 ? 48 + nibble : 87 + nibble)
        }
        return start..<w.count
    }

    // MARK: The heap

    private static func before(_ a: Pending, _ b: Pending) -> Bool {
        a.dueMillis != b.dueMillis ? a.dueMillis < b.dueMillis : a.authID < b.authID
    }

    private mutating func push(_ item: Pending) {
        pending.append(item)
        var i = pending.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard Self.before(pending[i], pending[parent]) else { break }
            pending.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func popFirst() {
        let last = pending.removeLast()
        guard !pending.isEmpty else { return }
        pending[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var smallest = i
            if l < pending.count && Self.before(pending[l], pending[smallest]) { smallest = l }
            if r < pending.count && Self.before(pending[r], pending[smallest]) { smallest = r }
            if smallest == i { return }
            pending.swapAt(i, smallest)
            i = smallest
        }
    }
}
