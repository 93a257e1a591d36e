#if canImport(Glibc)
import Glibc
#endif

/// What the producing thread and the sender thread share, under one lock: the batches sealed
/// and not yet taken, what is still unacknowledged (the memory budget), and the totals. The
/// producer waits on its condition for room or for the end of a flush; the sender is woken
/// through a pipe, since it waits in `poll` on its sockets as well.
final class Exchange: @unchecked Sendable {  // every field is read and written under `mutex`
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    /// Written by the producer to wake the sender; the sender polls the other end.
    let wakeRead: Int32
    private let wakeWrite: Int32

    var sealed: [SealedBatch] = []
    /// Bytes of records sealed and not yet acknowledged or failed.
    var unresolvedBytes = 0
    var unresolvedBatches = 0
    var unresolvedMessages = 0
    var statistics = WireDeliveryStatistics()
    var closing = false
    var senderFinished = false

    init() throws(WireError) {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw .connection(broker: "-", "cannot create the sender's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        wakeRead = ends[0]
        wakeWrite = ends[1]
        for fd in ends {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func withLock<T>(_ body: () -> T) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return body()
    }

    /// With the lock held: sleeps until woken or until `deadline` (monotonic ms).
    func wait(until deadline: Int64) {
        var t = timespec(tv_sec: Int(deadline / 1000), tv_nsec: Int(deadline % 1000) * 1_000_000)
        pthread_cond_timedwait(condition, mutex, &t)
    }

    func broadcast() { pthread_cond_broadcast(condition) }

    /// Wakes the sender; a full pipe means it has wake-ups pending anyway.
    func wakeSender() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// The sender's side: empties the pipe.
    func drainWakeups() {
        var sink = [UInt8](repeating: 0, count: 256)
        while sink.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }
}

/// What became of the messages sent so far.
public struct WireDeliveryStatistics: Sendable, Equatable {
    public var delivered = 0
    public var failed = 0
    public var firstError: WireError?
    /// Batches acknowledged, and the retries it took (a retry sends a batch again).
    public var batches = 0
    public var retries = 0

    public init() {}
}
