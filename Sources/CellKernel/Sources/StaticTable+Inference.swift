/// Spark's CSV `inferSchema`, per column over every row: each non-NULL value's narrowest type,
/// widened across rows as Spark merges them.
///
/// The ladder: INT (fits 32 bits) → BIGINT → DOUBLE; DATE (a date alone, as Spark 3.5 with
/// `inferDate`; deliberately on by default here) → TIMESTAMP; BOOLEAN (`true`/`false`); then
/// STRING. Numbers widen among themselves, DATE with TIMESTAMP gives TIMESTAMP, any other mix
/// gives STRING. Spark's DECIMAL step (`prefersDecimal`, off by default) is left out. A column
/// with no value at all is STRING (Spark's NullType becomes StringType).
///
/// Each test accepts only text the later CAST converts, so an inferred column has no bad rows.
enum CSVTypeInference {
    /// The type a column of raw STRING fields reads as.
    static func infer(_ column: Column) -> SQLType {
        guard case .bytes(let strings) = column.data else { return column.type }
        var type: SQLType?  // nil: no value seen yet
        strings.bytes.withUnsafeBytes { all in
            for row in 0..<column.count where !column.isNull(row) {
                let field = UnsafeRawBufferPointer(rebasing: all[strings.range(row)])
                let here = narrowest(field, atLeast: type)
                type = type.map { merge($0, here) } ?? here
                if type == .string { return }
            }
        }
        return type ?? .string
    }

    /// The narrowest type `text` reads as, not trying types below `floor` (once a column is
    /// DOUBLE, an integer test is wasted work).
    static func narrowest(_ text: UnsafeRawBufferPointer, atLeast floor: SQLType?) -> SQLType {
        let numericFloor = floor == .double ? 2 : floor == .bigint ? 1 : 0
        if floor == nil || floor!.isNumeric {
            if numericFloor < 2, let v = strictInteger(text) {
                return numericFloor == 0 && Int64(Int32(truncatingIfNeeded: v)) == v ? .int : .bigint
            }
            if looksNumeric(text), NumberText.parseDouble(text) != nil { return .double }
        }
        let string = String(decoding: text, as: UTF8.self)
        if floor == nil || floor == .date || floor == .timestamp {
            let trimmed = string.trimmingASCIIWhitespace()
            if floor != .timestamp, !trimmed.utf8.contains(where: { $0 == 0x20 || $0 == 0x54 }), TimeText.parseDate(trimmed) != nil {
                return .date
            }
            if trimmed.utf8.count >= 10, TimeText.parseTimestamp(trimmed) != nil { return .timestamp }
        }
        let lower = string.lowercased()
        if lower == "true" || lower == "false" { return .boolean }
        return .string
    }

    /// Spark merges two inferred types into the one both read as.
    static func merge(_ a: SQLType, _ b: SQLType) -> SQLType {
        if a == b { return a }
        if a.isNumeric && b.isNumeric { return a == .double || b == .double ? .double : .bigint }
        if (a == .date && b == .timestamp) || (a == .timestamp && b == .date) { return .timestamp }
        return .string
    }

    /// `[+-]digits` and nothing else (Scala's `toInt`/`toLong`, which inference uses; CAST
    /// would also take `1.5`), nil when it overflows 64 bits.
    static func strictInteger(_ text: UnsafeRawBufferPointer) -> Int64? {
        var i = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative || text.first == UInt8(ascii: "+") { i = 1 }
        guard i < text.count else { return nil }
        var value: Int64 = 0
        while i < text.count {
            let d = text[i] &- 0x30
            guard d <= 9 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            guard !o1 && !o2 else { return nil }
            value = s
            i += 1
        }
        return value
    }

    /// A cheap first check that spares strtod words and dates: a Java double starts with a
    /// digit, a sign, a point, or is `NaN`/`Infinity`.
    static func looksNumeric(_ text: UnsafeRawBufferPointer) -> Bool {
        guard let first = text.first(where: { $0 > 0x20 }) else { return false }
        return (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
            || first == UInt8(ascii: ".") || first == UInt8(ascii: "N") || first == UInt8(ascii: "I")
            || first == UInt8(ascii: "n") || first == UInt8(ascii: "i")
    }
}
