import Foundation

/// Rows a micro-batch produced, on their way to sinks.
struct ResultBatch: Sendable {
    var batchId: Int64
    var schema: Schema
    var columns: [Column]
    var mode: OutputMode
    /// Output columns that are GROUP BY keys: what update mode upserts by.
    var keyColumns: [Int]

    var count: Int { columns.first?.count ?? 0 }
}

/// Where a query's results go. Sinks are called on the query's thread, once per micro-batch.
protocol QuerySink: AnyObject {
    func write(_ result: ResultBatch) throws
    func write(_ result: ResultBatch, stop: () -> Bool) throws
    func close() throws

    /// Called once, before the first batch, when the query has a checkpoint location. From
    /// then on the sink makes `write` idempotent by batch id: a batch id it was given before
    /// (a batch run again after a crash, with the same input) replaces or completes what it
    /// wrote then, never adds to it. Throws when the sink cannot keep that promise.
    func attach(_ checkpoint: SinkCheckpoint) throws
    /// Called once the checkpoint has durably committed `batchId`: what the sink kept to
    /// redo batches up to it can go.
    func committed(_ batchId: Int64)
    /// What a checkpointed query's sink promises after a crash; said in `--help` and the README.
    var guarantee: DeliveryGuarantee { get }
}

/// What a sink is given when its query has a checkpoint location.
struct SinkCheckpoint: Sendable {
    /// A folder inside the checkpoint, this sink's own (it exists), for its logs and staged rows.
    var folder: String
    /// Stable across restarts of the query from the same location, different for another
    /// location: e.g. Kafka's `transactional.id`.
    var identity: String
    /// The last batch that will not run again (the one before the first the query runs now,
    /// which after damaged state may be before its last commit); nil before the first.
    var lastCommitted: Int64?
}

/// What a sink's output holds after a checkpointed query crashed and resumed.
enum DeliveryGuarantee: String, Sendable {
    /// Every batch's rows once.
    case exactlyOnce = "exactly-once"
    /// Every batch's rows, a batch that was running at the crash perhaps twice.
    case atLeastOnce = "at-least-once"
}

extension QuerySink {
    func close() throws {}

    /// A sink that may wait on something outside the process (a broker) checks `stop` while
    /// it waits and throws rather than outlive Ctrl-C, SIGTERM, `--timeout` or STOP.
    func write(_ result: ResultBatch, stop: () -> Bool) throws { try write(result) }

    func attach(_ checkpoint: SinkCheckpoint) throws {}
    func committed(_ batchId: Int64) {}
    var guarantee: DeliveryGuarantee { .atLeastOnce }
}
