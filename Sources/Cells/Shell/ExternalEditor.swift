import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `$VISUAL`/`$EDITOR` (else `vi`) on a file, with the terminal handed over until it exits.
enum ExternalEditor {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameter signals: SIGTERM or SIGHUP meanwhile is passed on to the editor, so that a
    ///   program asked to end does not wait on an editor nobody may be looking at.
    static func edit(_ file: String, signals: SignalWatcher) throws {
        let environment = ProcessInfo.processInfo.environment
        let command = [environment["VISUAL"], environment["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        // Through the shell, so that EDITOR="code --wait" works as it does for git.
        let arguments = ["/bin/sh", "-c", "exec \(command) \"$1\"", "sh", file]
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The shell blocks SIGINT for its own watcher; the editor must get its signals back.
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGUSR1, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, argv[0]!, nil, &attributes, argv, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot start \(command): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        var forwarded = false
        signals.handingOver {
            while true {
                let waited = waitpid(pid, &status, WNOHANG)
                if waited == pid || (waited < 0 && errno != EINTR) { break }
                if signals.isTerminationRequested && !forwarded {
                    kill(pid, SIGTERM)
                    forwarded = true
                }
                usleep(20_000)
            }
        }
        let exited = status & 0x7F == 0
        let code = (status >> 8) & 0xFF
        guard exited && code == 0 else {
            throw Failure(description: "\(command) ended with status \(exited ? code : 128 + (status & 0x7F)); the cell is unchanged")
        }
    }
}
