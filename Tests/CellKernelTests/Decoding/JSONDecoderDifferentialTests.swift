import Foundation
import Testing
import TransactionGenerator
@testable import CellKernel

@Suite("JSON decoder: against Foundation and Swift's parsers")
struct JSONDecoderDifferentialTests {
    static let fields: [JSONFieldSpec] = [
        .init(name: "name", type: .string), .init(name: "amount", type: .double), .init(name: "count", type: .bigint),
        .init(name: "flag", type: .boolean), .init(name: "note", type: .string),
    ]

    /// A random string and a JSON spelling of it that mixes raw UTF-8 and every kind of escape.
    static func randomString(_ random: inout CellsRandom) -> (value: String, json: String) {
        let pool: [Unicode.Scalar] = ["a", "b", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\r", "\u{08}", "\u{0C}",
                                      "\u{01}", "\u{1F}", "é", "ß", "東", "京", "€", "😀", "𝄞", "\u{7F}", "{", "}", "[", "]", ",", ":"]
        var value = ""
        var json = "\""
        for _ in 0..<random.uniform(24) {
            let scalar = pool[random.uniform(pool.count)]
            value.unicodeScalars.append(scalar)
            let escapeAnyway = random.chance(20)
            switch scalar {
            case "\"": json += "\\\""
            case "\\": json += "\\\\"
            case "\n": json += escapeAnyway ? "\\u000a" : "\\n"
            case "\t": json += "\\t"
            case "\r": json += "\\r"
            case "\u{08}": json += "\\b"
            case "\u{0C}": json += "\\f"
            case "/": json += escapeAnyway ? "\\/" : "/"
            default:
                if scalar.value < 0x20 || escapeAnyway {
                    for unit in String(scalar).utf16 {
                        json += "\\u" + String(repeating: "0", count: 4 - String(unit, radix: 16).count)
                            + (random.chance(50) ? String(unit, radix: 16) : String(unit, radix: 16).uppercased())
                    }
                } else {
                    json.unicodeScalars.append(scalar)
                }
            }
        }
        return (value, json + "\"")
    }

    static func randomNumberText(_ random: inout CellsRandom) -> String {
        switch random.uniform(5) {
        case 0: return "\(Int64(bitPattern: random.next()) >> random.uniform(64))"
        case 1: return "\(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))"  // finite, shortest form
        case 2: return "\(random.uniform(100_000)).\(random.uniform(100))"
        case 3: return "-\(random.uniform(1000))e\(random.uniform(40) - 20)"
        default: return JSONDoubleParsingTests.randomDecimal(&random, exponentRange: -250..<250)
        }
    }

    static func randomJunk(_ random: inout CellsRandom, depth: Int = 0) -> String {
        switch random.uniform(depth > 2 ? 4 : 6) {
        case 0: return randomString(&random).json
        case 1: return randomNumberText(&random)
        case 2: return ["true", "false", "null"][random.uniform(3)]
        case 3: return "\"}]\\\"[{\""
        case 4: return "[" + (0..<random.uniform(4)).map { _ in randomJunk(&random, depth: depth + 1) }.joined(separator: ", ") + "]"
        default:
            return "{" + (0..<random.uniform(4)).map { _ in randomString(&random).json + ":" + randomJunk(&random, depth: depth + 1) }
                .joined(separator: ",") + "}"
        }
    }

    static func whitespace(_ random: inout CellsRandom) -> String {
        ["", "", "", " ", "\n", "\t", "\r\n  ", "  "][random.uniform(8)]
    }

    /// A document and the text of its "amount" number, if it has one.
    static func randomDocument(_ random: inout CellsRandom) -> (json: String, amount: String?) {
        var members: [String] = []
        var amount: String? = nil
        if random.chance(90) { members.append("\"name\":" + (random.chance(10) ? "null" : randomString(&random).json)) }
        if random.chance(90) {
            amount = random.chance(10) ? nil : randomNumberText(&random)
            members.append("\"amount\":" + (amount ?? "null"))
        }
        if random.chance(90) {
            let count: Int64 = random.chance(10) ? [Int64.max, .min, 0, -1][random.uniform(4)] : Int64(bitPattern: random.next()) >> random.uniform(64)
            members.append("\"count\":" + (random.chance(10) ? "null" : "\(count)"))
        }
        if random.chance(90) { members.append("\"flag\":" + ["true", "false", "null"][random.uniform(3)]) }
        if random.chance(90) { members.append("\"note\":" + randomString(&random).json) }
        for k in 0..<random.uniform(5) {
            members.append("\"junk\(k)\":" + randomJunk(&random))
        }
        // Fisher-Yates, so keys come in any order.
        for i in stride(from: members.count - 1, to: 0, by: -1) {
            members.swapAt(i, random.uniform(i + 1))
        }
        let separator = { (random: inout CellsRandom) in whitespace(&random) + "," + whitespace(&random) }
        var json = whitespace(&random) + "{" + whitespace(&random)
        for (i, member) in members.enumerated() {
            if i > 0 { json += separator(&random) }
            let colon = member.firstIndex(of: ":")!
            json += String(member[..<colon]) + whitespace(&random) + ":" + whitespace(&random) + String(member[member.index(after: colon)...])
        }
        return (json + whitespace(&random) + "}" + whitespace(&random), amount)
    }

