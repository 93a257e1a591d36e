/// Spark's corrupt-record handling for a stream's JSON.
public enum CorruptRecordMode: String, Sendable, CaseIterable {
    /// Keep the record: fields that could not be read are NULL, and the raw text goes to the
    /// corrupt-record column if the schema has one.
    case permissive = "PERMISSIVE"
    /// Drop the record (and count it).
    case dropMalformed = "DROPMALFORMED"
    /// Stop the query with an error naming the record.
    case failFast = "FAILFAST"
}

/// A column a stream offers: decoded from the JSON value, computed from other columns, one of
/// the Kafka record's own fields, or the corrupt-record column.
public enum StreamColumnOrigin: Sendable, Hashable {
    case json
    case computed(BoundExpression)
    case kafka(KafkaField)
    case corruptRecord
}

/// The Kafka record fields every Kafka stream keeps queryable, with Spark's names and types.
public enum KafkaField: String, Sendable, CaseIterable {
    case key, value, topic, partition, offset, timestamp, timestampType

    public var type: SQLType {
        switch self {
        case .key, .value, .topic: .string
        case .partition, .timestampType: .int
        case .offset: .bigint
        case .timestamp: .timestamp
        }
    }
}

/// A stream as the catalog keeps it: its source, its columns, its JSON rules.
public struct StreamDefinition: Sendable {
    public struct Column: Sendable, Hashable {
        public internal(set) var name: String
        public internal(set) var type: SQLType
        public internal(set) var origin: StreamColumnOrigin
    }

    public var name: String
    public internal(set) var sourceName: String
    /// Declared and computed columns, then the Kafka fields (for Kafka sources), then the
    /// corrupt-record column if named. Computed columns refer to earlier columns by index.
    public internal(set) var columns: [Column]
    public internal(set) var watermark: EventTimeWatermark?
    public internal(set) var mode: CorruptRecordMode

    public var schema: Schema { Schema(columns.map { Schema.Field(name: $0.name, type: $0.type) }) }

    func index(of name: String) -> Int? { schema.index(of: name) }
}
