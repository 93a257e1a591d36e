import CEditLine
import CellKernel
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Standard output for the shell and `cells run`: where the kernel's tables, progress lines
/// and messages go.
///
/// On a terminal, a stream running in the foreground redraws its table in place every
/// trigger, like a notebook cell's output; anywhere else (a pipe, a file, a CI log) batches
/// are appended and no escape code is written.
///
/// A batch is drawn as its view's chart asks (the sink's `'chart'`, or `:chart`), at the
/// terminal's width; on a terminal the progress line ends with a sparkline of the input rate.
final class Screen: Sendable {
    let isTerminal: Bool
    private let descriptor: Int32
    private let state = Mutex(State())

    private struct State {
        /// Whether batches replace each other (a foreground stream on a terminal).
        var redrawing = false
        /// Terminal rows written since the current batch began.
        var frameRows = 0
        var charts = ChartBoard()
    }

    init(descriptor: Int32 = 1) {
        self.descriptor = descriptor
        isTerminal = isatty(descriptor) == 1 && ProcessInfo.terminalAllowsEscapes
    }

    /// How charts are drawn here now (the terminal may have been resized since the last batch).
    var chartStyle: ChartStyle { ChartStyle.forOutput(descriptor: descriptor, isTerminal: isTerminal) }

    /// Shows what the kernel says: a batch starts a new frame (redrawn in place on a terminal),
    /// as a table or a chart; everything else is written as it comes.
    func show(_ output: SessionOutput) {
        switch output {
        case .batch(let view, let batchId, let table):
            let request = state.withLock { $0.charts.request(forBatch: table, view: view, batchId: batchId) }
            write(table.frame(request, view: view, batchId: batchId, style: chartStyle), startsFrame: true)
        case .progress(let view, let progress) where isTerminal:
            // A log keeps its lines as they were; a person watching gets the recent rates.
            let rates = state.withLock { $0.charts.addRate(progress.inputRowsPerSecond, view: view) }
            write(progress.line + " · " + Sparkline.inputRates(rates, unicode: chartStyle.unicode) + "\n")
        default:
            write(output.text)
        }
    }

    /// Draws `view` (nil: the last one that printed a batch) as `kind` from now on, and shows
    /// its last batch so at once.
    func chooseChart(_ kind: ChartKind, view: String?) throws(ChartError) {
        let chosen = try state.withLock { (state) throws(ChartError) in try state.charts.choose(kind, view: view) }
        write(chosen.table.frame(chosen.request, view: chosen.view, batchId: chosen.batchId, style: chartStyle))
    }

    /// How the last view is drawn, in words.
    var chartSummary: String { state.withLock { $0.charts.summary } }

    /// Writes `text` as it comes; `startsFrame`: it replaces the last frame when redrawing.
    func write(_ text: String, startsFrame: Bool = false) {
        state.withLock { state in
            var out = OutputStream(descriptor: descriptor, capacity: 0)
            if state.redrawing && startsFrame {
                if state.frameRows > 0 { out.write(eraseFrame(rows: state.frameRows)) }
                state.frameRows = 0
            }
            if state.redrawing { state.frameRows += rows(of: text) }
            out.write(text)
            out.flush()
        }
    }

    /// Writes a line of the shell's own.
    func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Runs `body` (a stream in the foreground) with batches redrawn in place on a terminal.
    func redrawing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        state.withLock { $0.redrawing = isTerminal; $0.frameRows = 0 }
        defer { state.withLock { $0.redrawing = false; $0.frameRows = 0 } }
        return try body()
    }

    /// Moves up over the last frame and clears to the end of the screen; a frame taller than
    /// the screen cannot be reached, so then the screen is cleared (the scrollback kept).
    private func eraseFrame(rows: Int) -> String {
        let height = Int(cells_terminal_rows(descriptor))
        if height > 0 && rows < height {
            return "\u{1B}[\(rows)F\u{1B}[J"
        }
        return "\u{1B}[H\u{1B}[2J"
    }

    /// Terminal rows `text` takes, counting lines the terminal wraps (a chart's colours take
    /// no room, a wide character two columns).
    private func rows(of text: String) -> Int {
        let width = max(1, Int(cells_terminal_columns(descriptor)))
        var rows = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            rows += max(1, (TerminalText.width(String(line)) + width - 1) / width)
        }
        return rows
    }
}

extension ProcessInfo {
    /// `TERM=dumb` terminals (editors' shells) cannot move the cursor.
    static var terminalAllowsEscapes: Bool {
        processInfo.environment["TERM"].map { $0 != "dumb" } ?? false
    }
}
