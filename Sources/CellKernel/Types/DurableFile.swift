#if canImport(Glibc)
import Glibc
#endif

/// Files that survive a crash whole or not at all: written to a temporary name beside the
/// target, flushed to disk (`fsync`), renamed over the target, and the folder flushed too, so
/// that after a power cut a reader finds either the old file or the complete new one.
///
/// What checkpoints and the file sinks use; Foundation's `atomically:` writes skip both
/// flushes.
public enum DurableFile {
    /// Why a durable write or read failed, with the path and the system's reason.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var code: Int32

        public var description: String { "cannot \(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// Writes `bytes` to `path` durably (see the type's summary).
    public static func write(_ bytes: [UInt8], to path: String) throws(Failure) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(path: temporary, operation: "create", code: errno) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(descriptor)
                unlink(temporary)
                throw Failure(path: temporary, operation: "write", code: code)
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            unlink(temporary)
            throw Failure(path: temporary, operation: "flush", code: code)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw Failure(path: path, operation: "rename \(temporary) to", code: code)
        }
        syncFolder(of: path)
    }

    /// The whole file at `path`, or nil when there is none.
    public static func read(_ path: String) throws(Failure) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Failure(path: path, operation: "open", code: errno)
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "read", code: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Creates the folder `path` and its parents (like `mkdir -p`).
    public static func makeFolder(_ path: String) throws(Failure) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if mkdir(prefix, 0o755) != 0, errno != EEXIST { throw Failure(path: prefix, operation: "create the folder", code: errno) }
            prefix += "/"
        }
    }

    /// Removes a file; a missing one is not an error.
    public static func remove(_ path: String) {
        unlink(path)
    }

    /// Flushes the folder holding `path`, so a rename in it is on disk.
    static func syncFolder(of path: String) {
        let folder = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let descriptor = open(folder.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
