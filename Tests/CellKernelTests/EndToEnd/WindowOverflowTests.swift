@testable import CellKernel
import Foundation
import Testing

/// The windows notebook's query over a file: a record whose event time has no representable
/// window is left out and counted; the normal records are counted as before.
@Suite struct WindowOverflowEndToEndTests {
    /// A source file must exist for CREATE SOURCE; these views fail before reading it.
    let emptyFile: String = {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-wover-empty.jsonl").path
        FileManager.default.createFile(atPath: path, contents: Data())
        return path
    }()

    @Test func extremeEventTimeDoesNotStopTheStream() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-wover-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let lines = [
            #"{"card_brand":"Visa","amount":1,"event_time":"2024-01-01T00:00:10Z"}"#,
            #"{"card_brand":"Visa","amount":1,"event_time":-9223372036854}"#,
            #"{"card_brand":"Visa","amount":2,"event_time":"2024-01-01T00:00:50Z"}"#,
            #"{"card_brand":"Master","amount":4,"event_time":"2024-01-01T00:01:30Z"}"#,
            #"{"card_brand":"Visa","amount":1,"event_time":9223372036854}"#,
        ]
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (card_brand STRING, amount DOUBLE, event_time TIMESTAMP)
              WATERMARK event_time DELAY '30 seconds';
            CREATE VIEW per_minute AS
              SELECT window(event_time, '1 minute').start AS minute, card_brand, count(*) AS n, sum(amount) AS total
              FROM tx GROUP BY window(event_time, '1 minute'), card_brand;
            """)
        let query = try session.prepare(start: "START per_minute OUTPUT MODE complete")
        let progress = try #require(try query.runBatch())
        #expect(progress.numInputRows == 5)
        #expect(progress.numOutOfRangeTimes == 2)
        #expect(progress.line.contains("2 rows with event times out of window range dropped"))
        #expect(session.table("per_minute")?.sortedRows == [
            ["1704067200000000", "Visa", "2", "3.0"], ["1704067260000000", "Master", "1", "4.0"],
        ])
        query.stop()
    }

    @Test func windowOfOneMicrosecondSlideIsRejected() {
        let session = CellSession(output: { _ in })
        let script = """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(emptyFile)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (card_brand STRING, event_time TIMESTAMP);
            CREATE VIEW v AS SELECT count(*) AS n FROM tx GROUP BY window(event_time, '1 second', '1 microsecond');
            """
        var message = ""
        do { try session.run(script: script, file: "w.cells") } catch { message = error.message }
        #expect(message.contains("w.cells:3:"))
        #expect(message.contains("puts each row in 1000000 windows; at most 1000 are allowed"))
        #expect(message.contains("use a slide of at least 1/1000 of the window duration"))
    }

    @Test func sparksDurationErrors() {
        func error(_ window: String) -> String {
            let session = CellSession(output: { _ in })
            do {
                try session.run(script: """
                    CREATE SOURCE f USING file OPTIONS ('path' = '\(emptyFile)');
                    CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP);
                    CREATE VIEW v AS SELECT count(*) AS n FROM tx GROUP BY \(window);
                    """)
            } catch { return error.message }
            return ""
        }
        #expect(error("window(event_time, '0 seconds')").contains("the window duration ('0 seconds') must be greater than 0"))
        #expect(error("window(event_time, '1 minute', '-1 second')").contains("the slide duration ('-1 second') must be greater than 0"))
        #expect(error("window(event_time, '1 minute', '2 minutes')").contains(
            "the slide duration ('2 minutes') must be less than or equal to the window duration ('1 minute')"))
        #expect(error("window(event_time, '1 minute', '30 seconds', '30 seconds')").contains(
            "the absolute value of the start time ('30 seconds') must be less than the slide duration ('30 seconds')"))
        #expect(error("window(event_time, '1 minute', '1 second')") == "", "60 windows per row are fine")
        #expect(error("window(event_time, '1000 seconds', '1 second')") == "", "1000 windows per row are the limit")
        #expect(error("window(event_time, '1001 seconds', '1 second')").contains("1001 windows"))
        #expect(error("window(event_time, '106751992 days')").contains(
            "'106751992 days' is longer than the longest duration a TIMESTAMP can span (2^63 microseconds, about 106751991 days)"))
        #expect(error("window(event_time, '106751991 days')") == "")
    }

    @Test func delayPastTheLongestIntervalIsNamed() {
        let session = CellSession(output: { _ in })
        var message = ""
        do {
            try session.run(script: """
                CREATE SOURCE f USING file OPTIONS ('path' = '\(emptyFile)');
                CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP) WATERMARK event_time DELAY '200000000 days';
                """)
        } catch { message = error.message }
        #expect(message.contains("'200000000 days' is longer than the longest interval (2^63 microseconds, about 106751991 days)"))
    }

    @Test func hugeWatermarkDelayDoesNotOverflow() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-wover-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (#"{"event_time":-9223372036854}"# + "\n" + #"{"event_time":"2024-01-01T00:00:10Z"}"# + "\n")
            .write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP) WATERMARK event_time DELAY '106751991 days';
            CREATE VIEW v AS SELECT window(event_time, '106751991 days').start AS w, count(*) AS n FROM tx
              GROUP BY window(event_time, '106751991 days');
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE update")
        let progress = try #require(try query.runBatch())
        #expect(progress.numInputRows == 2)
        #expect(progress.watermark == 0, "2024 minus 106751991 days is before the epoch: the watermark stays")
        query.stop()
    }
}
