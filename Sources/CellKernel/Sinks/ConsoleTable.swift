/// Renders rows the way Spark's console sink and `Dataset.show()` do, so a table from cells
/// reads like the one from the original notebook:
///
/// ```
/// -------------------------------------------
/// Batch: 0
/// -------------------------------------------
/// +-------+------------------+
/// |captura|        avg(valor)|
/// +-------+------------------+
/// |    TEF|  49830.9775390625|
/// +-------+------------------+
/// ```
public struct ConsoleTable: Sendable {
    /// Rows shown at most (Spark's `numRows`, default 20).
    var numRows: Int
    /// Cells longer than this are cut with `...` (Spark's `truncate`, default 20; 0: never).
    var truncate: Int

    init(numRows: Int = 20, truncate: Int = 20) {
        self.numRows = numRows
        self.truncate = truncate
    }

    /// Spark's banner above each micro-batch's table.
    static func banner(batch: Int64) -> String {
        "\(rule)\nBatch: \(batch)\n\(rule)\n"
    }

    private static let rule = String(repeating: "-", count: 43)

    /// The table for `columns` named `names`, ending with a newline.
    func render(names: [String], columns: [Column]) -> String {
        let total = columns.first?.count ?? 0
        let shown = min(total, numRows)
        var cells: [[String]] = [names.map(cut)]
        for row in 0..<shown {
            cells.append(columns.map { cut($0.isNull(row) ? "NULL" : Cast.text($0, row)) })
        }
        var widths = Array(repeating: 3, count: names.count)
        for line in cells {
            for (i, cell) in line.enumerated() { widths[i] = max(widths[i], Self.width(cell)) }
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "+") + "+\n"
        var out = rule
        for (index, line) in cells.enumerated() {
            out += "|" + line.enumerated().map { i, cell in pad(cell, to: widths[i]) }.joined(separator: "|") + "|\n"
            if index == 0 { out += rule }
        }
        out += rule
        if total > numRows {
            out += "only showing top \(numRows) row\(numRows == 1 ? "" : "s")\n"
        }
        return out
    }

    private func cut(_ text: String) -> String {
        guard truncate > 0, text.count > truncate else { return text }
        return truncate < 4 ? String(text.prefix(truncate)) : String(text.prefix(truncate - 3)) + "..."
    }

    /// Spark right-aligns cells when it truncates, and left-aligns them otherwise.
    private func pad(_ text: String, to width: Int) -> String {
        let padding = String(repeating: " ", count: width - Self.width(text))
        return truncate > 0 ? padding + text : text + padding
    }

    /// Display width: East Asian wide characters take two columns, as in Spark.
    static func width(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { total, scalar in
            switch scalar.value {
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
                 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x20000...0x3FFFD: total + 2
            case 0x0300...0x036F: total
            default: total + 1
            }
        }
    }
}
