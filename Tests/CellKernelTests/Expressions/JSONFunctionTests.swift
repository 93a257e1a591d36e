@testable import CellKernel
import Testing
import TransactionGenerator

/// from_json, to_json and get_json_object: thousands of generated documents against SQLite's
/// json_extract, hostile depth and size, and the round trip.
@Suite struct JSONFunctionTests {
    /// Documents with fields absent, NULL, nested three levels, arrays of varying length, and
    /// escapes in top-level strings (nested objects keep plain text: SQLite and Spark re-escape
    /// returned objects differently, see JSONFunctions.getJSONObject).
    static func documents(_ count: Int) -> [String] {
        var g = CellsRandom(seed: 42)
        let words = ["a", "bb", "ccc", "é", "x y", "日本"]
        return (0..<count).map { i in
            var members: [String] = ["\"id\": \(i)"]
            if g.below(5) > 0 {
                let escaped = ["plain", "q\\\"uote", "new\\nline", "\\u00e9t\\u00e9", "back\\\\slash"][g.below(5)]
                members.append("\"name\": \"\(escaped)\"")
            } else if g.below(2) == 0 { members.append("\"name\": null") }
            if g.below(6) > 0 {
                var user: [String] = []
                if g.below(4) > 0 { user.append("\"age\": \(Int64(g.below(200)) - 50)") }
                if g.below(3) > 0 { user.append("\"tags\": [" + (0..<g.below(4)).map { _ in g.below(6) == 0 ? "null" : "\"\(words[g.below(words.count)])\"" }.joined(separator: ", ") + "]") }
                if g.below(3) > 0 { user.append("\"ok\": \(g.below(2) == 0 ? "true" : "false")") }
                if g.below(3) > 0 { user.append("\"deep\": {\"b\": {\"c\": \(g.below(10) == 0 ? "null" : String(g.below(1000)))}}") }
                members.append("\"user\":  { " + user.joined(separator: " , ") + " }")
            } else if g.below(2) == 0 { members.append("\"user\": null") }
            if g.below(4) > 0 { members.append("\"scores\": [" + (0..<g.below(5)).map { _ in String(Int64(g.below(100_000)) * 1_000_003) }.joined(separator: ",") + "]") }
            if g.below(10) == 0 { members.append("\"price\": 12.25") }
            return "{" + members.shuffled(using: &g).joined(separator: ", ") + "}"
        }
    }

    static let paths = ["$", "$.id", "$.name", "$.user", "$.user.age", "$.user.tags", "$.user.tags[0]", "$.user.tags[2]",
                        "$.user.ok", "$.user.deep.b.c", "$.user.deep", "$.scores[1]", "$.scores[7]", "$.price", "$.nope",
                        "$.user['age']", "$['user'].tags[1]"]

    /// SQLite's answer as get_json_object's text: booleans as true/false, objects as their text.
    static func oracleText(_ type: OracleValue, _ value: OracleValue) -> Value {
        switch (type, value) {
        case (.text("true"), _): .string("true")
        case (.text("false"), _): .string("false")
        case (.text("null"), _), (.null, _): .null
        case (_, .integer(let v)): .string(String(v))
        case (_, .real(let d)): .string(String(d))
        case (_, .text(let s)): .string(s)
        default: .null
        }
    }

    @Test func getJSONObjectMatchesSQLiteOverGeneratedDocuments() throws {
        let docs = Self.documents(3000)
        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE docs (i INTEGER, doc TEXT)")
        try oracle.insert(into: "docs", columns: 2, rows: docs.enumerated().map { [.integer(Int64($0.offset)), .text($0.element)] })
        for path in Self.paths {
            // SQLite writes a quoted key as ."key"; the rest of the syntax is the same.
            let sqlitePath = path.replacingOccurrences(of: "['", with: ".\"").replacingOccurrences(of: "']", with: "\"")
            let expected = try oracle.query("SELECT json_type(doc, '\(sqlitePath)'), json_extract(doc, '\(sqlitePath)') FROM docs ORDER BY i")
                .map { Self.oracleText($0[0], $0[1]) }
            let got = try sql("get_json_object(doc, \"\(path)\")", ("doc", .string, docs.map(Value.string)))
            let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(got.count == expected.count && firstDifference == nil,
                    "\(path): row \(firstDifference?.offset ?? -1) \(firstDifference.map { "\(docs[$0.offset]) gave \($0.element.0), SQLite \($0.element.1)" } ?? "")")
            #expect(expected.contains { !$0.isNull } || path == "$.nope" || path == "$.scores[7]", "\(path) tests something")
        }
    }

