#if canImport(Glibc)
import Glibc
#endif

/// CAST with Spark's non-ANSI rules: what does not convert becomes NULL, never an error.
enum Cast {
    static func convert(_ input: Column, to target: SQLType) -> Column {
        if input.type == target { return input }
        if case .decimal(_, let scale) = input.type { return convert(decimalToDouble(input, scale: scale), to: target) }
        if case .decimal(_, let scale) = target { return doubleToDecimal(convert(input, to: .double), type: target, scale: scale) }
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
        case (.bytes(let strings), .int64) where target == .timestamp || target == .date:
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                guard let micros = TimeText.parseTimestamp(strings[i].trimmingASCIIWhitespace()) else { out.appendNull(); continue }
                out.append(target == .date ? TimeText.floorDiv(micros, TimeText.microsPerDay) : micros)
            }
        case (_, .bytes):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                out.append(text(input, i))
            }
        case (.int64(let v), .double):
            for i in 0..<n {
                if input.isNull(i) { out.appendNull(); continue }
                out.append(target == .float ? Double(Float(v[i])) : Double(v[i]))
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
                let limit: (Double, Int64, Int64) = target == .int
                    ? (2_147_483_648.0, Int64(Int32.min), Int64(Int32.max))
                    : (9_223_372_036_854_775_808.0, Int64.min, Int64.max)
                out.append(d.isNaN ? 0 : d >= limit.0 ? limit.2 : d < -limit.0 ? limit.1 : Int64(d))
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

    /// DECIMAL values are unscaled integers: divide out the scale.
    private static func decimalToDouble(_ input: Column, scale: Int) -> Column {
        guard case .int64(let v) = input.data else { return input }
        let unit = pow(10.0, Double(scale))
        return Column(type: .double, data: .double(v.map { Double($0) / unit }), validity: input.validity)
    }

    /// Rounds HALF_UP to the scale; values beyond the precision become NULL (non-ANSI).
    private static func doubleToDecimal(_ input: Column, type: SQLType, scale: Int) -> Column {
        guard case .double(let v) = input.data, case .decimal(let precision, _) = type else { return input }
        var out = Column(type: type, capacity: v.count)
        let unit = pow(10.0, Double(scale)), limit = pow(10.0, Double(precision))
        for i in v.indices {
            let scaled = (v[i] * unit).rounded(.toNearestOrAwayFromZero)
            if input.isNull(i) || !scaled.isFinite || Swift.abs(scaled) >= limit { out.appendNull() } else { out.append(Int64(scaled)) }
        }
        return out
    }

    /// A value as Spark's CAST(x AS STRING) and console output write it.
    static func text(_ column: Column, _ row: Int) -> String {
        switch column.data {
        case .bytes(let v): return v[row]
        case .bool(let v): return v[row] ? "true" : "false"
        case .double(let v): return column.type == .float ? JavaNumberText.float(Float(v[row])) : JavaNumberText.double(v[row])
        case .int64(let v):
            switch column.type {
            case .timestamp: return TimeText.formatTimestamp(v[row])
            case .date: return TimeText.formatDate(v[row])
            case .decimal(_, let scale): return DecimalText.format(v[row], scale: scale)
            default: return String(v[row])
            }
        }
    }
}

extension String {
    /// Spark trims characters up to U+0020 (spaces and control characters) before casting.
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        guard let first = bytes.firstIndex(where: { $0 > 0x20 }), let last = bytes.lastIndex(where: { $0 > 0x20 }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }
}
