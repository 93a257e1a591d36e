import Foundation
import Testing
import TransactionGenerator
#if canImport(Glibc)
import Glibc
#endif

// MARK: Seeded input, and what the notebook must compute from it

/// One input message of the crash tests: a unique id, a group, an exact (integer) amount and
/// an event time that rises with the message's index, with up to a second of jitter.
struct CrashEvent: Sendable {
    var id: String
    var group: String
    var amount: Int64
    /// Milliseconds after ``CrashEvent/epoch``.
    var eventMillis: Int64

    /// 2024-01-01T00:00:00Z: every event time is within its first hour, so the test formats
    /// times with plain arithmetic, independently of the engine's time code.
    static let epochText = "2024-01-01T00"

    /// The event time as the JSON input has it (and as Spark's JSON writer prints timestamps).
    static func text(_ millis: Int64) -> String {
        precondition(millis >= 0 && millis < 3_600_000, "crash test times stay within one hour")
        return String(format: "%@:%02lld:%02lld.%03lldZ", epochText, millis / 60_000, millis / 1000 % 60, millis % 1000)
    }

    var json: String {
        #"{"id":"\#(id)","grp":"\#(group)","amount":\#(amount),"event_time":"\#(Self.text(eventMillis))"}"#
    }

    /// `count` events, `spacing` ms apart on average. With a watermark delay of twice the
    /// jitter or more and batches that read the messages in about their order, no row is late.
    static func seeded(_ count: Int, seed: UInt64, spacing: Int64 = 20) -> [CrashEvent] {
        var random = CellsRandom(seed: seed)
        return (0..<count).map { i in
            CrashEvent(id: "ev-\(i)-\(String(random.next() & 0xFFFF_FFFF, radix: 36))",
                       group: "g\(Int.random(in: 0..<3, using: &random))",
                       amount: Int64.random(in: 1...999, using: &random),
                       eventMillis: Int64(i) * spacing + Int64.random(in: 0..<1000, using: &random))
        }
    }
}

/// A count and a sum, as the aggregating views compute them.
struct Totals: Equatable, CustomStringConvertible {
    var count: Int64 = 0
    var total: Int64 = 0
    var description: String { "n=\(count) total=\(total)" }
}

/// A tumbling window (its start as the JSON sink writes it) and a group.
struct WindowGroup: Hashable, Comparable, CustomStringConvertible {
    var start: String
    var group: String
    var description: String { "\(start)/\(group)" }
    static func < (a: Self, b: Self) -> Bool { (a.start, a.group) < (b.start, b.group) }
}

/// What the crash notebook's views must hold at the end, computed from the events alone.
struct CrashExpectations {
    /// `all_rows`: every event once, as `id|grp|amount`.
    var rows: [String]
    /// `per_group` in complete mode: its last file.
    var perGroup: [String: Totals]
    /// `per_window` in append mode: the windows the final watermark closed, each once.
    var perWindow: [WindowGroup: Totals]

    init(_ events: [CrashEvent], windowMillis: Int64, delayMillis: Int64) {
        rows = events.map { "\($0.id)|\($0.group)|\($0.amount)" }.sorted()
        var groups: [String: Totals] = [:]
        var windows: [Int64: [String: Totals]] = [:]
        for event in events {
            groups[event.group, default: Totals()].count += 1
            groups[event.group]!.total += event.amount
            let start = event.eventMillis / windowMillis * windowMillis
            windows[start, default: [:]][event.group, default: Totals()].count += 1
            windows[start]![event.group]!.total += event.amount
        }
        perGroup = groups
        // Append mode emits a window once the watermark (the greatest event time less the
        // delay) has passed its end; available-now runs the batch with no data that does it.
        let watermark = (events.map(\.eventMillis).max() ?? 0) - delayMillis
        var closed: [WindowGroup: Totals] = [:]
        for (start, perGroup) in windows where start + windowMillis <= watermark {
            for (group, totals) in perGroup { closed[WindowGroup(start: CrashEvent.text(start), group: group)] = totals }
        }
        perWindow = closed
    }
}

// MARK: The notebook

/// The crash notebook over one source: three queries started in order, each into a json sink
/// of its own, checkpointed under `--checkpoint-root`.
struct CrashNotebook {
    static let views = ["all_rows", "per_group", "per_window"]
    static let windowMillis: Int64 = 5_000
    static let delayMillis: Int64 = 2_000

