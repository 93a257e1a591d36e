#if canImport(Glibc)
import Glibc
#endif

/// The shell as the terminal's foreground process group while it runs.
///
/// Ctrl-C goes to every process of the foreground group. Started from `make run` or a script,
/// the shell shares its group with them, and they would die of the Ctrl-C that was meant to
/// stop a stream. In a group of its own, the shell alone gets it. A shell that already leads
/// its session (a terminal of its own, a container's) has nothing to do.
struct TerminalOwnership {
    private let previous: pid_t

    /// Takes the terminal on standard input, or returns nil when that is not needed or not
    /// possible (no terminal, not in the foreground, a session leader).
    static func take() -> TerminalOwnership? {
        guard isatty(0) == 1 else { return nil }
        let foreground = tcgetpgrp(0)
        guard foreground > 0, foreground == getpgrp(), getsid(0) != getpid() else { return nil }
        guard setpgid(0, 0) == 0 else { return nil }
        guard Self.setForeground(getpgrp()) else {
            _ = setpgid(0, foreground)
            return nil
        }
        return TerminalOwnership(previous: foreground)
    }

    /// Hands the terminal back to the group that had it, before the shell ends.
    func giveBack() {
        _ = Self.setForeground(previous)
    }

    /// `tcsetpgrp` from a group that is not (or no longer) in the foreground raises SIGTTOU,
    /// which stops the process unless it is blocked.
    private static func setForeground(_ group: pid_t) -> Bool {
        var ttou = sigset_t(), old = sigset_t()
        sigemptyset(&ttou)
        sigaddset(&ttou, SIGTTOU)
        pthread_sigmask(SIG_BLOCK, &ttou, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        return tcsetpgrp(0, group) == 0
    }
}
