/// Reads a Spark interval string, as used for windows, watermark delays and triggers.
///
/// Accepts one or more `<number> <unit>` pairs, optionally after the word `interval`:
/// `'5 seconds'`, `'1 minute'`, `'500 milliseconds'`, `'1 minute 30 seconds'`,
/// `'interval 1 hour'`, `'1.5 seconds'`. Units are Spark's, singular or plural and in any
/// case: microsecond, millisecond, second, minute, hour, day, week. Months and years are
/// rejected: they have no fixed length, and Spark rejects them for streaming durations too.
///
/// - Returns: the interval, or `nil` if the text is not one.
func parseInterval(_ text: String) -> Duration? {
    parseIntervalMicroseconds(text).map { .microseconds($0) }
}

/// ``parseInterval(_:)`` in microseconds, the unit of Spark's (and cells') timestamps.
/// Fractions below a microsecond are dropped.
func parseIntervalMicroseconds(_ text: String) -> Int64? {
    var words = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
    if words.first == "interval" { words.removeFirst() }
    guard !words.isEmpty, words.count.isMultiple(of: 2) else { return nil }
    var total: Int64 = 0
    for pair in stride(from: 0, to: words.count, by: 2) {
        guard let unit = intervalUnitMicroseconds(words[pair + 1]),
            let amount = intervalAmount(words[pair], unit: unit)
        else { return nil }
        let (sum, overflow) = total.addingReportingOverflow(amount)
        guard !overflow else { return nil }
        total = sum
    }
    return total
}

private func intervalUnitMicroseconds(_ word: String) -> Int64? {
    let singular = word.hasSuffix("s") ? String(word.dropLast()) : word
    switch singular {
    case "microsecond": return 1
    case "millisecond": return 1_000
    case "second": return 1_000_000
    case "minute": return 60_000_000
    case "hour": return 3_600_000_000
    case "day": return 86_400_000_000
    case "week": return 604_800_000_000
    default: return nil
    }
}

/// `number × unit` in microseconds, for a number like `5`, `-2` or `1.25`, exactly (integer
/// arithmetic) so that `0.1 seconds` is 100000 µs, not 99999.
private func intervalAmount(_ word: String, unit: Int64) -> Int64? {
    var digits = Substring(word)
    var sign: Int64 = 1
    if digits.first == "-" || digits.first == "+" {
        if digits.first == "-" { sign = -1 }
        digits = digits.dropFirst()
    }
    let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let whole = parts[0]
    let fraction = parts.count > 1 ? parts[1].prefix(12) : ""
    guard !(whole.isEmpty && fraction.isEmpty),
        (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber }),
        let wholeValue = whole.isEmpty ? 0 : Int64(whole)
    else { return nil }
    let (wholeMicros, overflow) = wholeValue.multipliedReportingOverflow(by: unit)
    guard !overflow else { return nil }
    var fractionMicros: Int64 = 0
    if !fraction.isEmpty, let fractionValue = Int64(fraction) {
        // fraction / 10^n of a unit, computed as (fraction × unit) / 10^n, in 128 bits.
        var scale: Int64 = 1
        for _ in 0..<fraction.count { scale *= 10 }
        let product = fractionValue.multipliedFullWidth(by: unit)
        let (quotient, _) = scale.dividingFullWidth(product)
        fractionMicros = quotient
    }
    let (sum, overflowSum) = wholeMicros.addingReportingOverflow(fractionMicros)
    guard !overflowSum else { return nil }
    return sign * sum
}

/// Whether `text` has the form of an interval whose length does not fit in 64 bits of
/// microseconds (more than about 106751991 days): to say so instead of "not an interval".
func intervalExceedsRange(_ text: String) -> Bool {
    var words = text.split(whereSeparator: \.isWhitespace).map { $0.lowercased() }
    if words.first == "interval" { words.removeFirst() }
    guard !words.isEmpty, words.count.isMultiple(of: 2) else { return false }
    var total = 0.0
    for pair in stride(from: 0, to: words.count, by: 2) {
        guard let unit = intervalUnitMicroseconds(words[pair + 1]), let amount = Double(words[pair]), amount.isFinite else { return false }
        total += amount * Double(unit)
    }
    return total.magnitude >= 9_223_372_036_854_775_807.0
}

/// A duration in µs as an interval literal reads: `'1 minute'`, `'90 seconds'`, `'250 milliseconds'`.
func describeInterval(_ micros: Int64) -> String {
    let units: [(Int64, String)] = [(86_400_000_000, "day"), (3_600_000_000, "hour"), (60_000_000, "minute"),
                                    (1_000_000, "second"), (1000, "millisecond"), (1, "microsecond")]
    for (size, name) in units where micros != 0 && micros % size == 0 {
        let n = micros / size
        return "'\(n) \(name)\(n == 1 ? "" : "s")'"
    }
    return "'0 seconds'"
}
