@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// `FROM tx DEDUPLICATE BY (...)` over the embedded Kafka broker: events a retrying producer
/// sent up to three times, spread over partitions (so over the scan's threads) and batches,
/// come out once; an aggregation above counts each once; the SQL surface's errors.
@Suite struct DeduplicateEndToEndTests {
    static let t0 = 1_704_067_200 as Int  // 2024-01-01 00:00:00 UTC, in seconds
    static let brands = ["visa", "master", "elo", "amex"]

    static func event(_ auth: Int) -> [UInt8]? {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(t0 + auth)))
        let amount = Double(auth % 97) * 0.5
        return Array(#"{"auth_id":\#(auth),"brand":"\#(brands[auth * 7 % 4])","amount":\#(amount),"event_time":"\#(time)"}"#.utf8)
    }

    /// Each of `auths` once, then again (once or twice more) for two in three, shuffled.
    static func withDuplicates(_ auths: Range<Int>, seed: Int) -> [[UInt8]?] {
        var messages: [[UInt8]?] = []
        for auth in auths {
            let copies = 1 + (auth * 31 + seed) % 3
            for _ in 0..<copies { messages.append(event(auth)) }
        }
        var state = UInt64(seed + 1)
        for i in stride(from: messages.count - 1, to: 0, by: -1) {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            messages.swapAt(i, Int(state >> 33) % (i + 1))
        }
        return messages
    }

    static func script(_ bootstrap: String, topic: String) -> String {
        """
        CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(bootstrap)', 'subscribe' = '\(topic)',
          'startingOffsets' = 'earliest');
        \(views)
        """
    }

    /// The same stream and views over an empty file: for plans and errors, no broker needed.
    static let fileScript: String = {
        let path = NSTemporaryDirectory() + "cells-dedup-\(UUID().uuidString).jsonl"
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        return "CREATE SOURCE k USING file OPTIONS ('path' = '\(path)');\n" + views
    }()

    static let views = """
        CREATE STREAM tx FROM k FORMAT json SCHEMA (auth_id BIGINT, brand STRING, amount DOUBLE, event_time TIMESTAMP)
          WATERMARK event_time DELAY '1 hour';
        CREATE VIEW uniq AS SELECT auth_id, brand, amount FROM tx DEDUPLICATE BY (auth_id);
        CREATE VIEW per_brand AS SELECT brand, count(*) AS n, sum(amount) AS total FROM tx DEDUPLICATE BY (auth_id) GROUP BY brand;
        CREATE VIEW whole AS SELECT auth_id FROM tx DEDUPLICATE;
        """

    /// Per brand: the count and sum over each authorization once (the reference).
    static func perBrand(_ auths: Range<Int>) -> [[String]] {
        var n: [String: Int] = [:], total: [String: Double] = [:]
        for auth in auths {
            let brand = brands[auth * 7 % 4]
            n[brand, default: 0] += 1
            total[brand, default: 0] += Double(auth % 97) * 0.5
        }
        return n.keys.sorted().map { [$0, "\(n[$0]!)", "\(total[$0]!)"] }
    }

    @Test func duplicatedEventsComeOutOnceAcrossPartitionsAndBatches() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 4)
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: Self.script(cluster.bootstrapServers, topic: "tx"))
        let uniq = try session.prepare(start: "START uniq OUTPUT MODE append")
        let perBrand = try session.prepare(start: "START per_brand OUTPUT MODE complete")
        let whole = try session.prepare(start: "START whole OUTPUT MODE append")
        defer { uniq.stop(); perBrand.stop(); whole.stop() }
        // Two rounds: the second resends a third of the first round's authorizations.
        try send(Self.withDuplicates(0..<1_500, seed: 1), to: "tx", on: cluster.bootstrapServers)
        for query in [uniq, perBrand, whole] { while try query.runBatch() != nil {} }
        try send(Self.withDuplicates(1_000..<2_000, seed: 2), to: "tx", on: cluster.bootstrapServers)
        for query in [uniq, perBrand, whole] { while try query.runBatch() != nil {} }

        let rows = try #require(session.table("uniq"))
        #expect(rows.count == 2_000)
        let ids = (0..<rows.count).compactMap { if case .int(let v) = rows.columns[0].value(at: $0) { Int(v) } else { nil } }
        #expect(ids.sorted() == Array(0..<2_000))
        let expected = (0..<2_000).map { ["\($0)", Self.brands[$0 * 7 % 4], "\(Double($0 % 97) * 0.5)"] }
        #expect(rows.sortedRows == expected.sorted { $0.joined(separator: "|") < $1.joined(separator: "|") })
        #expect(session.table("per_brand")?.sortedRows == Self.perBrand(0..<2_000))
        #expect(session.table("whole")?.count == 2_000, "DEDUPLICATE alone keys on every column")
        #expect(uniq.statefulOperators.map(\.stateRows) == [2_000])
    }

    @Test func explainShowsTheOperator() throws {
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: Self.fileScript + """
            CREATE VIEW within AS SELECT auth_id FROM tx DEDUPLICATE BY (auth_id) WITHIN WATERMARK;
            """)
        let plan = try session.prepare(start: "START within OUTPUT MODE append").plan
        #expect(plan.explain().contains("Deduplicate [auth_id] within watermark"))
        let query = try session.prepare(start: "START within OUTPUT MODE append")
        let line = query.root.explainTree()
        #expect(line.contains("Deduplicate [auth_id] within watermark"), "\(line)")
        query.stop()
        // `*` over a deduplicated stream is the stream's `*`: no Kafka record fields.
        try session.run(script: "CREATE VIEW star AS SELECT * FROM tx DEDUPLICATE BY (auth_id);")
        let star = try session.prepare(start: "START star OUTPUT MODE append")
        #expect(star.plan.schema.fields.map(\.name) == ["auth_id", "brand", "amount", "event_time"])
        star.stop()
    }

    /// SELECT at the prompt over a started view's table deduplicates it too (one batch).
    @Test func aTableDeduplicatesAtThePrompt() throws {
        let path = NSTemporaryDirectory() + "cells-dedup-t-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = (0..<40).map { String(decoding: Self.event($0 % 13)!, as: UTF8.self) + "\n" }.joined()
        try lines.write(toFile: path, atomically: true, encoding: .utf8)
        let transcript = Transcript()
        let session = CellSession(environment: [:], output: transcript.output)
        try session.run(script: "CREATE SOURCE k USING file OPTIONS ('path' = '\(path)');\n" + Self.views
                        + "CREATE VIEW raw AS SELECT auth_id, brand FROM tx;")
        let raw = try session.prepare(start: "START raw OUTPUT MODE append")
        while try raw.runBatch() != nil {}
        raw.stop()
        #expect(session.table("raw")?.count == 40)
        try session.run(script: "SELECT brand, count(*) AS n FROM raw DEDUPLICATE BY (auth_id) GROUP BY brand ORDER BY brand;")
        // Authorizations 0...12 once each: brand auth * 7 % 4.
        var perBrand: [String: Int] = [:]
        for auth in 0..<13 { perBrand[Self.brands[auth * 7 % 4], default: 0] += 1 }
        let text = transcript.value
        for (brand, n) in perBrand {
            #expect(text.range(of: "\(brand)\\s*\\|\\s*\(n)\\b", options: .regularExpression) != nil, "\(brand) \(n) in:\n\(text)")
        }
    }

    func error(_ view: String, start: String = "OUTPUT MODE append") -> String {
        let session = CellSession(environment: [:], output: { _ in })
        do {
            try session.run(script: Self.fileScript + "CREATE STREAM plain FROM k FORMAT json SCHEMA (a BIGINT, m MAP<STRING, STRING>);\n" + view)
            _ = try session.prepare(start: "START v \(start)")
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func mistakesAreClearErrors() {
        #expect(error("CREATE VIEW v AS SELECT * FROM tx DEDUPLICATE BY (nope);").contains("'nope' is not a column of tx"))
        #expect(error("CREATE VIEW v AS SELECT a FROM plain DEDUPLICATE BY (a) WITHIN WATERMARK;").contains("needs a stream with a WATERMARK"))
        #expect(error("CREATE VIEW v AS SELECT a FROM plain DEDUPLICATE;").contains("maps cannot be compared"))
        #expect(error("CREATE VIEW v AS SELECT * FROM (SELECT brand, count(*) AS n FROM tx GROUP BY brand) DEDUPLICATE BY (brand);", start: "OUTPUT MODE update")
            .contains("over an aggregation's result is not supported"))
        #expect(error("CREATE VIEW v AS SELECT * FROM tx DEDUPLICATE BY auth_id;").contains("("))
        #expect(error("CREATE VIEW v AS SELECT * FROM tx DEDUPLICATE BY (auth_id) WITHIN;").contains("WATERMARK"))
        #expect(error("CREATE VIEW v AS SELECT auth_id FROM tx DEDUPLICATE BY (auth_id);", start: "OUTPUT MODE complete")
            .contains("complete mode needs an aggregation"))
        #expect(error("CREATE VIEW v AS SELECT a FROM plain DEDUPLICATE BY (a);") == "", "a stream without a watermark deduplicates too")
    }
}
