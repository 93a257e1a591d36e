#if canImport(Glibc)
import Glibc
#endif

/// CAST with Spark's non-ANSI rules: what does not convert becomes NULL, never an error.
enum Cast {
    /// Rejects, at bind time, a CAST involving a STRUCT, ARRAY or MAP that cells does not run:
    /// nested values cast only to STRING (Spark's show() text), to their own type, or from NULL.
    /// Spark also casts field by field between nested types; cells does not yet, and says so.
    static func checkNested(from source: SQLType, to target: SQLType, at location: SourceLocation) throws(SQLError) {
        guard source.isNested || target.isNested, source != target else { return }
        if source.isNested && target == .string { return }
        if source == .null { return }
        throw SQLError("cannot CAST \(source) to \(target)", at: location,
                       hint: source.isNested ? "a nested value casts only to STRING; use to_json() for JSON text"
                                             : "use from_json(text, 'schema') to read nested values from JSON text")
    }

    static func convert(_ input: Column, to target: SQLType) -> Column {
        if input.type == target { return input }
        if case .decimal(let precision, let scale) = target {
            if case .decimal = input.type { return rescaled(input, precision: precision, scale: scale) }
            return toDecimal(input, precision: precision, scale: scale)
        }
        if case .decimal(_, let scale) = input.type, target != .string {
            // To STRING, `text` writes the exact digits ('12.30'); to integers, truncate exactly.
            if target == .int || target == .bigint { return decimalToInteger(input, scale: scale, to: target) }
            return convert(decimalToDouble(input, scale: scale), to: target)
        }
        let n = input.count
        var out = Column(type: target, capacity: n)
        switch (input.data, target.storage) {
        case (.bytes(let strings), .double):
            strings.bytes.withUnsafeBytes { all in
                for i in 0..<n {
                    let r = strings.range(i)
                    if input.isNull(i) { out.appendNull(); continue }
                    guard let d = NumberText.parseDouble(UnsafeRawBufferPointer(rebasing: all[r])) else { out.appendNull(); continue }
                    out.append(target == .float ? Double(Float(d)) : d)
                }
            }
        case (.bytes(let strings), .int64) where target == .int || target == .bigint:
            strings.bytes.withUnsafeBytes { all in
                for i in 0..<n {
                    if input.isNull(i) { out.appendNull(); continue }
                    let parsed = NumberText.parseInteger(UnsafeRawBufferPointer(rebasing: all[strings.range(i)]))
                    guard let v = parsed, target == .bigint || Int64(Int32(truncatingIfNeeded: v)) == v else { out.appendNull(); continue }
                    out.append(v)
                }
            }
        case (.bytes(let strings), .bool):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                switch strings[i].trimmingASCIIWhitespace().lowercased() {
                case "t", "true", "y", "yes", "1": out.append(true)
                case "f", "false", "n", "no", "0": out.append(false)
                default: out.appendNull()
                }
            }
        case (.bytes(let strings), .int64) where target == .date:
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                guard let days = TimeText.parseDate(strings[i]) else { out.appendNull(); continue }
                out.append(days)
            }
        case (.bytes(let strings), .int64) where target == .timestamp:
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                guard let micros = TimeText.parseTimestamp(strings[i].trimmingASCIIWhitespace()) else { out.appendNull(); continue }
                out.append(micros)
            }
        case (_, .bytes):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                out.append(text(input, i))
            }
        case (.int64(let v), .int64) where isTemporal(input.type) || isTemporal(target):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                guard let r = temporal(v[i], from: input.type, to: target) else { out.appendNull(); continue }
                out.append(r)
            }
        case (.int64, .double) where input.type == .date, (.int64, .bool) where input.type == .date,
             (.double, .int64) where target == .date, (.bool, .int64) where target == .date:
            // Spark 3 (non-ANSI) casts between DATE and numbers or booleans to NULL.
            for _ in 0..<n { out.appendNull() }
        case (.int64(let v), .double):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                // A TIMESTAMP becomes seconds since the epoch.
                let d = input.type == .timestamp ? Double(v[i]) / Double(TimeText.microsPerSecond) : Double(v[i])
                out.append(target == .float ? Double(Float(d)) : d)
            }
        case (.double(let v), .int64) where target == .timestamp:
            for i in 0..<n {
                // Seconds since the epoch; NaN and infinities are NULL (Spark's doubleToTimestamp).
                if input.isNull(i) || !v[i].isFinite { out.appendNull(); continue }
                out.append(saturatingInt64(v[i] * Double(TimeText.microsPerSecond)))
            }
        case (.double(let v), .double):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                out.append(target == .float ? Double(Float(v[i])) : v[i])
            }
        case (.double(let v), .int64):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                // Scala's toInt/toLong: truncate toward zero, saturate, NaN is 0.
                let d = v[i]
                out.append(target == .int ? Int64(Int32(clamping: saturatingInt64(d))) : saturatingInt64(d))
            }
        case (.int64(let v), .int64):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                out.append(target == .int ? Int64(Int32(truncatingIfNeeded: v[i])) : v[i])
            }
        case (.bool(let v), .int64):
            for i in 0..<n { input.isNull(i) ? out.appendNull() : out.append(Int64(v[i] ? 1 : 0)) }
        case (.bool(let v), .double):
            for i in 0..<n { input.isNull(i) ? out.appendNull() : out.append(v[i] ? 1.0 : 0.0) }
        case (.int64(let v), .bool):
            for i in 0..<n { input.isNull(i) ? out.appendNull() : out.append(v[i] != 0) }
        case (.double(let v), .bool):
            for i in 0..<n { input.isNull(i) ? out.appendNull() : out.append(v[i] != 0) }
        default:
            for _ in 0..<n { out.appendNull() }
        }
        return out
    }

    /// DECIMAL values are unscaled integers: the nearest DOUBLE of their exact value.
    private static func decimalToDouble(_ input: Column, scale: Int) -> Column {
        guard case .int128(let v) = input.data else { return input }
        return Column(type: .double, data: .double(v.map { DecimalArithmetic.double($0, scale: scale) }), validity: input.validity)
    }

    /// DECIMAL to INT or BIGINT: the integral part, exactly; it wraps to 64 (and for INT 32)
    /// bits as Spark's `Decimal.toLong`/`toInt` do.
    private static func decimalToInteger(_ input: Column, scale: Int, to target: SQLType) -> Column {
        guard case .int128(let v) = input.data else { return input }
        let unit = DecimalArithmetic.powerOfTen(scale)
        let integral = v.map {
            let whole = Int64(truncatingIfNeeded: $0 / unit)
            return target == .int ? Int64(Int32(truncatingIfNeeded: whole)) : whole
        }
        return Column(type: target, data: .int64(integral), validity: input.validity)
    }

    /// DECIMAL to another DECIMAL: rounded HALF_UP to the new scale, NULL past the precision.
    private static func rescaled(_ input: Column, precision: Int, scale: Int) -> Column {
        guard case .int128(let v) = input.data else { return input }
        let from = DecimalArithmetic.scale(of: input.type)
        let bound = DecimalArithmetic.powerOfTen(precision)
        var validity = input.validity
        var out = [Int128](repeating: 0, count: v.count)
        for i in v.indices where !input.isNull(i) {
            if let r = DecimalArithmetic.rescale(v[i], by: scale - from), r > -bound, r < bound { out[i] = r } else { markNull(&validity, i, count: v.count) }
        }
        return Column(type: .decimal(precision: precision, scale: scale), data: .int128(out), validity: validity)
    }

    /// Spark's cast to DECIMAL: the exact decimal value of the input (a DOUBLE's being the text of
    /// `Double.toString`, as `Decimal(d)` reads it), rounded HALF_UP to the scale; NULL when it
    /// does not fit the precision, or does not convert (non-ANSI).
    private static func toDecimal(_ input: Column, precision: Int, scale: Int) -> Column {
        let n = input.count
        if input.type == .int || input.type == .bigint, case .int64(let v) = input.data {
            // Integers scale exactly, without going through text (comparisons with DECIMALs do this per batch).
            let bound = DecimalArithmetic.powerOfTen(precision)
            var validity = input.validity
            var out = [Int128](repeating: 0, count: n)
            for i in 0..<n where !input.isNull(i) {
                if let r = DecimalArithmetic.rescale(Int128(v[i]), by: scale), r > -bound, r < bound { out[i] = r } else { markNull(&validity, i, count: n) }
            }
            return Column(type: .decimal(precision: precision, scale: scale), data: .int128(out), validity: validity)
        }
        var out = Column(type: .decimal(precision: precision, scale: scale), capacity: n)
        for i in 0..<n {
            if input.isNull(i) { out.appendNull(); continue }
            let text: String? = switch input.data {
            case .bytes(let strings): strings[i]
            case .bool(let v): v[i] ? "1" : "0"
            case .double(let v): v[i].isFinite ? JavaDouble.string(v[i]) : nil
            case .int128(let v): DecimalText.format(v[i], scale: DecimalArithmetic.scale(of: input.type))
            case .int64(let v):
                switch input.type {
                case .int, .bigint: String(v[i])
                case .timestamp: JavaDouble.string(Double(v[i]) / Double(TimeText.microsPerSecond))
                default: nil  // DATE: NULL in Spark 3
                }
            }
            if let text, let unscaled = ExactDecimal(text)?.unscaled(precision: precision, scale: scale) {
                out.append(unscaled)
            } else {
                out.appendNull()
            }
        }
        return out
    }

    /// Scala's `Double.toLong`: truncates toward zero, saturates, NaN is 0.
    private static func saturatingInt64(_ d: Double) -> Int64 {
        d.isNaN ? 0 : d >= 9_223_372_036_854_775_808.0 ? .max : d < -9_223_372_036_854_775_808.0 ? .min : Int64(d)
    }

    private static func isTemporal(_ type: SQLType) -> Bool { type == .date || type == .timestamp }

    /// Casts between Int64-stored types where one side is a DATE or TIMESTAMP, as Spark 3
    /// (non-ANSI): TIMESTAMP to DATE floors to the day, DATE to TIMESTAMP is its midnight;
    /// TIMESTAMP to integers is whole seconds (floored), integers to TIMESTAMP are seconds;
    /// DATE from or to numbers is NULL.
    private static func temporal(_ x: Int64, from source: SQLType, to target: SQLType) -> Int64? {
        switch (source, target) {
        case (.timestamp, .date): return TimeText.floorDiv(x, TimeText.microsPerDay)
        case (.date, .timestamp):
            let (micros, overflow) = x.multipliedReportingOverflow(by: TimeText.microsPerDay)
            return overflow ? nil : micros
        case (.timestamp, .bigint): return TimeText.floorDiv(x, TimeText.microsPerSecond)
        case (.timestamp, .int): return Int64(Int32(truncatingIfNeeded: TimeText.floorDiv(x, TimeText.microsPerSecond)))
        case (.int, .timestamp), (.bigint, .timestamp):
            // TimeUnit.SECONDS.toMicros saturates.
            let (micros, overflow) = x.multipliedReportingOverflow(by: TimeText.microsPerSecond)
            return overflow ? (x < 0 ? .min : .max) : micros
        default: return nil
        }
    }

    /// A value as Spark's CAST(x AS STRING) and console output write it.
    static func text(_ column: Column, _ row: Int) -> String {
        switch column.data {
        case .bytes(let v) where column.type.isNested:
            return v.withElement(row) { NestedText.show($0, type: column.type) } ?? "null"
        case .bytes(let v): return v[row]
        case .bool(let v): return v[row] ? "true" : "false"
        case .double(let v): return column.type == .float ? JavaDouble.string(Float(v[row])) : JavaDouble.string(v[row])
        case .int128(let v): return DecimalText.format(v[row], scale: DecimalArithmetic.scale(of: column.type))
        case .int64(let v):
            switch column.type {
            case .timestamp: return TimeText.formatTimestamp(v[row])
            case .date: return TimeText.formatDate(v[row])
            default: return String(v[row])
            }
        }
    }
}
