import Foundation
import Testing
@testable import CellKernel

private func parseType(_ text: String) throws(SQLError) -> SQLType {
    var parser = SQLParser(source: text)
    return try parser.parseType()
}

/// Decodes `documents` (one per line) into a single column `v` of `type`.
private func decodeNested(_ documents: [String], as type: SQLType) -> (column: Column, malformed: Int) {
    let decoder = JSONRecordDecoder(fields: [.init(name: "v", type: type)])
    var columns = decoder.makeColumns()
    var malformed = 0
    for document in documents {
        let outcome = Array(document.utf8).withUnsafeBytes { decoder.decode($0, into: &columns) }
        if outcome.isMalformed { malformed += 1 }
    }
    return (columns[0], malformed)
}

/// An independent reading of the same JSON (Foundation), as boxed values of `type`.
private func reference(_ any: Any?, _ type: SQLType) -> Value {
    guard let any, !(any is NSNull) else { return .null }
    switch type {
    case .bigint, .int: return (any as? NSNumber).map { .int($0.int64Value) } ?? .null
    case .string: return (any as? String).map { .string($0) } ?? .null
    case .double: return (any as? NSNumber).map { .double($0.doubleValue) } ?? .null
    case .boolean: return (any as? NSNumber).map { .bool($0.boolValue) } ?? .null
    case .array(let element): return (any as? [Any]).map { .array($0.map { reference($0, element) }) } ?? .null
    case .struct(let fields):
        guard let object = any as? [String: Any] else { return .null }
        return .structure(fields.map { reference(object[$0.name], $0.type) })
    default: return .null
    }
}

@Suite("Nested types")
struct NestedTypeTests {
    @Test func parsesNestedTypes() throws {
        #expect(try parseType("STRUCT<a: INT, b STRING>") == .struct([.init(name: "a", type: .int), .init(name: "b", type: .string)]))
        #expect(try parseType("ARRAY<MAP<STRING, ARRAY<BIGINT>>>") == .array(.map(key: .string, value: .array(.bigint))))
        #expect(try parseType("struct<>") == .struct([]))
        #expect(try parseType("ARRAY<STRUCT<x: DECIMAL(5,2)>>").description == "ARRAY<STRUCT<x: DECIMAL(5,2)>>")
        #expect(throws: SQLError.self) { try parseType("STRUCT<a: INT, A: INT>") }
        #expect(throws: SQLError.self) { try parseType("MAP<ARRAY<INT>, INT>") }
        #expect(throws: SQLError.self) { try parseType("ARRAY<INT") }
    }

    @Test func deepTypeIsAClearErrorNotAStackOverflow() {
        let deep = String(repeating: "ARRAY<", count: 10_000) + "INT" + String(repeating: ">", count: 10_000)
        do {
            _ = try parseType(deep)
            Issue.record("a 10k-level type parsed")
        } catch {
            #expect(error.message.contains("nest at most"))
        }
        let ok = String(repeating: "ARRAY<", count: 64) + "INT" + String(repeating: ">", count: 64)
        #expect((try? parseType(ok))?.nestingDepth == 64)
    }

    @Test func encodingRoundTripsAndIsCanonical() {
        let type = SQLType.struct([.init(name: "a", type: .int), .init(name: "b", type: .array(.string)),
                                   .init(name: "m", type: .map(key: .string, value: .double))])
        let values: [Value] = [
            .structure([.int(1), .array([.string("x"), .null]), .map(keys: [.string("k")], values: [.double(2.5)])]),
            .structure([.null, .null, .null]),
            .structure([.int(.min), .array([]), .map(keys: [], values: [])]),
            .null,
        ]
        var column = Column(type: type)
        for v in values { column.append(v) }
        #expect(column.values == values)
        // -0.0 and 0.0 encode alike, so grouping on bytes sees one key, as Spark's normalization.
        var a: [UInt8] = [], b: [UInt8] = []
        _ = NestedEncoding.append(.array([.double(-0.0)]), type: .array(.double), to: &a)
        _ = NestedEncoding.append(.array([.double(0.0)]), type: .array(.double), to: &b)
        #expect(a == b)
    }

