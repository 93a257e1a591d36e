import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SwiftProtobuf

/// A Spark Connect client over gRPC: one session on one server, the few calls cells makes
/// (the handshake, configuration, plans, interrupts, release), each with a deadline.
///
/// The methods are called as Spark's own service names them; the client is written by hand
/// over GRPCCore's generic calls, so no service stubs are generated.
public final class SparkConnectClient: Sendable {
    public let url: SparkConnectURL
    public let sessionID: String
    private let client: GRPCClient<HTTP2ClientTransport.Posix>?
    private let setUpError: SparkConnectError?
    private let connections: Task<Void, Never>?

    /// The client's name in every request, which Spark logs.
    static let clientType = "cells"
    /// Arrow batches of wide results can be large; Spark's own limit is 128 MiB.
    static let maxResponseBytes = 128 * 1024 * 1024

    /// A client for `url`'s server; it connects on the first call. A session id from the URL
    /// joins that session; otherwise a new one.
    public init(url: SparkConnectURL, sessionID: String? = nil) {
        self.url = url
        self.sessionID = sessionID ?? url.sessionID ?? UUID().uuidString.lowercased()
        do {
            let transport = try HTTP2ClientTransport.Posix(target: .dns(host: url.host, port: url.port), transportSecurity: .plaintext)
            let client = GRPCClient(transport: transport)
            self.client = client
            setUpError = nil
            connections = Task(executorPreference: SparkConnectExecutor.shared) { try? await client.runConnections() }
        } catch {
            client = nil
            setUpError = SparkConnectError(.unreachable, "cannot set up a connection to \(url): \(error)")
            connections = nil
        }
    }

    deinit { close() }

    /// Lets go of the connection; calls after it fail. Idempotent.
    public func close() {
        client?.beginGracefulShutdown()
    }

    // MARK: Calls

    /// The handshake: the server's Spark version.
    public func sparkVersion(timeout: Duration) async throws(SparkConnectError) -> String {
        var request = Spark_Connect_AnalyzePlanRequest()
        request.sessionID = sessionID
        request.userContext = userContext
        request.clientType = Self.clientType
        request.sparkVersion = Spark_Connect_AnalyzePlanRequest.SparkVersion()
        let response: Spark_Connect_AnalyzePlanResponse = try await unary("AnalyzePlan", request, timeout: timeout)
        guard case .sparkVersion(let version)? = response.result else {
            throw SparkConnectError(.protocolViolation, "\(url) answered the version request without a version")
        }
        return version.version
    }

    /// Sets session configuration (`spark.sql.ansi.enabled`, ...).
    public func setConfig(_ pairs: [(String, String)], timeout: Duration) async throws(SparkConnectError) {
        var request = Spark_Connect_ConfigRequest()
        request.sessionID = sessionID
        request.userContext = userContext
        request.clientType = Self.clientType
        var set = Spark_Connect_ConfigRequest.Set()
        set.pairs = pairs.map { key, value in
            var pair = Spark_Connect_KeyValue()
            pair.key = key
            pair.value = value
            return pair
        }
        request.operation.set = set
        let _: Spark_Connect_ConfigResponse = try await unary("Config", request, timeout: timeout)
    }

    /// Runs a plan (a relation to read, or a command) and gathers every response until the
    /// server ends the stream.
    public func execute(_ plan: Spark_Connect_Plan, timeout: Duration) async throws(SparkConnectError) -> ExecuteResult {
        var request = Spark_Connect_ExecutePlanRequest()
        request.sessionID = sessionID
        request.userContext = userContext
        request.clientType = Self.clientType
        request.operationID = UUID().uuidString.lowercased()
        request.plan = plan
        let client = try connected()
        do {
            // On the client's own executor, whatever the caller's: see SparkConnectExecutor.
            return try await withTaskExecutorPreference(SparkConnectExecutor.shared) {
                try await client.serverStreaming(
                    request: ClientRequest(message: request),
                    descriptor: Self.method("ExecutePlan"),
                    serializer: ProtobufSerializer<Spark_Connect_ExecutePlanRequest>(),
                    deserializer: ProtobufDeserializer<Spark_Connect_ExecutePlanResponse>(),
                    options: Self.options(timeout)
                ) { response in
                    var result = ExecuteResult()
                    for try await message in response.messages {
                        switch message.responseType {
                        case .arrowBatch(let batch): result.arrowStreams.append([UInt8](batch.data))
                        case .sqlCommandResult(let sql): result.sqlCommandRelation = sql.relation
                        case .writeStreamOperationStartResult(let start): result.writeStreamStart = start
                        case .streamingQueryCommandResult(let command): result.streamingQueryResult = command
                        case .streamingQueryManagerCommandResult(let manager): result.streamingQueryManagerResult = manager
                        case .resultComplete, nil: break
                        }
                    }
                    return result
                }
            }
        } catch {
            throw mapped(error)
        }
    }

