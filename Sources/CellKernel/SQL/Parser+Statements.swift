/// The statements: CREATE SOURCE / STREAM / VIEW / TABLE, START, SELECT, SHOW, DESCRIBE, STOP,
/// REFRESH TABLE, DROP TABLE.
extension SQLParser {
    mutating func parseStatementKind() throws(SQLError) -> StatementKind {
        if check(.select) || check(.with) || (current.is(.leftParen) && (peek().is(.select) || peek().is(.with))) {
            return .select(try parseQuery())
        }
        if accept(.explain) != nil {
            if check(.select) || check(.with) { return .explain(.query(try parseQuery())) }
            return .explain(.view(try identifier("a view name or a query (SELECT or WITH) after EXPLAIN")))
        }
        if accept(.create) != nil { return try parseCreate() }
        if accept(.start) != nil { return .start(try parseStart()) }
        if accept(.show) != nil { return .show(try parseShowTarget()) }
        if accept(.describe) != nil || accept(.desc) != nil {
            return .describe(try identifier("the name of a source, stream or view"))
        }
        if accept(.stop) != nil { return .stop(try identifier("the name of a running query")) }
        if accept(.refresh) != nil {
            try expect(.table, "after REFRESH")
            return .refreshTable(try identifier("the name of a table after REFRESH TABLE"))
        }
        if accept(.drop) != nil {
            try expect(.table, "after DROP (only static tables can be dropped)")
            return .dropTable(try identifier("the name of a table after DROP TABLE"))
        }
        if accept(.set) != nil { return .setEngine(try parseEngineChoice()) }
        throw failure(expected: "a statement (CREATE, START, SELECT, SHOW, DESCRIBE, STOP, REFRESH, DROP or SET ENGINE)")
    }

    /// After SET: `ENGINE 'sc://host:port'` or `ENGINE local`.
    private mutating func parseEngineChoice() throws(SQLError) -> EngineChoice {
        try expect(.engine, "after SET (SET ENGINE 'sc://host:15002' or SET ENGINE local)")
        let token = current
        switch token.kind {
        case .string(let address):
            _ = advance()
            return EngineChoice(address: address, location: token.location)
        case .word(let word) where word.lowercased() == "local":
            _ = advance()
            return EngineChoice(address: "local", location: token.location)
        default:
            throw failure(expected: "an engine after SET ENGINE: local, or a Spark Connect address such as 'sc://localhost:15002'")
        }
    }

    // MARK: - CREATE

    private mutating func parseCreate() throws(SQLError) -> StatementKind {
        var orReplace = false
        if accept(.or) != nil {
            try expect(.replace, "after CREATE OR")
            orReplace = true
        }
        if let temporary = accept(.temporary) ?? accept(.temp) {
            guard check(.view) else {
                throw failure("only views can be \(temporary.keyword!.rawValue)", at: current)
            }
        }
        if accept(.source) != nil { return .createSource(try parseCreateSource(orReplace: orReplace)) }
        if accept(.stream) != nil { return .createStream(try parseCreateStream(orReplace: orReplace)) }
        if accept(.view) != nil { return .createView(try parseCreateView(orReplace: orReplace)) }
        if accept(.table) != nil { return .createTable(try parseCreateTable(orReplace: orReplace)) }
        throw failure(expected: "SOURCE, STREAM, VIEW or TABLE after CREATE")
    }

    private mutating func parseCreateSource(orReplace: Bool) throws(SQLError) -> CreateSource {
        let name = try identifier("a source name")
        try expect(.using, "and a connector (kafka, file) after the source name")
        let connector = try identifier("a connector name (kafka, file)")
        let options = check(.options) ? try parseOptions() : []
        try expectEndOfStatement(options.isEmpty ? "OPTIONS" : nil)
        return CreateSource(name: name, connector: connector, options: options, orReplace: orReplace)
    }