    static func expectedCell(_ object: [String: Any], _ field: JSONFieldSpec) -> JSONCell {
        guard let value = object[field.name], !(value is NSNull) else { return .null }
        switch field.type {
        case .string: return .text(value as! String)
        case .double: return .double((value as! NSNumber).doubleValue)
        case .bigint: return .int((value as! NSNumber).int64Value)
        case .boolean: return .bool((value as! NSNumber).boolValue)
        default: fatalError("not generated")
        }
    }

    @Test func twoThousandRandomDocumentsMatchJSONSerialization() throws {
        var random = CellsRandom(seed: 2024)
        let decoder = JSONRecordDecoder(fields: JSONDecoderDifferentialTests.fields)
        var columns = decoder.makeColumns()
        var documents: [String] = []
        for row in 0..<2000 {
            let (document, amountText) = JSONDecoderDifferentialTests.randomDocument(&random)
            documents.append(document)
            let outcome = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &columns) }
            #expect(outcome == .ok, "\(document)")
            let object = try JSONSerialization.jsonObject(with: Data(document.utf8)) as! [String: Any]
            for (i, field) in JSONDecoderDifferentialTests.fields.enumerated() {
                let expected = JSONDecoderDifferentialTests.expectedCell(object, field)
                let actual = jsonCell(columns[i], row)
                if field.name == "amount", let amountText, case .double(let foundation) = expected, case .double(let ours) = actual {
                    // Foundation's JSON numbers are off by a few ulps at times; Swift's own
                    // parser is correctly rounded, so it decides the exact bits.
                    #expect(ours.bitPattern == Double(amountText)!.bitPattern, "\(amountText)")
                    #expect(abs(ours - foundation) <= abs(foundation) * 1e-14, "\(amountText)")
                } else {
                    #expect(actual == expected, "\(field.name) in \(document)")
                }
            }
        }
        // The same documents as JSON lines (newlines outside strings are only whitespace, and
        // strings hold none raw) give the same columns.
        var lineColumns = decoder.makeColumns()
        let lines = documents.map { $0.utf8.map { $0 == 0x0A ? 0x20 : $0 } }.joined(separator: [0x0A])
        let rows = Array(lines).withUnsafeBytes { decoder.decodeLines($0, into: &lineColumns) }
        #expect(rows == 2000)
        for i in columns.indices {
            let differing = (0..<min(2000, lineColumns[i].count)).filter { jsonCell(columns[i], $0) != jsonCell(lineColumns[i], $0) }
            #expect(differing.isEmpty, "column \(i) differs in rows \(differing.prefix(5))")
        }
    }
}

@Suite("JSON decoder: DOUBLE parsing against Double(String)")
struct JSONDoubleParsingTests {
    /// A decimal in JSON's grammar: 1 to 25 significant digits, any point position, and
    /// exponents across and beyond the Double range.
    static func randomDecimal(_ random: inout CellsRandom, exponentRange: Range<Int> = -350..<350) -> String {
        var text = random.chance(30) ? "-" : ""
        let digits = 1 + random.uniform(25)
        var mantissa = ""
        for i in 0..<digits {
            mantissa += String(i == 0 ? 1 + random.uniform(9) : random.uniform(10))
        }
        switch random.uniform(3) {
        case 0: text += mantissa
        case 1:
            let point = random.uniform(digits)
            text += point == 0 ? "0." + String(repeating: "0", count: random.uniform(4)) + mantissa
                : String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
        default:
            text += String(mantissa.prefix(1)) + (digits > 1 ? "." + String(mantissa.dropFirst()) : "")
        }
        if random.chance(60) {
            let exponent = random.chance(20)
                ? exponentRange.lowerBound + random.uniform(exponentRange.count)
                : random.uniform(60) - 30
            text += (random.chance(50) ? "e" : "E") + (exponent >= 0 && random.chance(50) ? "+" : "") + String(exponent)
        }
        return text
    }

