import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A program run on a pseudo-terminal of its own, as a person at a terminal runs it: typed
/// keys go in, Ctrl-C becomes SIGINT through the terminal driver, and the screen's bytes
/// come out.
///
/// `setsid -c` (util-linux) makes the terminal the program's controlling terminal, which
/// Foundation's `Process` cannot do by itself.
final class PseudoTerminal: @unchecked Sendable {  // the output is guarded by `lock`
    let process = Process()
    private let master: Int32
    private let lock = NSLock()
    private var output = Data()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
         columns: Int = 160, rows: Int = 50) throws {
        let pty = try PTYFunctions()
        master = pty.openpt(O_RDWR | O_NOCTTY)
        guard master >= 0, pty.grantpt(master) == 0, pty.unlockpt(master) == 0, let name = pty.ptsname(master) else {
            throw Failure("cannot open a pseudo-terminal: \(String(cString: strerror(errno)))")
        }
        let device = String(cString: name)
        let stty = try Child("/bin/stty", ["-F", device, "cols", "\(columns)", "rows", "\(rows)"]).finish()
        guard stty.status == 0 else { throw Failure("stty: \(stty.stderr)") }

        let terminal = FileHandle(forUpdatingAtPath: device)!
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        // -w: setsid forks when the child already leads a process group (Foundation makes
        // it one), so it must wait to hand back the program's exit status.
        process.arguments = ["-w", "-c", executable] + arguments
        var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        variables["TERM"] = "xterm"
        process.environment = variables
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        try process.run()
        try terminal.close()

        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(master, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }  // EIO: the program and every copy of the terminal are gone
                lock.withLock { output.append(contentsOf: buffer[0..<n]) }
            }
        }
        thread.start()
    }

    deinit {
        if process.isRunning { signal(SIGKILL) }
        close(master)
    }

    /// Sends `signal` to the program: the terminal's foreground process group, which is the
    /// program's own (the `setsid` in front of it only waits).
    func signal(_ signal: Int32) {
        let group = tcgetpgrp(master)
        if group > 0 { kill(-group, signal) }
    }

    /// Sends `signal` to the program alone, not to the children sharing its terminal (an
    /// editor): the foreground group's leader, which the program is under `setsid`.
    func signalLeader(_ signal: Int32) {
        let group = tcgetpgrp(master)
        if group > 0 { kill(group, signal) }
    }

    /// Keys, as bytes: "\r" is Enter, "\u{03}" Ctrl-C, "\u{04}" Ctrl-D, "\u{1B}[A" the Up arrow.
    func type(_ keys: String) {
        var bytes = Array(keys.utf8)
        _ = write(master, &bytes, bytes.count)
    }

    /// Everything the program wrote, with escape sequences and carriage returns taken out.
    var screen: String {
        let raw = lock.withLock { String(decoding: output, as: UTF8.self) }
        return Self.plain(raw)
    }

    /// The raw bytes written, escape codes included.
    var raw: String { lock.withLock { String(decoding: output, as: UTF8.self) } }

    /// Output written after the first `count` characters of ``screen``.
    func screen(after count: Int) -> String { String(screen.dropFirst(count)) }

    /// Waits until the screen satisfies `condition`; false after `timeout`.
    @discardableResult
    func wait(timeout: Duration = .seconds(10), for condition: (String) -> Bool) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(screen) { return true }
            Thread.sleep(forTimeInterval: 0.03)
        }
        return condition(screen)
    }

    /// Waits until the output after the first `mark` characters contains `text`.
    @discardableResult
    func wait(for text: String, after mark: Int = 0, timeout: Duration = .seconds(10)) -> Bool {
        wait(timeout: timeout) { String($0.dropFirst(mark)).contains(text) }
    }

    /// Waits for the program to end; its exit status, or nil if it had to be killed.
    func exitStatus(timeout: Duration = .seconds(10)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            signal(SIGKILL)
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    static func plain(_ raw: String) -> String {
        var result = ""
        var iterator = raw.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar {
            case "\u{1B}":
                // CSI: ESC [ parameters final-byte; other escapes are two characters.
                guard let next = iterator.next(), next == "[" else { continue }
                while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
            case "\r", "\u{07}":
                continue
            default:
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// glibc's pseudo-terminal calls, which its Swift module hides behind _XOPEN_SOURCE.
    private struct PTYFunctions {
        let openpt: @convention(c) (Int32) -> Int32
        let grantpt: @convention(c) (Int32) -> Int32
        let unlockpt: @convention(c) (Int32) -> Int32
        let ptsname: @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?

        init() throws {
            func symbol<T>(_ name: String, as type: T.Type) throws -> T {
                guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { throw Failure("no \(name) in libc") }
                return unsafeBitCast(address, to: type)
            }
            openpt = try symbol("posix_openpt", as: (@convention(c) (Int32) -> Int32).self)
            grantpt = try symbol("grantpt", as: (@convention(c) (Int32) -> Int32).self)
            unlockpt = try symbol("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
            ptsname = try symbol("ptsname", as: (@convention(c) (Int32) -> UnsafeMutablePointer<CChar>?).self)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
