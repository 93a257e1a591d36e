@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// Incremental checkpoints of aggregations: a full snapshot at some batch, then a delta after
/// every later batch, restored into a fresh query, give the live state byte for byte; a delta
/// is the size of what changed; damaged deltas are errors that change nothing.
@Suite struct StateDeltaTests {
    static let brands = ["Visa", "Mastercard", "Elo", "Amex", "Hipercard", "Discover"]

    /// `count` JSON lines from row `first` on: event time moving forward about 3 s a row with
    /// jitter and some rows minutes late, a brand, a user (for DISTINCT), a DECIMAL amount,
    /// some NULLs.
    static func lines(_ first: Int, _ count: Int, seed: UInt64) -> String {
        var random = CellsRandom(seed: seed)
        let formatter = ISO8601DateFormatter()
        var text = ""
        for i in first..<(first + count) {
            let late = Int.random(in: 0..<10, using: &random) == 0 ? Int.random(in: 60...400, using: &random) : 0
            let seconds = 1_704_067_200 + i * 3 + Int.random(in: 0..<20, using: &random) - late
            let time = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            let brand = Self.brands[Int.random(in: 0..<Self.brands.count, using: &random)]
            let user = Int.random(in: 0..<8, using: &random) == 0 ? "null" : "\"u\(Int.random(in: 0..<40, using: &random))\""
            let cents = Int.random(in: -500..<90_000, using: &random)
            let amount = Int.random(in: 0..<12, using: &random) == 0 ? "null" : "\(cents / 100).\(String(format: "%02d", abs(cents % 100)))"
            let signedAmount = cents < 0 && cents > -100 && amount != "null" ? "-" + amount : amount
            text += #"{"event_time":"\#(time)","brand":"\#(brand)","user":\#(user),"amount":\#(signedAmount)}"# + "\n"
        }
        return text
    }

    static let ddl = """
        CREATE STREAM tx FROM f FORMAT json
          SCHEMA (event_time TIMESTAMP, brand STRING, user STRING, amount DECIMAL(10,2))
          WATERMARK event_time DELAY '1 minute';
        """

    /// Views over `tx`, each with the output mode it starts in: windows closed by the
    /// watermark (update and append evict them), every group kept (complete), a chain of
    /// two aggregations (the upper one fed rows, not partial aggregates), and keys without
    /// a window.
    static let views: [(name: String, view: String, mode: String)] = [
        ("update", """
            CREATE VIEW v AS SELECT window(event_time, '1 minute').start AS minute, brand, count(*) AS n,
              sum(amount) AS total, avg(amount) AS mean, min(amount) AS low, max(user) AS last_user,
              count(DISTINCT user) AS users, approx_count_distinct(user) AS approx
            FROM tx GROUP BY window(event_time, '1 minute'), brand;
            """, "update"),
        ("append", """
            CREATE VIEW v AS SELECT window(event_time, '2 minutes').start AS minute, count(*) AS n,
              sum(amount) AS total, count(DISTINCT brand) AS brands, max(amount) AS top
            FROM tx GROUP BY window(event_time, '2 minutes');
            """, "append"),
        ("complete", """
            CREATE VIEW v AS SELECT brand, user, count(*) AS n, sum(amount) AS total, avg(amount) AS mean,
              count(DISTINCT amount) AS amounts
            FROM tx GROUP BY brand, user;
            """, "complete"),
        ("chain", """
            CREATE VIEW m1 AS SELECT window, count(*) AS n, sum(amount) AS total FROM tx GROUP BY window(event_time, '1 minute');
            CREATE VIEW v AS SELECT window.start AS s, sum(n) AS n, sum(total) AS total, count(DISTINCT n) AS sizes
            FROM m1 GROUP BY window(window, '5 minutes');
            """, "append"),
        ("extended", """
            CREATE VIEW v AS SELECT window(event_time, '1 minute').start AS minute, brand, stddev(amount) AS sd,
              var_pop(amount) AS vp, first(user) AS u1, last(user, true) AS u2, min_by(user, amount) AS cheapest,
              max_by(amount, event_time) AS latest, count_if(amount > 50) AS big, bool_or(user = 'u1') AS has_u1,
              bool_and(amount > 1) AS all_above, sum(DISTINCT amount) AS distinct_total, avg(DISTINCT amount) AS distinct_mean,
              percentile_approx(amount, 0.5) AS median, approx_percentile(amount, 0.9, 50) AS p90
            FROM tx GROUP BY window(event_time, '1 minute'), brand;
            """, "update"),
    ]