    let folder: String
    var path: String { folder + "/crash.cells" }
    var checkpointRoot: String { folder + "/chk" }
    func output(_ view: String) -> String { folder + "/out/" + view }
    func checkpoint(_ view: String) -> String { checkpointRoot + "/" + view }

    /// Writes the notebook; `source` is the CREATE SOURCE statement's `USING ... OPTIONS (...)`.
    init(source: String) throws {
        folder = temporaryPath("crash")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let schema = "id STRING, grp STRING, amount BIGINT, event_time TIMESTAMP"
        let text = """
        CREATE SOURCE src \(source);
        CREATE STREAM events FROM src FORMAT json SCHEMA (\(schema));
        CREATE STREAM timed FROM src FORMAT json SCHEMA (\(schema))
          WATERMARK event_time DELAY '\(Self.delayMillis / 1000) seconds';
        CREATE VIEW all_rows AS SELECT id, grp, amount FROM events;
        CREATE VIEW per_group AS SELECT grp, count(*) AS n, sum(amount) AS total FROM events GROUP BY grp;
        CREATE VIEW per_window AS
          SELECT window(event_time, '\(Self.windowMillis / 1000) seconds').start AS window_start, grp, count(*) AS n, sum(amount) AS total
          FROM timed GROUP BY window(event_time, '\(Self.windowMillis / 1000) seconds'), grp;
        START all_rows OUTPUT MODE append USING json OPTIONS ('path' = '\(output("all_rows"))');
        START per_group OUTPUT MODE complete USING json OPTIONS ('path' = '\(output("per_group"))');
        START per_window OUTPUT MODE append USING json OPTIONS ('path' = '\(output("per_window"))');

        """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    // MARK: Reading what a run left

    /// The json sink's files by batch id: `part-NNNNN.json` only (the sink's own `_`/`.` files
    /// and a temporary file a crash left are not output), each a list of JSON lines.
    func parts(_ view: String) throws -> [(batch: Int64, lines: [String])] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: output(view))) ?? []
        var parts: [(Int64, [String])] = []
        for name in names where name.hasPrefix("part-") && name.hasSuffix(".json") {
            guard let batch = Int64(name.dropFirst(5).dropLast(5)) else { continue }
            let text = try String(contentsOfFile: output(view) + "/" + name, encoding: .utf8)
            parts.append((batch, text.split(separator: "\n").map(String.init)))
        }
        return parts.sorted { $0.0 < $1.0 }
    }

    /// Where `view`'s checkpoint is: the newest batch logged, committed, and with saved state.
    func progress(_ view: String) -> CheckpointProgress {
        func newest(_ folder: String, _ batch: (String) -> Int64?) -> Int64? {
            ((try? FileManager.default.contentsOfDirectory(atPath: checkpoint(view) + "/" + folder)) ?? []).compactMap(batch).max()
        }
        return CheckpointProgress(logged: newest("offsets") { Int64($0) }, committed: newest("commits") { Int64($0) },
                                  saved: newest("state") { name in name.split(separator: ".").first.flatMap { Int64($0) } })
    }

    /// Batches committed over all views: how far a run of the notebook has come.
    func committedBatches() -> Int64 {
        Self.views.reduce(0) { $0 + (progress($1).committed.map { $0 + 1 } ?? 0) }
    }
}

/// The newest file of each of a view's checkpoint logs.
struct CheckpointProgress: Equatable {
    var logged: Int64?
    var committed: Int64?
    var saved: Int64?

    /// Whether a restart finds something to resume from (and so prints `resumed ...`).
    var resumes: Bool { logged != nil || committed != nil }
    /// The batch a restart runs next, and the one it runs again with its logged offsets.
    var nextBatch: Int64 { (committed ?? -1) + 1 }
    var rerun: Int64? { logged.flatMap { $0 > (committed ?? -1) ? $0 : nil } }

    /// The line the engine prints on resuming `view` from `location` (LocalBackend's format).
    func resumedLine(_ view: String, _ location: String) -> String {
        var line = "resumed \(view) at batch \(nextBatch) from \(location)"
        if let rerun { line += "; batch \(rerun) runs again with the offsets it logged" }
        return line
    }
}

