@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Nested columns end to end: SCHEMA with STRUCT/ARRAY/MAP, decoded from Kafka, grouped, printed.
@Suite struct NestedStreamTests {
    @Test func nestedSchemaDecodesGroupsAndPrints() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("n", partitions: 1)
        let docs = [
            #"{"u": {"id": 1, "name": "x"}, "tags": ["a", null], "m": {"k": 2}}"#,
            #"{"tags": [], "u": {"name": "x", "id": 1}}"#,
            #"{"u": {"id": 2, "name": null}, "tags": null}"#,
            #"{"u": {"id": "bad"}, "tags": ["z"]}"#,
        ]
        try send(docs.map { Array($0.utf8) }, to: "n", on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'n', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (u STRUCT<id: INT, name: STRING>, tags ARRAY<STRING>, m MAP<STRING, BIGINT>);
            CREATE VIEW g AS SELECT u, count(*) AS c FROM e GROUP BY u;
            """)
        let query = try session.prepare(start: "START g")
        let progress = try #require(try query.runBatch())
        #expect(progress.numInputRows == 4)
        #expect(progress.numMalformed == 1)
        let table = try #require(session.table("g"))
        let rows = Set((0..<table.count).map { r in table.columns.map { $0.value(at: r) } })
        // The two records of {1, x} (fields in either JSON order) group together; the bad id is NULL in place.
        #expect(rows == [[.structure([.int(1), .string("x")]), .int(2)],
                         [.structure([.int(2), .null]), .int(1)],
                         [.structure([.null, .null]), .int(1)]])
        query.stop()
        withExtendedLifetime(cluster) {}
    }

    @Test func orderingNestedValuesIsRefusedAndEqualityWorks() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("o", partitions: 1)
        try send([#"{"a": [1, 2], "b": [1, 2]}"#, #"{"a": [1], "b": [1, null]}"#, #"{"a": [null], "b": [null]}"#].map { Array($0.utf8) },
                 to: "o", on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'o', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (a ARRAY<INT>, b ARRAY<INT>);
            CREATE VIEW q AS SELECT a = b AS same, CAST(a AS STRING) AS text FROM e;
            """)
        #expect(throws: (any Error).self) {
            try session.run(script: "CREATE VIEW bad AS SELECT a < b FROM e;")
            _ = try session.prepare(start: "START bad")
        }
        let query = try session.prepare(start: "START q")
        _ = try #require(try query.runBatch())
        let table = try #require(session.table("q"))
        let rows = (0..<table.count).map { r in table.columns.map { $0.value(at: r) } }
        #expect(Set(rows) == [[.bool(true), .string("[1, 2]")], [.bool(false), .string("[1]")], [.bool(true), .string("[null]")]])
        query.stop()
        withExtendedLifetime(cluster) {}
    }
}
