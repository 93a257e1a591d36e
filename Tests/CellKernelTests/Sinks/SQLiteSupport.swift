@testable import CellKernel
import Foundation
import Testing

/// The `sqlite3` shell (Debian's `sqlite3` package, in the Makefile's DEB_PACKAGES): the
/// independent reader of what the sqlite sink wrote, and the independent writer of tables
/// cells reads.
enum SQLiteShell {
    static let executable = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3", "/bin/sqlite3"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// What NULL prints as: no value the tests write looks like it.
    static let null = "<NULL>"

    /// The rows `sql` returns from the database `path`, each value as the shell prints it.
    static func rows(_ path: String, _ sql: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [[String]] {
        // Unit and record separators: no value the tests write contains them.
        let output = try run(path, ["-batch", "-list", "-separator", "\u{1F}", "-newline", "\u{1E}", "-nullvalue", null], sql,
                             sourceLocation: sourceLocation)
        return output.split(separator: "\u{1E}", omittingEmptySubsequences: false).dropLast()
            .map { $0.split(separator: "\u{1F}", omittingEmptySubsequences: false).map(String.init) }
    }

    /// Runs statements (creating the file if needed), failing the test on an error.
    static func execute(_ path: String, _ sql: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        _ = try run(path, ["-batch", "-bail"], sql, sourceLocation: sourceLocation)
    }

    private static func run(_ path: String, _ arguments: [String], _ sql: String, sourceLocation: Testing.SourceLocation) throws -> String {
        let shell = try #require(executable, "the sqlite3 shell is not installed (make setup installs Debian's sqlite3)",
                                 sourceLocation: sourceLocation)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: shell)
        process.arguments = arguments + [path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        let text = output.fileHandleForReading.readDataToEndOfFile()
        let problems = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && problems.isEmpty, "sqlite3 \(sql): \(problems)", sourceLocation: sourceLocation)
        return String(decoding: text, as: UTF8.self)
    }
}

/// A temporary folder for one test's database files, inputs and checkpoints.
final class SQLiteScratch {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "cells-sqlite-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { "\(root)/\(name)" }

    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }
}

/// A session whose output is kept, for the tests that read what it printed.
func sqliteSession() -> (CellSession, Transcript) {
    let transcript = Transcript()
    return (CellSession(environment: [:], output: transcript.output), transcript)
}

/// The error text `script` fails with in `session` (a recorded issue when it does not fail).
func sqliteFailure(of script: String, in session: CellSession, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> String {
    do {
        try session.run(script: script)
        Issue.record("no error from \(script)", sourceLocation: sourceLocation)
        return ""
    } catch {
        return error.message
    }
}
