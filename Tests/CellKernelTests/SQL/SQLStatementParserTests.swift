import Testing
@testable import CellKernel

@Suite struct SQLStatementParserTests {
    /// The statements of the brief, as one script.
    static let tutorialScript = """
        CREATE SOURCE cartoes USING kafka OPTIONS (
          'kafka.bootstrap.servers' = '${KAFKA_BOOTSTRAP:-localhost:9092}',
          'subscribe' = 'streaming_cartao',
          'startingOffsets' = 'earliest');
        CREATE SOURCE history USING file OPTIONS ('path' = '/data/tx.jsonl');

        CREATE STREAM transacoes FROM cartoes FORMAT json SCHEMA (
          name STRING, bandeira STRING, credit_card STRING, value STRING,
          dia_compra STRING, horario_compra STRING, formato_captura STRING,
          event_time AS to_timestamp(concat(dia_compra, ' ', horario_compra)),   -- computed column
          amount DECIMAL(10,2), n INT, big BIGINT, f FLOAT, d DOUBLE, ok BOOLEAN, day DATE, ts TIMESTAMP
        ) WATERMARK event_time DELAY '10 seconds'
          OPTIONS ('mode' = 'PERMISSIVE', 'columnNameOfCorruptRecord' = '_corrupt_record');

        CREATE VIEW media_valor_captura AS
        SELECT formato_captura AS captura,
               avg(CAST(translate(value, '$,', '') AS FLOAT)) AS `avg(valor)`
        FROM transacoes GROUP BY formato_captura;

        START media_valor_captura OUTPUT MODE complete TRIGGER '5 seconds';
        START v OUTPUT MODE update TRIGGER ONCE;
        START v TRIGGER AVAILABLE NOW USING json OPTIONS ('path' = '/tmp/out');
        START v IN BACKGROUND;
        SELECT * FROM media_valor_captura;
        SHOW SOURCES; SHOW STREAMS; SHOW VIEWS; SHOW QUERIES;
        DESCRIBE transacoes;
        STOP media_valor_captura;
        """

    @Test func theWholeTutorialScriptParses() throws {
        let statements = try SQLParsing.script(Self.tutorialScript)
        #expect(statements.count == 15)
        #expect(statements[0].location.description == "1:1")
        #expect(statements[1].text == "CREATE SOURCE history USING file OPTIONS ('path' = '/data/tx.jsonl')")
        #expect(statements[14].kind == .stop(Identifier("media_valor_captura")))
        #expect(statements[14].location.line == 27)
    }