// MARK: Killing runs

/// Where a kill landed in the checkpoint protocol of the query that was running.
enum KillPhase: String, CaseIterable, Comparable {
    /// Before the run changed anything on disk: starting up, restoring, or inside a batch run
    /// again before its commit (its files keep their names, so it cannot be told apart).
    case startup
    /// After `offsets/N`, before `state/N`.
    case offsets
    /// After `state/N`, before the sink's `part-N` (or with no rows to write: before the commit).
    case state
    /// After the sink's `part-N`, before `commits/N`.
    case sinks
    /// After `commits/N`, before `offsets/N+1` (between batches, or between queries).
    case commit
    /// After the last batch of every query: the process was ending.
    case finished

    static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }
}

/// One run of the crash campaign, killed or not.
struct CampaignRun {
    var how: String
    var killed: Bool
    var phase: KillPhase?
    var view: String?
    var batch: Int64?
    /// `exit N` or `signal N`.
    var ending: String
    var stdout: String
    var stderr: String
    /// How many `resumed ...` lines of this run were checked.
    var resumedLines = 0
}

extension CrashNotebook {
    /// The final committed batch of each view after a run to the end (a run without kills).
    typealias Finals = [String: Int64]

    /// Where the notebook's checkpoint says the last run stopped. `before`: the views' progress
    /// when that run started (a run that committed nothing and logged nothing new was starting up).
    func landing(finals: Finals, before: [String: CheckpointProgress]) throws -> (KillPhase, String?, Int64?) {
        guard let view = Self.views.first(where: { progress($0).committed != finals[$0] }) else { return (.finished, nil, nil) }
        let now = progress(view)
        // Nothing new on disk: starting up, restoring, or inside a batch run again (its files keep their names).
        if Self.views.allSatisfy({ progress($0) == before[$0] }) { return (.startup, view, now.rerun) }
        let c = now.committed ?? -1
        guard let logged = now.logged, logged > c else { return (.commit, view, c >= 0 ? c : nil) }
        guard (now.saved ?? -1) >= logged else { return (.offsets, view, logged) }
        let written = try parts(view).contains { $0.batch == logged }
        return (written ? .sinks : .state, view, logged)
    }
}

// MARK: The campaign

/// Runs a crash notebook again and again, killing it with SIGKILL at seeded random points of
/// its progress and through the engine's crash hook (`CELLS_TEST_CRASH_AT=phase:batch`) at
/// every step of the checkpoint protocol, restarting it each time, then once more to the end.
/// Checks each restart's `resumed ...` lines against what the checkpoint held before it.
struct CrashCampaign {
    let notebook: CrashNotebook
    let environment: [String: String]
    /// Each view's last committed batch in a run without kills (batch boundaries are
    /// deterministic: the same input gives the same batches).
    let finals: CrashNotebook.Finals
    /// A run without kills, for the kill points: how long a batch takes.
    let batchSeconds: Double
    /// The batches of each view that wrote a part file in the run without kills.
    let reference: [String: Set<Int64>]

    enum Action: CustomStringConvertible {
        /// SIGKILL once `target` batches are committed over all views, plus a random part of a batch.
        case randomKill(target: Int64)
        /// The engine kills itself right after `phase` of batch next-but-one of the running view.
        case crashAt(KillPhase)

        var description: String {
            switch self {
            case .randomKill(let target): "SIGKILL after \(target) committed batches"
            case .crashAt(let phase): "CELLS_TEST_CRASH_AT \(phase.rawValue)"
            }
        }
    }

    var arguments: [String] {
        ["run", notebook.path, "--all", "--trigger", "available-now", "--checkpoint-root", notebook.checkpointRoot]
    }

    func progress() -> [String: CheckpointProgress] {
        Dictionary(uniqueKeysWithValues: CrashNotebook.views.map { ($0, notebook.progress($0)) })
    }

