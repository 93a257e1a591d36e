import Foundation

/// A `.cells` notebook: plain SQL text cut into cells by marker comments, in the spirit of
/// Jupytext's percent format.
///
/// ```
/// -- %% [markdown]
/// -- # Average value per capture channel
/// -- %% Connect
/// CREATE SOURCE cartoes USING kafka OPTIONS (...);
/// ```
/// A line `-- %% Title [kind]` opens a cell; the title and the kind are optional, the kind is
/// `sql` (the default) or `markdown`. Text before the first marker is a cell of its own. The
/// notebook remembers every character, so ``text`` gives back the file it was read from, and
/// a file without markers is one SQL cell: a plain script is a notebook too.
public struct Notebook: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case sql
        case markdown
    }

    public struct Cell: Sendable, Equatable {
        /// The marker line as written (without its newline), or `nil` for text before the
        /// first marker.
        public var marker: String?
        public var title: String?
        public var kind: Kind
        /// Everything after the marker line up to the next marker, newlines included.
        public var body: String
        /// Where `body` starts in the notebook's text, for error positions.
        public var origin: SourceLocation

        /// The cell's prose with the comment marks taken off (for markdown cells), or its SQL.
        public var displayText: String {
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let shown = kind == .markdown ? lines.map(Notebook.uncommented) : lines
            return shown.reversed().drop { $0.allSatisfy(\.isWhitespace) }.reversed().joined(separator: "\n")
        }

        /// Whether running the cell would do anything: it holds more than blanks and comments.
        public var hasStatements: Bool {
            guard kind == .sql else { return false }
            return body.split(separator: "\n").contains { line in
                let trimmed = line.drop { $0 == " " || $0 == "\t" }
                return !trimmed.isEmpty && !trimmed.hasPrefix("--")
            }
        }

        /// The title, or the first words of the cell when it has none.
        public var heading: String {
            if let title, !title.isEmpty { return title }
            let first = displayText.split(separator: "\n").first { !$0.allSatisfy(\.isWhitespace) }
            let words = first.map { $0.trimmingPrefix(while: { $0 == "#" || $0 == " " }) } ?? ""
            return words.count > 60 ? String(words.prefix(57)) + "..." : String(words)
        }
    }

    public private(set) var cells: [Cell]

    /// Reads a notebook. A marker with an unknown kind is an error at its `[kind]`.
    public init(text: String) throws(SQLError) {
        // Windows line endings: in Swift "\r\n" is one Character, which splitting on "\n"
        // never meets, so a CRLF file would be one line and its markers never seen.
        let text = Self.unixLineEndings(text)
        cells = []
        var pending: (marker: String?, title: String?, kind: Kind, origin: SourceLocation)?
        var body = ""
        var line = 1
        var offset = 0
        func close() {
            if let open = pending {
                cells.append(Cell(marker: open.marker, title: open.title, kind: open.kind, body: body, origin: open.origin))
            } else if !body.allSatisfy(\.isWhitespace) {
                cells.append(Cell(marker: nil, title: nil, kind: .sql, body: body, origin: .start))
            }
            body = ""
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let lineLength = raw.utf8.count
            if let (title, kind) = try Self.marker(raw, line: line, offset: offset) {
                close()
                let next = SourceLocation(line: line + 1, column: 1, offset: offset + lineLength + 1)
                pending = (String(raw), title, kind, next)
            } else {
                body += raw
                body += "\n"
            }
            line += 1
            offset += lineLength + 1
        }
        // The loop gave every line a newline; the last line of the text has none of its own.
        if !text.hasSuffix("\n"), !body.isEmpty { body.removeLast() }
        if text.hasSuffix("\n"), body.hasSuffix("\n") { body.removeLast() }
        close()
    }

    /// The notebook as a file: what it was read from, with any edits.
    public var text: String {
        var text = ""
        for cell in cells {
            if let marker = cell.marker {
                if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
                text += marker + "\n"
            }
            text += cell.body
        }
        return text
    }

    /// The first `# heading` of the first markdown cell, if there is one.
    public var title: String? {
        for cell in cells where cell.kind == .markdown {
            for line in cell.displayText.split(separator: "\n") where line.hasPrefix("# ") {
                return line.dropFirst(2).trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }

    /// A notebook whose cell `index` has `body` instead (from `:edit`); positions of the cells
    /// after it move with it.
    public func replacing(body: String, ofCell index: Int) throws(SQLError) -> Notebook {
        var edited = self
        var newBody = body
        if index < cells.count - 1, !newBody.hasSuffix("\n") { newBody += "\n" }
        edited.cells[index].body = newBody
        return try Notebook(text: edited.text)
    }

    // MARK: Reading files

    /// A notebook file's bytes as text. Notebooks are UTF-8 (as Spark reads SQL files); a byte
    /// that is not is an error at its line and column, naming the byte, even inside a comment:
    /// guessing another encoding would run SQL the author did not write.
    public static func decode(_ bytes: [UInt8]) throws(SQLError) -> String {
        if let text = String(validating: bytes, as: UTF8.self) {
            // A byte-order mark is not part of the first statement; CRLF is read as LF (see
            // init), here too so that errors quote the text their positions count in.
            return unixLineEndings(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        }
        let bad = firstInvalidUTF8(bytes)
        guard bad < bytes.count else { return String(decoding: bytes, as: UTF8.self) }
        let lineStart = bytes[..<bad].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let line = bytes[..<bad].reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = String(decoding: bytes[lineStart..<bad], as: UTF8.self).count + 1
        let byte = String(bytes[bad], radix: 16, uppercase: true)
        throw SQLError("invalid UTF-8 (byte 0x\(byte.count < 2 ? "0" + byte : byte))",
                       at: SourceLocation(line: line, column: column, offset: bad),
                       hint: "notebooks are read as UTF-8: save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)")
    }

    /// The index of the first byte that does not begin a well-formed UTF-8 sequence (overlong
    /// forms, surrogates and values past U+10FFFF included); `bytes.count` when all are.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int {
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int, lowest: UInt8, highest: UInt8  // the allowed range of the second byte
            switch lead {
            case 0x00...0x7F: index += 1; continue
            case 0xC2...0xDF: (length, lowest, highest) = (2, 0x80, 0xBF)
            case 0xE0: (length, lowest, highest) = (3, 0xA0, 0xBF)
            case 0xED: (length, lowest, highest) = (3, 0x80, 0x9F)
            case 0xE1...0xEF: (length, lowest, highest) = (3, 0x80, 0xBF)
            case 0xF0: (length, lowest, highest) = (4, 0x90, 0xBF)
            case 0xF1...0xF3: (length, lowest, highest) = (4, 0x80, 0xBF)
            case 0xF4: (length, lowest, highest) = (4, 0x80, 0x8F)
            default: return index
            }
            for k in 1..<length {
                // A sequence cut short is reported at its first byte: in a Latin-1 file, that
                // is the accented letter the user sees.
                guard index + k < bytes.count else { return index }
                let byte = bytes[index + k]
                let ok = k == 1 ? (lowest...highest).contains(byte) : (0x80...0xBF).contains(byte)
                if !ok { return index }
            }
            index += length
        }
        return bytes.count
    }

    /// `text` with every CRLF as LF (`:write` then saves LF).
    static func unixLineEndings(_ text: String) -> String {
        text.utf8.contains(13) ? text.replacingOccurrences(of: "\r\n", with: "\n") : text
    }

    // MARK: Markers

    /// `-- %% Title [kind]` as title and kind, `nil` for any other line.
    private static func marker(_ line: Substring, line number: Int, offset: Int) throws(SQLError) -> (String?, Kind)? {
        guard line.hasPrefix("-- %%") else { return nil }
        var rest = line.dropFirst(5)
        // `-- %%[markdown]` (no space) is a marker too: read as a comment, its cell would
        // silently run as part of the one before.
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" || rest.first == "[" else { return nil }
        rest = rest.trimmingPrefix(while: { $0 == " " || $0 == "\t" })
        while let last = rest.last, last == " " || last == "\t" || last == "\r" { rest.removeLast() }
        var kind = Kind.sql
        if rest.hasSuffix("]"), let open = rest.lastIndex(of: "[") {
            let name = rest[rest.index(after: open)..<rest.index(before: rest.endIndex)]
            let column = line.distance(from: line.startIndex, to: open) + 1
            switch name.lowercased() {
            case "markdown", "md": kind = .markdown
            case "sql", "": kind = .sql
            default:
                throw SQLError("unknown cell kind '\(name)'",
                               at: SourceLocation(line: number, column: column, offset: offset + line.utf8.distance(from: line.startIndex, to: open)),
                               length: name.count + 2, hint: "a cell is [markdown] or SQL (no kind)")
            }
            rest = rest[..<open]
            while let last = rest.last, last == " " || last == "\t" { rest.removeLast() }
        }
        return (rest.isEmpty ? nil : String(rest), kind)
    }

    /// A prose line without its `--` comment mark.
    static func uncommented(_ line: String) -> String {
        if line.hasPrefix("-- ") { return String(line.dropFirst(3)) }
        if line.hasPrefix("--") { return String(line.dropFirst(2)) }
        return line
    }
}

