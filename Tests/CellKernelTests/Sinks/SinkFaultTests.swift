@testable import CellKernel
import Foundation
import Testing

/// Sinks given hostile values and places: errors with the option at fault, valid output.
@Suite struct SinkFaultTests {
    func session(lines: [String]) throws -> (CellSession, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sinkfault-\(UUID().uuidString).jsonl").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n INT);
            CREATE VIEW v AS SELECT k, n FROM e;
            """)
        return (session, file)
    }

    // Before: "a\r\nb" and "x\ry" were written unquoted (a CSV reader saw extra records), and an
    // empty string was written as nothing, the same as NULL.
    @Test func csvQuotesCarriageReturnsAndEmptyStrings() throws {
        let (session, file) = try session(lines: [#"{"k":"","n":1}"#, #"{"k":"a\r\nb","n":2}"#, #"{"k":"x\ry","n":3}"#,
                                                 #"{"n":4}"#, #"{"k":"q\"","n":5}"#])
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sinkfault-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: out) }
        try session.run(script: "START v TRIGGER ONCE USING csv OPTIONS ('path' = '\(out)');")
        let csv = try String(contentsOfFile: "\(out)/part-00000.csv", encoding: .utf8)
        #expect(csv == "k,n\n\"\",1\n\"a\r\nb\",2\n\"x\ry\",3\n,4\n\"q\"\"\",5\n")
    }

    // Before: a 'key' naming no output column sent every record without a key, silently.
    @Test func kafkaKeyNamingNoColumnIsAnError() throws {
        let (session, file) = try session(lines: [#"{"k":"a","n":1}"#])
        defer { try? FileManager.default.removeItem(atPath: file) }
        let clock = ContinuousClock()
        let started = clock.now
        #expect {
            try session.run(script: """
                START v TRIGGER ONCE USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'topic' = 't', 'key' = 'nope');
                """)
        } throws: { error in
            let text = "\(error)"
            return text.contains("'key' = 'nope' is not a column") && text.contains("k, n")
        }
        #expect(clock.now - started < .seconds(5), "the key is checked before the broker is asked")
    }

    @Test(arguments: ["/dev/full", "/dev/null/x", "/proc/version"])
    func fileSinkAtAnUnusablePathIsAnError(path: String) throws {
        let (session, file) = try session(lines: [#"{"k":"a","n":1}"#])
        defer { try? FileManager.default.removeItem(atPath: file) }
        for format in ["json", "csv"] {
            #expect(throws: (any Error).self, "\(format) at \(path)") {
                try session.run(script: "START v TRIGGER ONCE USING \(format) OPTIONS ('path' = '\(path)');")
            }
        }
    }

    @Test func invalidUTF8AndLoneSurrogatesComeOutAsValidJSON() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sinkfault-\(UUID().uuidString).jsonl").path
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sinkfault-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: out) }
        var bytes = Array(#"{"k":"a\udc00b\ud800","n":1}"#.utf8) + [0x0A]
        bytes += Array(#"{"k":"x"#.utf8) + [0xFF, 0xC3, 0x28, 0xED, 0xA0, 0x80] + Array(#"y\u0000\n\u2028","n":2}"#.utf8) + [0x0A]
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n INT);
            CREATE VIEW v AS SELECT k, upper(k) AS u, substring(k, -2, 5) AS s, length(k) AS l,
              regexp_replace(k, '[^a-z]', '?') AS r, translate(k, 'ab', '') AS t, n FROM e;
            START v TRIGGER ONCE USING json OPTIONS ('path' = '\(out)');
            """)
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/part-00000.json"))
        let lines = data.split(separator: 0x0A)
        #expect(lines.count == 2)
        for line in lines {
            #expect(String(validating: line, as: UTF8.self) != nil)
            #expect((try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] != nil, "\(String(decoding: line, as: UTF8.self))")
        }
    }
}
