/// Column loops for the row functions queries put on every input row: `substring` of a card
/// number, `trim`, `LIKE` in a filter, `hour(event_time)` in a grouping, `round(amount, 2)`.
///
/// Row-at-a-time evaluation boxes every argument and goes through `String` for text, half a
/// microsecond to a microsecond and a half per row: more than decoding the whole JSON line.
/// A kernel reads the column's bytes or numbers in place and handles the rows whose answer it
/// can give exactly as the row path would: text that is all ASCII (where code points are
/// bytes and `String` repairs nothing), and for `round`, values whose decimal text cannot sit
/// on a rounding tie. Any other row returns false and goes the row path, so results never
/// depend on which way a row went (`RowFunctionKernelTests` holds both to the same answers).
struct RowKernel {
    private enum Loop {
        case substring(ByteVector, positions: [Int64], lengths: [Int64]?)
        case trim(ByteVector, leading: Bool, trailing: Bool)
        case like(ByteVector, LikePattern)
        case datePart([Int64], RowFunction, isDate: Bool)
        case round([Double], scale: Int)
    }

    private let loop: Loop
    /// False where any argument is NULL (and so is the result); empty when none is.
    private let valid: [Bool]

    /// The kernel for `function` over `inputs`, nil when the row path must take every row.
    init?(_ function: RowFunction, _ inputs: [Column], type: SQLType) {
        func strings(_ i: Int) -> ByteVector? { if i < inputs.count, case .bytes(let v) = inputs[i].data { v } else { nil } }
        func integers(_ i: Int) -> [Int64]? { if i < inputs.count, case .int64(let v) = inputs[i].data { v } else { nil } }
        switch function {
        case .substring where type == .string && inputs.count <= 3:
            guard let text = strings(0), let positions = integers(1) else { return nil }
            let lengths = integers(2)
            guard inputs.count == 2 || lengths != nil else { return nil }
            loop = .substring(text, positions: positions, lengths: lengths)
        case .trim, .ltrim, .rtrim:
            guard let text = strings(0), type == .string else { return nil }
            loop = .trim(text, leading: function != .rtrim, trailing: function != .ltrim)
        case .like(let pattern):
            let compiled = LikePattern(pattern)
            guard let text = strings(0), type == .boolean, compiled.isASCII else { return nil }
            loop = .like(text, compiled)
        case .year, .month, .day, .hour, .minute, .second:
            guard let values = integers(0), inputs[0].type == .timestamp || inputs[0].type == .date,
                  type.storage == .int64 else { return nil }
            loop = .datePart(values, function, isDate: inputs[0].type == .date)
        case .round(let scale):
            guard inputs.count == 1, inputs[0].type == .double, type == .double,
                  (0...Self.largestRoundingScale).contains(scale), case .double(let values) = inputs[0].data else { return nil }
            loop = .round(values, scale: scale)
        default:
            return nil
        }
        valid = combinedValidity(inputs)
    }

    /// Appends the results of rows `0..<count` to `out`, calling `otherwise` for each row the
    /// row path must evaluate (it appends that row's result). One dispatch per batch: the
    /// loops read the columns through pointers, with no reference counting per row.
    func run(_ count: Int, into out: inout Column, otherwise: (Int, inout Column) -> Void) {
        valid.withUnsafeBufferPointer { valid in
            func isNull(_ row: Int) -> Bool { valid.count > 0 && !valid[row] }
            switch loop {
            case .substring(let text, let positions, let lengths):
                Self.forEachText(text, count) { row, element in
                    if isNull(row) { out.appendNull(); return }
                    guard Self.isASCII(element) else { return otherwise(row, &out) }
                    let window = Self.substringWindow(count: element.count, position: positions[row], length: lengths?[row])
                    out.append(bytes: UnsafeRawBufferPointer(rebasing: element[window]))
                }
            case .trim(let text, let leading, let trailing):
                Self.forEachText(text, count) { row, element in
                    if isNull(row) { out.appendNull(); return }
                    guard Self.isASCII(element) else { return otherwise(row, &out) }
                    var lower = 0, upper = element.count
                    if leading { while lower < upper && element[lower] == 0x20 { lower += 1 } }
                    if trailing { while upper > lower && element[upper - 1] == 0x20 { upper -= 1 } }
                    out.append(bytes: UnsafeRawBufferPointer(rebasing: element[lower..<upper]))
                }
            case .like(let text, let pattern):
                Self.forEachText(text, count) { row, element in
                    if isNull(row) { out.appendNull(); return }
                    guard Self.isASCII(element) else { return otherwise(row, &out) }
                    out.append(pattern.matches(ascii: element))
                }
            case .datePart(let values, let part, let isDate):
                for row in 0..<count {
                    if isNull(row) { out.appendNull(); continue }
                    out.append(Self.datePart(part, values[row], isDate: isDate))
                }
            case .round(let values, let scale):
                for row in 0..<count {
                    if isNull(row) { out.appendNull(); continue }
                    guard let rounded = Self.roundHalfUp(values[row], scale: scale) else { otherwise(row, &out); continue }
                    out.append(rounded)
                }
            }
        }
    }

