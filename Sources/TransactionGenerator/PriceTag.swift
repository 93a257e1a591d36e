/// The original's `value` field: a dollar price drawn from one of five digit patterns.
///
/// Patterns use `#` for any digit and `%` for a non-zero digit; picking the pattern first and the
/// digits second (rather than a uniform amount) is what gives the original its spread from
/// `$0.00` to `$99,999.99`, with a fifth of the tags in each order of magnitude.
enum PriceTag {
    static let patterns: [StaticString] = ["#.##", "%#.##", "%##.##", "%,###.##", "%#,###.##"]

    /// Longest tag, `$` included.
    static let maxLength = 1 + 9

    /// Writes `$` and a tag in a uniformly chosen pattern.
    @inline(__always)
    static func write(random: inout CellsRandom, into writer: inout ByteWriter) {
        writer.byte(UInt8(ascii: "$"))
        let pattern = patterns[random.index(patterns.count)]
        pattern.withUTF8Buffer { bytes in
            for b in bytes {
                writer.writePatternByte(b, random: &random)
            }
        }
    }
}

extension ByteWriter {
    /// Expands one byte of a `#`/`%` digit pattern; any other byte is copied as is.
    @inline(__always)
    mutating func writePatternByte(_ b: UInt8, random: inout CellsRandom) {
        switch b {
        case UInt8(ascii: "#"): digit(random.below(10))
        case UInt8(ascii: "%"): digit(1 + random.below(9))
        default: byte(b)
        }
    }
}
