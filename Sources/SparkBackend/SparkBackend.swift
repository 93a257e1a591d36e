import ArrowIPC
import CellKernel
import Foundation
import SparkConnect

/// The kernel's execution backend on Apache Spark, through Spark Connect: START re-creates a
/// view's definitions as temp views on Spark, runs the view as a streaming query into a
/// memory table named after it, and reads each batch's table back for the shell.
///
/// One backend is one Spark Connect session: what it starts, it stops on ``close()`` (the
/// shell's exit, SET ENGINE), so nothing is left running on the cluster until the session
/// expires.
public final class SparkBackend: ExecutionBackend, @unchecked Sendable {  // `started` is guarded by `lock`
    public let name = "spark"
    public let readsDefinitions = true
    public let summary: String
    let connection: SparkConnection
    private let lock = NSLock()
    private var started: [SparkRunningQuery] = []

    /// Connects to the Spark Connect server at `address` (`sc://host:port`): a handshake, and
    /// Spark 3's non-ANSI semantics for the session (Spark 4 defaults to ANSI; cells' results
    /// are Spark 3's).
    public init(address: String) throws {
        connection = try SparkConnection(address: address)
        summary = "Apache Spark \(connection.sparkVersion) at \(connection.url) (Spark Connect)"
    }

    public func prepare(_ request: QueryRequest) throws -> any RunningQuery {
        let translation: SparkTranslation
        do {
            translation = try SparkTranslation(request)
        } catch {
            throw CellError.runtime("\(request.name) cannot run on Spark: \(error)")
        }
        for view in translation.views {
            try connection.createView(view.name, view.relation, place: view.place)
        }
        let query = try SparkRunningQuery(request: request, translation: translation, connection: connection)
        lock.withLock { started.append(query) }
        return query
    }

    public func select(sparkSQL: String) throws -> Batch? {
        try connection.collect(sparkSQL)
    }

    public func close() {
        let queries = lock.withLock { () -> [SparkRunningQuery] in
            defer { started.removeAll() }
            return started
        }
        for query in queries { query.stop() }
        connection.close()
    }
}