    /// The seeded list of runs: `kills` random kills at sorted points of the whole work, and
    /// each protocol phase `rounds` times, in a seeded order.
    func actions(kills: Int, rounds: Int, using random: inout CellsRandom) -> [Action] {
        let total = finals.values.reduce(0) { $0 + $1 + 1 }
        let targets = (0..<kills).map { _ in Int64.random(in: 0...max(0, total - 2), using: &random) }.sorted()
        let phases: [KillPhase] = [.offsets, .state, .sinks, .commit]
        var crashes = (0..<rounds).flatMap { _ in phases.map(Action.crashAt) }
        // Crash-hook runs at seeded places among the random kills, keeping the kills in order.
        var actions: [Action] = targets.map(Action.randomKill)
        // Never after the last kill, which may come when only the last batch is left to aim at.
        while let crash = crashes.popLast() { actions.insert(crash, at: Int.random(in: 0..<max(1, actions.count), using: &random)) }
        return actions
    }

    /// One run: started, killed as `action` says (or not, with nil), and checked.
    func run(_ action: Action?, using random: inout CellsRandom) throws -> CampaignRun {
        let before = progress()
        var environment = self.environment
        var aimed: (view: String, batch: Int64)?
        if case .crashAt(let phase) = action {
            // The running view's next batch, or the one after a batch run again (which logs no offsets).
            guard let view = CrashNotebook.views.first(where: { before[$0]?.committed != finals[$0] }) else {
                return CampaignRun(how: "\(action!) (nothing left to run)", killed: false, ending: "not run", stdout: "", stderr: "")
            }
            let batch = (before[view]!.committed ?? -1) + (before[view]!.rerun == nil ? 1 : 2)
            guard batch <= finals[view]! else {
                return CampaignRun(how: "\(action!) (no batch left in \(view) to aim at)", killed: false, ending: "not run", stdout: "", stderr: "")
            }
            environment["CELLS_TEST_CRASH_AT"] = "\(phase.rawValue):\(batch)"
            aimed = (view, batch)
        }
        let child = try ReapedChild(cellsExecutable.path, arguments, environment: environment)
        if case .randomKill(let target) = action {
            let deadline = ContinuousClock.now + .seconds(60)
            while child.isRunning && notebook.committedBatches() < target && ContinuousClock.now < deadline {
                Thread.sleep(forTimeInterval: 0.002)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0..<(1.5 * batchSeconds), using: &random))
            child.signal(SIGKILL)
        }
        let finished = child.finish(timeout: .seconds(60), "(\(action?.description ?? "to the end"), \(environment["CELLS_TEST_CRASH_AT"] ?? "no hook"))")
        let killed = finished.signal == SIGKILL
        var run = CampaignRun(how: action?.description ?? "to the end", killed: killed, ending: finished.ending,
                              stdout: finished.stdout, stderr: finished.stderr)
        if killed {
            (run.phase, run.view, run.batch) = try notebook.landing(finals: finals, before: before)
        } else {
            #expect(finished.exitStatus == 0, "\(run.how): \(finished.ending): \(finished.stderr)")
        }
        if let aimed, case .crashAt(let phase) = action {
            run.how += " at \(aimed.view) batch \(aimed.batch)"
            #expect(killed, "\(run.how): the crash hook did not kill the process (\(finished.ending)): \(finished.stderr)")
            // The aimed view's files say exactly which step the process died after.
            let now = notebook.progress(aimed.view)
            let written = try notebook.parts(aimed.view).contains { $0.batch == aimed.batch }
            let writes = reference[aimed.view]!.contains(aimed.batch)  // a batch with no rows writes no file
            let b = aimed.batch
            let landed = switch phase {
            case .offsets: now.logged == b && (now.committed ?? -1) < b && (now.saved ?? -1) < b && !written
            // The sinks write while the writer thread flushes the state: either may be first.
            case .state: now.logged == b && (now.committed ?? -1) < b && now.saved == b
            // ... so after the sinks the state may or may not be on disk yet.
            case .sinks: now.logged == b && (now.committed ?? -1) < b && (now.saved ?? -1) >= b - 1 && written == writes
            case .commit: now.logged == b && now.committed == b && now.saved == b && written == writes
            default: false
            }
            #expect(killed && landed, "\(run.how): the checkpoint of \(aimed.view) shows \(now), part file \(written)")
            if landed { (run.phase, run.view, run.batch) = (phase, aimed.view, b) }
        }
        run.resumedLines = try checkResumedLines(run, before: before)
        return run
    }

    /// A restart prints `resumed V at batch N from LOCATION` (and the batch it runs again) for
    /// each view whose checkpoint had a batch, once it gets to that view's START; and no such
    /// line for a view that had none.
    @discardableResult
    func checkResumedLines(_ run: CampaignRun, before: [String: CheckpointProgress]) throws -> Int {
        var checked = 0
        // A run that crashed (not killed here) is an issue already, and did not get to print its line.
        guard run.killed || run.ending == "exit 0" else { return 0 }
        let lines = Set(run.stdout.split(separator: "\n").map(String.init))
        let after = progress()
        for (index, view) in CrashNotebook.views.enumerated() {
            let printed = run.stdout.contains("resumed \(view) at batch")
            guard before[view]!.resumes else {
                #expect(!printed, "\(run.how): \(view) had no checkpoint yet but printed a resumed line:\n\(run.stdout)")
                continue
            }
            // The run reached this view's START if it printed, or this or a later view moved, or it ran to the end.
            let reached = printed || !run.killed || CrashNotebook.views[index...].contains { after[$0] != before[$0] }
            guard reached else { continue }
            let expected = before[view]!.resumedLine(view, notebook.checkpoint(view))
            #expect(lines.contains(expected), "\(run.how): expected '\(expected)' in:\n\(run.stdout)")
            checked += 1
        }
        return checked
    }
}

