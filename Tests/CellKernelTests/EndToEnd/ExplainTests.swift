import CellKernel
import Foundation
import Testing

/// EXPLAIN prints a view's (or a query's) logical plan, a tree of Scan / Filter / Project /
/// Window / Aggregate / Sort / Limit / UnionAll nodes, then its physical plan; it runs nothing.
@Suite struct ExplainTests {
    final class Fixture {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-explain-\(UUID().uuidString).jsonl").path
        let transcript = Transcript()
        let session: CellSession

        init() throws {
            try #"{"event_time":"2024-01-01T00:00:10Z","card_brand":"Visa","amount":150.0}"#.write(toFile: file, atomically: true, encoding: .utf8)
            session = CellSession(output: transcript.output)
            try session.run(script: """
                CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
                CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP, card_brand STRING, amount DOUBLE)
                  WATERMARK event_time DELAY '1 minute';
                CREATE VIEW big AS SELECT card_brand, amount FROM tx WHERE amount > 100;
                CREATE VIEW doubled AS SELECT card_brand, amount * 2 AS twice FROM big;
                CREATE VIEW per AS SELECT card_brand, count(*) AS n, sum(twice) AS total FROM doubled GROUP BY card_brand;
                """)
        }
        deinit { try? FileManager.default.removeItem(atPath: file) }

        /// What `statement` printed.
        func explain(_ statement: String) throws -> String {
            let before = transcript.value.count
            try session.run(script: statement, file: "e.cells")
            return String(transcript.value.dropFirst(before))
        }
    }

    /// Where each of `words` first occurs in `text`, searching from where the one before was found.
    func inOrder(_ words: [String], in text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        var rest = text[...]
        for word in words {
            guard let range = rest.range(of: word) else {
                Issue.record("\(word) does not follow \(words.prefix { $0 != word }) in:\n\(text)", sourceLocation: sourceLocation)
                return
            }
            rest = rest[range.upperBound...]
        }
    }

    /// The logical part (before the physical plan's heading) and the physical part.
    func parts(_ text: String) throws -> (logical: String, physical: String) {
        let lower = text.lowercased()
        let logical = try #require(lower.range(of: "== logical"), "a logical plan heading in:\n\(text)")
        let physical = try #require(lower.range(of: "== physical"), "a physical plan heading in:\n\(text)")
        #expect(logical.lowerBound < physical.lowerBound, "the logical plan first")
        let cut = text.index(text.startIndex, offsetBy: lower.distance(from: lower.startIndex, to: physical.lowerBound))
        return (String(text[..<cut]), String(text[cut...]))
    }

    /// The node names of a printed plan, one per line, top down (tree glyphs dropped).
    func nodes(_ plan: String) -> [String] {
        plan.split(separator: "\n").filter { !$0.hasPrefix("==") }.compactMap { line in
            line.drop { " +-|".contains($0) }.split(separator: " ").first.map(String.init)
        }
    }

    @Test func threeLevelChainShowsEveryNodeTopDown() throws {
        let fixture = try Fixture()
        let text = try fixture.explain("EXPLAIN per;")
        #expect(text.contains("== Logical plan ==") && text.contains("== Physical plan =="), "\(text)")
        let (logical, physical) = try parts(text)
        // Top down: the result's names, the aggregation (which takes in the projection computing
        // twice: it groups its expressions directly), the filter, the scan.
        #expect(nodes(logical) == ["Project", "Aggregate", "Filter", "Scan"], "\(logical)")
        // Nodes name their columns.
        inOrder(["AS card_brand", "AS n", "AS total", "Aggregate keys [card_brand]", "count(*)", "sum((amount * ", "amount > ", "Scan stream tx", "[card_brand, amount]"], in: logical)
        #expect(!logical.contains("UnionAll"))
        // Physical: the stateless levels fused into the scan, under the aggregation.
        #expect(nodes(physical) == ["Project", "HashAggregate", "FusedScan"], "\(physical)")
        let fused = try #require(physical.split(separator: "\n").first { $0.contains("FusedScan") }).description
        inOrder(["FusedScan", "Scan tx", "Filter", "partial aggregate"], in: fused)
        #expect(fixture.session.table("per") == nil, "EXPLAIN runs nothing")
    }