    /// Interrupts every operation the session runs (not its streaming queries: they stop
    /// through their own command).
    public func interruptAll(timeout: Duration) async {
        var request = Spark_Connect_InterruptRequest()
        request.sessionID = sessionID
        request.userContext = userContext
        request.clientType = Self.clientType
        request.interruptType = .all
        let _: Spark_Connect_InterruptResponse? = try? await unary("Interrupt", request, timeout: timeout)
    }

    /// Ends the session on the server: its temp views and queries go with it.
    public func releaseSession(timeout: Duration) async {
        var request = Spark_Connect_ReleaseSessionRequest()
        request.sessionID = sessionID
        request.userContext = userContext
        request.clientType = Self.clientType
        let _: Spark_Connect_ReleaseSessionResponse? = try? await unary("ReleaseSession", request, timeout: timeout)
    }

    // MARK: Plumbing

    private var userContext: Spark_Connect_UserContext {
        var context = Spark_Connect_UserContext()
        context.userID = url.userID
        return context
    }

    private func connected() throws(SparkConnectError) -> GRPCClient<HTTP2ClientTransport.Posix> {
        guard let client else { throw setUpError ?? SparkConnectError(.unreachable, "no connection to \(url)") }
        return client
    }

    private static func method(_ name: String) -> MethodDescriptor {
        MethodDescriptor(fullyQualifiedService: "spark.connect.SparkConnectService", method: name)
    }

    private static func options(_ timeout: Duration) -> CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        // Fail at once when nothing listens, rather than wait for the server until the deadline.
        options.waitForReady = false
        options.maxResponseMessageBytes = maxResponseBytes
        return options
    }

    private func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message & Sendable>(
        _ name: String, _ request: Request, timeout: Duration
    ) async throws(SparkConnectError) -> Response {
        let client = try connected()
        do {
            return try await withTaskExecutorPreference(SparkConnectExecutor.shared) {
                try await client.unary(
                    request: ClientRequest(message: request),
                    descriptor: Self.method(name),
                    serializer: ProtobufSerializer<Request>(),
                    deserializer: ProtobufDeserializer<Response>(),
                    options: Self.options(timeout)
                ) { response in try response.message }
            }
        } catch {
            throw mapped(error)
        }
    }

    private func mapped(_ error: any Error) -> SparkConnectError {
        guard let rpc = error as? RPCError else {
            return (error as? SparkConnectError) ?? SparkConnectError(.protocolViolation, "\(url): \(error)")
        }
        switch rpc.code {
        case .unavailable:
            return SparkConnectError(.unreachable, "nothing answers at \(url) (\(rpc.message))")
        case .deadlineExceeded:
            return SparkConnectError(.timeout, "\(url) did not answer in time")
        default:
            // Spark packs a google.rpc.Status into the trailers, whose ErrorInfo names the
            // error class; older servers (and some errors) have it only in the text.
            let info = (try? rpc.unpackGoogleRPCStatus())?.details.lazy.compactMap(\.errorInfo).first
            let message = rpc.message.trimmingCharacters(in: .whitespacesAndNewlines)
            return SparkConnectError(.server, message.isEmpty ? "\(rpc.code)" : message,
                                     errorClass: info?.metadata["errorClass"] ?? SparkConnectError.errorClass(in: message))
        }
    }
}

/// What one ExecutePlan call returned.
public struct ExecuteResult: Sendable {
    /// Each Arrow batch's bytes: a whole Arrow IPC stream (schema, then rows).
    public var arrowStreams: [[UInt8]] = []
    public var sqlCommandRelation: Spark_Connect_Relation?
    public var writeStreamStart: Spark_Connect_WriteStreamOperationStartResult?
    public var streamingQueryResult: Spark_Connect_StreamingQueryCommandResult?
    public var streamingQueryManagerResult: Spark_Connect_StreamingQueryManagerCommandResult?

    public init() {}
}
