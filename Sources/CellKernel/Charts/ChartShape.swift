/// Which of a batch's columns a chart draws, labels with, and draws over, by their types.
struct ChartShape {
    /// Columns of numbers (INT, BIGINT, FLOAT, DOUBLE, DECIMAL): what bars and lines show.
    var numeric: [Int]
    /// The rest, whose texts label a row (a bar chart's row label, a line chart's series).
    var labels: [Int]
    /// What a line chart draws over: the first window (a STRUCT with a TIMESTAMP `start`),
    /// else the first TIMESTAMP column.
    var time: TimeAxis?

    /// Where a row's time is: a column, or a field of a window struct (with its `end`, which
    /// tells adjacent windows from a gap between them).
    struct TimeAxis {
        var column: Int
        var start: Int?
        var end: Int?
    }

    init(types: [SQLType]) {
        numeric = types.indices.filter { types[$0].isNumeric }
        labels = types.indices.filter { !types[$0].isNumeric }
        time = nil
        for (index, type) in types.enumerated() {
            guard case .struct(let fields) = type else { continue }
            if let start = Self.field("start", of: fields) {
                time = TimeAxis(column: index, start: start, end: Self.field("end", of: fields))
                return
            }
        }
        if let index = types.firstIndex(of: .timestamp) { time = TimeAxis(column: index) }
    }

    private static func field(_ name: String, of fields: [StructField]) -> Int? {
        fields.firstIndex { $0.type == .timestamp && $0.name.caseInsensitiveCompare(name) }
    }
}

/// Reading a chart's numbers and texts out of columns, whatever they hold.
enum ChartValues {
    /// Row `row` of a numeric column as a Double; nil for NULL (and for a column that is not
    /// numeric). Int64.min and DECIMAL(38) values become the nearest Double, never a trap.
    static func number(_ column: Column, _ row: Int) -> Double? {
        guard row < column.count, !column.isNull(row) else { return nil }
        switch column.data {
        case .int64(let v): return column.type.isNumeric ? Double(v[row]) : nil
        case .double(let v): return v[row]
        case .int128(let v):
            // One division by the power of ten (exact up to 10^22): one rounding, not one a digit.
            var divisor = 1.0
            for _ in 0..<DecimalArithmetic.scale(of: column.type) { divisor *= 10 }
            return Double(v[row]) / divisor
        case .bool, .bytes: return nil
        }
    }

    /// Row `row` as a label: a window as its start, NULL as `NULL`, control characters
    /// (a newline, an escape) as `?` so that a label stays on its line and cannot move the cursor.
    static func label(_ column: Column, _ row: Int) -> String {
        guard row < column.count else { return "" }
        if column.isNull(row) { return "NULL" }
        if let start = windowStart(column, row) { return TimeText.formatTimestamp(start) }
        let text = Cast.text(column, row)
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    }

    /// The start of a window struct's row, if the column is one.
    private static func windowStart(_ column: Column, _ row: Int) -> Int64? {
        guard case .struct = column.type, let axis = ChartShape(types: [column.type]).time, axis.start != nil else { return nil }
        return time(column, row, axis: axis)?.start
    }

    /// Row `row`'s time on `axis` (µs), with its window's end when it has one; nil for NULL.
    static func time(_ column: Column, _ row: Int, axis: ChartShape.TimeAxis) -> (start: Int64, end: Int64?)? {
        guard row < column.count, !column.isNull(row) else { return nil }
        guard let startField = axis.start else {
            if case .int64(let v) = column.data { return (v[row], nil) }
            return nil
        }
        guard case .struct(let fields) = column.type, case .structure(let values) = column.value(at: row),
              values.count == fields.count, case .int(let start) = values[startField] else { return nil }
        if let endField = axis.end, case .int(let end) = values[endField] { return (start, end) }
        return (start, nil)
    }

    /// A number as a chart prints it: integers whole, others to two decimals (trailing zeros
    /// dropped), very large or very small magnitudes in Java's `1.0E308` form.
    static func text(_ value: Double) -> String {
        guard value.isFinite else { return JavaDouble.string(value) }
        let magnitude = value.magnitude
        if magnitude >= 1e15 || (magnitude < 0.005 && magnitude != 0) { return JavaDouble.string(value) }
        let hundredths = Int64((magnitude * 100).rounded())
        if hundredths == 0 { return "0" }
        let whole = String(hundredths / 100)
        let cents = hundredths % 100
        let fraction = cents == 0 ? "" : cents % 10 == 0 ? ".\(cents / 10)" : cents < 10 ? ".0\(cents)" : ".\(cents)"
        return (value < 0 ? "-" : "") + whole + fraction
    }

    /// Row `row` of a numeric column as a chart prints it: integers exactly (Int64.min too).
    static func text(_ column: Column, _ row: Int) -> String {
        guard row < column.count, !column.isNull(row) else { return "NULL" }
        if case .int64(let v) = column.data { return String(v[row]) }
        return number(column, row).map(text) ?? "NULL"
    }
}
