import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Secrets given as options never reach a person's screen or a log: the real `cells` binary
/// is run on notebooks that use them, and every byte it prints is searched.
@Suite(.serialized) struct RedactionTests {
    static let secrets = ["SECRET-XYZ", "KEYPASS-123", "JAAS-TOKEN-9"]

    private func expectNoSecret(_ run: Finished, sourceLocation: SourceLocation = #_sourceLocation) {
        for secret in Self.secrets {
            #expect(!run.stdout.contains(secret), "\(secret) on stdout:\n\(run.stdout)", sourceLocation: sourceLocation)
            #expect(!run.stderr.contains(secret), "\(secret) on stderr:\n\(run.stderr)", sourceLocation: sourceLocation)
        }
    }

    private func write(_ text: String) throws -> String {
        let path = temporaryPath("secrets.cells")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// SHOW SOURCES, DESCRIBE, a stream's progress, librdkafka's configuration dump at
    /// trace level, and a connection error: the secrets show as [redacted] or not at all.
    @Test func showDescribeProgressLogsAndConnectionErrorsNeverShowASecret() throws {
        let broker = try BrokerChild(topics: ["sec"])
        defer { broker.stop() }
        _ = try load(seed: 3, count: 20, topic: "sec", into: broker)
        let path = try write("""
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(broker.bootstrap)', 'subscribe' = 'sec',
              'startingOffsets' = 'earliest', 'kafka.sasl.password' = 'SECRET-XYZ', 'kafka.ssl.key.password' = 'KEYPASS-123',
              'kafka.sasl.oauthbearer.config' = 'JAAS-TOKEN-9', 'kafka.debug' = 'conf,security');
            SHOW SOURCES;
            DESCRIBE k;
            CREATE STREAM s FROM k FORMAT json SCHEMA (nome STRING);
            CREATE VIEW v AS SELECT count(*) AS n FROM s;
            START v TRIGGER ONCE;
            CREATE SOURCE gone USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'connectTimeoutMs' = '1000',
              'subscribe' = 'sec', 'kafka.sasl.password' = 'SECRET-XYZ');
            """)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try Child(cellsExecutable.path, ["run", path, "--all"], environment: ["CELLS_LOG_LEVEL": "trace"])
            .finish(timeout: .seconds(60))
        #expect(run.status == 3, "\(run.stderr)")
        expectNoSecret(run)
        // The options are there, hidden: SHOW SOURCES' row and DESCRIBE's lines.
        #expect(run.stdout.contains("kafka.sasl.password=[redacted]"), "\(run.stdout)")
        #expect(run.stdout.contains("kafka.ssl.key.password=[redacted]"))
        #expect(run.stdout.contains("  kafka.sasl.oauthbearer.config = [redacted]"))
        #expect(run.stdout.contains("  subscribe = sec"), "what is not secret still shows")
        #expect(run.stdout.contains("|20 |") || run.stdout.contains("| 20|"), "the stream ran: \(run.stdout)")
        // librdkafka's own dump of the configuration was logged (trace level), without values.
        #expect(run.stderr.contains("sasl.password = [redacted]"), "\(run.stderr.suffix(3000))")
        // The runtime error names the statement that failed.
        #expect(run.stderr.contains("\(path):9:1: error: cannot reach Kafka at 127.0.0.1:1"), "\(run.stderr.suffix(2000))")
    }

    /// A statement that does not parse, on the line holding the secret: the quoted line shows
    /// [redacted], and the caret still points at the fault.
    @Test func theQuotedLineOfAFailingStatementHidesTheSecret() throws {
        let line = "CREATE SOURCE k USING file OPTIONS ('path' = '/tmp', 'kafka.sasl.password' = 'SECRET-XYZ' 'maxOffsetsPerTrigger' = '5');"
        let path = try write("-- a notebook\n" + line + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try cells("run", path, "--all")
        #expect(run.status == 2)
        expectNoSecret(run)
        let lines = run.stderr.components(separatedBy: "\n")
        let column = line.distance(from: line.startIndex, to: line.range(of: "'maxOffsetsPerTrigger'")!.lowerBound) + 1
        let head = try #require(lines.firstIndex { $0.hasPrefix("\(path):2:\(column): error: expected ',' or ')'") }, "\(run.stderr)")
        let quoted = lines[head + 1], caret = lines[head + 2]
        #expect(quoted.contains("'kafka.sasl.password' = '[redacted]' 'maxOffsetsPerTrigger'"), "\(quoted)")
        let caretAt = try #require(caret.firstIndex(of: "^").map { caret.distance(from: caret.startIndex, to: $0) })
        #expect(quoted.dropFirst(caretAt).hasPrefix("'maxOffsetsPerTrigger'"), "caret under the fault:\n\(quoted)\n\(caret)")
    }

    /// An unterminated secret string, and a bad option value on the secret's line.
    @Test func badValuesAndUnterminatedSecretsOnTheLineStayHidden() throws {
        for line in [
            "CREATE SOURCE k USING file OPTIONS ('kafka.sasl.password' = 'SECRET-XYZ', 'path' = '/tmp', 'maxOffsetsPerTrigger' = 'abc');",
            "CREATE SOURCE k USING file OPTIONS ('path' = '/tmp', 'kafka.sasl.password' = 'SECRET-XYZ);",
            "CREATE SOURCE k USING file OPTIONS ('path' = '/tmp', kafka.ssl.key.password = 'KEYPASS-123', 'x' = );",
        ] {
            let path = try write(line + "\n")
            defer { try? FileManager.default.removeItem(atPath: path) }
            let run = try cells("run", path, "--all")
            #expect(run.status == 2, "\(line): \(run.stderr)")
            expectNoSecret(run)
            #expect(run.stderr.contains("[redacted]"), "\(run.stderr)")
        }
    }

    /// The shell's history can hold typed passwords: the file is the owner's alone, whether
    /// it existed before (with a looser mode) or not.
    @Test func historyFileIsMode0600() throws {
        let home = temporaryPath("home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: home) }
        let notebook = try write("SHOW SOURCES;\n")
        defer { try? FileManager.default.removeItem(atPath: notebook) }
        for existing in [false, true] {
            let history = "\(home)/.cells_history"
            if existing {
                try "SHOW STREAMS;\n".write(toFile: history, atomically: false, encoding: .utf8)
                #expect(chmod(history, 0o644) == 0)
            } else {
                try? FileManager.default.removeItem(atPath: history)
            }
            let term = try PseudoTerminal(cellsExecutable.path, [notebook], environment: ["HOME": home])
            #expect(term.wait(for: "> "))
            // Restricted as the shell starts, not only when the first line is saved (libedit
            // does that much): a shell left at its prompt keeps no world-readable history.
            var before = stat()
            #expect(stat(history, &before) == 0, "the history file exists once the shell is up")
            #expect(before.st_mode & 0o777 == 0o600, "mode at the prompt \(String(before.st_mode & 0o777, radix: 8)) (existing: \(existing))")
            term.type("SHOW VIEWS;\r")
            #expect(term.wait(for: "definition"))
            term.type(":quit\r")
            #expect(term.exitStatus() == 0)
            var info = stat()
            #expect(stat(history, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600, "mode \(String(info.st_mode & 0o777, radix: 8)) (existing: \(existing))")
            // libedit writes spaces as \040.
            #expect(try String(contentsOfFile: history, encoding: .utf8).contains("VIEWS;"))
        }
    }
}
