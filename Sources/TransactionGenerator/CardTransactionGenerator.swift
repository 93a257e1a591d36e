/// Produces synthetic card transactions as Kafka-ready key and value bytes.
///
/// The producer sends hundreds of thousands of messages per second when unpaced, so each call
/// writes straight into caller-owned buffers that keep their capacity from one message to the
/// next: after the first few messages, generating one allocates nothing.
///
/// With a seed, the output depends only on the seed, the schema and the arguments of each call,
/// so runs are reproducible. Amounts in the extended schema go through the C library's `exp`,
/// `log` and `cos`, whose last-bit rounding may differ between platforms; a cent may then
/// rarely differ across operating systems, never between runs on one.
public struct CardTransactionGenerator: Sendable {
    private enum Engine: Sendable {
        case seed(SeedRecordWriter)
        case extended(ExtendedRecordWriter)
        /// Authorizations and their settlements, two streams (SettlementGenerator.swift).
        case settlement
    }

    /// The schema this generator writes.
    public let schema: TransactionSchema

    private let engine: Engine
    private var random: CellsRandom
    /// Gaps come from their own stream so that drawing them (or not) leaves the messages unchanged.
    private var gapRandom: CellsRandom
    /// The settlement schema's two streams, and which one the last message belongs to.
    private var settlements: SettlementGenerator?
    public private(set) var lastStream: SettlementGenerator.Stream = .authorization

    /// Creates a generator; `seed` makes its output reproducible, `nil` seeds from system entropy.
    ///
    /// The extended schema builds its card and merchant pools here (about 10 ms in a release build).
    /// Copies of a generator continue the same sequence independently, as values do.
    public init(schema: TransactionSchema, seed: UInt64?) {
        var system = SystemRandomNumberGenerator()
        var streams = SplitMix64(state: seed ?? system.next())
        var poolRandom = CellsRandom(seed: streams.next())
        self.random = CellsRandom(seed: streams.next())
        self.gapRandom = CellsRandom(seed: streams.next())
        self.schema = schema
        let maxRecordLength: Int
        switch schema {
        case .seed:
            let writer = SeedRecordWriter()
            engine = .seed(writer)
            maxRecordLength = writer.maxRecordLength
        case .extended:
            let writer = ExtendedRecordWriter(random: &poolRandom)
            engine = .extended(writer)
            maxRecordLength = writer.maxRecordLength
        case .settlement:
            let generator = SettlementGenerator(seed: streams.next())
            engine = .settlement
            maxRecordLength = generator.maxRecordLength
            settlements = generator
        }
        precondition(maxRecordLength <= Self.scratchCapacity, "record bound exceeds the scratch buffer")
    }

    /// Stays within the standard library's always-on-the-stack limit for temporary allocations.
    private static let scratchCapacity = 1024

    /// Clears `key` and `value`, then writes the next transaction: `key` gets the card number's
    /// ASCII digits and `value` one compact JSON object (no trailing newline).
    ///
    /// - Parameters:
    ///   - eventTimeMillis: the event's instant, Unix epoch milliseconds (UTC).
    ///   - utcOffsetSeconds: added before formatting the seed schema's local `dia_compra` and
    ///     `horario_compra`, which carry no zone (0 means UTC). The extended schema always prints
    ///     UTC with a `Z`, and ignores it.
    ///   - key: reused buffer for the message key.
    ///   - value: reused buffer for the message value.
    public mutating func next(eventTimeMillis: Int64, utcOffsetSeconds: Int = 0,
                              key: inout [UInt8], value: inout [UInt8]) {
        if case .settlement = engine {
            // Mutated in place through the optional: the pending settlements are not copied.
            lastStream = settlements?.next(nowMillis: eventTimeMillis, key: &key, value: &value) ?? .authorization
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchCapacity) { scratch in
            var writer = ByteWriter(scratch)
            let keyRange: Range<Int>
            switch engine {
            case .seed(let seedWriter):
                let local = eventTimeMillis &+ Int64(utcOffsetSeconds) &* 1000
                keyRange = seedWriter.write(localMillis: local, random: &random, into: &writer)
            case .extended(let extendedWriter):
                keyRange = extendedWriter.write(eventTimeMillis: eventTimeMillis, random: &random, into: &writer)
            case .settlement:
                keyRange = 0..<0
            }
            // One replace both clears and fills, keeping the capacity of a uniquely held buffer.
            value.replaceSubrange(value.indices, with: writer.written)
            key.replaceSubrange(key.indices, with: UnsafeBufferPointer(rebasing: writer.written[keyRange]))
        }
    }

    /// The gap to the next event of the extended schema's simulated clock, in milliseconds:
    /// exponential with mean 20 ms, as in the anchors' generator.
    ///
    /// The producer uses it to advance a virtual clock when running seeded and unpaced, which
    /// makes event times reproducible too.
    public mutating func nextGapMillis() -> Double {
        gapRandom.exponential(mean: ExtendedVocabulary.meanGapMillis)
    }
}
