@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Spark's three corrupt-record modes on a topic holding good and bad messages.
@Suite struct CorruptRecordTests {
    static let good = [#"{"k":"a","n":1}"#, #"{"k":"b","n":2}"#, #"{"n":3,"k":"a","extra":[1,{"x":"}"}]}"#]
    static let bad: [[UInt8]] = [
        Array(#"{"k":"a","n":"#.utf8),                      // truncated
        Array(#"{"k":"a","n":"three"}"#.utf8),               // wrong type (k is kept, n is NULL)
        Array("[1,2,3]".utf8),                               // an array
        [0xFF, 0xFE, 0x00, 0x9C, 0x7B],                      // binary garbage
        Array("nul".utf8),                                   // a truncated literal (an empty or blank value is a NULL row)
        Array(("{\"k\":\"" + String(repeating: "x", count: 1_000_000)).utf8),  // 1 MB, unterminated
    ]

    func session(mode: String, topic: String) throws -> (CellSession, EmbeddedCluster) {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic(topic, partitions: 1)
        try send(Self.good.map { Array($0.utf8) } + Self.bad, to: topic, on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = '\(topic)', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (k STRING, n INT) OPTIONS ('mode' = '\(mode)', 'columnNameOfCorruptRecord' = 'bad');
            CREATE VIEW rows AS SELECT k, n, bad IS NOT NULL AS corrupt, offset FROM e;
            """)
        return (session, cluster)
    }

    @Test func permissiveKeepsEveryRecordAndItsText() throws {
        let (session, cluster) = try session(mode: "PERMISSIVE", topic: "p")
        let query = try session.prepare(start: "START rows")
        let progress = try #require(try query.runBatch())
        #expect(progress.numInputRows == 9)
        #expect(progress.numMalformed == 6)
        let table = try #require(session.table("rows"))
        #expect(table.count == 9)
        let rows = (0..<table.count).map { r in table.columns.map { $0.value(at: r) } }
        #expect(rows.filter { $0[2] == .bool(true) }.count == 6)
        // Spark 3 keeps the fields it could read: the wrong-typed record still has k.
        #expect(rows.contains { $0[0] == .string("a") && $0[1] == .null && $0[2] == .bool(true) })
        #expect(rows.contains { $0[0] == .string("a") && $0[1] == .int(3) && $0[2] == .bool(false) })
        query.stop()
        withExtendedLifetime(cluster) {}
    }

    @Test func dropMalformedKeepsOnlyGoodRecords() throws {
        let (session, cluster) = try session(mode: "DROPMALFORMED", topic: "d")
        let query = try session.prepare(start: "START rows")
        let progress = try #require(try query.runBatch())
        #expect(progress.numInputRows == 9)
        #expect(progress.numDroppedMalformed == 6)
        #expect(session.table("rows")?.sortedRows.map { Array($0.prefix(3)) } == [["a", "1", "false"], ["a", "3", "false"], ["b", "2", "false"]])
        query.stop()
        withExtendedLifetime(cluster) {}
    }

    @Test func failFastStopsNamingTheRecord() throws {
        let (session, cluster) = try session(mode: "FAILFAST", topic: "f")
        let query = try session.prepare(start: "START rows")
        let error = #expect(throws: StreamError.self) { try query.runBatch() }
        #expect(error?.description.contains("f/0 offset 3") == true, "\(String(describing: error))")
        #expect(error?.description.contains("FAILFAST") == true)
        query.stop()
        withExtendedLifetime(cluster) {}
    }

    @Test func failFastOnAFileNamesTheFirstBadLineWhateverThreadReadsIt() throws {
        // Big enough for the file batch to be read as many parts on several threads; the bad
        // line late in the file is usually met first, by the thread that starts there.
        var lines = (0..<4_000).map { #"{"k":"a","n":\#($0)}"# }
        lines[3_900] = #"{"k":"a","n":"#  // cut off: malformed whatever the query reads
        lines[1_234] = #"{"k":"a","n"}"#
        let text = lines.joined(separator: "\n") + "\n"
        let expectedByte = lines[..<1_234].reduce(0) { $0 + $1.utf8.count + 1 }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-ff-\(UUID().uuidString).jsonl").path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        for _ in 0..<5 {
            let session = CellSession(output: { _ in })
            try session.run(script: """
                CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
                CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n INT) OPTIONS ('mode' = 'FAILFAST');
                CREATE VIEW c AS SELECT k, count(*) AS n FROM e GROUP BY k;
                """)
            let query = try session.prepare(start: "START c")
            let error = #expect(throws: StreamError.self) { try query.runBatch() }
            #expect(error?.description.contains("at byte \(expectedByte):") == true, "\(String(describing: error))")
        }
    }
}
