import CEditLine
import Foundation
import Synchronization

/// Line editing for the shell through libedit's readline interface: history kept in a file
/// across runs, and tab completion of the words the shell offers.
///
/// libedit's readline interface is process-wide (one line buffer, one history, one completion
/// hook without a context pointer), so there is one editor per process: the shell's.
final class LineEditor {
    enum Input: Equatable {
        case line(String)
        /// Ctrl-C: the line typed so far is gone.
        case interrupted
        /// Ctrl-D on an empty line.
        case endOfInput
    }

    private let historyFile: String?
    private var lastRemembered: String?
    private let signals: SignalWatcher
    private static let historyLimit: Int32 = 1000

    /// - Parameters:
    ///   - historyFile: where history is read from now and saved to after every line; `nil`
    ///     keeps none.
    init(historyFile: String?, signals: SignalWatcher) {
        self.historyFile = historyFile
        self.signals = signals
        cells_set_readline_name("cells")
        // The signal watcher owns Ctrl-C; libedit's own handlers would re-raise it.
        cells_set_catch_signals(0)
        cells_set_completion { text, state in LineEditor.complete(text, state: state) }
        stifle_history(Self.historyLimit)
        if let historyFile {
            Self.restrict(historyFile)
            _ = read_history(historyFile)
        }
    }

    /// Makes the history file readable and writable by its owner only (mode 0600), creating it
    /// so: typed statements can hold passwords, as psql's and the shells' histories can.
    static func restrict(_ path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, S_IRUSR | S_IWUSR)
        guard descriptor >= 0 else { return }  // no history then; the shell works without it
        fchmod(descriptor, S_IRUSR | S_IWUSR)
        close(descriptor)
    }

    /// Reads one line, showing `prompt`; Tab completes `words`.
    func read(prompt: String, completing words: [String]) -> Input {
        Self.completion.withLock { $0.words = words }
        while true {
            // Ctrl-C is taken back (consume) inside the interruptible read, so that the watcher
            // knows a Ctrl-C burst meanwhile is for the prompt (see SignalWatcher).
            let (raw, failure, interrupted) = signals.interruptible { () -> (UnsafeMutablePointer<CChar>?, Int32, Bool) in
                errno = 0
                let raw = readline(prompt)
                let failure = errno
                return (raw, failure, signals.consume())
            }
            if interrupted {
                free(raw)
                return .interrupted
            }
            guard let raw else {
                // A wake-up meant for an earlier read: not the end of the input.
                if failure == EINTR { continue }
                return .endOfInput
            }
            defer { free(raw) }
            return .line(String(cString: raw))
        }
    }

    /// Adds `line` to the history (the Up arrow brings it back) and saves the history.
    func remember(_ line: String) {
        // Entering the same line again need not fill the history.
        guard !line.allSatisfy(\.isWhitespace), line != lastRemembered else { return }
        lastRemembered = line
        add_history(line)
        if let historyFile {
            // libedit recreates a file someone deleted with the umask's mode: restrict it again.
            Self.restrict(historyFile)
            _ = write_history(historyFile)
        }
    }

    // MARK: Completion

    private struct Completion: Sendable {
        var words: [String] = []
        var matches: [String] = []
        var next = 0
    }

    /// The completion state libedit's context-free hook reads: the only state in the process
    /// that is not owned by a value, because the C interface gives no place to hang it.
    private static let completion = Mutex(Completion())

    /// libedit calls this with state 0 for a new word, then 1, 2... until it returns NULL;
    /// each answer must be a `malloc`ed string.
    private static func complete(_ text: UnsafePointer<CChar>?, state: Int32) -> UnsafeMutablePointer<CChar>? {
        completion.withLock { completion in
            if state == 0 {
                let prefix = text.map { String(cString: $0) } ?? ""
                let lowered = prefix.lowercased()
                var seen = Set<String>()
                completion.matches = completion.words.filter { word in
                    word.lowercased().hasPrefix(lowered) && seen.insert(word.lowercased()).inserted
                }.map { word in
                    // Keywords follow the case the user started typing in.
                    if let first = prefix.first, first.isLowercase, word == word.uppercased() { return word.lowercased() }
                    return word
                }
                completion.next = 0
            }
            guard completion.next < completion.matches.count else { return nil }
            defer { completion.next += 1 }
            return strdup(completion.matches[completion.next])
        }
    }
}
