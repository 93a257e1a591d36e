import Foundation
import Testing

/// A throwaway PostgreSQL server for the tests: `initdb` into a temporary folder, `postgres`
/// on a free port of 127.0.0.1, trust authentication for every user but ``passwordUser``,
/// who must give ``password``. Tests run as root, which PostgreSQL refuses to run as: the
/// server then runs as the `postgres` user (Debian's package makes it), owning the folder.
///
/// One server serves the whole test process (``shared``), started by the first test that asks;
/// each test takes a database of its own (``freshDatabase()``). A watchdog started with the
/// server stops it and removes its folder as soon as the test process is gone, however it
/// ended (a failed expectation, a crash, a kill), so nothing outlives the run.
final class PostgresServer: Sendable {
    let port: Int
    let folder: String
    let binaries: String
    /// A user who logs in over TCP with a password only (for the redaction tests).
    static let passwordUser = "cells_secret"
    static let password = "Pg-Secret-7f3a9"

    /// The started server, or why it could not start.
    static let shared: Result<PostgresServer, PostgresServerError> = Result { () throws(PostgresServerError) in try PostgresServer() }

    /// Where Debian puts `initdb`, `pg_ctl`, `postgres` and `psql`: the newest
    /// `/usr/lib/postgresql/NN/bin`, or the folder of an `initdb` on the PATH.
    static let binaryFolder: String? = {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let newest = versions.filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
            .max { (Int($0.prefix { $0.isNumber }) ?? 0) < (Int($1.prefix { $0.isNumber }) ?? 0) }
        if let newest { return "\(root)/\(newest)/bin" }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map(String.init).first { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }
    }()

    /// Whether the tests can run at all; `make test` installs Debian's `postgresql` so they do.
    static var isInstalled: Bool { binaryFolder != nil }

    /// The shared server, or the test fails saying why it did not start.
    static func start() throws -> PostgresServer {
        try shared.get()
    }

    /// A server of the caller's own, for a test that restarts or stops it; ``stop()`` it at
    /// the end (the watchdog does, at the latest, when the test process ends).
    static func startPrivate() throws -> PostgresServer {
        try PostgresServer()
    }

