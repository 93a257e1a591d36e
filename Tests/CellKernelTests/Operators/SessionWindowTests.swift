import Testing
import TransactionGenerator
@testable import CellKernel

/// The session operator against a straightforward reference that keeps raw rows: per key,
/// each accepted event joins every open session it touches (start <= t + gap, t <= end),
/// merging them; after each batch the sessions the watermark passed are emitted and dropped.
@Suite struct SessionWindowTests {
    /// Rows of (card BIGINT, event_time TIMESTAMP, amount BIGINT), fed one batch per call.
    final class Feed: BatchOperator {
        let schema = Schema([.init(name: "card", type: .bigint), .init(name: "event_time", type: .timestamp), .init(name: "amount", type: .bigint)])
        var pending: [Event] = []
        var inputs: [any BatchOperator] { [] }
        func next(_ context: inout BatchContext) throws -> Batch {
            var columns = schema.fields.map { Column(type: $0.type) }
            for e in pending {
                if let c = e.card { columns[0].append(c) } else { columns[0].appendNull() }
                if let t = e.time { columns[1].append(t) } else { columns[1].appendNull() }
                columns[2].append(e.amount)
            }
            pending = []
            return Batch(schema: schema, columns: columns)
        }
        var explainLine: String { "Feed" }
    }

    struct Event: Hashable { var card: Int64?; var time: Int64?; var amount: Int64 }

    /// A finished session as both sides report it.
    struct Row: Hashable, Comparable {
        var card: Int64?
        var start: Int64
        var end: Int64
        var count: Int64
        var sum: Int64
        var min: Int64
        var max: Int64
        static func < (a: Row, b: Row) -> Bool {
            ((a.card ?? .min), a.start, a.end, a.count) < ((b.card ?? .min), b.start, b.end, b.count)
        }
    }

    static let gap: Int64 = 300_000_000  // 5 minutes

    static func makeOperator(_ feed: Feed, mode: OutputMode, gap: Int64 = gap, extra: [AggregateSpec] = []) -> SessionWindowOperator {
        let keys: [BoundExpression] = [.column(0, .bigint), .column(1, .timestamp)]
        let amount = BoundExpression.column(2, .bigint)
        let aggregates = [AggregateSpec(.countAll, nil), AggregateSpec(.sum, amount), AggregateSpec(.min, amount), AggregateSpec(.max, amount)] + extra
        let session = SessionWindowKey(key: 1, gapMicros: gap)
        let aggregation = Aggregation(keys: keys, aggregates: aggregates, window: nil, usesWatermark: true, session: session)
        let fields = [Schema.Field(name: "#key0", type: .bigint), .init(name: "#key1", type: .timestamp)]
            + aggregates.enumerated().map { Schema.Field(name: "#agg\($0.offset)", type: $0.element.resultType) }
            + [.init(name: "#sessionEnd", type: .timestamp)]
        return SessionWindowOperator(aggregation, session: session, schema: Schema(fields), inputSchema: feed.schema, input: feed, mode: mode)
    }

    static func rows(_ batch: Batch) -> [Row] {
        let v = batch.columns.map(\.values)
        let end = batch.columns.count - 1
        return (0..<batch.count).map { r in
            func int(_ c: Int) -> Int64 { if case .int(let x) = v[c][r] { x } else { -1 } }
            let card: Int64? = if case .int(let x) = v[0][r] { x } else { nil }
            return Row(card: card, start: int(1), end: int(end), count: int(2), sum: int(3), min: int(4), max: int(5))
        }
    }

    /// The reference: raw events per session.
    struct Reference {
        let gap: Int64
        var open: [[Event]] = []
        var late = 0, outOfRange = 0

        static func bounds(_ s: [Event], _ gap: Int64) -> (Int64, Int64) { (s.map { $0.time! }.min()!, s.map { $0.time! }.max()! + gap) }

