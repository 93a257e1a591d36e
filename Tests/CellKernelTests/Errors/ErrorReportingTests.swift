import Foundation
import KafkaBridge
import Testing
@testable import CellKernel

/// The one rule for secrets, and how errors quote the text they point into.
@Suite struct RedactionRuleTests {
    @Test func secretNamesAndNot() {
        let secret = [
            "kafka.sasl.password", "KAFKA.SASL.PASSWORD", "sasl.password", "ssl.key.password", "kafka.ssl.key.password",
            "ssl.keystore.password", "ssl.keystore.location", "ssl.key.pem", "kafka.ssl.key.location", "ssl_key",
            "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config", "kafka.sasl.jaas.config", "sasl.jaas.config",
            "api.key", "apiKey", "API_KEY", "aws.access.key.id", "private_key", "auth.token", "refreshToken", "db.passwd",
            "cloud.credentials",
        ]
        let plain = [
            "key", "KEY", "kafka.key.serializer", "key.deserializer", "kafka.bootstrap.servers", "subscribe",
            "startingOffsets", "kafka.sasl.username", "kafka.sasl.mechanism", "kafka.security.protocol",
            "ssl.ca.location", "ssl.certificate.location", "kafka.group.id", "path", "topic", "keyColumn",
        ]
        for name in secret { #expect(Redaction.isSecret(name), "\(name)") }
        for name in plain { #expect(!Redaction.isSecret(name), "\(name)") }
        #expect(Redaction.shown("kafka.sasl.password", "hunter22") == "[redacted]")
        #expect(Redaction.shown("subscribe", "t") == "t")
    }

    @Test func scrubbingReplacesEveryOccurrenceLongestFirst() {
        let secrets = Redaction.secretValues(of: [(key: "a.password", value: "abcd"), (key: "b.secret", value: "abcdef"),
                                                  (key: "subscribe", value: "plain"), (key: "c.token", value: "ab")])
        #expect(secrets == ["abcdef", "abcd"], "short values are not scrubbed from free text")
        #expect(Redaction.scrub("x abcdef y abcd z", secrets: secrets) == "x [redacted] y [redacted] z")
        #expect(Redaction.scrub("nothing here", secrets: []) == "nothing here")
    }

    @Test func aQuotedLineHidesSecretLiteralsAndKeepsTheCaret() {
        let source = "-- x\nCREATE SOURCE s USING kafka OPTIONS (kafka.sasl.password = 'p@ss-123', 'subscribe' = 't' 'x' = 1);"
        let line2 = String(source.split(separator: "\n")[1])
        let fault = line2.distance(from: line2.startIndex, to: line2.range(of: "'x'")!.lowerBound) + 1
        let error = SQLError("expected ',' or ')' but found the string 'x'", at: SourceLocation(line: 2, column: fault, offset: 0))
        let text = error.rendered(source: source, file: "n.cells")
        let lines = text.components(separatedBy: "\n")
        #expect(lines[0] == "n.cells:2:\(fault): error: expected ',' or ')' but found the string 'x'")
        #expect(lines[1] == "    CREATE SOURCE s USING kafka OPTIONS (kafka.sasl.password = '[redacted]', 'subscribe' = 't' 'x' = 1);")
        #expect(!text.contains("p@ss-123"))
        let caret = lines[2].distance(from: lines[2].startIndex, to: lines[2].firstIndex(of: "^")!)
        #expect(lines[1].dropFirst(caret).hasPrefix("'x'"))
    }

    @Test func aMessageNamingTheSecretTokenIsScrubbed() {
        let source = "CREATE SOURCE s USING kafka OPTIONS ('kafka.ssl.key.password' = 'KEYPASS-123' 'x');"
        let at = source.distance(from: source.startIndex, to: source.range(of: "'x'")!.lowerBound)
        let error = SQLError("something about 'KEYPASS-123'", at: SourceLocation(line: 1, column: at + 1, offset: at),
                             hint: "not 'KEYPASS-123'")
        let text = error.rendered(source: source)
        #expect(!text.contains("KEYPASS-123"), "\(text)")
        #expect(text.contains("something about [redacted]"))
        #expect(text.contains("hint: not [redacted]"))
    }

    @Test func longLinesAreQuotedAroundTheFault() {
        let line = String(repeating: "a", count: 5_000) + " ) " + String(repeating: "b", count: 5_000)
        let column = 5_002
        let error = SQLError("boom", at: SourceLocation(line: 1, column: column, offset: column - 1))
        let lines = error.rendered(source: line).components(separatedBy: "\n")
        #expect(lines[1].count == 4 + 1 + SQLError.quotedLineWidth + 1)
        let caret = lines[2].distance(from: lines[2].startIndex, to: lines[2].firstIndex(of: "^")!)
        #expect(lines[1].dropFirst(caret).hasPrefix(") b"))
        // Short lines are quoted whole, as before.
        let short = SQLError("boom", at: SourceLocation(line: 1, column: 3, offset: 2)).rendered(source: "ab)cd")
        #expect(short == "1:3: error: boom\n    ab)cd\n      ^")
        // A fault near the start of a long line: no cut before it.
        let early = SQLError("boom", at: SourceLocation(line: 1, column: 2, offset: 1)).rendered(source: line)
        #expect(early.components(separatedBy: "\n")[1].hasPrefix("    aaaa") && early.hasSuffix("\n     ^"))
    }
}

@Suite struct NotebookEncodingTests {
    @Test func validUTF8AndABOMDecode() throws {
        #expect(try Notebook.decode(Array("SELECT 'café' FROM t;".utf8)) == "SELECT 'café' FROM t;")
        #expect(try Notebook.decode([0xEF, 0xBB, 0xBF] + Array("SHOW SOURCES;".utf8)) == "SHOW SOURCES;")
    }

    @Test(arguments: [
        ([UInt8]("ab\n-- c".utf8) + [0xE9] + [UInt8](" d".utf8), 2, 5, "0xE9"),  // Latin-1 é
        ([UInt8]("x".utf8) + [0xC0, 0xAF], 1, 2, "0xC0"),                          // overlong '/'
        ([UInt8]("x".utf8) + [0xED, 0xA0, 0x80], 1, 2, "0xED"),                    // a surrogate
        ([UInt8]("x".utf8) + [0xF4, 0x90, 0x80, 0x80], 1, 2, "0xF4"),              // past U+10FFFF
        ([UInt8]("é\n\nzz".utf8) + [0xE2, 0x82], 3, 3, "0xE2"),                   // cut short at the end
        ([UInt8]("a".utf8) + [0x80], 1, 2, "0x80"),                                 // a lone continuation
    ])
    func invalidUTF8IsAnErrorAtTheByte(bytes: [UInt8], line: Int, column: Int, byte: String) {
        let error = #expect(throws: SQLError.self) { try Notebook.decode(bytes) }
        #expect(error?.message == "invalid UTF-8 (byte \(byte))")
        #expect(error?.location.line == line)
        #expect(error?.location.column == column)
    }
}

/// Spark reads bare NaN and Infinity as numbers (Jackson's allowNonNumericNumbers, on by
/// default in Spark's JSON options).
@Suite struct JSONNonNumericTests {
    @Test func bareNonNumericNumbersAreDoubles() {
        let cases: [(String, Double)] = [("NaN", .nan), ("Infinity", .infinity), ("+Infinity", .infinity),
                                         ("-Infinity", -.infinity), ("+INF", .infinity), ("-INF", -.infinity)]
        for (text, value) in cases {
            #expect(jsonField(text, as: .double) == (.double(value), .ok), "\(text)")
            #expect(jsonField(text, as: .float) == (.double(Double(Float(value))), .ok), "\(text)")
            #expect(jsonField(text, as: .string) == (.text(text), .ok), "\(text)")
            // Not an integer: an INT field is NULL and the record malformed, naming the field.
            let int = jsonField(text, as: .int)
            #expect(int.cell == .null && int.outcome.malformation?.field == "v", "\(text)")
            let decimal = jsonField(text, as: .decimal(precision: 10, scale: 2))
            #expect(decimal.cell == .null && decimal.outcome.malformation?.field == "v", "\(text)")
            // Skipped, and inside arrays and objects, it is a value like any other.
            let skipped = jsonDecode("{\"x\": \(text), \"y\": [1, \(text), {\"z\": \(text)}], \"w\": 2}", [.init(name: "w", type: .int)])
            #expect(skipped == ([.int(2)], .ok), "\(text)")
        }
        // Next to other fields, in a real document.
        let r = jsonDecode(#"{"a": -Infinity, "b": 1.5, "c": NaN}"#, [.init(name: "a", type: .double), .init(name: "b", type: .double),
                                                                      .init(name: "c", type: .double)])
        #expect(r == ([.double(-.infinity), .double(1.5), .double(.nan)], .ok))
    }

    @Test func otherSpellingsStayMalformed() {
        for text in ["nan", "Inf", "INF", "+inf", "-NaN", "infinity", "NaNa", "Infinit", "+", "-I"] {
            let r = jsonField(text, as: .double)
            #expect(r.cell == .null && r.outcome.isMalformed, "\(text)")
        }
    }

    @Test func anEmptyDocumentIsARowOfNullsNotMalformed() {
        let r = jsonDecode(bytes: [], [.init(name: "a", type: .int), .init(name: "b", type: .string)])
        #expect(r == ([.null, .null], .ok))
        // Blank text too: Jackson finds no first token in it, so from_json gives NULL.
        #expect(jsonDecode(" \n\t\r ", [.init(name: "a", type: .int)]) == ([.null], .ok))
        #expect(jsonDecode(" x", [.init(name: "a", type: .int)]).outcome.isMalformed)
    }
}

/// Kafka records and option values through a session, on the embedded broker.
@Suite struct KafkaErrorReportingTests {
    @Test func anEmptyKafkaValueIsARowOfNullsInEveryMode() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("e", partitions: 1)
        try send([Array(#"{"k":"a","n":1}"#.utf8), [], nil, Array(#"{"k":"b","n":2}"#.utf8), Array(" \n".utf8)],
                 to: "e", on: cluster.bootstrapServers)
        for mode in ["PERMISSIVE", "FAILFAST", "DROPMALFORMED"] {
            let session = CellSession(output: { _ in })
            try session.run(script: """
                CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'e', 'startingOffsets' = 'earliest');
                CREATE STREAM j FROM s FORMAT json SCHEMA (k STRING, n INT) OPTIONS ('mode' = '\(mode)');
                CREATE VIEW v AS SELECT k, n, offset FROM j;
                """)
            let query = try session.prepare(start: "START v")
            let progress = try #require(try query.runBatch())
            #expect(progress.numInputRows == 5, "\(mode)")
            #expect(progress.numMalformed == 0, "\(mode)")
            let rows = try #require(session.table("v")).sortedRows
            #expect(rows == [["NULL", "NULL", "1"], ["NULL", "NULL", "2"], ["NULL", "NULL", "4"], ["a", "1", "0"], ["b", "2", "3"]], "\(mode)")
            query.stop()
        }
    }

    @Test func anEmptyGroupIdIsAnErrorNotATrap() throws {
        let session = CellSession(output: { _ in })
        let script = "CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'subscribe' = 't', 'kafka.group.id' = '');"
        let column = script.distance(from: script.startIndex, to: script.range(of: "'')")!.lowerBound) + 1
        let error = #expect(throws: CellError.self) { try session.run(script: script, file: "g.cells") }
        #expect(error?.message.hasPrefix("g.cells:1:\(column): error: 'kafka.group.id' must not be empty") == true, "\(String(describing: error))")
        guard case .sql? = error?.kind else { Issue.record("a statement error, exit 2"); return }
    }

    @Test func runtimeErrorsNameTheStatement() throws {
        let session = CellSession(output: { _ in })
        let error = #expect(throws: CellError.self) {
            try session.run(script: "SHOW SOURCES;\n  CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'subscribe' = 't', 'connectTimeoutMs' = '500');",
                            file: "r.cells")
        }
        #expect(error?.message.hasPrefix("r.cells:2:3: error: cannot reach Kafka at 127.0.0.1:1") == true, "\(String(describing: error))")
        #expect(error?.location == SourceLocation(line: 2, column: 3, offset: 16))
    }

    @Test func secretsNeverReachTheSessionsOutput() throws {
        let lines = LockedLines()
        let session = CellSession(output: { lines.append($0) })
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-redaction-\(UUID().uuidString).jsonl").path
        try "{\"a\": \"pw-SECRET-XYZ\"}\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(path)', 'kafka.sasl.password' = 'SECRET-XYZ');
            SHOW SOURCES;
            DESCRIBE f;
            CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING);
            CREATE VIEW v AS SELECT a FROM s;
            START v TRIGGER ONCE;
            """)
        let all = lines.text
        #expect(!all.contains("SECRET-XYZ"), "\(all)")
        #expect(all.contains("kafka.sasl.password=[redacted]"))
        #expect(all.contains("kafka.sasl.password = [redacted]"))
        #expect(all.contains("pw-[redacted]"), "a value equal to a secret is hidden in tables too")
    }
}

/// Output collected from any thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined() } }
}
