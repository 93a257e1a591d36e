import Foundation
import Testing

/// Each fault a user can make in a notebook gets one clear message at its place, from the
/// real `cells` binary.
@Suite struct ErrorsTests {
    private func notebook(_ text: String) throws -> String {
        let path = temporaryPath("errors.cells")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `cells run` with `input` on its standard input.
    private func piped(_ arguments: [String], input: Data) throws -> Finished {
        let process = Process()
        process.executableURL = cellsExecutable
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self),
                        stderr: String(decoding: err, as: UTF8.self))
    }

    @Test func invalidUTF8InACommentNamesTheLineColumnAndByte() throws {
        let path = temporaryPath("latin1.cells")
        // "-- café" in Latin-1 on line 2: the é is the byte 0xE9 at column 7.
        var bytes = Array("SHOW SOURCES;\n-- caf".utf8)
        bytes += [0xE9]
        bytes += Array(" au lait\nSHOW STREAMS;\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 2)
        #expect(run.stderr.contains("\(path):2:7: error: invalid UTF-8 (byte 0xE9)"), "\(run.stderr)")
        #expect(run.stderr.contains("hint: notebooks are read as UTF-8"))
        #expect(!run.stderr.contains("Permission denied"))
        #expect(run.stdout.isEmpty, "nothing ran")
    }

    @Test func aMissingNotebookSaysSoAndADirectoryIsNotANotebook() throws {
        let missing = try cells("run", "/nonexistent/x.cells", "--all")
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot open /nonexistent/x.cells: No such file or directory"), "\(missing.stderr)")
        let folder = try cells("run", NSTemporaryDirectory(), "--all")
        #expect(folder.status != 0)
        #expect(folder.stderr.contains("Is a directory"), "\(folder.stderr)")
    }

    @Test func aNotebookReadFromAPipeRunsWhole() throws {
        let input = Data("CREATE SOURCE f USING file OPTIONS ('path' = '/tmp');\nSHOW SOURCES;\n".utf8)
        for arguments in [["run", "-"], ["run", "/dev/stdin", "--all"]] {
            let run = try piped(arguments, input: input)
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
            #expect(run.stdout.contains("source f: file /tmp"), "\(arguments): \(run.stdout)")
            #expect(run.stdout.contains("|f   |file path=/tmp|"), "\(run.stdout)")
        }
        // An error in a piped notebook names standard input as its file.
        let bad = try piped(["run", "-"], input: Data("SHOW SOURCES;\nSELEC 1;\n".utf8))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("<stdin>:2:1: error:"), "\(bad.stderr)")
    }

    @Test func aRuntimeErrorNamesTheStatementThatStartedTheQuery() throws {
        let data = temporaryPath("records.jsonl")
        try "{\"a\": 1}\n{\"a\": \n".write(toFile: data, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let path = try notebook("""
            CREATE SOURCE f USING file OPTIONS ('path' = '\(data)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (a INT) OPTIONS ('mode' = 'FAILFAST');
            CREATE VIEW v AS SELECT a FROM s;
            -- the stream
              START v TRIGGER ONCE;
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 3)
        #expect(run.stderr.contains("\(path):5:3: error: malformed record"), "\(run.stderr)")
    }

    /// Every bad option value: exit 2, at the value's line and column, naming the option,
    /// the value and what is allowed; nothing traps (an empty group.id used to).
    @Test(arguments: [
        ("'connectTimeoutMs' = 'abc'", "'connectTimeoutMs' must be a whole number from 1 to 86400000", "'abc'"),
        ("'connectTimeoutMs' = -5", "'connectTimeoutMs' must be a whole number from 1 to 86400000", "-5"),
        ("'kafkaConsumer.pollTimeoutMs' = '0'", "'kafkaConsumer.pollTimeoutMs' must be a whole number from 1", "'0'"),
        ("'maxOffsetsPerTrigger' = '-1'", "'maxOffsetsPerTrigger' must be a whole number of at least 1", "'-1'"),
        ("'failOnDataLoss' = 'maybe'", "'failOnDataLoss' must be true or false, not 'maybe'", "'maybe'"),
        ("'kafka.group.id' = ''", "'kafka.group.id' must not be empty", "''"),
        ("'startingOffsets' = 'newest'", "'startingOffsets' must be earliest, latest or JSON", "'newest'"),
        ("'startingOffsets' = '{\"t\":{\"x\":1}}'", "'startingOffsets' names partition \"x\" of t", "'{"),
        ("'kafka.fetch.wait.max.ms' = 'soon'", "'kafka.fetch.wait.max.ms': ", "'soon'"),
    ])
    func badKafkaSourceOptionsAreErrorsAtTheValue(option: String, message: String, value: String) throws {
        let line = "CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'subscribe' = 't', \(option));"
        let path = try notebook("-- options\n" + line + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 2, "\(option): status \(run.status), \(run.stderr)")
        let key = String(option.prefix { $0 != "=" }.dropLast())
        let valueColumn = line.distance(from: line.startIndex, to: line.range(of: option)!.lowerBound) + key.count + 4
        #expect(run.stderr.contains("\(path):2:\(valueColumn): error: \(message)"), "\(option):\n\(run.stderr)")
        #expect(line.dropFirst(valueColumn - 1).hasPrefix(value))
    }

    @Test(arguments: [
        ("'subscribe' = ''", "'subscribe' must be a comma-separated list of topic names, not ''"),
        ("'subscribe' = 'a,,b'", "'subscribe' must be a comma-separated list of topic names, not 'a,,b'"),
        ("'subscribePattern' = ' '", "'subscribePattern' must not be empty"),
    ])
    func badSubscriptionsAreErrorsAtTheValue(option: String, message: String) throws {
        let line = "CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', \(option));"
        let path = try notebook(line + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 2)
        let column = line.distance(from: line.startIndex, to: line.range(of: option)!.lowerBound) + option.prefix { $0 != "=" }.count + 3
        #expect(run.stderr.contains("\(path):1:\(column): error: \(message)"), "\(run.stderr)")
    }

    @Test(arguments: [
        ("START v TRIGGER '-5 seconds';", "the trigger interval '-5 seconds' is negative", "TRIGGER"),
        ("START v USING json OPTIONS ('path' = '');", "'path' must not be empty", "''"),
        ("START v USING csv OPTIONS ('path' = '/tmp/cells-errors-out', 'header' = 'yes');", "'header' must be true or false, not 'yes'", "'yes'"),
        ("START v USING csv OPTIONS ('path' = '/tmp/cells-errors-out', 'sep' = '');", "'sep' must be one or more characters", "''"),
        ("START v USING console OPTIONS ('numRows' = 'all');", "'numRows' must be a whole number from 1 to 2147483647 (rows shown per batch), not 'all'", "'all'"),
        ("START v USING console OPTIONS ('truncate' = '-1');", "'truncate' must be true, false or a width from 0 to 1000000, not '-1'", "'-1'"),
        ("START v USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'topic' = '');", "'topic' must not be empty", "''"),
    ])
    func badSinkOptionsAndTriggersAreErrorsAtTheirPlace(statement: String, message: String, at marker: String) throws {
        let data = temporaryPath("records.jsonl")
        try "{\"a\": 1}\n".write(toFile: data, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: data) }
        let path = try notebook("""
            CREATE SOURCE f USING file OPTIONS ('path' = '\(data)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (a INT);
            CREATE VIEW v AS SELECT a FROM s;
            \(statement)
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 2, "\(statement): \(run.stderr)")
        let column = statement.distance(from: statement.startIndex, to: statement.range(of: marker, options: .backwards)!.lowerBound) + 1
        #expect(run.stderr.contains("\(path):4:\(column): error: \(message)"), "\(statement):\n\(run.stderr)")
    }

    @Test func fileSourceOptionsAreCheckedAtTheValue() throws {
        for (option, message) in [("'path' = ''", "'path' must not be empty"),
                                  ("'path' = '/nonexistent/in.jsonl'", "no such file or folder: /nonexistent/in.jsonl"),
                                  ("'path' = '/tmp', 'maxOffsetsPerTrigger' = '1.5'", "'maxOffsetsPerTrigger' must be a whole number of at least 1")] {
            let line = "CREATE SOURCE f USING file OPTIONS (\(option));"
            let path = try notebook(line + "\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = try cells("run", path, "--all")
            #expect(run.status == 2, "\(option): \(run.stderr)")
            #expect(run.stderr.contains(": error: \(message)"), "\(run.stderr)")
            #expect(run.stderr.contains("\(path):1:"), "\(run.stderr)")
        }
    }

    @Test func startingOffsetsForAnUnknownTopicOrPartitionIsAnError() throws {
        let broker = try BrokerChild(topics: ["three:3"])
        defer { broker.stop() }
        for (offsets, message) in [
            (#"{"three":{"0":0,"7":5}}"#, "'startingOffsets' names three/7, but three has partitions 0, 1, 2"),
            (#"{"thre":{"0":0}}"#, "'startingOffsets' names the topic 'thre', which this source does not read"),
        ] {
            let line = "CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(broker.bootstrap)', 'subscribe' = 'three', 'startingOffsets' = '\(offsets)');"
            let path = try notebook(line + "\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = try cells("run", path, "--all")
            #expect(run.status == 2, "\(run.stderr)")
            let column = line.distance(from: line.startIndex, to: line.range(of: "'\(offsets)'")!.lowerBound) + 1
            #expect(run.stderr.contains("\(path):1:\(column): error: \(message)"), "\(run.stderr)")
        }
    }

    @Test func aVeryLongLineIsQuotedAroundTheFaultOnly() throws {
        let padding = String(repeating: "x", count: 20_000)
        let line = "SELECT '\(padding)' AS s FROM t ) WHERE '\(padding)' = 'y';"
        let path = try notebook(line + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 2)
        let lines = run.stderr.components(separatedBy: "\n")
        let head = try #require(lines.firstIndex { $0.contains(": error: ") }, "\(run.stderr.prefix(500))")
        let quoted = lines[head + 1], caret = lines[head + 2]
        #expect(run.stderr.count < 1_000, "\(run.stderr.count) characters printed for a 40 000-character line")
        #expect(quoted.count <= 4 + 122 && caret.count <= quoted.count, "\(quoted.count)")
        #expect(quoted.hasPrefix("    …") && quoted.hasSuffix("…"))
        let at = try #require(caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) })
        #expect(quoted.dropFirst(at).hasPrefix(") WHERE"), "caret under the ')':\n\(quoted)\n\(caret)")
    }

    /// The broker dies while `cells produce` runs: the summary and the error give the same
    /// count of what was lost, and every message is either delivered or counted as failed.
    @Test func produceCountsLostMessagesOnce() throws {
        let broker = try BrokerChild(topics: ["lost"])
        let producer = try Child(cellsExecutable.path, ["produce", "-b", broker.bootstrap, "-t", "lost", "--rate", "5000",
                                                        "--count", "10000", "-X", "message.timeout.ms=1500", "-q"])
        Thread.sleep(forTimeInterval: 1)
        broker.child.signal(SIGKILL)
        _ = broker.child.finish(timeout: .seconds(5))
        let run = producer.finish(timeout: .seconds(60))
        #expect(run.status != 0)
        let summary = try #require(run.stderr.firstMatch(of: /(\d+) delivered, (\d+) failed/), "\(run.stderr)")
        let delivered = Int(summary.1)!, failed = Int(summary.2)!
        #expect(delivered + failed == 10_000, "\(run.stderr)")
        #expect(failed > 0)
        #expect(run.stderr.contains("\(failed) of 10000 records were not delivered"), "\(run.stderr)")
    }
}

/// Numbers on the command line at the edges of what they can mean: each is refused with the
/// option's name and its range (exit 64, the argument parser's), never a trap on converting
/// it to a duration or a count.
@Suite struct CommandLineBoundsTests {
    @Test(arguments: [
        (["run", "x.cells", "--all", "--timeout", "1e308"], "--timeout must be a positive number of seconds"),
        (["run", "x.cells", "--all", "--timeout", "nan"], "--timeout must be a positive number of seconds"),
        (["produce", "--rate", "1e308", "--count", "1", "-o", "/dev/null"], "--rate must be from 0.001 to 1000000000"),
        (["produce", "--rate", "1e-300", "--count", "1", "-o", "/dev/null"], "--rate must be from 0.001 to 1000000000"),
        (["produce", "--connect-timeout", "1e308", "--count", "1"], "--connect-timeout must be more than 0 and at most 86400"),
        (["produce", "--embedded", "--partitions", "100000000", "--count", "1"], "--partitions must be from 1 to 10000"),
        (["broker", "--topic", "t:3000000000"], "partitions must be a positive number, at most 10000"),
    ])
    func refusedWithTheOptionAndItsRange(arguments: [String], message: String) throws {
        let run = try Child(cellsExecutable.path, arguments).finish(timeout: .seconds(20))
        #expect(run.status == 64, "\(arguments): \(run.status) \(run.stderr)")
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        #expect(!run.stderr.contains("Swift runtime failure"))
    }
}
