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
        public var name: String
        public var type: SQLType
        public var origin: StreamColumnOrigin
    }

    public var name: String
    public var sourceName: String
    /// Declared and computed columns, then the Kafka fields (for Kafka sources), then the
    /// corrupt-record column if named. Computed columns refer to earlier columns by index.
    public var columns: [Column]
    public var watermark: EventTimeWatermark?
    public var mode: CorruptRecordMode

    public var schema: Schema { Schema(columns.map { Schema.Field(name: $0.name, type: $0.type) }) }

    public func index(of name: String) -> Int? { schema.index(of: name) }
}

/// `WATERMARK column DELAY 'interval'`.
public struct EventTimeWatermark: Sendable, Hashable {
    /// Index of the event-time column in the stream's columns.
    public var column: Int
    public var delayMicros: Int64
}

/// Spark's `window(timeColumn, size[, slide])`.
public struct WindowSpec: Sendable, Hashable {
    /// The event time, over the scan's columns.
    public var time: BoundExpression
    public var sizeMicros: Int64
    public var slideMicros: Int64
    public var startMicros: Int64 = 0
}

/// When a started query runs its micro-batches.
public enum TriggerPolicy: Sendable, Hashable, CustomStringConvertible {
    /// A micro-batch every interval (or as soon as the previous one ends, if later); empty
    /// batches are skipped.
    case processingTime(micros: Int64)
    /// One micro-batch of what is available, then stop.
    case once
    /// Everything available now, in as many micro-batches as the source's limits need, then stop.
    case availableNow

    public var description: String {
        switch self {
        case .processingTime(let micros): "every \(Double(micros) / 1e6) s"
        case .once: "once"
        case .availableNow: "available now"
        }
    }
}

/// One ORDER BY key, over the query's output columns.
public struct SortKey: Sendable, Hashable {
    public var column: Int
    public var ascending: Bool
    public var nullsFirst: Bool
}

/// How a view's rows come out of its stream: resolved, typed, and split into the stages the
/// micro-batch loop runs, in order.
public struct QueryPlan: Sendable {
    public var view: String
    public var stream: StreamDefinition
    /// The stream columns this query reads, in scan order: the scan decodes only these.
    public var scanColumns: [Int]
    /// WHERE, over the scan's columns.
    public var filter: BoundExpression?
    /// A window in GROUP BY: its start becomes one more column after the scan's, and each
    /// row is copied into every window that holds it.
    public var window: WindowSpec?
    /// GROUP BY keys and aggregates, over the scan's columns (plus the window start).
    public var keys: [BoundExpression]
    public var aggregates: [AggregateSpec]
    public var isAggregate: Bool
    /// HAVING, over keys then aggregates.
    public var having: BoundExpression?
    /// The select list, over keys then aggregates (aggregating) or the scan's columns.
    public var projection: [BoundExpression]
    public var outputSchema: Schema
    public var orderBy: [SortKey]
    public var limit: Int?
    /// The event-time column of the scan, and its delay, when the stream has a watermark
    /// this query can use.
    public var watermark: (scanColumn: Int, delayMicros: Int64)?
    /// Which key holds the window start (for state eviction and append mode).
    public var windowKey: Int?
}