        mutating func batch(_ events: [Event], watermark: Int64, closes: Bool) -> [Row] {
            for e in events {
                guard let t = e.time else { continue }
                let (end, overflow) = t.addingReportingOverflow(gap)
                if overflow { outOfRange += 1; continue }
                if closes && watermark > 0 && end <= watermark { late += 1; continue }
                var merged = [e]
                let gap = self.gap
                open.removeAll { s in
                    let (start, sEnd) = Self.bounds(s, gap)
                    guard s[0].card == e.card, start <= end, t <= sEnd else { return false }
                    merged += s
                    return true
                }
                open.append(merged)
            }
            let gap = self.gap
            let done = closes ? open.filter { watermark > 0 && Self.bounds($0, gap).1 <= watermark } : open
            if closes { open.removeAll { watermark > 0 && Self.bounds($0, gap).1 <= watermark } }
            return done.map { s in
                let (start, end) = Self.bounds(s, gap)
                return Row(card: s[0].card, start: start, end: end, count: Int64(s.count), sum: s.reduce(0) { $0 + $1.amount },
                           min: s.map(\.amount).min()!, max: s.map(\.amount).max()!)
            }
        }
    }

    /// Runs batches through the operator and the reference, with the watermark following
    /// the largest event time seen minus `delay` (as the query's does), and compares.
    @discardableResult
    func compare(batches: [[Event]], delay: Int64, mode: OutputMode, gap: Int64 = gap) throws -> (late: Int, rows: Int) {
        let feed = Feed()
        let op = Self.makeOperator(feed, mode: mode, gap: gap)
        var reference = Reference(gap: gap)
        var watermark: Int64 = 0, maxTime: Int64 = .min
        var ours: [Row] = [], theirs: [Row] = []
        var late = 0, outOfRange = 0
        for (index, events) in (batches + [[]]).enumerated() {
            feed.pending = events
            var context = BatchContext(mode: mode, watermark: watermark)
            let out = Self.rows(try op.next(&context))
            late += context.lateRows
            outOfRange += context.outOfRangeTimes
            let expected = reference.batch(events, watermark: watermark, closes: mode != .complete)
            if mode == .complete {
                #expect(out.sorted() == expected.sorted(), "batch \(index)")
            } else {
                ours += out
                theirs += expected
            }
            for e in events { if let t = e.time, t > maxTime { maxTime = t } }
            if maxTime != .min, case (let w, false) = maxTime.subtractingReportingOverflow(delay), w > watermark { watermark = w }
            #expect(op.stateRows == reference.open.count, "batch \(index): sessions held")
        }
        #expect(ours.sorted() == theirs.sorted())
        #expect(late == reference.late && outOfRange == reference.outOfRange)
        return (late, ours.count)
    }

    @Test func seededOutOfOrderEventsWithLateRowsAndMerges() throws {
        let batches = Self.seededBatches()
        let append = try compare(batches: batches, delay: 120_000_000, mode: .append)
        try compare(batches: batches, delay: 120_000_000, mode: .complete)
        let tight = try compare(batches: batches, delay: 0, mode: .append)
        // The data is worth comparing on: late rows dropped, many sessions emitted.
        #expect(append.late > 50 && tight.late > append.late && append.rows > 50, "\(append) \(tight)")
    }

