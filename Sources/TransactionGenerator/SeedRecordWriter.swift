/// Writes the original producer's seven-field record.
///
/// Field order and the `", "` / `": "` separators follow Python's default `json.dumps`, which is
/// what the original sent; every value is a JSON string, as the consumer's schema expects.
final class SeedRecordWriter: Sendable {
    /// Per card type: number length and the slice of `prefixPatterns` holding its prefixes.
    private struct TypeSpec: Sendable {
        var length: Int
        var firstPrefix: Int
        var prefixCount: Int
    }

    private let types: [CardType]
    private let specs: [TypeSpec]
    private let prefixPatterns: TextTable
    private let firstNames: TextTable
    private let lastNames: TextTable

    /// Upper bound on the length of one record, for sizing the scratch buffer.
    let maxRecordLength: Int

    static let channels: [StaticString] = ["Gateway", "POS", "TEF"]

    init() {
        var specs: [TypeSpec] = []
        var patterns: [String] = []
        for type in CardType.allCases {
            specs.append(TypeSpec(length: type.length, firstPrefix: patterns.count, prefixCount: type.prefixes.count))
            patterns.append(contentsOf: type.prefixes)
        }
        self.types = CardType.allCases
        self.specs = specs
        self.prefixPatterns = TextTable(patterns)
        self.firstNames = TextTable(Names.first)
        self.lastNames = TextTable(Names.last)

        let fixedText = #"{"name": "", "bandeira": "", "credit_card": "", "value": "", "dia_compra": "", "horario_compra": "", "formato_captura": ""}"#
        maxRecordLength = fixedText.utf8.count
            + firstNames.maxLength + 1 + lastNames.maxLength
            + CardType.allCases.map { $0.displayNameLiteral.utf8CodeUnitCount }.max()!
            + CardType.allCases.map(\.length).max()!
            + PriceTag.maxLength
            + 10 + 20 + 8  // date (room for years beyond 9999), time
            + Self.channels.map(\.utf8CodeUnitCount).max()!
    }

    /// Writes one record; returns where the card number sits in it (the message key).
    @inline(__always)
    func write(localMillis: Int64, random: inout CellsRandom, into w: inout ByteWriter) -> Range<Int> {
        w.text(#"{"name": ""#)
        firstNames.write(random.index(firstNames.count), into: &w)
        w.byte(UInt8(ascii: " "))
        lastNames.write(random.index(lastNames.count), into: &w)

        let typeIndex = random.index(types.count)
        w.text(#"", "bandeira": ""#)
        w.text(types[typeIndex].displayNameLiteral)

        w.text(#"", "credit_card": ""#)
        let numberStart = w.count
        writeCardNumber(specs[typeIndex], random: &random, into: &w)
        let numberRange = numberStart..<w.count

        w.text(#"", "value": ""#)
        PriceTag.write(random: &random, into: &w)

        let civil = CivilDateTime(millis: localMillis)
        w.text(#"", "dia_compra": ""#)
        w.date(civil)
        w.text(#"", "horario_compra": ""#)
        w.time(civil)

        w.text(#"", "formato_captura": ""#)
        w.text(Self.channels[random.index(Self.channels.count)])
        w.text(#""}"#)
        return numberRange
    }

    /// Prefix (patterns expanded), random body digits, then the Luhn check digit.
    @inline(__always)
    private func writeCardNumber(_ spec: TypeSpec, random: inout CellsRandom, into w: inout ByteWriter) {
        let start = w.cursor
        let prefixLength = prefixPatterns.withEntry(spec.firstPrefix + random.index(spec.prefixCount)) { prefix in
            for b in prefix {
                w.writePatternByte(b, random: &random)
            }
            return prefix.count
        }
        var remaining = spec.length - 1 - prefixLength
        while remaining > 0 {
            w.digit(random.below(10))
            remaining -= 1
        }
        w.byte(Luhn.checkDigit(start, count: spec.length - 1))
    }
}
