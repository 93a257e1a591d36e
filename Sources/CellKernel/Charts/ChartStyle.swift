/// How a chart may be drawn: how wide, with which characters, in colour or not.
///
/// The renderers read nothing else (no terminal, no environment), so the same rows and style
/// always give the same text; the shell makes the style from what it knows of its terminal.
public struct ChartStyle: Sendable, Equatable {
    /// Columns a line may take, kept within ``widths``.
    public var width: Int
    /// Unicode blocks and braille when true; `#`, `*` and `|` when false.
    public var unicode: Bool
    /// ANSI colours around bars and plotted points.
    public var colour: Bool
    /// Rows of a line chart's plot (each holds four braille dots of height), within 2...40.
    public var height: Int

    /// Narrower than the smallest, a bar has no room; wider than the largest, a frame costs
    /// memory and wraps on every real terminal.
    public static let widths = 10...1000

    public init(width: Int = 80, unicode: Bool = true, colour: Bool = false, height: Int = 8) {
        self.width = min(max(width, Self.widths.lowerBound), Self.widths.upperBound)
        self.unicode = unicode
        self.colour = colour
        self.height = min(max(height, 2), 40)
    }

    var glyphs: ChartGlyphs { unicode ? .unicode : .ascii }

    /// `text` in series `index`'s colour (the palette repeats), or as it is without colour.
    func paint(_ text: String, series index: Int) -> String {
        guard colour, !text.isEmpty else { return text }
        return "\u{1B}[\(Self.palette[index % Self.palette.count])m" + text + "\u{1B}[0m"
    }

    /// Cyan, magenta, yellow, green, blue, red: distinct on dark and light backgrounds.
    private static let palette = [36, 35, 33, 32, 34, 31]
}

/// The characters a chart is drawn with.
struct ChartGlyphs: Sendable {
    /// The axis a bar grows from, and a plot's left edge.
    var axis: String
    var corner: String
    var rule: String
    /// The plot's edge where a labelled value sits.
    var tick: String
    var ellipsis: String
    var separator: String
    /// Growing fill, in eighths of a column: `partials[n]` is n/8 of one (`partials[0]` is empty;
    /// all are in ASCII, which rounds bars to whole columns).
    var partials: [String]
    var full: String
    /// A negative bar grows to the left; blocks only come left-aligned, so it has halves only.
    var leftHalf: String
    /// One mark per series where a plot cannot tell series apart by colour.
    var markers: [String]
    /// Sparkline levels, lowest first.
    var levels: [String]

    static let unicode = ChartGlyphs(
        axis: "│", corner: "└", rule: "─", tick: "┤", ellipsis: "…", separator: " · ",
        partials: ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"], full: "█", leftHalf: "▐",
        markers: ["•", "×", "+", "∘", "◆", "#"],
        levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"])

    static let ascii = ChartGlyphs(
        axis: "|", corner: "+", rule: "-", tick: "+", ellipsis: "~", separator: " - ",
        partials: Array(repeating: "", count: 8), full: "#", leftHalf: "#",
        markers: ["*", "x", "+", "o", "@", "%"],
        levels: ["_", ".", ",", "-", "=", "+", "*", "#"])
}
