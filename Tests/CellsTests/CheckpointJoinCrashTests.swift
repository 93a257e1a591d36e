import Foundation
import Testing
import TransactionGenerator
#if canImport(Glibc)
import Glibc
#endif

/// A left outer stream-stream join survives SIGKILL: `cells run` over two JSON-lines files
/// (authorizations and settlements, each read about 100 lines a batch) joins them within an
/// event-time range under both watermarks into a json sink, checkpointed; it is killed at
/// seeded random points and by the crash hook after every protocol step, restarted each time,
/// then run to the end. The join's state (both sides' buffered rows and matched flags) goes
/// through every kind of restore. At the end the sink must hold exactly the join computed
/// here from the seeded rows: each authorization once per settlement in range, or once as an
/// outer row with NULLs when none is; no pair twice, none lost; and the same files, batch by
/// batch, as a run without kills.
@Suite(.serialized) struct CheckpointJoinCrashTests {
    static let view = "settled"
    static let authorizations = 5_000
    static let linesPerBatch = 100
    /// Settlements match within 0...60 s after the authorization; watermarks lag 10 s.
    static let rangeMillis: Int64 = 60_000
    static let delayMillis: Int64 = 10_000

    /// One authorization and its settlements, event times in ms after 2024-01-01T00:00Z.
    struct Auth { var id: String; var amount: Int64; var millis: Int64 }
    struct Settlement { var id: String; var auth: String; var amount: Int64; var millis: Int64 }

    /// Authorization i at about i × 200 ms. Of the authorizations: 10 % never settle, 6 %
    /// settle too late (61-120 s after), 4 % settle twice in range (two output rows), the rest
    /// once within 0-60 s. The files are in event-time order (each stream's watermark never
    /// passes its own rows), and end with a row far ahead that moves both watermarks past
    /// everything, so that the last batches emit every outer row.
    static func seeded(seed: UInt64) -> (auths: [Auth], settlements: [Settlement]) {
        var random = CellsRandom(seed: seed)
        var auths: [Auth] = [], settlements: [Settlement] = []
        for i in 0..<authorizations {
            let id = "a\(i)-\(String(random.next() & 0xFFFF, radix: 36))"
            let at = Int64(i) * 200 + Int64.random(in: 0..<150, using: &random)
            let amount = Int64.random(in: 1...9_999, using: &random)
            auths.append(Auth(id: id, amount: amount, millis: at))
            let roll = Int.random(in: 0..<100, using: &random)
            func settle(_ delay: Int64) {
                settlements.append(Settlement(id: "s\(settlements.count)", auth: id, amount: amount + Int64.random(in: -5...5, using: &random), millis: at + delay))
            }
            switch roll {
            case 0..<10: break
            case 10..<16: settle(Int64.random(in: rangeMillis + 1_000...2 * rangeMillis, using: &random))
            case 16..<20:
                settle(Int64.random(in: 0...rangeMillis, using: &random))
                settle(Int64.random(in: 0...rangeMillis, using: &random))
            default:
                // The range's both ends included (BETWEEN), now and then exactly.
                let delay = roll == 20 ? 0 : roll == 21 ? rangeMillis : Int64.random(in: 0...rangeMillis, using: &random)
                settle(delay)
            }
        }
        auths.sort { $0.millis < $1.millis }
        settlements.sort { ($0.millis, $0.id) < ($1.millis, $1.id) }
        let horizon: Int64 = 50 * 60_000
        auths.append(Auth(id: "horizon", amount: 0, millis: horizon))
        settlements.append(Settlement(id: "horizon", auth: "none", amount: 0, millis: horizon))
        return (auths, settlements)
    }

    /// ISO 8601 with milliseconds, by plain arithmetic (every time is within the first hour).
    static func text(_ millis: Int64) -> String {
        String(format: "2024-01-01T00:%02lld:%02lld.%03lldZ", millis / 60_000, millis / 1000 % 60, millis % 1000)
    }

