import Dispatch
import SparkConnect

/// Runs async client calls from the kernel's synchronous world (a shell's thread, a query's
/// own thread): the caller's thread waits on a semaphore while the call runs as a task on the
/// client's own executor (``SparkConnectExecutor``), so a caller that blocks a cooperative
/// thread cannot starve it, and every call carries its own deadline, so the wait ends.
enum Blocking {
    static func run<T: Sendable, E: Error>(_ operation: @escaping @Sendable () async throws(E) -> T) throws(E) -> T {
        let box = Box<T, E>()
        let done = DispatchSemaphore(value: 0)
        Task(executorPreference: SparkConnectExecutor.shared) {
            do throws(E) {
                box.result = .success(try await operation())
            } catch {
                box.result = .failure(error)
            }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }

    /// Written once by the task before the semaphore is signalled, read after the wait:
    /// the semaphore orders the two.
    private final class Box<T: Sendable, E: Error>: @unchecked Sendable {
        var result: Result<T, E>?
    }
}
