import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A running query's side of its checkpoint location: where it is in the logs, what it
/// must run again after a crash, and when a full state file is due.
///
/// The protocol per micro-batch N (Spark's, with state saved incrementally):
/// 1. `offsets/N`: what N reads, before it is folded into any state or sink;
/// 2. `state/N.delta` (or `.full` every ``fullEvery`` batches): the state after N;
/// 3. the sinks write N, each idempotently by batch id;
/// 4. `commits/N`.
/// A crash anywhere leaves N uncommitted: the restarted query restores the state of N-1
/// and runs N again with the offsets of step 1.
///
/// The files are written on a thread of the checkpoint's own, in the order they are given,
/// so that flushing batch N's state and commit overlaps batch N's sinks and the reading of
/// N+1. The query waits for them (``waitUntilWritten()``) before batch N+1's sinks see
/// anything: by then `offsets/N+1` and `commits/N` are on disk, so a crash leaves at most
/// one batch uncommitted, as if the writes were synchronous.
final class QueryCheckpoint {
    let location: CheckpointLocation
    let metadata: CheckpointMetadata
    /// The newest batch whose commit record is on disk, as the writer thread finishes it:
    /// what SHOW QUERIES reads, from any thread.
    let committed = CommittedBatch()
    var lastCommitted: Int64? {
        get { committed.batch }
        set { committed.batch = newValue }
    }
    /// Logged batches to run again, oldest first: each must read exactly its logged offsets.
    var replay: [OffsetsEntry] = []
    /// The newest full state file and the one before it: what recovery can fall back to.
    var lastFull: Int64?
    var previousFull: Int64?
    /// A test hook (`CELLS_TEST_CRASH_AT=phase:batch`): the process kills itself there, as a
    /// power cut would, so crash tests can hit each step of the protocol.
    let crashPoint: (phase: String, batch: Int64)?

    /// A full state file at least this often, so that recovery reads a bounded chain of
    /// deltas (Spark's `minDeltasForSnapshot` is 10 too).
    var fullEvery: Int64 = 10

    private let writer = DispatchQueue(label: "cells.checkpoint.writer")
    /// The first write that failed, set on the writer's thread.
    private let failure = FirstFailure()
    /// Commit records handed to the writer and not yet known to be on disk.
    private var committing: [Int64] = []

    init(location: CheckpointLocation, metadata: CheckpointMetadata, environment: [String: String]) {
        self.location = location
        self.metadata = metadata
        crashPoint = environment["CELLS_TEST_CRASH_AT"].flatMap { text in
            let parts = text.split(separator: ":")
            guard parts.count == 2, let batch = Int64(parts[1]) else { return nil }
            return (String(parts[0]), batch)
        }
    }

    /// Whether the state after `batch` goes to a full file.
    func fullIsDue(_ batch: Int64) -> Bool {
        guard let lastFull else { return true }
        return batch - lastFull >= fullEvery
    }

    /// Hands `bytes` to the writer thread for `file`; `phase` names the step for the crash hook.
    func write(_ bytes: [UInt8], to file: String, phase: String, batch: Int64) {
        write({ bytes }, to: file, phase: phase, batch: batch)
    }

    /// Hands `file` to the writer thread with what encodes its bytes there: encoding a
    /// state's megabytes (and checksumming them) need not hold up the query, as long as
    /// `bytes` encodes values the next batch cannot change.
    func write(_ bytes: @escaping @Sendable () -> [UInt8], to file: String, phase: String, batch: Int64) {
        let crash = crashPoint.map { $0.phase == phase && $0.batch == batch } ?? false
        writer.async { [failure] in
            guard failure.error == nil else { return }
            do {
                try DurableFile.write(bytes(), to: file)
            } catch {
                failure.set(CheckpointError("cannot write the checkpoint file \(file): \(error)", hint: "check the disk and the folder's permissions"))
                return
            }
            if crash { kill(getpid(), SIGKILL) }
        }
    }

    /// Hands batch `batch`'s commit record to the writer.
    func writeCommit(_ batch: Int64, timestamp: Int64) {
        committing.append(batch)
        write(CommitEntry(batchId: batch, timestamp: timestamp).bytes, to: location.commitFile(batch), phase: "commit", batch: batch)
        writer.async { [failure, committed] in
            if failure.error == nil { committed.batch = batch }
        }
    }

    /// Waits until every file handed to the writer is on disk; returns the batches whose
    /// commit records are now durable. Throws the first write that failed.
    func waitUntilWritten() throws(CheckpointError) -> [Int64] {
        writer.sync {}
        if let error = failure.error { throw error }
        defer { committing.removeAll() }
        return committing
    }

    func crashIfAsked(_ phase: String, batch: Int64) {
        guard let crashPoint, crashPoint.phase == phase, crashPoint.batch == batch else { return }
        kill(getpid(), SIGKILL)
    }
}

/// The first error of a thread that goes on without a caller to throw to.
private final class FirstFailure: Sendable {
    private let state = Mutex<CheckpointError?>(nil)
    var error: CheckpointError? { state.withLock { $0 } }
    func set(_ error: CheckpointError) { state.withLock { if $0 == nil { $0 = error } } }
}

/// The newest committed batch of a query, shared between its thread, its checkpoint's
/// writer, and whoever asks (SHOW QUERIES).
final class CommittedBatch: Sendable {
    private let state = Mutex<Int64?>(nil)
    var batch: Int64? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
