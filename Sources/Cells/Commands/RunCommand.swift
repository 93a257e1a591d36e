import ArgumentParser
import CellKernel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Open a .cells notebook in the shell, or run all of it (--all).",
        discussion: """
            `cells FILE.cells` is the same as `cells run FILE.cells`: the notebook shell. It shows \
            the first cell; Enter runs the shown cell and shows the next, :help lists the \
            commands, and anything else is a statement run ad hoc. A started stream prints its \
            table every trigger until Ctrl-C, which stops it and returns to the prompt.

            With --all, runs every cell in order and exits: 0 when all succeeded, 2 for a wrong \
            statement (syntax, names, types), 3 for a failure while running (broker, topic, \
            data). --trigger once or available-now makes every START process what is there and \
            stop; --batches and --timeout bound a stream that would otherwise run until Ctrl-C.

            --embedded starts a broker and the producer in this process and points \
            KAFKA_BOOTSTRAP at them, so the notebook runs unchanged without Kafka:
              cells notebooks/work.cells --embedded
              cells run notebooks/windows.cells --all --embedded --schema extended --rate 500 --timeout 30

            Environment variables are expanded in string literals: ${KAFKA_BOOTSTRAP:-localhost:9092}.

            --checkpoint-root DIR checkpoints every START without a 'checkpointLocation' of its \
            own to DIR/<view>: run again after a crash, a query resumes after its last committed \
            batch with its state. After a crash the json and csv sinks hold each batch once, the \
            kafka sink too for readers with isolation.level=read_committed, the memory table is \
            rebuilt in complete and update mode, and the console may print the interrupted batch \
            again (at least once).
            """
    )

    @Argument(help: "The notebook (.cells) or SQL script; - reads it from standard input and runs all of it.")
    var notebook: String

    @Flag(help: "Run every cell and exit, without the shell.")
    var all = false

    @Option(help: ArgumentHelp("Override every START's trigger.", valueName: "once|available-now"))
    var trigger: TriggerOverride?

    @Option(help: ArgumentHelp("Stop each stream run in the foreground after this many batches.", valueName: "n"))
    var batches: Int?

    @Option(help: ArgumentHelp("Stop each stream run in the foreground after this many seconds.", valueName: "seconds"))
    var timeout: Double?

    @Option(help: ArgumentHelp("Checkpoint every START without a checkpointLocation of its own to DIR/<view>, and resume from there after a crash or a restart.",
                               valueName: "dir"))
    var checkpointRoot: String?

    @Option(help: ArgumentHelp("Where START runs views: local (cells' own engine), or Apache Spark through Spark Connect at sc://host:port. Default: $CELLS_ENGINE, else local.",
                               valueName: "local|sc://host:port"))
    var engine: String?

    @OptionGroup(title: "Embedded Kafka") var embedding: EmbeddedOptions

    func validate() throws {
        if let batches, batches < 1 { throw ValidationError("--batches must be at least 1") }
        if let checkpointRoot, checkpointRoot.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ValidationError("--checkpoint-root must name a folder")
        }
        // Ten years at most, so that the deadline is a time a clock can hold.
        if let timeout, !(timeout > 0 && timeout <= 315_360_000) {
            throw ValidationError("--timeout must be a positive number of seconds, at most 315360000 (ten years)")
        }
    }

    func run() throws {
        let logger = CellsLogging.bootstrap()
        let signals = SignalWatcher()
        // `-` is standard input: a piped notebook cannot be stepped through, so it runs whole.
        let fromStandardInput = notebook == "-"
        let runsAll = all || fromStandardInput
        let name = fromStandardInput ? "<stdin>" : notebook
        let bytes = try Self.read(notebook)
        let text: String
        do {
            text = try Notebook.decode(bytes)
        } catch {
            printError(CellError.sql(error, source: String(decoding: bytes, as: UTF8.self), file: name).description)
            throw ExitCode(2)
        }
        let parsed: Notebook
        do {
            parsed = try Notebook(text: text)
        } catch {
            printError(CellError.sql(error, source: text, file: name).description)
            throw ExitCode(2)
        }

        let screen = Screen()
        let session = CellSession(events: { screen.show($0) })
        session.triggerOverride = trigger?.policy
        session.checkpointRoot = checkpointRoot
        session.foregroundLimit = ForegroundLimit(batches: batches, duration: timeout.map { .milliseconds(Int($0 * 1000)) })
        session.engineResolver = Engines.resolver
        // Whatever runs on another engine stops when cells does, not when its session expires.
        defer { session.close() }
        if let address = engine ?? ProcessInfo.processInfo.environment["CELLS_ENGINE"].flatMap({ $0.isEmpty ? nil : $0 }),
           address.lowercased() != "local" {
            do {
                try session.useEngine(address)
            } catch {
                printError("cells: \(error.description)")
                throw ExitCode(3)
            }
        }

        var embedded: EmbeddedKafka?
        if embedding.embedded {
            let stack = try EmbeddedKafka(embedding, logger: logger)
            session.environment["KAFKA_BOOTSTRAP"] = stack.cluster.bootstrapServers
            // The extended-schema notebooks read ${CELLS_TOPIC:-transactions}.
            session.environment["CELLS_TOPIC"] = stack.topic
            printError("cells: \(stack.description) (KAFKA_BOOTSTRAP=\(stack.cluster.bootstrapServers))")
            embedded = stack
        }
        defer { embedded?.shutdown() }

        guard runsAll else {
            let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
            let history = ProcessInfo.processInfo.environment["CELLS_HISTORY"] ?? home.map { "\($0)/.cells_history" }
            let terminal = TerminalOwnership.take()
            defer { terminal?.giveBack() }
            Shell(notebook: parsed, path: notebook, session: session, screen: screen, signals: signals,
                  historyFile: history).run()
            return
        }

        // A wrong statement anywhere is reported before any cell connects or streams.
        let cells: [[SQLStatement]]
        do {
            cells = try parsed.cells.filter(\.hasStatements).map { (cell) throws(SQLError) in
                try SQLParser.parseScript(cell.body, environment: session.environment, origin: cell.origin)
            }
        } catch {
            printError(CellError.sql(error, source: text, file: name).description)
            throw ExitCode(2)
        }
        let runner = CellRunner(session: session, screen: screen, signals: signals)
        for statements in cells {
            do {
                if try runner.run(statements, source: text, file: name) == .interrupted { break }
            } catch {
                printError(error.description)
                throw ExitCode(error.exitCode)
            }
        }
    }
}

extension RunCommand {
    /// The bytes of the notebook at `path`, `-` for standard input. Read to the end rather
    /// than by size, so pipes and `/dev/stdin` work; a failure names the system's reason.
    static func read(_ path: String) throws -> [UInt8] {
        let descriptor = path == "-" ? dup(STDIN_FILENO) : open(path, O_RDONLY)
        guard descriptor >= 0 else { throw CellsError.cannotOpen(path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            throw CellsError.cannotOpen(path, errno: EISDIR)
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CellsError.cannotOpen(path, errno: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }
}

/// `--trigger`: the triggers a script can force.
enum TriggerOverride: String, ExpressibleByArgument, CaseIterable {
    case once
    case availableNow = "available-now"

    var policy: TriggerPolicy { self == .once ? .once : .availableNow }
}

extension CellError {
    /// Distinct exit statuses per error class, for scripts: 2 for a statement that is wrong
    /// (syntax, names, types), 3 for a failure while running (broker, topic, data).
    var exitCode: Int32 {
        if case .sql = kind { return 2 }
        return 3
    }
}
