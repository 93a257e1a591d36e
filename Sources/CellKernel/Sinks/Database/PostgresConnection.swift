import CLibPQ
#if canImport(Glibc)
import Glibc
#endif

/// One libpq connection on which every call that could block is bounded: libpq runs in its
/// non-blocking mode and the connection waits on its socket in short slices, until the answer,
/// the deadline (`connectTimeout`, `queryTimeout`) or ``shouldStop`` (Ctrl-C, STOP), whichever
/// comes first. A connection given up on is closed, which the server notices and rolls back.
///
/// A connection that broke is made again by the next call. One that broke inside a
/// transaction refuses every statement but BEGIN and ROLLBACK until the caller starts again:
/// a COMMIT on the new connection would otherwise "succeed" with nothing to commit.
final class PostgresConnection {
    let settings: PostgresSettings
    private let libpq: cells_libpq
    /// Checked while waiting on the server; true gives up the call (and the connection).
    var shouldStop: () -> Bool = { false }
    private var handle: OpaquePointer?
    /// Whether a transaction is open as far as the last call knew (the status as it began,
    /// and as it ended when it succeeded).
    private var transactionOpen = false
    /// The connection broke inside a transaction, and the caller has not started again yet.
    private var lostTransaction = false

    var place: String { settings.place }

    /// Whether a transaction is open on the connection (BEGIN ran, COMMIT or ROLLBACK not yet).
    var inTransaction: Bool { handle.map { libpq.PQtransactionStatus($0) != PQTRANS_IDLE } ?? false }

    /// Connects now, so that a wrong password or an unreachable server shows at START.
    init(settings: PostgresSettings) throws(DatabaseError) {
        self.settings = settings
        self.libpq = try LibPQ.functions()
        try connect()
    }

    deinit { close() }

    func close() {
        if let handle { libpq.PQfinish(handle) }
        handle = nil
    }

    // MARK: Statements

    /// Runs a statement with its parameters sent apart from the SQL (never spliced into it),
    /// and returns its result (the last one, for several statements without parameters). `what` says what it was for, in errors: "writing table t".
    @discardableResult
    func run(_ sql: String, parameters: [String?] = [], doing what: String) throws(DatabaseError) -> PostgresResult {
        let connection = try ready(for: sql, doing: what)
        let deadline = settings.queryTimeout.map { ContinuousClock.now + $0 }
        // Without parameters, the simple protocol: it allows several statements in one text.
        let sent = CStrings(parameters)
        let accepted = parameters.isEmpty ? libpq.PQsendQuery(connection, sql) : sent.pointers.withUnsafeBufferPointer { values in
            libpq.PQsendQueryParams(connection, sql, Int32(parameters.count), nil, values.baseAddress, nil, nil, 0)
        }
        guard accepted == 1 else { throw failure(nil, connection, doing: what) }
        try flush(connection, until: deadline, doing: what)
        let result = try finalResult(connection, until: deadline, doing: what)
        transactionOpen = inTransaction
        return result
    }

