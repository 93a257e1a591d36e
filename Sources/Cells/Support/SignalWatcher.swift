import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns Ctrl-C and SIGTERM into a flag the command's loop checks between steps.
///
/// The signals are blocked in every thread (threads inherit the mask of the thread that
/// creates them, so this must run before librdkafka starts any), and one thread of ours
/// waits for them with `sigwait`. Nothing runs in signal-handler context, and no global state
/// is needed. A second signal while stopping ends the process at once, as users expect.
final class SignalWatcher: Sendable {
    private let stop = Atomic(false)

    /// Blocks SIGINT and SIGTERM and starts the waiting thread.
    init() {
        var signals = Self.signalSet()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let thread = Thread { [self] in
            var signals = Self.signalSet()
            var received: Int32 = 0
            while sigwait(&signals, &received) == 0 {
                if stop.exchange(true, ordering: .acquiringAndReleasing) {
                    // Asked twice: the user wants out now.
                    _exit(128 + received)
                }
            }
        }
        thread.name = "cells.signals"
        thread.start()
    }

    /// Whether Ctrl-C or SIGTERM has arrived.
    var isStopRequested: Bool { stop.load(ordering: .acquiring) }

    /// Sleeps up to `duration`, returning early (false) if a stop is requested.
    func sleep(_ duration: Duration, step: Duration = .milliseconds(100),
               while work: () -> Void = {}) -> Bool {
        let deadline = ContinuousClock.now + duration
        while !isStopRequested {
            let left = deadline - ContinuousClock.now
            if left <= .zero { return true }
            work()
            Thread.sleep(forTimeInterval: min(left, step).seconds)
        }
        return false
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        return set
    }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
