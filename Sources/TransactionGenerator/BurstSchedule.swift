/// The sequence of burst sizes and pauses a producer follows under a ``BurstCadence``.
///
/// It draws from its own random stream, separate from the messages', so a seeded run reproduces
/// both its messages and its timing, and changing the cadence does not change the messages.
public struct BurstSchedule: Sendable {
    private let cadence: BurstCadence
    private var random: CellsRandom

    /// - Parameters:
    ///   - cadence: the ranges to draw from.
    ///   - seed: makes the schedule reproducible; `nil` seeds from system entropy.
    public init(cadence: BurstCadence, seed: UInt64?) {
        self.cadence = cadence
        // A fixed salt keeps the schedule's stream distinct from a generator given the same seed.
        self.random = seed.map { CellsRandom(seed: $0 ^ 0x6275_7273_7473_6368) } ?? CellsRandom()
    }

    /// Size of the next burst, drawn anew for every burst.
    public mutating func nextBurstSize() -> Int {
        random.integer(in: cadence.burst)
    }

    /// Seconds to wait after the current burst.
    public mutating func nextPauseSeconds() -> Int {
        random.integer(in: cadence.pause)
    }
}
