import Foundation
import Testing
import TransactionGenerator
@testable import CellKernel

/// The decoder's fast path (``JSONDocumentParser/parseWellFormed()``) must read exactly what
/// the validating parser reads: whenever it accepts a document, the validating parser accepts
/// it too and fills every slot the same; whenever the validating parser refuses one, the fast
/// path gives up on it.
@Suite("JSON decoder: the fast path against the validating parser")
struct JSONFastPathTests {
    static let fields: [JSONFieldSpec] = JSONDecoderDifferentialTests.fields + [
        .init(name: "when", type: .timestamp), .init(name: "day", type: .date), .init(name: "price", type: .decimal(precision: 10, scale: 2)),
        .init(name: "ratio", type: .float), .init(name: "nested", type: .array(.bigint)), .init(name: "amount", type: .string),
    ]

    struct Slot: Equatable, CustomStringConvertible {
        var state: UInt8, bits: UInt64, start: Int, end: Int
        var description: String { "state \(state) bits \(bits) \(start)..<\(end)" }
    }

    /// Both parsers over `document`, sharing key memos as a stream's decoder does.
    static func parseBoth(_ document: [UInt8], lookup: JSONFieldLookup, memos: JSONKeyMemos) -> (fast: [Slot]?, validating: [Slot]?) {
        document.withUnsafeBufferPointer { buffer in
            withUnsafeTemporaryAllocation(of: JSONSlot.self, capacity: lookup.fieldCount) { slots in
                func run(_ body: (JSONDocumentParser) throws(JSONSyntaxError) -> Bool) -> [Slot]? {
                    for i in 0..<lookup.fieldCount { slots[i] = JSONSlot(state: .null) }
                    let parser = JSONDocumentParser(scanner: JSONScanner(base: buffer.baseAddress!, end: buffer.count), lookup: lookup,
                                                    slots: slots.baseAddress!, memos: memos)
                    guard (try? body(parser)) == true else { return nil }
                    return (0..<lookup.fieldCount).map { i in
                        let slot = slots[i]
                        // Only what the commit step reads for the slot's state counts.
                        switch slot.state {
                        case .null: return Slot(state: 0, bits: 0, start: 0, end: 0)
                        case .value: return Slot(state: 1, bits: slot.bits, start: 0, end: slot.end)
                        case .text, .escapedText: return Slot(state: slot.state.rawValue, bits: 0, start: slot.start, end: slot.end)
                        case .mismatch: return Slot(state: 4, bits: UInt64(slot.detail.rawValue), start: slot.start, end: slot.end)
                        }
                    }
                }
                let fast = run { parser in parser.parseWellFormed() }
                let validating = run { (parser) throws(JSONSyntaxError) in try parser.parseValidating(); return true }
                return (fast, validating)
            }
        }
    }

    static func randomValue(_ field: String, _ random: inout CellsRandom) -> String {
        switch field {
        case "when":
            return ["\"2024-01-01T00:00:00.000Z\"", "\"2024-02-29T23:59:59.999Z\"", "\"2023-02-29T00:00:00.000Z\"", "\"9999-12-31T23:59:59Z\"",
                    "\"2024-01-01 10:00\"", "1700000000", "\"2024-13-01T00:00:00.000Z\"", "\"2024-01-01T24:00:00.000Z\""][random.uniform(8)]
        case "day": return ["\"2024-01-01\"", "\"0000-01-01\"", "\"2024-1-1\"", "20240101"][random.uniform(4)]
        case "price": return ["12.345", "\"99999999.99\"", "1e3", "123456789012"][random.uniform(4)]
        case "ratio": return ["NaN", "\"Infinity\"", "-Infinity", "3.4028236e38", "1e-50"][random.uniform(5)]
        case "nested": return ["[1,2,3]", "[1,\"x\"]", "[]", "{\"a\":1}", "[[1]]"][random.uniform(5)]
        default: return JSONDecoderDifferentialTests.randomJunk(&random)
        }
    }

