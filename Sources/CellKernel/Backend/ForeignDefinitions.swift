/// A started view and everything it reads, as definitions another engine re-creates in
/// order: the streams (each over its source), then the views, each query as Spark SQL text
/// over the names defined before it; the started view comes last.
///
/// The local engine runs the bound ``LogicalPlan``; an engine of its own (Spark) binds the
/// same definitions itself, so its errors and its column names are its own, and each
/// definition keeps the notebook place it came from to point the errors back there.
public struct ForeignDefinitions: Sendable {
    /// Where a definition was written: a notebook's file and the statement's position.
    public struct Place: Sendable, Hashable, CustomStringConvertible {
        public var file: String?
        public var location: SourceLocation

        public init(file: String?, location: SourceLocation) {
            self.file = file
            self.location = location
        }

        public var description: String { "\(file.map { "\($0):" } ?? "")\(location)" }
    }

    /// `CREATE STREAM`: a source's records decoded into columns.
    public struct Stream: Sendable {
        /// A column of the stream, as an expression over the decoded record and the source's
        /// own columns (see ``columns``).
        public struct Column: Sendable, Hashable {
            public var name: String
            public var type: SQLType
            /// Spark SQL over the decoding step's columns: for a record field
            /// `` `record`.`name` ``, for a Kafka field `CAST(key AS STRING)`, for a computed
            /// column its expression over the stream's earlier columns.
            public var expression: String
            /// A computed column, evaluated over the columns before it (so it sees them by
            /// name, not the source's raw columns).
            public var isComputed: Bool
        }

        public var name: String
        public var source: SourceDefinition
        /// The record format (`json`).
        public var format: String
        /// The declared record fields (and the corrupt-record column) as Spark's DDL, what
        /// `from_json` takes: `` `name` STRING, `value` DOUBLE ``.
        public var recordDDL: String
        /// `from_json`'s options: `mode`, `columnNameOfCorruptRecord`.
        public var decoderOptions: [String: String]
        /// The stream's columns in order: record fields, computed columns, Kafka fields, the
        /// corrupt-record column.
        public var columns: [Column]
        /// The event-time column and its delay as written (`'1 minute'`).
        public var watermark: (column: String, delay: String)?
        public var place: Place
    }

    /// `CREATE VIEW`: its query as Spark SQL.
    public struct View: Sendable {
        public var name: String
        public var sql: String
        public var place: Place
    }

    public var streams: [Stream]
    /// In dependency order; the started view is last.
    public var views: [View]
}
