import ArrowIPC
import CellKernel
import Foundation
import SparkConnect

/// One Spark Connect session, called synchronously: each call blocks its thread until the
/// server answers or the call's deadline passes, and Spark's errors come back as the
/// notebook's errors.
final class SparkConnection: Sendable {
    let url: SparkConnectURL
    let sparkVersion: String
    private let client: SparkConnectClient

    /// How long a definition or a query command may take (Spark analyses, and a first job
    /// warms a cold JVM); the handshake and polls are shorter.
    static let commandTimeout = Duration.seconds(120)
    static let handshakeTimeout = Duration.seconds(20)
    static let pollTimeout = Duration.seconds(30)

    init(address: String) throws {
        let url: SparkConnectURL
        do {
            url = try SparkConnectURL(parsing: address)
        } catch {
            throw CellError.runtime("'\(address)' is not a Spark Connect address: \(error) (write sc://host:15002, or local)")
        }
        let client = SparkConnectClient(url: url)
        do {
            sparkVersion = try Blocking.run { () async throws(SparkConnectError) -> String in
                let version = try await client.sparkVersion(timeout: Self.handshakeTimeout)
                // Spark 4 defaults to ANSI SQL; cells gives Spark 3's results (NULL for a bad cast).
                try await client.setConfig([("spark.sql.ansi.enabled", "false")], timeout: Self.handshakeTimeout)
                return version
            }
        } catch {
            client.close()
            throw CellError.runtime("cannot use Spark Connect at \(url): \(error.message)"
                                    + " (start a Spark Connect server there, e.g. $SPARK_HOME/sbin/start-connect-server.sh, or SET ENGINE local)")
        }
        self.url = url
        self.client = client
    }

    /// Runs a plan, turning Spark's error into the notebook's: at `place` when given.
    func execute(_ plan: Spark_Connect_Plan, timeout: Duration = commandTimeout, place: ForeignDefinitions.Place? = nil) throws -> ExecuteResult {
        let client = client
        do {
            return try Blocking.run { () async throws(SparkConnectError) -> ExecuteResult in
                try await client.execute(plan, timeout: timeout)
            }
        } catch {
            throw Self.notebookError(error, at: place)
        }
    }

    func execute(_ command: Spark_Connect_Command, timeout: Duration = commandTimeout, place: ForeignDefinitions.Place? = nil) throws -> ExecuteResult {
        var plan = Spark_Connect_Plan()
        plan.command = command
        return try execute(plan, timeout: timeout, place: place)
    }

    /// `CREATE OR REPLACE TEMP VIEW name` over `relation`; Spark analyses it now, so a
    /// wrong column or a missing connector fails here, at the definition's notebook line.
    func createView(_ name: String, _ relation: Spark_Connect_Relation, place: ForeignDefinitions.Place) throws {
        var view = Spark_Connect_CreateDataFrameViewCommand()
        view.input = relation
        view.name = name
        view.isGlobal = false
        view.replace = true
        var command = Spark_Connect_Command()
        command.createDataframeView = view
        _ = try execute(command, place: place)
    }

    /// Runs a query and reads its rows (Arrow batches) into one kernel batch.
    func collect(_ sql: String, timeout: Duration = commandTimeout, place: ForeignDefinitions.Place? = nil) throws -> Batch {
        var plan = Spark_Connect_Plan()
        plan.root = SparkTranslation.sql(sql)
        let result = try execute(plan, timeout: timeout, place: place)
        var batch: Batch?
        for stream in result.arrowStreams {
            let next: Batch
            do {
                next = try ArrowIPC.decode(stream)
            } catch {
                throw CellError.runtime("Spark's answer to \(sql) could not be read: \(error)")
            }
            if batch == nil {
                batch = next
            } else if !batch!.append(contentsOf: next) {
                throw CellError.runtime("Spark's answer to \(sql) changed its columns between two Arrow batches")
            }
        }
        guard let batch else { throw CellError.runtime("Spark sent no rows or schema for \(sql)") }
        return batch
    }

    func close() {
        let client = client
        Blocking.run { () async -> Void in
            await client.interruptAll(timeout: .seconds(5))
            await client.releaseSession(timeout: .seconds(5))
        }
        client.close()
    }

    /// Spark's error class and message, at the notebook place the failing definition came
    /// from; a missing Kafka connector says what to add to Spark.
    static func notebookError(_ error: SparkConnectError, at place: ForeignDefinitions.Place?) -> CellError {
        // An analysis error ends with the plan Spark analysed, after ";\n": not for a notebook.
        var message = error.message.components(separatedBy: ";\n").first ?? error.message
        if let errorClass = error.errorClass, !message.hasPrefix("[") { message = "[\(errorClass)] " + message }
        if message.contains("DATA_SOURCE_NOT_FOUND") || message.contains("Failed to find data source: kafka")
            || message.contains("Failed to find the data source: kafka") {
            if message.lowercased().contains("kafka") {
                message = "Spark has no Kafka connector: start it with --packages org.apache.spark:spark-sql-kafka-0-10_2.13:<its version>"
                    + " (Spark said: \(error.message))"
            }
        }
        guard let place else { return CellError.runtime("Spark: " + message) }
        return CellError.runtime("Spark: " + message, at: place.location, file: place.file)
    }
}
