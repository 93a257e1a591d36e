import Foundation
import Synchronization

/// The local engine as an ``ExecutionBackend``: plans are lowered to this process's
/// operators (``PhysicalPlanner``) and run by a ``StreamingQuery``, over sources and sinks
/// the connector registry opens.
public struct LocalBackend: ExecutionBackend {
    public let connectors: ConnectorRegistry
    public var name: String { "local" }
    public var summary: String { "local (cells' own engine, in this process)" }

    public init(connectors: ConnectorRegistry = .standard) {
        self.connectors = connectors
    }

    public func prepare(_ request: QueryRequest) throws -> any RunningQuery {
        LocalRunningQuery(try query(for: request), request: request)
    }

    /// The local engine's query for a request, not yet run: for callers that drive
    /// micro-batches themselves (tests).
    func query(for request: QueryRequest) throws -> StreamingQuery {
        var sinks: [(connector: String, sink: QuerySink)] = []
        let context = ConnectorRegistry.SinkContext(view: request.name, schema: request.plan.schema, output: request.output,
                                                    outputMode: request.outputMode, keys: request.plan.resultKeys)
        for sink in request.sinks {
            guard let connector = connectors.sinks[sink.connector.lowercased()] else {
                throw SinkError("unknown sink \(sink.connector)", hint: connectors.sinkHint)
            }
            if let made = try connector.make(sink.options, context) { sinks.append((sink.connector.lowercased(), made)) }
        }
        var opened: [StreamSource] = []
        do {
            for source in request.sources {
                guard let connector = connectors.sources[source.connector.lowercased()] else {
                    throw SourceError("unknown source type \(source.connector)", hint: connectors.sourceHint)
                }
                opened.append(try connector.open(source.options))
            }
        } catch {
            for source in opened { source.close() }
            for (_, sink) in sinks { try? sink.close() }
            throw error
        }
        let query = StreamingQuery(view: request.name, plan: request.plan, outputMode: request.outputMode, trigger: request.trigger,
                                   sources: opened, sinks: sinks.map(\.sink), tables: request.tables)
        query.stateMemoryLimit = request.stateMemoryLimit
        if let location = request.checkpointLocation {
            do {
                if let resumed = try query.attachCheckpoint(at: location) {
                    // Read after attaching: a file sink is exactly-once only once it has a checkpoint.
                    let atLeastOnce = sinks.filter { $0.sink.guarantee == .atLeastOnce }.map(\.connector)
                    request.output(.message(Self.resumedLine(request.name, resumed, location, atLeastOnce: atLeastOnce)))
                }
            } catch {
                query.stop()
                throw error
            }
        }
        return query
    }

    /// `resumed v at batch 42 from chk/v`, and what runs again and why. A batch that runs
    /// again reaches an at-least-once sink (the console) a second time: the line says so,
    /// so that rows shown twice are not taken for a miscount.
    static func resumedLine(_ view: String, _ resumed: StreamingQuery.Resumption, _ location: String,
                            atLeastOnce: [String] = []) -> String {
        var line = "resumed \(view) at batch \(resumed.nextBatch) from \(location)"
        switch resumed.rerun.count {
        case 0: break
        case 1: line += "; batch \(resumed.rerun[0]) runs again with the offsets it logged"
        default: line += "; batches \(resumed.rerun.first!)...\(resumed.rerun.last!) run again with the offsets they logged"
        }
        if let fallback = resumed.fallback { line += " (\(fallback))" }
        if !resumed.rerun.isEmpty, !atLeastOnce.isEmpty {
            line += "; the \(atLeastOnce.joined(separator: " and ")) sink\(atLeastOnce.count == 1 ? " is" : "s are") at-least-once and may show "
                + (resumed.rerun.count == 1 ? "that batch's rows" : "those batches' rows") + " again"
        }
        return line
    }
}

/// The handle of a query on the local engine. Its ``StreamingQuery`` is touched by one
/// thread at a time: the caller's in the foreground, the query's own in the background.
final class LocalRunningQuery: RunningQuery, @unchecked Sendable {
    let id = UUID().uuidString.lowercased()
    let name: String
    let outputMode: OutputMode
    let trigger: TriggerPolicy
    let physicalPlan: String
    /// The result table outlives the query: once it ends, its state and sources are let go.
    private let memory: MemoryTable
    private var engine: StreamingQuery?
    private let place: String
    private let output: @Sendable (SessionOutput) -> Void
    private let state = Mutex(State())
    private let stopping = Atomic(false)
    private let checkpointLocation: String?
    private let committed: CommittedBatch?
    private let done = Atomic(false)
    private var thread: Thread?