    /// `CREATE STREAM name FROM source` then FORMAT, SCHEMA, WATERMARK and OPTIONS in any
    /// order, each at most once; FORMAT and SCHEMA are required.
    private mutating func parseCreateStream(orReplace: Bool) throws(SQLError) -> CreateStream {
        let name = try identifier("a stream name")
        try expect(.from, "and a source name after the stream name")
        let source = try identifier("a source name after FROM")
        var clauses = ClauseTracker()
        var format: Identifier?
        var columns: [StreamColumn]?
        var watermark: Watermark?
        var options: [SQLOption] = []
        while true {
            if check(.format) {
                try clauses.enter("FORMAT", &self)
                format = try identifier("a format name (json)")
            } else if check(.schema) {
                try clauses.enter("SCHEMA", &self)
                columns = try parseSchema()
            } else if check(.watermark) {
                try clauses.enter("WATERMARK", &self)
                watermark = try parseWatermark()
            } else if check(.options) {
                try clauses.enter("OPTIONS", &self)
                options = try parseOptionList()
            } else {
                break
            }
        }
        let missing = ["FORMAT", "SCHEMA", "WATERMARK", "OPTIONS"].filter { !clauses.seen.keys.contains($0) }
        try expectEndOfStatement(missing.isEmpty ? nil : missing.joined(separator: ", "))
        guard let format else { throw failure(expected: "FORMAT json (the format of the records)") }
        guard let columns else { throw failure(expected: "SCHEMA (column TYPE, ...)") }
        if let watermark, !columns.contains(where: { $0.name.matches(watermark.column.name) }) {
            throw SQLError(
                "the watermark column \(watermark.column.name) is not a column of the stream",
                at: watermark.column.location, length: watermark.column.name.count,
                hint: "declare it in SCHEMA, e.g. event_time TIMESTAMP")
        }
        return CreateStream(
            name: name, source: source, format: format, columns: columns, watermark: watermark,
            options: options, orReplace: orReplace)
    }

    /// The most columns a stream's schema may declare.
    static let maximumStreamColumns = 10_000

    /// `(name TYPE, name AS expression, ...)`.
    private mutating func parseSchema() throws(SQLError) -> [StreamColumn] {
        let open = try expect(.leftParen, "after SCHEMA")
        var columns: [StreamColumn] = []
        var firstSeen: [String: Identifier] = [:]
        repeat {
            let name = try identifier("a column name")
            if let first = firstSeen[name.name.lowercased()] {
                throw SQLError("column \(name.name) is declared twice", at: name.location,
                               length: name.name.count, hint: "the first \(first.name) is at \(first.location)")
            }
            firstSeen[name.name.lowercased()] = name
            // The JSON decoder's field table indexes fields with 16 bits.
            if columns.count == Self.maximumStreamColumns {
                throw SQLError("a stream has at most \(Self.maximumStreamColumns) columns", at: name.location,
                               length: name.name.count, hint: "split the schema into several streams")
            }
            if accept(.as) != nil {
                columns.append(StreamColumn(name: name, definition: .computed(try parseExpression())))
            } else {
                columns.append(StreamColumn(name: name, definition: .physical(try parseType())))
            }
        } while accept(.comma) != nil
        try expect(.rightParen, closing: open, alternatives: "',' or ')'")
        return columns
    }

    /// `column DELAY 'interval'`, after WATERMARK.
    private mutating func parseWatermark() throws(SQLError) -> Watermark {
        let column = try identifier("the event-time column after WATERMARK")
        try expect(.delay, "and an interval after the watermark column")
        let (delay, location) = try intervalString("the delay after DELAY, e.g. '10 seconds'")
        return Watermark(column: column, delay: delay, delayLocation: location)
    }

    /// A string literal that ``parseIntervalMicroseconds(_:)`` accepts.
    private mutating func intervalString(_ what: String) throws(SQLError) -> (String, SourceLocation) {
        let token = current
        guard case .string(let text) = token.kind else { throw failure(expected: what) }
        guard parseIntervalMicroseconds(text) != nil else {
            if intervalExceedsRange(text) {
                throw failure("'\(text)' is longer than the longest interval (2^63 microseconds, about 106751991 days)", at: token)
            }
            throw failure(
                "'\(text)' is not an interval", at: token,
                hint: "write a number and a unit: '10 seconds', '1 minute', '500 milliseconds', '1 hour'")
        }
        advance()
        return (text, token.location)
    }

