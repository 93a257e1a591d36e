/// Turns `CREATE STREAM` into a ``StreamDefinition``: declared JSON fields, computed columns
/// bound in order, the Kafka record fields (for Kafka sources), the corrupt-record column,
/// and the watermark.
struct StreamPlanner {
    func plan(_ create: CreateStream, sourceIsKafka: Bool) throws(SQLError) -> StreamDefinition {
        guard create.format.name.lowercased() == "json" else {
            throw SQLError("only FORMAT json is supported, not \(create.format.name)", at: create.format.location)
        }
        var mode = CorruptRecordMode.permissive
        var corruptName: String?
        for option in create.options {
            switch option.key.lowercased() {
            case "mode":
                guard let parsed = CorruptRecordMode(rawValue: option.value.uppercased()) else {
                    throw SQLError("mode must be PERMISSIVE, DROPMALFORMED or FAILFAST, not '\(option.value)'", at: option.valueLocation)
                }
                mode = parsed
            case "columnnameofcorruptrecord":
                corruptName = option.value
            default:
                throw SQLError("unknown stream option '\(option.key)'", at: option.keyLocation,
                               hint: "stream options are 'mode' and 'columnNameOfCorruptRecord'")
            }
        }
        var seen = Set<String>()
        for column in create.columns where !seen.insert(column.name.name.lowercased()).inserted {
            throw SQLError("column '\(column.name.name)' is declared twice", at: column.name.location)
        }
        // The layout first (computed types come later), so computed columns can name Kafka fields.
        var columns: [StreamDefinition.Column] = create.columns.map { column in
            if corruptName.map({ column.name.name.caseInsensitiveCompare($0) }) == true || (corruptName == nil && column.name.name == "_corrupt_record") {
                return .init(name: column.name.name, type: .string, origin: .corruptRecord)
            }
            return .init(name: column.name.name, type: column.type ?? .null, origin: .json)
        }
        if let corruptName, !columns.contains(where: { $0.origin == .corruptRecord }) {
            columns.append(.init(name: corruptName, type: .string, origin: .corruptRecord))
        }
        if sourceIsKafka {
            for field in KafkaField.allCases where !seen.contains(field.rawValue.lowercased()) {
                columns.append(.init(name: field.rawValue, type: field.type, origin: .kafka(field)))
            }
        }
        for (index, column) in create.columns.enumerated() {
            guard let expression = column.expression else { continue }
            // A computed column sees the columns declared before it and the Kafka fields.
            let visible = columns.enumerated().map { i, c in
                Binder.Column(name: (i < index || c.origin != .json) && c.type != .null ? c.name : "\u{0}", type: c.type)
            }
            let bound = try Binder(columns: visible).bind(expression)
            columns[index] = .init(name: column.name.name, type: bound.type == .null ? .string : bound.type, origin: .computed(bound))
        }
        var watermark: EventTimeWatermark?
        if let mark = create.watermark {
            guard let index = columns.firstIndex(where: { $0.name.caseInsensitiveCompare(mark.column.name) }) else {
                throw SQLError("unknown column '\(mark.column.name)' in WATERMARK", at: mark.column.location)
            }
            guard columns[index].type == .timestamp else {
                throw SQLError("the watermark column must be a TIMESTAMP, but \(mark.column.name) is \(columns[index].type)",
                               at: mark.column.location,
                               hint: "declare it TIMESTAMP, or compute one: event_time AS to_timestamp(...)")
            }
            guard let delay = mark.delayMicroseconds, delay >= 0 else {
                throw SQLError("'\(mark.delay)' is not a delay such as '10 seconds'", at: mark.delayLocation)
            }
            watermark = EventTimeWatermark(column: index, delayMicros: delay)
        }
        return StreamDefinition(name: create.name.name, sourceName: create.source.name, columns: columns,
                                watermark: watermark, mode: mode)
    }
}
