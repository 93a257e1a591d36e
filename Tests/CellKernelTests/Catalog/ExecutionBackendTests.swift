import CellKernel  // not @testable: a second engine is written against the public surface alone
import Foundation
import Synchronization
import Testing

/// A backend of the test's own, outside the kernel: it records what the session asks and
/// hands the running to the local engine, as a Spark Connect backend would hand it to Spark.
private final class RecordingBackend: ExecutionBackend {
    let local = LocalBackend()
    let requests = Mutex<[QueryRequest]>([])
    var name: String { "recording" }

    func prepare(_ request: QueryRequest) throws -> any RunningQuery {
        requests.withLock { $0.append(request) }
        return try local.prepare(request)
    }
}

@Suite struct ExecutionBackendTests {
    private static func lines(_ rows: [(String, Double)]) -> String {
        rows.map { "{\"card_brand\":\"\($0.0)\",\"amount\":\($0.1)}\n" }.joined()
    }

    private static func file(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "cells-backend-\(UUID().uuidString).jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theSessionStartsViewsOnItsBackendAndKeepsOnlyTheHandle() throws {
        let path = try Self.file(Self.lines([("Visa", 10), ("Elo", 5), ("Visa", 2.5), ("Amex", 300)]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let backend = RecordingBackend()
        let printed = Mutex<[SessionOutput]>([])
        let session = CellSession(environment: [:], backend: backend, events: { event in printed.withLock { $0.append(event) } })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (card_brand STRING, amount DOUBLE);
            CREATE VIEW big AS SELECT * FROM tx WHERE amount > 3;
            CREATE VIEW per AS SELECT card_brand, count(*) AS n, sum(amount) AS total FROM big GROUP BY card_brand;
            START per TRIGGER AVAILABLE NOW;
            """)

        let requests = backend.requests.withLock { $0 }
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.name == "per")
        #expect(request.outputMode == .complete)
        #expect(request.trigger == .availableNow)
        #expect(request.plan.schema.fields.map(\.name) == ["card_brand", "n", "total"])
        #expect(request.plan.isAggregate)
        #expect(request.sources == [SourceDefinition(name: "f", connector: "file", options: ["path": path])])
        #expect(request.sinks == [SinkDefinition(connector: "console", options: [:])])

        // What the session shows came as values: a batch's table, then its progress.
        let events = printed.withLock { $0 }
        let batches = events.compactMap { if case .batch(let view, let id, let table) = $0 { (view, id, table) } else { nil } }
        #expect(batches.count == 1)
        #expect(batches.first?.0 == "per" && batches.first?.1 == 0)
        let progress = events.compactMap { if case .progress(_, let p) = $0 { p } else { nil } }
        #expect(progress.map(\.numInputRows) == [4])

        // SELECT reads the handle's result table.
        let table = try #require(session.table("per"))
        var totals: [String: (Int64, Double)] = [:]
        for row in 0..<table.count {
            guard case .string(let brand) = table.columns[0].value(at: row), case .int(let n) = table.columns[1].value(at: row),
                  case .double(let total) = table.columns[2].value(at: row) else { continue }
            totals[brand] = (n, total)
        }
        #expect(totals.count == 3)
        #expect(totals["Visa"]?.0 == 1 && totals["Visa"]?.1 == 10)
        #expect(totals["Elo"]?.0 == 1 && totals["Elo"]?.1 == 5)
        #expect(totals["Amex"]?.1 == 300)
    }

    @Test func aBackgroundHandleIsWhatShowQueriesAndStopSee() throws {
        let path = try Self.file(Self.lines([("Visa", 1)]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let backend = RecordingBackend()
        let printed = Mutex<String>("")
        let session = CellSession(environment: [:], backend: backend, output: { text in printed.withLock { $0 += text } })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (card_brand STRING, amount DOUBLE);
            CREATE VIEW v AS SELECT card_brand FROM tx;
            START v TRIGGER '1 second' IN BACKGROUND;
            SHOW QUERIES;
            STOP v;
            """)
        let text = printed.withLock { $0 }
        #expect(text.contains("started v in the background (append mode"))
        #expect(text.contains("running (append, every 1.0 s)"))
        #expect(text.contains("stopped v; its last result stays in the table v"))
        #expect(backend.requests.withLock { $0.map(\.name) } == ["v"])
        #expect(backend.requests.withLock { $0.first?.sinks.isEmpty } == true, "a background query only fills its table")
    }
}