    /// The exact decimal expansion of the midpoint between `d` and the next Double up, where
    /// correct rounding depends on every digit; `nudge` appends a digit to land just above it.
    static func exactMidpoint(_ d: Double, nudge: Bool) -> String {
        let significand = d.significandBitPattern | (d.isNormal ? 1 << 52 : 0)
        let exponent = (d.isNormal ? Int(d.exponent) - 52 : -1074) - 1
        var digits: [UInt8] = []  // least significant first
        var n = 2 * significand + 1
        while n > 0 {
            digits.append(UInt8(n % 10))
            n /= 10
        }
        func multiply(by factor: UInt8) {
            var carry: UInt8 = 0
            for i in digits.indices {
                let product = digits[i] * factor + carry
                digits[i] = product % 10
                carry = product / 10
            }
            if carry > 0 { digits.append(carry) }
        }
        for _ in 0..<abs(exponent) { multiply(by: exponent > 0 ? 2 : 5) }
        let fractionDigits = max(-exponent, 0)
        while digits.count <= fractionDigits { digits.append(0) }
        let text = digits.reversed().map { String($0) }.joined()
        let integer = text.dropLast(fractionDigits)
        let fraction = text.suffix(fractionDigits)
        return String(integer) + "." + (fraction.isEmpty ? "0" : String(fraction)) + (nudge ? "1" : "")
    }

    @Test func exactMidpointsRoundToEven() {
        var random = CellsRandom(seed: 5)
        var texts: [String] = []
        for i in 0..<400 {
            let exponentField = UInt64(1023 - 200 + random.uniform(400))
            let d = Double(bitPattern: exponentField << 52 | random.next() & 0x000F_FFFF_FFFF_FFFF)
            texts.append(JSONDoubleParsingTests.exactMidpoint(d, nudge: i % 2 == 1))
        }
        for bits: UInt64 in [1, 2, 3, 0x000F_FFFF_FFFF_FFFE, 0x0010_0000_0000_0000] {
            texts.append(JSONDoubleParsingTests.exactMidpoint(Double(bitPattern: bits), nudge: false))
        }
        texts.append(JSONDoubleParsingTests.exactMidpoint(0, nudge: false))  // half the least subnormal: ties to 0
        let decoder = JSONRecordDecoder(fields: [.init(name: "d", type: .double)])
        var columns = decoder.makeColumns()
        let rows = Array(texts.map { "{\"d\": \($0)}" }.joined(separator: "\n").utf8).withUnsafeBytes {
            decoder.decodeLines($0, into: &columns)
        }
        #expect(rows == texts.count)
        for (i, text) in texts.enumerated() {
            #expect(jsonCell(columns[0], i) == .double(Double(text)!), "\(text)")
        }
        #expect(jsonCell(columns[0], texts.count - 1) == .double(0))
    }

    @Test func hundredThousandRandomDecimals() {
        var random = CellsRandom(seed: 99)
        var texts: [String] = []
        for i in 0..<100_000 {
            texts.append(i % 10 == 9 ? "\(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))" : JSONDoubleParsingTests.randomDecimal(&random))
        }
        let decoder = JSONRecordDecoder(fields: [.init(name: "d", type: .double), .init(name: "f", type: .float)])
        var columns = decoder.makeColumns(capacity: texts.count)
        let buffer = texts.map { "{\"d\":\($0),\"f\":\($0)}" }.joined(separator: "\n")
        var malformed = 0
        let rows = Array(buffer.utf8).withUnsafeBytes { decoder.decodeLines($0, into: &columns) { _, _ in malformed += 1 } }
        #expect(rows == texts.count && malformed == 0)
        guard case .double(let doubles) = columns[0].data, case .double(let floats) = columns[1].data else {
            Issue.record("wrong storage")
            return
        }
        var mismatches = 0
        for (i, text) in texts.enumerated() {
            let expected = Double(text)!
            if doubles[i].bitPattern != expected.bitPattern || floats[i].bitPattern != Double(Float(expected)).bitPattern {
                mismatches += 1
                if mismatches <= 10 { Issue.record("\(text): got \(doubles[i]), expected \(expected)") }
            }
        }
        #expect(mismatches == 0)
    }
}
