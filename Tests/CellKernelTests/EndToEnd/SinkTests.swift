@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Results written by the file and Kafka sinks, read back independently.
@Suite struct SinkTests {
    func session(file: String) throws -> CellSession {
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n INT, ts TIMESTAMP);
            CREATE VIEW totals AS SELECT k, sum(n) AS total FROM e GROUP BY k;
            CREATE VIEW sliding AS SELECT window(ts, '2 minutes', '1 minute').start AS w, count(*) AS c
              FROM e GROUP BY window(ts, '2 minutes', '1 minute');
            """)
        return session
    }

    func input() throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-sink-\(UUID().uuidString).jsonl").path
        let lines = [#"{"k":"a","n":1,"ts":"2024-01-01T00:00:30Z"}"#, #"{"k":"b","n":2,"ts":"2024-01-01T00:01:30Z"}"#,
                     #"{"k":"a","n":3,"ts":"2024-01-01T00:01:45Z"}"#]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test func jsonAndCsvSinksWriteEachBatch() throws {
        let file = try input()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cells-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: out) }
        let session = try session(file: file)
        try session.run(script: """
            START totals TRIGGER ONCE USING json OPTIONS ('path' = '\(out)/json');
            START totals TRIGGER ONCE USING csv OPTIONS ('path' = '\(out)/csv');
            """)
        let json = try String(contentsOfFile: "\(out)/json/part-00000.json", encoding: .utf8)
        let objects = try json.split(separator: "\n").map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(Set(objects.map { "\($0["k"]!)=\($0["total"]!)" }) == ["a=4", "b=2"])
        let csv = try String(contentsOfFile: "\(out)/csv/part-00000.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.first == "k,total")
        #expect(Set(csv.dropFirst()) == ["a,4", "b,2"])
    }

    @Test func kafkaSinkWritesRowsAsJSON() throws {
        let file = try input()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("results", partitions: 1)
        let session = try session(file: file)
        try session.run(script: """
            START totals TRIGGER ONCE USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'topic' = 'results', 'key' = 'k');
            """)
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        try consumer.assign(topic: "results", from: .beginning)
        var records: [KafkaRecord] = []
        while records.count < 2 { records += try consumer.poll(timeout: .seconds(1)).records }
        let pairs = Set(records.map { "\(String(decoding: $0.key ?? [], as: UTF8.self)) \(String(decoding: $0.value ?? [], as: UTF8.self))" })
        #expect(pairs == [#"a {"k":"a","total":4}"#, #"b {"k":"b","total":2}"#])
    }

    @Test func fileSinksWriteTimestampsAsSparkDoes() throws {
        let file = try input()
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("cells-out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file); try? FileManager.default.removeItem(atPath: out) }
        let session = try session(file: file)
        try session.run(script: """
            CREATE VIEW per_minute AS SELECT window(ts, '1 minute').start AS w, to_date(ts) AS d, count(*) AS c
              FROM e GROUP BY window(ts, '1 minute'), to_date(ts);
            START per_minute TRIGGER ONCE USING json OPTIONS ('path' = '\(out)/json');
            START per_minute TRIGGER ONCE USING csv OPTIONS ('path' = '\(out)/csv');
            """)
        // Spark's writers default to yyyy-MM-dd'T'HH:mm:ss.SSSXXX for timestamps, yyyy-MM-dd for dates.
        let json = try String(contentsOfFile: "\(out)/json/part-00000.json", encoding: .utf8).split(separator: "\n")
        #expect(Set(json) == [#"{"w":"2024-01-01T00:00:00.000Z","d":"2024-01-01","c":1}"#,
                              #"{"w":"2024-01-01T00:01:00.000Z","d":"2024-01-01","c":2}"#])
        let csv = try String(contentsOfFile: "\(out)/csv/part-00000.csv", encoding: .utf8).split(separator: "\n")
        #expect(Set(csv.dropFirst()) == ["2024-01-01T00:00:00.000Z,2024-01-01,1", "2024-01-01T00:01:00.000Z,2024-01-01,2"])
    }

    @Test func slidingWindowsCountEachRowInEveryWindowHoldingIt() throws {
        let file = try input()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let session = try session(file: file)
        try session.run(script: "START sliding TRIGGER ONCE USING memory;")
        // 00:00:30 is in [23:59, 00:01) and [00:00, 00:02); 00:01:30 and 00:01:45 in [00:00, 00:02) and [00:01, 00:03).
        let rows = try #require(session.table("sliding")).sortedRows
        #expect(rows == [["1704067140000000", "1"], ["1704067200000000", "3"], ["1704067260000000", "2"]])
    }

    @Test func adHocSelectGroupsAMemoryTableByWindow() throws {
        let file = try input()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let transcript = Transcript()
        let session = CellSession(output: transcript.output)
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n INT, ts TIMESTAMP);
            CREATE VIEW raw AS SELECT k, n, ts FROM e;
            START raw TRIGGER ONCE USING memory;
            SELECT window(ts, '1 minute').start AS w, count(*) AS c, sum(n) AS s FROM raw
              GROUP BY window(ts, '1 minute') ORDER BY w;
            """)
        // 00:00:30 alone in the first minute; 00:01:30 and 00:01:45 (n 2 + 3) in the second.
        #expect(transcript.value.contains("|2024-01-01 00:00:00|  1|  1|"))
        #expect(transcript.value.contains("|2024-01-01 00:01:00|  2|  5|"))
    }
}
