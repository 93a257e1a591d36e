/// Spark's corrupt-record handling for a stream's JSON.
enum CorruptRecordMode: String, Sendable, CaseIterable {
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
enum StreamColumnOrigin: Sendable, Hashable {
    case json
    case computed(BoundExpression)
    case kafka(KafkaField)
    case corruptRecord
}

/// The Kafka record fields every Kafka stream keeps queryable, with Spark's names and types.
enum KafkaField: String, Sendable, CaseIterable {
    case key, value, topic, partition, offset, timestamp, timestampType

    var type: SQLType {
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
    struct Column: Sendable, Hashable {
        var name: String
        var type: SQLType
        var origin: StreamColumnOrigin
    }

    public var name: String
    var sourceName: String
    /// Declared and computed columns, then the Kafka fields (for Kafka sources), then the
    /// corrupt-record column if named. Computed columns refer to earlier columns by index.
    var columns: [Column]
    var watermark: EventTimeWatermark?
    var mode: CorruptRecordMode

    var schema: Schema { Schema(columns.map { Schema.Field(name: $0.name, type: $0.type) }) }

    func index(of name: String) -> Int? { schema.index(of: name) }
}
