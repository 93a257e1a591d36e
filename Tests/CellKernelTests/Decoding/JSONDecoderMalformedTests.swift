import Testing
import TransactionGenerator
@testable import CellKernel

@Suite("JSON decoder: structure and malformed documents")
struct JSONDecoderMalformedTests {
    static let fields: [JSONFieldSpec] = [
        .init(name: "s", type: .string), .init(name: "d", type: .double), .init(name: "i", type: .bigint),
        .init(name: "b", type: .boolean), .init(name: "t", type: .timestamp),
    ]

    /// A document with every kind of value, nested containers, escapes and non-ASCII text.
    static let rich = #"{"skip":{"a":"x\"}]","b":[1,{"c":"]}"},-2.5e-3,true,false,null],"d":{}},"s":"h\u00e9llo \"w\" 😀","d":-12.5e2,"#
        + #""arr":[[],[[]],{},"[{"],"i":-9007199254740993,"b":true,"t":"2024-01-01T00:00:00.021Z","n":null,"e":"\\"}"#

    @Test func richDocumentDecodes() {
        let r = jsonDecode(JSONDecoderMalformedTests.rich, JSONDecoderMalformedTests.fields)
        #expect(r.outcome == .ok)
        #expect(r.cells == [.text("héllo \"w\" 😀"), .double(-1250), .int(-9_007_199_254_740_993), .bool(true),
                            .int(1_704_067_200_021_000)])
    }

    @Test func nestedSkippingWithTrickyStrings() {
        let json = #"{"skip": {"a": "x\"}]", "b": [1, {"c": "]}\\"}], "d": {}}, "s": "ok", "n": [[], [[ ]]], "i": 2}"#
        let r = jsonDecode(json, JSONDecoderMalformedTests.fields)
        #expect(r == ([.text("ok"), .null, .int(2), .null, .null], .ok))
    }

    @Test func whitespaceEverywhere() {
        let json = " \n\t{ \r\n \"s\" \t:\n \"x\" ,\n\"skip\" : [ 1 , { \"k\" : [ ] } ] , \"i\"  :  7 \n} \r\n "
        #expect(jsonDecode(json, JSONDecoderMalformedTests.fields) == ([.text("x"), .null, .int(7), .null, .null], .ok))
    }

    @Test func everyPrefixOfAValidDocumentIsMalformed() {
        let bytes = Array(JSONDecoderMalformedTests.rich.utf8)
        #expect(jsonDecode(bytes: bytes, JSONDecoderMalformedTests.fields).outcome == .ok)
        // From 1: an empty document is a row of NULLs, as Spark's from_json('') is NULL.
        for length in 1..<bytes.count {
            let r = jsonDecode(bytes: Array(bytes[..<length]), JSONDecoderMalformedTests.fields)
            #expect(r.outcome.isMalformed, "prefix of \(length) bytes")
            #expect(r.cells.allSatisfy { $0 == .null }, "prefix of \(length) bytes")
            #expect(r.outcome.malformation?.field == nil)
        }
    }

    @Test func everyPrefixWhenNothingIsRequested() {
        let bytes = Array(JSONDecoderMalformedTests.rich.utf8)
        for length in 1..<bytes.count {
            #expect(jsonDecode(bytes: Array(bytes[..<length]), []).outcome.isMalformed, "prefix of \(length) bytes")
        }
    }

    @Test func notAnObject() {
        for text in ["[1, 2]", "[]", "42", "\"str\"", "null", "true", "}", "{", "x"] {
            let r = jsonDecode(text, JSONDecoderMalformedTests.fields)
            #expect(r.outcome.isMalformed, "\(text)")
            #expect(r.cells.allSatisfy { $0 == .null })
        }
        #expect(jsonDecode("[1]", []).outcome.malformation?.reason == "expected '{' (a document must be a JSON object)")
        // Blank is not malformed: Spark's from_json of it is NULL (see ErrorReportingTests).
        #expect(jsonDecode("   ", []).outcome == .ok)
    }

    @Test func structuralErrors() {
        let cases: [(String, String, Int)] = [
            (#"{"s" "x"}"#, "expected ':' after a key", 5),
            (#"{"s":"x" "i":1}"#, "expected ',' or '}' after a value", 9),
            (#"{"s":"x",}"#, "expected a key string", 9),
            (#"{,}"#, "expected a key string", 1),
            (#"{"s"}"#, "expected ':' after a key", 4),
            (#"{"s":}"#, "expected a value", 5),
            (#"{s:1}"#, "expected a key string", 1),
            (#"{'s':1}"#, "expected a key string", 1),
            (#"{"k":[1 2]}"#, "expected ',' or ']' after a value", 8),
            (#"{"k":[1,]}"#, "expected a value", 8),
            (#"{"k":{"a" 1}}"#, "expected ':' after a key", 10),
            (#"{"k":{"a":1]}"#, "expected ',' or '}' after a value", 11),
            (#"{"k":[1}"#, "expected ',' or ']' after a value", 7),
            (#"{"k":{1:2}}"#, "expected a key string", 6),
            (#"{"s":"x"} x"#, "unexpected data after the object", 10),
            (#"{"s":"x"}{}"#, "unexpected data after the object", 9),
            (#"{"s":"x"},"#, "unexpected data after the object", 9),
            (#"{"s":"x"#, "unterminated string", 7),
            (#"{"k":[1,2"#, "unexpected end of document", 9),
        ]
        for (text, reason, offset) in cases {
            let r = jsonDecode(text, JSONDecoderMalformedTests.fields)
            #expect(r.outcome.malformation == JSONMalformation(reason: reason, byteOffset: offset), "\(text)")
            #expect(r.cells.allSatisfy { $0 == .null }, "\(text)")
        }
        #expect(jsonDecode(#"{"s" "x"}"#, []).outcome.malformation?.description == "expected ':' after a key at byte 5")
    }

    @Test func trailingWhitespaceIsFine() {
        #expect(jsonDecode("{\"i\": 1}  \r\n\t", JSONDecoderMalformedTests.fields).outcome == .ok)
    }

    @Test func nestingLimit() {
        // The document's object is level 1, so a value may nest 999 levels.
        let deepest = "{\"k\": " + String(repeating: "[", count: 999) + String(repeating: "]", count: 999) + ", \"i\": 1}"
        #expect(jsonDecode(deepest, JSONDecoderMalformedTests.fields).outcome == .ok)
        let tooDeep = "{\"k\": " + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "}"
        #expect(jsonDecode(tooDeep, JSONDecoderMalformedTests.fields).outcome.malformation?.reason == "nesting deeper than 1000 levels")
        let mixed = "{\"k\": " + String(repeating: "{\"a\":[", count: 499) + String(repeating: "]}", count: 499) + "}"
        #expect(jsonDecode(mixed, [.init(name: "k", type: .string)]).outcome == .ok)
        let unbalanced = "{\"k\": " + String(repeating: "[", count: 200) + String(repeating: "]", count: 199) + "}"
        #expect(jsonDecode(unbalanced, []).outcome.isMalformed)
    }

    @Test func binaryGarbageIsMalformedAndNeverCrashes() {
        var random = CellsRandom(seed: 42)
        for _ in 0..<3000 {
            let count = 8 + random.uniform(120)
            var bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if random.chance(50) { bytes[0] = UInt8(ascii: "{") }
            let r = jsonDecode(bytes: bytes, JSONDecoderMalformedTests.fields)
            #expect(r.outcome.isMalformed)
            #expect(r.cells.allSatisfy { $0 == .null })
        }
    }

    @Test func mutatedDocumentsNeverCrash() {
        var random = CellsRandom(seed: 7)
        let original = Array(JSONDecoderMalformedTests.rich.utf8)
        let alphabet = Array(#"{}[]",:\ 0123456789-+.eEtrufalsn"#.utf8) + [0x00, 0x80, 0xC3, 0xED, 0xFF]
        for _ in 0..<3000 {
            var bytes = original
            for _ in 0..<(1 + random.uniform(4)) {
                let at = random.uniform(bytes.count)
                switch random.uniform(3) {
                case 0: bytes[at] = alphabet[random.uniform(alphabet.count)]
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet[random.uniform(alphabet.count)], at: at)
                }
            }
            let r = jsonDecode(bytes: bytes, JSONDecoderMalformedTests.fields)
            if r.outcome.isMalformed && r.outcome.malformation?.field == nil {
                #expect(r.cells.allSatisfy { $0 == .null })
            }
        }
    }

    @Test func invalidUTF8() {
        let sequences: [[UInt8]] = [
            [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF], [0xC3], [0xE0, 0x80, 0x80], [0xE2, 0x82],
            [0xED, 0xA0, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
            [0xFE], [0xFF], [0xC3, 0x28], [0xE2, 0x28, 0xA1],
        ]
        for sequence in sequences {
            let inRequested = Array(#"{"s": "a"#.utf8) + sequence + Array(#"b", "i": 1}"#.utf8)
            let inSkipped = Array(#"{"x": "a"#.utf8) + sequence + Array(#"b", "i": 1}"#.utf8)
            let inKey = Array(#"{"a"#.utf8) + sequence + Array(#"": 1, "i": 1}"#.utf8)
            let outside = Array(#"{"i": 1, "#.utf8) + sequence + Array(#""x": 1}"#.utf8)
            for bytes in [inRequested, inSkipped, inKey, outside] {
                let r = jsonDecode(bytes: bytes, JSONDecoderMalformedTests.fields)
                #expect(r.outcome.isMalformed, "\(sequence)")
                #expect(r.cells.allSatisfy { $0 == .null }, "\(sequence)")
            }
        }
        // Valid multi-byte sequences at every length, including the extremes.
        let valid: [UInt8] = [0xC2, 0x80, 0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80,
                              0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF]
        let bytes = Array(#"{"s": ""#.utf8) + valid + Array(#""}"#.utf8)
        #expect(jsonDecode(bytes: bytes, JSONDecoderMalformedTests.fields).cells[0] == .text(String(decoding: valid, as: UTF8.self)))
    }

    @Test func megabyteValues() {
        let big = String(repeating: "abcdefghij", count: 100_000) + "\\\"end\\u00e9"
        let json = "{\"skip\": \"\(big)\", \"s\": \"\(big)\", \"arr\": [" + Array(repeating: "[1.5, \"]\"]", count: 100_000).joined(separator: ",") + "], \"i\": 3}"
        let expected = String(repeating: "abcdefghij", count: 100_000) + "\"endé"
        #expect(jsonDecode(json, JSONDecoderMalformedTests.fields) == ([.text(expected), .null, .int(3), .null, .null], .ok))
        #expect(jsonDecode(json, [.init(name: "i", type: .int)]) == ([.int(3)], .ok))
        let raw = jsonDecode(json, [.init(name: "arr", type: .string)]).cells[0]
        guard case .text(let text) = raw else {
            Issue.record("array not captured")
            return
        }
        #expect(text.utf8.count == 1_000_000 + 99_999 + 2)
        // Truncated inside the megabyte string.
        let truncated = Array(json.utf8.prefix(600_000))
        #expect(jsonDecode(bytes: truncated, JSONDecoderMalformedTests.fields).outcome.malformation == JSONMalformation(reason: "unterminated string", byteOffset: 600_000))
    }

    @Test func partialResultsKeepGoodFields() {
        let json = #"{"s": "kept", "d": "twelve", "i": 5, "b": 1, "t": "2024-01-01"}"#
        let r = jsonDecode(json, JSONDecoderMalformedTests.fields)
        #expect(r.cells == [.text("kept"), .null, .int(5), .null, .int(1_704_067_200_000_000)])
        // The first mismatch in document order is reported.
        #expect(r.outcome.malformation == JSONMalformation(reason: #"expected a number but found a string "twelve""#, byteOffset: 19, field: "d"))
        #expect(r.outcome.malformation?.description == #"field d: expected a number but found a string "twelve" at byte 19"#)
    }

    @Test func mismatchThenSyntaxErrorIsAllNull() {
        let r = jsonDecode(#"{"s": "kept", "d": "twelve", "i": 5"#, JSONDecoderMalformedTests.fields)
        #expect(r.cells.allSatisfy { $0 == .null })
        #expect(r.outcome.malformation?.field == nil)
    }

    @Test func duplicateKeysLastWins() {
        let fields = JSONDecoderMalformedTests.fields
        #expect(jsonDecode(#"{"i": 1, "i": 2}"#, fields).cells[2] == .int(2))
        #expect(jsonDecode(#"{"i": 2, "i": null}"#, fields).cells[2] == .null)
        #expect(jsonDecode(#"{"s": "a", "s": "b\n", "s": "c"}"#, fields).cells[0] == .text("c"))
        // The last occurrence decides the outcome too.
        #expect(jsonDecode(#"{"i": "bad", "i": 3}"#, fields) == ([.null, .null, .int(3), .null, .null], .ok))
        let r = jsonDecode(#"{"i": 3, "i": "bad"}"#, fields)
        #expect(r.cells[2] == .null && r.outcome.malformation?.field == "i")
    }

    @Test func appendsAfterExistingRowsAndKeepsValidityAligned() {
        let decoder = JSONRecordDecoder(fields: JSONDecoderMalformedTests.fields)
        var columns = decoder.makeColumns(capacity: 4)
        let documents = [
            #"{"s":"a","d":1,"i":1,"b":true,"t":0}"#, #"{"s":"b","d":2,"i":2,"b":false,"t":1}"#,
            #"{"s":null}"#, #"not json"#, #"{"s":"e\"","d":5,"i":5,"b":true,"t":5}"#,
        ]
        for document in documents {
            _ = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &columns) }
        }
        #expect(jsonColumnsAreAligned(columns))
        #expect((0..<5).map { jsonCell(columns[0], $0) } == [.text("a"), .text("b"), .null, .null, .text("e\"")])
        #expect((0..<5).map { jsonCell(columns[2], $0) } == [.int(1), .int(2), .null, .null, .int(5)])
        #expect((0..<5).map { jsonCell(columns[4], $0) } == [.int(0), .int(1_000_000), .null, .null, .int(5_000_000)])
    }
}

@Suite("JSON decoder: JSON lines")
struct JSONLinesTests {
    @Test func linesBlankLinesAndErrors() {
        let decoder = JSONRecordDecoder(fields: [.init(name: "a", type: .int), .init(name: "b", type: .string)])
        var columns = decoder.makeColumns()
        let text = "{\"a\":1,\"b\":\"x\"}\n\n   \n{\"a\":2}\r\n{\"a\":\"no\",\"b\":\"y\"}\n{broken\n\t\r\n{\"b\":\"last\"}"
        var reports: [(JSONLineLocation, JSONMalformation)] = []
        let rows = Array(text.utf8).withUnsafeBytes { buffer in
            decoder.decodeLines(buffer, into: &columns) { reports.append(($0, $1)) }
        }
        #expect(rows == 5)
        #expect(jsonColumnsAreAligned(columns))
        #expect((0..<5).map { jsonCell(columns[0], $0) } == [.int(1), .int(2), .null, .null, .null])
        #expect((0..<5).map { jsonCell(columns[1], $0) } == [.text("x"), .null, .text("y"), .null, .text("last")])
        #expect(reports.map(\.0.lineIndex) == [4, 5])
        let bytes = Array(text.utf8)
        #expect(reports.map { String(decoding: bytes[$0.0.byteRange], as: UTF8.self) } == ["{\"a\":\"no\",\"b\":\"y\"}", "{broken"])
        #expect(reports[0].1.field == "a")
        #expect(reports[1].1.field == nil)
    }

    @Test func emptyAndBlankBuffers() {
        let decoder = JSONRecordDecoder(fields: [.init(name: "a", type: .int)])
        var columns = decoder.makeColumns()
        #expect([UInt8]().withUnsafeBytes { decoder.decodeLines($0, into: &columns) } == 0)
        #expect(Array("\n\n \r\n".utf8).withUnsafeBytes { decoder.decodeLines($0, into: &columns) } == 0)
        #expect(columns[0].count == 0)
        #expect(Array("{\"a\":9}\n".utf8).withUnsafeBytes { decoder.decodeLines($0, into: &columns) } == 1)
        #expect(jsonCell(columns[0], 0) == .int(9))
    }

    @Test func batchOfDocumentsFromASequence() {
        let decoder = JSONRecordDecoder(fields: [.init(name: "a", type: .int), .init(name: "b", type: .string)])
        var columns = decoder.makeColumns()
        // Rows already present (one NULL among them) must survive the batch untouched.
        _ = Array(#"{"a": 7}"#.utf8).withUnsafeBytes { decoder.decode($0, into: &columns) }
        let documents = [#"{"a": 1, "b": "x\ty"}"#, "x", #"{"a": 1.5, "b": "kept"}"#, #"{"b": "z"}"#]
        let blob = Array(documents.joined().utf8)
        var ranges: [Range<Int>] = []
        for document in documents {
            let start = ranges.last?.upperBound ?? 0
            ranges.append(start..<(start + document.utf8.count))
        }
        var reports: [(Int, JSONMalformation)] = []
        let rows = blob.withUnsafeBytes { buffer in
            decoder.decode(ranges.lazy.map { UnsafeRawBufferPointer(rebasing: buffer[$0]) }, into: &columns) {
                reports.append(($0, $1))
            }
        }
        #expect(rows == 4)
        #expect(jsonColumnsAreAligned(columns))
        #expect((0..<5).map { jsonCell(columns[0], $0) } == [.int(7), .int(1), .null, .null, .null])
        #expect((0..<5).map { jsonCell(columns[1], $0) } == [.null, .text("x\ty"), .null, .text("kept"), .text("z")])
        #expect(reports.map(\.0) == [1, 2])
        #expect(reports.map(\.1.field) == [nil, "a"])
    }

    @Test func appendsGrowColumnsInPlace() {
        // A copy of a column vector per append would move its storage on every row.
        let decoder = JSONRecordDecoder(fields: [.init(name: "s", type: .string), .init(name: "d", type: .double)])
        var columns = decoder.makeColumns(capacity: 1000)
        func addresses() -> [UnsafeRawPointer?] {
            columns.map { column in
                switch column.data {
                case .bytes(let v): v.bytes.withUnsafeBytes { $0.baseAddress }
                case .double(let v): v.withUnsafeBytes { $0.baseAddress }
                default: nil
                }
            }
        }
        let before = addresses()
        let line = Array(#"{"s": "abc", "d": 1.5}"#.utf8)
        for _ in 0..<100 { _ = line.withUnsafeBytes { decoder.decode($0, into: &columns) } }
        #expect(addresses() == before)
        let lines = Array(repeating: #"{"s": "abc", "d": 1.5}"#, count: 100).joined(separator: "\n")
        Array(lines.utf8).withUnsafeBytes { _ = decoder.decodeLines($0, into: &columns) }
        #expect(addresses() == before)
        #expect(columns[0].count == 200 && jsonCell(columns[0], 199) == .text("abc"))
    }

    @Test func schemaInitializerUsesFieldsInOrder() {
        let decoder = JSONRecordDecoder(schema: Schema([.init(name: "b", type: .string), .init(name: "a", type: .bigint)]))
        #expect(decoder.fields == [.init(name: "b", type: .string), .init(name: "a", type: .bigint)])
        var columns = decoder.makeColumns()
        _ = Array(#"{"a": 1, "b": "z"}"#.utf8).withUnsafeBytes { decoder.decode($0, into: &columns) }
        #expect(columns.map { jsonCell($0, 0) } == [.text("z"), .int(1)])
    }
}
