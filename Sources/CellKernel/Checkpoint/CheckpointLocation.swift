import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A query's checkpoint location on disk, laid out as Spark's:
///
/// ```
/// metadata              who owns the location (``CheckpointMetadata``)
/// offsets/N             what batch N reads, written before it runs (``OffsetsEntry``)
/// commits/N             written once batch N's state is saved and its sinks have its rows
/// state/N.full          the query's whole state after batch N (``StateSnapshot`` bytes)
/// state/N.delta         ... or only what batch N changed (operators' ``StatefulOperator/stateDelta``)
/// sinks/I-NAME/         each sink's own files (sink I of the query, by connector name)
/// .lock                 locked while a query runs from here
/// ```
///
/// Every file is written whole or not at all (``DurableFile``); a crash leaves at most a
/// `.tmp` file, which is ignored. Not thread-safe: the query's thread uses it.
final class CheckpointLocation {
    let path: String
    private var lock: Int32 = -1

    /// Opens (creating) the location and locks it for this process; throws when another
    /// query, here or in another process, runs from it.
    init(path: String) throws(CheckpointError) {
        self.path = path
        do {
            for folder in ["", "/offsets", "/commits", "/state", "/sinks"] { try DurableFile.makeFolder(path + folder) }
        } catch {
            throw CheckpointError("cannot create the checkpoint location \(path): \(error)", hint: "choose a writable folder for checkpointLocation")
        }
        lock = open(path + "/.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw CheckpointError("cannot lock the checkpoint location \(path): \(String(cString: strerror(errno)))")
        }
        // flock is released by the kernel when the process dies, however it dies.
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            close(lock)
            lock = -1
            throw CheckpointError("the checkpoint location \(path) is in use by another running query",
                                  hint: "stop that query first, or give this one its own checkpointLocation")
        }
    }

    deinit { release() }

    /// Lets another query use the location.
    func release() {
        guard lock >= 0 else { return }
        flock(lock, LOCK_UN)
        close(lock)
        lock = -1
    }

    // MARK: Files

    func offsetsFile(_ batch: Int64) -> String { "\(path)/offsets/\(batch)" }
    func commitFile(_ batch: Int64) -> String { "\(path)/commits/\(batch)" }
    func stateFile(_ batch: Int64, full: Bool) -> String { "\(path)/state/\(batch).\(full ? "full" : "delta")" }
    var metadataFile: String { "\(path)/metadata" }

    /// A folder of the sink's own, created.
    func sinkFolder(index: Int, name: String) throws(CheckpointError) -> String {
        let folder = "\(path)/sinks/\(index)-\(name.lowercased())"
        do { try DurableFile.makeFolder(folder) } catch {
            throw CheckpointError("cannot create \(folder): \(error)")
        }
        return folder
    }

    func write(_ bytes: [UInt8], to file: String) throws(CheckpointError) {
        do { try DurableFile.write(bytes, to: file) } catch {
            throw CheckpointError("cannot write the checkpoint file \(file): \(error)", hint: "check the disk and the folder's permissions")
        }
    }

    func read(_ file: String) throws(CheckpointError) -> [UInt8]? {
        do { return try DurableFile.read(file) } catch {
            throw CheckpointError("cannot read the checkpoint file \(file): \(error)")
        }
    }

    /// The batch ids that have a file in `folder` (`offsets`, `commits`), ascending; names
    /// that are not batch ids (a `.tmp` left by a crash) are not.
    func batches(in folder: String) -> [Int64] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(path)/\(folder)")) ?? []
        return names.compactMap { Int64($0) }.filter { $0 >= 0 }.sorted()
    }

    /// The state files, ascending by batch.
    func stateFiles() -> [(batch: Int64, full: Bool)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "\(path)/state")) ?? []
        return names.compactMap { name -> (Int64, Bool)? in
            let parts = name.split(separator: ".")
            guard parts.count == 2, let batch = Int64(parts[0]), batch >= 0, parts[1] == "full" || parts[1] == "delta" else { return nil }
            return (batch, parts[1] == "full")
        }.sorted { ($0.0, $0.1 ? 0 : 1) < ($1.0, $1.1 ? 0 : 1) }
    }

    /// Deletes the offsets, commits and state of batches before `batch`.
    func prune(before batch: Int64) {
        for old in batches(in: "offsets") where old < batch { DurableFile.remove(offsetsFile(old)) }
        for old in batches(in: "commits") where old < batch { DurableFile.remove(commitFile(old)) }
        for file in stateFiles() where file.batch < batch { DurableFile.remove(stateFile(file.batch, full: file.full)) }
    }
}
