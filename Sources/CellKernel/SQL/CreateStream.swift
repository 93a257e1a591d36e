/// `CREATE [OR REPLACE] STREAM name FROM source FORMAT json SCHEMA (...) [WATERMARK c DELAY 'd']
/// [OPTIONS (...)]`: how a source's records decode into typed rows.
public struct CreateStream: Hashable, Sendable {
    /// The name views read the stream by.
    var name: Identifier
    /// The source whose records the stream decodes.
    var source: Identifier
    /// The record format, e.g. `json`.
    var format: Identifier
    /// The schema, in declaration order.
    var columns: [StreamColumn]
    /// The event-time column and how late events may be; `nil` for no watermark.
    var watermark: Watermark?
    /// Decoder options, e.g. `mode`, `columnNameOfCorruptRecord`.
    var options: [SQLOption]
    /// `CREATE OR REPLACE`: replacing an existing stream is allowed.
    var orReplace: Bool

    /// A stream definition, as the parser builds it.
    init(
        name: Identifier, source: Identifier, format: Identifier, columns: [StreamColumn],
        watermark: Watermark? = nil, options: [SQLOption] = [], orReplace: Bool = false
    ) {
        self.name = name
        self.source = source
        self.format = format
        self.columns = columns
        self.watermark = watermark
        self.options = options
        self.orReplace = orReplace
    }
}

/// A column of a stream's schema: read from the record, or computed from other columns.
struct StreamColumn: Hashable, Sendable {
    /// Where a column's values come from.
    enum Definition: Hashable, Sendable {
        /// `name TYPE`: a field of the record.
        case physical(SQLType)
        /// `name AS expression`: computed from the physical columns.
        case computed(SQLExpression)
    }

    /// The column name: the JSON field name for a physical column.
    var name: Identifier
    /// A declared type or a computing expression.
    var definition: Definition

    /// A column of a stream's schema.
    init(name: Identifier, definition: Definition) {
        self.name = name
        self.definition = definition
    }

    /// The declared type of a physical column; `nil` for a computed one.
    var type: SQLType? {
        if case .physical(let type) = definition { return type }
        return nil
    }

    /// The expression of a computed column; `nil` for a physical one.
    var expression: SQLExpression? {
        if case .computed(let expression) = definition { return expression }
        return nil
    }
}

/// `WATERMARK column DELAY 'interval'`: how late events may arrive.
struct Watermark: Hashable, Sendable {
    /// The event-time column (a TIMESTAMP, declared or computed).
    var column: Identifier
    /// The delay as written, e.g. `10 seconds`; already checked by ``parseInterval(_:)``.
    var delay: String
    /// Where the delay string is written.
    @IgnoredInComparison var delayLocation: SourceLocation

    /// A watermark declaration.
    init(column: Identifier, delay: String, delayLocation: SourceLocation = .start) {
        self.column = column
        self.delay = delay
        self.delayLocation = delayLocation
    }

    /// The delay in microseconds (Spark's timestamp unit).
    var delayMicroseconds: Int64? { parseIntervalMicroseconds(delay) }
}