    private struct State {
        var status = QueryStatus.ready
        var progress: [BatchProgress] = []
    }

    init(_ query: StreamingQuery, request: QueryRequest) {
        engine = query
        name = query.view
        outputMode = query.outputMode
        trigger = query.trigger
        physicalPlan = query.physicalPlan
        memory = query.memory
        place = request.place
        output = request.output
        checkpointLocation = request.checkpointLocation
        committed = query.checkpoint?.committed
    }

    var checkpoint: CheckpointStatus? {
        checkpointLocation.map { CheckpointStatus(location: $0, lastCommitted: committed?.batch) }
    }

    var status: QueryStatus { state.withLock { $0.status } }
    var recentProgress: [BatchProgress] { state.withLock { $0.progress } }
    var result: Batch { memory.snapshot }

    func runInForeground(limit: ForegroundLimit, shouldStop: @escaping () -> Bool) throws {
        guard let query = engine else { return }
        state.withLock { $0.status = .running }
        defer {
            query.stop()
            engine = nil
        }
        let deadline = limit.duration.map { ContinuousClock.now + $0 }
        var batches = 0
        let interrupt = { shouldStop() || deadline.map { ContinuousClock.now >= $0 } == true }
        do {
            try drive(query, shouldStop: { interrupt() || limit.batches.map { batches >= $0 } == true }, interrupt: interrupt,
                      notice: { [output] in output(.notice(view: nil, $0)) },
                      batchDone: { [output, name] progress in
                          output(.progress(view: name, progress))
                          batches += 1
                      })
        } catch {
            state.withLock { $0.status = .failed("\(error)") }
            throw error
        }
        state.withLock { $0.status = .finished }
    }

    func startInBackground() {
        guard engine != nil, thread == nil else { return }
        state.withLock { $0.status = .running }
        let thread = Thread { [self] in
            // The query is this thread's alone from here on.
            guard let query = engine else { done.store(true, ordering: .releasing); return }
            do {
                try drive(query, shouldStop: { self.stopping.load(ordering: .relaxed) }, interrupt: nil,
                          notice: { [output, name] in output(.notice(view: name, $0)) }, batchDone: { _ in })
                state.withLock { $0.status = .finished }
            } catch {
                state.withLock { $0.status = .failed("\(error)") }
                output(.failure(view: name, place: place, message: "\(error)"))
            }
            query.stop()
            engine = nil
            done.store(true, ordering: .releasing)
        }
        thread.name = "cells.query.\(name)"
        self.thread = thread
        thread.start()
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        guard thread != nil else {
            engine?.stop()
            engine = nil
            return
        }
        while !done.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.01) }
    }

    /// Runs micro-batches per the trigger, reporting each batch's progress.
    private func drive(_ query: StreamingQuery, shouldStop: () -> Bool, interrupt: (() -> Bool)?, notice: (String) -> Void,
                       batchDone: (BatchProgress) -> Void) throws {
        // A stop reaches into the batch being read (`interrupt`, or `shouldStop` itself, which
        // must then be true too): that batch is abandoned whole and the query stops where the
        // last one ended.
        func stopNow() -> Bool { interrupt?() ?? shouldStop() }
        func batch() throws -> Bool {
            // An abandoned batch counts as none; the stop that abandoned it ends the loop.
            let read: BatchProgress?
            do { read = try query.runBatch(shouldStop: stopNow, notice: notice) } catch is StreamInterrupted { return false }
            guard let progress = read else { return false }
            state.withLock {
                $0.progress.append(progress)
                if $0.progress.count > 100 { $0.progress.removeFirst() }
            }
            batchDone(progress)
            return true
        }
        switch query.trigger {
        case .once:
            _ = try batch()
        case .availableNow:
            while !shouldStop(), try batch() || query.hasPendingWork {}
        case .processingTime(let micros):
            let clock = ContinuousClock()
            while !shouldStop() {
                let next = clock.now + .microseconds(micros)
                _ = try batch()
                // Wait out the interval (at least a moment, so an idle stream does not spin).
                let until = max(next, clock.now + .milliseconds(micros == 0 ? 100 : 0))
                while !shouldStop() && clock.now < until { Thread.sleep(forTimeInterval: 0.05) }
            }
        }
    }
}
