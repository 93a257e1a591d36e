/// A one-line chart of recent numbers (`▁▂▅█▃`), for the progress line's input rows/s.
public enum Sparkline {
    /// Batches the progress line remembers.
    public static let length = 20

    /// One character per value, scaled from zero to the largest: rates are never negative, and
    /// a quiet batch reads as low, not as the middle of a range. A value that is not a finite,
    /// non-negative number (a rate over no time) is a space.
    public static func render(_ values: [Double], unicode: Bool) -> String {
        let levels = unicode ? ChartGlyphs.unicode.levels : ChartGlyphs.ascii.levels
        let largest = values.filter { $0.isFinite && $0 >= 0 }.max() ?? 0
        var out = ""
        for value in values {
            guard value.isFinite, value >= 0 else { out += " "; continue }
            let level = largest > 0 ? Int((value / largest * Double(levels.count - 1)).rounded()) : 0
            out += levels[min(max(level, 0), levels.count - 1)]
        }
        return out
    }

    /// The progress line's tail: `input rows/s ▁▂▅█ (max 1200)`.
    public static func inputRates(_ rates: [Double], unicode: Bool) -> String {
        let largest = rates.filter { $0.isFinite && $0 >= 0 }.max() ?? 0
        return "input rows/s " + render(rates, unicode: unicode) + " (max \(ChartValues.text(largest.rounded())))"
    }
}
