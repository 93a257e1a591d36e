@testable import CellKernel
import Foundation
import Synchronization
import Testing

/// Frames as the console draws them, compared character for character: fixed widths, fixed
/// rows, no terminal involved.
@Suite struct ChartRenderingTests {
    // MARK: Rows

    static func strings(_ values: [String?]) -> Column {
        var column = Column(type: .string)
        for value in values { if let value { column.append(value) } else { column.appendNull() } }
        return column
    }

    static func doubles(_ values: [Double?]) -> Column {
        var column = Column(type: .double)
        for value in values { if let value { column.append(value) } else { column.appendNull() } }
        return column
    }

    static func bigints(_ values: [Int64?]) -> Column {
        var column = Column(type: .bigint)
        for value in values { if let value { column.append(value) } else { column.appendNull() } }
        return column
    }

    static func timestamps(_ values: [String?]) -> Column {
        var column = Column(type: .timestamp)
        for value in values { if let value, let micros = TimeText.parseTimestamp(value) { column.append(micros) } else { column.appendNull() } }
        return column
    }

    /// Windows as Spark gives them: STRUCT<start: TIMESTAMP, end: TIMESTAMP>, `minutes` long.
    static func windows(_ starts: [String], minutes: Int64 = 1) -> Column {
        let type = SQLType.struct([StructField(name: "start", type: .timestamp), StructField(name: "end", type: .timestamp)])
        var column = Column(type: type)
        for start in starts {
            let micros = TimeText.parseTimestamp(start) ?? 0
            column.append(.structure([.int(micros), .int(micros + minutes * 60_000_000)]))
        }
        return column
    }

    static let captura = strings(["Gateway", "POS", "TEF"])
    static let average = doubles([50412.3, 49011.27, 49830.9775390625])

    static func bars(_ names: [String], _ columns: [Column], width: Int = 60, unicode: Bool = true, colour: Bool = false, maxRows: Int = 20) -> String? {
        ChartFrame.render(ChartRequest(kind: .bar, maxRows: maxRows), view: "v", batchId: 3, names: names, columns: columns,
                          style: ChartStyle(width: width, unicode: unicode, colour: colour))
    }

    static func line(_ names: [String], _ columns: [Column], width: Int = 40, unicode: Bool = true, colour: Bool = false, height: Int = 4) -> String? {
        ChartFrame.render(ChartRequest(kind: .line), view: "v", batchId: 7, names: names, columns: columns,
                          style: ChartStyle(width: width, unicode: unicode, colour: colour, height: height))
    }

    // MARK: Bars