    /// Calls `body` with each of the first `count` elements of `text`, in place.
    @inline(__always)
    private static func forEachText(_ text: ByteVector, _ count: Int, _ body: (Int, UnsafeRawBufferPointer) -> Void) {
        text.bytes.withUnsafeBytes { bytes in
            text.offsets.withUnsafeBufferPointer { offsets in
                for row in 0..<count {
                    body(row, UnsafeRawBufferPointer(rebasing: bytes[Int(offsets[row])..<Int(offsets[row + 1])]))
                }
            }
        }
    }

    /// Whether every byte is below 0x80, eight at a time.
    @inline(__always)
    static func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0, high: UInt64 = 0
        while i + 8 <= bytes.count {
            high |= bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < bytes.count {
            high |= UInt64(bytes[i])
            i += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Spark's substring window over `count` characters: 1-based, 0 acting as 1, a negative
    /// position counting from the end; positions and lengths are INTs (wider ones wrap).
    static func substringWindow(count: Int, position: Int64, length: Int64?) -> Range<Int> {
        let p = Int(Int32(truncatingIfNeeded: position))
        let length = length.map { Int(Int32(truncatingIfNeeded: $0)) } ?? Int(Int32.max)
        var start = p > 0 ? p - 1 : (p == 0 ? 0 : count + p)
        var end = length < 0 ? start : start + length
        start = max(0, start)
        end = min(count, max(end, start))
        return start < count ? start..<end : 0..<0
    }

    /// `year(x)` … `second(x)` of a TIMESTAMP's microseconds or a DATE's days.
    static func datePart(_ part: RowFunction, _ value: Int64, isDate: Bool) -> Int64 {
        // A DATE's parts come from its days, so dates beyond the TIMESTAMP range still have them.
        let seconds = isDate ? 0 : TimeText.floorMod(value, TimeText.microsPerDay) / TimeText.microsPerSecond
        switch part {
        case .hour: return seconds / 3600
        case .minute: return seconds / 60 % 60
        case .second: return seconds % 60
        default:
            let (y, m, d) = TimeText.civil(days: isDate ? value : TimeText.floorDiv(value, TimeText.microsPerDay))
            return part == .year ? y : part == .month ? m : d
        }
    }

    /// Scales up to which ``roundHalfUp(_:scale:)`` answers (10^15 and below are exact doubles).
    static let largestRoundingScale = 15

    /// `round(d, scale)` as Spark computes it, HALF_UP on `d`'s decimal text, without the text,
    /// or nil where the arithmetic cannot be sure of matching it.
    ///
    /// The text is within half a unit in the last place of `d` (it reads back as `d`), and
    /// `d * 10^scale` is within half a unit of the exact product, so the scaled text is within
    /// two units of `y`. Unless `y` is that close to a tie (…5 in the first dropped digit), both
    /// round to the same integer `r`; `r / 10^scale` is then the double nearest the rounded
    /// decimal, as parsing its text would give, both being correctly rounded.
    @inline(__always)
    static func roundHalfUp(_ d: Double, scale: Int) -> Double? {
        let factor = powersOfTen[scale]
        let y = d * factor
        // 2^40: well inside the integers doubles hold exactly, with fraction bits to spare.
        guard y.magnitude < 1_099_511_627_776 else { return nil }
        let whole = y.rounded(.towardZero)
        let fraction = (y - whole).magnitude
        guard (fraction - 0.5).magnitude > 16 * y.ulp else { return nil }
        let r = fraction > 0.5 ? whole + (y < 0 ? -1 : 1) : whole
        // Spark's result of a zero is 0.0 whatever the sign went in.
        return r == 0 ? 0 : r / factor
    }

    private static let powersOfTen: [Double] = (0...largestRoundingScale).map { scale in
        (0..<scale).reduce(1.0) { value, _ in value * 10 }
    }
}
