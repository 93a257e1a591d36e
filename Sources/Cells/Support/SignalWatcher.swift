import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns Ctrl-C, SIGTERM and SIGHUP into a flag the command's loop checks between steps
/// (and a running micro-batch checks every few thousand records).
///
/// The signals are blocked in every thread (threads inherit the mask of the thread that
/// creates them, so this must run before librdkafka starts any), and one thread of ours
/// waits for them with `sigwait`. Nothing runs in signal-handler context, and no global state
/// is needed. A second signal while stopping ends the process at once, as users expect.
final class SignalWatcher: StopCondition {
    private let stop = Atomic(false)
    private let terminated = Atomic(false)
    /// The thread blocked reading a line at the prompt, which a signal must wake.
    private let reader = Mutex<pthread_t?>(nil)
    /// Whether a program of the user's (`:edit`'s editor) has the terminal: Ctrl-C is its key then.
    private let handedOver = Atomic(false)

    /// Blocks SIGINT, SIGTERM and SIGHUP and starts the waiting thread.
    init() {
        var signals = Self.signalSet()
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        // The terminal's modes as the program found them: the line editor puts the terminal in
        // raw, no-echo mode while it reads, and an exit in the middle of a read must not leave
        // the user's terminal that way.
        let terminal = Self.terminalModes()
        let thread = Thread { [self] in
            var signals = Self.signalSet()
            var received: Int32 = 0
            while sigwait(&signals, &received) == 0 {
                // A closed terminal or a hang-up from a service manager ends the program the
                // way SIGTERM does: the running stream stops cleanly, then the program exits.
                if received == SIGTERM || received == SIGHUP { terminated.store(true, ordering: .releasing) }
                // The terminal sends Ctrl-C to the whole foreground group: the editor has it, and
                // two of them (vi's "type :qa to exit") must not end the shell under it.
                if received == SIGINT && handedOver.load(ordering: .acquiring) { continue }
                // Read before the flag is set: a reader at the prompt takes a Ctrl-C back
                // (consume) while still registered, so a registered reader means "at the prompt".
                let atPrompt = reader.withLock { $0 != nil }
                if stop.exchange(true, ordering: .acquiringAndReleasing) {
                    // A burst of Ctrl-C at the prompt (a key held down, a script's kill loop):
                    // the prompt is already being woken and cannot hang, so the burst is one
                    // Ctrl-C, not "asked twice", which would end the shell and its session.
                    if received == SIGINT && atPrompt { continue }
                    // Asked twice: the user wants out now.
                    if let terminal { Self.restore(terminal) }
                    _exit(128 + received)
                }
                wakeReader()
            }
        }
        thread.name = "cells.signals"
        thread.start()
    }

    /// Whether Ctrl-C or SIGTERM has arrived.
    var isStopRequested: Bool { stop.load(ordering: .acquiring) }

    /// Whether SIGTERM (or SIGHUP) has arrived: unlike Ctrl-C, which the shell takes as "stop this
    /// stream", it asks the whole program to end (`docker stop`, a service manager).
    var isTerminationRequested: Bool { terminated.load(ordering: .acquiring) }

    /// Takes the request back: the shell has handled this Ctrl-C (stopped a stream, cleared a
    /// line) and goes on, so the next one is not "asked twice".
    func consume() -> Bool {
        stop.exchange(false, ordering: .acquiringAndReleasing)
    }

    /// Runs `body` (a program that has the terminal, such as an editor) with Ctrl-C left to
    /// that program: it neither stops nor ends this one.
    func handingOver<T>(_ body: () throws -> T) rethrows -> T {
        handedOver.store(true, ordering: .releasing)
        defer { handedOver.store(false, ordering: .releasing) }
        return try body()
    }

    /// Runs `read` (a blocking line read on this thread) so that a signal interrupts it: the
    /// read then fails with EINTR, and the caller tells Ctrl-C from end of input with
    /// ``consume()``.
    ///
    /// SIGINT stays blocked here, so it is the watcher that pokes this thread with SIGUSR1,
    /// whose handler does nothing but is installed without SA_RESTART.
    func interruptible<T>(_ read: () -> T) -> T {
        Self.installWakeHandler()
        reader.withLock { $0 = pthread_self() }
        defer { reader.withLock { $0 = nil } }
        return read()
    }

    private func wakeReader() {
        // libedit retries a read interrupted once, so poke until the reader has returned.
        // Once the reader has taken the request (consume), a poke would cut its next read.
        for _ in 0..<100 {
            let woke = reader.withLock { thread -> Bool in
                guard let thread, isStopRequested else { return false }
                pthread_kill(thread, SIGUSR1)
                return true
            }
            if !woke { return }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    /// Standard input's terminal modes, when it is a terminal and this process is in its
    /// foreground (a background job must not touch them).
    private static func terminalModes() -> termios? {
        guard isatty(0) == 1, tcgetpgrp(0) == getpgrp() else { return nil }
        var modes = termios()
        return tcgetattr(0, &modes) == 0 ? modes : nil
    }

    /// Puts the terminal back in `modes`. SIGTTOU is blocked on this thread, so a program that
    /// lost the foreground meanwhile is not stopped by the attempt.
    private static func restore(_ modes: termios) {
        var ttou = sigset_t()
        sigemptyset(&ttou)
        sigaddset(&ttou, SIGTTOU)
        pthread_sigmask(SIG_BLOCK, &ttou, nil)
        var modes = modes
        _ = tcsetattr(0, TCSANOW, &modes)
    }

    private static func installWakeHandler() {
        // A parent may have left SIGUSR1 blocked (masks are inherited): this thread needs it.
        var wake = sigset_t()
        sigemptyset(&wake)
        sigaddset(&wake, SIGUSR1)
        pthread_sigmask(SIG_UNBLOCK, &wake, nil)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(SIGUSR1, &action, nil)
    }

    private static func signalSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGHUP)
        return set
    }
}

/// Something a long-running loop asks whether to stop: Ctrl-C for a command, a flag for work
/// running on a thread of the shell (the `--embedded` producer).
protocol StopCondition: Sendable {
    var isStopRequested: Bool { get }
}

extension StopCondition {
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
}

/// A stop requested by the program itself.
final class StopFlag: StopCondition {
    private let flag = Atomic(false)
    var isStopRequested: Bool { flag.load(ordering: .acquiring) }
    func request() { flag.store(true, ordering: .releasing) }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