    /// A document like the differential suite's, with this suite's typed fields too, and
    /// some keys long or unrequested, so memos, escapes and whitespace all occur.
    static func randomDocument(_ random: inout CellsRandom) -> String {
        var (json, _) = JSONDecoderDifferentialTests.randomDocument(&random)
        guard let close = json.lastIndex(of: "}") else { return json }
        var extra = ""
        for name in ["when", "day", "price", "ratio", "nested", "a_key_longer_than_twenty_four_bytes", "caf\\u00e9"] where random.chance(50) {
            extra += ",\"\(name)\":" + randomValue(name, &random)
        }
        json.insert(contentsOf: extra, at: close)
        return json.replacingOccurrences(of: "{,", with: "{")
    }

    /// A byte changed, inserted, dropped, or the document cut short.
    static func mutate(_ document: [UInt8], _ random: inout CellsRandom) -> [UInt8] {
        var bytes = document
        guard !bytes.isEmpty else { return [UInt8(random.uniform(256))] }
        let at = random.uniform(bytes.count)
        let pool: [UInt8] = Array("{}[]:,\"\\ \n\t0-.eE+tfnuNI".utf8) + [0x00, 0x1F, 0x80, 0xC3, 0xE2, 0xFF]
        switch random.uniform(4) {
        case 0: bytes[at] = pool[random.uniform(pool.count)]
        case 1: bytes.insert(pool[random.uniform(pool.count)], at: at)
        case 2: bytes.remove(at: at)
        default: bytes.removeSubrange(at...)
        }
        return bytes
    }

    @Test func theFastPathReadsWhatTheValidatingParserReads() {
        var random = CellsRandom(seed: 1515)
        let table = JSONFieldTable(Self.fields)
        var accepted = 0, wellFormed = 0, refused = 0
        table.withLookup { lookup in
            withUnsafeTemporaryAllocation(of: JSONKeyMemo.self, capacity: JSONKeyMemos.capacity()) { buffer in
                buffer.initialize(repeating: JSONKeyMemo())
                let memos = JSONKeyMemos(base: buffer.baseAddress!, count: JSONKeyMemo.positions)
                for round in 0..<6000 {
                    var document = Array(Self.randomDocument(&random).utf8)
                    if round % 3 == 2 { document = Self.mutate(document, &random) }
                    let (fast, validating) = Self.parseBoth(document, lookup: lookup, memos: memos)
                    let text = String(decoding: document, as: UTF8.self)
                    if let fast {
                        accepted += 1
                        #expect(validating == fast, "\(text)")
                    }
                    if validating == nil {
                        refused += 1
                        #expect(fast == nil, "the fast path accepted a malformed document: \(text)")
                    } else {
                        wellFormed += 1
                    }
                }
            }
        }
        // Both kinds occurred, and the fast path took nearly every well-formed document.
        #expect(refused > 500)
        #expect(Double(accepted) >= 0.9 * Double(wellFormed), "fast path took \(accepted) of \(wellFormed)")
    }

