/// Horizontal bars, one per numeric column and row, labelled with the row's other columns:
///
/// ```
/// avg(valor) per captura
/// Gateway │████████████████████████████████████████████████▏ 50412.3
/// POS     │██████████████████████████████████████████████▋ 49011.27
/// TEF     │███████████████████████████████████████████████▍ 49830.98
/// ```
///
/// Each column has its own scale (a count and a sum of money share no unit): its largest
/// magnitude fills the bar's room. A column with negative numbers grows them to the left of
/// its zero, the room split in proportion to the largest of each sign. NULL and NaN print with
/// no bar, ±Infinity fills its side.
struct BarChart {
    var style: ChartStyle
    /// Rows drawn at most; the ones after are counted in a last line, as the table does.
    var maxRows: Int

    func render(names: [String], columns: [Column]) -> [String] {
        let glyphs = style.glyphs
        var shape = ChartShape(types: columns.map(\.type))
        let total = columns.first?.count ?? 0
        guard !shape.numeric.isEmpty else {
            return [TerminalText.truncate("(no numeric column to draw: \(names.joined(separator: ", ")))", to: style.width, ellipsis: glyphs.ellipsis)]
        }
        // Rows need a label: the other columns', else the first number's, else the row's place.
        var labelFromPlace = false
        if shape.labels.isEmpty {
            if shape.numeric.count > 1 { shape.labels = [shape.numeric.removeFirst()] } else { labelFromPlace = true }
        }
        let shown = min(total, max(1, maxRows))
        let labels = (0..<shown).map { row in
            labelFromPlace ? String(row + 1) : shape.labels.map { ChartValues.label(columns[$0], row) }.joined(separator: " ")
        }
        let series = shape.numeric.map { Series(column: columns[$0], rows: shown) }

        // Room: the value texts first, then the label, then the bars (at least a few columns).
        let valueWidth = series.map(\.textWidth).max() ?? 1
        let named = series.count > 1
        var nameWidth = named ? min(shape.numeric.map { TerminalText.width(names[$0]) }.max() ?? 1, max(4, style.width / 6)) : 0
        var labelWidth = min(labels.map(TerminalText.width).max() ?? 1, max(4, style.width * 2 / 5))
        labelWidth = max(labelWidth, 1)
        let decoration = 3 + (named ? 1 : 0)  // label's space, axis, the value's space; name's space
        let wanted = min(12, style.width / 4)
        var barWidth = style.width - labelWidth - nameWidth - decoration - valueWidth
        func give(_ width: inout Int, keeping least: Int) {
            guard barWidth < wanted else { return }
            let taken = min(wanted - barWidth, max(0, width - least))
            width -= taken
            barWidth += taken
        }
        give(&labelWidth, keeping: 1)
        if named { give(&nameWidth, keeping: 1) }
        var textWidth = valueWidth
        give(&textWidth, keeping: 1)
        barWidth = max(barWidth, 1)

        var lines: [String] = []
        let labelNames = labelFromPlace ? "row" : shape.labels.map { names[$0] }.joined(separator: ", ")
        let title = named ? shape.numeric.map { names[$0] }.joined(separator: ", ") : names[shape.numeric[0]]
        lines.append(TerminalText.truncate("\(title) per \(labelNames)", to: style.width, ellipsis: glyphs.ellipsis))
        if total == 0 { lines.append("(no rows)") }
        for row in 0..<shown {
            for (index, column) in series.enumerated() {
                let label = index == 0 ? TerminalText.truncate(labels[row], to: labelWidth, ellipsis: glyphs.ellipsis) : ""
                var line = TerminalText.padRight(label, to: labelWidth) + " "
                if named { line += TerminalText.padRight(TerminalText.truncate(names[shape.numeric[index]], to: nameWidth, ellipsis: glyphs.ellipsis), to: nameWidth) + " " }
                line += column.bar(row: row, width: barWidth, style: style, series: index)
                line += " " + TerminalText.truncate(column.texts[row], to: textWidth, ellipsis: glyphs.ellipsis)
                lines.append(line)
            }
        }
        if total > shown { lines.append("only showing top \(shown) row\(shown == 1 ? "" : "s") of \(total)") }
        return lines
    }