    @Test func createKafkaSource() throws {
        let statements = try SQLParsing.script(Self.tutorialScript, environment: ["KAFKA_BOOTSTRAP": "kafka:29092"])
        guard case .createSource(let source) = statements[0].kind else {
            Issue.record("expected CREATE SOURCE")
            return
        }
        #expect(source.name.name == "cartoes")
        #expect(source.connector.name == "kafka")
        #expect(!source.orReplace)
        #expect(source.options == [
            SQLOption("kafka.bootstrap.servers", "kafka:29092"),
            SQLOption("subscribe", "streaming_cartao"),
            SQLOption("startingOffsets", "earliest"),
        ])
        #expect(source.options[1].keyLocation.description == "3:3")
        #expect(source.options[1].valueLocation.description == "3:17")
        #expect(source.options[option: "STARTINGOFFSETS"] == "earliest")
    }

    @Test func createFileSourceAndOrReplace() throws {
        #expect(try SQLParsing.statement("CREATE SOURCE history USING file OPTIONS ('path' = '/data/tx.jsonl')")
            == .createSource(CreateSource(name: Identifier("history"), connector: Identifier("file"), options: [SQLOption("path", "/data/tx.jsonl")])))
        #expect(try SQLParsing.statement("create or replace source s using kafka")
            == .createSource(CreateSource(name: Identifier("s"), connector: Identifier("kafka"), orReplace: true)))
    }

    @Test func optionKeysMayBeDottedNamesAndValuesNumbersOrBooleans() throws {
        let kind = try SQLParsing.statement("CREATE SOURCE s USING kafka OPTIONS (kafka.group.id = 'g', maxOffsetsPerTrigger 1000, failOnDataLoss = false, x = -1)")
        guard case .createSource(let source) = kind else {
            Issue.record("expected CREATE SOURCE")
            return
        }
        #expect(source.options == [
            SQLOption("kafka.group.id", "g"), SQLOption("maxOffsetsPerTrigger", "1000"),
            SQLOption("failOnDataLoss", "false"), SQLOption("x", "-1"),
        ])
    }

    @Test func createStreamWithEveryTypeAComputedColumnAndAWatermark() throws {
        let statements = try SQLParsing.script(Self.tutorialScript)
        guard case .createStream(let stream) = statements[2].kind else {
            Issue.record("expected CREATE STREAM")
            return
        }
        #expect(stream.name.name == "transacoes")
        #expect(stream.source.name == "cartoes")
        #expect(stream.format.name == "json")
        #expect(stream.columns.map(\.name.name) == [
            "name", "bandeira", "credit_card", "value", "dia_compra", "horario_compra", "formato_captura",
            "event_time", "amount", "n", "big", "f", "d", "ok", "day", "ts",
        ])
        #expect(stream.columns.map(\.type) == [
            .string, .string, .string, .string, .string, .string, .string, nil,
            .decimal(precision: 10, scale: 2), .int, .bigint, .float, .double, .boolean, .date, .timestamp,
        ])
        #expect(stream.columns[7].expression == .call("to_timestamp", .call("concat", .col("dia_compra"), .str(" "), .col("horario_compra"))))
        #expect(stream.columns[7].name.location.description == "10:3")
        #expect(stream.watermark == Watermark(column: Identifier("event_time"), delay: "10 seconds"))
        #expect(stream.watermark?.delayLocation.description == "12:30")
        #expect(stream.watermark?.delayMicroseconds == 10_000_000)
        #expect(stream.options == [SQLOption("mode", "PERMISSIVE"), SQLOption("columnNameOfCorruptRecord", "_corrupt_record")])
    }

    @Test func createStreamClausesInAnyOrder() throws {
        let a = try SQLParsing.statement("CREATE STREAM s FROM src OPTIONS ('mode' = 'FAILFAST') WATERMARK ts DELAY '1 minute' SCHEMA (ts TIMESTAMP) FORMAT json")
        let b = try SQLParsing.statement("CREATE OR REPLACE STREAM s FROM src FORMAT json SCHEMA (ts TIMESTAMP) WATERMARK ts DELAY '1 minute' OPTIONS ('mode' = 'FAILFAST')")
        guard case .createStream(let first) = a, case .createStream(var second) = b else {
            Issue.record("expected CREATE STREAM")
            return
        }
        #expect(second.orReplace)
        second.orReplace = false
        #expect(first == second)
    }

    @Test func createView() throws {
        let statements = try SQLParsing.script(Self.tutorialScript)
        guard case .createView(let view) = statements[3].kind else {
            Issue.record("expected CREATE VIEW")
            return
        }
        #expect(view.name.name == "media_valor_captura")
        let expected = Select(
            items: [
                SelectItem(.col("formato_captura"), alias: Identifier("captura")),
                SelectItem(.call("avg", .cast(.call("translate", .col("value"), .str("$,"), .str("")), as: .float)), alias: Identifier("avg(valor)", isQuoted: true)),
            ],
            from: TableReference(name: Identifier("transacoes")),
            groupBy: [.col("formato_captura")])
        #expect(view.query == Query(expected))
        #expect(view.query.select.items[1].alias?.isQuoted == true)
        #expect(view.query.location.description == "16:1")
        #expect(statements[3].text.hasPrefix("CREATE VIEW media_valor_captura AS\nSELECT"))
        #expect(statements[3].text.hasSuffix("GROUP BY formato_captura"))
    }

    @Test func createOrReplaceTempView() throws {
        guard case .createView(let view) = try SQLParsing.statement("CREATE OR REPLACE TEMP VIEW v AS SELECT a FROM t") else {
            Issue.record("expected CREATE VIEW")
            return
        }
        #expect(view.orReplace)
        #expect(view.name.name == "v")
    }

    @Test func startClauses() throws {
        #expect(try SQLParsing.statement("START media_valor_captura OUTPUT MODE complete TRIGGER '5 seconds'")
            == .start(StartQuery(view: Identifier("media_valor_captura"), outputMode: .complete, trigger: .processingTime("5 seconds"))))
        #expect(try SQLParsing.statement("START v OUTPUT MODE update TRIGGER ONCE")
            == .start(StartQuery(view: Identifier("v"), outputMode: .update, trigger: .once)))
        #expect(try SQLParsing.statement("START v TRIGGER AVAILABLE NOW USING json OPTIONS ('path' = '/tmp/out')")
            == .start(StartQuery(view: Identifier("v"), trigger: .availableNow, sink: Identifier("json"), sinkOptions: [SQLOption("path", "/tmp/out")])))
        #expect(try SQLParsing.statement("START v IN BACKGROUND") == .start(StartQuery(view: Identifier("v"), background: true)))
        #expect(try SQLParsing.statement("start v") == .start(StartQuery(view: Identifier("v"))))
    }

    @Test func startClausesInAnyOrder() throws {
        let expected = StatementKind.start(StartQuery(
            view: Identifier("v"), outputMode: .append, trigger: .processingTime("1 minute"), sink: Identifier("memory"),
            sinkOptions: [SQLOption("queryName", "q")], background: true))
        let orders = [
            "START v OUTPUT MODE append TRIGGER '1 minute' USING memory OPTIONS ('queryName' = 'q') IN BACKGROUND",
            "START v IN BACKGROUND USING memory OPTIONS ('queryName' = 'q') TRIGGER '1 minute' OUTPUT MODE append",
            "START v TRIGGER '1 minute' IN BACKGROUND OUTPUT MODE APPEND USING memory OPTIONS ('queryName' = 'q')",
            "start v using memory options ('queryName' = 'q') output mode append in background trigger '1 minute';",
        ]
        for text in orders {
            #expect(try SQLParsing.statement(text) == expected, "\(text)")
        }
        guard case .start(let start) = try SQLParsing.statement(orders[1]) else { return }
        #expect(start.triggerLocation?.description == "1:64")
        #expect(start.outputModeLocation?.description == "1:83")
    }

    @Test func selectShowDescribeStop() throws {
        #expect(try SQLParsing.statement("SELECT * FROM media_valor_captura")
            == .select(Query(Select(items: [SelectItem(.of(.star(qualifier: nil)))], from: TableReference(name: Identifier("media_valor_captura"))))))
        #expect(try SQLParsing.script("SHOW SOURCES; SHOW STREAMS; SHOW VIEWS; SHOW QUERIES").map(\.kind)
            == [.show(.sources), .show(.streams), .show(.views), .show(.queries)])
        #expect(try SQLParsing.statement("DESCRIBE transacoes") == .describe(Identifier("transacoes")))
        #expect(try SQLParsing.statement("desc transacoes;") == .describe(Identifier("transacoes")))
        #expect(try SQLParsing.statement("STOP media_valor_captura") == .stop(Identifier("media_valor_captura")))
    }

    @Test func scriptsSkipEmptyStatementsAndMayOmitTheLastSemicolon() throws {
        #expect(try SQLParsing.script("").isEmpty)
        #expect(try SQLParsing.script("-- only a comment\n/* and another */").isEmpty)
        #expect(try SQLParsing.script(";; SHOW VIEWS;; SHOW QUERIES").map(\.kind) == [.show(.views), .show(.queries)])
    }

    @Test func commentsAnywhereAndTheirTextKept() throws {
        let statements = try SQLParsing.script("/* lead */ SELECT /* inner */ a -- trailing\nFROM t -- done\n; SHOW VIEWS")
        #expect(statements.map(\.kind) == [
            .select(Query(Select(items: [SelectItem(.col("a"))], from: TableReference(name: Identifier("t"))))), .show(.views),
        ])
        #expect(statements[0].location.description == "1:12")
        #expect(statements[0].text == "SELECT /* inner */ a -- trailing\nFROM t")
    }

    @Test func parsingOneStatementAtATime() throws {
        var parser = SQLParser(source: "SHOW VIEWS; STOP q")
        #expect(try parser.parseStatement()?.kind == .show(.views))
        #expect(try parser.parseStatement()?.kind == .stop(Identifier("q")))
        #expect(try parser.parseStatement() == nil)
        let error = try #require(SQLParsing.errorOfSingleStatement("SHOW VIEWS; STOP q"))
        #expect(error.message == "expected the end of the input but found 'STOP'")
        #expect(error.at == "1:13")
        #expect(try SQLParser.parseStatement("SHOW VIEWS;").kind == .show(.views))
        let empty = try #require(SQLParsing.errorOfSingleStatement("  -- nothing here\n"))
        #expect(empty.message == "expected a statement (CREATE, START, SELECT, SHOW, DESCRIBE, STOP, REFRESH, DROP or SET ENGINE) but found the end of the input")
        #expect(empty.at == "2:1")
        #expect(empty.isAtEndOfInput)
    }
}

extension SQLParsing {
    static func errorOfSingleStatement(_ text: String) -> SQLError? {
        do {
            _ = try SQLParser.parseStatement(text)
            return nil
        } catch {
            return error
        }
    }
}
