import ArgumentParser
import CellKernel
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a .cells notebook's statements.",
        discussion: """
            With --all, runs every statement in order and exits: 0 when all succeeded, \
            non-zero with the error otherwise. A started stream prints its table every trigger \
            until Ctrl-C; --trigger once or available-now makes every START process what is \
            there and stop, which is what scripts and tests want.

            Environment variables are expanded in string literals: ${KAFKA_BOOTSTRAP:-localhost:9092}.
            """
    )

    @Argument(help: "The notebook (.cells) or SQL script to run.")
    var notebook: String

    @Flag(help: "Run every statement and exit (the interactive shell comes with the notebook shell).")
    var all = false

    @Option(help: ArgumentHelp("Override every START's trigger.", valueName: "once|available-now"))
    var trigger: TriggerOverride?

    func validate() throws {
        guard all else {
            throw ValidationError("the step-through shell is not there yet: run with --all to execute the whole notebook")
        }
    }

    func run() throws {
        _ = CellsLogging.bootstrap()
        let signals = SignalWatcher()
        let text: String
        do {
            text = try String(contentsOfFile: notebook, encoding: .utf8)
        } catch {
            throw CellsError.cannotOpen(notebook, errno: ENOENT)
        }
        let session = CellSession(output: { text in
            var out = OutputStream(descriptor: 1, capacity: 0)
            out.write(text)
            out.flush()
        })
        session.triggerOverride = trigger?.policy
        do {
            try session.run(script: text, file: notebook, shouldStop: { signals.isStopRequested })
        } catch {
            printError(error.description)
            throw ExitCode(error.exitCode)
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
