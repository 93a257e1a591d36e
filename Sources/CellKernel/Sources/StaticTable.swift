import KafkaBridge
#if canImport(Glibc)
import Glibc
#endif

/// How a static table (`CREATE TABLE ... USING file|csv|sqlite`) is read: its file (or
/// database table), format and reader options, checked once at CREATE so REFRESH reads it the
/// same way.
struct StaticTableSpec: Sendable {
    enum Format: Sendable {
        /// JSON lines, decoded as the file source's records are (needs a SCHEMA).
        case jsonLines
        case csv
        /// A table of a database (`USING sqlite`), read whole; its columns and their types
        /// are the database's.
        case database(DatabaseTableSource)

        /// As USING names it.
        var name: String {
            switch self {
            case .jsonLines: "file"
            case .csv: "csv"
            case .database(let source): source.name
            }
        }

        /// The options it accepts (lower-cased).
        var knownOptions: Set<String> {
            switch self {
            case .jsonLines: ["path"]
            case .csv: ["path", "header", "delimiter", "sep", "quote", "inferschema", "nullvalue"]
            case .database(let source): source.options
            }
        }
    }

    var name: String
    var format: Format
    /// The file; for a database table, where the database is (its `path` or `url`).
    var path: String
    /// Declared columns; `nil` means infer (CSV) or all STRING (`'inferSchema' = 'false'`).
    var declared: Schema?
    var csv = CSVOptions()
    /// A database table's options as given (the reader opens the database with them).
    var databaseOptions: [String: String] = [:]

    /// Checks the options of a CREATE TABLE: unknown ones, bad values, and whether the file
    /// is there (so a typo shows at CREATE, pointing at the option). `databases`: the kinds
    /// of database tables, by lower-cased name.
    init(name: String, format formatName: String, options: [String: String], declared: Schema?,
         databases: [String: DatabaseTableSource] = [:]) throws(SourceError) {
        let format: Format
        switch formatName.lowercased() {
        case "file": format = .jsonLines
        case "csv": format = .csv
        case let other:
            guard let source = databases[other] else {
                let names = databases.keys.sorted()
                throw SourceError("unknown table format \(formatName)",
                                  hint: "use csv, or file (JSON lines)" + (names.isEmpty ? "" : ", or a database: \(names.joined(separator: ", "))"))
            }
            format = .database(source)
        }
        self.name = name
        self.format = format
        self.declared = declared
        let known = format.knownOptions
        for key in options.keys.sorted() where !known.contains(key.lowercased()) {
            throw SourceError("unknown option '\(key)' for a \(format.name) table",
                              hint: "options: \(known.sorted().joined(separator: ", "))", option: key)
        }
        if case .database(let source) = format {
            guard declared == nil else {
                throw SourceError("a \(source.name) table's columns and types are the database's",
                                  hint: "leave SCHEMA out, and cast columns in a view or SELECT")
            }
            path = try source.check(options)
            databaseOptions = options
            return
        }
        guard let (pathKey, path) = options.spelled("path") else {
            throw SourceError("a table needs 'path'", hint: "add 'path' = '/data/customers.csv' to OPTIONS")
        }
        guard !path.allSatisfy(\.isWhitespace) else {
            throw SourceError("'path' must not be empty", hint: "e.g. 'path' = '/data/customers.csv'", option: pathKey)
        }
        self.path = path
        if case .jsonLines = format, declared == nil {
            // Deliberately not Spark: inferring JSON would need a second decoder; a stream's
            // JSON is declared the same way.
            throw SourceError("a JSON-lines table needs its columns declared",
                              hint: "add SCHEMA (id BIGINT, name STRING, ...) after OPTIONS")
        }
        func flag(_ key: String) throws(SourceError) -> Bool? {
            guard let (spelled, value) = options.spelled(key) else { return nil }
            switch value.lowercased() {
            case "true": return true
            case "false": return false
            default: throw SourceError("'\(spelled)' must be true or false, not '\(value)'", option: spelled)
            }
        }
        func byte(_ key: String) throws(SourceError) -> UInt8? {
            guard let (spelled, value) = options.spelled(key) else { return nil }
            let text = value == "\\t" ? "\t" : value
            guard text.utf8.count == 1, let b = text.utf8.first, b != 0x0A, b != 0x0D else {
                throw SourceError("'\(spelled)' must be one character (not a newline), not '\(value)'",
                                  hint: "e.g. ',' or ';' or '\\t'", option: spelled)
            }
            return b
        }
        if let header = try flag("header") { csv.header = header }
        if let infer = try flag("inferSchema") { csv.inferSchema = infer }
        if let delimiter = try byte("delimiter") { csv.delimiter = delimiter } else if let sep = try byte("sep") { csv.delimiter = sep }
        if let quote = try byte("quote") { csv.quote = quote }
        if let (_, nullValue) = options.spelled("nullValue") { csv.nullValue = Array(nullValue.utf8) }
        if csv.quote == csv.delimiter {
            throw SourceError("the quote and the delimiter must differ", option: options.spelled("quote")?.name ?? "delimiter")
        }
        try checkReadable()
    }