extension CrashNotebook {
    /// Checks the three outputs against what the events give, and returns a line for the log.
    func checkOutputs(_ expected: CrashExpectations, _ label: String) throws {
        // all_rows: every input row exactly once, as a multiset.
        var rows: [String] = []
        for part in try parts("all_rows") {
            for line in part.lines {
                let object = try fields(line)
                rows.append("\(object["id"] as? String ?? "?")|\(object["grp"] as? String ?? "?")|\((object["amount"] as? NSNumber)?.int64Value ?? -1)")
            }
        }
        rows.sort()
        if rows != expected.rows {
            var counts: [String: Int] = [:]
            for row in rows { counts[row, default: 0] += 1 }
            let duplicated = counts.filter { $0.value > 1 }.keys.sorted()
            let missing = Set(expected.rows).subtracting(counts.keys).sorted()
            Issue.record("\(label): all_rows has \(rows.count) rows for \(expected.rows.count) inputs; duplicated \(duplicated.count) (\(duplicated.prefix(5))), missing \(missing.count) (\(missing.prefix(5)))")
        }

        // per_group (complete): the last file is the whole table.
        let groupParts = try parts("per_group")
        let last = try #require(groupParts.last, "\(label): per_group wrote no file")
        var table: [String: Totals] = [:]
        for line in last.lines {
            let object = try fields(line)
            let group = try #require(object["grp"] as? String)
            #expect(table[group] == nil, "\(label): \(group) twice in per_group's last file")
            table[group] = Totals(count: (object["n"] as? NSNumber)?.int64Value ?? -1, total: (object["total"] as? NSNumber)?.int64Value ?? -1)
        }
        #expect(table == expected.perGroup, "\(label): per_group's last file (batch \(last.batch)) \(table.sorted { $0.key < $1.key }) vs computed \(expected.perGroup.sorted { $0.key < $1.key })")

        // per_window (append): each closed window once, with its count and sum.
        var windows: [WindowGroup: Totals] = [:]
        var repeated: [WindowGroup] = []
        for part in try parts("per_window") {
            for line in part.lines {
                let object = try fields(line)
                let key = WindowGroup(start: try #require(object["window_start"] as? String), group: try #require(object["grp"] as? String))
                if windows[key] != nil { repeated.append(key) }
                windows[key] = Totals(count: (object["n"] as? NSNumber)?.int64Value ?? -1, total: (object["total"] as? NSNumber)?.int64Value ?? -1)
            }
        }
        #expect(repeated.isEmpty, "\(label): per_window emitted \(repeated.count) windows more than once: \(repeated.sorted().prefix(5))")
        #expect(windows == expected.perWindow, "\(label): per_window \(windows.count) windows vs \(expected.perWindow.count) computed; differing: \(Set(windows.keys).symmetricDifference(expected.perWindow.keys).sorted().prefix(5)) \(windows.filter { expected.perWindow[$0.key] != $0.value }.keys.sorted().prefix(5))")
    }

    /// Every output file holds the same rows (in any order) as the file of the same batch of
    /// `reference`, a run of the same notebook without kills: batches are fixed by the input,
    /// so a batch run again after a crash must write what it wrote the first time, and no file
    /// may be missing or extra.
    func checkSameFiles(as reference: CrashNotebook, _ label: String) throws {
        for view in Self.views {
            let mine = try parts(view), theirs = try reference.parts(view)
            #expect(mine.map(\.batch) == theirs.map(\.batch), "\(label): \(view) wrote files for batches \(mine.map(\.batch)), the run without kills \(theirs.map(\.batch))")
            for (a, b) in zip(mine, theirs) where a.batch == b.batch && a.lines.sorted() != b.lines.sorted() {
                Issue.record("\(label): \(view) part \(a.batch) has \(a.lines.count) rows, the run without kills \(b.lines.count); first differing: \(Set(a.lines).symmetricDifference(b.lines).sorted().prefix(3))")
            }
        }
    }

    /// Each view's last committed batch.
    func finals() -> Finals {
        Dictionary(uniqueKeysWithValues: Self.views.map { ($0, progress($0).committed ?? -1) })
    }
}

// MARK: Children that are reaped for sure

/// A `cells` child started with posix_spawn, its output in files, its end seen by waitpid.
///
/// Not ``Child``: Foundation's Process (swift-corelibs-foundation, Swift 6.3.1) once missed
/// the end of a child killed with SIGKILL here: the child stayed a zombie, `isRunning` stayed
/// true, and `waitUntilExit` never returned, hanging the test run. waitpid cannot miss it.
final class ReapedChild {
    let pid: pid_t
    private let outPath: String, errPath: String
    private var status: Int32?

