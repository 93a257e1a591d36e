import Foundation
import KafkaBridge
import Testing
import TransactionGenerator

/// Checkpoints survive SIGKILL anywhere: `cells run NOTEBOOK --all --trigger available-now
/// --checkpoint-root DIR` over a Kafka topic (an embedded cluster in this process, over TCP)
/// and over a JSON-lines file, killed at seeded random points of its progress and by the
/// engine's crash hook right after each step of the protocol (offsets, state, sinks, commit),
/// restarted each time, then run to the end. The outputs must be what one run without kills
/// writes, computed here from the seeded messages: every row once (append, no state), the
/// whole table in complete mode's last file, and every window closed by the watermark once
/// with its count and sum (append with a watermark). Each restart must say where it resumed.
///
/// Serialized: the kill points are timed, and the two campaigns would slow each other down.
@Suite(.serialized) struct CheckpointCrashTests {
    static let messages = 3_000
    static let rowsPerBatch = 100

    @Test func kafkaSourceGivesExactlyOnceOutputThroughKillsAtRandomPointsAndAtEveryPhase() throws {
        let cluster = try EmbeddedCluster()
        let topic = "crash_events", partitions = 4
        try cluster.createTopic(topic, partitions: partitions)
        let events = CrashEvent.seeded(Self.messages, seed: 11)
        // Round robin over the partitions: each batch reads about the next 100 events in order.
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]))
        for (i, event) in events.enumerated() {
            try producer.send(topic: topic, key: Array(event.id.utf8), value: Array(event.json.utf8), partition: Int32(i % partitions))
        }
        try producer.flush(timeout: .seconds(30))
        try #require(producer.statistics.delivered == events.count)

        let source = """
        USING kafka OPTIONS ('kafka.bootstrap.servers' = '${KAFKA_BOOTSTRAP}', 'subscribe' = '\(topic)',
          'startingOffsets' = 'earliest', 'maxOffsetsPerTrigger' = '\(Self.rowsPerBatch)')
        """
        try campaign(source: source, events: events, environment: ["KAFKA_BOOTSTRAP": cluster.bootstrapServers], seed: 1011, label: "kafka")
    }

    @Test func fileSourceGivesExactlyOnceOutputThroughKillsAtRandomPointsAndAtEveryPhase() throws {
        let events = CrashEvent.seeded(Self.messages, seed: 12)
        let input = temporaryPath("events.jsonl")
        defer { try? FileManager.default.removeItem(atPath: input) }
        let text = events.map(\.json).joined(separator: "\n") + "\n"
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        // maxOffsetsPerTrigger is in bytes for files: about 100 lines a batch.
        let bytesPerBatch = text.utf8.count / events.count * Self.rowsPerBatch
        let source = "USING file OPTIONS ('path' = '\(input)', 'maxOffsetsPerTrigger' = '\(bytesPerBatch)')"
        try campaign(source: source, events: events, environment: [:], seed: 1012, label: "file")
    }

    /// The Kafka source's restart in its narrowest form: one query killed right after saving
    /// the state of batch 22 (a full state at 20, deltas 21 and 22, commit 21), restarted
    /// from copies of that checkpoint. Restoring applies the full state and a delta and runs
    /// batch 22 again, and each of those resumes the source, which assigns its partitions
    /// again each time: librdkafka 2.0.2 then aborts now and then in its main thread
    /// (`rd_kafka_assignment_partition_stopped: Assertion rktp->rktp_started failed`).
    @Test func kafkaSourceResumesFromAFullStateADeltaAndABatchToRunAgainEveryTime() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("crash_events", partitions: 4)
        let events = CrashEvent.seeded(3_000, seed: 13)
        let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]))
        for (i, event) in events.enumerated() {
            try producer.send(topic: "crash_events", key: nil, value: Array(event.json.utf8), partition: Int32(i % 4))
        }
        try producer.flush(timeout: .seconds(30))
        let folder = temporaryPath("restart")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let notebook = folder + "/one.cells"
        try """
        CREATE SOURCE src USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'crash_events',
          'startingOffsets' = 'earliest', 'maxOffsetsPerTrigger' = '100');
        CREATE STREAM events FROM src FORMAT json SCHEMA (id STRING, grp STRING, amount BIGINT, event_time TIMESTAMP);
        CREATE VIEW all_rows AS SELECT id, grp, amount FROM events;
        START all_rows OUTPUT MODE append USING json OPTIONS ('path' = '\(folder)/out');

        """.write(toFile: notebook, atomically: true, encoding: .utf8)
        func run(_ root: String, _ environment: [String: String] = [:]) throws -> ReapedChild.Ended {
            try ReapedChild(cellsExecutable.path, ["run", notebook, "--all", "--trigger", "available-now", "--checkpoint-root", root],
                            environment: environment).finish(timeout: .seconds(60), "(restart from \(root))")
        }
        let killed = try run(folder + "/chk", ["CELLS_TEST_CRASH_AT": "state:22"])
        try #require(killed.signal == SIGKILL, "the hook ends the first run: \(killed.ending) \(killed.stderr)")
        var crashes: [String] = []
        for attempt in 0..<10 {
            let copy = folder + "/chk\(attempt)"
            try FileManager.default.copyItem(atPath: folder + "/chk", toPath: copy)
            let restarted = try run(copy)
            if restarted.exitStatus != 0 {
                crashes.append("\(restarted.ending): \(restarted.stderr.split(separator: "\n").first ?? "")")
            } else {
                #expect(restarted.stdout.contains("resumed all_rows at batch 22 from \(copy)/all_rows; batch 22 runs again with the offsets it logged\n"),
                        "\(restarted.stdout)")
            }
        }
        #expect(crashes.isEmpty, "\(crashes.count) of 10 restarts from the same checkpoint crashed: \(Set(crashes).sorted())")
    }

    /// A run without kills (for the batch boundaries and timing, and as a check of the checks),
    /// then the campaign on a notebook of its own, then its outputs.
    private func campaign(source: String, events: [CrashEvent], environment: [String: String], seed: UInt64, label: String) throws {
        let began = ContinuousClock.now
        let expected = CrashExpectations(events, windowMillis: CrashNotebook.windowMillis, delayMillis: CrashNotebook.delayMillis)
        try #require(expected.perWindow.count >= 30, "about a minute of events in 5-second windows of 3 groups: \(expected.perWindow.count)")

        let reference = try CrashNotebook(source: source)
        defer { reference.remove() }
        let started = ContinuousClock.now
        let clean = try ReapedChild(cellsExecutable.path, ["run", reference.path, "--all", "--trigger", "available-now",
                                                            "--checkpoint-root", reference.checkpointRoot], environment: environment)
            .finish(timeout: .seconds(60), "(the run without kills)")
        let cleanSeconds = (ContinuousClock.now - started) / .seconds(1)
        try #require(clean.exitStatus == 0, "\(label): the run without kills failed: \(clean.stderr)")
        #expect(!clean.stdout.contains("resumed "), "a new checkpoint root has nothing to resume")
        #expect(!clean.stdout.contains("late rows"), "the events come in about their order: none is late")
        try reference.checkOutputs(expected, "\(label) without kills")
        let finals = reference.finals()
        let batches = finals.values.reduce(0) { $0 + $1 + 1 }
        #expect(finals["all_rows"]! >= 25, "maxOffsetsPerTrigger makes dozens of batches: \(finals)")

        let notebook = try CrashNotebook(source: source)
        defer { notebook.remove() }
        let campaign = CrashCampaign(notebook: notebook, environment: environment, finals: finals,
                                     batchSeconds: cleanSeconds / Double(batches),
                                     reference: try CrashNotebook.views.reduce(into: [:]) { $0[$1] = Set(try reference.parts($1).map(\.batch)) })
        var random = CellsRandom(seed: seed)
        var runs: [CampaignRun] = []
        for action in campaign.actions(kills: 20, rounds: 2, using: &random) {
            let run = try campaign.run(action, using: &random)
            runs.append(run)
            if run.ending == "exit 0" { break }  // it ran to the end before the kill
        }
        // Then to the end, and once more: a run over a finished checkpoint only resumes each view.
        // Restarted until a run ends well (a run that crashes on its own is an issue already),
        // so that the outputs are checked even then.
        var last = try campaign.run(nil, using: &random)
        for _ in 0..<5 where last.ending != "exit 0" { last = try campaign.run(nil, using: &random) }
        let again = try campaign.run(nil, using: &random)
        #expect(last.ending == "exit 0" && again.ending == "exit 0")
        for view in CrashNotebook.views {
            #expect(again.stdout.contains("resumed \(view) at batch \(finals[view]! + 1) from \(notebook.checkpoint(view))\n"),
                    "\(label): \(view) resumes after its last batch, with nothing to run again:\n\(again.stdout)")
        }
        #expect(notebook.finals() == finals, "\(label): the same batches as the run without kills")

        try notebook.checkOutputs(expected, "\(label) after kills")
        try notebook.checkSameFiles(as: reference, "\(label) after kills")

        let killed = runs.filter(\.killed)
        let hooked = runs.filter { $0.how.hasPrefix("CELLS_TEST_CRASH_AT") && $0.killed }
        #expect(killed.count >= 24, "\(label): \(killed.count) of \(runs.count) runs were killed")
        #expect(Set(hooked.compactMap(\.phase)) == [.offsets, .state, .sinks, .commit], "\(label): the hook hit every phase")
        let resumed = runs.reduce(0) { $0 + $1.resumedLines } + last.resumedLines + again.resumedLines
        #expect(resumed >= 20, "\(label): only \(resumed) restarts were checked for their resumed lines")
        let phases = Dictionary(grouping: killed.compactMap(\.phase), by: { $0 }).mapValues(\.count)
        let views = Dictionary(grouping: killed.compactMap(\.view), by: { $0 }).mapValues(\.count)
        print("""
            \(label): \(batches) batches (\(finals.sorted { $0.key < $1.key }.map { "\($0.key) 0...\($0.value)" }.joined(separator: ", "))), \
            run without kills \(String(format: "%.2f", cleanSeconds)) s; \(killed.count) kills in \(runs.count) runs \
            (\(hooked.count) by the hook), \(resumed) resumed lines checked; by phase: \(phases.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")); \
            by view: \(views.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); \
            total \(String(format: "%.1f", (ContinuousClock.now - began) / .seconds(1))) s
            """)
        for run in runs { print("  \(label): \(run.how): \(run.killed ? "killed in \(run.phase?.rawValue ?? "?") of \(run.view ?? "-") batch \(run.batch.map(String.init) ?? "-")" : run.ending)") }
    }
}
