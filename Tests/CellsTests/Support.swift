import Foundation
import Testing

/// The `cells` executable SwiftPM built next to this test bundle.
let cellsExecutable: URL = {
    let beside = Bundle.main.bundleURL.appendingPathComponent("cells")
    if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
    // Swift Testing may run from a helper binary elsewhere; fall back on the build folder.
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug/cells")
}()

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
        out.fileHandleForReading.readabilityHandler = { [unowned self] h in
            let d = h.availableData
            lock.withLock { outData.append(d) }
        }
        err.fileHandleForReading.readabilityHandler = { [unowned self] h in
            let d = h.availableData
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
