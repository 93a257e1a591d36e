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
}

extension QuerySink {
    func close() throws {}

    /// A sink that may wait on something outside the process (a broker) checks `stop` while
    /// it waits and throws rather than outlive Ctrl-C, SIGTERM, `--timeout` or STOP.
    func write(_ result: ResultBatch, stop: () -> Bool) throws { try write(result) }
}