    /// The join computed here, as sorted `auth|amount|settlement|settled` lines (NULL: `-`):
    /// every in-range pair, and every authorization without one once with NULLs. The horizon
    /// rows stay in the state (nothing passes them) and are not expected.
    static func expectedRows(_ auths: [Auth], _ settlements: [Settlement]) -> [String] {
        let byAuth = Dictionary(grouping: settlements, by: \.auth)
        var rows: [String] = []
        for auth in auths where auth.id != "horizon" {
            let matched = (byAuth[auth.id] ?? []).filter { $0.millis >= auth.millis && $0.millis <= auth.millis + rangeMillis }
            if matched.isEmpty { rows.append("\(auth.id)|\(auth.amount)|-|-") }
            for s in matched { rows.append("\(auth.id)|\(auth.amount)|\(s.id)|\(s.amount)") }
        }
        return rows.sorted()
    }

    /// A notebook over the two files, checkpointed under its folder.
    struct JoinNotebook {
        let folder: String
        var path: String { folder + "/join.cells" }
        var checkpointRoot: String { folder + "/chk" }
        var checkpoint: String { checkpointRoot + "/" + CheckpointJoinCrashTests.view }
        var output: String { folder + "/out" }

        init(authFile: String, authBytes: Int, settleFile: String, settleBytes: Int) throws {
            folder = temporaryPath("joincrash")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try """
            CREATE SOURCE a USING file OPTIONS ('path' = '\(authFile)', 'maxOffsetsPerTrigger' = '\(authBytes)');
            CREATE SOURCE s USING file OPTIONS ('path' = '\(settleFile)', 'maxOffsetsPerTrigger' = '\(settleBytes)');
            CREATE STREAM auths FROM a FORMAT json SCHEMA (auth_id STRING, amount BIGINT, event_time TIMESTAMP)
              WATERMARK event_time DELAY '\(delayMillis / 1000) seconds';
            CREATE STREAM settles FROM s FORMAT json SCHEMA (settle_id STRING, auth_id STRING, settled BIGINT, event_time TIMESTAMP)
              WATERMARK event_time DELAY '\(delayMillis / 1000) seconds';
            CREATE VIEW \(view) AS
              SELECT x.auth_id, x.amount, y.settle_id, y.settled
              FROM auths x LEFT JOIN settles y
                ON x.auth_id = y.auth_id AND y.event_time BETWEEN x.event_time AND x.event_time + INTERVAL \(rangeMillis / 1000) SECONDS;
            START \(view) OUTPUT MODE append USING json OPTIONS ('path' = '\(output)');

            """.write(toFile: path, atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(atPath: folder) }

        var arguments: [String] { ["run", path, "--all", "--trigger", "available-now", "--checkpoint-root", checkpointRoot] }

        /// The sink's `part-N.json` files by batch (a crash's temporary files are not output).
        func parts() throws -> [(batch: Int64, lines: [String])] {
            var parts: [(Int64, [String])] = []
            for name in (try? FileManager.default.contentsOfDirectory(atPath: output)) ?? [] where name.hasPrefix("part-") && name.hasSuffix(".json") {
                guard let batch = Int64(name.dropFirst(5).dropLast(5)) else { continue }
                let text = try String(contentsOfFile: output + "/" + name, encoding: .utf8)
                parts.append((batch, text.split(separator: "\n").map(String.init)))
            }
            return parts.sorted { $0.0 < $1.0 }
        }

        /// Every output row as `auth|amount|settlement|settled` (a NULL, which the json sink
        /// leaves out as Spark's writer does, as `-`), sorted.
        func rows() throws -> [String] {
            try parts().flatMap(\.lines).map { line in
                let object = try fields(line)
                let number = { (name: String) in (object[name] as? NSNumber).map { "\($0.int64Value)" } ?? "-" }
                return "\(object["auth_id"] as? String ?? "?")|\(number("amount"))|\(object["settle_id"] as? String ?? "-")|\(number("settled"))"
            }.sorted()
        }

        func progress() -> CheckpointProgress {
            func newest(_ folder: String, _ batch: (String) -> Int64?) -> Int64? {
                ((try? FileManager.default.contentsOfDirectory(atPath: checkpoint + "/" + folder)) ?? []).compactMap(batch).max()
            }
            return CheckpointProgress(logged: newest("offsets") { Int64($0) }, committed: newest("commits") { Int64($0) },
                                      saved: newest("state") { name in name.split(separator: ".").first.flatMap { Int64($0) } })
        }
    }

