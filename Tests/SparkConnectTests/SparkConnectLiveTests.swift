import Foundation
import Testing
@testable import SparkConnect

/// The server `make test` starts (scripts/spark-connect.sh); without it the live tests skip.
let sparkRemote = ProcessInfo.processInfo.environment["CELLS_SPARK_REMOTE"].flatMap { $0.isEmpty ? nil : $0 }

/// How long the failure takes is checked in its own process (CellsTests' unreachableServer):
/// in this one, the whole suite's synchronous tests hold the cooperative threads that gRPC's
/// connection handling runs on.
@Suite struct SparkConnectUnreachableTests {
    @Test func nothingListeningIsUnreachable() async throws {
        let client = SparkConnectClient(url: try SparkConnectURL(parsing: "sc://127.0.0.1:1"))
        defer { client.close() }
        do {
            _ = try await client.sparkVersion(timeout: .seconds(5))
            Issue.record("a version from nowhere")
        } catch {
            #expect(error.kind == .unreachable, "\(error)")
            #expect(error.message.contains("127.0.0.1:1"))
        }
    }
}

/// A real Spark Connect server: the calls cells makes, answered by Spark.
@Suite(.serialized, .enabled(if: sparkRemote != nil, "needs CELLS_SPARK_REMOTE: make test starts a Spark Connect server"))
struct SparkConnectLiveTests {
    func client() throws -> SparkConnectClient {
        SparkConnectClient(url: try SparkConnectURL(parsing: try #require(sparkRemote)))
    }

    func command(_ build: (inout Spark_Connect_Command) -> Void) -> Spark_Connect_Plan {
        var command = Spark_Connect_Command()
        build(&command)
        var plan = Spark_Connect_Plan()
        plan.command = command
        return plan
    }

    /// The rows a progress event read: Spark 4.0 counts them per source.
    static func inputRows(ofProgress json: String) -> Int {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return 0 }
        let sources = object["sources"] as? [[String: Any]] ?? []
        return sources.reduce(0) { total, source in total + ((source["numInputRows"] as? NSNumber)?.intValue ?? (source["numInputRows"] as? Int) ?? 0) }
    }

    @Test func handshakeSQLAndErrors() async throws {
        let client = try client()
        defer { client.close() }
        let version = try await client.sparkVersion(timeout: .seconds(30))
        #expect(version.hasPrefix("4."), "\(version)")
        try await client.setConfig([("spark.sql.ansi.enabled", "false")], timeout: .seconds(30))

        var plan = Spark_Connect_Plan()
        plan.root.sql.query = "SELECT 1 AS a, 'x' AS b"
        let result = try await client.execute(plan, timeout: .seconds(60))
        let stream = try #require(result.arrowStreams.first)
        // An Arrow IPC stream starts with the continuation marker, then the schema message.
        #expect(Array(stream.prefix(4)) == [0xFF, 0xFF, 0xFF, 0xFF])

        plan.root.sql.query = "SELECT nope"
        do {
            _ = try await client.execute(plan, timeout: .seconds(60))
            Issue.record("Spark ran SELECT nope")
        } catch {
            #expect(error.kind == .server)
            #expect(error.errorClass?.hasPrefix("UNRESOLVED_COLUMN") == true, "\(error)")
        }
        await client.releaseSession(timeout: .seconds(10))
    }

    @Test func streamingQueryRoundTrip() async throws {
        let client = try client()
        defer { client.close() }
        var rate = Spark_Connect_Relation()
        rate.read.dataSource.format = "rate"
        rate.read.dataSource.options["rowsPerSecond"] = "20"
        rate.read.isStreaming = true
        _ = try await client.execute(command {
            $0.createDataframeView.input = rate
            $0.createDataframeView.name = "cells_rate"
            $0.createDataframeView.replace = true
        }, timeout: .seconds(60))

        let started = try await client.execute(command {
            $0.writeStreamOperationStart.input.sql.query = "SELECT count(*) AS n FROM cells_rate"
            $0.writeStreamOperationStart.format = "memory"
            $0.writeStreamOperationStart.queryName = "cells_probe"
            $0.writeStreamOperationStart.outputMode = "complete"
            $0.writeStreamOperationStart.processingTimeInterval = "1 second"
        }, timeout: .seconds(60))
        let id = try #require(started.writeStreamStart?.queryID)
        #expect(!id.id.isEmpty)

        func active() async throws -> [String] {
            let result = try await client.execute(command { $0.streamingQueryManagerCommand.active = true }, timeout: .seconds(30))
            return try #require(result.streamingQueryManagerResult).active.activeQueries.map(\.name)
        }
        #expect(try await active().contains("cells_probe"))

        var rows = false
        for _ in 0..<100 where !rows {
            let progress = try await client.execute(command {
                $0.streamingQueryCommand.queryID = id
                $0.streamingQueryCommand.recentProgress = true
            }, timeout: .seconds(30))
            rows = try #require(progress.streamingQueryResult).recentProgress.recentProgressJson.contains { Self.inputRows(ofProgress: $0) > 0 }
            if !rows { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(rows, "a batch with rows within 20 s")
        var read = Spark_Connect_Plan()
        read.root.sql.query = "SELECT n FROM cells_probe"
        #expect(try await !client.execute(read, timeout: .seconds(30)).arrowStreams.isEmpty)

        _ = try await client.execute(command {
            $0.streamingQueryCommand.queryID = id
            $0.streamingQueryCommand.stop = true
        }, timeout: .seconds(30))
        #expect(try await !active().contains("cells_probe"))
        await client.releaseSession(timeout: .seconds(10))
    }
}
