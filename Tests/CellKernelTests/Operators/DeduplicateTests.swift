@testable import CellKernel
import Testing
import TransactionGenerator

/// The streaming deduplication operator driven batch by batch, against a straightforward
/// Swift model of Spark 3.5's rules (StreamingDeduplicateExec and
/// StreamingDeduplicateWithinWatermarkExec): late rows (at or before the watermark) dropped
/// first, then each key's first row kept, then keys evicted by the batch's watermark.
@Suite struct DeduplicateTests {
    /// Hands the operator one prepared batch per call.
    final class Feed: BatchOperator {
        let schema: Schema
        var pending: [Batch] = []
        init(_ schema: Schema) { self.schema = schema }
        var inputs: [any BatchOperator] { [] }
        func next(_ context: inout BatchContext) throws -> Batch {
            pending.isEmpty ? Batch(schema: schema, columns: schema.fields.map { Column(type: $0.type) }) : pending.removeFirst()
        }
        var explainLine: String { "Feed" }
    }

    /// Columns: id BIGINT, tag STRING, t TIMESTAMP, n BIGINT (a row number, never a key).
    static let schema = Schema([.init(name: "id", type: .bigint), .init(name: "tag", type: .string),
                                .init(name: "t", type: .timestamp), .init(name: "n", type: .bigint)])

    struct Row: Equatable { var id: Int64?; var tag: String?; var t: Int64?; var n: Int64 }

    static func batch(_ rows: [Row]) -> Batch {
        var columns = schema.fields.map { Column(type: $0.type) }
        for r in rows {
            columns[0].append(r.id.map { .int($0) } ?? .null)
            columns[1].append(r.tag.map { .string($0) } ?? .null)
            columns[2].append(r.t.map { .int($0) } ?? .null)
            columns[3].append(.int(r.n))
        }
        return Batch(schema: schema, columns: columns)
    }

    static func rows(_ batch: Batch) -> [Row] {
        (0..<batch.count).map { i in
            func int(_ c: Int) -> Int64? { if case .int(let v) = batch.columns[c].value(at: i) { v } else { nil } }
            let tag: String? = if case .string(let s) = batch.columns[1].value(at: i) { s } else { nil }
            return Row(id: int(0), tag: tag, t: int(2), n: int(3) ?? -1)
        }
    }

    /// The model: a dictionary of seen keys (NULL is a value like any other), each with its
    /// first event time, and Spark's order of work per batch.
    struct Model {
        let keys: [Int]          // of id, tag, t
        let delay: Int64?        // WITHIN WATERMARK
        let watermarked: Bool
        var seen: [[String]: Int64?] = [:]
        var late = 0

        func key(_ r: Row) -> [String] {
            keys.map { k in
                switch k {
                case 0: r.id.map { "i\($0)" } ?? "NULL"
                case 1: r.tag.map { "s\($0)" } ?? "NULL"
                default: r.t.map { "t\($0)" } ?? "NULL"
                }
            }
        }

        mutating func run(_ rows: [Row], watermark: Int64) -> [Row] {
            var out: [Row] = []
            for r in rows {
                if watermarked, watermark > 0, let t = r.t, t <= watermark { late += 1; continue }
                let k = key(r)
                guard seen[k] == nil else { continue }
                seen[k] = .some(r.t)
                out.append(r)
            }
            guard watermarked, watermark > 0 else { return out }
            if let delay {
                seen = seen.filter { _, first in watermark < (first ?? 0) + delay }
            } else if let position = keys.firstIndex(of: 2) {
                seen = seen.filter { key, _ in
                    key[position] == "NULL" || Int64(key[position].dropFirst())! > watermark
                }
            }
            return out
        }
    }

    static func drawRows(_ n: Int, from start: Int, time: inout Int64, _ random: inout CellsRandom) -> [Row] {
        (0..<n).map { i in
            // Mostly moving forward, sometimes far back (late rows), a NULL now and then.
            time += Int64.random(in: -3...10, using: &random)
            let back = Int.random(in: 0..<20, using: &random) == 0 ? Int64.random(in: 20...200, using: &random) : 0
            let id: Int64? = Int.random(in: 0..<15, using: &random) == 0 ? nil : Int64.random(in: 0..<40, using: &random)
            let tag: String? = Int.random(in: 0..<12, using: &random) == 0 ? nil : ["", "a", "b", "ü"][Int.random(in: 0..<4, using: &random)]
            let t: Int64? = Int.random(in: 0..<30, using: &random) == 0 ? nil : (time - back) / 4 * 4
            return Row(id: id, tag: tag, t: t, n: Int64(start + i))
        }
    }