    /// Runs `COPY ... FROM STDIN` and sends what `produce` writes into the buffer it is given,
    /// a chunk per call, until it returns false; the number of rows copied. When `produce`
    /// throws, the copy is abandoned (the server rolls back its part) and the error goes on.
    @discardableResult
    func copy(_ sql: String, doing what: String,
              produce: (inout [UInt8]) throws(DatabaseError) -> Bool) throws(DatabaseError) -> Int {
        let connection = try ready(for: sql, doing: what)
        let deadline = settings.queryTimeout.map { ContinuousClock.now + $0 }
        guard libpq.PQsendQuery(connection, sql) == 1 else { throw failure(nil, connection, doing: what) }
        try flush(connection, until: deadline, doing: what)
        let started = try results(connection, until: deadline, doing: what)
        defer { started.forEach { libpq.PQclear($0) } }
        guard let last = started.last, libpq.PQresultStatus(last) == PGRES_COPY_IN else {
            throw failure(started.last { libpq.PQresultStatus($0) == PGRES_FATAL_ERROR } ?? started.last, connection, doing: what)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(Self.chunkSize + 4096)
        var abandoned: DatabaseError?
        while true {
            buffer.removeAll(keepingCapacity: true)
            let more: Bool
            do { more = try produce(&buffer) } catch {
                abandoned = error
                break
            }
            try send(buffer, to: connection, until: deadline, doing: what)
            if !more { break }
        }
        while true {
            let ended = abandoned.map { libpq.PQputCopyEnd(connection, settings.scrub($0.message)) } ?? libpq.PQputCopyEnd(connection, nil)
            if ended == 1 { break }
            guard ended == 0 else { throw failure(nil, connection, doing: what) }
            try wait(connection, reading: false, writing: true, until: deadline, doing: what)
        }
        try flush(connection, until: deadline, doing: what)
        let result: PostgresResult
        do throws(DatabaseError) {
            result = try finalResult(connection, until: deadline, doing: what)
        } catch {
            // The server's "COPY aborted" says less than why it was.
            throw abandoned ?? error
        }
        if let abandoned { throw abandoned }
        transactionOpen = inTransaction
        return libpq.PQcmdTuples(result.handle).flatMap { Int(String(cString: $0)) } ?? 0
    }

    /// How many bytes of COPY text go to libpq at a time.
    static let chunkSize = 256 * 1024

    // MARK: Connecting

    private func connect() throws(DatabaseError) {
        close()
        let names = Array(settings.keywords.keys)
        let keywords = CStrings(names), values = CStrings(names.map { settings.keywords[$0] })
        let started = keywords.pointers.withUnsafeBufferPointer { k in
            values.pointers.withUnsafeBufferPointer { v in libpq.PQconnectStartParams(k.baseAddress, v.baseAddress, 0) }
        }
        guard let connection = started else {
            throw DatabaseError(.unreachable, "cannot connect to PostgreSQL at \(place): out of memory")
        }
        let deadline = ContinuousClock.now + settings.connectTimeout
        var polling = PGRES_POLLING_WRITING
        do {
            while libpq.PQstatus(connection) != CONNECTION_BAD {
                switch polling {
                case PGRES_POLLING_OK:
                    try prepare(connection)
                    handle = connection
                    return
                case PGRES_POLLING_READING:
                    try wait(connection, reading: true, writing: false, until: deadline, doing: "connecting")
                case PGRES_POLLING_WRITING:
                    try wait(connection, reading: false, writing: true, until: deadline, doing: "connecting")
                default:
                    break
                }
                polling = libpq.PQconnectPoll(connection)
                if polling == PGRES_POLLING_FAILED { break }
            }
        } catch {
            libpq.PQfinish(connection)
            throw error
        }
        let error = connectFailure(errorText(connection))
        libpq.PQfinish(connection)
        throw error
    }

    /// The session as cells reads and writes values: ISO dates, UTC, doubles printed exactly,
    /// and the server held to the query timeout as well.
    private func prepare(_ connection: OpaquePointer) throws(DatabaseError) {
        _ = libpq.PQsetNoticeProcessor(connection, { _, _ in }, nil)
        guard libpq.PQsetnonblocking(connection, 1) == 0 else { throw connectFailure(errorText(connection)) }
        let timeout = settings.queryTimeout.map { "\($0.components.seconds * 1000)" } ?? "0"
        var sql = "SET DateStyle = 'ISO, MDY'; SET TimeZone = 'UTC'; SET extra_float_digits = 3; "
            + "SET IntervalStyle = 'iso_8601'; SET statement_timeout = \(timeout)"
        // A statement given up on (a deadline, a stop) is ended by the server within a second,
        // its transaction rolled back, rather than running on for nobody (PostgreSQL 14 on).
        if libpq.PQserverVersion(connection) >= 140_000 { sql += "; SET client_connection_check_interval = 1000" }
        let deadline = ContinuousClock.now + settings.connectTimeout
        guard libpq.PQsendQuery(connection, sql) == 1 else { throw connectFailure(errorText(connection)) }
        try flush(connection, until: deadline, doing: "setting up the session")
        let answers = try results(connection, until: deadline, doing: "setting up the session")
        defer { answers.forEach { libpq.PQclear($0) } }
        if let failed = answers.first(where: { libpq.PQresultStatus($0) != PGRES_COMMAND_OK }) {
            throw DatabaseError(.refused, "PostgreSQL at \(place) refused the session's settings: \(serverMessage(failed))")
        }
    }

    /// The connection, made again if it broke; and the rule for a transaction lost with it.
    private func ready(for sql: String, doing what: String) throws(DatabaseError) -> OpaquePointer {
        if lostTransaction {
            // Reads may go on; what would have been part of the lost transaction may not.
            let verb = sql.drop { $0.isWhitespace }.prefix { $0.isLetter }.uppercased()
            if ["BEGIN", "START", "ROLLBACK"].contains(verb) {
                lostTransaction = false
            } else if !["SELECT", "SHOW"].contains(verb) {
                try checkTransactionNotLost()
            }
        }
        if handle.map({ libpq.PQstatus($0) != CONNECTION_OK }) ?? true {
            // A connection found broken counts as broken in whatever transaction it was.
            drop()
            try connect()
        }
        guard let handle else { throw DatabaseError(.unreachable, "cannot connect to PostgreSQL at \(place)") }
        transactionOpen = libpq.PQtransactionStatus(handle) != PQTRANS_IDLE
        return handle
    }

    /// Throws while a transaction lost with its connection has not been ended by the caller
    /// (ROLLBACK) or started again (BEGIN): for writes that would otherwise open one of their own.
    func checkTransactionNotLost() throws(DatabaseError) {
        guard lostTransaction else { return }
        throw DatabaseError(.unreachable, "the connection to PostgreSQL at \(place) broke inside a transaction, which the server rolls back",
                            hint: "start the batch again from BEGIN")
    }

    /// Closes a connection that failed: the next call connects again.
    private func drop() {
        if transactionOpen { lostTransaction = true }
        transactionOpen = false
        close()
    }

    // MARK: Waiting

    /// Everything libpq holds for the server sent.
    private func flush(_ connection: OpaquePointer, until deadline: ContinuousClock.Instant?, doing what: String) throws(DatabaseError) {
        while true {
            switch libpq.PQflush(connection) {
            case 0: return
            case 1:
                // The server may be waiting for us to read before it reads more.
                try wait(connection, reading: true, writing: true, until: deadline, doing: what)
                guard libpq.PQconsumeInput(connection) == 1 else { throw failure(nil, connection, doing: what) }
            default:
                throw failure(nil, connection, doing: what)
            }
        }
    }

    private func send(_ bytes: [UInt8], to connection: OpaquePointer, until deadline: ContinuousClock.Instant?,
                      doing what: String) throws(DatabaseError) {
        guard !bytes.isEmpty else { return }
        while true {
            let queued = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { libpq.PQputCopyData(connection, $0.baseAddress, Int32(buffer.count)) }
            }
            if queued == 1 { break }
            guard queued == 0 else { throw failure(nil, connection, doing: what) }
            try wait(connection, reading: false, writing: true, until: deadline, doing: what)
            guard libpq.PQflush(connection) >= 0 else { throw failure(nil, connection, doing: what) }
        }
        // Keeps libpq's buffer from growing with the whole COPY.
        if libpq.PQflush(connection) == 1 {
            try wait(connection, reading: true, writing: true, until: deadline, doing: what)
            guard libpq.PQconsumeInput(connection) == 1, libpq.PQflush(connection) >= 0 else { throw failure(nil, connection, doing: what) }
        }
    }

