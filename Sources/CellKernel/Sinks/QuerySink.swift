/// Rows a micro-batch produced, on their way to sinks.
public struct ResultBatch: Sendable {
    public var batchId: Int64
    public var schema: Schema
    public var columns: [Column]
    public var mode: OutputMode
    /// Output columns that are GROUP BY keys: what update mode upserts by.
    public var keyColumns: [Int]

    public var count: Int { columns.first?.count ?? 0 }
}

/// Where a query's results go. Sinks are called on the query's thread, once per micro-batch.
public protocol QuerySink: AnyObject {
    func write(_ result: ResultBatch) throws
    func write(_ result: ResultBatch, stop: () -> Bool) throws
    func close() throws
}

extension QuerySink {
    public func close() throws {}

    /// A sink that may wait on something outside the process (a broker) checks `stop` while
    /// it waits and throws rather than outlive Ctrl-C, SIGTERM, `--timeout` or STOP.
    public func write(_ result: ResultBatch, stop: () -> Bool) throws { try write(result) }
}