    static func query(file: String, view: String, mode: String, maxBytes: Int? = nil) throws -> StreamingQuery {
        let session = CellSession(environment: [:], output: { _ in })
        let limit = maxBytes.map { ", 'maxOffsetsPerTrigger' = '\($0)'" } ?? ""
        try session.run(script: "CREATE SOURCE f USING file OPTIONS ('path' = '\(file)'\(limit));\n" + ddl + "\n" + view)
        return try session.prepare(start: "START v OUTPUT MODE \(mode)")
    }

    static func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "cells-delta-\(UUID().uuidString).jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func aggregates(_ query: StreamingQuery) -> [AggregateOperator] {
        query.statefulOperators.compactMap { $0 as? AggregateOperator }
    }

    @Test(arguments: [UInt64(1), 2, 3], views.indices)
    func aFullSnapshotAndTheDeltasAfterItRebuildTheLiveState(seed: UInt64, view index: Int) throws {
        let (name, view, mode) = Self.views[index]
        // About 60 batches of ~40 rows: windows open, take late rows, close and are evicted.
        let file = try Self.temporaryFile(Self.lines(0, 2_400, seed: seed))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let live = try Self.query(file: file, view: view, mode: mode, maxBytes: 4_000)
        let operators = Self.aggregates(live)
        try #require(!operators.isEmpty)
        #expect(operators.allSatisfy { $0.stateDelta == nil }, "no checkpoint yet: nothing to count changes from")

        let fullAt = Int(seed) * 4
        var full: [[UInt8]] = [], deltas: [[[UInt8]]] = [], expected: [[[UInt8]]] = []
        var batch = 0, evicted = false, peak = 0
        while try live.runBatch() != nil {
            try #require(batch < 1_000)
            let rows = live.statefulOperators.reduce(0) { $0 + $1.stateRows }
            if rows < peak { evicted = true }
            peak = max(peak, rows)
            if batch == fullAt {
                full = operators.map(\.stateBytes)
            } else if batch > fullAt {
                deltas.append(try operators.map { try #require($0.stateDelta) })
                expected.append(operators.map(\.stateBytes))
            }
            if batch >= fullAt { operators.forEach { $0.markCheckpointed() } }
            batch += 1
        }
        try #require(deltas.count > 20, "\(name): \(batch) batches")
        if mode != "complete" { #expect(evicted, "\(name): the watermark closed and evicted windows") }

        // A fresh query: the full snapshot, then each delta in order, equal after every one.
        let restored = try Self.query(file: file, view: view, mode: mode, maxBytes: 4_000)
        let targets = Self.aggregates(restored)
        for (op, bytes) in zip(targets, full) { try op.restoreState(bytes) }
        for (step, delta) in deltas.enumerated() {
            for (op, bytes) in zip(targets, delta) { try op.applyStateDelta(bytes) }
            #expect(targets.map(\.stateBytes) == expected[step], "\(name) seed \(seed): after delta \(step)")
        }
        // The same groups and values, read back as rows.
        for (a, b) in zip(targets, operators) {
            #expect(a.state.allGroups().map(\.values) == b.state.allGroups().map(\.values))
            #expect(a.stateRows == b.stateRows)
        }
        // A delta right after restoring or applying holds no group (its size is the header
        // and each aggregate's empty arrays), and changes nothing.
        for op in targets {
            let empty = try #require(op.stateDelta)
            let before = op.stateBytes
            try op.applyStateDelta(empty)
            #expect(op.stateBytes == before)
            let bound = 64 + 100 * op.aggregation.aggregates.count
            #expect(empty.count < bound, "\(empty.count) bytes for no change")
        }
        live.stop(); restored.stop()
    }

    /// 100k groups, then a batch that changes 1k of them: the delta holds about 1k groups.
    @Test func aDeltaIsTheSizeOfWhatChanged() throws {
        func line(_ key: Int, _ amount: Int) -> String {
            #"{"event_time":"2024-01-01T00:00:00Z","brand":"k\#(key)","user":"u\#(key % 97)","amount":\#(amount).25}"# + "\n"
        }
        let file = try Self.temporaryFile((0..<100_000).map { line($0, $0 % 1000) }.joined())
        defer { try? FileManager.default.removeItem(atPath: file) }
        let view = """
            CREATE VIEW v AS SELECT brand, count(*) AS n, sum(amount) AS total, avg(amount) AS mean,
              count(DISTINCT user) AS users, max(user) AS top FROM tx GROUP BY brand;
            """
        let query = try Self.query(file: file, view: view, mode: "update")
        let op = try #require(Self.aggregates(query).first)
        _ = try #require(try query.runBatch())
        #expect(op.stateRows == 100_000)
        let full = op.stateBytes
        op.markCheckpointed()

        // 1k keys spread over the table, three rows each, one of them new.
        let changed = stride(from: 0, to: 100_000, by: 100).map { $0 }
        try ScratchFile.append((changed.map { line($0, 7) + line($0, 9) } + changed.map { line($0 + 100_000, 1) }.prefix(1)).joined(), to: file)
        _ = try #require(try query.runBatch())
        let delta = try #require(op.stateDelta)
        let share = Double(delta.count) / Double(full.count)
        print("delta of 1,001 of 100,001 groups: \(delta.count) bytes; full snapshot \(full.count) bytes (\(String(format: "%.2f", share * 100))%)")
        #expect(share < 0.05)
        #expect(share > 0.005, "the changed groups are in it")

        // And it is the change: the full snapshot plus the delta is the state.
        let fresh = try Self.query(file: file, view: view, mode: "update")
        let target = try #require(Self.aggregates(fresh).first)
        try target.restoreState(full)
        try target.applyStateDelta(delta)
        #expect(target.stateBytes == op.stateBytes)
        #expect(target.stateRows == 100_001)
        query.stop(); fresh.stop()
    }

    /// A delta with windows removed and groups changed, and the state it applies to.
    func sample() throws -> (delta: [UInt8], base: [UInt8], target: AggregateOperator, after: [UInt8], queries: [StreamingQuery]) {
        let file = try Self.temporaryFile(Self.lines(0, 600, seed: 9))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let view = Self.views[0].view
        let live = try Self.query(file: file, view: view, mode: "update", maxBytes: 20_000)
        let op = try #require(Self.aggregates(live).first)
        _ = try #require(try live.runBatch())
        let base = op.stateBytes
        op.markCheckpointed()
        _ = try #require(try live.runBatch())
        let delta = try #require(op.stateDelta)
        let fresh = try Self.query(file: file, view: view, mode: "update")
        let target = try #require(Self.aggregates(fresh).first)
        try target.restoreState(base)
        return (delta, base, target, op.stateBytes, [live, fresh])
    }

    @Test func truncatedDeltasAreErrorsThatChangeNothing() throws {
        let (delta, base, target, after, queries) = try sample()
        defer { queries.forEach { $0.stop() } }
        #expect(delta.count > 1_000)
        for length in Array(0..<64) + Array(stride(from: 64, to: delta.count, by: 97)) + [delta.count - 1] {
            #expect(throws: SnapshotError.self, "cut to \(length) bytes") { try target.applyStateDelta(Array(delta.prefix(length))) }
        }
        #expect(target.stateBytes == base)
        try target.applyStateDelta(delta)
        #expect(target.stateBytes == after)
    }

    @Test func changedBytesAreErrorsThatChangeNothing() throws {
        let (delta, base, target, after, queries) = try sample()
        defer { queries.forEach { $0.stop() } }
        for position in Array(0..<64) + Array(stride(from: 64, to: delta.count, by: 53)) {
            var damaged = delta
            damaged[position] ^= 0x5A
            #expect(throws: SnapshotError.self, "byte \(position) changed") { try target.applyStateDelta(damaged) }
        }
        #expect(target.stateBytes == base)
        try target.applyStateDelta(delta)
        #expect(target.stateBytes == after)
    }

    /// Damage the checksum cannot see (bytes rewritten with a fresh checksum): every count
    /// and length is still checked against the bytes left.
    @Test func damagedDeltasWithAValidChecksumAreErrorsNotCrashes() throws {
        let (delta, base, target, after, queries) = try sample()
        defer { queries.forEach { $0.stop() } }
        func resealed(_ body: [UInt8]) -> [UInt8] {
            var bytes = body
            withUnsafeBytes(of: snapshotChecksum(bytes[...]).littleEndian) { bytes.append(contentsOf: $0) }
            return bytes
        }
        let body = Array(delta.dropLast(8))
        var failures = 0
        for position in 14..<min(body.count, 400) {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0xFF] where body[position] != value {
                var damaged = body
                damaged[position] = value
                do {
                    try target.applyStateDelta(resealed(damaged))
                    // Some values are still valid (an aggregate's value, a key's byte): the
                    // state then differs; put the base back for the next case.
                    try target.restoreState(base)
                } catch is SnapshotError {
                    failures += 1
                    #expect(target.stateBytes == base)
                }
            }
        }
        #expect(failures > 100)
        // Counts far beyond the bytes: the group count after, the removed and changed counts.
        for position in [14, 22, 30] {
            var damaged = body
            for i in 0..<8 { damaged[position + i] = i == 7 ? 0x7F : 0xFF }
            #expect(throws: SnapshotError.self) { try target.applyStateDelta(resealed(damaged)) }
        }
        try target.applyStateDelta(delta)
        #expect(target.stateBytes == after)
    }

    @Test func aDeltaAppliedToAnotherStateIsRefused() throws {
        let (delta, _, target, _, queries) = try sample()
        defer { queries.forEach { $0.stop() } }
        // Into an empty state: the groups it leaves are not the groups it was taken with.
        let nothing = try Self.temporaryFile("")
        defer { try? FileManager.default.removeItem(atPath: nothing) }
        let empty = try Self.query(file: nothing, view: Self.views[0].view, mode: "update")
        let fresh = try #require(Self.aggregates(empty).first)
        #expect {
            try fresh.applyStateDelta(delta)
        } throws: { error in
            guard case SnapshotError.corrupt(let what) = error else { return false }
            return what.contains("groups")
        }
        #expect(fresh.stateRows == 0)
        // Into an aggregation of another query.
        let other = try Self.query(file: nothing, view: Self.views[1].view, mode: "append")
        let foreign = try #require(Self.aggregates(other).first)
        #expect(throws: SnapshotError.self) { try foreign.applyStateDelta(delta) }
        _ = target
        empty.stop(); other.stop()
    }

    static let keySchema = Schema([.init(name: "k", type: .string), .init(name: "v", type: .bigint)])

    static func keyed(_ keys: [String], value: Int64 = 1) -> Batch {
        var k = Column(type: .string), v = Column(type: .bigint)
        for key in keys { k.append(.string(key)); v.append(.int(value)) }
        return Batch(schema: keySchema, columns: [k, v])
    }

    static func byKey() -> HashAggregation {
        HashAggregation(keys: [.column(0, .string)], aggregates: [AggregateSpec(.countAll, nil), AggregateSpec(.sum, .column(1, .bigint))])
    }

    /// Between two checkpoints a group can be removed and created again (its new state wins),
    /// or created and removed (the delta's removal of a key the base never had is harmless).
    @Test func groupsRemovedAndCreatedAgainBetweenCheckpoints() throws {
        var live = Self.byKey()
        live.add(Self.keyed(["a", "b", "c", "d"]))
        let base = live.snapshot()
        live.markCheckpointed()
        live.beginBatch()
        live.retain([1, 2, 3])                      // a goes
        live.add(Self.keyed(["a", "e", "b"], value: 5))  // a is back, e is new, b changes
        live.retain([0, 1, 2, 3])                   // e (id 4) goes again
        live.add(Self.keyed(["f"], value: 7))
        let delta = try #require(live.delta(signature: "s"))
        var restored = try HashAggregation(restoring: base, keys: live.keys, aggregates: live.aggregates)
        try restored.applyDelta(delta, signature: "s")
        #expect(restored.snapshot().groupState == live.snapshot().groupState)
        #expect(restored.allGroups().map(\.values) == [
            [.string("b"), .string("c"), .string("d"), .string("a"), .string("f")],
            [.int(2), .int(1), .int(1), .int(1), .int(1)], [.int(6), .int(1), .int(1), .int(5), .int(7)],
        ])
        // Applied, the state counts as checkpointed: its next delta holds nothing.
        let next = try #require(restored.delta(signature: "s"))
        #expect(restored.changes.changedIDs.isEmpty && restored.changes.removed?.count == 0)
        try restored.applyDelta(next, signature: "s")
        #expect(restored.snapshot().groupState == live.snapshot().groupState)
    }

    /// Removed keys are kept until the next checkpoint; when they outweigh what is held (a
    /// query that stopped checkpointing), the log gives up and asks for a whole snapshot.
    @Test func aChangeLogThatOutgrowsTheStateStopsAndAsksForAWholeSnapshot() throws {
        var live = Self.byKey()
        #expect(live.delta(signature: "s") == nil, "no checkpoint yet")
        let long = String(repeating: "x", count: 1_000)
        live.add(Self.keyed((0..<3_000).map { "\($0)" + long }))
        live.markCheckpointed()
        live.retain(Array(0..<1_000))
        #expect(live.delta(signature: "s") != nil, "2k removed keys (2 MB) are kept")
        live.add(Self.keyed((3_000..<6_000).map { "\($0)" + long }))
        live.retain(Array(0..<100))
        #expect(live.delta(signature: "s") == nil, "5.9k removed keys (6 MB) for 100 groups held: the log stopped")
        #expect(live.changes.changedIDs.isEmpty && live.changes.removed == nil, "and freed what it held")
        live.markCheckpointed()
        live.add(Self.keyed(["1" + long]))
        let delta = try #require(live.delta(signature: "s"), "a checkpoint starts it again")
        #expect(delta.count < 2_000)
    }

    /// A global aggregate (no keys): its one group's change is its whole delta.
    @Test func aGlobalAggregateKeepsDeltasToo() throws {
        let aggregates = [AggregateSpec(.countAll, nil), AggregateSpec(.sum, .column(1, .double)),
                          AggregateSpec(.countDistinct, .column(0, .string))]
        let schema = Schema([.init(name: "k", type: .string), .init(name: "v", type: .double)])
        func rows(_ range: Range<Int>) -> Batch {
            var k = Column(type: .string), v = Column(type: .double)
            for i in range { k.append(.string("k\(i % 13)")); v.append(.double(Double(i) * 0.5)) }
            return Batch(schema: schema, columns: [k, v])
        }
        var live = HashAggregation(keys: [], aggregates: aggregates)
        live.add(rows(0..<100))
        let base = live.snapshot().groupState
        live.markCheckpointed()
        live.beginBatch()
        live.add(rows(100..<250))
        let delta = try #require(live.delta(signature: "global"))
        var snapshot = live.snapshot()
        snapshot.groupState = base
        var fromBase = try HashAggregation(restoring: snapshot, keys: [], aggregates: aggregates)
        fromBase.markCheckpointed()
        try fromBase.applyDelta(delta, signature: "global")
        #expect(fromBase.allGroups().map(\.values) == live.allGroups().map(\.values))
        #expect(fromBase.allGroups().map(\.values) == [[.int(250)], [.double(Double(249 * 250) / 4)], [.int(13)]])
        #expect(throws: SnapshotError.self) { try fromBase.applyDelta(delta, signature: "another") }
    }
}

