import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Two topics in one query: a view unioning two streams (one source per topic, and one
/// source subscribed to both), an aggregation over the union, compared with sums computed
/// here per topic; and the unions Spark refuses, with the error where the second SELECT is.
@Suite struct UnionAllTests {
    /// Known records: brand i % 3, amount i (tx1) or 1000 + 2 i (tx2); tx2 also has a brand
    /// tx1 never has.
    static let brands = ["Visa", "Master", "Elo"]

    static func records(topic: Int, count: Int) -> [(brand: String, amount: Double, line: String)] {
        (0..<count).map { i in
            let brand = topic == 2 && i % 7 == 0 ? "Amex" : brands[i % 3]
            let amount = topic == 1 ? Double(i) + 0.25 : 1000 + 2 * Double(i)
            return (brand, amount, #"{"card_brand":"\#(brand)","amount":\#(amount),"n":\#(i)}"#)
        }
    }

    /// Loads both topics; returns the records sent to each.
    func load(_ cluster: EmbeddedCluster) throws -> (tx1: [(brand: String, amount: Double, line: String)], tx2: [(brand: String, amount: Double, line: String)]) {
        try cluster.createTopic("tx1", partitions: 3)
        try cluster.createTopic("tx2", partitions: 2)
        let tx1 = Self.records(topic: 1, count: 300), tx2 = Self.records(topic: 2, count: 200)
        try send(tx1.map { Array($0.line.utf8) }, to: "tx1", on: cluster.bootstrapServers)
        try send(tx2.map { Array($0.line.utf8) }, to: "tx2", on: cluster.bootstrapServers)
        return (tx1, tx2)
    }

    /// Count and total per brand, computed here.
    func expectedTotals(_ records: [(brand: String, amount: Double, line: String)]) -> [[String]] {
        var counts: [String: Int] = [:], totals: [String: Double] = [:]
        for r in records {
            counts[r.brand, default: 0] += 1
            totals[r.brand, default: 0] += r.amount
        }
        // Every amount is a multiple of 0.25 well below 2^40: the sums are exact in any order.
        return counts.keys.sorted().map { [$0, "\(counts[$0]!)", "\(totals[$0]!)"] }
    }

    func sources(_ bootstrap: String) -> String {
        """
        CREATE SOURCE s1 USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'tx1', 'startingOffsets' = 'earliest');
        CREATE SOURCE s2 USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'tx2', 'startingOffsets' = 'earliest');
        CREATE STREAM tx1 FROM s1 FORMAT json SCHEMA (card_brand STRING, amount DOUBLE, n INT);
        CREATE STREAM tx2 FROM s2 FORMAT json SCHEMA (card_brand STRING, amount DOUBLE, n BIGINT);
        """
    }

    @Test func aggregateOverAUnionOfTwoTopics() throws {
        let cluster = try EmbeddedCluster()
        let (tx1, tx2) = try load(cluster)
        let transcript = Transcript()
        let session = CellSession(output: transcript.output)
        session.triggerOverride = .availableNow
        try session.run(script: sources(cluster.bootstrapServers) + """
            CREATE VIEW both AS SELECT card_brand, amount FROM tx1 UNION ALL SELECT card_brand, amount FROM tx2;
            CREATE VIEW per_brand AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM both GROUP BY card_brand;
            START per_brand OUTPUT MODE complete;
            """)
        let table = try #require(session.table("per_brand"))
        #expect(table.schema.fields.map(\.name) == ["card_brand", "n", "total"])
        #expect(table.sortedRows == expectedTotals(tx1 + tx2))
        #expect(transcript.value.contains("batch 0: 500 rows"), "both topics read to the end in one batch: \(transcript.value)")
    }

    @Test func unionItselfAppendsEveryRecordOfBothTopics() throws {
        let cluster = try EmbeddedCluster()
        let (tx1, tx2) = try load(cluster)
        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        // Names from the first SELECT; INT n under BIGINT n widens to BIGINT.
        try session.run(script: sources(cluster.bootstrapServers) + """
            CREATE VIEW both AS
              SELECT card_brand AS brand, n AS k, amount FROM tx1 WHERE amount >= 0
              UNION ALL
              SELECT card_brand, n, amount FROM tx2;
            START both OUTPUT MODE append;
            """)
        let table = try #require(session.table("both"))
        #expect(table.schema.fields.map(\.name) == ["brand", "k", "amount"])
        #expect(table.count == tx1.count + tx2.count)
        let expected = (tx1.enumerated().map { [$0.element.brand, "\($0.offset)", "\($0.element.amount)"] }
            + tx2.enumerated().map { [$0.element.brand, "\($0.offset)", "\($0.element.amount)"] })
            .sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
        #expect(table.sortedRows == expected)
    }

    @Test func oneSourceSubscribedToBothTopicsUnionedByFilter() throws {
        // One stream over both topics, split by the Kafka topic column and put back together:
        // the same per-brand totals as the two topics summed independently.
        let cluster = try EmbeddedCluster()
        let (tx1, tx2) = try load(cluster)
        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'tx1,tx2', 'startingOffsets' = 'earliest');
            CREATE STREAM tx FROM s FORMAT json SCHEMA (card_brand STRING, amount DOUBLE);
            CREATE VIEW per_brand AS
              WITH a AS (SELECT card_brand, amount FROM tx WHERE topic = 'tx1'),
                   b AS (SELECT card_brand, amount FROM tx WHERE topic = 'tx2')
              SELECT card_brand, count(*) AS n, sum(amount) AS total FROM (SELECT * FROM a UNION ALL SELECT * FROM b) GROUP BY card_brand;
            START per_brand OUTPUT MODE complete;
            """)
        #expect(session.table("per_brand")?.sortedRows == expectedTotals(tx1 + tx2))
    }

    // MARK: Unions Spark refuses

    /// Runs `views` after the two streams; the error it must raise.
    func failure(_ views: String, bootstrap: String) throws -> CellError? {
        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        let script = sources(bootstrap) + "\n" + views
        return #expect(throws: CellError.self) { try session.run(script: script, file: "u.cells") }
    }

    @Test func sidesWithDifferentColumnCountsAreAnErrorAtTheSecondSelect() throws {
        let cluster = try EmbeddedCluster()
        _ = try load(cluster)
        // Line 5 of the script: the four lines of sources(), then the view.
        let view = "CREATE VIEW both AS SELECT card_brand, amount FROM tx1 UNION ALL SELECT card_brand FROM tx2;\n"
        let error = try failure(view + "START both OUTPUT MODE append;\n", bootstrap: cluster.bootstrapServers)
        let message = error?.message ?? ""
        #expect(message.contains("column"), "names the mismatch: \(message)")
        #expect(message.contains("2") && message.contains("1"), "says how many columns each side has: \(message)")
        #expect(error?.location?.line == 5, "\(message)")
        let second = view.distance(from: view.startIndex, to: view.range(of: "SELECT card_brand FROM tx2")!.lowerBound) + 1
        #expect(error?.location?.column == second, "at the second SELECT: \(message)")
        #expect(message.hasPrefix("u.cells:5:"), "\(message)")
    }

    @Test func sidesWithIncompatibleTypesAreAnError() throws {
        let cluster = try EmbeddedCluster()
        _ = try load(cluster)
        let view = "CREATE VIEW both AS SELECT card_brand, amount FROM tx1 UNION ALL SELECT card_brand, amount > 5 FROM tx2;\n"
        let error = try failure(view + "START both OUTPUT MODE append;\n", bootstrap: cluster.bootstrapServers)
        let message = error?.message ?? ""
        // Spark widens numbers (and a number under a STRING becomes a STRING) but has no type
        // for a DOUBLE and a BOOLEAN together.
        #expect(message.lowercased().contains("type") || message.lowercased().contains("compatible"), "\(message)")
        #expect(error?.location?.line == 5, "\(message)")
        let second = view.distance(from: view.startIndex, to: view.range(of: "SELECT card_brand, amount > 5")!.lowerBound) + 1
        #expect(error?.location?.column == second, "at the second SELECT: \(message)")
        #expect(message.contains("BOOLEAN") && message.contains("DOUBLE"), "names both types: \(message)")
    }
}