    @Test func barsInEighthsScaledToTheLargest() {
        #expect(Self.bars(["captura", "avg(valor)"], [Self.captura, Self.average]) == """
            v · batch 3
            avg(valor) per captura
            Gateway │██████████████████████████████████████████ 50412.3
            POS     │████████████████████████████████████████▉ 49011.27
            TEF     │█████████████████████████████████████████▌ 49830.98

            """)
    }

    @Test func barsInASCII() {
        #expect(Self.bars(["captura", "avg(valor)"], [Self.captura, Self.average], unicode: false) == """
            v - batch 3
            avg(valor) per captura
            Gateway |########################################## 50412.3
            POS     |######################################### 49011.27
            TEF     |########################################## 49830.98

            """)
    }

    @Test func barsInColourPaintOnlyTheBars() {
        #expect(Self.bars(["captura", "avg(valor)"], [Self.captura, Self.average], width: 40, colour: true) == """
            v · batch 3
            avg(valor) per captura
            Gateway │\u{1B}[36m██████████████████████\u{1B}[0m 50412.3
            POS     │\u{1B}[36m█████████████████████▍\u{1B}[0m 49011.27
            TEF     │\u{1B}[36m█████████████████████▊\u{1B}[0m 49830.98

            """)
    }

    @Test func negativeValuesGrowLeftAndNullZeroNaNHaveNoBar() {
        let frame = Self.bars(["k", "x"], [Self.strings(["a", "b", "c", "d", "e"]), Self.doubles([-5, 10, nil, 0, .nan])], width: 40)
        #expect(frame == """
            v · batch 3
            x per k
            a ███████████│ -5
            b            │█████████████████████ 10
            c            │ NULL
            d            │ 0
            e            │ NaN

            """)
    }

    @Test func extremesNeitherTrapNorOverflow() {
        let frame = Self.bars(["k", "d", "n"], [Self.strings(["huge", "tiny", "inf", "-inf", "min"]),
                                                Self.doubles([1e308, -1e308, .infinity, -.infinity, 1]),
                                                Self.bigints([Int64.max, 1, nil, 0, Int64.min])], width: 50)
        #expect(frame == """
            v · batch 3
            d, n per k
            huge d            │██████████ 1.0E308
                 n            │██████████ 9223372036854775807
            tiny d ███████████│ -1.0E308
                 n            │▏ 1
            inf  d            │██████████ Infinity
                 n            │ NULL
            -inf d ███████████│ -Infinity
                 n            │ 0
            min  d            │▏ 1
                 n ███████████│ -9223372036854775808

            """)
    }

    @Test func groupedColumnsLongLabelsAndTheRowCap() {
        let frame = Self.bars(["label", "count", "total"], [Self.strings(["a label much longer than the room it gets", "b", "c"]),
                                                             Self.bigints([3, 1, 2]), Self.doubles([10, 2.5, 0])], width: 40, maxRows: 2)
        #expect(frame == """
            v · batch 3
            count, total per label
            a label much lo… count │████████████ 3
                             total │████████████ 10
            b                count │████ 1
                             total │███ 2.5
            only showing top 2 rows of 3

            """)
    }

    @Test func rowsOfNumbersOnlyAreLabelledByTheFirstOrByTheirPlace() {
        #expect(Self.bars(["a", "b"], [Self.bigints([1, 2]), Self.doubles([3, 4])], width: 30) == """
            v · batch 3
            b per a
            1 │██████████████████▊ 3
            2 │█████████████████████████ 4

            """)
        #expect(Self.bars(["b"], [Self.doubles([3, 4])], width: 30) == """
            v · batch 3
            b per row
            1 │██████████████████▊ 3
            2 │█████████████████████████ 4

            """)
    }

    @Test func aTinyWidthKeepsEveryLineWithinIt() {
        #expect(Self.bars(["captura", "avg(valor)"], [Self.captura, Self.average], width: 10) == """
            v · batch…
            avg(valor…
            G │██ 504…
            P │██ 490…
            T │██ 498…

            """)
    }

    @Test func everyWidthFitsAndNoRowsTrap() throws {
        let datasets: [([String], [Column])] = [
            (["captura", "avg(valor)"], [Self.captura, Self.average]),
            (["k", "d", "n"], [Self.strings(["huge", "tiny"]), Self.doubles([1e308, -1e308]), Self.bigints([Int64.max, Int64.min])]),
            (["k", "x"], [Self.strings(["東京", "a\nb\u{1B}[2J"]), Self.doubles([nil, -0.0])]),
            (["k", "x"], [Self.strings([]), Self.doubles([])]),
        ]
        for (names, columns) in datasets {
            for width in [1, 10, 11, 17, 40, 80, 333, 1000, 5000] {
                let style = ChartStyle(width: width)
                for kind in [ChartKind.bar, .line] {
                    let frame = try #require(ChartFrame.render(ChartRequest(kind: kind), view: "v", batchId: 0, names: names, columns: columns, style: style))
                    for line in frame.split(separator: "\n") {
                        #expect(TerminalText.width(String(line)) <= style.width, "\(kind) at \(width): \(line)")
                        #expect(!line.contains("\u{1B}"), "a label's escape reached the frame: \(line)")
                    }
                }
            }
        }
        // The widest frame's largest bar fills its room: 1000 columns less the label and its
        // space, the axis, and the longest value and its space.
        let wide = try #require(Self.bars(["captura", "avg(valor)"], [Self.captura, Self.average], width: 5000))
        let gateway = try #require(wide.split(separator: "\n").first { $0.hasPrefix("Gateway") })
        #expect(gateway.filter { $0 == "█" }.count == 1000 - 8 - 1 - 9)
    }

    // MARK: Lines

    static let minutes = windows(["2024-01-01 10:00:00", "2024-01-01 10:01:00", "2024-01-01 10:02:00", "2024-01-01 10:03:00"])

    @Test func aLineOverWindowStartsInBraille() {
        #expect(Self.line(["window", "transactions"], [Self.minutes, Self.bigints([3, 9, 6, 12])], width: 50) == """
            v · batch 7
            transactions over window.start
            12 ┤                                        ⢀⣀⠤⠔⠒⠉
               │           ⢀⣀⠤⠔⠒⠒⠤⠤⠤⣀⣀⣀           ⢀⣀⠤⠔⠒⠉⠁
               │     ⢀⣀⠤⠔⠒⠉⠁           ⠉⠉⠉⠒⠒⠒⠤⠤⠔⠒⠉⠁
             3 ┤⣀⠤⠔⠒⠉⠁
               └──────────────────────────────────────────────
                2024-01-01 10:00:00        2024-01-01 10:03:00

            """)
    }

    @Test func aLineInASCII() {
        #expect(Self.line(["window", "transactions"], [Self.minutes, Self.bigints([3, 9, 6, 12])], unicode: false) == """
            v - batch 7
            transactions over window.start
            12 +                                ****
               |         *********        ******
               |   ******         ********
             3 +***
               +------------------------------------
                2024-01-01 10:00:00

            """)
    }

    static let brands = windows(["2024-01-01 10:00:00", "2024-01-01 10:00:00", "2024-01-01 10:01:00", "2024-01-01 10:01:00", "2024-01-01 10:02:00", "2024-01-01 10:02:00"])
    static let brand = strings(["visa", "amex", "visa", "amex", "visa", "amex"])
    static let totals = doubles([10, 1, 20, 2, 5, 3])

    @Test func seriesWithoutColourGetAMarkEach() {
        #expect(Self.line(["window", "brand", "total"], [Self.brands, Self.brand, Self.totals], width: 60, height: 5) == """
            v · batch 7
            total over window.start  • amex  × visa
              20 ┤                     ×××××××××××
                 │       ××××××××××××××           ××××××××
            10.5 ┤×××××××                                 ×××××××××
                 │                                                 ×××××
               1 ┤••••••••••••••••••••••••••••••••••••••••••••••••••••••
                 └──────────────────────────────────────────────────────
                  2024-01-01 10:00:00                2024-01-01 10:02:00

            """)
    }

    @Test func seriesInColourShareTheBraille() {
        #expect(Self.line(["window", "brand", "total"], [Self.brands, Self.brand, Self.totals], width: 40, colour: true) == """
            v · batch 7
            total over window.start  \u{1B}[36m•\u{1B}[0m amex  …
            20 ┤          \u{1B}[35m⢀⣀⡠⠤⠤⠒⠒⠉⠉⠒⠢⠤⣀⡀\u{1B}[0m
               │ \u{1B}[35m⢀⣀⡠⠤⠤⠒⠒⠉⠉⠁\u{1B}[0m            \u{1B}[35m⠈⠉⠒⠢⢄⣀\u{1B}[0m
               │\u{1B}[35m⠉⠁\u{1B}[0m                           \u{1B}[35m⠉⠑⠒⠤⢄⣀\u{1B}[0m
             1 ┤\u{1B}[36m⣀⣀⣀⣀⣀⣀⣀⣀⣀⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠒⠒⠒⠒⠒⠒⠒⠒\u{1B}[0m\u{1B}[35m⠛\u{1B}[0m
               └────────────────────────────────────
                2024-01-01 10:00:00

            """)
    }

    @Test func aSinglePointAndAllEqualValuesSitHalfwayUp() {
        #expect(Self.line(["at", "x"], [Self.timestamps(["2024-01-01 10:00:00"]), Self.doubles([42])]) == """
            v · batch 7
            x over at
               │
               │
            42 ┤                  ⠁
               │
               └────────────────────────────────────
                2024-01-01 10:00:00

            """)
        let times = Self.timestamps(["2024-01-01 10:00:00", "2024-01-01 10:05:00", "2024-01-01 10:10:00"])
        #expect(Self.line(["at", "x"], [times, Self.doubles([7, 7, 7])], height: 5) == """
            v · batch 7
            x over at
              │
              │
            7 ┤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤⠤
              │
              │
              └─────────────────────────────────────
               2024-01-01 10:00:00

            """)
    }

    @Test func aMissingWindowAndANullLeaveGaps() {
        let windows = Self.windows(["2024-01-01 10:00:00", "2024-01-01 10:01:00", "2024-01-01 10:03:00",
                                    "2024-01-01 10:04:00", "2024-01-01 10:05:00", "2024-01-01 10:06:00"])
        #expect(Self.line(["window", "n"], [windows, Self.bigints([1, 2, 3, 4, nil, 6])], width: 50) == """
            v · batch 7
            n over window.start
            6 ┤                                              ⠈
              │                           ⢀⣀⣀⠤⠄
              │                       ⠐⠒⠉⠉⠁
            1 ┤⣀⡠⠤⠤⠒⠒⠒⠉⠁
              └───────────────────────────────────────────────
               2024-01-01 10:00:00         2024-01-01 10:06:00

            """)
    }

    @Test func theTableIsTheConsolesOwnText() {
        #expect(ChartFrame.render(ChartRequest(kind: .table), view: "v", batchId: 0, names: ["k"], columns: [Self.captura], style: ChartStyle()) == nil)
        let table = ResultTable(names: ["k"], columns: [Self.captura], text: "Spark's table\n", chart: ChartRequest(kind: .table))
        #expect(table.frame(ChartRequest(kind: .table), view: "v", batchId: 0, style: ChartStyle()) == "Spark's table\n")
    }

    @Test func aLineNeedsATimeAndANumber() {
        #expect(Self.line(["k", "n"], [Self.strings(["a"]), Self.bigints([1])], width: 80) == """
            v · batch 7
            (no time and number to draw a line of: k STRING, n BIGINT)

            """)
    }

    // MARK: Sparklines

    @Test func sparklinesScaleFromZeroAndBlankWhatIsNotARate() {
        #expect(Sparkline.render([0, 5, 10, .nan, 2.5, -1, .infinity], unicode: true) == "▁▅█ ▃  ")
        #expect(Sparkline.render([0, 5, 10, .nan, 2.5, -1, .infinity], unicode: false) == "_=# ,  ")
        #expect(Sparkline.render([], unicode: true) == "")
        #expect(Sparkline.inputRates([0, 0], unicode: true) == "input rows/s ▁▁ (max 0)")
        #expect(Sparkline.inputRates([100, 1200.4, 600], unicode: true) == "input rows/s ▂█▄ (max 1200)")
    }

    // MARK: Numbers

    @Test func numbersPrintShort() {
        #expect(ChartValues.text(49830.9775390625) == "49830.98")
        #expect(ChartValues.text(-0.0) == "0")
        #expect(ChartValues.text(12.5) == "12.5")
        #expect(ChartValues.text(0.001) == "0.001")
        #expect(ChartValues.text(-3.04) == "-3.04")
        #expect(ChartValues.text(1e15) == "1.0E15")
        var decimal = Column(type: .decimal(precision: 38, scale: 2))
        decimal.append(Int128(-123_456))
        decimal.append(Int128.max)
        #expect(ChartValues.text(decimal, 0) == "-1234.56")
        #expect(ChartValues.text(decimal, 1) == "1.7014118346046924E36")  // Int128.max / 100, to the nearest Double
    }

    // MARK: Options and errors

    @Test func theChartOptionNamesWhatItTakes() throws {
        #expect(try ChartKind(option: " BAR ") == .bar)
        #expect(try ChartKind(option: "off") == .table)
        let error = #expect(throws: ChartError.self) { try ChartKind(option: "pie") }
        #expect(error?.message == "'chart' must be 'bar', 'line' or 'table', not 'pie'")
    }

    @Test func aLineWithoutATimeNamesTheColumnsLookedFor() {
        let error = #expect(throws: ChartError.self) {
            try ChartKind.line.check(names: ["captura", "avg(valor)"], types: [.string, .double], view: "media_valor_captura")
        }
        #expect(error?.message == "'chart' = 'line' needs a time to draw over: a window column (window.start) or a TIMESTAMP column; media_valor_captura has captura STRING, avg(valor) DOUBLE")
        let bar = #expect(throws: ChartError.self) { try ChartKind.bar.check(names: ["k"], types: [.string], view: "v") }
        #expect(bar?.message.hasPrefix("'chart' = 'bar' needs a numeric column") == true)
        #expect(throws: Never.self) { try ChartKind.line.check(names: ["w", "n"], types: [Self.minutes.type, .bigint], view: "v") }
    }

    @Test func startChecksTheChartOptionAtTheOption() throws {
        let path = temporaryFile(contents: #"{"k": "a", "n": 1}"# + "\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let transcript = Transcript()
        let session = CellSession(output: transcript.output)
        try session.run(script: """
            CREATE SOURCE s USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM e FROM s FORMAT json SCHEMA (k STRING, n INT);
            CREATE VIEW v AS SELECT k, count(*) AS c FROM e GROUP BY k;
            """)
        for (value, message) in [("pie", "'chart' must be 'bar', 'line' or 'table', not 'pie'"),
                                 ("line", "'chart' = 'line' needs a time to draw over: a window column (window.start) or a TIMESTAMP column; v has k STRING, c BIGINT")] {
            let statement = "START v OUTPUT MODE complete TRIGGER ONCE USING console OPTIONS ('chart' = '\(value)');"
            do {
                try session.run(script: statement)
                Issue.record("'chart' = '\(value)' was accepted")
            } catch {
                #expect(error.description.contains("1:76: error: \(message)"), "\(error.description)")
            }
        }
        // A bar chart starts; the batch carries the choice and the table's text, and draws bars.
        let batches = BatchLog()
        let charting = CellSession(events: batches.add)
        try charting.run(script: """
            CREATE SOURCE s USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM e FROM s FORMAT json SCHEMA (k STRING, n INT);
            CREATE VIEW v AS SELECT k, count(*) AS c FROM e GROUP BY k;
            START v OUTPUT MODE complete TRIGGER ONCE USING console OPTIONS ('chart' = 'bar', 'numRows' = '5');
            """)
        let table = try #require(batches.tables.first)
        #expect(table.chart == ChartRequest(kind: .bar, maxRows: 5))
        #expect(table.text.contains("|  k|  c|"))
        #expect(table.frame(try #require(table.chart), view: "v", batchId: 0, style: ChartStyle(width: 20)) == """
            v · batch 0
            c per k
            a │███████████████ 1

            """)
    }

    @Test func aChartIsScrubbedOfSecretsAsTheTableIs() throws {
        let output = SessionOutput.batch(view: "v", batchId: 0, table: ResultTable(names: ["captura", "avg(valor)"], columns: [Self.captura, Self.average],
                                                                                  text: "TEF", chart: ChartRequest(kind: .bar)))
        guard case .batch(_, _, let table) = output.scrubbed({ $0.replacingOccurrences(of: "TEF", with: "***") }) else {
            Issue.record("not a batch")
            return
        }
        #expect(table.text == "***")
        let frame = table.frame(ChartRequest(kind: .bar), view: "v", batchId: 0, style: ChartStyle(width: 40))
        #expect(frame.contains("***     │"))
        #expect(!frame.contains("TEF"))
    }
}

/// The tables of the batches a session printed.
private final class BatchLog: Sendable {
    private let log = Mutex<[ResultTable]>([])
    var add: @Sendable (SessionOutput) -> Void { { [self] output in if case .batch(_, _, let table) = output { log.withLock { $0.append(table) } } } }
    var tables: [ResultTable] { log.withLock { $0 } }
}

private func temporaryFile(contents: String) -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-chart-\(UUID().uuidString).jsonl").path
    FileManager.default.createFile(atPath: path, contents: Data(contents.utf8))
    return path
}
