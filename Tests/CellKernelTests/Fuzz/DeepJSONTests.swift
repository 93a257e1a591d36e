@testable import CellKernel
import Foundation
import Testing

/// Records nested a million levels deep are malformed records with a reason, in each of Spark's
/// corrupt-record modes, and decoding them uses no more stack than a Dispatch worker has.
@Suite struct DeepJSONTests {
    static let records = [
        #"{"k":"a","n":1}"#,
        #"{"k":"b","n":2,"x":"# + String(repeating: "[", count: 1_000_000) + String(repeating: "]", count: 1_000_000) + "}",
        #"{"k":"c","n":3,"x":"# + String(repeating: #"{"y":"#, count: 1_000_000) + "1" + String(repeating: "}", count: 1_000_000) + "}",
        #"{"k":"d","n":4,"x":"# + String(repeating: "[{\"z\":", count: 300_000),  // deep and truncated
        #"{"k":"e","n":5,"x":"# + String(repeating: "[", count: 999) + String(repeating: "]", count: 999) + "}",  // within the limit
    ]

    func run(mode: String) throws -> (FuzzOutcome, Batch?) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-deepjson-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (Self.records.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = onThread(stackSize: smallestStack) { () -> (FuzzOutcome, Batch?) in
            let session = CellSession(environment: [:], output: { _ in })
            do throws(CellError) {
                try session.run(script: """
                    CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
                    CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n INT)
                      OPTIONS ('mode' = '\(mode)', 'columnNameOfCorruptRecord' = 'bad');
                    CREATE VIEW rows AS SELECT k, n, bad IS NOT NULL AS corrupt FROM e;
                    START rows TRIGGER ONCE;
                    """)
                return (.success, session.table("rows"))
            } catch {
                return (FuzzOutcome(error), nil)
            }
        }
        return try #require(result)
    }

    @Test func permissiveKeepsDeepRecordsAsCorrupt() throws {
        let (outcome, table) = try run(mode: "PERMISSIVE")
        #expect(outcome == .success)
        let rows = try #require(table).sortedRows.map { $0.joined(separator: ",") }
        // As in Spark, a record that is not well-formed keeps no field, only its text.
        #expect(rows == ["NULL,NULL,true", "NULL,NULL,true", "NULL,NULL,true", "a,1,false", "e,5,false"])
    }

    @Test func dropMalformedDropsDeepRecords() throws {
        let (outcome, table) = try run(mode: "DROPMALFORMED")
        #expect(outcome == .success)
        #expect(try #require(table).sortedRows.map { $0[0] } == ["a", "e"])
    }

    @Test func failFastNamesTheNesting() throws {
        let (outcome, _) = try run(mode: "FAILFAST")
        guard case .runtimeError(let message) = outcome else { Issue.record("\(outcome)"); return }
        #expect(message.contains("nesting deeper than 1000 levels"), "\(message.prefix(500))")
    }
}
