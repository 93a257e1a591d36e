import CellKernel
import Synchronization
import Testing
@testable import SparkBackend
@testable import SparkConnect

/// A backend that keeps what START asks of it and runs nothing: the requests a notebook makes,
/// for the translation to be checked message by message without a server.
final class CapturingBackend: ExecutionBackend {
    struct Captured: Error {}
    let name = "capture"
    let readsDefinitions = true
    private let requests = Mutex<[QueryRequest]>([])

    func prepare(_ request: QueryRequest) throws -> any RunningQuery {
        requests.withLock { $0.append(request) }
        throw Captured()
    }

    var last: QueryRequest? { requests.withLock { $0.last } }
}

/// What a notebook's definitions become on Spark: the temp views, the streaming writes and
/// every option, field by field.
@Suite struct SparkTranslationTests {
    /// The translation of the START that ends `script`.
    func translate(_ script: String) throws -> SparkTranslation {
        let backend = CapturingBackend()
        let session = CellSession(environment: [:], backend: backend, output: { _ in })
        #expect(throws: CellError.self) { try session.run(script: script) }
        return try SparkTranslation(try #require(backend.last))
    }

    static let kafkaStream = """
        CREATE SOURCE k USING kafka OPTIONS (
          'kafka.bootstrap.servers' = 'b1:9092,b2:9092', 'subscribe' = 't1,t2', 'startingOffsets' = 'earliest',
          'maxOffsetsPerTrigger' = '1000', 'failOnDataLoss' = 'false', 'kafka.security.protocol' = 'SASL_SSL');
        CREATE STREAM s FROM k FORMAT json SCHEMA (a STRING, b DOUBLE, ts TIMESTAMP, c AS b * 2)
          WATERMARK ts DELAY '1 minute' OPTIONS ('mode' = 'FAILFAST');
        CREATE VIEW v AS SELECT a, count(*) AS n, sum(c) AS total FROM s GROUP BY a;

        """

    @Test func kafkaSourceKeepsEveryOptionAndDecodesTheValue() throws {
        let plan = try translate(Self.kafkaStream + "START v OUTPUT MODE complete TRIGGER '5 seconds';")
        #expect(plan.views.map(\.name) == ["cells_source_s", "s"])

        let source = plan.views[0].relation
        #expect(source.read.isStreaming)
        #expect(source.read.dataSource.format == "kafka")
        #expect(source.read.dataSource.options == [
            "kafka.bootstrap.servers": "b1:9092,b2:9092", "subscribe": "t1,t2", "startingOffsets": "earliest",
            "maxOffsetsPerTrigger": "1000", "failOnDataLoss": "false", "kafka.security.protocol": "SASL_SSL",
        ])
        #expect(source.read.dataSource.paths.isEmpty)

        let stream = plan.views[1].relation
        #expect(stream.withWatermark.eventTime == "ts")
        #expect(stream.withWatermark.delayThreshold == "1 minute")
        let decoded = "SELECT *, from_json(CAST(`value` AS STRING), '`a` STRING, `b` DOUBLE, `ts` TIMESTAMP', map('mode', 'FAILFAST')) AS `record` FROM `cells_source_s`"
        let plain = "SELECT `record`.`a` AS `a`, `record`.`b` AS `b`, `record`.`ts` AS `ts`, CAST(`key` AS STRING) AS `key`, "
            + "CAST(`value` AS STRING) AS `value`, `topic` AS `topic`, `partition` AS `partition`, `offset` AS `offset`, "
            + "`timestamp` AS `timestamp`, `timestampType` AS `timestampType` FROM (\(decoded))"
        let computed = "SELECT *, " + (try #require(stream.withWatermark.input.sql.query.firstMatch(of: /SELECT \*, (.*) AS `c` FROM/)?.output.1)) + " AS `c` FROM (\(plain))"
        #expect(stream.withWatermark.input.sql.query
                == "SELECT `a`, `b`, `ts`, `c`, `key`, `value`, `topic`, `partition`, `offset`, `timestamp`, `timestampType` FROM (\(computed))")