    @Test func leftOuterStreamJoinGivesEachAuthorizationOnceThroughKillsAndRestarts() throws {
        let (auths, settlements) = Self.seeded(seed: 20)
        let expected = Self.expectedRows(auths, settlements)
        let outer = expected.filter { $0.hasSuffix("|-|-") }.count
        try #require(outer >= 500 && expected.count - outer >= 4_000, "outer rows and pairs both: \(outer) of \(expected.count)")

        let inputs = temporaryPath("joininput")
        try FileManager.default.createDirectory(atPath: inputs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: inputs) }
        let authText = auths.map { #"{"auth_id":"\#($0.id)","amount":\#($0.amount),"event_time":"\#(Self.text($0.millis))"}"# }.joined(separator: "\n") + "\n"
        let settleText = settlements.map {
            #"{"settle_id":"\#($0.id)","auth_id":"\#($0.auth)","settled":\#($0.amount),"event_time":"\#(Self.text($0.millis))"}"#
        }.joined(separator: "\n") + "\n"
        try authText.write(toFile: inputs + "/auth.jsonl", atomically: true, encoding: .utf8)
        try settleText.write(toFile: inputs + "/settle.jsonl", atomically: true, encoding: .utf8)
        func notebook() throws -> JoinNotebook {
            try JoinNotebook(authFile: inputs + "/auth.jsonl", authBytes: authText.utf8.count / auths.count * Self.linesPerBatch,
                             settleFile: inputs + "/settle.jsonl", settleBytes: settleText.utf8.count / settlements.count * Self.linesPerBatch)
        }

        // The run without kills: the batch boundaries, the timing, and a check of the checks.
        let reference = try notebook()
        defer { reference.remove() }
        let started = ContinuousClock.now
        let clean = try ReapedChild(cellsExecutable.path, reference.arguments, environment: [:]).finish(timeout: .seconds(120), "(without kills)")
        let cleanSeconds = (ContinuousClock.now - started) / .seconds(1)
        try #require(clean.exitStatus == 0, "the run without kills: \(clean.ending) \(clean.stderr)")
        #expect(!clean.stdout.contains("late rows"), "both files are in event-time order: no row is late\n\(clean.stdout)")
        let referenceRows = try reference.rows()
        #expect(referenceRows == expected, "without kills: \(referenceRows.count) rows for \(expected.count) computed; \(Self.difference(referenceRows, expected))")
        let final = try #require(reference.progress().committed)
        #expect(final >= 45, "about 50 batches of 100 lines a side, and the batch the last watermark adds: \(final + 1)")
        let batchSeconds = cleanSeconds / Double(final + 1)

        // The campaign: random SIGKILLs at sorted points of the work, and the engine's crash
        // hook right after each protocol step, twice each, at seeded places among them.
        let campaign = try notebook()
        defer { campaign.remove() }
        var random = CellsRandom(seed: 2020)
        var actions: [(hook: String?, target: Int64)] = (0..<16).map { _ in (nil, Int64.random(in: 0...max(0, final - 1), using: &random)) }
            .sorted { $0.target < $1.target }
        for phase in ["offsets", "state", "sinks", "commit", "offsets", "state", "sinks", "commit"] {
            actions.insert((phase, 0), at: Int.random(in: 0..<actions.count, using: &random))
        }
        var kills = 0, hooked: Set<String> = [], log: [String] = []
        for action in actions {
            let before = campaign.progress()
            var environment: [String: String] = [:]
            if let phase = action.hook {
                let batch = before.nextBatch + (before.rerun == nil ? 0 : 1)
                guard batch <= final else { continue }
                environment["CELLS_TEST_CRASH_AT"] = "\(phase):\(batch)"
            }
            let child = try ReapedChild(cellsExecutable.path, campaign.arguments, environment: environment)
            if action.hook == nil {
                let deadline = ContinuousClock.now + .seconds(60)
                while child.isRunning && (campaign.progress().committed ?? -1) + 1 < action.target && ContinuousClock.now < deadline {
                    Thread.sleep(forTimeInterval: 0.002)
                }
                Thread.sleep(forTimeInterval: Double.random(in: 0..<(1.5 * batchSeconds), using: &random))
                child.signal(SIGKILL)
            }
            let ended = child.finish(timeout: .seconds(120), "(\(environment["CELLS_TEST_CRASH_AT"] ?? "random kill"))")
            let after = campaign.progress()
            if ended.signal == SIGKILL {
                kills += 1
                if let phase = action.hook { hooked.insert(phase) }
            } else {
                #expect(ended.exitStatus == 0, "a run that was not killed must end well: \(ended.ending) \(ended.stderr)")
            }
            if before.resumes, ended.signal == nil || after != before {
                // A restart that got to its START says where it resumed.
                #expect(ended.stdout.contains(before.resumedLine(Self.view, campaign.checkpoint)),
                        "expected '\(before.resumedLine(Self.view, campaign.checkpoint))' in:\n\(ended.stdout)")
            }
            log.append("\(action.hook.map { "hook \($0)" } ?? "kill after \(action.target)"): \(ended.ending), checkpoint \(before) -> \(after)")
            if ended.exitStatus == 0 { break }
        }
        var last = try ReapedChild(cellsExecutable.path, campaign.arguments, environment: [:]).finish(timeout: .seconds(120), "(to the end)")
        for _ in 0..<3 where last.exitStatus != 0 {
            last = try ReapedChild(cellsExecutable.path, campaign.arguments, environment: [:]).finish(timeout: .seconds(120), "(to the end, again)")
        }
        #expect(last.exitStatus == 0, "the run to the end: \(last.ending) \(last.stderr)")
        #expect(campaign.progress().committed == final, "the same batches as the run without kills")

