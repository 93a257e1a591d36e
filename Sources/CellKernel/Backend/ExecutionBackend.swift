/// An engine that runs the session's streaming queries: given a bound logical plan, an
/// output mode, a trigger and sinks, it prepares a ``RunningQuery``.
///
/// The local engine (``LocalBackend``) is one; another engine (Apache Spark through Spark
/// Connect) implements the same protocol outside the kernel, translating the
/// ``LogicalPlan`` and the sources' and sinks' definitions into its own terms. The session's
/// catalog holds only the handles a backend returns, never the engine's own objects.
public protocol ExecutionBackend: Sendable {
    /// A short name for SHOW QUERIES and errors (`local`, `spark`).
    var name: String { get }
    /// What SET ENGINE and `cells --engine` print: the engine and where it runs.
    var summary: String { get }
    /// Whether START describes the view's definitions for the engine to re-create
    /// (``QueryRequest/definitions``): an engine that binds SQL itself does.
    var readsDefinitions: Bool { get }
    /// Checks and builds the query without running a batch: sources open (so a missing
    /// topic fails here), sinks made. Throws what is wrong with the request.
    func prepare(_ request: QueryRequest) throws -> any RunningQuery
    /// Runs a SELECT typed at the prompt on the engine, given as Spark SQL over the tables
    /// it holds (started views' results); nil if the engine holds none, and the session
    /// reads its own.
    func select(sparkSQL: String) throws -> Batch?
    /// Stops what still runs on the engine and lets go of it (the shell's exit, SET ENGINE).
    func close()
}

extension ExecutionBackend {
    public var summary: String { name }
    public var readsDefinitions: Bool { false }
    public func select(sparkSQL: String) throws -> Batch? { nil }
    public func close() {}
}

/// Makes the engine an address names: what `SET ENGINE 'sc://host:port'`, `cells --engine`
/// and `$CELLS_ENGINE` reach (`local` is always the session's own).
public typealias EngineResolver = @Sendable (_ address: String) throws -> any ExecutionBackend

/// What START asks a backend to run.
public struct QueryRequest: Sendable {
    /// The view started: the query's name and its result table's.
    public var name: String
    public var plan: LogicalPlan
    public var outputMode: OutputMode
    public var trigger: TriggerPolicy
    /// One per stream the plan reads, in ``LogicalPlan/streams`` order.
    public var sources: [SourceDefinition]
    /// Where each batch's result goes besides the result table.
    public var sinks: [SinkDefinition]
    /// Past this estimate of its state's size a batch fails.
    public var stateMemoryLimit: StateMemoryLimit
    /// `file:line:col` of the START, which a background query's failure names.
    public var place: String
    /// Where the query's tables, progress lines and notices go.
    public var output: @Sendable (SessionOutput) -> Void
    /// The folder the query logs its batches and saves its state in, to resume there after
    /// a crash (Spark's `checkpointLocation`); nil keeps everything in memory.
    public var checkpointLocation: String?
    /// The rows of every static table the plan reads (keyed by lower-cased name), as they
    /// stood at START: a stream-static join hashes them once, as Spark reads a static side
    /// once per query.
    public var tables: [String: Batch] = [:]
    /// The view's definitions as another engine re-creates them; set only for a backend
    /// that ``ExecutionBackend/readsDefinitions``.
    public var definitions: ForeignDefinitions?

    public init(name: String, plan: LogicalPlan, outputMode: OutputMode, trigger: TriggerPolicy, sources: [SourceDefinition],
                sinks: [SinkDefinition], stateMemoryLimit: StateMemoryLimit, place: String,
                checkpointLocation: String? = nil, output: @escaping @Sendable (SessionOutput) -> Void) {
        self.checkpointLocation = checkpointLocation
        self.name = name
        self.plan = plan
        self.outputMode = outputMode
        self.trigger = trigger
        self.sources = sources
        self.sinks = sinks
        self.stateMemoryLimit = stateMemoryLimit
        self.place = place
        self.output = output
    }
}

/// A source as `CREATE SOURCE` defined it: a connector and its options.
public struct SourceDefinition: Sendable, Hashable {
    public var name: String
    public var connector: String
    public var options: [String: String]

    public init(name: String, connector: String, options: [String: String]) {
        self.name = name
        self.connector = connector
        self.options = options
    }
}

/// A sink as `START ... USING sink OPTIONS (...)` names it.
public struct SinkDefinition: Sendable, Hashable {
    public var connector: String
    public var options: [String: String]

    public init(connector: String, options: [String: String]) {
        self.connector = connector
        self.options = options
    }
}

/// Where a started query stands.
public enum QueryStatus: Sendable, Hashable, CustomStringConvertible {
    /// Prepared, no batch run yet.
    case ready
    case running
    /// Its trigger ended (ONCE, AVAILABLE NOW) or it was stopped.
    case finished
    case failed(String)

    public var description: String {
        switch self {
        case .ready: "ready"
        case .running: "running"
        case .finished: "finished"
        case .failed(let why): "failed: \(why)"
        }
    }
}

/// A query a backend runs: its identity, status, recent progress and result table, and the
/// ways to run and stop it. Like Spark's StreamingQuery handle.
public protocol RunningQuery: AnyObject, Sendable {
    /// Unique per start.
    var id: String { get }
    /// The view started.
    var name: String { get }
    var outputMode: OutputMode { get }
    var trigger: TriggerPolicy { get }
    var status: QueryStatus { get }
    /// The last batches' progress, oldest first (at most 100).
    var recentProgress: [BatchProgress] { get }
    /// The result table as of the last batch: what SELECT over the view's name reads.
    var result: Batch { get }
    /// The physical plan, as EXPLAIN prints it.
    var physicalPlan: String { get }
    /// Where the query checkpoints, and its last committed batch; nil without a location.
    var checkpoint: CheckpointStatus? { get }
    /// Runs batches on the calling thread per the trigger, until it ends, `limit` is reached,
    /// or `shouldStop` says so; a stop reaches into the batch being read, which is then
    /// dropped whole. Throws what stopped the query if it failed.
    func runInForeground(limit: ForegroundLimit, shouldStop: @escaping () -> Bool) throws
    /// Runs batches on a thread of the query's own until ``stop()``; a failure becomes the
    /// status and a ``SessionOutput/failure(view:place:message:)``.
    func startInBackground()
    /// Stops the query (waiting for its batch to end) and closes its sources and sinks.
    func stop()
}

/// A checkpointed query's place in its checkpoint, for SHOW QUERIES.
public struct CheckpointStatus: Sendable, Hashable, CustomStringConvertible {
    public var location: String
    /// The newest batch whose commit record is written; nil before the first.
    public var lastCommitted: Int64?

    public init(location: String, lastCommitted: Int64?) {
        self.location = location
        self.lastCommitted = lastCommitted
    }

    public var description: String {
        "\(location) (" + (lastCommitted.map { "last committed batch \($0)" } ?? "no batch committed yet") + ")"
    }
}

/// Bounds on a stream run in the foreground (`cells run --batches N --timeout S`): `nil` is
/// unbounded. The stream stops cleanly at the first bound reached, as if by Ctrl-C.
public struct ForegroundLimit: Sendable {
    /// Micro-batches that ran (printed a progress line).
    public var batches: Int?
    /// Time since the stream started.
    public var duration: Duration?

    public init(batches: Int? = nil, duration: Duration? = nil) {
        self.batches = batches
        self.duration = duration
    }
}
