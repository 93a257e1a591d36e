import Testing
@testable import CellKernel
import TransactionGenerator

/// A batch's rows are staged in raw memory and go into the column arrays every
/// `JSONBatchWriter.stagedRows` rows. Whatever the rows hold, the columns must come out as a
/// document at a time straight into `Column`s makes them: the same values bit for bit, and the
/// same validity mask (none until the first NULL, then one entry a row).
@Suite struct JSONBatchWriterTests {
    static let fields = [JSONFieldSpec(name: "s", type: .string), JSONFieldSpec(name: "i", type: .bigint),
                         JSONFieldSpec(name: "d", type: .double), JSONFieldSpec(name: "b", type: .boolean),
                         JSONFieldSpec(name: "m", type: .decimal(precision: 20, scale: 2)),
                         JSONFieldSpec(name: "t", type: .string)]

    /// A column as comparable values: its mask, and its data with doubles as bit patterns.
    static func physical(_ column: Column) -> [String] {
        let data: [String] = switch column.data {
        case .int64(let v): v.map(String.init)
        case .int128(let v): v.map { String($0) }
        case .double(let v): v.map { String($0.bitPattern) }
        case .bool(let v): v.map(String.init)
        case .bytes(let v): (0..<v.count).map { v[$0] }
        }
        return ["mask " + column.validity.map { $0 ? "1" : "0" }.joined()] + data
    }

    /// A document whose fields are each present, missing, null or of the wrong type; the text
    /// fields sometimes long (past the staging's room), empty or escaped.
    static func document(_ random: inout CellsRandom, nulls: Bool) -> String {
        func text() -> String {
            switch random.uniform(10) {
            case 0: return ""
            case 1: return String(repeating: "x", count: 9000 + random.uniform(30000))
            case 2: return #"a\"b\\c\u00e9"#
            case 3: return String(repeating: "yz", count: random.uniform(12))
            default: return "v\(random.uniform(100_000))"
            }
        }
        var parts: [String] = []
        for name in ["s", "i", "d", "b", "m", "t"] {
            if nulls && random.chance(8) { continue }
            if nulls && random.chance(5) { parts.append("\"\(name)\":null"); continue }
            let value = switch name {
            case "s", "t": "\"\(text())\""
            case "i": String(Int64.min + Int64(random.uniform(1000)))
            case "d": ["1e308", "-0.0", "33.29", "5"][random.uniform(4)]
            case "b": random.chance(50) ? "true" : "false"
            default: "\(random.uniform(1_000_000)).\(random.uniform(100))"
            }
            parts.append("\"\(name)\":\(value)")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func compare(documents: [String], prefilled: [String]) {
        let decoder = JSONRecordDecoder(fields: fields)
        var expected = decoder.makeColumns()
        for document in prefilled + documents {
            _ = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &expected) }
        }
        var got = decoder.makeColumns()
        for document in prefilled {
            _ = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &got) }
        }
        let text = Array(documents.joined(separator: "\n").utf8)
        let context = JSONDecodingContext(decoder)
        let progress = text.withUnsafeBufferPointer {
            context.decodeLines($0.baseAddress!, 0..<$0.count, maxRows: .max, into: &got)
        }
        #expect(progress.rows == documents.count)
        #expect(progress.malformed == nil)
        for (i, field) in fields.enumerated() {
            #expect(got[i].count == prefilled.count + documents.count, "\(field.name)")
            #expect(physical(got[i]) == physical(expected[i]), "\(field.name)")
        }
    }

    @Test(arguments: [0, 1, 255, 256, 257, 511, 513, 2000])
    func stagedRowsEqualRowsAppendedOneByOne(count: Int) {
        var random = CellsRandom(seed: UInt64(count) + 7)
        // NULLs only after the first stage is full: a mask starts in the middle of a batch.
        let documents = (0..<count).map { Self.document(&random, nulls: $0 > 300) }
        Self.compare(documents: documents, prefilled: [])
    }

    @Test func rowsGoAfterTheColumnsRowsWithOrWithoutAMask() {
        var random = CellsRandom(seed: 31)
        let documents = (0..<700).map { _ in Self.document(&random, nulls: true) }
        Self.compare(documents: documents, prefilled: [#"{"s":"p","i":1,"d":2.5,"b":true,"m":3.25,"t":"q"}"#])
        Self.compare(documents: documents, prefilled: [#"{"s":null}"#, #"{"i":2}"#])
        Self.compare(documents: [#"{"s":"only"}"#], prefilled: [#"{"t":null}"#])
    }
}
