@testable import CellKernel
import Testing
import TransactionGenerator

/// The stream-stream join operator fed batches and watermarks directly, against a reference
/// that joins every admitted row of the whole run with nested loops (what a join must output,
/// whenever it outputs it) and places each pair in the batch where its later row arrived and
/// each outer row in the batch where the watermark first lets its row go.
@Suite struct StreamJoinTests {
    /// A leaf that hands the operator one prepared batch per call.
    final class Feed: BatchOperator {
        let schema: Schema
        var pending: Batch
        init(_ schema: Schema) {
            self.schema = schema
            pending = Batch(schema: schema, columns: schema.fields.map { Column(type: $0.type) })
        }
        var inputs: [any BatchOperator] { [] }
        func next(_ context: inout BatchContext) throws -> Batch {
            defer { pending = Batch(schema: schema, columns: schema.fields.map { Column(type: $0.type) }) }
            return pending
        }
        var explainLine: String { "Feed" }
    }

    /// A row of either side: key (nil = NULL), event time (nil = NULL), an id, and a note.
    struct Row: Hashable {
        var key: Int64?
        var time: Int64?
        var id: Int64
        var note: String?
        var batch: Int
    }

    static let leftSchema = Schema([.init(name: "k", type: .bigint), .init(name: "t", type: .timestamp),
                                    .init(name: "lid", type: .bigint), .init(name: "note", type: .string)])
    static let rightSchema = Schema([.init(name: "k", type: .bigint), .init(name: "t", type: .timestamp),
                                     .init(name: "rid", type: .bigint), .init(name: "memo", type: .string)])

    static func batch(_ rows: [Row], _ schema: Schema) -> Batch {
        var columns = schema.fields.map { Column(type: $0.type) }
        for row in rows {
            columns[0].append(row.key.map(Value.int) ?? .null)
            columns[1].append(row.time.map(Value.int) ?? .null)
            columns[2].append(.int(row.id))
            columns[3].append(row.note.map(Value.string) ?? .null)
        }
        return Batch(schema: schema, columns: columns)
    }

    /// `(lid + rid) % 3 <> 0`: an extra condition over both sides' columns.
    static let condition = BoundExpression.call(.notEqual, [
        .call(.remainder, [.call(.add, [.column(2, .bigint), .column(6, .bigint)], .bigint), .literal(.int(3), .bigint)], .bigint),
        .literal(.int(0), .bigint)], .boolean)

    static func spec(_ kind: JoinSpec.Kind, condition: Bool, lower: Int64, upper: Int64) -> JoinSpec {
        JoinSpec(kind: kind, leftKeys: [.column(0, .bigint)], rightKeys: [.column(0, .bigint)],
                 condition: condition ? Self.condition : nil,
                 timeRange: JoinTimeRange(leftColumn: 1, rightColumn: 1, lowerMicros: lower, upperMicros: upper))
    }

    static func makeOperator(_ spec: JoinSpec) -> (StreamJoinOperator, Feed, Feed) {
        let l = Feed(leftSchema), r = Feed(rightSchema)
        let schema = Schema(leftSchema.fields + rightSchema.fields)
        return (StreamJoinOperator(left: l, right: r, spec: spec, schema: schema), l, r)
    }

    /// A seeded run: per batch, left and right rows (duplicate keys, NULL keys, NULL times,
    /// rows late by up to 20 time units, some right rows never sent) and the watermark it runs
    /// with, which follows the least of the two sides' latest times minus a delay; the last
    /// batches are empty, with the watermark far ahead, so every row leaves the state.
    struct Run {
        var left: [[Row]] = []
        var right: [[Row]] = []
        var watermarks: [Int64] = []
    }

    static func run(seed: UInt64, batches: Int = 40) -> Run {
        var random = CellsRandom(seed: seed)
        var run = Run()
        var clock: Int64 = 1000, watermark: Int64 = 0, maxLeft: Int64 = .min, maxRight: Int64 = .min
        var nextId: Int64 = 1
        func row(_ b: Int) -> Row {
            defer { nextId += 1 }
            let key: Int64? = Int.random(in: 0..<10, using: &random) == 0 ? nil : Int64.random(in: 0..<5, using: &random)
            var time: Int64? = clock + Int64.random(in: -6...6, using: &random)
            if Int.random(in: 0..<8, using: &random) == 0 { time = clock - Int64.random(in: 5...25, using: &random) }
            if Int.random(in: 0..<40, using: &random) == 0 { time = nil }
            let note: String? = Int.random(in: 0..<5, using: &random) == 0 ? nil : "n\(nextId)-" + String(repeating: "x", count: Int(nextId % 7))
            return Row(key: key, time: time, id: nextId, note: note, batch: b)
        }
        for b in 0..<batches {
            run.watermarks.append(watermark)
            let leftRows = (0..<Int.random(in: 0...7, using: &random)).map { _ in row(b) }
            let rightRows = (0..<Int.random(in: 0...7, using: &random)).map { _ in row(b) }.filter { _ in Int.random(in: 0..<10, using: &random) != 0 }
            run.left.append(leftRows)
            run.right.append(rightRows)
            for r in leftRows { if let t = r.time { maxLeft = max(maxLeft, t) } }
            for r in rightRows { if let t = r.time { maxRight = max(maxRight, t) } }
            if maxLeft != .min && maxRight != .min { watermark = max(watermark, min(maxLeft, maxRight) - 4) }
            clock += Int64.random(in: 0...4, using: &random)
        }
        for extra in 0..<3 {
            run.watermarks.append(clock + 1000 * Int64(extra + 1))
            run.left.append([])
            run.right.append([])
        }
        return run
    }

