/// A batch's rows in the text format of PostgreSQL's `COPY ... FROM STDIN`: one line per
/// row, values separated by tabs, `\N` for NULL, and a backslash before any backslash, tab,
/// newline or carriage return inside a value. Values go out as PostgreSQL reads them back
/// exactly: shortest round-trip doubles, `NaN` and `Infinity`, dates and timestamps with
/// `BC` for years before 1 (the proleptic Gregorian calendar of both).
///
/// Written into a reused buffer a chunk at a time, without a String per value for integers,
/// times and text.
struct PostgresCopyText {
    private let columns: [Column]
    private let names: [String]
    private let table: PostgresTableName
    private var row = 0

    init(_ batch: Batch, table: PostgresTableName) {
        columns = batch.columns
        names = batch.schema.fields.map(\.name)
        self.table = table
    }

    var count: Int { columns.first?.count ?? 0 }

    /// Appends rows to `buffer` until it holds about `limit` bytes; whether rows remain.
    mutating func next(into buffer: inout [UInt8], limit: Int) throws(DatabaseError) -> Bool {
        while row < count && buffer.count < limit {
            for index in columns.indices {
                if index > 0 { buffer.append(UInt8(ascii: "\t")) }
                try append(columns[index], index, to: &buffer)
            }
            buffer.append(UInt8(ascii: "\n"))
            row += 1
        }
        return row < count
    }

    private func append(_ column: Column, _ index: Int, to buffer: inout [UInt8]) throws(DatabaseError) {
        if column.isNull(row) || column.type == .null {
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(UInt8(ascii: "N"))
            return
        }
        switch column.data {
        case .int64(let values):
            switch column.type {
            case .date: Self.appendDate(values[row], to: &buffer)
            case .timestamp: Self.appendTimestamp(values[row], to: &buffer)
            default: Self.appendInteger(values[row], to: &buffer)
            }
        case .int128(let values):
            guard case .decimal(_, let scale) = column.type else { return try unwritable(column, index) }
            buffer.append(contentsOf: DecimalText.format(values[row], scale: scale).utf8)
        case .double(let values):
            let value = values[row]
            if value.isNaN {
                buffer.append(contentsOf: "NaN".utf8)
            } else if value.isInfinite {
                buffer.append(contentsOf: (value < 0 ? "-Infinity" : "Infinity").utf8)
            } else if column.type == .float {
                buffer.append(contentsOf: Float(value).description.utf8)
            } else {
                buffer.append(contentsOf: value.description.utf8)
            }
        case .bool(let values):
            buffer.append(values[row] ? UInt8(ascii: "t") : UInt8(ascii: "f"))
        case .bytes(let vector):
            guard !column.type.isNested else { return try unwritable(column, index) }
            guard vector.withElement(row, { Self.appendEscaped($0, to: &buffer) }) else {
                throw DatabaseError(.invalid,
                                    "column '\(names[index])' of row \(row + 1) holds a NUL character (U+0000), which PostgreSQL text cannot store (table \(table))",
                                    hint: "remove it in the view, e.g. replace(\(names[index]), char(0), '')")
            }
        }
    }

    /// Text with COPY's escapes; false for text with a NUL character, which PostgreSQL's text
    /// cannot hold at all: an error that says where it is, rather than a value silently altered.
    private static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to buffer: inout [UInt8]) -> Bool {
        var start = 0
        for (offset, byte) in bytes.enumerated() {
            let escaped: UInt8
            switch byte {
            case UInt8(ascii: "\\"): escaped = UInt8(ascii: "\\")
            case UInt8(ascii: "\t"): escaped = UInt8(ascii: "t")
            case UInt8(ascii: "\n"): escaped = UInt8(ascii: "n")
            case UInt8(ascii: "\r"): escaped = UInt8(ascii: "r")
            case 0: return false
            default: continue
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]))
            buffer.append(UInt8(ascii: "\\"))
            buffer.append(escaped)
            start = offset + 1
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
        return true
    }

    private func unwritable(_ column: Column, _ index: Int) throws(DatabaseError) {
        throw DatabaseError(.invalid, "column '\(names[index])' of type \(column.type) cannot be written to PostgreSQL (table \(table))",
                            hint: "write it as text with to_json(\(names[index]))")
    }

    // MARK: Values

    /// Decimal digits, Int64.min included.
    static func appendInteger(_ value: Int64, to buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        appendDigits(value.magnitude, minimum: 1, to: &buffer)
    }

    /// `magnitude` in decimal, zero-padded to `minimum` digits.
    private static func appendDigits(_ magnitude: UInt64, minimum: Int, to buffer: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { scratch in
            var rest = magnitude, count = 0
            repeat {
                scratch[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            for _ in count..<max(minimum, count) { buffer.append(UInt8(ascii: "0")) }
            for index in stride(from: count - 1, through: 0, by: -1) { buffer.append(scratch[index]) }
        }
    }

    /// `yyyy-mm-dd`, or `yyyy-mm-dd BC` with PostgreSQL's year (1 BC is the proleptic year 0).
    static func appendDate(_ days: Int64, to buffer: inout [UInt8]) {
        let (year, month, day) = TimeText.civil(days: days)
        appendDay(year: year, month: month, day: day, to: &buffer)
        if year <= 0 { buffer.append(contentsOf: " BC".utf8) }
    }

    /// `yyyy-mm-dd hh:mm:ss[.ffffff][ BC]`: a TIMESTAMP's UTC wall time.
    static func appendTimestamp(_ micros: Int64, to buffer: inout [UInt8]) {
        let days = TimeText.floorDiv(micros, TimeText.microsPerDay)
        let inDay = UInt64(TimeText.floorMod(micros, TimeText.microsPerDay))
        let (year, month, day) = TimeText.civil(days: days)
        appendDay(year: year, month: month, day: day, to: &buffer)
        let seconds = inDay / 1_000_000, fraction = inDay % 1_000_000
        buffer.append(UInt8(ascii: " "))
        appendDigits(seconds / 3600, minimum: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(seconds / 60 % 60, minimum: 2, to: &buffer)
        buffer.append(UInt8(ascii: ":"))
        appendDigits(seconds % 60, minimum: 2, to: &buffer)
        if fraction != 0 {
            buffer.append(UInt8(ascii: "."))
            appendDigits(fraction, minimum: 6, to: &buffer)
        }
        if year <= 0 { buffer.append(contentsOf: " BC".utf8) }
    }

    private static func appendDay(year: Int64, month: Int64, day: Int64, to buffer: inout [UInt8]) {
        // PostgreSQL counts no year 0: the proleptic year 0 is 1 BC, -1 is 2 BC.
        appendDigits(year > 0 ? year.magnitude : year.magnitude + 1, minimum: 4, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(UInt64(clamping: month), minimum: 2, to: &buffer)
        buffer.append(UInt8(ascii: "-"))
        appendDigits(UInt64(clamping: day), minimum: 2, to: &buffer)
    }
}