    struct Ended {
        /// The exit status, or nil when a signal ended the process.
        var exitStatus: Int32?
        var signal: Int32?
        var stdout: String
        var stderr: String
        /// As ``Finished/status`` has it: the exit status or the signal's number.
        var status: Int32 { exitStatus ?? signal ?? -1 }
        var ending: String { exitStatus.map { "exit \($0)" } ?? signal.map { "signal \($0)" } ?? "reaped elsewhere" }
    }

    init(_ executable: String, _ arguments: [String], environment: [String: String]) throws {
        let base = temporaryPath("child")
        outPath = base + ".out"
        errPath = base + ".err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // The child gets none of this process's other descriptors (the embedded cluster's
        // sockets among them); closing one that is gone by then is not an error for glibc.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(name), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard error == 0 else { throw POSIXError(POSIXErrorCode(rawValue: error) ?? .EIO) }
        self.pid = pid
    }

    deinit {
        if status == nil { kill(pid, SIGKILL); _ = reap(blocking: true) }
        try? FileManager.default.removeItem(atPath: outPath)
        try? FileManager.default.removeItem(atPath: errPath)
    }

    private func reap(blocking: Bool) -> Bool {
        if status != nil { return true }
        var raw: Int32 = 0
        let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
        if result == pid { status = raw }
        // Reaped by someone else (nothing in this process should): its status is lost.
        if result == -1 && errno == ECHILD {
            Issue.record("cells (pid \(pid)) was reaped by another part of the test process")
            status = 0x7f7f
        }
        return status != nil
    }

    var isRunning: Bool { !reap(blocking: false) }

    func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Waits for the end (killing the child after `timeout`, which is an issue) and returns
    /// what it printed.
    func finish(timeout: Duration = .seconds(60), _ what: @autoclosure () -> String = "") -> Ended {
        let deadline = ContinuousClock.now + timeout
        while isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
        if isRunning {
            kill(pid, SIGKILL)
            Issue.record("cells did not finish within \(timeout) \(what()): \(tail(outPath))\n\(tail(errPath))")
            _ = reap(blocking: true)
        }
        let raw = status ?? 0
        let signalled = raw & 0x7f  // WTERMSIG; 0: exited, WEXITSTATUS in the next byte
        return Ended(exitStatus: signalled == 0 ? (raw >> 8) & 0xff : nil, signal: signalled == 0 || signalled == 0x7f ? nil : signalled,
                     stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                     stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    private func tail(_ path: String) -> String {
        String(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").suffix(2000))
    }
}
