@testable import CellKernel
import Foundation
import KafkaBridge
import Testing
import TransactionGenerator

/// Stream-stream joins against an independent model, micro-batch by micro-batch: seeded
/// authorizations and settlements (missing ones, ones too late for the 60-second range, two
/// for one authorization, NULL keys, rows delivered steps after their event time so that some
/// are dropped as late, whole-second times so that rows land exactly on the watermark's and the
/// range's bounds, and a jump of the event time) are appended to two files, or sent to two
/// Kafka topics, between batches; each batch's output rows, late rows, watermark and state rows
/// (`numStateRows`) must equal what Tests/Oracles/stream_join_oracle.py (stdlib Python, written
/// from Spark 3.5's rules) computes for the same batches: which outer rows come out, and in
/// which batch; what stays in the state after eviction.
@Suite struct StreamJoinOracleTests {
    static let baseSeconds: Int64 = 1_704_067_200  // 2024-01-01T00:00:00Z
    static let rangeSeconds: Int64 = 60

    struct Row { var key: String?; var payload: String; var seconds: Int64 }
    struct Step { var left: [Row] = []; var right: [Row] = []; var drain = true }

    /// 40 steps of 20 s of event time each, with a jump of 150 s at step 26, which runs
    /// without the batch that would evict after it: step 27's batch meets a watermark that
    /// moved by more than the range since the one for late rows, with stragglers from before
    /// the jump among its rows. Then a step of horizon rows, far ahead on both sides.
    static func steps(seed: UInt64) -> [Step] {
        var random = CellsRandom(seed: seed)
        let count = 40, jump = 26
        var steps = Array(repeating: Step(), count: count + 1)
        var settlementNumber = 0
        func offset(_ step: Int) -> Int64 { step >= jump ? 150 : 0 }
        /// The step whose 20 seconds hold `t` (a time in the jump's gap: the step after it).
        func home(_ t: Int64) -> Int {
            let before = Int64(jump) * 20
            let step = t < before ? Int(t / 20) : t < before + 150 ? jump : Int((t - 150) / 20)
            return min(count - 1, step)
        }
        func deliver(_ step: Int) -> Int {
            // One row in twenty comes one to three steps after its time (a straggler).
            Int.random(in: 0..<20, using: &random) == 0 ? min(count - 1, step + Int.random(in: 1...3, using: &random)) : step
        }
        for step in 0..<count {
            let start = Int64(step) * 20 + offset(step)
            for n in 0..<30 {
                let nullKey = Int.random(in: 0..<40, using: &random) == 0
                // A NULL-key row sits at its window's start: it never sets a stream's maximum.
                let at = nullKey ? start : start + Int64.random(in: 0..<20, using: &random)
                let id = "a\(step)-\(n)"
                let auth = Row(key: nullKey ? nil : id, payload: "\(Int.random(in: 1...999, using: &random))", seconds: at)
                steps[deliver(step)].left.append(auth)
                guard !nullKey else { continue }
                func settle(_ delay: Int64) {
                    let t = at + delay
                    steps[deliver(max(step, home(t)))].right.append(Row(key: id, payload: "s\(settlementNumber)", seconds: t))
                    settlementNumber += 1
                }
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<8: break  // never settled
                case 8..<14: settle(Int64.random(in: rangeSeconds + 1...150, using: &random))  // too late for the range
                case 14..<19:
                    settle(Int64.random(in: 0...rangeSeconds, using: &random))
                    settle(Int64.random(in: 0...rangeSeconds, using: &random))
                default: settle(Int64.random(in: 0...rangeSeconds, using: &random))
                }
            }
        }
        steps[jump].drain = false
        for n in 0..<6 {
            steps[jump + 1].left.append(Row(key: "straggler-\(n)", payload: "\(n)", seconds: Int64(jump) * 20 - 8 + Int64(n)))
        }
        steps[jump + 1].right.append(Row(key: "straggler-0", payload: "s-straggler", seconds: Int64(jump) * 20 + 10))
        let horizon = Int64(count) * 20 + 3_600
        steps[count].left.append(Row(key: "horizon", payload: "0", seconds: horizon))
        steps[count].right.append(Row(key: "horizon", payload: "s-horizon", seconds: horizon))
        return steps
    }

    static func time(_ seconds: Int64) -> String {
        let s = seconds
        return String(format: "2024-01-01T%02lld:%02lld:%02lldZ", s / 3600, s / 60 % 60, s % 60)
    }

    /// One batch as the engine ran it, or as the oracle says it must be.
    struct Outcome: Equatable, CustomStringConvertible {
        var rows: [[String]]
        var late: Int
        var state: Int
        var watermarkMillis: Int64
        /// The model's watermark for eviction less its watermark for late rows (0 for the engine).
        var jumpMillis: Int64 = 0
        var description: String { "\(rows.count) rows, \(late) late, state \(state), watermark \(watermarkMillis)" }
    }

    /// Each kind over files and over two Kafka topics on the embedded broker: the same seeded
    /// rows, delivered step by step, must give the same batches.
    @Test(arguments: ["inner", "leftOuter"], [false, true])
    func joinMatchesTheModelBatchByBatch(kind: String, overKafka: Bool) throws {
        let steps = Self.steps(seed: 42)
        let engine = try runEngine(steps, kind: kind, overKafka: overKafka)
        let (expected, spark) = try runOracle(steps, kind: kind)
        #expect(engine.count == expected.count, "\(kind): \(engine.count) batches, the model \(expected.count)")
        for (batch, (got, want)) in zip(engine, expected).enumerated() where got != Outcome(rows: want.rows, late: want.late, state: want.state, watermarkMillis: want.watermarkMillis) {
            let extra = Set(got.rows.map { $0.joined(separator: "|") }).subtracting(want.rows.map { $0.joined(separator: "|") })
            let missing = Set(want.rows.map { $0.joined(separator: "|") }).subtracting(got.rows.map { $0.joined(separator: "|") })
            Issue.record("\(kind) batch \(batch): \(got) vs the model's \(want); extra \(extra.sorted().prefix(4)), missing \(missing.sorted().prefix(4))")
        }
        // The data is rich enough to mean something: pairs, outer rows, late rows, eviction.
        let rows = expected.flatMap(\.rows)
        #expect(rows.count > 900 && expected.map(\.late).reduce(0, +) > 10)
        #expect(rows.contains { $0[2] == "NULL" } == (kind == "leftOuter"))
        #expect(kind == "inner" || rows.contains { $0[0] == "NULL" }, "a NULL key is kept on the preserved side and comes out padded")
        // Bounded state: never more than the last ~80 s of rows on either side (3 x 20 s steps
        // of ~30 authorizations and ~30 settlements, and the stragglers), and at the end only
        // the two horizon rows, which nothing passed.
        let peak = engine.map(\.state).max() ?? 0
        #expect(peak < 400, "\(kind): the state peaked at \(peak) rows of \(steps.reduce(0) { $0 + $1.left.count + $1.right.count })")
        #expect(engine.last?.state == 2, "\(kind): only the horizon rows remain: \(engine.last.map(\.description) ?? "-")")

        // Where Spark 3.5 itself differs from the model above (a new row already past the
        // state watermark is not stored, so it meets no new row of the other side and is never
        // emitted as an outer row): only in the batch right after the jump, which ran with a
        // watermark more than the range ahead of the one for late rows.
        let differing = zip(expected, spark).enumerated().filter { $0.element.0.rows != $0.element.1.rows }.map(\.offset)
        let jumps = expected.enumerated().filter { $0.element.jumpMillis > Self.rangeSeconds * 1000 }.map(\.offset)
        #expect(Set(differing).isSubset(of: jumps), "\(kind): Spark's variant differs in batches \(differing), the watermark jumped in \(jumps)")
        if kind == "leftOuter" { #expect(!differing.isEmpty, "the data should reach the case where Spark drops a new unmatched row") }
        print("\(kind): \(engine.count) batches, \(rows.count) rows, \(expected.map(\.late).reduce(0, +)) late, state peak \(peak); Spark's variant differs in batches \(differing)")
    }

    /// The engine: a file or a topic per side, appended to between batches; each step's data
    /// batch, then (unless the step says not to) the batches without data it asks for.
    func runEngine(_ steps: [Step], kind: String, overKafka: Bool) throws -> [Outcome] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cells-joinoracle-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let leftFile = folder + "/auth.jsonl", rightFile = folder + "/settle.jsonl"
        FileManager.default.createFile(atPath: leftFile, contents: nil)
        FileManager.default.createFile(atPath: rightFile, contents: nil)
        // Two partitions a topic: rows of one step spread over both, as a producer's keys would.
        let cluster = overKafka ? try EmbeddedCluster() : nil
        if let cluster {
            try cluster.createTopic("auths", partitions: 2)
            try cluster.createTopic("settles", partitions: 2)
        }
        func source(_ name: String, file: String, topic: String) -> String {
            guard let cluster else { return "CREATE SOURCE \(name) USING file OPTIONS ('path' = '\(file)');" }
            return "CREATE SOURCE \(name) USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', "
                + "'subscribe' = '\(topic)', 'startingOffsets' = 'earliest');"
        }
        let session = CellSession(output: { _ in })
        try session.run(script: """
            \(source("l", file: leftFile, topic: "auths"))
            \(source("r", file: rightFile, topic: "settles"))
            CREATE STREAM auths FROM l FORMAT json SCHEMA (auth_id STRING, amount BIGINT, event_time TIMESTAMP)
              WATERMARK event_time DELAY '10 seconds';
            CREATE STREAM settles FROM r FORMAT json SCHEMA (settle_id STRING, auth_id STRING, event_time TIMESTAMP)
              WATERMARK event_time DELAY '5 seconds';
            CREATE VIEW joined AS SELECT a.auth_id, a.amount, s.settle_id
              FROM auths a \(kind == "inner" ? "JOIN" : "LEFT JOIN") settles s
              ON a.auth_id = s.auth_id AND s.event_time BETWEEN a.event_time AND a.event_time + INTERVAL \(Self.rangeSeconds) SECONDS;
            """)
        let query = try session.prepare(start: "START joined OUTPUT MODE append")
        defer { query.stop() }
        var outcomes: [Outcome] = []
        var seen = 0
        func record(_ progress: BatchProgress) throws {
            let table = try #require(session.table("joined"))
            let rows = (seen..<table.count).map { row in
                table.columns.map { column -> String in
                    let value = column.value(at: row)
                    return value == .null ? "NULL" : value.description
                }
            }
            seen = table.count
            outcomes.append(Outcome(rows: rows.sorted { $0.lexicographicallyPrecedes($1) }, late: progress.numLateRows,
                                    state: progress.numStateRows, watermarkMillis: (progress.watermark ?? 0) / 1000))
        }
        func append(_ lines: [String], to file: String) throws {
            guard !lines.isEmpty else { return }
            if let cluster {
                try send(lines.map { Array($0.utf8) }, to: file == leftFile ? "auths" : "settles", on: cluster.bootstrapServers)
            } else {
                try ScratchFile.append(lines.map { $0 + "\n" }.joined(), to: file)
            }
        }
        for step in steps {
            try append(step.left.map { row in
                (row.key.map { #"{"auth_id":"\#($0)","# } ?? "{") + #""amount":\#(row.payload),"event_time":"\#(Self.time(row.seconds))"}"#
            }, to: leftFile)
            try append(step.right.map { row in
                #"{"settle_id":"\#(row.payload)","auth_id":"\#(row.key ?? "")","event_time":"\#(Self.time(row.seconds))"}"#
            }, to: rightFile)
            try record(try #require(try query.runBatch(), "a step with rows runs a batch"))
            if step.drain {
                while let progress = try query.runBatch() { try record(progress) }
            }
        }
        return outcomes
    }

    /// The model, run as a separate process on the same steps.
    func runOracle(_ steps: [Step], kind: String) throws -> (model: [Outcome], spark: [Outcome]) {
        func rows(_ rows: [Row]) -> [[Any]] {
            rows.map { [$0.key.map { $0 as Any } ?? NSNull(), $0.payload, (Self.baseSeconds + $0.seconds) * 1000] }
        }
        let plan: [String: Any] = [
            "kind": kind, "leftDelay": 10_000, "rightDelay": 5_000, "lower": 0, "upper": Self.rangeSeconds * 1000,
            "steps": steps.map { ["left": rows($0.left), "right": rows($0.right), "drain": $0.drain] as [String: Any] },
        ]
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Oracles/stream_join_oracle.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: plan))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "the oracle failed")
        let batches = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        func outcome(_ object: [String: Any], watermark: Int64, jump: Int64) -> Outcome {
            let rows = (object["rows"] as? [[Any]] ?? []).map { row in
                row.map { cell -> String in
                    if cell is NSNull { return "NULL" }
                    if let number = cell as? NSNumber { return "\(number.int64Value)" }
                    return "\(cell)"
                }
            }
            return Outcome(rows: rows.sorted { $0.lexicographicallyPrecedes($1) }, late: (object["late"] as? NSNumber)?.intValue ?? -1,
                           state: (object["state"] as? NSNumber)?.intValue ?? -1, watermarkMillis: watermark, jumpMillis: jump)
        }
        var model: [Outcome] = [], spark: [Outcome] = []
        for batch in batches {
            let watermark = (batch["watermark"] as? NSNumber)?.int64Value ?? -1
            let jump = ((batch["evictMark"] as? NSNumber)?.int64Value ?? 0) - ((batch["lateMark"] as? NSNumber)?.int64Value ?? 0)
            model.append(outcome(batch, watermark: watermark, jump: jump))
            spark.append(outcome(batch["spark"] as? [String: Any] ?? [:], watermark: watermark, jump: jump))
        }
        return (model, spark)
    }
}