    @Test func explainOfAStatelessViewHasNoAggregate() throws {
        let fixture = try Fixture()
        let (logical, _) = try parts(try fixture.explain("EXPLAIN doubled;"))
        inOrder(["Project", "Filter", "Scan"], in: logical)
        #expect(!logical.contains("Aggregate"))
    }

    @Test func explainSelectWithCTEAndUnionOverStreams() throws {
        let fixture = try Fixture()
        let text = try fixture.explain("""
            EXPLAIN WITH a AS (SELECT card_brand, amount FROM tx WHERE amount > 10)
            SELECT card_brand, amount FROM a UNION ALL SELECT card_brand, twice FROM doubled;
            """)
        let (logical, physical) = try parts(text)
        #expect(nodes(logical) == ["UnionAll", "Filter", "Scan", "Project", "Filter", "Scan"], "\(logical)")
        #expect(logical.hasPrefix("== Logical plan ==\nUnionAll [card_brand, amount]"), "names from the first SELECT: \(logical)")
        // Both sides are stateless: one fused scan reading the stream once per side.
        #expect(nodes(physical) == ["FusedScan"], "\(physical)")
        #expect(physical.components(separatedBy: "Scan tx").count - 1 == 2, "\(physical)")
    }

    @Test func explainSelectOverTablesWithSortAndLimit() throws {
        // ORDER BY and LIMIT of the union as a whole, over the view once it is started.
        let fixture = try Fixture()
        fixture.session.triggerOverride = .availableNow
        try fixture.session.run(script: "START per OUTPUT MODE complete;")
        let text = try fixture.explain("EXPLAIN SELECT card_brand, n FROM per WHERE n > 0 UNION ALL SELECT card_brand, total FROM per ORDER BY n DESC LIMIT 5;")
        let (logical, _) = try parts(text)
        inOrder(["Limit", "Sort", "UnionAll", "Filter", "Scan"], in: logical)
        // Names from the first SELECT; BIGINT n under DOUBLE total widens to DOUBLE, as in Spark.
        inOrder(["UnionAll [card_brand, n]", "CAST(n AS DOUBLE) AS n"], in: logical)
    }

    /// EXPLAIN lowers a table query without its rows: a scan pruned to its later columns
    /// must not index the (absent) table's columns.
    @Test func explainOfATableScanPrunedToItsLastColumn() throws {
        let fixture = try Fixture()
        fixture.session.triggerOverride = .availableNow
        try fixture.session.run(script: "START per OUTPUT MODE complete;")
        let text = try fixture.explain("EXPLAIN SELECT total FROM per WHERE total > 0;")
        let (logical, physical) = try parts(text)
        inOrder(["Filter", "Scan"], in: logical)
        #expect(physical.contains("per"), "\(physical)")
    }

    @Test func explainOfAWindowedAggregation() throws {
        let fixture = try Fixture()
        let text = try fixture.explain("""
            EXPLAIN SELECT window(event_time, '1 minute').start AS minute, count(*) AS n FROM tx GROUP BY window(event_time, '1 minute');
            """)
        let (logical, _) = try parts(text)
        inOrder(["Aggregate", "Window", "Scan"], in: logical)
    }

    @Test func explainOfAnUnknownNameIsAnErrorAtTheName() throws {
        let fixture = try Fixture()
        let error = #expect(throws: CellError.self) { try fixture.session.run(script: "SHOW VIEWS;\nEXPLAIN  nope;", file: "e.cells") }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("e.cells:2:10: error: unknown view 'nope'"), "at the name: \(message)")
        #expect(message.contains("hint: views: big, doubled, per"), "says what exists: \(message)")
    }
}
