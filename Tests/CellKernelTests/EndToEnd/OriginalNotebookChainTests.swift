import CellKernel
import Foundation
import KafkaBridge
import Testing
import TransactionGenerator

/// The original PySpark notebook in its own three stages, each a view over the one before:
/// `df_dois` (the seven JSON fields, what `from_json` gave), `df_media_captura` (`translate`
/// strips '$' and ',', then a cast to float, next to the capture channel), and the average per
/// channel (`groupby('formato_captura').mean()`). On the same seeded messages its table must be
/// work.cells' table, row for row and value for value.
@Suite struct OriginalNotebookChainTests {
    static let chain = """
        CREATE SOURCE cartoes USING kafka OPTIONS (
          'kafka.bootstrap.servers' = '${KAFKA_BOOTSTRAP:-localhost:9092}',
          'subscribe' = 'streaming_cartao',
          'startingOffsets' = 'earliest');
        CREATE STREAM transacoes FROM cartoes FORMAT json SCHEMA (
          name STRING, bandeira STRING, credit_card STRING, value STRING,
          dia_compra STRING, horario_compra STRING, formato_captura STRING);
        CREATE VIEW df_dois AS
          SELECT name, bandeira, credit_card, value, dia_compra, horario_compra, formato_captura FROM transacoes;
        CREATE VIEW df_media_captura AS
          SELECT formato_captura AS captura, CAST(translate(value, '$,', '') AS FLOAT) AS valor FROM df_dois;
        CREATE VIEW media_valor_captura AS
          SELECT captura, avg(valor) FROM df_media_captura GROUP BY captura;
        START media_valor_captura OUTPUT MODE complete TRIGGER '5 seconds';
        """

    @Test func threeViewsGiveWorkNotebooksTable() throws {
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
        let environment = ["KAFKA_BOOTSTRAP": cluster.bootstrapServers]

        let notebook = CellSession(environment: environment, output: { _ in })
        notebook.triggerOverride = .availableNow
        try notebook.run(script: try String(contentsOf: notebooksFolder.appendingPathComponent("work.cells"), encoding: .utf8), file: "work.cells")
        let expected = try #require(notebook.table("media_valor_captura"))

        let transcript = Transcript()
        let chained = CellSession(environment: environment, output: transcript.output)
        chained.triggerOverride = .availableNow
        try chained.run(script: Self.chain, file: "chain.cells")
        let table = try #require(chained.table("media_valor_captura"))

        #expect(table.schema.fields.map(\.name) == ["captura", "avg(valor)"], "Spark names the unaliased average avg(valor)")
        #expect(table.schema.fields.map(\.name) == expected.schema.fields.map(\.name))
        #expect(table.count == 3)
        #expect(transcript.value.contains("batch 0: 3000 rows"), "every message read once, through three views")
        // Exactly the same rows and values: the same additions in the same order.
        #expect(table.sortedRows == expected.sortedRows)

        // And both against an independent computation (Foundation's JSON, Swift's Float).
        var sums: [String: Double] = [:], counts: [String: Int] = [:]
        for bytes in values {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: String])
            let channel = try #require(object["formato_captura"])
            let text = try #require(object["value"]).filter { $0 != "$" && $0 != "," }
            sums[channel, default: 0] += Double(try #require(Float(text)))
            counts[channel, default: 0] += 1
        }
        for row in 0..<table.count {
            guard case .string(let channel) = table.columns[0].value(at: row), case .double(let average) = table.columns[1].value(at: row) else {
                Issue.record("unexpected row \(row)")
                continue
            }
            let want = try #require(sums[channel]) / Double(try #require(counts[channel]))
            #expect(abs(average - want) <= 1e-9 * abs(want), "\(channel): \(average) vs \(want)")
        }
    }

    /// The middle view alone: a stateless view over a stateless view, appended row by row.
    @Test func middleViewCastsEveryValue() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("streaming_cartao", partitions: 2)
        let messages = [
            #"{"name":"A","value":"$1,234.50","formato_captura":"POS"}"#,
            #"{"name":"B","value":"$7.25","formato_captura":"TEF"}"#,
            #"{"name":"C","value":"$12,000.00","formato_captura":"POS"}"#,
        ]
        try send(messages.map { Array($0.utf8) }, to: "streaming_cartao", on: cluster.bootstrapServers)
        let session = CellSession(environment: ["KAFKA_BOOTSTRAP": cluster.bootstrapServers], output: { _ in })
        session.triggerOverride = .availableNow
        let script = Self.chain.replacingOccurrences(of: "START media_valor_captura OUTPUT MODE complete", with: "START df_media_captura OUTPUT MODE append")
        try session.run(script: script)
        let table = try #require(session.table("df_media_captura"))
        #expect(table.schema.fields.map(\.name) == ["captura", "valor"])
        #expect(table.sortedRows == [["POS", "12000.0"], ["POS", "1234.5"], ["TEF", "7.25"]])
    }
}
