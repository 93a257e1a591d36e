@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Field access, subscripts and the JSON functions over a Kafka stream of nested JSON, grouped
/// and filtered, against a Swift computation over the same generated documents.
@Suite struct NestedAccessStreamTests {
    struct Doc {
        var name: String?
        var tags: [String?]?
        var k: Int64?
        var hasUser: Bool
    }

    static func generate(_ count: Int) -> [Doc] {
        var state: UInt64 = 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        return (0..<count).map { _ in
            let hasUser = next(8) > 0
            let name: String? = next(6) == 0 ? nil : ["ann", "bob", "cy", "Dé"][next(4)]
            let tags: [String?]? = next(5) == 0 ? nil : (0..<next(3)).map { _ in next(4) == 0 ? nil : ["a", "b"][next(2)] }
            let k: Int64? = next(4) == 0 ? nil : Int64(next(1000)) - 500
            return Doc(name: name, tags: tags, k: k, hasUser: hasUser)
        }
    }

    static func json(_ d: Doc) -> String {
        func text(_ s: String?) -> String { s.map { "\"\($0)\"" } ?? "null" }
        var members: [String] = []
        if d.hasUser {
            let tags = d.tags.map { "[" + $0.map(text).joined(separator: ",") + "]" } ?? "null"
            members.append("\"u\": {\"name\": \(text(d.name)), \"tags\": \(tags)}")
            members.append("\"raw\": {\"name\": \(text(d.name)), \"tags\": \(tags)}")
        }
        members.append("\"m\": {" + (d.k.map { "\"k\": \($0), " } ?? "") + "\"z\": 0}")
        return "{" + members.joined(separator: ", ") + "}"
    }

    @Test func groupByAFieldWhereAnElementMatches() throws {
        let docs = Self.generate(3000)
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("na", partitions: 2)
        try send(docs.map { Array(Self.json($0).utf8) }, to: "na", on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'na', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (u STRUCT<name: STRING, tags: ARRAY<STRING>>, m MAP<STRING, BIGINT>, raw STRING);
            CREATE VIEW g AS SELECT u.name, count(*) AS c, sum(m['k']) AS total, max(size(u.tags)) AS widest,
                   count(get_json_object(raw, '$.tags[0]')) AS firsts
                FROM e WHERE u.tags[0] = 'a' GROUP BY u.name;
            """)
        let query = try session.prepare(start: "START g")
        var input = 0
        while input < docs.count, let progress = try query.runBatch() { input += progress.numInputRows }
        #expect(input == docs.count)
        let table = try #require(session.table("g"))
        #expect(table.columns.count == 5)
        var got: [Value: [Value]] = [:]
        for r in 0..<table.count { got[table.columns[0].value(at: r)] = table.columns.dropFirst().map { $0.value(at: r) } }
        // The reference: the same filter and aggregates over the generated values.
        var expected: [Value: (c: Int64, total: Int64?, widest: Int64)] = [:]
        for d in docs where d.hasUser {
            guard let tags = d.tags, tags.first == .some("a") else { continue }
            let key: Value = d.name.map(Value.string) ?? .null
            var entry = expected[key] ?? (0, nil, -1)
            entry.c += 1
            if let k = d.k { entry.total = (entry.total ?? 0) + k }
            entry.widest = max(entry.widest, Int64(tags.count))
            expected[key] = entry
        }
        #expect(expected.count >= 4)
        #expect(Set(got.keys) == Set(expected.keys))
        for (key, e) in expected {
            #expect(got[key] == [.int(e.c), e.total.map(Value.int) ?? .null, .int(e.widest), .int(e.c)], "\(key)")
        }
        query.stop()
        withExtendedLifetime(cluster) {}
    }

    @Test func fromJSONOverAStreamColumnAndErrorsAtTheirPosition() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("nb", partitions: 1)
        try send([#"{"raw": {"a": 1, "b": [1, 2]}}"#, #"{"raw": "not json"}"#, #"{"raw": null}"#].map { Array($0.utf8) },
                 to: "nb", on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'nb', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (raw STRING);
            CREATE VIEW q AS SELECT from_json(raw, 'a INT, b ARRAY<INT>').b[1] AS b1, to_json(from_json(raw, 'a INT, b ARRAY<INT>')) AS back FROM e;
            """)
        #expect { try session.run(script: "CREATE VIEW bad AS SELECT from_json(raw, 'a INT').c FROM e;"); _ = try session.prepare(start: "START bad") }
            throws: { error in "\(error)".contains("no field 'c'") && "\(error)".contains("its fields: a") }
        let query = try session.prepare(start: "START q")
        _ = try #require(try query.runBatch())
        let table = try #require(session.table("q"))
        let rows = (0..<table.count).map { r in table.columns.map { $0.value(at: r) } }
        #expect(rows == [[.int(2), .string(#"{"a":1,"b":[1,2]}"#)], [.null, .string("{}")], [.null, .null]])
        query.stop()
        withExtendedLifetime(cluster) {}
    }
}