    /// One numeric column's values, texts and scale.
    private struct Series {
        var values: [Double?]
        var texts: [String]
        /// The largest finite magnitude of each sign, and whether an infinity of it occurs.
        var largestNegative = 0.0, largestPositive = 0.0
        var negativeInfinity = false, positiveInfinity = false

        init(column: Column, rows: Int) {
            values = (0..<rows).map { ChartValues.number(column, $0) }
            texts = (0..<rows).map { ChartValues.text(column, $0) }
            for value in values.compactMap({ $0 }) {
                if value.isInfinite {
                    if value < 0 { negativeInfinity = true } else { positiveInfinity = true }
                } else if value < 0 {
                    largestNegative = max(largestNegative, -value)
                } else {
                    largestPositive = max(largestPositive, value)
                }
            }
            // An infinity is as long as the longest finite bar (or fills a side alone).
            let longest = max(largestNegative, largestPositive, .leastNormalMagnitude)
            if negativeInfinity && largestNegative == 0 { largestNegative = longest }
            if positiveInfinity && largestPositive == 0 { largestPositive = longest }
        }

        var textWidth: Int { texts.map(TerminalText.width).max() ?? 1 }

        /// The bar of `row` in `width` columns: the negative side (right-aligned), the axis,
        /// the positive side (as long as the bar, so the value follows its end).
        func bar(row: Int, width: Int, style: ChartStyle, series: Int) -> String {
            let glyphs = style.glyphs
            // Halved, so that two magnitudes near Double's largest do not add to infinity.
            let halfSpan = largestNegative / 2 + largestPositive / 2
            let negativeWidth: Int = largestNegative == 0 ? 0
                : largestPositive == 0 ? width
                : min(width - 1, max(1, Self.count((largestNegative / 2) / halfSpan * Double(width))))
            let positiveWidth = width - negativeWidth
            var left = String(repeating: " ", count: negativeWidth), right = ""
            if let value = values[row], !value.isNaN, halfSpan > 0 {
                let fraction = value.isInfinite ? 1 : min(1, value.magnitude / 2 / (value < 0 ? largestNegative / 2 : largestPositive / 2))
                if value < 0 {
                    let halves = max(1, Self.count(fraction * Double(negativeWidth) * 2))
                    let body = String(repeating: glyphs.full, count: halves / 2) + (halves % 2 == 1 ? glyphs.leftHalf : "")
                    left = String(repeating: " ", count: max(0, negativeWidth - (halves + 1) / 2)) + style.paint(body, series: series)
                } else if value > 0 {
                    let eighths = Self.count(fraction * Double(positiveWidth) * 8)
                    right = style.paint(Self.blocks(eighths: max(eighths, 1), glyphs: glyphs), series: series)
                }
            }
            return left + glyphs.axis + right
        }

        /// `x` rounded, as a count of cells: never a trap, whatever arithmetic gave `x`.
        private static func count(_ x: Double) -> Int {
            guard x.isFinite else { return 0 }
            return Int(min(max(x.rounded(), 0), Double(ChartStyle.widths.upperBound * 8)))
        }

        /// A bar of `eighths`/8 columns: full blocks, then the partial one (ASCII rounds to whole).
        private static func blocks(eighths: Int, glyphs: ChartGlyphs) -> String {
            let partial = glyphs.partials[eighths % 8]
            var whole = eighths / 8
            if partial.isEmpty && eighths % 8 >= 4 { whole += 1 }  // ASCII: half and more is a column
            if whole == 0 && partial.isEmpty { whole = 1 }  // a value that is not zero shows
            return String(repeating: glyphs.full, count: whole) + partial
        }
    }
}