        #expect(plan.writes.count == 1)
        let memory = plan.writes[0].start
        #expect(memory.format == "memory")
        #expect(memory.queryName == "v")
        #expect(memory.outputMode == "complete")
        #expect(memory.processingTimeInterval == "5 seconds")
        #expect(memory.input.sql.query.contains("GROUP BY"))
        #expect(memory.options.isEmpty)
        #expect(plan.console == [:])
    }

    @Test func triggersMapOneToOne() throws {
        let script = Self.kafkaStream + "START v OUTPUT MODE complete TRIGGER "
        #expect(try translate(script + "ONCE;").writes[0].start.once)
        #expect(try translate(script + "AVAILABLE NOW;").writes[0].start.availableNow)
        #expect(try translate(script + "'250 milliseconds';").writes[0].start.processingTimeInterval == "250 milliseconds")
        #expect(try translate(script + "'0 seconds';").writes[0].start.processingTimeInterval == "0 seconds")
    }

    @Test func kafkaSinkWritesEachRowAsJSONKeyedByTheKeyColumn() throws {
        let plan = try translate(Self.kafkaStream + """
            START v OUTPUT MODE update USING kafka OPTIONS (
              'kafka.bootstrap.servers' = 'out:9092', 'topic' = 'alerts', 'key' = 'a', 'checkpointLocation' = '/chk/v');
            """)
        #expect(plan.writes.map(\.connector) == ["memory", "kafka"])
        let sink = plan.writes[1].start
        #expect(sink.format == "kafka")
        #expect(sink.options == ["kafka.bootstrap.servers": "out:9092", "topic": "alerts", "checkpointLocation": "/chk/v"])
        #expect(sink.outputMode == "update")
        #expect(sink.input.sql.query.hasPrefix("SELECT CAST(`a` AS STRING) AS `key`, to_json(struct(*)) AS `value` FROM (SELECT "))
        #expect(plan.writes[0].start.options.isEmpty, "the memory table keeps no checkpoint when the sink has it")
        #expect(plan.console == nil)
    }

    @Test func fileSourceIsReadAsTextLines() throws {
        let plan = try translate("""
            CREATE SOURCE f USING file OPTIONS ('path' = '/data/in');
            CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING);
            CREATE VIEW v AS SELECT a FROM s;
            START v USING json OPTIONS ('path' = '/data/out', 'checkpointLocation' = '/chk');
            """)
        let read = plan.views[0].relation.read
        #expect(read.dataSource.format == "text")
        #expect(read.dataSource.paths == ["/data/in"])
        #expect(read.dataSource.options.isEmpty)
        #expect(plan.views[1].relation.sql.query.contains("from_json(CAST(`value` AS STRING), '`a` STRING')"))
        let sink = plan.writes[1].start
        #expect(sink.format == "json")
        #expect(sink.path == "/data/out")
        #expect(sink.options == ["checkpointLocation": "/chk"])
        #expect(sink.outputMode == "append")
    }

    @Test func viewsOverViewsAreCreatedInOrder() throws {
        let plan = try translate("""
            CREATE SOURCE f USING file OPTIONS ('path' = '/data/in');
            CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING, b INT);
            CREATE VIEW big AS SELECT a, b FROM s WHERE b > 10;
            CREATE VIEW per_a AS SELECT a, count(*) AS n FROM big GROUP BY a;
            START per_a;
            """)
        #expect(plan.views.map(\.name) == ["cells_source_s", "s", "big"])
        #expect(plan.writes[0].start.queryName == "per_a")
        #expect(plan.writes[0].start.input.sql.query.contains("`big`"))
    }

    @Test func whatSparkCannotRunIsRefusedBeforeAnythingStarts() throws {
        let file = "CREATE SOURCE f USING file OPTIONS ('path' = '/data/in'"
        let refusals: [(String, String)] = [
            (file + ", 'maxOffsetsPerTrigger' = '100'); CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING); CREATE VIEW v AS SELECT a FROM s; START v;",
             "maxOffsetsPerTrigger"),
            (file + "); CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING); CREATE VIEW v AS SELECT a FROM s; START v USING json OPTIONS ('path' = '/o');",
             "needs a checkpointLocation"),
            (file + "); CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING); CREATE VIEW v AS SELECT a FROM s; START v OUTPUT MODE append USING memory OPTIONS ('checkpointLocation' = '/c');",
             "only in complete mode"),
        ]
        for (script, words) in refusals {
            let backend = CapturingBackend()
            let session = CellSession(environment: [:], backend: backend, output: { _ in })
            #expect(throws: CellError.self) { try session.run(script: script) }
            let request = try #require(backend.last)
            #expect(throws: SparkTranslationError.self) { try SparkTranslation(request) }
            do {
                _ = try SparkTranslation(request)
            } catch {
                #expect(error.description.contains(words), "\(error)")
            }
        }
    }

    @Test func dropMalformedIsRefusedAtItsOption() throws {
        let backend = CapturingBackend()
        let session = CellSession(environment: [:], backend: backend, output: { _ in })
        let script = """
            CREATE SOURCE f USING file OPTIONS ('path' = '/data/in');
            CREATE STREAM s FROM f FORMAT json SCHEMA (a STRING) OPTIONS ('mode' = 'DROPMALFORMED');
            CREATE VIEW v AS SELECT a FROM s;
            START v;
            """
        do {
            try session.run(script: script)
            Issue.record("START ran")
        } catch {
            #expect(error.message.contains("DROPMALFORMED runs only on the local engine"))
            #expect(error.message.contains("2:"), "points at the option: \(error.message)")
        }
        #expect(backend.last == nil, "nothing reached the engine")
    }

    @Test func aSourceOnAnotherEngineIsNotReachedFromHere() throws {
        let transcript = Transcript()
        let session = CellSession(environment: [:], backend: CapturingBackend(), output: transcript.output)
        // No broker listens there, and no such file exists here: Spark reads them, not cells.
        try session.run(script: """
            CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '127.0.0.1:1', 'subscribe' = 't');
            CREATE SOURCE f USING file OPTIONS ('path' = '/nowhere/at/all');
            """)
        #expect(transcript.value.contains("source k: kafka, read by capture"))
        #expect(transcript.value.contains("source f: file, read by capture"))
    }

    @Test func intervalsAreWholeSecondsOrMilliseconds() {
        #expect(SparkText.interval(micros: 5_000_000) == "5 seconds")
        #expect(SparkText.interval(micros: 1_500_000) == "1500 milliseconds")
        #expect(SparkSQLText.identifier("a`b") == "`a``b`")
        #expect(SparkSQLText.string("it's a \\ test\n") == "'it\\'s a \\\\ test\\n'")
    }
}
