/// A ``BatchWorker`` as a source's lane: the source feeds it from one thread at a time, and
/// the query takes the worker back once the batch has been read.
final class WorkerLane: RecordLane, @unchecked Sendable {  // one thread at a time, as RecordLane promises
    private var worker: BatchWorker

    init(_ worker: BatchWorker) {
        self.worker = worker
    }

    func add(_ record: SourceRecord, topics: [String]) throws {
        try worker.add(record, topics: topics)
    }

    /// Runs the rows still buffered through the stages and returns the worker.
    func finish() -> BatchWorker {
        worker.finish()
        return worker
    }
}