    @Test func fromJSONThenNestedAccessMatchesSQLite() throws {
        let docs = Self.documents(3000)
        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE docs (i INTEGER, doc TEXT)")
        try oracle.insert(into: "docs", columns: 2, rows: docs.enumerated().map { [.integer(Int64($0.offset)), .text($0.element)] })
        let schema = "id BIGINT, name STRING, user STRUCT<age: INT, tags: ARRAY<STRING>, ok: BOOLEAN, deep: STRUCT<b: STRUCT<c: INT>>>, scores ARRAY<BIGINT>, price DOUBLE"
        let cases: [(String, String)] = [
            ("j.user.age", "$.user.age"), ("j.user.tags[0]", "$.user.tags[0]"), ("j.USER.Tags[2]", "$.user.tags[2]"),
            ("j.user.deep.b.c", "$.user.deep.b.c"), ("j.scores[1]", "$.scores[1]"), ("element_at(j.scores, 1)", "$.scores[0]"),
            ("j.name", "$.name"), ("j.price", "$.price"), ("size(j.user.tags)", "json_array_length(doc, '$.user.tags')"),
            ("j.user['ok']", "$.user.ok"),
        ]
        for (expression, path) in cases {
            let oracleExpression = path.hasPrefix("$") ? "json_extract(doc, '\(path)')" : "coalesce(\(path), -1)"
            let expected = try oracle.query("SELECT \(oracleExpression) FROM docs ORDER BY i").map { row -> Value in
                switch row[0] {
                case .integer(let v): path == "$.user.ok" ? .bool(v != 0) : .int(v)
                case .real(let d): .double(d)
                case .text(let s): .string(s)
                case .null: .null
                }
            }
            let text = expression.replacingOccurrences(of: "j.", with: "from_json(doc, '\(schema)').")
                .replacingOccurrences(of: "j.USER", with: "from_json(doc, '\(schema)').USER")
            let got = try sql(text, ("doc", .string, docs.map(Value.string)))
            let firstDifference = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }
            #expect(got.count == expected.count && firstDifference == nil,
                    "\(expression): row \(firstDifference?.offset ?? -1) \(firstDifference.map { "\(docs[$0.offset]) gave \($0.element.0), SQLite \($0.element.1)" } ?? "")")
        }
    }

    @Test func toJSONWritesSparksTextAndRoundTrips() throws {
        #expect(try sql("to_json(named_struct('a', 1, 'b', 'x', 'c', NULL))") == [.string(#"{"a":1,"b":"x"}"#)])
        #expect(try sql("to_json(array(1, NULL, 3))") == [.string("[1,null,3]")])
        #expect(try sql("to_json(map('k', 1.5D))") == [.string(#"{"k":1.5}"#)])
        #expect(try sql("to_json(named_struct('q', 'a\"b'))") == [.string(#"{"q":"a\"b"}"#)])
        let docs = Self.documents(2000).map(Value.string)
        let schema = "id BIGINT, name STRING, user STRUCT<age: INT, tags: ARRAY<STRING>, ok: BOOLEAN, deep: STRUCT<b: STRUCT<c: INT>>>, scores ARRAY<BIGINT>"
        let once = try sql("from_json(doc, '\(schema)')", ("doc", .string, docs))
        let twice = try sql("from_json(to_json(from_json(doc, '\(schema)')), '\(schema)')", ("doc", .string, docs))
        #expect(once == twice)
        #expect(once.allSatisfy { if case .structure = $0 { true } else { false } })
    }

    @Test func malformedAndBlankInputFollowSparksPermissiveMode() throws {
        let docs: [Value] = [.string(#"{"a": 1"#), .string(#"{"a": "x", "b": 2}"#), .string(""), .string("  null "), .null,
                             .string(#"[{"a": 1}]"#), .string(#"{"a": 1} trailing"#), .string(#"{"b": 2, "a": 3}"#)]
        let structs = try sql("from_json(doc, 'a INT, b INT')", ("doc", .string, docs))
        let nulls = Value.structure([.null, .null])
        #expect(structs == [nulls, nulls, .null, .null, .null, nulls, nulls, .structure([.int(3), .int(2)])])
        #expect(try sql("from_json('[1, \"x\"]', 'ARRAY<INT>')") == [.null])
        #expect(try sql("from_json('{\"k\": [1, 2]}', 'MAP<STRING, ARRAY<INT>>')['k'][1]") == [.int(2)])
        #expect(try sql("get_json_object('{\"a\": 1', '$.a')") == [.null])
        #expect(try sql("get_json_object('{\"a\": 1}', 'a')") == [.null])
        #expect(try sql("get_json_object('{\"a\": 1}', '$..a')") == [.null])
        #expect(throws: SQLError.self) { _ = try sql("get_json_object('[1]', '$[*]')") }
        #expect(throws: SQLError.self) { _ = try sql("from_json('{}', 'a INTEGR')") }
        #expect(throws: SQLError.self) { _ = try sql("from_json('{}', 'm MAP<INT, INT>')") }
        #expect(throws: SQLError.self) { _ = try sql("to_json(1)") }
    }

    @Test func deepNestingIsNullNotACrash() throws {
        let depth = 10_000
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        let docs: [Value] = [.string(arrays), .string(objects)]
        #expect(try sql("from_json(doc, 'ARRAY<INT>')", ("doc", .string, docs)) == [.null, .null])
        #expect(try sql("from_json(doc, 'a STRING')", ("doc", .string, docs)) == [.structure([.null]), .structure([.null])])
        #expect(try sql("get_json_object(doc, '$.a')", ("doc", .string, docs)) == [.null, .null])
        // Within Jackson's 1000 levels, deep JSON under a shallow type is kept as text.
        let within = String(repeating: "[", count: 900) + String(repeating: "]", count: 900)
        #expect(try sql("from_json(doc, 'a STRING').a", ("doc", .string, [.string(#"{"a": "# + within + "}")])) == [.string(within)])
    }

    @Test func aMillionElementArray() throws {
        let n = 1_000_000
        var text = "["
        text.reserveCapacity(8 * n)
        for i in 0..<n { text += i == 0 ? "0" : ",\(i)" }
        text += "]"
        let doc: (String, SQLType, [Value]) = ("doc", .string, [.string(#"{"xs": "# + text + "}")])
        #expect(try sql("size(from_json(doc, 'xs ARRAY<BIGINT>').xs)", doc) == [.int(Int64(n))])
        #expect(try sql("element_at(from_json(doc, 'xs ARRAY<BIGINT>').xs, -1)", doc) == [.int(Int64(n - 1))])
        #expect(try sql("from_json(doc, 'xs ARRAY<BIGINT>').xs[500000]", doc) == [.int(500_000)])
        #expect(try sql("get_json_object(doc, '$.xs[999999]')", doc) == [.string("999999")])
        #expect(try sql("array_contains(from_json(doc, 'xs ARRAY<BIGINT>').xs, 999998)", doc) == [.bool(true)])
        #expect(try sql("size(array_distinct(from_json(doc, 'xs ARRAY<BIGINT>').xs))", doc) == [.int(Int64(n))])
    }
}

extension CellsRandom {
    /// A value in 0..<n (a modulo bias of n / 2^64 does not matter to these documents).
    fileprivate mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