    /// `CREATE TABLE name USING format` then OPTIONS and SCHEMA in either order, each at most
    /// once; OPTIONS (with 'path') is required, SCHEMA optional (CSV infers it).
    private mutating func parseCreateTable(orReplace: Bool) throws(SQLError) -> CreateTable {
        let name = try identifier("a table name")
        try expect(.using, "and a format (csv, file) after the table name")
        let format = try identifier("a table format (csv, or file for JSON lines)")
        var clauses = ClauseTracker()
        var options: [SQLOption] = []
        var columns: [TableColumn]?
        while true {
            if check(.options) {
                try clauses.enter("OPTIONS", &self)
                options = try parseOptionList()
            } else if check(.schema) {
                let keyword = current
                try clauses.enter("SCHEMA", &self)
                let declared = try parseSchema()
                var typed: [TableColumn] = []
                for column in declared {
                    guard let type = column.type else {
                        throw failure("a table's columns are read from its file, not computed", at: keyword,
                                      hint: "declare \(column.name.name) with a type, and compute it in a view or SELECT")
                    }
                    typed.append(TableColumn(name: column.name, type: type))
                }
                columns = typed
            } else {
                break
            }
        }
        let missing = ["OPTIONS", "SCHEMA"].filter { !clauses.seen.keys.contains($0) }
        try expectEndOfStatement(missing.isEmpty ? nil : missing.joined(separator: ", "))
        guard clauses.seen["OPTIONS"] != nil else {
            throw failure(expected: "OPTIONS ('path' = '...') (where the table's file is)")
        }
        return CreateTable(name: name, format: format, options: options, columns: columns, orReplace: orReplace)
    }

    private mutating func parseCreateView(orReplace: Bool) throws(SQLError) -> CreateView {
        let name = try identifier("a view name")
        try expect(.as, "and a query after the view name")
        if !current.is(.select) && !current.is(.with) { throw failure(expected: "SELECT or WITH after AS") }
        return CreateView(name: name, query: try parseQuery(), orReplace: orReplace)
    }

    // MARK: - START

    /// `START view` then OUTPUT MODE, TRIGGER, USING sink [OPTIONS] and IN BACKGROUND in any
    /// order, each at most once.
    private mutating func parseStart() throws(SQLError) -> StartQuery {
        var start = StartQuery(view: try identifier("the name of a view to start"))
        var clauses = ClauseTracker()
        while true {
            if check(.output) {
                let output = current
                try clauses.enter("OUTPUT MODE", &self)
                try expect(.mode, "after OUTPUT")
                start.outputMode = try parseOutputMode()
                start.outputModeLocation = output.location
            } else if check(.trigger) {
                start.triggerLocation = current.location
                try clauses.enter("TRIGGER", &self)
                start.trigger = try parseTrigger()
            } else if check(.using) {
                try clauses.enter("USING", &self)
                start.sink = try identifier("a sink name (console, memory, json, csv, kafka, sqlite) after USING")
                if check(.options) { start.sinkOptions = try parseOptions() }
            } else if check(.in) {
                try clauses.enter("IN BACKGROUND", &self)
                try expect(.background, "after IN")
                start.background = true
            } else {
                break
            }
        }
        let remaining = ["OUTPUT MODE", "TRIGGER", "USING", "IN BACKGROUND"].filter { !clauses.seen.keys.contains($0) }
        if current.is(.options) {
            throw failure("OPTIONS of a START belong to its sink", at: current,
                          hint: "write them right after the sink: USING json OPTIONS ('path' = '/tmp/out')")
        }
        try expectEndOfStatement(remaining.isEmpty ? nil : remaining.joined(separator: ", "))
        return start
    }

    private mutating func parseOutputMode() throws(SQLError) -> OutputMode {
        let token = current
        if case .word(let word) = token.kind, let mode = OutputMode(rawValue: word.lowercased()) {
            _ = advance()
            return mode
        }
        var hint: String?
        if case .word(let word) = token.kind {
            hint = Suggestion.closest(to: word, among: ["APPEND", "UPDATE", "COMPLETE"]).map { "did you mean \($0)?" }
        }
        throw failure(expected: "APPEND, UPDATE or COMPLETE after OUTPUT MODE", hint: hint)
    }