    /// The results of what was sent, up to libpq's end (or the start of a COPY).
    private func results(_ connection: OpaquePointer, until deadline: ContinuousClock.Instant?,
                         doing what: String) throws(DatabaseError) -> [OpaquePointer] {
        var collected: [OpaquePointer] = []
        while true {
            guard libpq.PQconsumeInput(connection) == 1 else {
                collected.forEach { libpq.PQclear($0) }
                throw failure(nil, connection, doing: what)
            }
            while libpq.PQisBusy(connection) == 0 {
                guard let result = libpq.PQgetResult(connection) else { return collected }
                collected.append(result)
                let status = libpq.PQresultStatus(result)
                if status == PGRES_COPY_IN || status == PGRES_COPY_OUT { return collected }
            }
            do { try wait(connection, reading: true, writing: false, until: deadline, doing: what) } catch {
                collected.forEach { libpq.PQclear($0) }
                throw error
            }
        }
    }

    /// The statement's result, or the error it (or the connection) ended with.
    private func finalResult(_ connection: OpaquePointer, until deadline: ContinuousClock.Instant?,
                             doing what: String) throws(DatabaseError) -> PostgresResult {
        var answers = try results(connection, until: deadline, doing: what)
        defer { answers.forEach { libpq.PQclear($0) } }
        if let failed = answers.first(where: {
            let status = libpq.PQresultStatus($0)
            return status == PGRES_FATAL_ERROR || status == PGRES_BAD_RESPONSE
        }) {
            throw failure(failed, connection, doing: what)
        }
        guard let last = answers.popLast() else { throw failure(nil, connection, doing: what) }
        return PostgresResult(last, libpq)
    }

