import CellKernel
import Foundation
import Testing
import TransactionGenerator
@testable import SparkBackend

/// The three notebooks on a real Spark (through Spark Connect) and on the local engine, over
/// the same seeded transactions: the notebooks unchanged but for their Kafka source, which
/// reads the same records from a file (Spark's Kafka connector cannot be installed here).
/// The tables must hold the same rows.
@Suite(.serialized, .enabled(if: sparkRemote != nil, "needs CELLS_SPARK_REMOTE: make test starts a Spark Connect server"))
struct SparkNotebookTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var notebook: String
        var schema: TransactionSchema
        var view: String
        var count: Int
        var gapMillis: Int64
        var testDescription: String { notebook }
    }

    static let cases = [
        Case(notebook: "work.cells", schema: .seed, view: "media_valor_captura", count: 3_000, gapMillis: 37),
        Case(notebook: "windows.cells", schema: .extended, view: "per_minute", count: 4_000, gapMillis: 45),
        // Dense enough in event time that some cards are declined 3 times within a minute.
        Case(notebook: "alerts.cells", schema: .extended, view: "declined_alerts", count: 20_000, gapMillis: 6),
    ]

    @Test(arguments: cases)
    func notebookOnSparkHasTheLocalEnginesRows(_ test: Case) throws {
        let folder = try scratchFolder(test.view)
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTransactions(test.count, schema: test.schema, seed: 2026, gapMillis: test.gapMillis, into: folder)
        let written = try String(contentsOf: notebooksFolder.appendingPathComponent(test.notebook), encoding: .utf8)
        let notebook = try overFiles(written, folder: folder)

        let local = CellSession(environment: [:], output: { _ in })
        local.triggerOverride = .availableNow
        try local.run(script: notebook, file: test.notebook)
        let expected = try #require(local.table(test.view))
        #expect(expected.count > 0, "the seeded data gives \(test.view) rows to compare")

        let transcript = Transcript()
        let spark = CellSession(environment: [:], output: transcript.output)
        spark.engineResolver = { try SparkBackend(address: $0) }
        defer { spark.close() }
        try spark.useEngine(try #require(sparkRemote))
        spark.triggerOverride = .availableNow
        try spark.run(script: notebook, file: test.notebook)
        let actual = try #require(spark.table(test.view))

        #expect(actual.schema.fields.map(\.name) == expected.schema.fields.map(\.name))
        #expect(actual.schema.fields.map(\.type) == expected.schema.fields.map(\.type))
        #expect(normalizedRows(actual) == normalizedRows(expected))
        // The shell's look: Spark's batches under the same banner, and a progress line.
        #expect(transcript.value.contains("engine: Apache Spark 4."))
        #expect(transcript.value.contains("Batch: 0"))
        #expect(transcript.value.contains("batch 0: \(test.count) rows"))

        // Ad hoc SQL at the prompt runs on Spark, over the memory table.
        let before = transcript.value.count
        try spark.run(script: "SELECT count(*) AS n FROM \(test.view);")
        let digits = "\(expected.count)"
        let cell = String(repeating: " ", count: max(0, 3 - digits.count)) + digits  // Spark's columns are 3 wide at least
        #expect(transcript.value.dropFirst(before).contains("|\(cell)|"))
    }
}
