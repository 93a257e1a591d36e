import CellKernel
import Foundation
import SparkConnect

/// A view running on Spark: one streaming query into the memory table named after it (what
/// the shell prints and SELECT reads), and one more when Spark writes START's sink itself.
///
/// The shell's side polls Spark's progress (`recentProgress`) and, for each batch that ran,
/// prints its progress line and reads the memory table back: whole in complete mode, only
/// the rows added since the last read in append and update mode (the memory sink keeps every
/// row it was given, so reading it whole would grow with the stream).
final class SparkRunningQuery: RunningQuery, @unchecked Sendable {  // mutable state is guarded by `lock`
    let id = UUID().uuidString.lowercased()
    let name: String
    let outputMode: OutputMode
    let trigger: TriggerPolicy
    let physicalPlan: String
    private let connection: SparkConnection
    private let translation: SparkTranslation
    private let output: @Sendable (SessionOutput) -> Void
    private let console: ConsolePrinter?
    private let checkpointLocation: String?

    private let lock = NSLock()
    private var state = QueryStatus.ready
    private var progress: [BatchProgress] = []
    private var table: Batch
    /// Spark's ids of the queries started, the memory sink's first.
    private var sparkQueries: [Spark_Connect_StreamingQueryInstanceId] = []
    private var lastBatch: Int64 = -1
    private var rowsRead = 0
    private var stopRequested = false
    private var worker: Thread?
    private let workerDone = DispatchSemaphore(value: 0)

    /// How often Spark is asked for progress while the query runs.
    static let pollInterval = Duration.milliseconds(200)

    init(request: QueryRequest, translation: SparkTranslation, connection: SparkConnection) throws {
        name = request.name
        outputMode = request.outputMode
        trigger = request.trigger
        self.translation = translation
        self.connection = connection
        output = request.output
        checkpointLocation = request.checkpointLocation
        console = try translation.console.map { try ConsolePrinter(options: $0, view: request.name, schema: request.plan.schema, output: request.output) }
        table = Batch(empty: request.plan.schema)
        physicalPlan = "Spark streaming queries on \(connection.url):\n"
            + translation.writes.map { "  \($0.connector) sink" + ($0.connector == "memory" ? " (table \(request.name))" : "") + ", \(request.outputMode.rawValue) mode\n" }.joined()
    }

    var status: QueryStatus { lock.withLock { state } }
    var recentProgress: [BatchProgress] { lock.withLock { progress } }
    var result: Batch { lock.withLock { table } }
    var checkpoint: CheckpointStatus? {
        checkpointLocation.map { location in CheckpointStatus(location: location, lastCommitted: lock.withLock { lastBatch >= 0 ? lastBatch : nil }) }
    }

    func runInForeground(limit: ForegroundLimit, shouldStop: @escaping () -> Bool) throws {
        try start()
        let deadline = limit.duration.map { ContinuousClock.now + $0 }
        var batches = 0
        defer { stopOnSpark() }
        while true {
            if shouldStop() || deadline.map({ ContinuousClock.now >= $0 }) == true { break }
            let (ran, active) = try poll()
            batches += ran
            if let cap = limit.batches, batches >= cap { break }
            if !active { break }
            // Short sleeps, so Ctrl-C stops the query within a poll's time.
            let wake = ContinuousClock.now + Self.pollInterval
            while ContinuousClock.now < wake, !shouldStop() { Thread.sleep(forTimeInterval: 0.02) }
        }
        lock.withLock { if case .failed = state {} else { state = .finished } }
    }

    func startInBackground() {
        let thread = Thread { [self] in
            defer { workerDone.signal() }
            do {
                try runInForeground(limit: ForegroundLimit(), shouldStop: { [self] in lock.withLock { stopRequested } })
            } catch {
                let message = (error as? CellError)?.message ?? "\(error)"
                lock.withLock { state = .failed(message) }
                output(.failure(view: name, place: "", message: message))
            }
        }
        thread.name = "cells-spark-\(name)"
        lock.withLock { worker = thread }
        thread.start()
    }

    func stop() {
        // The worker is waited for once: a second stop (STOP, then the shell's exit) finds none.
        let waiting = lock.withLock { () -> Bool in
            stopRequested = true
            defer { worker = nil }
            return worker != nil
        }
        if waiting { workerDone.wait() }
        stopOnSpark()
    }