    @Test func theTransactionShapeTakesTheFastPathWithMemosNearTheEnd() {
        // Short documents put every key within the memos' 32-byte window of the end.
        let table = JSONFieldTable([.init(name: "a", type: .bigint), .init(name: "b", type: .string)])
        let documents = [#"{"a":1,"b":"x"}"#, #"{"a":2,"b":"y"}"#, #"{"a":3,"bb":"z"}"#, #"{"a":4,"b":"w"} "#, #"{"a":5,"b":"v"}x"#]
        table.withLookup { lookup in
            withUnsafeTemporaryAllocation(of: JSONKeyMemo.self, capacity: JSONKeyMemos.capacity()) { buffer in
                buffer.initialize(repeating: JSONKeyMemo())
                let memos = JSONKeyMemos(base: buffer.baseAddress!, count: JSONKeyMemo.positions)
                let results = documents.map { Self.parseBoth(Array($0.utf8), lookup: lookup, memos: memos) }
                #expect(results.map { $0.fast?[0].bits } == [1, 2, 3, 4, nil])
                #expect(results[2].fast?[1] == Slot(state: 0, bits: 0, start: 0, end: 0))
                #expect(results.map { $0.validating == nil } == [false, false, false, false, true])
            }
        }
    }

    @Test func theCanonicalTimestampFormIsReadAsTheGeneralParserReadsIt() {
        var random = CellsRandom(seed: 24)
        var taken = 0
        for round in 0..<20000 {
            let millis = random.chance(50)
            var text = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", random.uniform(10000), random.uniform(14), random.uniform(33),
                              random.uniform(26), random.uniform(62), random.uniform(62))
                + (millis ? String(format: ".%03d", random.uniform(1000)) : "") + "Z"
            var bytes = Array(text.utf8)
            if round % 4 == 3 {
                // A separator or digit spoiled, in place, so the length still fits the fast form.
                bytes[random.uniform(bytes.count)] = Array("0123456789-:T.Z /a\u{7F}".utf8)[random.uniform(19)]
                text = String(decoding: bytes, as: UTF8.self)
            }
            let (fast, general) = bytes.withUnsafeBufferPointer { b in
                (JSONTimeParsing.canonicalTimestamp(b.baseAddress!, b.count), JSONTimeParsing.parsedTimestamp(b.baseAddress!, count: b.count))
            }
            if let fast {
                taken += 1
                #expect(fast == general, "\(text)")
            } else if round % 4 != 3 {
                // Unspoiled: the fast form refuses only what the general parser refuses too.
                #expect(general == nil, "\(text) is valid but was left to the general parser")
            }
        }
        #expect(taken > 5000)
        let edge = Array("9999-12-31T23:59:59.999Z".utf8).withUnsafeBufferPointer { JSONTimeParsing.canonicalTimestamp($0.baseAddress!, $0.count) }
        #expect(edge == 253_402_300_799_999_000)
    }