    private init() throws(PostgresServerError) {
        guard let binaries = Self.binaryFolder else { throw PostgresServerError("PostgreSQL is not installed (apt-get install postgresql)") }
        self.binaries = binaries
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cells-pg-\(UUID().uuidString)").path
        self.folder = folder
        do {
            try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
            if Self.asRoot {
                guard let user = getpwnam("postgres") else { throw PostgresServerError("tests run as root, but there is no 'postgres' user to run the server as") }
                for path in [folder, folder + "/data"] { chown(path, user.pointee.pw_uid, user.pointee.pw_gid) }
            }
            Self.watch(folder: folder, binaries: binaries)
            try Self.run(binaries + "/initdb", ["-D", folder + "/data", "-U", "postgres", "-E", "UTF8", "--no-locale", "--auth=trust", "--no-sync"],
                         asServer: true)
            // The password user may only log in with its password; everyone else is trusted.
            try """
                local all all trust
                host all \(Self.passwordUser) 127.0.0.1/32 scram-sha-256
                host all all 127.0.0.1/32 trust
                """.write(toFile: folder + "/data/pg_hba.conf", atomically: false, encoding: .utf8)
            var started: Int?
            for _ in 0..<5 where started == nil {
                let port = try Self.freePort()
                let result = try Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60",
                                                                 "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
                                                                 "start"], asServer: true, check: false)
                if result.status == 0 { started = port }
            }
            guard let started else {
                let log = (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? ""
                throw PostgresServerError("the test PostgreSQL server did not start: \(log.suffix(2000))")
            }
            port = started
        } catch let error as PostgresServerError {
            throw error
        } catch {
            throw PostgresServerError("cannot set up the test PostgreSQL server in \(folder): \(error)")
        }
        do {
            try psql("CREATE ROLE \(Self.passwordUser) LOGIN PASSWORD '\(Self.password)'")
        } catch {
            throw PostgresServerError("cannot create the password user: \(error)")
        }
    }

    /// `postgresql://postgres@127.0.0.1:port/database`
    func url(_ database: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(database)" }

    /// A new, empty database for one test.
    func freshDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try psql("CREATE DATABASE \(name)")
        return name
    }

    /// Runs `sql` with psql (as the trusted superuser) and returns its rows: fields split at
    /// U+001F, rows at U+001E, NULL as nil.
    @discardableResult
    func psql(_ sql: String, database: String = "postgres") throws -> [[String?]] {
        let result = try Self.run(binaries + "/psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", "\(port)",
                                                       "-U", "postgres", "-d", database, "-F", "\u{1F}", "-R", "\u{1E}",
                                                       "-P", "null=\u{1}NULL", "-c", sql], asServer: false)
        let text = result.output.hasSuffix("\n") ? String(result.output.dropLast()) : result.output
        guard !text.isEmpty else { return [] }
        return text.split(separator: "\u{1E}", omittingEmptySubsequences: false).map { row in
            row.split(separator: "\u{1F}", omittingEmptySubsequences: false).map { $0 == "\u{1}NULL" ? nil : String($0) }
        }
    }

    /// Stops the server at once and starts it again on the same port and folder: what a
    /// restarted database server looks like to a client.
    func restart() throws {
        try Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "restart", "-l", folder + "/server.log",
                                            "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"],
                     asServer: true)
    }

    /// Stops the server and removes its folder.
    func stop() {
        _ = try? Self.run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"], asServer: true, check: false)
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: Processes

    private static var asRoot: Bool { getuid() == 0 }

    /// Runs a program (as the server's user when `asServer` and the tests run as root); its
    /// stdout, and stderr on failure.
    ///
    /// Spawned directly rather than with Foundation's Process, which learns that a child
    /// ended when a socket it hands the child closes: the server that `pg_ctl start` leaves
    /// running would hold it open, and the wait would never end. Here the child gets only
    /// stdin, stdout and stderr (every other descriptor closed), and waitpid says when it ends.
    @discardableResult
    private static func run(_ program: String, _ arguments: [String], asServer: Bool, check: Bool = true) throws
        -> (status: Int32, output: String) {
        let argv = asServer && asRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", program] + arguments : [program] + arguments
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("cells-pg-run-\(UUID().uuidString)").path
        defer {
            unlink(scratch + ".out")
            unlink(scratch + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, scratch + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, scratch + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard let closeFrom = Self.closeFrom else { throw PostgresServerError("glibc has no posix_spawn_file_actions_addclosefrom_np") }
        _ = closeFrom(&actions, 3)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw PostgresServerError("cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // WIFEXITED and WEXITSTATUS are macros Swift does not import.
        let exitCode = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let output = (try? String(contentsOfFile: scratch + ".out", encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: scratch + ".err", encoding: .utf8)) ?? ""
        if check && exitCode != 0 {
            throw PostgresServerError("\((program as NSString).lastPathComponent) failed (\(exitCode)): \(errors)\(output)")
        }
        return (exitCode, output)
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 on), which Swift's Glibc
    /// module does not declare.
    private static let closeFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
    }()

    /// A shell that waits for this process to end, then stops the server and removes its
    /// folder.
    private static func watch(folder: String, binaries: String) {
        let stop = (asRoot ? "runuser -u postgres -- " : "") + "'\(binaries)/pg_ctl' -D '\(folder)/data' -m immediate -w stop"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "while kill -0 \(getpid()) 2>/dev/null; do sleep 0.5; done; \(stop) >/dev/null 2>&1; rm -rf '\(folder)'"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }

    /// A port of 127.0.0.1 nothing listens on now.
    static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PostgresServerError("no socket for a free port") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw PostgresServerError("cannot bind a free port") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct PostgresServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