    // MARK: Spark

    /// Starts the streaming writes, the memory sink's first; if one fails, those started stop.
    private func start() throws {
        lock.withLock { state = .running }
        for write in translation.writes {
            var command = Spark_Connect_Command()
            command.writeStreamOperationStart = write.start
            do {
                let result = try connection.execute(command, place: translation.startedPlace)
                guard let started = result.writeStreamStart else {
                    throw CellError.runtime("Spark did not say which query it started for the \(write.connector) sink")
                }
                lock.withLock { sparkQueries.append(started.queryID) }
            } catch {
                stopOnSpark()
                lock.withLock { state = .failed("\(error)") }
                throw error
            }
        }
    }

    /// Asks each query Spark runs for this view to stop, once.
    private func stopOnSpark() {
        let ids = lock.withLock { () -> [Spark_Connect_StreamingQueryInstanceId] in
            defer { sparkQueries.removeAll() }
            return sparkQueries
        }
        for id in ids {
            var command = Spark_Connect_StreamingQueryCommand()
            command.queryID = id
            command.stop = true
            var wrapped = Spark_Connect_Command()
            wrapped.streamingQueryCommand = command
            _ = try? connection.execute(wrapped, timeout: SparkConnection.pollTimeout)
        }
    }

    private func command(_ build: (inout Spark_Connect_StreamingQueryCommand) -> Void, for id: Spark_Connect_StreamingQueryInstanceId) throws -> Spark_Connect_StreamingQueryCommandResult {
        var command = Spark_Connect_StreamingQueryCommand()
        command.queryID = id
        build(&command)
        var wrapped = Spark_Connect_Command()
        wrapped.streamingQueryCommand = command
        guard let result = try connection.execute(wrapped, timeout: SparkConnection.pollTimeout).streamingQueryResult else {
            throw CellError.runtime("Spark did not answer a command about the query \(name)")
        }
        return result
    }

    /// One look at the queries: new batches' progress printed with their tables; whether the
    /// memory query still runs. A query that stopped on an error throws Spark's error.
    private func poll() throws -> (batches: Int, active: Bool) {
        let ids = lock.withLock { sparkQueries }
        guard let memory = ids.first else { return (0, false) }
        for id in ids {
            let status = try command({ $0.status = true }, for: id)
            if !status.status.isActive {
                let failure = try? command({ $0.exception = true }, for: id)
                if let failure, failure.exception.hasExceptionMessage {
                    let text = (failure.exception.hasErrorClass ? "[\(failure.exception.errorClass)] " : "") + failure.exception.exceptionMessage
                    lock.withLock { state = .failed(text) }
                    throw CellError.runtime("Spark stopped \(name): \(text)")
                }
                if id == memory {
                    let ran = try readNewBatches(memory)
                    return (ran, false)
                }
            }
        }
        return (try readNewBatches(memory), true)
    }

    private func readNewBatches(_ memory: Spark_Connect_StreamingQueryInstanceId) throws -> Int {
        let events = try command({ $0.recentProgress = true }, for: memory).recentProgress.recentProgressJson.compactMap(SparkProgress.parse)
        let last = lock.withLock { lastBatch }
        let fresh = events.filter { $0.batchId > last }.sorted { $0.batchId < $1.batchId }
        guard let newest = fresh.last else { return 0 }
        let quoted = SparkSQLText.identifier(name)
        let rows: Batch
        if outputMode == .complete {
            rows = try connection.collect("SELECT * FROM \(quoted)")
        } else {
            rows = try connection.collect("SELECT * FROM \(quoted) OFFSET \(lock.withLock { rowsRead })")
        }
        lock.withLock {
            lastBatch = newest.batchId
            progress.append(contentsOf: fresh)
            if progress.count > 100 { progress.removeFirst(progress.count - 100) }
            if outputMode == .complete {
                table = rows
            } else {
                rowsRead += rows.count
                if !table.append(contentsOf: rows) { table = rows }
            }
        }
        if fresh.contains(where: { $0.numInputRows > 0 }) || rows.count > 0 {
            console?.print(rows, batchId: newest.batchId)
        }
        for event in fresh { output(.progress(view: name, event)) }
        return fresh.count
    }
}
