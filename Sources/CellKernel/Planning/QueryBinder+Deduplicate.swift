/// `FROM name DEDUPLICATE [BY (columns)] [WITHIN WATERMARK]`: our SQL for Spark's
/// `dropDuplicates(columns)` and `dropDuplicatesWithinWatermark(columns)`, which Spark has
/// only in its DataFrame API. Without BY, every column is the key (`dropDuplicates()`).
extension QueryBinder {
    /// `plan` (what the FROM item reads) with its duplicate rows dropped.
    func deduplicated(_ plan: LogicalPlan, _ dedup: Deduplication, item: Identifier) throws(SQLError) -> LogicalPlan {
        if plan.isAggregate {
            // Spark refuses dropDuplicates after a streaming aggregation in update and complete
            // mode; its append-mode form (over closed windows) is not supported here.
            throw SQLError("DEDUPLICATE over an aggregation's result is not supported", at: dedup.location, length: 11,
                           hint: "deduplicate the stream the aggregation reads: FROM tx DEDUPLICATE BY (...) ... GROUP BY ...")
        }
        let fields = plan.schema.fields
        var keys: [Int] = []
        if dedup.columns.isEmpty {
            // Every column `*` shows: a stream's Kafka record fields (each record's own offset)
            // would make every row distinct.
            keys = Self.starColumns(of: plan)
        }
        for column in dedup.columns {
            let matching = fields.indices.filter { column.matches(fields[$0].name) }
            guard let index = matching.first else {
                throw SQLError("'\(column.name)' is not a column of \(item.name)", at: column.location, length: column.name.count,
                               hint: "DEDUPLICATE BY names columns of what FROM reads: \(fields.map(\.name).joined(separator: ", "))")
            }
            guard matching.count == 1 else {
                throw SQLError("'\(column.name)' is ambiguous: \(item.name) has \(matching.count) columns of that name", at: column.location,
                               length: column.name.count, hint: "rename one in a subquery: FROM (SELECT ..., x AS y FROM ...) DEDUPLICATE BY (...)")
            }
            if !keys.contains(index) { keys.append(index) }
        }
        for index in keys where Self.hasMap(fields[index].type) {
            // As Spark: map values have no equality to compare keys by.
            throw SQLError("DEDUPLICATE cannot compare \(fields[index].name) (\(fields[index].type)): maps cannot be compared",
                           at: dedup.location, length: 11, hint: "name the other columns in DEDUPLICATE BY (...)")
        }
        var delay: Int64?
        if dedup.withinWatermark {
            let delays = plan.streams.compactMap { $0.watermark?.delayMicros }
            guard plan.eventTime?.shiftMicros == 0, let longest = delays.max() else {
                throw SQLError("DEDUPLICATE ... WITHIN WATERMARK needs a stream with a WATERMARK (its event time says when a key may be forgotten)",
                               at: dedup.location, length: 11,
                               hint: "add WATERMARK event_time DELAY '10 minutes' to the stream, or leave out WITHIN WATERMARK (the state then keeps every key)")
            }
            // A union of streams keeps its event time only when all agree; the longest delay
            // forgets no key before any of them allows.
            delay = longest
        }
        let spec = DeduplicateSpec(keys: keys, withinWatermarkDelayMicros: delay)
        return LogicalPlan(.deduplicate(spec), [plan], schema: plan.schema, eventTime: plan.eventTime)
    }

    private static func hasMap(_ type: SQLType) -> Bool {
        switch type {
        case .map: true
        case .array(let element): hasMap(element)
        case .struct(let fields): fields.contains { hasMap($0.type) }
        default: false
        }
    }
}