        let rows = try campaign.rows()
        #expect(rows == expected, "after \(kills) kills: \(rows.count) rows for \(expected.count) computed; \(Self.difference(rows, expected))")
        let mine = try campaign.parts(), theirs = try reference.parts()
        #expect(mine.map(\.batch) == theirs.map(\.batch), "files for batches \(mine.map(\.batch)), without kills \(theirs.map(\.batch))")
        for (a, b) in zip(mine, theirs) where a.batch == b.batch && a.lines.sorted() != b.lines.sorted() {
            Issue.record("part \(a.batch): \(a.lines.count) rows, without kills \(b.lines.count)")
        }
        #expect(kills >= 20, "\(kills) of \(log.count) runs were killed:\n\(log.joined(separator: "\n"))")
        #expect(hooked == ["offsets", "state", "sinks", "commit"], "the hook hit every phase: \(hooked.sorted())\n\(log.joined(separator: "\n"))")
        print("stream join crash: \(final + 1) batches, \(expected.count) rows (\(outer) outer), run without kills \(String(format: "%.2f", cleanSeconds)) s; \(kills) kills in \(log.count) runs")
        for line in log { print("  " + line) }
    }

    /// The rows seen twice, and missing or extra, for a failure's message.
    static func difference(_ got: [String], _ expected: [String]) -> String {
        var counts: [String: Int] = [:]
        for row in got { counts[row, default: 0] += 1 }
        let twice = counts.filter { $0.value > 1 }.keys.sorted()
        let missing = Set(expected).subtracting(counts.keys).sorted()
        let extra = Set(counts.keys).subtracting(expected).sorted()
        return "twice \(twice.count) \(twice.prefix(3)), missing \(missing.count) \(missing.prefix(3)), extra \(extra.count) \(extra.prefix(3))"
    }
}
