/// Numbers over time: one small plot per numeric column, over the rows' window start (or
/// TIMESTAMP column), one line per series (the row's text columns, e.g. a card brand):
///
/// ```
/// transactions over window
/// 42 ┤    ⢀⠤⠒⠉⠉⠒⠢⢄
///    │⡠⠔⠊         ⠑⠤⡀
///  3 ┤              ⠈⠢
///    └──────────────────
///     2024-01-01 10:00:00
/// ```
///
/// Braille gives each character 2×4 dots; series are told apart by colour, or, without colour
/// or in ASCII, drawn one point per character with a mark each (`•`, `×`, `+`, ...). Points of
/// a series are joined in time order, except across a NULL (or NaN) and across a missing
/// window (the next one starts after this one ends): a gap stays a gap.
struct LineChart {
    var style: ChartStyle

    /// Plots drawn at most (one per numeric column), and lines at most in each.
    static let maxPanels = 4
    static let maxSeries = 6

    func render(names: [String], columns: [Column]) -> [String] {
        let glyphs = style.glyphs
        let types = columns.map(\.type)
        let shape = ChartShape(types: types)
        guard let axis = shape.time, !shape.numeric.isEmpty else {
            let columns = zip(names, types).map { "\($0) \($1)" }.joined(separator: ", ")
            return [TerminalText.truncate("(no time and number to draw a line of: \(columns))", to: style.width, ellipsis: glyphs.ellipsis)]
        }
        let count = columns.first?.count ?? 0
        // Series by the row's texts; times, dates and the axis itself are not series.
        let keyColumns = shape.labels.filter { $0 != axis.column && types[$0] != .timestamp && types[$0] != .date }
        var times: [(start: Int64, end: Int64?)?] = []
        var keys: [String] = []
        times.reserveCapacity(count)
        keys.reserveCapacity(count)
        for row in 0..<count {
            times.append(ChartValues.time(columns[axis.column], row, axis: axis))
            keys.append(keyColumns.map { ChartValues.label(columns[$0], row) }.joined(separator: " "))
        }
        let allSeries = Array(Set(keys)).sorted()
        let series = Array(allSeries.prefix(Self.maxSeries))
        let seriesIndex = Dictionary(uniqueKeysWithValues: series.enumerated().map { ($1, $0) })
        let braille = style.unicode && (style.colour || series.count <= 1)

        var lines: [String] = []
        let timeName = names[axis.column] + (axis.start == nil ? "" : ".start")
        for (panel, column) in shape.numeric.prefix(Self.maxPanels).enumerated() {
            if panel > 0 { lines.append("") }
            var title = "\(names[column]) over \(timeName)"
            if !keyColumns.isEmpty { title += legend(series, braille: braille, room: style.width - TerminalText.width(title) - 2) }
            lines.append(title.contains("\u{1B}") ? title : TerminalText.truncate(title, to: style.width, ellipsis: glyphs.ellipsis))
            var points: [[Point]] = Array(repeating: [], count: series.count)
            for row in 0..<count {
                guard let time = times[row], let index = seriesIndex[keys[row]] else { continue }
                points[index].append(Point(x: time.start, end: time.end, y: ChartValues.number(columns[column], row)))
            }
            lines += plot(points.map { $0.sorted { $0.x < $1.x } }, braille: braille)
        }
        if shape.numeric.count > Self.maxPanels { lines.append("(\(shape.numeric.count - Self.maxPanels) more numeric columns not drawn)") }
        if allSeries.count > series.count { lines.append("(\(allSeries.count - series.count) more series not drawn)") }
        let untimed = times.filter { $0 == nil }.count
        if untimed > 0 { lines.append("(\(untimed) row\(untimed == 1 ? "" : "s") with no time not drawn)") }
        return lines
    }

    private struct Point {
        var x: Int64
        var end: Int64?
        var y: Double?
    }

    /// `  • POS  × TEF`: each series' mark (in its colour) and name, as many as fit in `room`.
    private func legend(_ series: [String], braille: Bool, room: Int) -> String {
        var text = "", used = 0
        for (index, name) in series.enumerated() {
            let mark = braille ? style.glyphs.markers[0] : style.glyphs.markers[index % style.glyphs.markers.count]
            let item = "  " + mark + " " + (name.isEmpty ? "(none)" : name)
            let width = TerminalText.width(item)
            guard used + width <= room else { return text + (used + 4 <= room ? "  \(style.glyphs.ellipsis)" : "") }
            text += "  " + style.paint(mark, series: index) + " " + (name.isEmpty ? "(none)" : name)
            used += width
        }
        return text
    }

