import Foundation
import KafkaBridge

/// One shell's or script's session: it runs statements against a catalog of definitions
/// (``Catalog``), starts views on an execution backend (the local engine by default) and
/// keeps the handles of started queries (``QueryManager``).
///
/// The kernel knows nothing about terminals: what it shows goes to `output` as values
/// (``SessionOutput``), and a foreground stream runs until its trigger ends or `shouldStop`
/// says so (Ctrl-C).
public final class CellSession {
    public var environment: [String: String]
    /// Replaces every START's trigger (`cells run --trigger once|available-now`).
    public var triggerOverride: TriggerPolicy?
    /// Bounds on a stream run in the foreground (`cells run --batches N --timeout S`); the
    /// stream stops cleanly at the first bound reached, as if by Ctrl-C.
    public var foregroundLimit = ForegroundLimit()
    /// The state memory limit of a query whose START does not give
    /// `'cells.stateMemoryLimit'`.
    public var stateMemoryLimit = StateMemoryLimit.default
    /// `cells run --checkpoint-root DIR`: every START without a `checkpointLocation` of its own
    /// checkpoints to `DIR/<view>`.
    public var checkpointRoot: String?
    /// Where START runs views: the local engine, or the one SET ENGINE chose.
    public internal(set) var backend: any ExecutionBackend
    /// Reaches the engines SET ENGINE names besides `local`; nil: only the local one exists
    /// (a build without Spark Connect).
    public var engineResolver: EngineResolver?
    /// Sources and sinks by name.
    public let connectors: ConnectorRegistry
    let output: @Sendable (SessionOutput) -> Void
    /// The secret option values given so far: nothing the session prints shows one.
    let secrets = SessionSecrets()
    var catalog = Catalog()
    let queries = QueryManager()

    /// A session whose output arrives as values.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment,
                backend: (any ExecutionBackend)? = nil, connectors: ConnectorRegistry = .standard,
                events: @escaping @Sendable (SessionOutput) -> Void) {
        self.environment = environment
        self.connectors = connectors
        self.backend = backend ?? LocalBackend(connectors: connectors)
        let secrets = self.secrets
        self.output = { events($0.scrubbed(secrets.scrub)) }
    }

    /// A session whose output arrives as the console shows it.
    public convenience init(environment: [String: String] = ProcessInfo.processInfo.environment,
                            backend: (any ExecutionBackend)? = nil, output: @escaping @Sendable (String) -> Void) {
        self.init(environment: environment, backend: backend, events: { output($0.text) })
    }

    /// The sources defined, by lower-cased name.
    public var sources: [String: SourceDefinition] { catalog.sources }
    /// The streams defined, by lower-cased name.
    public var streams: [String: StreamDefinition] { catalog.streams }

    /// Parses and runs every statement of `script` in order; stops at the first error.
    ///
    /// - Parameters:
    ///   - origin: where `script` starts in `file` (a notebook cell), so errors point into it.
    ///   - source: the whole text of `file` that errors are shown against; `script` if `nil`.
    public func run(script: String, file: String? = nil, origin: SourceLocation = .start, source: String? = nil,
                    shouldStop: @escaping () -> Bool = { false }) throws(CellError) {
        let source = source ?? script
        let statements: [SQLStatement]
        do {
            statements = try SQLParser.parseScript(script, environment: environment, origin: origin)
        } catch {
            throw .sql(error, source: source, file: file)
        }
        for statement in statements {
            try execute(statement, source: source, file: file, shouldStop: shouldStop)
        }
    }

    /// The functions a statement may call (for tab completion).
    public static var functionNames: [String] { Binder.functionNames }

    /// Every name a user may type next: sources, streams, views, tables, their columns and
    /// the connectors (for tab completion).
    public var knownNames: [String] {
        var names = catalog.names
        for query in queries.started.values { names.insert(query.name) }
        names.formUnion(connectors.names)
        return names.sorted()
    }

    /// Runs one parsed statement. `source` is the text it was parsed from (for error positions).
    public func execute(_ statement: SQLStatement, source: String, file: String? = nil,
                        shouldStop: @escaping () -> Bool = { false }) throws(CellError) {
        switch statement.kind {
        case .createSource(let create): secrets.add(create.options)
        case .createStream(let create): secrets.add(create.options)
        case .start(let start): secrets.add(start.sinkOptions)
        case .createTable(let create): secrets.add(create.options)
        default: break
        }
        try reporting(source: source, file: file, at: statement.location) {
            switch statement.kind {
            case .createSource(let create): try createSource(create)
            case .createStream(let create): try createStream(create, place: .init(file: file, location: statement.location))
            case .createView(let create): try createView(create, place: .init(file: file, location: statement.location))
            case .createTable(let create): try createTable(create)
            case .refreshTable(let name): try refreshTable(name)
            case .dropTable(let name): try dropTable(name)
            case .start(let start): try self.start(start, place: "\(file.map { "\($0):" } ?? "")\(statement.location)", shouldStop: shouldStop)
            case .select(let select): try query(select)
            case .explain(let target): try explain(target)
            case .show(let target): show(target)
            case .describe(let name): try describe(name)
            case .stop(let name): try stop(name)
            case .setEngine(let choice): try setEngine(choice)
            }
        }
    }

    /// Runs `body`, turning whatever it throws into a ``CellError``: SQL errors rendered
    /// against `source`, everything else as a runtime error at `location` (the statement's).
    /// No secret option value survives into the message.
    func reporting<T>(source: String, file: String?, at location: SourceLocation? = nil,
                              _ body: () throws -> T) throws(CellError) -> T {
        do {
            return try body()
        } catch let error as SQLError {
            var rendered = CellError.sql(error, source: source, file: file)
            rendered.message = secrets.scrub(rendered.message)
            throw rendered
        } catch let error as CellError {
            if case .runtime = error.kind, error.location == nil {
                throw .runtime(secrets.scrub(error.message), at: location, file: file)
            }
            throw error
        } catch let error as SinkError {
            // Its hint (what to do) would be lost in its description alone.
            throw .runtime(secrets.scrub(error.hint.map { "\(error.description)\nhint: \($0)" } ?? error.description), at: location, file: file)
        } catch {
            throw .runtime(secrets.scrub("\(error)"), at: location, file: file)
        }
    }

    /// A source's or sink's complaint about one option, as an error at that option's value in
    /// the statement; other errors pass unchanged.
    func atOption<T>(_ options: [SQLOption], _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SourceError {
            guard let name = error.option, let option = options.option(name) else { throw error }
            throw SQLError(error.message, at: option.valueLocation, hint: error.hint)
        } catch let error as SinkError {
            guard let name = error.option, let option = options.option(name) else { throw error }
            throw SQLError(error.description, at: option.valueLocation, hint: error.hint)
        }
    }
}
