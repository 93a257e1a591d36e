/// Writes the extended schema's thirteen-field record, compact like `orjson`.
final class ExtendedRecordWriter: Sendable {
    let pools: ExtendedPools
    /// Upper bound on the length of one record, for sizing the scratch buffer.
    let maxRecordLength: Int

    init(random: inout CellsRandom) {
        pools = ExtendedPools(random: &random)
        let fixedText = #"{"transaction_id":"","card_number":"","card_brand":"","customer_name":"","amount":,"currency":"BRL","merchant":"","category":"","city":"","state":"","status":"","installments":,"event_time":""}"#
        maxRecordLength = fixedText.utf8.count + pools.maxPooledTextLength
            + 36        // UUID
            + 16        // card number
            + 24        // amount: integer digits of any finite lognormal draw we can produce, '.', 2
            + 8         // "declined"
            + 2         // installments
            + 24 + 20   // event time, with room for years beyond 9999
    }

    /// Writes one record; returns where the card number sits in it (the message key).
    @inline(__always)
    func write(eventTimeMillis: Int64, random: inout CellsRandom, into w: inout ByteWriter) -> Range<Int> {
        let idHigh = random.next()
        let idLow = random.next()
        let card = pools.cards.sample(random.next())
        let merchant = pools.merchants.sample(random.next())
        let cents = Self.amountCents(random: &random)
        let declined = random.unit() < ExtendedVocabulary.declineProbability
        let installments = 1 + random.below(12)
        // Late arrivals, as real streams have them: the consumer's event-time windows must cope.
        var eventTime = eventTimeMillis
        if random.unit() < ExtendedVocabulary.outOfOrderProbability {
            let shift = 1.0 + random.unit() * (ExtendedVocabulary.maxOutOfOrderShiftMillis - 1.0)
            eventTime = Int64((Double(eventTimeMillis) - shift).rounded(.down))
        }

        w.text(#"{"transaction_id":""#)
        w.uuid(high: idHigh, low: idLow)
        w.text(#"","card_number":""#)
        let numberStart = w.count
        w.word(card.digitsHigh)
        w.word(card.digitsLow)
        let numberRange = numberStart..<w.count
        w.text(#"","card_brand":""#)
        pools.brandNames.write(Int(card.brand), into: &w)
        w.text(#"","customer_name":""#)
        pools.customerNames.write(Int(card.name), into: &w)
        w.text(#"","amount":"#)
        w.amount(cents: cents)
        w.text(#","currency":""#)
        w.text(ExtendedVocabulary.currency)
        w.text(#"","merchant":""#)
        pools.merchantNames.write(Int(merchant.index), into: &w)
        w.text(#"","category":""#)
        pools.categoryNames.write(Int(merchant.category), into: &w)
        w.text(#"","city":""#)
        pools.cityNames.write(Int(merchant.city), into: &w)
        w.text(#"","state":""#)
        pools.stateNames.write(Int(merchant.city), into: &w)
        w.text(declined ? #"","status":"declined","installments":"# : #"","status":"approved","installments":"#)
        w.decimal(installments)
        w.text(#","event_time":""#)
        w.iso8601(CivilDateTime(millis: eventTime))
        w.text(#""}"#)
        return numberRange
    }

    /// Lognormal amount rounded half-to-even to cents, as numpy's `round(x, 2)` does.
    @inline(__always)
    static func amountCents(random: inout CellsRandom) -> UInt64 {
        let z = random.standardNormal()
        let amount = CMath.exponential(ExtendedVocabulary.amountMu + ExtendedVocabulary.amountSigma * z)
        // Box–Muller's |z| < 8.6, so the amount is far below 2^53 cents; the clamp only guards
        // the conversion.
        return UInt64(min((amount * 100).rounded(.toNearestOrEven), 1e18))
    }
}

extension ByteWriter {
    /// Cents as the shortest decimal a Python float repr of the 2-decimal amount would show:
    /// `12.0`, `123.4`, `123.45`.
    @inline(__always)
    mutating func amount(cents: UInt64) {
        decimal(cents / 100)
        byte(UInt8(ascii: "."))
        let fraction = Int(cents % 100)
        if fraction % 10 == 0 {
            digit(fraction / 10)
        } else {
            twoDigits(fraction)
        }
    }

    /// A version-4, RFC 4122 variant UUID from 128 random bits, lowercase with dashes.
    @inline(__always)
    mutating func uuid(high: UInt64, low: UInt64) {
        let high = (high & ~0xF000) | 0x4000                          // version nibble: 4
        let low = (low & ~(0xC0 << 56)) | (0x80 << 56)                // variant bits: 10xx
        hex(high >> 32, digits: 8)
        byte(UInt8(ascii: "-"))
        hex(high >> 16, digits: 4)
        byte(UInt8(ascii: "-"))
        hex(high, digits: 4)
        byte(UInt8(ascii: "-"))
        hex(low >> 48, digits: 4)
        byte(UInt8(ascii: "-"))
        hex(low, digits: 12)
    }

    /// The low `digits` nibbles of `value`, most significant first.
    @inline(__always)
    private mutating func hex(_ value: UInt64, digits: Int) {
        var shift = UInt64(digits * 4)
        while shift > 0 {
            shift -= 4
            let nibble = UInt8(truncatingIfNeeded: (value >> shift) & 0xF)
            byte(nibble < 10 ? nibble &+ 48 : nibble &+ 87)
        }
    }
}
