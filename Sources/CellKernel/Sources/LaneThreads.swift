import Foundation
import Synchronization

// What sources share to feed a micro-batch's lanes from several threads (see RecordLane).

/// How a micro-batch read on several threads is going, shared by them. Positions number the
/// batch's pieces in reading order (a file's byte ranges, the chunks of a Kafka poll). The batch
/// fails with the error met earliest in reading order, whichever thread met it and when, as if
/// one thread had read it all: so an error at a piece makes the later pieces moot, while earlier
/// ones are still read, as they may hold an earlier error. A stop makes every piece moot.
final class LaneOutcome: Sendable {
    /// The last position still worth reading.
    private let limit = Atomic(Int.max)
    private let first = Mutex<(position: Int, error: any Error)?>(nil)

    /// Whether the piece at `position` (or the rest of it) need not be read.
    func isMoot(_ position: Int) -> Bool { position > limit.load(ordering: .relaxed) }

    func stop() { limit.min(-1, ordering: .relaxed) }

    /// A lane threw `error` at a record of the piece at `position`.
    func fail(_ error: any Error, at position: Int) {
        first.withLock { kept in
            if kept.map({ position < $0.position }) ?? true { kept = (position, error) }
        }
        limit.min(position, ordering: .relaxed)
    }

    /// The error of the earliest piece that failed so far.
    var error: (any Error)? { first.withLock { $0?.error } }
}

/// Records per lane, each slot written by the one thread that feeds that lane.
final class LaneCounts: Sendable {
    private let slots: Mutex<[Int]>

    init(_ count: Int) { slots = Mutex(Array(repeating: 0, count: count)) }

    func add(_ records: Int, at lane: Int) { slots.withLock { $0[lane] += records } }

    var total: Int { slots.withLock { $0.reduce(0, +) } }
}

/// Threads started for one micro-batch, all ended before the batch returns: no lane is fed
/// after `readBatch(lanes:)` is done with it.
final class LaneThreads: Sendable {
    private let running = DispatchGroup()

    /// Runs `body` on a new thread. Stopping signals (Ctrl-C, SIGTERM) are blocked there, so
    /// they keep going to the thread that waits at the prompt, as with librdkafka's threads.
    func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        running.enter()
        let thread = Thread { [running] in
            var blocked = sigset_t()
            sigemptyset(&blocked)
            for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&blocked, signal) }
            pthread_sigmask(SIG_BLOCK, &blocked, nil)
            body()
            running.leave()
        }
        thread.name = name
        // The decoder's recursion is bounded; this is the main thread's usual size, for margin.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Waits until every thread has ended, calling `tick` (on this thread) every 50 ms meanwhile.
    func join(tick: () -> Void = {}) {
        while running.wait(timeout: .now() + .milliseconds(50)) == .timedOut { tick() }
    }
}

/// A bounded first-in first-out hand-off from the thread that reads a batch to the threads
/// that decode it: what keeps memory bounded when reading outpaces decoding.
final class LaneQueue<Item: Sendable>: @unchecked Sendable {  // state is guarded by `condition`
    private let condition = NSCondition()
    private var items: [Item] = []  // a few at most: removing the first costs nothing
    private var closed = false
    let capacity: Int

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Adds `item` unless the queue is full or closed: false then, and the caller keeps it.
    func offer(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, items.count < capacity else { return false }
        items.append(item)
        condition.signal()
        return true
    }

    /// The oldest item, waiting for one; nil once the queue is closed and empty.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !closed { condition.wait() }
        return popLocked()
    }

    /// The oldest item, if there is one now.
    func poll() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        return popLocked()
    }

    /// No more items: takers get what is left, then nil.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Closes the queue and drops what is left in it.
    func discard() {
        condition.lock()
        closed = true
        items.removeAll()
        condition.broadcast()
        condition.unlock()
    }

    private func popLocked() -> Item? {
        items.isEmpty ? nil : items.removeFirst()
    }
}
