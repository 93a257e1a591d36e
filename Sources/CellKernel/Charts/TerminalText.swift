/// Text measured as a terminal shows it: wide characters take two columns, escape sequences
/// none. Charts lay out with it, and the shell counts a frame's rows with it.
public enum TerminalText {
    /// Columns `text` takes on a terminal, ANSI CSI sequences (colours, cursor moves) not counted.
    public static func width(_ text: String) -> Int {
        var columns = 0
        var inEscape = false, afterEscape = false
        for scalar in text.unicodeScalars {
            if afterEscape {
                afterEscape = false
                inEscape = scalar == "["
                continue
            }
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" { afterEscape = true; continue }
            columns += scalarWidth(scalar)
        }
        return columns
    }

    /// `text` cut to at most `width` columns, its end replaced by `ellipsis` when cut.
    /// For plain text (a label, a heading): escapes would be cut like characters.
    static func truncate(_ text: String, to width: Int, ellipsis: String) -> String {
        guard width > 0 else { return "" }
        guard Self.width(text) > width else { return text }
        // Too narrow for the ellipsis and a character: the text's start alone.
        let room = width - Self.width(ellipsis)
        let mark = room > 0 ? ellipsis : ""
        var out = "", used = 0
        for character in text {
            let w = Self.width(String(character))
            if used + w > (room > 0 ? room : width) { break }
            out.append(character)
            used += w
        }
        return out + mark
    }

    /// `text` padded with spaces on the right to `width` columns.
    static func padRight(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - Self.width(text)))
    }

    /// `text` padded with spaces on the left to `width` columns.
    static func padLeft(_ text: String, to width: Int) -> String {
        String(repeating: " ", count: max(0, width - Self.width(text))) + text
    }

    /// As Spark's console table measures: East Asian wide characters two, combining marks none.
    private static func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.value {
        case 0..<0x20, 0x7F: 0
        case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F,
             0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD: 2
        case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: 0
        default: 1
        }
    }
}