    /// Every variant (keys, with or without watermark, within it or not) over 30 seeded runs of
    /// 12 batches: each batch's rows, the late count and the state's size equal the model's.
    @Test(arguments: [
        ([0], nil as Int64?, false), ([0, 1], nil, true), ([0, 2], nil, true), ([2], nil, true),
        ([0], 24 as Int64?, true), ([0, 1], 60, true), ([0, 1, 2], nil, false), ([1], 0, true),
    ])
    func matchesTheModel(keys: [Int], delay: Int64?, watermarked: Bool) throws {
        for seed in UInt64(1)...30 {
            var random = CellsRandom(seed: seed)
            let feed = Feed(Self.schema)
            let spec = DeduplicateSpec(keys: keys, withinWatermarkDelayMicros: delay)
            let op = DeduplicateOperator(spec, eventTime: watermarked ? 2 : nil, input: feed)
            var model = Model(keys: keys, delay: delay, watermarked: watermarked)
            var time: Int64 = 100, maxTime: Int64 = .min, n = 0, late = 0
            for b in 0..<12 {
                let rows = Self.drawRows(Int.random(in: 0...80, using: &random), from: n, time: &time, &random)
                n += rows.count
                // The watermark the batch starts with: the latest event time before it, less 32 (a multiple of 4, as the times are: so times and expiries meet it exactly).
                let watermark = maxTime == .min ? 0 : max(0, maxTime - 32)
                feed.pending = [Self.batch(rows)]
                var context = BatchContext(mode: .append, watermark: watermark)
                let got = Self.rows(try op.next(&context))
                let want = model.run(rows, watermark: watermark)
                late += context.lateRows
                #expect(got == want, "seed \(seed) batch \(b) keys \(keys) delay \(String(describing: delay))")
                #expect(late == model.late, "seed \(seed) batch \(b): late rows")
                #expect(op.stateRows == model.seen.count, "seed \(seed) batch \(b): state rows")
                for r in rows { if let t = r.t { maxTime = max(maxTime, t) } }
            }
        }
    }

    /// NULL keys equal NULL keys (Spark's dropDuplicates): one row per NULL combination.
    @Test func nullKeysAreEqual() throws {
        let feed = Feed(Self.schema)
        let op = DeduplicateOperator(DeduplicateSpec(keys: [0, 1], withinWatermarkDelayMicros: nil), eventTime: nil, input: feed)
        feed.pending = [Self.batch([
            Row(id: nil, tag: nil, t: 1, n: 0), Row(id: nil, tag: nil, t: 2, n: 1), Row(id: 1, tag: nil, t: 3, n: 2),
            Row(id: nil, tag: "", t: 4, n: 3), Row(id: 1, tag: nil, t: 5, n: 4), Row(id: nil, tag: "", t: 6, n: 5),
        ])]
        var context = BatchContext(mode: .append, watermark: 0)
        #expect(Self.rows(try op.next(&context)).map(\.n) == [0, 2, 3])
        feed.pending = [Self.batch([Row(id: nil, tag: nil, t: 9, n: 6), Row(id: nil, tag: "x", t: 9, n: 7)])]
        #expect(Self.rows(try op.next(&context)).map(\.n) == [7], "across batches too")
    }