/// What the change log costs a running query: the same stream over 100k groups with no
/// checkpoints, with the log on (a checkpoint after every batch, no delta taken: the hot
/// path's cost alone), and with a delta taken every batch. A measurement, not a check: run
/// it with CELLS_DELTA_TIMING=1 in a release build
/// (`swift test -c release -Xswiftc -enable-testing --filter StateDeltaTimingTests`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CELLS_DELTA_TIMING"] != nil))
struct StateDeltaTimingTests {
    @Test func theChangeLogCostsTheHotPathNothingMeasurable() throws {
        let rows = 1_200_000, groups = 100_000
        var random = CellsRandom(seed: 42)
        var text = ""
        text.reserveCapacity(rows * 110)
        for i in 0..<rows {
            // Every group appears (i * 7919 mod 100k covers them all), in a scrambled order.
            let key = (i &* 7919 &+ Int.random(in: 0..<2, using: &random) * 50_000) % groups
            text += #"{"event_time":"2024-01-01T00:00:00Z","brand":"k\#(key)","user":"u\#(i % 1000)","amount":\#(i % 9000).25}"# + "\n"
        }
        let file = try StateDeltaTests.temporaryFile(text)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let view = """
            CREATE VIEW v AS SELECT brand, count(*) AS n, sum(amount) AS total, avg(amount) AS mean,
              max(user) AS top FROM tx GROUP BY brand;
            """
        enum Mode: String, CaseIterable { case off = "no checkpoints", log = "log on", delta = "log on, delta every batch" }
        func run(_ mode: Mode) throws -> (seconds: Double, batches: Int, deltaBytes: Int) {
            let query = try StateDeltaTests.query(file: file, view: view, mode: "update", maxBytes: 11_000_000)
            let op = try #require(StateDeltaTests.aggregates(query).first)
            var batches = 0, deltaBytes = 0
            let start = DispatchTime.now().uptimeNanoseconds
            if mode != .off { op.markCheckpointed() }
            while try query.runBatch() != nil {
                batches += 1
                if mode == .delta { deltaBytes += op.stateDelta?.count ?? 0 }
                if mode != .off { op.markCheckpointed() }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            #expect(op.stateRows == groups)
            query.stop()
            return (seconds, batches, deltaBytes)
        }
        var times: [Mode: [Double]] = [:]
        _ = try run(.off)  // warm the page cache and the allocator
        for _ in 0..<7 {
            for mode in Mode.allCases {
                let (seconds, batches, bytes) = try run(mode)
                times[mode, default: []].append(seconds)
                if mode == .delta { print("  \(batches) batches, deltas \(bytes / max(batches, 1) / 1024) KiB a batch") }
            }
        }
        let median = { (mode: Mode) in times[mode]!.sorted()[3] }, least = { (mode: Mode) in times[mode]!.min()! }
        for mode in Mode.allCases {
            print("\(mode.rawValue): median \(String(format: "%.3f", median(mode))) s, min \(String(format: "%.3f", least(mode))) s of \(times[mode]!.map { String(format: "%.3f", $0) }); ratio to no checkpoints: median \(String(format: "%.3f", median(mode) / median(.off))), min \(String(format: "%.3f", least(mode) / least(.off)))")
        }
    }

    /// The hot path alone: folding two scan threads' partial aggregations (100k groups each)
    /// into the operator's state, with the change log off and on (a checkpoint every batch,
    /// so the flags are set anew each batch), alternating; and the log's own loop.
    @Test func mergingPartialsCostsTheSameWithTheLogOn() throws {
        let groups = 100_000, rowsPerPartial = 150_000
        let schema = Schema([.init(name: "k", type: .string), .init(name: "v", type: .decimal(precision: 10, scale: 2))])
        let keys: [BoundExpression] = [.column(0, .string)]
        let aggregates = [AggregateSpec(.countAll, nil), AggregateSpec(.sum, .column(1, .decimal(precision: 10, scale: 2))),
                          AggregateSpec(.max, .column(0, .string))]
        let partials = (0..<2).map { lane in
            var k = Column(type: .string), v = Column(type: .decimal(precision: 10, scale: 2))
            for i in 0..<rowsPerPartial {
                k.append(.string("k\((i &* 7919 &+ lane * 31) % groups)"))
                v.append(.decimal(Int128(i % 9000)))
            }
            var partial = HashAggregation(keys: keys, aggregates: aggregates)
            partial.add(Batch(schema: schema, columns: [k, v]))
            return partial
        }
        var perBatch: [Bool: [Double]] = [:]
        for round in 0..<40 {
            let logging = round % 2 == 1
            var state = HashAggregation(keys: keys, aggregates: aggregates)
            for p in partials { state.merge(p) }  // every group exists: the batches below update
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<10 {
                if logging { state.markCheckpointed() }
                state.beginBatch()
                for p in partials { state.merge(p) }
            }
            perBatch[logging, default: []].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e7)
            #expect(state.groupCount == groups)
            if logging { #expect(state.changes.changedIDs.count == groups) }
        }
        let off = perBatch[false]!.sorted(), on = perBatch[true]!.sorted()
        print(String(format: "merging 2 partials into 100k groups, per batch: log off median %.2f ms, min %.2f ms; log on median %.2f ms, min %.2f ms; ratio median %.3f, min %.3f",
                     off[10], off[0], on[10], on[0], on[10] / off[10], on[0] / off[0]))
        var log = ChangeLog()
        let ids = (0..<2).flatMap { lane in (0..<groups).map { Int32(($0 &* 7919 &+ lane * 31) % groups) } }
        var best = Double.infinity
        for _ in 0..<20 {
            log.start(groups: groups, keyTypes: [.string])
            let start = DispatchTime.now().uptimeNanoseconds
            log.grow(to: groups)
            log.markChanged(ids)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        print(String(format: "the change log's own loop over those 200k ids: %.3f ms a batch", best))
    }
}
