import Dispatch

/// Where a client's tasks run: a queue of their own rather than the cooperative pool.
///
/// cells calls Spark from synchronous code (the shell's thread, a query's thread, a test)
/// that waits for the answer. Were the call's tasks on the cooperative pool, callers blocking
/// every pool thread (two, on two cores) would starve the very calls they wait for, and no
/// deadline would fire, since the deadline's timer needs the pool too. Nothing here blocks,
/// so one serial queue serves every client.
public final class SparkConnectExecutor: TaskExecutor {
    public static let shared = SparkConnectExecutor()
    private let queue = DispatchQueue(label: "cells.spark-connect")

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
