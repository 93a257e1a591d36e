import Foundation
import Synchronization

/// A blocking broker call running on a thread of its own, which callers wait for with a
/// deadline and a stop check instead of being held by it.
///
/// librdkafka does not always honour its own timeouts: 2.0.2's
/// `rd_kafka_query_watermark_offsets` waits for as long as a partition has no leader, whatever
/// timeout it was given. A caller that gives up (its deadline passed, the user pressed Ctrl-C)
/// leaves the call running to its end; `body` must capture whatever it uses (the client
/// handle), so nothing it touches is freed under it. Its result is kept for a later
/// ``wait(upTo:step:interrupt:)``, so a caller can go back to the same call instead of
/// piling up new ones behind a broker that does not answer.
public final class BackgroundCall<Value: Sendable>: Sendable {
    private let outcome = Mutex<Result<Value, KafkaError>?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts `body` on a new thread named `name`.
    public init(name: String = "cells.kafka.call", _ body: @escaping @Sendable () throws(KafkaError) -> Value) {
        let thread = Thread { [self] in
            let result = Result<Value, KafkaError> { () throws(KafkaError) in try body() }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Whether `body` has returned.
    public var isFinished: Bool { outcome.withLock { $0 != nil } }

    /// Waits up to `timeout` for the result, checking `interrupt` every `step`; nil when the
    /// call is still running then, or `interrupt` returned true. Can be called again.
    public func wait(upTo timeout: Duration, step: Duration = .milliseconds(50),
                     interrupt: () -> Bool = { false }) -> Result<Value, KafkaError>? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let done = outcome.withLock({ $0 }) { return done }
            let left = deadline - ContinuousClock.now
            if left <= .zero || interrupt() { return nil }
            let slice = min(left, step)
            let nanos = Int(slice.components.seconds) * 1_000_000_000 + Int(slice.components.attoseconds / 1_000_000_000)
            if finished.wait(timeout: .now() + .nanoseconds(max(1, nanos))) == .success {
                // Leave the signal for the next waiter: the call finishes only once.
                finished.signal()
            }
        }
    }
}
