/// Reads a CSV file into columns (RFC 4180): fields separated by the delimiter, records by
/// `\n`, `\r\n` or `\r`; a field in quotes may hold delimiters, newlines and doubled quotes
/// (`""` is one `"`). A byte-at-a-time state machine over the file's chunks, so a quoted
/// field may span chunks and lines, and the file is never held whole.
///
/// As Spark's CSV reader (PERMISSIVE): blank lines are skipped; an unquoted field equal to
/// `nullValue` (default empty) is NULL, a quoted empty field is the empty string; a record
/// with fewer fields than the table has NULLs for the rest, one with more drops the extras
/// (both counted as bad rows). Deliberately stricter than Spark (whose parser guesses): a
/// quote inside an unquoted field, text after a closing quote, or a quote never closed is an
/// error at `path:line:column`.
struct CSVTableLoader {
    let spec: StaticTableSpec
    var options: CSVOptions { spec.csv }

    private enum State { case fieldStart, unquoted, quoted, quoteInQuoted }

    /// The parser's state between bytes (and chunks).
    private struct Cursor {
        var state = State.fieldStart
        var line = 1, column = 0
        /// Where the current record and quoted field started (for errors).
        var recordLine = 1
        var quoteLine = 1, quoteColumn = 0
        /// A record ended at `\r`: a `\n` right after belongs to it.
        var afterCR = false
        /// The current record's fields, end offsets into `bytes`, and whether each was quoted.
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var quoted: [Bool] = []
        var fieldQuoted = false
    }

    /// Column names (header or `_c0`...), and STRING columns of the raw fields.
    private struct Sink {
        var names: [String]?
        var columns: [Column] = []
        var rows = 0
        /// The line each row starts on, for messages about its values.
        var lines: [Int] = []
        var badRows = 0
        var firstBad: String?
    }

    func load() throws(SourceError) -> StaticTableContents {
        var cursor = Cursor()
        var sink = Sink()
        let declared = spec.declared
        if let declared {
            sink.names = declared.fields.map(\.name)
            sink.columns = declared.fields.map { _ in Column(type: .string) }
        }
        var headerPending = options.header
        try StaticTableReader.forEachChunk(spec.path) { chunk throws(SourceError) in
            for byte in chunk {
                try step(byte, &cursor, &sink, &headerPending)
            }
        }
        switch cursor.state {
        case .quoted:
            throw SourceError("\(spec.path):\(cursor.quoteLine):\(cursor.quoteColumn): the quote opened here is never closed",
                              hint: "close the field with \" (a \" inside a quoted field is written \"\")")
        case .fieldStart where cursor.ends.isEmpty:
            break  // the file ended with a newline (or is empty)
        default:
            try endRecord(&cursor, &sink, &headerPending)
        }
        guard let names = sink.names else {
            throw SourceError("\(spec.path) is empty", hint: "a CSV table needs at least a header line or a row, or declare SCHEMA (...)",
                              option: "path")
        }
        return try typed(names: names, sink: sink)
    }

    @inline(__always)
    private func step(_ byte: UInt8, _ c: inout Cursor, _ sink: inout Sink, _ headerPending: inout Bool) throws(SourceError) {
        if c.afterCR {
            c.afterCR = false
            if byte == 0x0A { return }  // the `\n` of a `\r\n`: the record and line already ended
        }
        c.column += 1
        switch c.state {
        case .quoted:
            if byte == options.quote {
                c.state = .quoteInQuoted
            } else {
                if byte == 0x0A { c.line += 1; c.column = 0 }
                c.bytes.append(byte)
            }
            return
        case .quoteInQuoted:
            if byte == options.quote {  // a doubled quote: one quote in the field
                c.bytes.append(byte)
                c.state = .quoted
                return
            }
            guard byte == options.delimiter || byte == 0x0A || byte == 0x0D else {
                throw SourceError("\(spec.path):\(c.line):\(c.column): text after the closing quote of a field",
                                  hint: "quote the whole field, and write a \" inside it as \"\"")
            }
        case .fieldStart:
            if byte == options.quote {
                c.state = .quoted
                c.fieldQuoted = true
                c.quoteLine = c.line
                c.quoteColumn = c.column
                return
            }
        case .unquoted:
            break
        }
        // Outside quotes.
        switch byte {
        case options.delimiter:
            endField(&c)
        case 0x0A, 0x0D:
            c.afterCR = byte == 0x0D
            c.line += 1
            c.column = 0
            try endRecord(&c, &sink, &headerPending)
        case options.quote:
            throw SourceError("\(spec.path):\(c.line):\(c.column): a quote inside an unquoted field",
                              hint: "quote the whole field, and write a \" inside it as \"\"")
        default:
            c.bytes.append(byte)
            c.state = .unquoted
        }
    }