    private mutating func parseTrigger() throws(SQLError) -> Trigger {
        if case .string = current.kind {
            return .processingTime(try intervalString("an interval").0)
        }
        if accept(.once) != nil { return .once }
        if accept(.available) != nil {
            try expect(.now, "after AVAILABLE")
            return .availableNow
        }
        throw failure(expected: "an interval (e.g. '5 seconds'), ONCE or AVAILABLE NOW after TRIGGER")
    }

    // MARK: - SHOW

    private mutating func parseShowTarget() throws(SQLError) -> ShowTarget {
        let targets: [(Keyword, ShowTarget)] = [
            (.sources, .sources), (.streams, .streams), (.views, .views), (.queries, .queries), (.tables, .tables),
        ]
        for (keyword, target) in targets where accept(keyword) != nil { return target }
        throw failure(expected: "SOURCES, STREAMS, VIEWS, QUERIES or TABLES after SHOW")
    }

    // MARK: - OPTIONS

    /// `OPTIONS ('key' = 'value', ...)`. Keys are strings or dotted names
    /// (`kafka.bootstrap.servers`); values are strings, numbers or booleans; `=` may be left
    /// out, as in Spark. A key given twice (ignoring case) is an error.
    mutating func parseOptions() throws(SQLError) -> [SQLOption] {
        try expect(.options)
        return try parseOptionList()
    }

    /// The parenthesized list after OPTIONS.
    private mutating func parseOptionList() throws(SQLError) -> [SQLOption] {
        let open = try expect(.leftParen, "after OPTIONS")
        var options: [SQLOption] = []
        if let _ = accept(.rightParen) { return options }
        repeat {
            let keyToken = current
            let key = try parseOptionKey()
            if let first = options.first(where: { $0.key.lowercased() == key.lowercased() }) {
                throw failure("option '\(key)' is given twice", at: keyToken,
                              hint: "the first is at \(first.keyLocation)")
            }
            _ = accept(.equal)
            let valueToken = current
            let value = try parseOptionValue()
            options.append(SQLOption(key, value, keyLocation: keyToken.location, valueLocation: valueToken.location))
        } while accept(.comma) != nil
        try expect(.rightParen, closing: open, alternatives: "',' or ')'")
        return options
    }

    private mutating func parseOptionKey() throws(SQLError) -> String {
        if case .string(let key) = current.kind {
            _ = advance()
            return key
        }
        guard current.isName || current.keyword != nil else {
            throw failure(expected: "an option name, e.g. 'subscribe'")
        }
        var key = try optionKeyPart()
        while accept(.dot) != nil { key += "." + (try optionKeyPart()) }
        return key
    }

    /// One part of a dotted key: any word, reserved or not (`kafka.group.id`).
    private mutating func optionKeyPart() throws(SQLError) -> String {
        switch current.kind {
        case .word(let word), .quotedIdentifier(let word):
            _ = advance()
            return word
        default:
            throw failure(expected: "an option name part after '.'")
        }
    }

    private mutating func parseOptionValue() throws(SQLError) -> String {
        let token = current
        switch token.kind {
        case .string(let value):
            _ = advance()
            return value
        case .number(let digits, _):
            _ = advance()
            return digits
        case .symbol(.minus):
            if case .number(let digits, _) = peek().kind {
                advance()
                advance()
                return "-" + digits
            }
        case .word where token.is(.true) || token.is(.false):
            _ = advance()
            return token.keyword!.rawValue.lowercased()
        default:
            break
        }
        throw failure(expected: "an option value (a string such as 'earliest', a number or TRUE/FALSE)")
    }
}

/// The clauses of a statement that come in any order, each at most once.
struct ClauseTracker {
    var seen: [String: SourceLocation] = [:]

    /// Consumes the clause's first keyword, failing if the clause was already given.
    mutating func enter(_ name: String, _ parser: inout SQLParser) throws(SQLError) {
        let token = parser.current
        if let first = seen[name] {
            throw parser.failure("\(name) is given twice", at: token, hint: "the first \(name) is at \(first)")
        }
        seen[name] = token.location
        parser.advance()
    }
}