    /// Waits until the socket is ready, in slices short enough to notice ``shouldStop``.
    private func wait(_ connection: OpaquePointer, reading: Bool, writing: Bool, until deadline: ContinuousClock.Instant?,
                      doing what: String) throws(DatabaseError) {
        let socket = libpq.PQsocket(connection)
        guard socket >= 0 else { throw failure(nil, connection, doing: what) }
        var events: Int16 = 0
        if reading { events |= Int16(POLLIN) }
        if writing { events |= Int16(POLLOUT) }
        while true {
            if shouldStop() {
                give(up: connection)
                throw scrubbed(DatabaseError(.unreachable, "stopped while waiting for PostgreSQL at \(place) (\(what))"))
            }
            var slice = Duration.milliseconds(200)
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    give(up: connection)
                    let limit = what == "connecting" ? "connectTimeout" : "queryTimeout"
                    throw scrubbed(DatabaseError(.unreachable, "PostgreSQL at \(place) did not answer in time (\(what))",
                                                 hint: "is PostgreSQL running? check 'url', or raise '\(limit)'"))
                }
                slice = min(slice, left)
            }
            var descriptor = pollfd(fd: socket, events: events, revents: 0)
            let milliseconds = Int32(max(1, slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw failure(nil, connection, doing: what) }
        }
    }

    /// A connection given up on mid-call: closed (only the established one; a connection
    /// still being made is its caller's to close).
    private func give(up connection: OpaquePointer) {
        if connection == handle { drop() }
    }

    // MARK: Errors

    /// What went wrong with `result` (or, without one, with the connection), classified: the
    /// connection's loss, a server shutting down or a timeout are worth retrying.
    private func failure(_ result: OpaquePointer?, _ connection: OpaquePointer, doing what: String) -> DatabaseError {
        let broken = libpq.PQstatus(connection) == CONNECTION_BAD
        let state = result.flatMap { libpq.PQresultErrorField($0, cells_pq_diag_sqlstate()) }.map { String(cString: $0) } ?? ""
        let message = result.map(serverMessage) ?? errorText(connection)
        if broken || state.hasPrefix("08") || Self.transientStates.contains(state) {
            // The server ended the session (shutting down, a connection fault): it is over
            // even where libpq has not seen the socket close yet.
            if broken || state.hasPrefix("08") || state.hasPrefix("57P") { give(up: connection) }
            let hint = state == "57014" ? "the statement took longer than 'queryTimeout'; raise it, or 0 for no limit"
                                        : "is PostgreSQL running? check 'url'"
            return scrubbed(DatabaseError(.unreachable, "lost PostgreSQL at \(place) while \(what): \(message)", hint: hint))
        }
        let hint = result.flatMap { libpq.PQresultErrorField($0, cells_pq_diag_message_hint()) }.map { String(cString: $0) }
        return scrubbed(DatabaseError(.refused, "PostgreSQL at \(place) refused \(what): \(message)", hint: hint))
    }

    /// `error` without a password anywhere in it (the statement quoted in `what` may hold one).
    private func scrubbed(_ error: DatabaseError) -> DatabaseError {
        DatabaseError(error.kind, settings.scrub(error.message), hint: error.hint.map(settings.scrub))
    }

    /// SQLSTATEs after which the same statement may well succeed: the server shutting down or
    /// starting, too many connections, a serialization failure or deadlock, a cancelled statement.
    private static let transientStates: Set<String> = ["57P01", "57P02", "57P03", "53300", "40001", "40P01", "57014"]

    /// Why a connection could not be made, with what to do about it.
    private func connectFailure(_ message: String) -> DatabaseError {
        scrubbed(classifiedConnectFailure(message))
    }

    private func classifiedConnectFailure(_ message: String) -> DatabaseError {
        let lowered = message.lowercased()
        if lowered.contains("password") || lowered.contains("authentication") || lowered.contains("pg_hba.conf") {
            return DatabaseError(.refused, "PostgreSQL at \(place) refused the login: \(message)",
                                 hint: "check 'user' and 'password' (the server's pg_hba.conf says who may log in, and how)")
        }
        if lowered.contains("database") && lowered.contains("does not exist") {
            return DatabaseError(.refused, "PostgreSQL at \(place) has no such database: \(message)",
                                 hint: "create it (createdb), or name another in 'url'")
        }
        if lowered.contains("role") && lowered.contains("does not exist") {
            return DatabaseError(.refused, "PostgreSQL at \(place) has no such user: \(message)", hint: "check 'user'")
        }
        if lowered.contains("ssl") && !lowered.contains("connection refused") {
            return DatabaseError(.refused, "PostgreSQL at \(place) refused the connection: \(message)",
                                 hint: "check sslmode and the certificates in 'url'")
        }
        return DatabaseError(.unreachable, "cannot reach PostgreSQL at \(place): \(message)",
                             hint: "is PostgreSQL running? check 'url'")
    }

    /// libpq's message for the connection, on one line and without a password.
    private func errorText(_ connection: OpaquePointer) -> String {
        oneLine(libpq.PQerrorMessage(connection).map { String(cString: $0) } ?? "")
    }

    /// The server's message for a failed statement: its primary text and detail.
    private func serverMessage(_ result: OpaquePointer) -> String {
        let primary = libpq.PQresultErrorField(result, cells_pq_diag_message_primary()).map { String(cString: $0) }
        let detail = libpq.PQresultErrorField(result, cells_pq_diag_message_detail()).map { String(cString: $0) }
        guard let primary else { return oneLine(libpq.PQresultErrorMessage(result).map { String(cString: $0) } ?? "") }
        return oneLine(detail.map { "\(primary) (\($0))" } ?? primary)
    }

    private func oneLine(_ text: String) -> String {
        let parts = text.split(whereSeparator: \.isNewline).map { String($0).trimmingASCIIWhitespace() }.filter { !$0.isEmpty }
        let joined = parts.isEmpty ? "no message" : parts.joined(separator: "; ")
        return settings.scrub(joined)
    }
}