    private func endField(_ c: inout Cursor) {
        c.ends.append(c.bytes.count)
        c.quoted.append(c.fieldQuoted)
        c.fieldQuoted = false
        c.state = .fieldStart
    }

    private func endRecord(_ c: inout Cursor, _ sink: inout Sink, _ headerPending: inout Bool) throws(SourceError) {
        endField(&c)
        defer {
            c.bytes.removeAll(keepingCapacity: true)
            c.ends.removeAll(keepingCapacity: true)
            c.quoted.removeAll(keepingCapacity: true)
            c.recordLine = c.line
        }
        // A blank line is no record (Spark skips them).
        if c.ends.count == 1 && c.ends[0] == 0 && !c.quoted[0] { return }
        let line = c.recordLine
        if sink.names == nil || headerPending {
            let fieldCount = c.ends.count
            if fieldCount > StaticTableReader.maximumColumns {
                throw SourceError("\(spec.path):\(line): \(fieldCount) columns; a table has at most \(StaticTableReader.maximumColumns)")
            }
            if headerPending {
                headerPending = false
                if sink.names != nil { return }  // declared columns win; the header is skipped
                var names: [String] = []
                var seen: [String: Int] = [:]
                for i in 0..<fieldCount {
                    let text = String(decoding: c.bytes[(i == 0 ? 0 : c.ends[i - 1])..<c.ends[i]], as: UTF8.self)
                    // Spark names a blank header field by its position.
                    let name = text.allSatisfy(\.isWhitespace) ? "_c\(i)" : text
                    if let first = seen[name.lowercased()] {
                        throw SourceError("\(spec.path):\(line): column \(name) is named twice in the header (columns \(first + 1) and \(i + 1))",
                                          hint: "rename one in the file, or declare SCHEMA (...) with 'header' = 'true' to skip the header")
                    }
                    seen[name.lowercased()] = i
                    names.append(name)
                }
                sink.names = names
                sink.columns = names.map { _ in Column(type: .string) }
                return
            }
            sink.names = (0..<fieldCount).map { "_c\($0)" }
            sink.columns = (0..<fieldCount).map { _ in Column(type: .string) }
        }
        let width = sink.columns.count
        if c.ends.count != width {
            sink.badRows += 1
            if sink.firstBad == nil {
                sink.firstBad = "\(spec.path):\(line): \(c.ends.count) fields where the table has \(width) columns"
            }
        }
        c.bytes.withUnsafeBytes { all in
            for i in 0..<width {
                guard i < c.ends.count else { sink.columns[i].appendNull(); continue }
                let field = UnsafeRawBufferPointer(rebasing: all[(i == 0 ? 0 : c.ends[i - 1])..<c.ends[i]])
                if !c.quoted[i] && field.elementsEqual(options.nullValue) {
                    sink.columns[i].appendNull()
                } else {
                    sink.columns[i].append(bytes: field)
                }
            }
        }
        sink.rows += 1
        sink.lines.append(line)
    }

    /// The raw STRING columns as the declared or inferred types; a field that does not convert
    /// is NULL and its row counted as bad.
    private func typed(names: [String], sink: Sink) throws(SourceError) -> StaticTableContents {
        var badRows = sink.badRows
        var firstBad = sink.firstBad
        let types: [SQLType]
        if let declared = spec.declared {
            types = declared.fields.map(\.type)
        } else if options.inferSchema {
            types = sink.columns.map(CSVTypeInference.infer)
        } else {
            types = names.map { _ in .string }
        }
        var bad = [Bool](repeating: false, count: sink.rows)
        var columns: [Column] = []
        for (i, raw) in sink.columns.enumerated() {
            let converted = Cast.convert(raw, to: types[i])
            for row in 0..<sink.rows where !raw.isNull(row) && converted.isNull(row) && !bad[row] {
                bad[row] = true
                if firstBad == nil {
                    firstBad = "\(spec.path):\(sink.lines[row]): '\(raw.data.stringValue(row))' is not a \(types[i]) (column \(names[i]))"
                }
            }
            columns.append(converted)
        }
        badRows += bad.count(where: { $0 })
        let schema = Schema(zip(names, types).map { Schema.Field(name: $0, type: $1) })
        return StaticTableContents(batch: Batch(schema: schema, columns: columns), badRows: badRows, firstBadRow: firstBad,
                                   inferred: spec.declared == nil && options.inferSchema)
    }
}

extension StaticTableReader {
    /// The most columns a table may have (as a stream's schema).
    static let maximumColumns = 10_000
}

extension ColumnData {
    /// The text of a STRING column's row (for messages).
    func stringValue(_ row: Int) -> String {
        if case .bytes(let strings) = self { return strings[row] }
        return ""
    }
}
