extension FunctionRegistry {
    static let timeFunctions: [FunctionEntry] = [
        .scalar("to_timestamp", arity: 1...2) { (args) throws(SQLError) in
            let pattern = args.count > 1 ? try args.constantText(1) : nil
            // to_timestamp(number) is CAST(number AS TIMESTAMP): seconds since the epoch, saturating.
            if pattern == nil, args[0].type.isNumeric { return TypeCoercion.cast(args[0], to: .timestamp) }
            return .call(.row(.toTimestamp(pattern: pattern)), [timeInput(args)], .timestamp)
        },
        .scalar("to_date", arity: 1...2) { (args) throws(SQLError) in
            let pattern = args.count > 1 ? try args.constantText(1) : nil
            return .call(.row(.toDate(pattern: pattern)), [timeInput(args)], .date)
        },
        .scalar("date_format", arity: 2...2) { (args) throws(SQLError) in
            let pattern = try args.constantText(1)
            return .call(.row(.dateFormat(pattern: pattern)), [try args.temporal(0)], .string)
        },
        datePart("year", kernel: .year),
        datePart("month", kernel: .month),
        datePart("day", "dayofmonth", kernel: .day),
        datePart("hour", kernel: .hour),
        datePart("minute", kernel: .minute),
        datePart("second", kernel: .second),
        FunctionEntry(names: ["window"], kind: .groupingWindow),
    ]

    /// One INT field of a TIMESTAMP or DATE (or text read as a TIMESTAMP).
    private static func datePart(_ names: String..., kernel: RowFunction) -> FunctionEntry {
        FunctionEntry(names: names, kind: .scalar(arity: 1...1) { (args) throws(SQLError) in .call(.row(kernel), [try args.temporal(0)], .int) })
    }

    /// What to_timestamp and to_date parse: a TIMESTAMP or DATE as is, anything else as text.
    private static func timeInput(_ args: FunctionArguments) -> BoundExpression {
        args[0].type == .timestamp || args[0].type == .date ? args[0] : args.string(0)
    }
}
