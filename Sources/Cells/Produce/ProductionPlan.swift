import TransactionGenerator
#if canImport(Glibc)
import Glibc
#endif

/// Where produced messages go: Kafka, or a JSON-lines file.
protocol RecordSink {
    mutating func write(key: [UInt8], value: [UInt8], id: UInt64) throws
    /// A message of the second stream (the settlement schema's settlements).
    mutating func writeSettlement(key: [UInt8], value: [UInt8], id: UInt64) throws
    /// Serves background work (delivery reports) while the plan waits between messages.
    mutating func idle()
}

extension RecordSink {
    /// By default both streams go to the one destination (a file gets both kinds of line).
    mutating func writeSettlement(key: [UInt8], value: [UInt8], id: UInt64) throws {
        try write(key: key, value: value, id: id)
    }
}

/// What to produce and at which pace: the generator loop of `cells produce`, apart from where
/// the messages go.
struct ProductionPlan {
    enum Pacing: Equatable {
        /// The original's cadence: bursts of random size, random pauses between them.
        case bursts(BurstCadence)
        /// Evenly spaced messages, this many per second.
        case rate(Double)
        /// As fast as the sink takes them.
        case unlimited
    }

    struct Summary {
        var produced = 0
        /// Of `produced`, the settlement schema's settlements.
        var settlements = 0
        var elapsed: Duration = .zero

        var elapsedDescription: String {
            let seconds = elapsed.seconds
            let rate = seconds > 0 ? Int(Double(produced) / seconds) : 0
            return "\(formatted(seconds)) s (\(rate) msg/s)"
        }

        private func formatted(_ seconds: Double) -> String {
            let hundredths = Int((seconds * 100).rounded())
            return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        }
    }

    /// Where the simulated clock of a seeded stream starts unless told otherwise.
    static let defaultStart = "2024-01-01T00:00:00Z"

    let schema: TransactionSchema
    let pacing: Pacing
    let limit: Int?
    private var generator: CardTransactionGenerator
    private var schedule: BurstSchedule?
    /// With a seed, event times come from this simulated clock (Unix ms) so that the stream is
    /// the same on every run; without one, from the wall clock.
    private var simulatedMillis: Double?

    init(schema: TransactionSchema, seed: UInt64?, startMillis: Int64, count: Int?, pacing: Pacing) {
        self.schema = schema
        self.pacing = pacing
        limit = count
        generator = CardTransactionGenerator(schema: schema, seed: seed)
        if case .bursts(let cadence) = pacing {
            // Its own stream, so that changing the cadence does not change the messages.
            schedule = BurstSchedule(cadence: cadence, seed: seed.map { $0 ^ 0x9E37_79B9_7F4A_7C15 })
        }
        simulatedMillis = seed == nil ? nil : Double(startMillis)
    }

    mutating func run<Sink: RecordSink>(into sink: inout Sink, signals: some StopCondition,
                                        progress: ((String) -> Void)?) throws -> Summary {
        let clock = ContinuousClock()
        let began = clock.now
        var summary = Summary()
        var key: [UInt8] = []
        var value: [UInt8] = []
        key.reserveCapacity(32)
        value.reserveCapacity(1024)
        var remaining: Int { limit.map { $0 - summary.produced } ?? .max }

        func emit() throws {
            let eventTime = simulatedMillis.map { Int64($0) } ?? Self.wallClockMillis()
            generator.next(eventTimeMillis: eventTime, utcOffsetSeconds: simulatedMillis == nil ? Self.localUTCOffset() : 0,
                           key: &key, value: &value)
            summary.produced += 1
            if generator.lastStream == .settlement && schema == .settlement {
                summary.settlements += 1
                try sink.writeSettlement(key: key, value: value, id: UInt64(summary.produced))
            } else {
                try sink.write(key: key, value: value, id: UInt64(summary.produced))
            }
        }

        switch pacing {
        case .bursts:
            while remaining > 0 && !signals.isStopRequested {
                let size = min(schedule!.nextBurstSize(), remaining)
                for _ in 0..<size { try emit() }
                sink.idle()
                guard remaining > 0 else { break }
                let pause = schedule!.nextPauseSeconds()
                progress?("cells produce: sent a burst of \(size) (\(summary.produced) in all); next in \(pause) s")
                simulatedMillis? += Double(pause) * 1000
                _ = signals.sleep(.seconds(pause)) { sink.idle() }
            }
        case .rate(let perSecond):
            let interval = 1000 / perSecond
            while remaining > 0 && !signals.isStopRequested {
                // Catch up with the schedule in one go: sleeping per message cannot keep a
                // high rate, and a slow moment must not lower the average.
                let due = Int((clock.now - began).seconds * perSecond) + 1
                if due > summary.produced {
                    for _ in 0..<min(due - summary.produced, remaining) {
                        try emit()
                        simulatedMillis? += interval
                    }
                    sink.idle()
                } else {
                    let wait = Double(summary.produced) / perSecond - (clock.now - began).seconds
                    _ = signals.sleep(.microseconds(Int(max(wait, 0.0005) * 1e6)), step: .milliseconds(50)) { sink.idle() }
                }
            }
        case .unlimited:
            while remaining > 0 && !signals.isStopRequested {
                for _ in 0..<min(1024, remaining) {
                    try emit()
                    // A settlement is sent at its own time: only authorizations move the clock.
                    if simulatedMillis != nil && generator.lastStream == .authorization { simulatedMillis! += generator.nextGapMillis() }
                }
                sink.idle()
            }
        }
        summary.elapsed = clock.now - began
        return summary
    }

    static func wallClockMillis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// The local zone's offset, for the seed schema's zone-less date and time (the original
    /// used the machine's local time).
    static func localUTCOffset() -> Int {
        var now = time(nil)
        var local = tm()
        localtime_r(&now, &local)
        return local.tm_gmtoff
    }
}
