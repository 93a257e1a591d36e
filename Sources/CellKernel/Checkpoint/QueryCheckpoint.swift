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
final class QueryCheckpoint {
    let location: CheckpointLocation
    let metadata: CheckpointMetadata
    /// The newest batch with a commit record.
    var lastCommitted: Int64?
    /// Logged batches to run again, oldest first: each must read exactly its logged offsets.
    var replay: [OffsetsEntry] = []
    /// The newest full state file and the one before it: what recovery can fall back to.
    var lastFull: Int64?
    var previousFull: Int64?
    /// A test hook (`CELLS_TEST_CRASH_AT=phase:batch`): the process kills itself there, as a
    /// power cut would, so crash tests can hit each step of the protocol.
    let crashPoint: (phase: String, batch: Int64)?

    /// A full state file at least this often, so that recovery reads a bounded chain of deltas.
    static let fullEvery: Int64 = 10

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
        return batch - lastFull >= Self.fullEvery
    }

    func crashIfAsked(_ phase: String, batch: Int64) {
        guard let crashPoint, crashPoint.phase == phase, crashPoint.batch == batch else { return }
        kill(getpid(), SIGKILL)
    }
}
