import Foundation
import Testing

/// The `cells` executable SwiftPM built next to this test bundle.
let cellsExecutable: URL = {
    let beside = Bundle.main.bundleURL.appendingPathComponent("cells")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    // Swift Testing may run from a helper binary elsewhere; fall back on the build folder.
    return repositoryRoot.appendingPathComponent(".build/debug/cells")
}()

/// The checkout this test bundle was built from.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

let kcatPath: String? = ["/usr/bin/kcat", "/usr/local/bin/kcat", "/usr/bin/kafkacat"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

struct Finished {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// A running child process whose output is collected as it comes.
final class Child: @unchecked Sendable {
    let process = Process()
    private let out = Pipe(), err = Pipe()
    private let lock = NSLock()
    private var outData = Data(), errData = Data()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        // Weak: a handler already dispatched can still run after finish() cleared it and the
        // Child is gone (an unowned self crashed the test process there under load).
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            lock.withLock { outData.append(d) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            guard let self else { return }
            lock.withLock { errData.append(d) }
        }
        try process.run()
    }

    var stdout: String { lock.withLock { String(decoding: outData, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: errData, as: UTF8.self) } }

    /// Waits until `condition` holds on standard output, or fails after `timeout`.
    func waitForOutput(timeout: Duration = .seconds(10), _ condition: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(stdout) { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to end (killing it after `timeout`) and returns what it printed.
    func finish(timeout: Duration = .seconds(60)) -> Finished {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            Issue.record("\(process.executableURL!.lastPathComponent) did not finish within \(timeout)")
        }
        process.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        let restOut = out.fileHandleForReading.readDataToEndOfFile()
        let restErr = err.fileHandleForReading.readDataToEndOfFile()
        lock.withLock { outData.append(restOut); errData.append(restErr) }
        return Finished(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }
}

/// Runs `cells` with these arguments to completion.
func cells(_ arguments: String..., environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws -> Finished {
    try cells(arguments, environment: environment, timeout: timeout)
}

func cells(_ arguments: [String], environment: [String: String] = [:], timeout: Duration = .seconds(60)) throws -> Finished {
    try Child(cellsExecutable.path, arguments, environment: environment).finish(timeout: timeout)
}

func kcat(_ arguments: [String]) throws -> Finished {
    let path = try #require(kcatPath, "kcat is not installed (make test installs it)")
    return try Child(path, arguments).finish()
}

func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("cells-test-\(UUID().uuidString)-\(name)").path
}

/// A JSON object's string fields (test-side decoding, independent of the product's).
func fields(_ line: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
}

// MARK: Brokers, seeded data and notebooks

/// A `cells broker` child; `bootstrap` is the address it printed first.
final class BrokerChild {
    let child: Child
    let bootstrap: String

    init(topics: [String] = []) throws {
        child = try Child(cellsExecutable.path, ["broker"] + topics.flatMap { ["--topic", $0] })
        try #require(child.waitForOutput { $0.contains("\n") }, "cells broker printed no address: \(child.stderr)")
        bootstrap = try #require(child.stdout.split(separator: "\n").first).description
    }

    func stop() {
        child.signal(SIGTERM)
        _ = child.finish(timeout: .seconds(10))
    }
}

/// The path of one of the repository's notebooks, e.g. `work.cells`.
func notebookPath(_ name: String) -> String {
    repositoryRoot.appendingPathComponent("notebooks/\(name)").path
}

/// The messages `cells produce` makes for this seed, as `--output -` writes them, decoded by
/// Foundation: what a test computes its expected values from, independently of the engine.
func seededMessages(schema: String = "seed", seed: Int, count: Int) throws -> [[String: Any]] {
    let written = try Child(cellsExecutable.path, ["produce", "--schema", schema, "--seed", "\(seed)", "--count", "\(count)",
                                                   "--rate", "max", "--output", "-"]).finish()
    try #require(written.status == 0 && written.lines.count == count)
    return try written.lines.map(fields)
}

/// Loads `count` seeded messages into the broker with `cells produce`, and returns the same
/// messages (``seededMessages(schema:seed:count:)``).
func load(schema: String = "seed", seed: Int, count: Int, topic: String, into broker: BrokerChild) throws -> [[String: Any]] {
    let produced = try Child(cellsExecutable.path, ["produce", "--schema", schema, "--seed", "\(seed)", "--count", "\(count)",
                                                    "--rate", "max", "-b", broker.bootstrap, "-t", topic]).finish()
    try #require(produced.status == 0, "\(produced.stderr)")
    try #require(produced.stderr.contains("\(count) delivered, 0 failed"), "\(produced.stderr)")
    return try seededMessages(schema: schema, seed: seed, count: count)
}

/// What work.cells computes, computed here: the average value per capture channel, each value
/// parsed by Swift's `Float` (the notebook casts to FLOAT) and summed in plain order.
func averageValuePerCapture(_ messages: [[String: Any]]) throws -> [String: Double] {
    var sums: [String: (total: Double, count: Int)] = [:]
    for object in messages {
        let channel = try #require(object["formato_captura"] as? String)
        let text = try #require(object["value"] as? String).filter { $0 != "$" && $0 != "," }
        sums[channel, default: (0, 0)].total += Double(try #require(Float(text)))
        sums[channel, default: (0, 0)].count += 1
    }
    return sums.mapValues { $0.total / Double($0.count) }
}