    @Test func consoleTextIsSparkShowForm() {
        var column = Column(type: .struct([.init(name: "a", type: .int), .init(name: "s", type: .string),
                                           .init(name: "arr", type: .array(.int)),
                                           .init(name: "m", type: .map(key: .string, value: .boolean))]))
        column.append(.structure([.int(1), .string("x"), .array([.int(1), .null]), .map(keys: [.string("k")], values: [.bool(true)])]))
        column.append(.structure([.null, .null, .array([]), .null]))
        #expect(Cast.text(column, 0) == "{1, x, [1, null], {k -> true}}")
        #expect(Cast.text(column, 1) == "{null, null, [], null}")
        let table = ConsoleTable(numRows: 20, truncate: 0).render(names: ["v"], columns: [column])
        #expect(table.contains("|{1, x, [1, null], {k -> true}}|"))
        let json = column.nestedJSON(0)
        #expect(json == #"{"a":1,"s":"x","arr":[1,null],"m":{"k":true}}"#)
    }

    @Test func decoderMatchesFoundationOnGeneratedDocuments() throws {
        let type = SQLType.struct([.init(name: "id", type: .bigint), .init(name: "tags", type: .array(.string)),
                                   .init(name: "p", type: .struct([.init(name: "x", type: .double), .init(name: "ok", type: .boolean)]))])
        var generator = SystemRandomNumberGenerator()
        var docs: [String] = []
        for i in 0..<300 {
            var parts: [String] = []
            if Int.random(in: 0..<5, using: &generator) > 0 { parts.append("\"id\": \(Int64.random(in: .min ... .max, using: &generator))") }
            let n = Int.random(in: 0..<4, using: &generator)
            let tags = (0..<n).map { j in j == 1 ? "null" : "\"t\\u00e9\(i)_\(j)\"" }
            parts.append("\"tags\": [\(tags.joined(separator: ", "))]")
            if i % 7 != 0 { parts.append("\"p\": {\"ok\": \(i % 2 == 0), \"x\": \(Double(i) / 8), \"extra\": [[{}]]}") }
            parts.shuffle(using: &generator)
            docs.append("{\"v\": {\(parts.joined(separator: ","))}}")
        }
        let (column, malformed) = decodeNested(docs, as: type)
        #expect(malformed == 0)
        #expect(column.count == docs.count)
        for (row, doc) in docs.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(doc.utf8)) as! [String: Any]
            #expect(column.value(at: row) == reference(object["v"], type), "\(doc)")
        }
    }

    @Test func permissiveMismatchesAreNullInPlaceAndReported() {
        let type = SQLType.array(.int)
        let (column, malformed) = decodeNested([#"{"v": [1, "x", 3]}"#, #"{"v": [1, 2.5]}"#, #"{"v": 7}"#,
                                                #"{"v": null}"#, #"{"v": []}"#, #"{"v": [null]}"#], as: type)
        #expect(column.values == [.array([.int(1), .null, .int(3)]), .array([.int(1), .null]), .null, .null, .array([]), .array([.null])])
        #expect(malformed == 3)
    }

    @Test func deepJSONIsBoundedNotAStackOverflow() {
        let deep = "{\"v\": " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        let (column, malformed) = decodeNested([deep], as: .array(.array(.int)))
        #expect(column.count == 1 && column.isNull(0))
        #expect(malformed == 1)
        // Deep JSON under a STRING element is kept as text, iteratively.
        let ok = "{\"v\": [" + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "]}"
        let (texts, bad) = decodeNested([ok], as: .array(.string))
        #expect(bad == 0)
        #expect(texts.value(at: 0) == .array([.string(String(repeating: "[", count: 500) + String(repeating: "]", count: 500))]))
    }

    @Test func hugeArrayDecodes() {
        let n = 200_000
        let doc = "{\"v\": [" + (0..<n).map(String.init).joined(separator: ",") + "]}"
        let (column, malformed) = decodeNested([doc], as: .array(.bigint))
        #expect(malformed == 0)
        guard case .array(let elements) = column.value(at: 0) else { Issue.record("not an array"); return }
        #expect(elements.count == n)
        #expect(elements.last == .int(Int64(n - 1)))
    }

    @Test func nestedCastRules() {
        let struct1 = SQLType.struct([.init(name: "a", type: .int)])
        #expect((try? Cast.checkNested(from: struct1, to: .string, at: .start)) != nil)
        #expect((try? Cast.checkNested(from: .null, to: struct1, at: .start)) != nil)
        #expect((try? Cast.checkNested(from: .string, to: struct1, at: .start)) == nil)
        #expect((try? Cast.checkNested(from: struct1, to: .int, at: .start)) == nil)
    }
}