    /// WITHIN WATERMARK: a key is remembered until the watermark reaches its first event
    /// time + delay (Spark: evicted when watermark >= expiresAt), then a new row of it passes.
    @Test func withinWatermarkForgetsAKeyExactlyAtItsExpiry() throws {
        let feed = Feed(Self.schema)
        let op = DeduplicateOperator(DeduplicateSpec(keys: [0], withinWatermarkDelayMicros: 100), eventTime: 2, input: feed)
        func run(_ rows: [Row], watermark: Int64) throws -> [Int64] {
            feed.pending = [Self.batch(rows)]
            var context = BatchContext(mode: .append, watermark: watermark)
            return Self.rows(try op.next(&context)).map(\.n)
        }
        #expect(try run([Row(id: 7, tag: nil, t: 1_000, n: 0)], watermark: 0) == [0])
        #expect(try run([Row(id: 7, tag: nil, t: 1_050, n: 1)], watermark: 1_099) == [], "1,099 < 1,000 + 100: still known")
        #expect(op.stateRows == 1)
        #expect(try run([Row(id: 7, tag: nil, t: 1_150, n: 2)], watermark: 1_100) == [], "the batch's rows go before the eviction")
        #expect(op.stateRows == 0, "evicted at watermark 1,100 = 1,000 + 100")
        #expect(try run([Row(id: 7, tag: nil, t: 1_160, n: 3), Row(id: 7, tag: nil, t: 1_090, n: 4)], watermark: 1_100) == [3],
                "a new row of the key passes; one at or before the watermark is late")
        // An event time near Int64.max: its expiry saturates instead of wrapping into the past.
        #expect(try run([Row(id: 8, tag: nil, t: .max - 10, n: 5)], watermark: 1_100) == [5])
        #expect(try run([Row(id: 8, tag: nil, t: .max - 5, n: 6)], watermark: .max - 20) == [])
        #expect(op.stateRows == 1, "key 8 is still known")
    }

    /// A snapshot restores the seen keys (a duplicate after the restore is still dropped), and
    /// a delta of what one batch changed, evictions included, rebuilds the live state.
    @Test func snapshotAndDeltaRoundTrips() throws {
        var random = CellsRandom(seed: 42)
        let spec = DeduplicateSpec(keys: [0, 1], withinWatermarkDelayMicros: 40)
        let feedA = Feed(Self.schema), feedB = Feed(Self.schema)
        let live = DeduplicateOperator(spec, eventTime: 2, input: feedA)
        var time: Int64 = 1_000, n = 0
        var rows = Self.drawRows(400, from: n, time: &time, &random)
        n += rows.count
        feedA.pending = [Self.batch(rows)]
        var context = BatchContext(mode: .append, watermark: 0)
        _ = try live.next(&context)
        let base = live.stateBytes
        live.markCheckpointed()

        let restored = DeduplicateOperator(spec, eventTime: 2, input: feedB)
        try restored.restoreState(base)
        #expect(restored.stateBytes == base)
        #expect(restored.stateRows == live.stateRows && live.stateRows > 0)

        rows = Self.drawRows(300, from: n, time: &time, &random) + rows.prefix(50).map { var r = $0; r.n += 10_000; return r }
        let watermark = time - 60
        feedA.pending = [Self.batch(rows)]
        feedB.pending = [Self.batch(rows)]
        var a = BatchContext(mode: .append, watermark: watermark), b = a
        let liveRows = Self.rows(try live.next(&a)), restoredRows = Self.rows(try restored.next(&b))
        #expect(liveRows == restoredRows, "the restored operator drops what the live one drops")
        #expect(a.lateRows == b.lateRows)

        let delta = try #require(live.stateDelta)
        let fromBase = DeduplicateOperator(spec, eventTime: 2, input: Feed(Self.schema))
        try fromBase.restoreState(base)
        try fromBase.applyStateDelta(delta)
        #expect(fromBase.stateBytes == live.stateBytes)
        #expect(fromBase.stateRows == live.stateRows)

        // Damage is an error, not a trap: a truncated state, another operator's signature.
        #expect(throws: (any Error).self) { try fromBase.restoreState(Array(base.dropLast(3))) }
        let other = DeduplicateOperator(DeduplicateSpec(keys: [0], withinWatermarkDelayMicros: 40), eventTime: 2, input: Feed(Self.schema))
        #expect(throws: (any Error).self) { try other.applyStateDelta(delta) }
    }

    /// The state-memory estimate grows with the keys held (what stops an unbounded dedup).
    @Test func stateEstimateCountsTheKeys() throws {
        let feed = Feed(Self.schema)
        let op = DeduplicateOperator(DeduplicateSpec(keys: [1], withinWatermarkDelayMicros: nil), eventTime: nil, input: feed)
        let empty = op.estimatedStateBytes
        let rows = (0..<100_000).map { Row(id: nil, tag: "key-\($0 % 50_000)-" + String(repeating: "x", count: 40), t: nil, n: Int64($0)) }
        feed.pending = [Self.batch(rows)]
        var context = BatchContext(mode: .append, watermark: 0)
        #expect(try op.next(&context).count == 50_000)
        #expect(op.stateRows == 50_000)
        #expect(op.estimatedStateBytes - empty >= 50_000 * 40, "\(op.estimatedStateBytes)")
    }
}
