import CellKernel
import Foundation
import Testing
import TransactionGenerator
@testable import SparkBackend

/// The session's statements on a real Spark: errors at the notebook's lines, background
/// queries, SHOW QUERIES and STOP, SET ENGINE.
@Suite(.serialized, .enabled(if: sparkRemote != nil, "needs CELLS_SPARK_REMOTE: make test starts a Spark Connect server"))
struct SparkSessionTests {
    func session(_ transcript: Transcript) throws -> CellSession {
        let session = CellSession(environment: [:], output: transcript.output)
        session.engineResolver = { try SparkBackend(address: $0) }
        try session.useEngine(try #require(sparkRemote))
        return session
    }

    @Test func sparksAnalysisErrorNamesItsClassAtTheViewsLine() throws {
        let folder = try scratchFolder("errors")
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTransactions(50, schema: .seed, seed: 1, gapMillis: 100, into: folder)
        let spark = try session(Transcript())
        defer { spark.close() }
        spark.triggerOverride = .once
        // cells runs distinct aggregations over a stream; Spark refuses them.
        let notebook = """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(folder.path)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (name STRING, formato_captura STRING);
            CREATE VIEW v AS
              SELECT formato_captura, count(DISTINCT name) AS names FROM s GROUP BY formato_captura;
            START v OUTPUT MODE complete;
            """
        do {
            try spark.run(script: notebook, file: "distinct.cells")
            Issue.record("Spark ran a distinct aggregation over a stream")
        } catch {
            #expect(error.message.hasPrefix("distinct.cells:3:1: error: Spark: [_LEGACY_ERROR_TEMP_3102] Distinct aggregations are not supported"),
                    "\(error.message)")
            #expect(!error.message.contains("+- "), "no analysed plan in the message")
        }
    }

    @Test func aMissingKafkaConnectorSaysWhatToAdd() throws {
        let spark = try session(Transcript())
        defer { spark.close() }
        let notebook = """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:9092', 'subscribe' = 't');
            CREATE STREAM s FROM k FORMAT json SCHEMA (name STRING);
            CREATE VIEW v AS SELECT name FROM s;
            START v;
            """
        do {
            try spark.run(script: notebook, file: "kafka.cells")
            Issue.record("a Kafka source ran on a Spark without the connector")
        } catch {
            #expect(error.message.hasPrefix("kafka.cells:2:1: error: Spark: Spark has no Kafka connector"), "\(error.message)")
            #expect(error.message.contains("--packages org.apache.spark:spark-sql-kafka-0-10_2.13:"))
        }
    }

    @Test func backgroundQueryShowQueriesSelectAndStop() throws {
        let folder = try scratchFolder("background")
        defer { try? FileManager.default.removeItem(at: folder) }
        try writeTransactions(300, schema: .seed, seed: 3, gapMillis: 100, into: folder)
        let transcript = Transcript()
        let spark = try session(transcript)
        defer { spark.close() }
        try spark.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(folder.path)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (name STRING, formato_captura STRING);
            CREATE VIEW per_channel AS SELECT formato_captura, count(*) AS n FROM s GROUP BY formato_captura;
            START per_channel OUTPUT MODE complete TRIGGER '1 second' IN BACKGROUND;
            """)
        #expect(transcript.value.contains("started per_channel in the background"))
        // The first batch reads the whole file; its table fills the memory sink.
        var total = 0
        for _ in 0..<150 where total != 300 {
            Thread.sleep(forTimeInterval: 0.2)
            let rows = spark.table("per_channel")
            total = rows.map { batch in (0..<batch.count).reduce(0) { sum, row in
                if case .int(let n) = batch.columns[1].value(at: row) { sum + Int(n) } else { sum }
            } } ?? 0
        }
        #expect(total == 300)

        try spark.run(script: "SHOW QUERIES;")
        #expect(transcript.value.contains("per_channel") && transcript.value.contains("running (complete"))
        let before = transcript.value.count
        try spark.run(script: "SELECT sum(n) AS total FROM per_channel;")
        #expect(transcript.value.dropFirst(before).contains("|  300|"))

        #expect(throws: CellError.self) { try spark.run(script: "SET ENGINE local;") }
        try spark.run(script: "STOP per_channel;")
        #expect(transcript.value.contains("stopped per_channel"))
        try spark.run(script: "SET ENGINE local;")
        #expect(transcript.value.contains("engine: local"))
    }
}
