import Foundation
import Testing

/// `cells run` on a notebook whose views read views (and a subquery, a CTE and a UNION ALL),
/// over a JSON-lines file: the console tables it prints hold the values computed here.
@Suite struct ViewChainRunTests {
    /// 60 records: brand i % 3, amount i; a second file of 10 with brand "Elo", amount 1000 + i.
    static let brands = ["Visa", "Master", "Elo"]

    func write(_ lines: [String]) throws -> String {
        let path = temporaryPath("records.jsonl")
        try lines.map { $0 + "\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func writeNotebook(_ text: String) throws -> String {
        let path = temporaryPath("chain.cells")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The rows of the last table printed after `Batch: N` (cells trimmed), header first.
    func lastTable(_ output: String) -> [[String]] {
        guard let chunk = output.components(separatedBy: "Batch: ").last else { return [] }
        return chunk.split(separator: "\n").filter { $0.hasPrefix("|") }.map { line in
            line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        }
    }

    @Test func viewsOverViewsPrintTheExpectedTotals() throws {
        let first = try write((0..<60).map { #"{"card_brand":"\#(Self.brands[$0 % 3])","amount":\#($0)}"# })
        let second = try write((0..<10).map { #"{"card_brand":"Elo","amount":\#(1000 + $0)}"# })
        defer {
            try? FileManager.default.removeItem(atPath: first)
            try? FileManager.default.removeItem(atPath: second)
        }
        let notebook = try writeNotebook("""
            -- %% Sources
            CREATE SOURCE f1 USING file OPTIONS ('path' = '\(first)');
            CREATE SOURCE f2 USING file OPTIONS ('path' = '\(second)');
            CREATE STREAM tx1 FROM f1 FORMAT json SCHEMA (card_brand STRING, amount DOUBLE);
            CREATE STREAM tx2 FROM f2 FORMAT json SCHEMA (card_brand STRING, amount DOUBLE);

            -- %% Views over views
            CREATE VIEW both AS SELECT card_brand, amount FROM tx1 UNION ALL SELECT card_brand, amount FROM tx2;
            CREATE VIEW big AS SELECT * FROM (SELECT card_brand, amount FROM both) WHERE amount >= 30;
            CREATE VIEW per AS
              WITH doubled AS (SELECT card_brand, amount * 2 AS twice FROM big)
              SELECT card_brand, count(*) AS n, sum(twice) AS total FROM doubled GROUP BY card_brand;
            CREATE VIEW shown AS SELECT card_brand, n, total FROM per WHERE n > 5;

            -- %% Start
            START shown OUTPUT MODE complete TRIGGER '5 seconds';
            """)
        defer { try? FileManager.default.removeItem(atPath: notebook) }

        let run = try cells("run", notebook, "--all", "--trigger", "available-now", timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stderr)")

        // Computed here: amounts 30..59 from the first file, all ten of the second.
        var counts: [String: Int] = [:], totals: [String: Double] = [:]
        for i in 30..<60 {
            counts[Self.brands[i % 3], default: 0] += 1
            totals[Self.brands[i % 3], default: 0] += 2 * Double(i)
        }
        for i in 0..<10 {
            counts["Elo", default: 0] += 1
            totals["Elo", default: 0] += 2 * Double(1000 + i)
        }
        let table = lastTable(run.stdout)
        #expect(table.first == ["card_brand", "n", "total"], "\(run.stdout)")
        let rows = Set(table.dropFirst().map { $0.joined(separator: "|") })
        let want = Set(counts.keys.filter { counts[$0]! > 5 }.map { "\($0)|\(counts[$0]!)|\(totals[$0]!)" })
        #expect(rows == want, "\(run.stdout)")
        #expect(want.count == 3 && counts["Elo"] == 20)
    }

    @Test func explainPrintsThePlanOfAViewChain() throws {
        let data = try write([#"{"card_brand":"Visa","amount":1}"#])
        defer { try? FileManager.default.removeItem(atPath: data) }
        let notebook = try writeNotebook("""
            CREATE SOURCE f USING file OPTIONS ('path' = '\(data)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (card_brand STRING, amount DOUBLE);
            CREATE VIEW big AS SELECT card_brand, amount FROM tx WHERE amount > 0;
            CREATE VIEW per AS SELECT card_brand, count(*) AS n FROM big GROUP BY card_brand;
            EXPLAIN per;
            """)
        defer { try? FileManager.default.removeItem(atPath: notebook) }
        let run = try cells("run", notebook, "--all")
        #expect(run.status == 0, "\(run.stderr)")
        let aggregate = try #require(run.stdout.range(of: "Aggregate"), "\(run.stdout)")
        let filter = try #require(run.stdout.range(of: "Filter"), "\(run.stdout)")
        let scan = try #require(run.stdout.range(of: "Scan"), "\(run.stdout)")
        #expect(aggregate.lowerBound < filter.lowerBound && filter.lowerBound < scan.lowerBound, "\(run.stdout)")
    }
}
