import Foundation
import Testing
import TransactionGenerator

/// The Kafka sink under a checkpoint, across `kill -9`: a query from one topic of a `cells
/// broker` to another, killed at random moments and at each step of the checkpoint protocol
/// and restarted until it finishes. A reader with `isolation.level=read_committed` (kcat, an
/// independent client) then finds every input record in the output exactly once.
@Suite("Kafka sink exactly-once across crashes", .serialized)
struct CheckpointKafkaSinkCrashTests {
    static let count = 1500

    @Test("every record once in the output topic after 12 kills, read with read_committed by kcat")
    func everyRecordOnceAfterKills() throws {
        try #require(kcatPath != nil, "kcat is not installed (make test installs it)")
        let broker = try BrokerChild(topics: ["cards:3", "copies:3"])
        defer { broker.stop() }
        let messages = try load(seed: 11, count: Self.count, topic: "cards", into: broker)
        let folder = temporaryPath("kafka-sink-crash")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let notebook = folder + "/copy.cells"
        try """
            CREATE SOURCE cards USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(broker.bootstrap)',
              'subscribe' = 'cards', 'startingOffsets' = 'earliest', 'maxOffsetsPerTrigger' = '60');
            CREATE STREAM tx FROM cards FORMAT json SCHEMA (credit_card STRING, value STRING);
            CREATE VIEW copies AS SELECT partition AS p, offset AS o, credit_card, value FROM tx;
            START copies USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(broker.bootstrap)', 'topic' = 'copies');
            """.write(toFile: notebook, atomically: true, encoding: .utf8)
        let arguments = ["run", notebook, "--all", "--trigger", "available-now", "--checkpoint-root", folder + "/chk"]

        // Each step of the protocol once, then kills at random moments (a seeded generator, so
        // a failure replays), then a run to the end.
        var random = CellsRandom(seed: 20261202)
        var runs: [ReapedChild.Ended] = []
        for phase in ["offsets:3", "state:5", "sinks:7", "commit:9"] {
            runs.append(try cellsRun(arguments, environment: ["CELLS_TEST_CRASH_AT": phase]))
            #expect(runs.last?.signal == SIGKILL, "killed at \(phase): \(runs.last?.ending ?? "") \(runs.last?.stderr ?? "")")
        }
        for _ in 0..<8 {
            let child = try ReapedChild(cellsExecutable.path, arguments, environment: [:])
            Thread.sleep(forTimeInterval: 0.2 + Double(random.next() % 900) / 1000)
            child.signal(SIGKILL)
            runs.append(child.finish())
        }
        var last = try cellsRun(arguments, timeout: .seconds(120))
        for _ in 0..<3 where last.exitStatus != 0 { last = try cellsRun(arguments, timeout: .seconds(120)) }
        #expect(last.exitStatus == 0, "\(last.ending): \(last.stderr)")
        #expect(runs.dropFirst().contains { $0.stdout.contains("resumed copies at batch ") }, "restarts say where they resumed")

        let read = try kcat(["-b", broker.bootstrap, "-C", "-t", "copies", "-X", "isolation.level=read_committed", "-e", "-q"])
        let rows = try read.lines.map(fields)
        var seen: [String: Int] = [:]
        for row in rows {
            let key = "\(try #require(row["p"] as? Int)):\(try #require(row["o"] as? Int))"
            seen[key, default: 0] += 1
        }
        #expect(rows.count == Self.count, "rows in the output topic")
        #expect(seen.values.allSatisfy { $0 == 1 }, "duplicated: \(seen.filter { $0.value > 1 }.keys.sorted().prefix(10))")
        let cards = rows.compactMap { $0["credit_card"] as? String }.sorted()
        #expect(cards == messages.compactMap { $0["credit_card"] as? String }.sorted(), "the same records, once each")
    }
}

/// Runs `cells` to its end (a crash included) without Foundation's Process, which can miss
/// the exit of a child that crashed (see ReapedChild).
private func cellsRun(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws -> ReapedChild.Ended {
    try ReapedChild(cellsExecutable.path, arguments, environment: environment).finish(timeout: timeout)
}