    /// The plot's rows, its x axis and its time labels.
    private func plot(_ series: [[Point]], braille: Bool) -> [String] {
        let glyphs = style.glyphs
        let finite = series.flatMap { $0 }.compactMap { point in point.y.flatMap { $0.isFinite ? (x: point.x, y: $0) : nil } }
        guard let first = finite.first else { return ["(no numbers to draw)"] }
        var minY = first.y, maxY = first.y, minX = first.x, maxX = first.x
        for point in finite {
            minY = min(minY, point.y); maxY = max(maxY, point.y)
            minX = min(minX, point.x); maxX = max(maxX, point.x)
        }
        let height = style.height
        var yLabels: [Int: String]
        if minY == maxY {
            // One level, drawn halfway up: its label goes where its line is.
            let dotsPerRow = braille ? 4 : 1
            yLabels = [Canvas.scale(0.5, to: height * dotsPerRow) / dotsPerRow: ChartValues.text(maxY)]
        } else {
            yLabels = [0: ChartValues.text(maxY), height - 1: ChartValues.text(minY)]
            if height >= 5 {
                // The value at the middle row's centre (in halves, as the span may overflow).
                let dotsPerRow = braille ? 4 : 1, row = height / 2
                let fraction = (Double(row * dotsPerRow) + Double(dotsPerRow - 1) / 2) / Double(height * dotsPerRow - 1)
                yLabels[row] = ChartValues.text(2 * (maxY / 2 - fraction * (maxY / 2 - minY / 2)))
            }
        }
        let labelWidth = min(yLabels.values.map(TerminalText.width).max() ?? 1, max(1, style.width - 6))
        let plotWidth = max(1, style.width - labelWidth - 2)

        var canvas = Canvas(columns: plotWidth, rows: height, braille: braille)
        func dot(_ x: Int64, _ y: Double) -> (Int, Int) {
            // Halves: the span of two magnitudes near Double's largest would be infinite.
            let xs = Double(maxX) / 2 - Double(minX) / 2, ys = maxY / 2 - minY / 2
            let fx = xs > 0 ? (Double(x) / 2 - Double(minX) / 2) / xs : 0.5
            let fy = ys > 0 ? (maxY / 2 - y / 2) / ys : 0.5
            return (Canvas.scale(fx, to: canvas.dotColumns), Canvas.scale(fy, to: canvas.dotRows))
        }
        for (index, points) in series.enumerated() {
            var previous: (point: Point, dot: (Int, Int))?
            for point in points {
                guard let y = point.y, y.isFinite else { previous = nil; continue }
                let here = dot(point.x, y)
                if let previous, previous.point.end.map({ point.x <= $0 }) ?? true {
                    canvas.line(from: previous.dot, to: here, series: index)
                } else {
                    canvas.plot(here, series: index)
                }
                previous = (point, here)
            }
        }

        var lines: [String] = []
        for row in 0..<height {
            let label = yLabels[row].map { TerminalText.truncate($0, to: labelWidth, ellipsis: glyphs.ellipsis) }
            lines.append(TerminalText.padLeft(label ?? "", to: labelWidth) + " " + (label == nil ? glyphs.axis : glyphs.tick)
                         + canvas.text(row: row, style: style))
        }
        let indent = String(repeating: " ", count: labelWidth + 2)
        lines.append(String(repeating: " ", count: labelWidth + 1) + glyphs.corner + String(repeating: glyphs.rule, count: plotWidth))
        let from = TimeText.formatTimestamp(minX), to = TimeText.formatTimestamp(maxX)
        if minX == maxX || TerminalText.width(from) + TerminalText.width(to) + 2 > plotWidth {
            lines.append(indent + TerminalText.truncate(from, to: plotWidth, ellipsis: glyphs.ellipsis))
        } else {
            lines.append(indent + from + TerminalText.padLeft(to, to: plotWidth - TerminalText.width(from)))
        }
        return lines
    }
}

/// A grid of characters drawn on in dots: braille (2×4 dots a character) or one mark a character.
private struct Canvas {
    let columns: Int, rows: Int, braille: Bool
    private var bits: [UInt8]
    /// The series that drew last in each character (its colour or mark); -1 for none.
    private var owners: [Int]

    init(columns: Int, rows: Int, braille: Bool) {
        self.columns = columns
        self.rows = rows
        self.braille = braille
        bits = Array(repeating: 0, count: columns * rows)
        owners = Array(repeating: -1, count: columns * rows)
    }

    var dotColumns: Int { columns * (braille ? 2 : 1) }
    var dotRows: Int { rows * (braille ? 4 : 1) }

    /// A fraction of the way (0...1) as a dot index among `count`.
    static func scale(_ fraction: Double, to count: Int) -> Int {
        guard fraction.isFinite else { return 0 }
        return Int((min(max(fraction, 0), 1) * Double(count - 1)).rounded())
    }

    /// Braille dot bits by row (0-3) and column (0-1) within a character.
    private static let dotBits: [[UInt8]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]

    mutating func plot(_ dot: (Int, Int), series: Int) {
        let (x, y) = dot
        guard x >= 0, y >= 0, x < dotColumns, y < dotRows else { return }
        let cell = braille ? (y / 4) * columns + x / 2 : y * columns + x
        bits[cell] |= braille ? Self.dotBits[y % 4][x % 2] : 1
        owners[cell] = series
    }

    /// Bresenham's line, in dots.
    mutating func line(from start: (Int, Int), to end: (Int, Int), series: Int) {
        var (x, y) = start
        let dx = abs(end.0 - x), dy = -abs(end.1 - y)
        let sx = x < end.0 ? 1 : -1, sy = y < end.1 ? 1 : -1
        var error = dx + dy
        while true {
            plot((x, y), series: series)
            if x == end.0 && y == end.1 { return }
            let doubled = 2 * error
            if doubled >= dy { error += dy; x += sx }
            if doubled <= dx { error += dx; y += sy }
        }
    }

    /// Row `row` as text, runs of one series painted in its colour.
    func text(row: Int, style: ChartStyle) -> String {
        var out = "", run = "", runOwner = -1
        func flush() {
            out += runOwner >= 0 ? style.paint(run, series: runOwner) : run
            run = ""
        }
        for column in 0..<columns {
            let cell = row * columns + column
            let owner = bits[cell] == 0 ? -1 : owners[cell]
            if owner != runOwner { flush(); runOwner = owner }
            if owner < 0 {
                run += " "
            } else if braille {
                run.unicodeScalars.append(Unicode.Scalar(0x2800 + UInt32(bits[cell])) ?? " ")
            } else {
                run += style.glyphs.markers[owner % style.glyphs.markers.count]
            }
        }
        flush()
        return out
    }
}
