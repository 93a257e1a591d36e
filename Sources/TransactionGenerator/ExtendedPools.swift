/// The extended schema's card and merchant pools, built once per generator from its seed.
///
/// Real card streams are skewed: a few cards and merchants account for much of the traffic. Fixed
/// pools with Zipf-like popularity reproduce that (and give the consumer's group-bys realistic
/// cardinalities), at the cost of a few milliseconds of set-up.
struct ExtendedPools: Sendable {
    /// One pooled card. The 16 digits are stored as ASCII packed in two words so writing the
    /// number is two stores; with its alias column the record takes 32 bytes, half a cache line.
    struct Card: Sendable {
        var digitsHigh: UInt64
        var digitsLow: UInt64
        var name: UInt16
        var brand: UInt8
    }

    struct Merchant: Sendable {
        /// Also the merchant's entry in `merchantNames`.
        var index: UInt16
        var category: UInt8
        var city: UInt8
    }

    /// The cards, each stored beside its alias-table column (see `AliasTable`).
    let cards: AliasTable<Card>
    let merchants: AliasTable<Merchant>

    let brandNames: TextTable
    /// Every "First Last" combination, first-name-major, so a card stores one index.
    let customerNames: TextTable
    let merchantNames: TextTable
    let categoryNames: TextTable
    let cityNames: TextTable
    let stateNames: TextTable

    init(random: inout CellsRandom, cardCount: Int = ExtendedVocabulary.cardCount,
         merchantCount: Int = ExtendedVocabulary.merchantCount) {
        typealias V = ExtendedVocabulary
        let first = V.firstNames
        let last = V.lastNames
        brandNames = TextTable(V.brands)
        customerNames = TextTable(first.flatMap { f in last.map { l in "\(f) \(l)" } })
        categoryNames = TextTable(V.categories)
        cityNames = TextTable(V.cities.map(\.city))
        stateNames = TextTable(V.cities.map(\.state))
        merchantNames = TextTable((0..<merchantCount).map { i in
            let number = String(i)
            let padded = String(repeating: "0", count: max(0, 4 - number.count)) + number
            return "\(V.merchantPrefixes[i % V.merchantPrefixes.count]) \(padded)"
        })

        let brandPicker = AliasTable(weights: V.brandWeights)
        let cardList = [Card](unsafeUninitializedCapacity: cardCount) { buffer, initialized in
            for i in 0..<cardCount {
                let brand = brandPicker.sampleIndex(random.next())
                let body = random.below(1_000_000_000_000_000)  // 15 digits, zero padded
                let name = random.index(first.count) * last.count + random.index(last.count)
                // Body digits 1-7 follow the brand digit in the first word; 8-15 fill the second.
                let high = UInt64(V.brandFirstDigit[brand]) | packDigits(body / 100_000_000, count: 7) << 8
                buffer.initializeElement(at: i, to: Card(digitsHigh: high,
                                                         digitsLow: packDigits(body % 100_000_000, count: 8),
                                                         name: UInt16(name), brand: UInt8(brand)))
                initialized = i + 1
            }
        }
        cards = AliasTable(weights: Self.shuffledZipfWeights(count: cardCount, exponent: V.cardPopularityExponent,
                                                             random: &random),
                           payloads: cardList)

        let categoryPicker = AliasTable(weights: V.categoryWeights)
        let merchantList = (0..<merchantCount).map { i in
            Merchant(index: UInt16(i), category: UInt8(categoryPicker.sampleIndex(random.next())),
                     city: UInt8(random.index(V.cities.count)))
        }
        merchants = AliasTable(weights: Self.shuffledZipfWeights(count: merchantCount,
                                                                 exponent: V.merchantPopularityExponent,
                                                                 random: &random),
                               payloads: merchantList)
    }

    /// Weights 1/rank^exponent, shuffled so popularity is unrelated to pool position (and hence to
    /// brand, name or merchant number).
    static func shuffledZipfWeights(count: Int, exponent: Double, random: inout CellsRandom) -> [Double] {
        var weights = [Double](repeating: 0, count: count)
        weights.withUnsafeMutableBufferPointer { weights in
            for i in 0..<count {
                weights[i] = 1.0 / CMath.power(Double(i + 1), exponent)
            }
            random.shuffle(weights)
        }
        return weights
    }

    /// Upper bound on the variable text one record takes from the pools.
    var maxPooledTextLength: Int {
        brandNames.maxLength + customerNames.maxLength + merchantNames.maxLength
            + categoryNames.maxLength + cityNames.maxLength + stateNames.maxLength
    }
}