/// A statement's result rows, freed with it.
final class PostgresResult {
    let handle: OpaquePointer
    private let libpq: cells_libpq

    init(_ handle: OpaquePointer, _ libpq: cells_libpq) {
        self.handle = handle
        self.libpq = libpq
    }

    deinit { libpq.PQclear(handle) }

    var rowCount: Int { Int(libpq.PQntuples(handle)) }
    var columnCount: Int { Int(libpq.PQnfields(handle)) }

    /// The text of one value, without copying; nil for NULL.
    func withValue<R>(row: Int, column: Int, _ body: (UnsafeRawBufferPointer?) throws(DatabaseError) -> R) throws(DatabaseError) -> R {
        let (r, c) = (Int32(row), Int32(column))
        guard libpq.PQgetisnull(handle, r, c) == 0, let value = libpq.PQgetvalue(handle, r, c) else { return try body(nil) }
        return try body(UnsafeRawBufferPointer(start: value, count: Int(libpq.PQgetlength(handle, r, c))))
    }

    func string(row: Int, column: Int) -> String? {
        let (r, c) = (Int32(row), Int32(column))
        guard libpq.PQgetisnull(handle, r, c) == 0, let value = libpq.PQgetvalue(handle, r, c) else { return nil }
        return String(cString: value)
    }
}

/// C strings that live as long as this value: libpq's keyword and parameter arrays.
private final class CStrings {
    /// One pointer per string (nil for nil), and a nil at the end.
    let pointers: [UnsafePointer<CChar>?]

    init(_ strings: [String?]) {
        pointers = strings.map { string in string.flatMap { strdup($0) }.map { UnsafePointer($0) } } + [nil]
    }

    deinit { pointers.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
}
