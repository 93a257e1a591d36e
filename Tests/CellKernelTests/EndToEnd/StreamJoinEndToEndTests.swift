import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Joins in running streams, over Kafka topics on the embedded broker: a stream joined with a
/// CREATE TABLE table (read when the stream starts), and two streams joined on a key within an
/// event-time range; each checked against the same join computed here.
@Suite struct StreamJoinEndToEndTests {
    /// Card prefixes 0..<40 (some with two banks, some with none), transactions over 0..<50.
    @Test func streamJoinedWithACSVTable() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cells-join-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var csv = "prefix,bank\n"
        var banks: [Int: [String]] = [:]
        for p in 0..<40 where p % 5 != 0 {
            banks[p, default: []].append("bank\(p % 7)")
            if p % 9 == 0 { banks[p, default: []].append("second\(p)") }
        }
        for (p, names) in banks.sorted(by: { $0.key < $1.key }) { for name in names { csv += "\(p),\(name)\n" } }
        csv += ",orphan\n"  // a NULL key matches nothing
        let path = folder.appendingPathComponent("banks.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)

        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        var rng = SystemRandomNumberGenerator()
        let records: [(prefix: Int?, amount: Int)] = (0..<600).map { i in (i % 31 == 0 ? nil : Int.random(in: 0..<50, using: &rng), i) }
        try send(records.map { r in Array((r.prefix.map { #"{"prefix":\#($0),"amount":\#(r.amount)}"# } ?? #"{"amount":\#(r.amount)}"#).utf8) },
                 to: "tx", on: cluster.bootstrapServers)

        // Inner: count and total per bank; left: NULL bank for every unmatched transaction.
        var inner: [String: (Int, Int)] = [:], left: [String: (Int, Int)] = [:]
        for r in records {
            let matches = r.prefix.flatMap { banks[$0] } ?? []
            for bank in matches {
                inner[bank, default: (0, 0)].0 += 1; inner[bank, default: (0, 0)].1 += r.amount
            }
            for bank in matches.isEmpty ? ["NULL"] : matches {
                left[bank, default: (0, 0)].0 += 1; left[bank, default: (0, 0)].1 += r.amount
            }
        }
        func rows(_ totals: [String: (Int, Int)]) -> [[String]] { totals.keys.sorted().map { [$0, "\(totals[$0]!.0)", "\(totals[$0]!.1)"] } }

        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 'tx', 'startingOffsets' = 'earliest');
            CREATE STREAM tx FROM s FORMAT json SCHEMA (prefix INT, amount BIGINT);
            CREATE TABLE banks USING csv OPTIONS ('path' = '\(path)', 'header' = 'true');
            CREATE VIEW inner_totals AS SELECT b.bank, count(*) AS n, sum(t.amount) AS total
              FROM tx t JOIN banks b ON t.prefix = b.prefix GROUP BY b.bank;
            CREATE VIEW left_totals AS SELECT b.bank, count(*) AS n, sum(t.amount) AS total
              FROM tx t LEFT JOIN banks b ON t.prefix = b.prefix GROUP BY b.bank;
            START inner_totals OUTPUT MODE complete;
            START left_totals OUTPUT MODE complete;
            """)
        #expect(try #require(session.table("inner_totals")).sortedRows == rows(inner))
        #expect(try #require(session.table("left_totals")).sortedRows.map { $0.map { $0 == "NULL" || $0.isEmpty ? "NULL" : $0 } }
                    .sorted { $0.lexicographicallyPrecedes($1) } == rows(left))
    }

    /// Authorizations and settlements within 0...60 s after them, a left outer join under
    /// watermarks: every pair in range once, and every authorization no settlement matched
    /// once with NULLs, when the watermark has passed it.
    @Test func leftOuterJoinOfTwoTopicsWithinARange() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("auth", partitions: 2)
        try cluster.createTopic("settle", partitions: 2)
        // Authorization i at i seconds; its settlement (if any) 0..90 s later: beyond 60 s
        // it is out of range. The last events push the watermark past every earlier row.
        let count = 300
        var settlements: [(id: Int, at: Int)] = []
        for i in 0..<count where i % 10 != 3 { settlements.append((i, i + (i * 37) % 91)) }
        let horizon = count + 1_000
        func stamp(_ seconds: Int) -> String {
            let date = Date(timeIntervalSince1970: 1_700_000_000 + Double(seconds))
            return ISO8601DateFormatter().string(from: date)
        }
        var authLines = (0..<count).map { #"{"id":\#($0),"t":"\#(stamp($0))"}"# }
        authLines.append(#"{"id":-1,"t":"\#(stamp(horizon))"}"#)
        var settleLines = settlements.map { #"{"id":\#($0.id),"t":"\#(stamp($0.at))"}"# }
        settleLines.append(#"{"id":-2,"t":"\#(stamp(horizon))"}"#)
        try send(authLines.map { Array($0.utf8) }, to: "auth", on: cluster.bootstrapServers)
        try send(settleLines.map { Array($0.utf8) }, to: "settle", on: cluster.bootstrapServers)

        var expected: [[String]] = []
        for i in 0..<count {
            let matched = settlements.filter { $0.id == i && $0.at - i >= 0 && $0.at - i <= 60 }
            expected += matched.isEmpty ? [["\(i)", "NULL"]] : matched.map { ["\(i)", "\($0.id)"] }
        }

        let session = CellSession(output: { _ in })
        session.triggerOverride = .availableNow
        let bootstrap = cluster.bootstrapServers
        try session.run(script: """
            CREATE SOURCE a USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'auth', 'startingOffsets' = 'earliest');
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = 'settle', 'startingOffsets' = 'earliest');
            CREATE STREAM auths FROM a FORMAT json SCHEMA (id BIGINT, t TIMESTAMP) WATERMARK t DELAY '10 seconds';
            CREATE STREAM settles FROM s FORMAT json SCHEMA (id BIGINT, t TIMESTAMP) WATERMARK t DELAY '10 seconds';
            CREATE VIEW joined AS SELECT x.id AS auth, y.id AS settled FROM auths x LEFT JOIN settles y
              ON x.id = y.id AND y.t BETWEEN x.t AND x.t + INTERVAL 60 SECONDS;
            START joined OUTPUT MODE append;
            """)
        let got = try #require(session.table("joined")).sortedRows
            .map { $0.map { $0.isEmpty ? "NULL" : $0 } }
            .filter { $0[0] != "-1" }
        func order(_ rows: [[String]]) -> [[String]] { rows.sorted { $0.lexicographicallyPrecedes($1) } }
        #expect(order(got) == order(expected), "\(got.count) rows, \(expected.count) expected")
        #expect(expected.contains { $0[1] == "NULL" } && expected.contains { $0[1] != "NULL" })
    }
}
