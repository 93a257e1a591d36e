@testable import CellKernel
import Foundation
import KafkaBridge
import Testing
import TransactionGenerator

/// The original tutorial's job, end to end: seeded `cells produce` messages on an embedded
/// broker, `notebooks/work.cells` run to the end of what is there, and the averages compared
/// with ones computed here from the produced messages, independently of the engine.
@Suite struct OriginalNotebookTests {
    @Test func workNotebookAveragesMatchAnIndependentComputation() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 6)
        var generator = CardTransactionGenerator(schema: .seed, seed: 2024)
        var key: [UInt8] = [], value: [UInt8] = []
        var values: [[UInt8]] = [], keys: [[UInt8]] = []
        for i in 0..<3_000 {
            generator.next(eventTimeMillis: 1_700_000_000_000 + Int64(i) * 37, key: &key, value: &value)
            values.append(value)
            keys.append(key)
        }
        try send(values, keys: keys, to: "streaming_cartao", on: cluster.bootstrapServers)

        // Independently: Foundation's JSON, Swift's Float parsing, plain sums.
        var sums: [String: Double] = [:], counts: [String: Int] = [:]
        for bytes in values {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
            let channel = try #require(object["formato_captura"])
            let text = try #require(object["value"]).filter { $0 != "$" && $0 != "," }
            let amount = Double(try #require(Float(text)))
            sums[channel, default: 0] += amount
            counts[channel, default: 0] += 1
        }

        let transcript = Transcript()
        let session = CellSession(environment: ["KAFKA_BOOTSTRAP": cluster.bootstrapServers], output: transcript.output)
        session.triggerOverride = .availableNow
        let notebook = try String(contentsOf: notebooksFolder.appendingPathComponent("work.cells"), encoding: .utf8)
        try session.run(script: notebook, file: "work.cells")

        let table = try #require(session.table("media_valor_captura"))
        #expect(table.schema.fields.map(\.name) == ["captura", "avg(valor)"])
        #expect(table.count == 3)
        for row in 0..<table.count {
            guard case .string(let channel) = table.columns[0].value(at: row), case .double(let average) = table.columns[1].value(at: row) else {
                Issue.record("unexpected row \(row)")
                continue
            }
            let expected = sums[channel]! / Double(counts[channel]!)
            #expect(abs(average - expected) <= 1e-9 * abs(expected), "\(channel): \(average) vs \(expected)")
        }
        #expect(counts.values.reduce(0, +) == 3_000)
        // The console sink printed Spark's table, and the progress line counted every message.
        #expect(transcript.value.contains("Batch: 0"))
        #expect(transcript.value.contains("|captura|"))
        #expect(transcript.value.contains("batch 0: 3000 rows"))

        // The memory table answers ad hoc SQL, as the original notebook re-read it.
        try session.run(script: "SELECT captura, `avg(valor)` FROM media_valor_captura WHERE captura = 'POS';")
        #expect(transcript.value.contains("|    POS|"))
    }

    @Test func newMessagesUpdateTheCompleteTable() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: 2)
        try send([#"{"k":"a","n":1}"#, #"{"k":"b","n":2}"#].map { Array($0.utf8) }, to: "t", on: cluster.bootstrapServers)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE s USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)', 'subscribe' = 't', 'startingOffsets' = 'earliest');
            CREATE STREAM e FROM s FORMAT json SCHEMA (k STRING, n INT);
            CREATE VIEW v AS SELECT k, count(*) AS c, sum(n) AS total FROM e GROUP BY k;
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE complete")
        let first = try #require(try query.runBatch())
        #expect(first.numInputRows == 2)
        #expect(try query.runBatch() == nil, "no new data: the batch is skipped")
        try send([#"{"k":"a","n":10}"#, #"{"k":"c","n":5}"#].map { Array($0.utf8) }, to: "t", on: cluster.bootstrapServers)
        let second = try #require(try query.runBatch())
        #expect(second.numInputRows == 2)
        #expect(second.startOffsets != second.endOffsets)
        #expect(second.lag.values.reduce(0, +) == 0)
        #expect(session.table("v")?.sortedRows == [["a", "2", "11"], ["b", "1", "2"], ["c", "1", "5"]])
        query.stop()
    }
}
