@testable import CellKernel
import Foundation
import Synchronization

/// The smallest stack a batch of a query is evaluated on: Dispatch's worker threads on Linux
/// (files are read in parallel on them) have 512 KiB.
let smallestStack = 512 * 1024

/// The stack statements are parsed and planned on: the main thread's (`ulimit -s`, 8 MiB).
let mainThreadStack = 8 * 1024 * 1024

/// Runs `body` on a thread of its own with `stackSize` bytes of stack and waits at most
/// `deadline` for it; `nil` when it did not finish in time (the thread is left to finish).
func onThread<T: Sendable>(stackSize: Int = mainThreadStack, deadline: Duration = .seconds(60),
                           _ body: @escaping @Sendable () -> T) -> T? {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        let value = body()
        result.withLock { $0 = value }
        done.signal()
    }
    thread.stackSize = stackSize
    thread.start()
    let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
    guard done.wait(timeout: .now() + seconds) == .success else { return nil }
    return result.withLock { $0 }
}

/// How a statement ended, as `cells run --all` maps it to an exit status.
enum FuzzOutcome: Sendable, Equatable {
    case success
    /// A wrong statement (exit 2), with its position, e.g. `3:14`.
    case statementError(String)
    /// A failure while running (exit 3).
    case runtimeError(String)

    init(_ error: CellError) {
        switch error.kind {
        case .sql(let sql): self = .statementError("\(sql.location.line):\(sql.location.column) \(sql.message)")
        case .runtime: self = .runtimeError(error.message)
        }
    }

    var exitStatus: Int32 {
        switch self {
        case .success: 0
        case .statementError: 2
        case .runtimeError: 3
        }
    }
}

/// A JSON-lines file for the fuzzed notebooks: ordinary, extreme and malformed records.
func writeFuzzInput(to path: String) throws {
    let lines = [
        #"{"n":1,"d":1.5,"s":"a","b":true,"ts":"2024-01-01T00:00:30Z","k":"x"}"#,
        #"{"n":2,"d":-0.0,"s":"b","b":false,"ts":"2024-01-01T00:01:30Z","k":"y"}"#,
        #"{"n":-9223372036854775808,"d":1e308,"s":"","b":null,"ts":"1970-01-01T00:00:00Z","k":"x"}"#,
        #"{"n":9223372036854775807,"d":-1e308,"s":"\u00e9\ud83d\ude00","b":true,"ts":"9999-12-31T23:59:59Z","k":null}"#,
        #"{"n":null,"d":null,"s":null,"b":null,"ts":null,"k":null}"#,
        #"{"n":"12","d":"NaN","s":5,"b":"true","ts":"not a time","k":[1,2]}"#,
        #"{"n":1e400,"d":4.9e-324,"s":{"x":[[[]]]},"ts":"0001-01-01T00:00:00Z"}"#,
        #"{"n":3,"s":"unterminated"#,
        #"[1,2,3]"#,
        "",
        #"{}"#,
        String(repeating: "[", count: 5000),
        String(repeating: #"{"a":"#, count: 3000),
        // Records shaped like the shipped notebooks' streams.
        #"{"card_brand":"Visa","amount":12.5,"status":"declined","card_number":"1","customer_name":"A","event_time":"2024-01-01T00:00:10Z","formato_captura":"chip","value":"$1,234.50"}"#,
        #"{"card_brand":"Visa","amount":1e308,"status":"declined","card_number":"1","customer_name":"A","event_time":"2024-01-01T00:00:20Z","installments":2147483647,"value":"abc"}"#,
        #"{"card_brand":null,"amount":-1e308,"status":"declined","card_number":"1","customer_name":"A","event_time":"2024-01-01T00:00:40Z","formato_captura":""}"#,
        // Known open, not in this suite's data until fixed elsewhere: an event time near
        // Long.MinValue microseconds (`"event_time":-9223372036854`) traps in
        // WindowOperator.assign (window arithmetic, issue 9 repro 1).
        #"{"card_brand":"Master","amount":"NaN","event_time":"9999-12-31T23:59:59.999999Z","value":"1e400"}"#,
        #"{"n":4,"s":"\#(String(repeating: "z", count: 10_000))","ts":"2024-01-01T00:02:00Z","k":"z"}"#,
    ]
    try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
}

/// The preamble of each fuzzed script: a file source over `path` and a stream with a column of
/// each kind.
func fuzzPreamble(path: String) -> String {
    """
    CREATE SOURCE f USING file OPTIONS ('path' = '\(path)');
    CREATE STREAM e FROM f FORMAT json SCHEMA (n BIGINT, d DOUBLE, s STRING, b BOOLEAN, ts TIMESTAMP, k STRING);

    """
}

/// Runs `script` statement by statement in a fresh session, as `cells run --all` does with its
/// trigger forced to available-now, and returns how it ended.
func runFuzzScript(_ script: String, environment: [String: String] = [:]) -> FuzzOutcome {
    let session = CellSession(environment: environment, output: { _ in })
    session.triggerOverride = .availableNow
    session.foregroundLimit = ForegroundLimit(batches: 3, duration: .seconds(5))
    do {
        try session.run(script: script)
        return .success
    } catch {
        return FuzzOutcome(error)
    }
}

