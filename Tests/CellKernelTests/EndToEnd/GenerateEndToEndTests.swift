@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Generators end to end: JSON events with arrays and maps from the embedded broker, exploded
/// by a started view, checked row by row against a reference computed from the same events.
@Suite struct GenerateEndToEndTests {
    /// Starts `view` of `script` over `docs` in topic `topic` and returns its table's rows.
    static func rows(_ docs: [String], schema: String, views: String, view: String, topic: String) throws -> [[Value]] {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic(topic, partitions: 1)
        try send(docs.map { Array($0.utf8) }, to: topic, on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = '\(topic)', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (\(schema));
            \(views)
            """)
        let query = try session.prepare(start: "START \(view)")
        var seen = 0
        while seen < docs.count, let progress = try query.runBatch() {
            if progress.numInputRows == 0 { break }
            seen += progress.numInputRows
        }
        let table = try #require(session.table(view))
        let result = (0..<table.count).map { r in table.columns.map { $0.value(at: r) } }
        query.stop()
        withExtendedLifetime(cluster) {}
        return result
    }

    @Test func explodeArrayOfAStream() throws {
        let docs = [
            #"{"id": 1, "tags": ["a", "b", "c"]}"#,
            #"{"id": 2, "tags": []}"#,
            #"{"id": 3, "tags": null}"#,
            #"{"id": 4, "tags": ["d", null]}"#,
            #"{"id": 5}"#,
        ]
        let plain = try Self.rows(docs, schema: "id INT, tags ARRAY<STRING>",
                                  views: "CREATE VIEW x AS SELECT id, explode(tags) AS tag FROM e;", view: "x", topic: "g1")
        #expect(plain == [[.int(1), .string("a")], [.int(1), .string("b")], [.int(1), .string("c")],
                          [.int(4), .string("d")], [.int(4), .null]])
        let outer = try Self.rows(docs, schema: "id INT, tags ARRAY<STRING>",
                                  views: "CREATE VIEW x AS SELECT id, posexplode_outer(tags) AS (p, tag) FROM e;", view: "x", topic: "g2")
        #expect(outer == [[.int(1), .int(0), .string("a")], [.int(1), .int(1), .string("b")], [.int(1), .int(2), .string("c")],
                          [.int(2), .null, .null], [.int(3), .null, .null],
                          [.int(4), .int(0), .string("d")], [.int(4), .int(1), .null], [.int(5), .null, .null]])
    }
}