    /// avg, the central moments, DISTINCT and min_by/max_by after every merge, against the
    /// same statistics computed from each session's raw rows.
    @Test func everyAggregateIsRightAfterMerges() throws {
        let amount = BoundExpression.column(2, .bigint), time = BoundExpression.column(1, .timestamp)
        let asDouble = TypeCoercion.cast(amount, to: .double)
        let extra = [AggregateSpec(.avg, amount), AggregateSpec(.stddevSamp, asDouble), AggregateSpec(.varPop, asDouble),
                     AggregateSpec(.countDistinct, amount), AggregateSpec(.minBy, amount, ordering: time), AggregateSpec(.maxBy, amount, ordering: time)]
        let feed = Feed()
        let op = Self.makeOperator(feed, mode: .complete, extra: extra)
        var reference = Reference(gap: Self.gap)
        var last: Batch?
        var merges = 0
        for events in Self.seededBatches() {
            let before = op.stateRows
            feed.pending = events
            var context = BatchContext(mode: .complete, watermark: 0)
            last = try op.next(&context)
            _ = reference.batch(events, watermark: 0, closes: false)
            if op.stateRows < before + Set(events.map(\.card)).count { merges += 1 }
        }
        #expect(merges > 5)
        let result = try #require(last)
        let values = result.columns.map(\.values)
        var bySession: [String: Int] = [:]
        for r in 0..<result.count { bySession["\(values[0][r])|\(values[1][r])"] = r }
        #expect(bySession.count == reference.open.count)
        for session in reference.open {
            let (start, _) = Reference.bounds(session, Self.gap)
            let key = "\(session[0].card.map { Value.int($0) } ?? .null)|\(Value.int(start))"
            let row = try #require(bySession[key], "session \(key)")
            let xs = session.map { Double($0.amount) }
            let n = Double(xs.count), mean = xs.reduce(0, +) / n
            let m2 = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            func double(_ c: Int) -> Double? { if case .double(let d) = values[c][row] { d } else { nil } }
            func close(_ a: Double?, _ b: Double?) -> Bool {
                guard let a, let b else { return a == nil && b == nil }
                return abs(a - b) <= 1e-9 * max(1, abs(b))
            }
            #expect(close(double(6), mean))
            #expect(close(double(7), xs.count > 1 ? (m2 / (n - 1)).squareRoot() : nil), "stddev_samp of \(xs)")
            #expect(close(double(8), m2 / n))
            #expect(values[9][row] == .int(Int64(Set(session.map(\.amount)).count)))
            let byTime = session.sorted { $0.time! < $1.time! }
            #expect(values[10][row] == .int(byTime.first!.amount) && values[11][row] == .int(byTime.last!.amount))
        }
    }

    static func seededBatches() -> [[Event]] {
        var rng = CellsRandom(seed: 42)
        let base: Int64 = 1_704_067_200_000_000
        var batches: [[Event]] = []
        var clock = base
        for _ in 0..<30 {
            var batch: [Event] = []
            for _ in 0..<Int.random(in: 20...80, using: &rng) {
                // Mostly near the clock, some far behind (late, or bridging two sessions).
                let jitter = Int64.random(in: -600_000_000...120_000_000, using: &rng)
                let card: Int64? = Int.random(in: 0..<20, using: &rng) == 0 ? nil : Int64.random(in: 1...30, using: &rng)
                let time: Int64? = Int.random(in: 0..<30, using: &rng) == 0 ? nil : clock + jitter
                batch.append(Event(card: card, time: time, amount: Int64.random(in: -1000...1000, using: &rng)))
            }
            batches.append(batch)
            clock += Int64.random(in: 0...400_000_000, using: &rng)
        }
        return batches
    }

    @Test func aLateArrivingEventBridgesTwoStoredSessions() throws {
        let t0: Int64 = 1_000_000_000_000
        let minute: Int64 = 60_000_000
        let feed = Feed()
        let op = Self.makeOperator(feed, mode: .append, extra: [AggregateSpec(.first, .column(2, .bigint)), AggregateSpec(.last, .column(2, .bigint))])
        feed.pending = [Event(card: 1, time: t0, amount: 1), Event(card: 1, time: t0 + 8 * minute, amount: 3)]
        var context = BatchContext(mode: .append, watermark: 0)
        #expect(try op.next(&context).count == 0)
        #expect(op.stateRows == 2, "8 minutes apart with a 5 minute gap: two sessions")
        // 4 minutes after the first, 4 before the second: one session of three.
        feed.pending = [Event(card: 1, time: t0 + 4 * minute, amount: 2)]
        context = BatchContext(mode: .append, watermark: t0 + 8 * minute)
        #expect(try op.next(&context).count == 0)
        #expect(op.stateRows == 1)
        context = BatchContext(mode: .append, watermark: t0 + 13 * minute)
        let out = try op.next(&context)
        let row = try #require(Self.rows(out).first)
        #expect(Self.rows(out).count == 1)
        #expect(row == Row(card: 1, start: t0, end: t0 + 13 * minute, count: 3, sum: 6, min: 1, max: 3))
        // first/last merge in order of session start, as Spark's do.
        #expect(out.columns[6].values == [.int(1)] && out.columns[7].values == [.int(3)])
        #expect(op.stateRows == 0)
    }