    /// What the join must output per batch, and how many rows its state must hold after each.
    static func reference(_ run: Run, _ spec: JoinSpec) -> (outputs: [[[Value]]], stateRows: [Int]) {
        let range = spec.timeRange!
        let batches = run.watermarks.count
        func admitted(_ rows: [[Row]], preserved: Bool) -> [Row] {
            rows.flatMap { $0 }.filter { row in
                guard let t = row.time else { return false }
                let previous = row.batch == 0 ? 0 : run.watermarks[row.batch - 1]
                if previous > 0 && t <= previous { return false }
                return preserved || row.key != nil
            }
        }
        let lefts = admitted(run.left, preserved: spec.kind == .leftOuter)
        let rights = admitted(run.right, preserved: spec.kind == .rightOuter)
        func evictionBatch(_ row: Row, left: Bool) -> Int? {
            let t = row.time!
            return (row.batch..<batches).first { b in
                let w = run.watermarks[b]
                return w > 0 && (left ? t + range.upperMicros <= w : t - range.lowerMicros <= w)
            }
        }
        func values(_ l: Row?, _ r: Row?) -> [Value] {
            [l?.key.map(Value.int) ?? .null, l?.time.map(Value.int) ?? .null, l.map { .int($0.id) } ?? .null, l?.note.map(Value.string) ?? .null,
             r?.key.map(Value.int) ?? .null, r?.time.map(Value.int) ?? .null, r.map { .int($0.id) } ?? .null, r?.note.map(Value.string) ?? .null]
        }
        var outputs = Array(repeating: [[Value]](), count: batches)
        var leftMatched = Set<Int64>(), rightMatched = Set<Int64>()
        for l in lefts {
            for r in rights {
                guard let lk = l.key, let rk = r.key, lk == rk else { continue }
                let d = r.time! - l.time!
                guard range.lowerMicros <= d, d <= range.upperMicros else { continue }
                if spec.condition != nil && (l.id + r.id) % 3 == 0 { continue }
                outputs[max(l.batch, r.batch)].append(values(l, r))
                leftMatched.insert(l.id)
                rightMatched.insert(r.id)
            }
        }
        var stateRows = Array(repeating: 0, count: batches)
        for (rows, isLeft) in [(lefts, true), (rights, false)] {
            for row in rows {
                let evicted = evictionBatch(row, left: isLeft)
                for b in row.batch..<(evicted ?? batches) { stateRows[b] += 1 }
                guard let evicted else { continue }
                if isLeft && spec.kind == .leftOuter && !leftMatched.contains(row.id) { outputs[evicted].append(values(row, nil)) }
                if !isLeft && spec.kind == .rightOuter && !rightMatched.contains(row.id) { outputs[evicted].append(values(nil, row)) }
            }
        }
        return (outputs, stateRows)
    }

    static func rows(_ batch: Batch) -> [[Value]] {
        (0..<batch.count).map { i in batch.columns.map { $0.value(at: i) } }
    }

    static func sorted(_ rows: [[Value]]) -> [String] {
        rows.map { $0.map(\.description).joined(separator: "|") }.sorted()
    }

    /// Runs batches `range` of `run` through the operator; returns outputs, state rows, late rows.
    static func feed(_ run: Run, _ op: StreamJoinOperator, _ l: Feed, _ r: Feed, batches: Range<Int>) throws -> ([[[Value]]], [Int], Int) {
        var outputs: [[[Value]]] = [], states: [Int] = [], late = 0
        for b in batches {
            l.pending = batch(run.left[b], leftSchema)
            r.pending = batch(run.right[b], rightSchema)
            var context = BatchContext(mode: .append, watermark: run.watermarks[b])
            outputs.append(rows(try op.next(&context)))
            states.append(op.stateRows)
            late += context.lateRows
        }
        return (outputs, states, late)
    }

    static let cases: [(JoinSpec.Kind, Bool, Int64, Int64)] = [
        (.inner, false, -5, 10), (.inner, true, 0, 8), (.leftOuter, false, 0, 10), (.leftOuter, true, -3, 6),
        (.rightOuter, false, -10, 0), (.rightOuter, true, -2, 12), (.leftOuter, false, 3, 3),
    ]

