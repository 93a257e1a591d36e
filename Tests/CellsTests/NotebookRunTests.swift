import Foundation
import Testing

/// `cells run NOTEBOOK --all` on the repository's notebooks, as a user runs them: a `cells broker`
/// child, seeded messages loaded with `cells produce`, the notebook run to the end of what is
/// there, and its printed results compared with values computed here from the same messages
/// (`cells produce ... --output -` with the same seed and count), independently of the engine.
/// Then the exit statuses and messages of the ways a run goes wrong.
///
/// Serialized: several tests time the process, and the machine may be busy building.
@Suite(.serialized) struct NotebookRunTests {
    // MARK: The notebooks' results

    @Test func workNotebookPrintsTheAveragePerCaptureChannel() throws {
        let broker = try BrokerChild()
        defer { broker.stop() }
        let messages = try load(schema: "seed", seed: 2024, count: 3_000, topic: "streaming_cartao", into: broker)

        // Independently: Foundation's JSON, Swift's Float parsing (the notebook casts to FLOAT), plain sums.
        let averages = try averageValuePerCapture(messages)

        let run = try runNotebook("work.cells", "--trigger", "available-now", bootstrap: broker.bootstrap)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("batch 0: 3000 rows"), "every message was read")
        let batches = consoleBatches(run.stdout)
        let table = try #require(batches.first)
        #expect(table.header == ["captura", "avg(valor)"])
        #expect(Set(table.rows.map { $0[0] }) == Set(averages.keys))
        #expect(averages.count == 3, "Gateway, POS and TEF all occur in 3000 messages")
        for row in table.rows {
            let average = try #require(Double(row[1]), "not a number: \(row[1])")
            let expected = try #require(averages[row[0]])
            // Only the order of the additions differs: a few ulps of the sum.
            #expect(abs(average - expected) <= 1e-11 * abs(expected), "\(row[0]): printed \(average), computed \(expected)")
        }
        // The last cell starts the view again as bars: one per channel, its value (to two
        // decimals) at its end.
        let chart = try #require(run.stdout.components(separatedBy: "avg(valor) per captura\n").dropFirst().last, "no bar chart printed")
        for (channel, expected) in averages {
            let bar = try #require(chart.split(separator: "\n").first { $0.hasPrefix(channel + " ") }, "no bar for \(channel)")
            let printed = try #require(Double(bar.split(separator: " ").last ?? ""), "no value at the end of \(bar)")
            #expect(abs(printed - expected) <= 0.005 + 1e-9 * abs(expected), "\(channel): drew \(printed), computed \(expected)")
        }
    }

    @Test func windowsNotebookPrintsCountAndTotalPerMinuteAndBrand() throws {
        let broker = try BrokerChild(topics: ["transactions"])
        defer { broker.stop() }
        let messages = try load(schema: "extended", seed: 7, count: 10_000, topic: "transactions", into: broker)

        let times = UTCTimes()
        // Independently: one-minute windows by integer arithmetic on the ISO-8601 event time.
        struct Totals { var count = 0; var total = 0.0 }
        var expected: [WindowKey: Totals] = [:]
        for object in messages {
            let millis = try times.eventMillis(try #require(object["event_time"] as? String))
            let start = floorDiv(millis, 60_000) * 60_000
            let key = WindowKey(start: times.text(start), group: try #require(object["card_brand"] as? String))
            expected[key, default: Totals()].count += 1
            expected[key]!.total += try #require((object["amount"] as? NSNumber)?.doubleValue)
        }

        let run = try runNotebook("windows.cells", "--trigger", "available-now", bootstrap: broker.bootstrap,
                                  environment: ["CELLS_TOPIC": "transactions"])
        #expect(run.status == 0, "\(run.stderr)")
        // All of it in the first batch: Spark's first batch has no watermark yet, so no row is
        // late and the computation above needs no lateness rule.
        #expect(run.stdout.contains("batch 0: 10000 rows"), "every message was read in the first batch")
        #expect(!run.stdout.contains("late rows dropped"))
        #expect(!run.stdout.contains("only showing top"), "every changed row was printed")

        // Update mode prints the rows a batch changed: the last printed row of a key is its value.
        var printed: [WindowKey: [String]] = [:]
        let batches = consoleBatches(run.stdout)
        #expect(batches.count >= 1)
        for batch in batches {
            #expect(batch.header == ["window_start", "window_end", "brand", "transactions", "total"])
            for row in batch.rows { printed[WindowKey(start: row[0], group: row[2])] = row }
        }
        #expect(Set(printed.keys) == Set(expected.keys))
        #expect(expected.count >= 15, "about three minutes of five brands: \(expected.count) windows")
        for (key, row) in printed {
            guard let want = expected[key] else { continue }
            #expect(row[1] == times.text(try times.millis(key.start) + 60_000), "window end of \(key)")
            #expect(Int(row[3]) == want.count, "count of \(key)")
            let total = try #require(Double(row[4]), "not a number: \(row[4])")
            #expect(abs(total - want.total) <= 1e-11 * max(1, abs(want.total)), "total of \(key): printed \(total), computed \(want.total)")
        }
    }

    @Test func alertsNotebookSendsEveryCardWithMoreThanTwoDeclinesInAMinuteToKafka() throws {
        // Only the input topic: the alerts topic is created by the sink's first write.
        let broker = try BrokerChild(topics: ["transactions"])
        defer { broker.stop() }
        let messages = try load(schema: "extended", seed: 42, count: 40_000, topic: "transactions", into: broker)

        let times = UTCTimes()
        // Independently: sliding windows of 60 s every 30 s; an event at t is in the windows
        // starting at the two multiples of 30 s in (t - 60 s, t].
        var declined: [WindowKey: Int] = [:]
        for object in messages where object["status"] as? String == "declined" {
            let millis = try times.eventMillis(try #require(object["event_time"] as? String))
            let last = floorDiv(millis, 30_000) * 30_000
            let card = try #require(object["card_number"] as? String)
            for start in [last - 30_000, last] {
                declined[WindowKey(start: times.text(start), group: card), default: 0] += 1
            }
        }
        let alerts = declined.filter { $0.value > 2 }
        try #require(alerts.count >= 2, "seed 42 and 40,000 messages were chosen to give alerts")
        #expect(messages.filter { $0["status"] as? String == "declined" }.count > 1_500, "about 5 % declined")

        let run = try runNotebook("alerts.cells", "--trigger", "available-now", bootstrap: broker.bootstrap,
                                  environment: ["CELLS_TOPIC": "transactions"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("batch 0: 40000 rows"), "every message was read in the first batch")

        let read = try kcat(["-b", broker.bootstrap, "-C", "-t", "alerts", "-o", "beginning", "-e", "-q", "-f", "%k\t%s\n"])
        #expect(read.status == 0, "\(read.stderr)")
        // Update mode may send a window again as declines follow; the last record of a card
        // and window holds its final count (one key, one partition: in order).
        var sent: [WindowKey: Int] = [:]
        for line in read.lines {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            try #require(parts.count == 2, "no key in \(line)")
            let record = try fields(parts[1])
            let card = try #require(record["card_number"] as? String)
            #expect(parts[0] == card, "keyed by card number")
            // Spark's JSON writer format, `2024-01-01T00:01:00.000Z`, back to the printed form.
            let start = times.text(try times.sinkMillis(try #require(record["window_start"] as? String)))
            let end = times.text(try times.sinkMillis(try #require(record["window_end"] as? String)))
            #expect(try times.millis(end) == times.millis(start) + 60_000)
            #expect(record["customer_name"] is String)
            sent[WindowKey(start: start, group: card)] = try #require((record["declined"] as? NSNumber)?.intValue)
        }
        #expect(sent == alerts, "alerts sent \(sent.sorted { $0.key.description < $1.key.description }) vs computed \(alerts.sorted { $0.key.description < $1.key.description })")
    }

    // MARK: Exit statuses

    @Test func syntaxErrorExitsTwoPointingAtItsLineAndColumnWithACaret() throws {
        // No broker: the whole notebook is parsed before any cell connects.
        let (path, line, column) = try notebookVariant(replacing: "FROM transacoes GROUP BY", with: "FROM transacoes WHERE GROUP BY", at: "GROUP BY")
        defer { try? FileManager.default.removeItem(atPath: path) }

        let run = try runNotebook(path, bootstrap: "127.0.0.1:1")
        #expect(run.status == 2)
        try expectDiagnostic(run.stderr, path: path, line: line, column: column,
                             message: "error: expected an expression but found 'GROUP'")
        #expect(!run.stdout.contains("source cartoes:"), "no cell ran before the notebook was known to parse")
        #expect(!run.stderr.contains("cannot reach Kafka"))
    }

    @Test func unknownColumnExitsTwoWithTheSuggestion() throws {
        let broker = try BrokerChild()
        defer { broker.stop() }
        let (path, line, column) = try notebookVariant(replacing: "GROUP BY formato_captura;", with: "GROUP BY formato_capture;", at: "formato_capture;")
        defer { try? FileManager.default.removeItem(atPath: path) }

        let run = try runNotebook(path, bootstrap: broker.bootstrap)
        #expect(run.status == 2)
        try expectDiagnostic(run.stderr, path: path, line: line, column: column, message: "error: unknown column 'formato_capture'")
        #expect(run.stderr.contains("hint: did you mean 'formato_captura'?"))
    }

    @Test func unreachableBrokerExitsThreeWithinTheConnectTimeout() throws {
        // work.cells with the source's connectTimeoutMs lowered from its default 10 s to 2 s.
        let (path, _, _) = try notebookVariant(replacing: "'startingOffsets' = 'earliest');",
                                               with: "'startingOffsets' = 'earliest', 'connectTimeoutMs' = '2000');", at: "'connectTimeoutMs'")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let began = ContinuousClock.now
        let run = try runNotebook(path, bootstrap: "127.0.0.1:1")
        let elapsed = ContinuousClock.now - began
        #expect(run.status == 3)
        #expect(run.stderr.contains("cannot reach Kafka at 127.0.0.1:1"), "\(run.stderr)")
        #expect(run.stderr.contains("hint: start a broker (`cells broker`)"))
        #expect(elapsed >= .seconds(1.5) && elapsed < .seconds(8), "gave up after \(elapsed), connectTimeoutMs 2000")
    }

    @Test func missingTopicExitsThreeNamingTheTopicsThere() throws {
        let broker = try BrokerChild(topics: ["other"])
        defer { broker.stop() }
        let run = try runNotebook("work.cells", "--trigger", "available-now", bootstrap: broker.bootstrap)
        #expect(run.status == 3)
        #expect(run.stderr.contains("topic 'streaming_cartao' does not exist on \(broker.bootstrap)"), "\(run.stderr)")
        #expect(run.stderr.contains("topics there: other"))
    }

    @Test func failFastOnAMalformedMessageExitsThreeNamingTopicPartitionAndOffset() throws {
        let broker = try BrokerChild()
        defer { broker.stop() }
        _ = try load(schema: "seed", seed: 5, count: 200, topic: "streaming_cartao", into: broker)
        let input = temporaryPath("malformed")
        defer { try? FileManager.default.removeItem(atPath: input) }
        try #"{"name": "broken", "value": "#.write(toFile: input, atomically: true, encoding: .utf8)
        #expect(try kcat(["-b", broker.bootstrap, "-P", "-t", "streaming_cartao", "-p", "2", "-l", input]).status == 0)
        let partition = try kcat(["-b", broker.bootstrap, "-C", "-t", "streaming_cartao", "-p", "2", "-o", "beginning",
                                  "-e", "-q", "-f", "%o %s\n"])
        let offset = try #require(partition.lines.first { $0.contains("broken") }?.split(separator: " ").first).description

        let (path, _, _) = try notebookVariant(replacing: "formato_captura STRING);",
                                               with: "formato_captura STRING)\n  OPTIONS ('mode' = 'FAILFAST');", at: "'FAILFAST'")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try runNotebook(path, "--trigger", "available-now", bootstrap: broker.bootstrap)
        #expect(run.status == 3)
        #expect(run.stderr.contains("malformed record in stream transacoes at streaming_cartao/2 offset \(offset)"), "\(run.stderr)")
        #expect(!run.stdout.contains("Batch: 0"), "no result from a batch that failed")

        // The notebook as it is (PERMISSIVE, Spark's default) goes on past the same message.
        let permissive = try runNotebook("work.cells", "--trigger", "available-now", bootstrap: broker.bootstrap)
        #expect(permissive.status == 0, "\(permissive.stderr)")
        #expect(permissive.stdout.contains("batch 0: 201 rows"))
    }

    @Test func batchesOneStopsAProcessingTimeStreamAfterItsFirstBatch() throws {
        let broker = try BrokerChild()
        defer { broker.stop() }
        _ = try load(schema: "seed", seed: 9, count: 300, topic: "streaming_cartao", into: broker)
        let began = ContinuousClock.now
        let run = try runNotebook("work.cells", "--batches", "1", bootstrap: broker.bootstrap)
        let elapsed = ContinuousClock.now - began
        #expect(run.status == 0, "\(run.stderr)")
        // The notebook's two streams (its table, then its chart) each printed one batch.
        #expect(run.stdout.components(separatedBy: "Batch: ").count == 2, "exactly one table printed")
        #expect(run.stdout.components(separatedBy: "avg(valor) per captura").count == 2, "exactly one chart printed")
        #expect(run.stdout.contains("batch 0: 300 rows"))
        #expect(consoleBatches(run.stdout).first?.rows.count == 3)
        #expect(elapsed < .seconds(5), "did not wait for the next trigger (5 s): \(elapsed)")
    }

    @Test func timeoutStopsAStreamAfterAboutThatManySeconds() throws {
        let broker = try BrokerChild()
        defer { broker.stop() }
        _ = try load(schema: "seed", seed: 9, count: 300, topic: "streaming_cartao", into: broker)
        let began = ContinuousClock.now
        let run = try runNotebook("work.cells", "--timeout", "2", bootstrap: broker.bootstrap)
        let elapsed = ContinuousClock.now - began
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("batch 0: 300 rows"))
        // The trigger is 5 s, so each of the notebook's two streams (its table, then its chart)
        // printed its first batch and was then waiting, for 2 s each.
        #expect(run.stdout.components(separatedBy: "Batch: ").count == 2)
        #expect(run.stdout.components(separatedBy: "avg(valor) per captura").count == 2)
        #expect(elapsed >= .seconds(3.8) && elapsed < .seconds(6.5), "ran for \(elapsed)")
    }
}

// MARK: Helpers of these tests

/// Runs `cells run NOTEBOOK --all ARGUMENTS` with KAFKA_BOOTSTRAP set; a bare name is one of
/// the repository's notebooks.
private func runNotebook(_ notebook: String, _ arguments: String..., bootstrap: String,
                         environment: [String: String] = [:]) throws -> Finished {
    let path = notebook.contains("/") ? notebook : notebookPath(notebook)
    let child = try Child(cellsExecutable.path, ["run", path, "--all"] + arguments,
                          environment: environment.merging(["KAFKA_BOOTSTRAP": bootstrap]) { $1 })
    return child.finish(timeout: .seconds(120))
}

/// One table the console sink printed: its header and rows, cells trimmed.
private struct ConsoleBatch {
    var header: [String]
    var rows: [[String]]
}

/// The `Batch: N` tables in `output`, in order.
private func consoleBatches(_ output: String) -> [ConsoleBatch] {
    var batches: [ConsoleBatch] = []
    for chunk in output.components(separatedBy: "\nBatch: ").dropFirst() {
        let cells = chunk.split(separator: "\n").filter { $0.hasPrefix("|") }.map { line in
            line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        guard let header = cells.first else { continue }
        batches.append(ConsoleBatch(header: header, rows: Array(cells.dropFirst())))
    }
    return batches
}

/// A window (its start as the engine prints timestamps) and what it is grouped by with.
private struct WindowKey: Hashable, CustomStringConvertible {
    var start: String
    var group: String
    var description: String { "\(start) \(group)" }
}

/// Event times in and timestamps out, by Foundation (UTC), independently of the engine's own
/// time code. One per test: formatters are slow to make and not Sendable.
private final class UTCTimes {
    private let iso = UTCTimes.formatter("yyyy-MM-dd'T'HH:mm:ss")
    private let printed = UTCTimes.formatter("yyyy-MM-dd HH:mm:ss")

    private static func formatter(_ format: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")!
        formatter.dateFormat = format
        return formatter
    }

    /// `2024-01-01T00:01:02.345Z` as Unix milliseconds, exactly (whole seconds from Foundation,
    /// milliseconds from the digits: no floating point near window boundaries).
    func eventMillis(_ text: String) throws -> Int64 {
        let date = try #require(iso.date(from: String(text.prefix(19))), "not an event time: \(text)")
        let fraction = text.dropFirst(20).prefix { $0.isNumber }
        let millis = try #require(Int64(fraction.padding(toLength: 3, withPad: "0", startingAt: 0).prefix(3)))
        return Int64(date.timeIntervalSince1970.rounded()) * 1000 + millis
    }

    /// Unix milliseconds as the engine prints a whole-second timestamp: `2024-01-01 00:01:00`.
    func text(_ millis: Int64) -> String {
        printed.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// A timestamp as the JSON sinks write it (`2024-01-01T00:01:00.000Z`) as Unix milliseconds.
    func sinkMillis(_ text: String) throws -> Int64 {
        #expect(text.hasSuffix("Z") && text.count == 24, "not Spark's JSON timestamp format: \(text)")
        return try eventMillis(text)
    }

    /// A printed timestamp as Unix milliseconds.
    func millis(_ text: String) throws -> Int64 {
        Int64(try #require(printed.date(from: text), "not a timestamp: \(text)").timeIntervalSince1970.rounded()) * 1000
    }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    a >= 0 ? a / b : -((-a + b - 1) / b)
}

/// A copy of work.cells with `old` replaced by `new`, and the 1-based line and column of
/// `marker` in the copy (where an error about the change points).
private func notebookVariant(replacing old: String, with new: String, at marker: String) throws -> (path: String, line: Int, column: Int) {
    let original = try String(contentsOfFile: notebookPath("work.cells"), encoding: .utf8)
    try #require(original.components(separatedBy: old).count == 2, "work.cells holds '\(old)' once")
    let text = original.replacingOccurrences(of: old, with: new)
    let lines = text.components(separatedBy: "\n")
    let index = try #require(lines.firstIndex { $0.contains(marker) })
    let column = lines[index].distance(from: lines[index].startIndex, to: lines[index].range(of: marker)!.lowerBound) + 1
    let path = temporaryPath("variant.cells")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return (path, index + 1, column)
}

/// Checks a compiler-style diagnostic: `path:line:col: message`, the line quoted, and a caret
/// under the column.
private func expectDiagnostic(_ stderr: String, path: String, line: Int, column: Int, message: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws {
    let lines = stderr.components(separatedBy: "\n")
    let head = "\(path):\(line):\(column): \(message)"
    let at = try #require(lines.firstIndex(of: head), "no '\(head)' in:\n\(stderr)", sourceLocation: sourceLocation)
    let notebook = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
    try #require(lines.count > at + 2, sourceLocation: sourceLocation)
    let quoted = lines[at + 1], caret = lines[at + 2]
    #expect(quoted.trimmingCharacters(in: .whitespaces) == notebook[line - 1].trimmingCharacters(in: .whitespaces),
            "quotes line \(line)", sourceLocation: sourceLocation)
    // The quote is indented; the caret sits under the column in the quoted line.
    let indent = quoted.prefix { $0 == " " }.count - notebook[line - 1].prefix { $0 == " " }.count
    let caretColumn = caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) - indent + 1 }
    #expect(caretColumn == column, "caret under column \(column): \n\(quoted)\n\(caret)", sourceLocation: sourceLocation)
}
