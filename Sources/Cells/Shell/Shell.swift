import CellKernel
import Foundation

/// The notebook shell: shows a notebook's cells one at a time, runs the shown one on Enter,
/// and takes commands (`:help`) and ad hoc statements in between.
///
/// Every error is printed and the shell goes on with its state; only `:quit` and Ctrl-D end it.
final class Shell {
    private var notebook: Notebook
    private let path: String
    /// The cell Enter runs (an index into `notebook.cells`); `cells.count` once all were shown.
    private var position = 0
    private var ran = Set<Int>()
    private var edited = false
    /// Lines of a statement typed over several lines, until its `;`.
    private var pending = ""
    private let session: CellSession
    private let runner: CellRunner
    private let screen: Screen
    private let editor: LineEditor
    private let signals: SignalWatcher

    static let commands: [(name: String, help: String)] = [
        (":help", "this list"),
        (":next", "skip the shown cell without running it (also :skip)"),
        (":back", "show the cell before"),
        (":goto N", "show cell N"),
        (":list", "list the cells (> shown, * run)"),
        (":show [N]", "print cell N, or the shown one"),
        (":all", "run the shown cell and all after it"),
        (":edit [N]", "edit cell N (or the shown one) in $EDITOR, then reload it"),
        (":write", "save the notebook with your edits"),
        (":chart KIND", "draw the last view's batches as bar, line, or off (the table); :chart KIND VIEW for another"),
        (":quit", "leave (also Ctrl-D)"),
    ]

    init(notebook: Notebook, path: String, session: CellSession, screen: Screen, signals: SignalWatcher, historyFile: String?) {
        self.notebook = notebook
        self.path = path
        self.session = session
        self.screen = screen
        self.signals = signals
        runner = CellRunner(session: session, screen: screen, signals: signals)
        editor = LineEditor(historyFile: historyFile, signals: signals)
    }

    /// Runs until `:quit` or Ctrl-D.
    func run() {
        let name = (path as NSString).lastPathComponent
        screen.line(notebook.title.map { "\($0)  (\(name), \(notebook.cells.count) cells)" } ?? "\(name): \(notebook.cells.count) cells")
        screen.line("Enter runs the shown cell; :help lists the commands; Ctrl-C stops a stream; Ctrl-D leaves.")
        show(position)
        while !signals.isTerminationRequested {
            let words = CellRunner.completions(session: session, extra: Self.commands.map { String($0.name.split(separator: " ")[0]) } + [":skip"])
            switch editor.read(prompt: prompt, completing: words) {
            case .endOfInput:
                if !pending.isEmpty { pending = ""; screen.line(); continue }
                screen.line()
                leave()
                return
            case .interrupted:
                pending = ""
                screen.line("^C")
            case .line(let line):
                if !handle(line) { return }
            }
        }
        screen.line()
        leave()
    }

    private var prompt: String {
        if !pending.isEmpty { return "   ...> " }
        return position < notebook.cells.count ? "cells [\(position + 1)/\(notebook.cells.count)]> " : "cells> "
    }