    @Test func eventsExactlyAGapApartShareASession() throws {
        // Spark merges when the next event's start <= the session's end (inclusive).
        try compare(batches: [[Event(card: 7, time: 0, amount: 1), Event(card: 7, time: Self.gap, amount: 2),
                               Event(card: 7, time: 2 * Self.gap + 1, amount: 4)]], delay: 0, mode: .complete)
        // Across batches: an event touching a stored session's end, then one whose own end
        // touches a stored session's start.
        let g = Self.gap
        try compare(batches: [[Event(card: 7, time: 0, amount: 1)], [Event(card: 7, time: g, amount: 2)],
                              [Event(card: 8, time: 3 * g, amount: 4)], [Event(card: 8, time: 2 * g, amount: 8)]], delay: 10 * g, mode: .complete)
        let touching = Self.makeOperator(Feed(), mode: .complete)
        for (card, time) in [(7, 0), (7, g), (8, 3 * g), (8, 2 * g)] as [(Int64, Int64)] {
            (touching.input as! Feed).pending = [Event(card: card, time: time, amount: 1)]
            var context = BatchContext(mode: .complete, watermark: 0)
            _ = try touching.next(&context)
        }
        #expect(touching.stateRows == 2, "each card's two events are one session")
        let feed = Feed()
        let op = Self.makeOperator(feed, mode: .complete)
        feed.pending = [Event(card: 7, time: 0, amount: 1), Event(card: 7, time: Self.gap, amount: 2), Event(card: 7, time: 2 * Self.gap + 1, amount: 4)]
        var context = BatchContext(mode: .complete, watermark: 0)
        #expect(Self.rows(try op.next(&context)).sorted() == [
            Row(card: 7, start: 0, end: 2 * Self.gap, count: 2, sum: 3, min: 1, max: 2),
            Row(card: 7, start: 2 * Self.gap + 1, end: 3 * Self.gap + 1, count: 1, sum: 4, min: 4, max: 4),
        ])
    }

    @Test func extremeEventTimesAndNulls() throws {
        let year9999: Int64 = 253_402_300_799_999_999
        let events = [
            Event(card: 1, time: 0, amount: 1), Event(card: 1, time: 1, amount: 2),             // epoch 0
            Event(card: 1, time: year9999, amount: 5), Event(card: 1, time: year9999 - 1, amount: 6),
            Event(card: 2, time: .max, amount: 9),                                               // end overflows: out of range
            Event(card: 2, time: .max - Self.gap, amount: 10),                                   // ends exactly at Int64.max
            Event(card: 3, time: .min, amount: 11), Event(card: nil, time: -5, amount: 12),      // NULL key is a key
            Event(card: 3, time: nil, amount: 13),                                               // NULL time: no session
        ]
        try compare(batches: [events], delay: 0, mode: .complete)
        try compare(batches: [Array(events.prefix(4)), Array(events.dropFirst(4))], delay: 0, mode: .append)
    }

    @Test func stateSurvivesSnapshotAndRestore() throws {
        var rng = CellsRandom(seed: 7)
        let batches: [[Event]] = (0..<12).map { b in
            (0..<40).map { _ in Event(card: Int64.random(in: 1...4, using: &rng), time: Int64(b) * 200_000_000 + Int64.random(in: -300_000_000...300_000_000, using: &rng) + 1_000_000_000_000,
                                      amount: Int64.random(in: 0...100, using: &rng)) }
        }
        // One operator all the way; another restored from the first's bytes halfway.
        let feedA = Feed(), feedB = Feed()
        let a = Self.makeOperator(feedA, mode: .append)
        var b = Self.makeOperator(feedB, mode: .append)
        var watermark: Int64 = 0, maxTime: Int64 = .min
        for (index, events) in batches.enumerated() {
            if index == 6 {
                let bytes = b.stateBytes
                b = Self.makeOperator(feedB, mode: .append)
                try b.restoreState(bytes)
                #expect(b.stateSignature == a.stateSignature)
            }
            feedA.pending = events
            feedB.pending = events
            var ca = BatchContext(mode: .append, watermark: watermark), cb = ca
            #expect(Self.rows(try a.next(&ca)).sorted() == Self.rows(try b.next(&cb)).sorted())
            #expect(a.stateRows == b.stateRows)
            for e in events { maxTime = max(maxTime, e.time!) }
            watermark = max(watermark, maxTime - 60_000_000)
        }
        #expect(throws: (any Error).self) { try b.restoreState(Array(b.stateBytes.dropLast())) }
    }
}