    /// Random number texts, valid and not: digit runs of every length around 15, leading
    /// zeros, signs, fractions, exponents and stray bytes after them.
    static func randomNumberText(_ random: inout CellsRandom) -> [UInt8] {
        func digits(_ count: Int) -> String { String((0..<count).map { _ in Character(String(random.uniform(10))) }) }
        var text = ["", "", "-", "+"][random.uniform(4)]
        text += random.chance(20) ? "0" : digits(random.uniform(18))
        if random.chance(60) { text += "." + digits(random.uniform(17)) }
        if random.chance(10) { text += ["e5", "E-3", "e", "e+400"][random.uniform(4)] }
        if random.chance(30) { text += [",", "}", " ", "x", ".", "-", "0"][random.uniform(7)] }
        // Half the texts have the rest of a document after them, as the decoder sees numbers.
        if random.chance(50) { text += [#","amount":12.5}"#, "        ", "}\n{\"a\":1}"][random.uniform(3)] }
        return Array(text.utf8)
    }

    @Test func shortDecimalsAreTheDoublesTheTokenPathMakes() {
        var random = CellsRandom(seed: 1516)
        var taken = 0
        for _ in 0..<30000 {
            let bytes = Self.randomNumberText(&random)
            guard !bytes.isEmpty else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            bytes.withUnsafeBufferPointer { b in
                let scanner = JSONScanner(base: b.baseAddress!, end: b.count)
                let token = try? scanner.scanNumber(at: 0)
                guard let (value, end) = scanner.shortDecimal(at: 0) else { return }
                taken += 1
                guard let token else {
                    Issue.record("\(text): short decimal \(value), but scanNumber refuses it")
                    return
                }
                #expect(end == token.end, "\(text)")
                #expect(value.bitPattern == JSONNumberConversion.double(token, base: b.baseAddress!).bitPattern, "\(text)")
            }
        }
        #expect(taken > 10000)
        let extremes = ["999999999999999", "-0", "0.000000000000001", "-123456.789012345"].map { text in
            Array(text.utf8).withUnsafeBufferPointer { JSONScanner(base: $0.baseAddress!, end: $0.count).shortDecimal(at: 0)?.value }
        }
        #expect(extremes.map { $0?.bitPattern } == [999_999_999_999_999.0, -0.0, 1e-15, -123_456.789012345].map(\.bitPattern))
        let refused = ["9999999999999999", "1e3", "1.", "-", "01.5x"].map { text in
            Array(text.utf8).withUnsafeBufferPointer { JSONScanner(base: $0.baseAddress!, end: $0.count).shortDecimal(at: 0)?.end }
        }
        // "01.5x" is read as 0, as scanNumber reads it; the caller then finds the 1 misplaced.
        #expect(refused == [nil, nil, nil, nil, 1])
    }

    @Test func wordAtATimeDecimalsEqualTheStepwiseReading() {
        var random = CellsRandom(seed: 2712)
        var fast = 0
        for _ in 0..<30000 {
            var bytes = Self.randomNumberText(&random)
            // Bytes after the number, so that its 8-byte loads fit: every kind of stop.
            bytes += (0..<random.uniform(12)).map { _ in [UInt8(ascii: "5"), 0x2E, 0x2C, 0x7D, 0x20, 0x0A, 0x65, 0x3A, 0x2F, 0xFF][random.uniform(10)] }
            guard !bytes.isEmpty else { continue }
            bytes.withUnsafeBufferPointer { b in
                let scanner = JSONScanner(base: b.baseAddress!, end: b.count)
                let word = scanner.shortDecimal(at: 0)
                let step = scanner.shortDecimalStepwise(at: 0)
                if word != nil && b.count >= 9 { fast += 1 }
                #expect(word?.end == step?.end && word?.value.bitPattern == step?.value.bitPattern,
                        "\(String(decoding: bytes, as: UTF8.self))")
            }
        }
        #expect(fast > 5000)
    }

    @Test func stringStopsAreTheFirstByteThatEndsPlainText() {
        // The bytes before the stop are all plain text, and the stop is a quote, backslash,
        // control or non-ASCII byte, or else fewer than eight bytes are left from it.
        func isStop(_ c: UInt8) -> Bool { c == 0x22 || c == 0x5C || c < 0x20 || c >= 0x80 }
        var random = CellsRandom(seed: 404)
        for round in 0..<4000 {
            let count = 1 + random.uniform(70)
            var bytes = (0..<count).map { _ in UInt8(0x20 + random.uniform(0x5F)) }
            // Up to two stops of any kind at any place (0x20 and 0x7F are not stops).
            for _ in 0..<random.uniform(3) {
                bytes[random.uniform(count)] = [0x22, 0x5C, 0x00, 0x0A, 0x1F, 0x7F, 0x80, 0xC3, 0xFF, 0x20][random.uniform(10)]
            }
            let start = random.uniform(count)
            let stop = bytes.withUnsafeBufferPointer { JSONScanner(base: $0.baseAddress!, end: count).stringStop(from: start) }
            #expect(stop >= start && stop <= count, "round \(round)")
            #expect(!bytes[start..<min(stop, count)].contains(where: isStop), "round \(round)")
            #expect((stop < count && isStop(bytes[stop])) || count - stop < 8, "round \(round)")
        }
    }

    @Test func digitMasksAndValuesAreExactPerByte() {
        for byte in 0...255 {
            for position in 0..<8 {
                let word = UInt64(0x3535_3535_3535_3535) & ~(UInt64(0xFF) << (8 * position)) | UInt64(byte) << (8 * position)
                let expected = (UInt8(byte) &- 0x30 < 10 ? 0 : UInt64(0x80) << (8 * position))
                #expect(JSONScanner.nonDigitMask(word) == expected, "byte \(byte) at \(position)")
            }
        }
        var random = CellsRandom(seed: 99)
        for _ in 0..<5000 {
            let count = 1 + random.uniform(8)
            let digits = (0..<8).map { _ in UInt8(random.uniform(10)) }
            let word = digits.enumerated().reduce(UInt64(0)) { $0 | UInt64(0x30 + $1.element) << (8 * $1.offset) }
            let expected = digits.prefix(count).reduce(UInt64(0)) { $0 * 10 + UInt64($1) }
            #expect(JSONScanner.digitsValue(word, count: count) == expected)
        }
    }
}