    /// One line of input; false when the shell should end.
    private func handle(_ line: String) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if pending.isEmpty {
            if trimmed.isEmpty {
                runShownCell()
                return true
            }
            if trimmed.hasPrefix(":") {
                editor.remember(trimmed)
                return command(trimmed)
            }
        }
        editor.remember(line)
        pending += line + "\n"
        if trimmed.isEmpty || Self.isComplete(pending, environment: session.environment) {
            let text = pending
            pending = ""
            execute(text, origin: .start, source: text, file: nil)
        }
        return true
    }

    /// Whether typed text is a whole statement (see ``SQLParser/isComplete(_:environment:)``).
    static func isComplete(_ text: String, environment: [String: String]) -> Bool {
        SQLParser.isComplete(text, environment: environment)
    }

    // MARK: Cells

    private func show(_ index: Int) {
        guard index < notebook.cells.count else {
            screen.line("(end of the notebook: type statements, or :goto N, :list, :quit)")
            return
        }
        let cell = notebook.cells[index]
        let kind = cell.kind == .markdown ? " [markdown]" : ""
        screen.line("\u{2500}\u{2500} [\(index + 1)/\(notebook.cells.count)] \(cell.heading)\(kind)")
        screen.line(cell.displayText)
    }

    private func runShownCell() {
        guard position < notebook.cells.count else {
            show(position)
            return
        }
        // A stream stopped with Ctrl-C has run: the notebook moves on.
        if runCell(position) != nil {
            position += 1
            show(position)
        }
    }

    /// Runs cell `index`; prose cells only move on.
    private func runCell(_ index: Int) -> CellRunner.Outcome? {
        let cell = notebook.cells[index]
        guard cell.hasStatements else {
            ran.insert(index)
            return .completed
        }
        let outcome = execute(cell.body, origin: cell.origin, source: notebook.text, file: path)
        if outcome != nil { ran.insert(index) }
        return outcome
    }

    /// Runs SQL and prints what goes wrong; `nil` after an error.
    @discardableResult
    private func execute(_ text: String, origin: SourceLocation, source: String, file: String?) -> CellRunner.Outcome? {
        do {
            return try runner.run(text, origin: origin, source: source, file: file)
        } catch {
            printError(error.description)
            return nil
        }
    }

    // MARK: Commands

    private func command(_ line: String) -> Bool {
        let words = line.split(separator: " ").map(String.init)
        if words[0] == ":chart" || words[0] == ":c" {
            chart(Array(words.dropFirst()))
            return true
        }
        let argument = words.count > 1 ? Int(words[1]) : nil
        if words.count > 1 && argument == nil {
            printError("\(words[0]) takes a cell number, not '\(words[1])'")
            return true
        }
        // `argument >= 1 && argument <= count` rather than a range: `1...0` (a notebook left
        // without cells, e.g. an empty file or one whose only cell was edited away) traps.
        if let argument, !(argument >= 1 && argument <= notebook.cells.count) {
            let cells = notebook.cells.isEmpty ? "the notebook has no cells" : "the notebook has cells 1 to \(notebook.cells.count)"
            printError("there is no cell \(argument): \(cells)")
            return true
        }
        let index = argument.map { $0 - 1 }
        switch words[0] {
        case ":help", ":h", ":?":
            for (name, help) in Self.commands { screen.line("  \(name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(help)") }
            screen.line("  Enter runs the shown cell; anything else is SQL, run when it ends with ';'.")
        case ":next", ":skip", ":n":
            position = min(position + 1, notebook.cells.count)
            show(position)
        case ":back", ":b":
            position = max(position - 1, 0)
            show(position)
        case ":goto", ":g":
            guard let index else { printError(":goto takes a cell number, e.g. :goto 3"); return true }
            position = index
            show(position)
        case ":list", ":l":
            for (i, cell) in notebook.cells.enumerated() {
                let mark = i == position ? ">" : ran.contains(i) ? "*" : " "
                screen.line("\(mark) \(i + 1). \(cell.heading)\(cell.kind == .markdown ? " [markdown]" : "")")
            }
        case ":show", ":s":
            show(index ?? position)
        case ":all", ":a":
            // Up to an error (the failed cell stays shown) or a stream stopped with Ctrl-C.
            while position < notebook.cells.count {
                guard let outcome = runCell(position) else { return true }
                position += 1
                if outcome == .interrupted { break }
            }
            show(position)
        case ":edit", ":e":
            edit(index ?? position)
        case ":write", ":w":
            write()
        case ":quit", ":q", ":exit":
            leave()
            return false
        default:
            printError("unknown command \(words[0]); :help lists them")
        }
        return true
    }

    /// `:chart [bar|line|off|table] [view]`: how a view's batches are drawn, switched without
    /// restarting it; its last batch is drawn again the new way at once.
    private func chart(_ arguments: [String]) {
        guard let word = arguments.first else {
            screen.line(screen.chartSummary)
            return
        }
        guard arguments.count <= 2 else {
            printError(":chart takes a kind and at most one view, e.g. :chart bar or :chart line per_minute")
            return
        }
        let kind: ChartKind
        do {
            kind = try ChartKind(option: word)
        } catch {
            printError(":chart takes bar, line or off (the table), not '\(word)'")
            return
        }
        do {
            try screen.chooseChart(kind, view: arguments.count == 2 ? arguments[1] : nil)
        } catch {
            printError("cannot draw it so: \(error.message)" + (error.hint.map { "\nhint: \($0)" } ?? ""))
        }
    }

    private func edit(_ index: Int) {
        guard index < notebook.cells.count else { printError("there is no cell to edit here; :goto N first"); return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-\(getpid())-cell\(index + 1).sql").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            try notebook.cells[index].body.write(toFile: file, atomically: true, encoding: .utf8)
            try ExternalEditor.edit(file, signals: signals)
            // Through the notebook's own decoding: an editor that saved another encoding gets
            // the line and byte named, not Foundation's "couldn't be opened".
            let body: String
            do {
                guard let bytes = FileManager.default.contents(atPath: file) else {
                    printError("cannot edit cell \(index + 1): the editor left no file at \(file); the cell is unchanged")
                    return
                }
                body = try Notebook.decode(Array(bytes))
            } catch {
                printError("cannot edit cell \(index + 1): \(error.message) at line \(error.location.line), column \(error.location.column) of the edited cell; the cell is unchanged (save it as UTF-8)")
                return
            }
            guard body != notebook.cells[index].body else { screen.line("cell \(index + 1) unchanged"); return }
            notebook = try notebook.replacing(body: body, ofCell: index)
            edited = true
            ran.remove(index)
            position = index
            screen.line("cell \(index + 1) edited (:write saves the notebook)")
            show(position)
        } catch let error as SQLError {
            printError(CellError.sql(error, source: notebook.text, file: path).description)
        } catch {
            printError("cannot edit cell \(index + 1): \(error)")
        }
    }

    private func write() {
        // The atomic write replaces the file with a new one: through a symlink it would replace
        // the link, and the new file would get the umask's mode. So the link's target is
        // written, a read-only notebook (no write bit for anyone, as root bypasses access
        // checks) is refused, and the mode it had is kept.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        var status = stat()
        let existing = stat(target, &status) == 0
        if existing && status.st_mode & 0o222 == 0 {
            printError("cannot write \(path): it is read-only (mode \(String(status.st_mode & 0o7777, radix: 8))); chmod u+w it and :write again, your edits are still here")
            return
        }
        do {
            try notebook.text.write(toFile: target, atomically: true, encoding: .utf8)
            if existing { chmod(target, status.st_mode & 0o7777) }
            edited = false
            screen.line("wrote \(path)")
        } catch {
            printError("cannot write \(path): \(error.localizedDescription); your edits are still here, :write again when it is fixed")
        }
    }

    private func leave() {
        if edited { screen.line("(cells edited but not written: they are not saved)") }
    }
}