    @Test(arguments: cases.indices, [UInt64(1), 7, 2026])
    func matchesReferenceJoin(caseIndex: Int, seed: UInt64) throws {
        let (kind, condition, lower, upper) = Self.cases[caseIndex]
        let spec = Self.spec(kind, condition: condition, lower: lower, upper: upper)
        let run = Self.run(seed: seed &* 31 &+ UInt64(caseIndex))
        let (op, l, r) = Self.makeOperator(spec)
        let (outputs, states, late) = try Self.feed(run, op, l, r, batches: 0..<run.watermarks.count)
        let expected = Self.reference(run, spec)
        for b in outputs.indices {
            #expect(Self.sorted(outputs[b]) == Self.sorted(expected.outputs[b]), "batch \(b) of \(kind) \(lower)...\(upper)")
            #expect(states[b] == expected.stateRows[b], "state rows after batch \(b)")
        }
        // The run means something: pairs, outer rows and late rows all occurred.
        let total = outputs.reduce(0) { $0 + $1.count }
        #expect(total > 20)
        #expect(late > 0)
        if kind != .inner {
            let outer = outputs.joined().filter { $0[kind == .leftOuter ? 6 : 2] == .null }.count
            #expect(outer > 0)
        }
        // Past the last watermark every row has left the state.
        #expect(op.stateRows == 0)
        #expect(op.estimatedStateBytes == 0)
    }

    /// A snapshot taken mid-run, restored into a fresh operator, continues exactly as the
    /// operator that was never stopped.
    @Test(arguments: [JoinSpec.Kind.inner, .leftOuter, .rightOuter])
    func snapshotRestoresMidRun(kind: JoinSpec.Kind) throws {
        let spec = Self.spec(kind, condition: true, lower: -4, upper: 9)
        let run = Self.run(seed: 99)
        let all = run.watermarks.count
        let (whole, wl, wr) = Self.makeOperator(spec)
        let uninterrupted = try Self.feed(run, whole, wl, wr, batches: 0..<all)

        let (first, fl, fr) = Self.makeOperator(spec)
        let half = try Self.feed(run, first, fl, fr, batches: 0..<(all / 2))
        #expect(first.stateRows > 0)
        let bytes = first.stateBytes
        let (second, sl, sr) = Self.makeOperator(spec)
        #expect(second.stateSignature == first.stateSignature)
        try second.restoreState(bytes)
        #expect(second.stateBytes == bytes)
        let rest = try Self.feed(run, second, sl, sr, batches: (all / 2)..<all)
        #expect((half.0 + rest.0).map(Self.sorted) == uninterrupted.0.map(Self.sorted))
        #expect(half.1 + rest.1 == uninterrupted.1)

        // Damaged state is an error, never a crash, and leaves the operator as it was.
        for cut in [0, 1, 5, bytes.count / 2, bytes.count - 1] {
            #expect(throws: (any Error).self) { try second.restoreState(Array(bytes.prefix(cut))) }
        }
        #expect(throws: (any Error).self) { try second.restoreState(bytes + [0]) }
        #expect(second.stateRows == 0)
    }

    /// Event times at the ends of the 64-bit range, and bounds that are unbounded on one side,
    /// neither trap nor evict a row that could still match.
    @Test func extremeTimesAndUnboundedRanges() throws {
        let spec = Self.spec(.leftOuter, condition: false, lower: .min, upper: 0)
        let (op, l, r) = Self.makeOperator(spec)
        l.pending = Self.batch([Row(key: 1, time: .max, id: 1, batch: 0), Row(key: 1, time: .min, id: 2, batch: 0),
                                Row(key: 2, time: 50, id: 3, batch: 0)], Self.leftSchema)
        r.pending = Self.batch([Row(key: 1, time: .min, id: 4, batch: 0), Row(key: 1, time: .max, id: 5, batch: 0)], Self.rightSchema)
        var context = BatchContext(mode: .append, watermark: 0)
        let first = Self.rows(try op.next(&context))
        // right - left <= 0: (1,4), (2,4) by time Int64.min, (1,5) by equal Int64.max; not (2,5).
        #expect(Self.sorted(first.map { [$0[2], $0[6]] }) == ["1|4", "1|5", "2|4"])
        // The watermark passes 50: left rows at or before it leave (upper bound 0); the right
        // rows stay for ever (nothing bounds how far below a right row a left row can be).
        context = BatchContext(mode: .append, watermark: 100)
        let second = Self.rows(try op.next(&context))
        #expect(Self.sorted(second.map { [$0[2], $0[6]] }) == ["3|NULL"])
        #expect(op.stateRows == 3)
        context = BatchContext(mode: .append, watermark: .max)
        _ = try op.next(&context)
        #expect(op.stateRows == 2)
    }

    @Test func explainNamesTheJoin() {
        let (op, _, _) = Self.makeOperator(Self.spec(.leftOuter, condition: true, lower: 0, upper: 600_000_000))
        #expect(op.explainLine.hasPrefix("StreamingSymmetricHashJoin left outer [k = k] condition"))
        #expect(op.explainLine.contains("state evicted at the watermark"))
    }
}