    /// How SHOW TABLES tells where the table is read from: `csv /data/customers.csv`,
    /// `sqlite results.db table media`.
    var describedAs: String {
        guard case .database(let source) = format else { return "\(format.name) \(path)" }
        // A connection URL may carry a password.
        return "\(source.name) \(Redaction.shown("url", path)) table \(databaseOptions.spelled("dbtable")?.value ?? "")"
    }

    /// Fails with an error at the `path` option when the file cannot be read (a database
    /// table is checked as it is read).
    func checkReadable() throws(SourceError) {
        if case .database = format { return }
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw SourceError("no such file: \(path)", hint: "check the path (it is read when the table is created and on REFRESH TABLE)", option: "path")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SourceError("\(path) is not a regular file", hint: "a table reads one file", option: "path")
        }
    }
}

/// CSV reader settings, with Spark's defaults except where noted.
struct CSVOptions: Sendable, Hashable {
    /// Spark's default: the first line is data.
    var header = false
    var delimiter = UInt8(ascii: ",")
    var quote = UInt8(ascii: "\"")
    /// Deliberately not Spark's default (false): without SCHEMA, a table's types are inferred,
    /// which is what a lookup table needs; `'inferSchema' = 'false'` gives all STRING as Spark.
    var inferSchema = true
    /// The unquoted text that reads as NULL (Spark's `nullValue`, default empty).
    var nullValue: [UInt8] = []
}

/// A static table as loaded: its rows, and how many rows did not fit (set to NULL, Spark's
/// PERMISSIVE mode).
struct StaticTableContents: Sendable {
    var batch: Batch
    var badRows: Int
    /// Where the first bad row is and why (`path:line: reason`), if any.
    var firstBadRow: String?
    /// Whether the types were inferred from the data.
    var inferred: Bool
}

/// Reading a static table's file.
enum StaticTableReader {
    /// The bytes read per read(2): the file is streamed, never held whole.
    static let chunkSize = 1 << 20

    /// Reads the whole table once.
    static func load(_ spec: StaticTableSpec) throws(SourceError) -> StaticTableContents {
        try spec.checkReadable()
        switch spec.format {
        case .csv:
            return try CSVTableLoader(spec: spec).load()
        case .jsonLines:
            return try loadJSONLines(spec, schema: spec.declared ?? Schema([]))
        case .database(let source):
            return StaticTableContents(batch: try source.read(spec.databaseOptions), badRows: 0, firstBadRow: nil, inferred: false)
        }
    }

    /// Calls `body` with each chunk of the file, in order.
    static func forEachChunk(_ path: String, _ body: (UnsafeRawBufferPointer) throws(SourceError) -> Void) throws(SourceError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SourceError("cannot open \(path): \(String(cString: strerror(errno)))", option: "path") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, chunkSize)
            if n < 0 {
                if errno == EINTR { continue }
                throw SourceError("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The longest line a JSON-lines table may have: a file without newlines would otherwise
    /// be held whole.
    static let maximumLineBytes = 64 << 20

    /// JSON lines through the streams' decoder: malformed lines and values that do not fit
    /// their column become NULL (PERMISSIVE) and are counted.
    static func loadJSONLines(_ spec: StaticTableSpec, schema: Schema) throws(SourceError) -> StaticTableContents {
        let decoder = JSONRecordDecoder(schema: schema)
        var columns = decoder.makeColumns()
        var pending: [UInt8] = []
        var linesBefore = 0
        var bad = 0
        var first: String?
        func decode(_ bytes: UnsafeRawBufferPointer) {
            decoder.decodeLines(bytes, into: &columns) { location, malformation in
                bad += 1
                if first == nil { first = "\(spec.path):\(linesBefore + location.lineIndex + 1): \(malformation)" }
            }
        }
        try forEachChunk(spec.path) { chunk throws(SourceError) in
            // Whole lines are decoded straight from the chunk; only a line cut by the chunk's
            // end is carried over.
            guard let lastNewline = chunk.lastIndex(of: 0x0A) else {
                pending.append(contentsOf: chunk)
                if pending.count > maximumLineBytes {
                    throw SourceError("\(spec.path):\(linesBefore + 1): a line is longer than \(maximumLineBytes >> 20) MiB",
                                      hint: "a JSON-lines table has one JSON object per line")
                }
                return
            }
            let head = UnsafeRawBufferPointer(rebasing: chunk[..<(lastNewline + 1)])
            if pending.isEmpty {
                decode(head)
            } else {
                pending.append(contentsOf: head)
                pending.withUnsafeBytes { decode($0) }
                pending.removeAll(keepingCapacity: true)
            }
            linesBefore += head.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 }
            pending.append(contentsOf: chunk[(lastNewline + 1)...])
        }
        if !pending.isEmpty { pending.withUnsafeBytes { decode($0) } }
        return StaticTableContents(batch: Batch(schema: schema, columns: columns), badRows: bad, firstBadRow: first, inferred: false)
    }
}
