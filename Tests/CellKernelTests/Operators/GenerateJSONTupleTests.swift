@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// json_tuple over generated documents (valid, not objects, truncated, corrupted) against
/// SQLite's json_valid / json_type / json_extract.
@Suite struct GenerateJSONTupleTests {
    typealias Random = CellsRandom
    static let keys = ["a", "b", "c", "d", "é", "x y"]

    static func scalar(_ rng: inout Random) -> String {
        switch Int.random(in: 0..<9, using: &rng) {
        case 0: return "\(Int64.random(in: -1000...1000, using: &rng))"
        case 1: return ["9223372036854775807", "-9223372036854775808", "0", "-0"].randomElement(using: &rng)!
        case 2: return ["1.5", "-0.25", "2e10", "1E-7", "3.0", "123456.789"].randomElement(using: &rng)!
        case 3: return [#""plain""#, #""with \"quote\"""#, #""tab\tand\nline""#, #""\u00e9t\u00E9""#, #""""#, #""a\/b""#].randomElement(using: &rng)!
        case 4: return ["true", "false"].randomElement(using: &rng)!
        case 5: return "null"
        case 6: return #"{"in": [1, 2, {"z": "s p"}], "n": null}"#
        case 7: return "[ ]"
        default: return #"[1, "two", [true, false]]"#
        }
    }

    /// An object of distinct keys (SQLite takes the first of duplicate keys, Spark the last),
    /// with whitespace here and there.
    static func document(_ rng: inout Random) -> String {
        let chosen = (keys + ["other", "k"]).shuffled(using: &rng).prefix(Int.random(in: 0...6, using: &rng))
        let members = chosen.map { key in
            // Keys unescaped (SQLite's paths match a key's text as written; Spark's Jackson, and
            // json_tuple here, match it unescaped: see sparkRulesSQLiteDoesNotShare).
            "\"\(key)\"" + [":", " : ", ":\n"].randomElement(using: &rng)! + scalar(&rng)
        }
        return [" ", "", "\n"].randomElement(using: &rng)! + "{" + members.joined(separator: [",", ", "].randomElement(using: &rng)!) + "}"
    }

    static func damaged(_ doc: String, _ rng: inout Random) -> String {
        var bytes = Array(doc.utf8)
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return ["[1, 2]", "5", #""text""#, "", "   ", "null", "nul", "{", "}"].randomElement(using: &rng)!
        case 1: if bytes.count > 1 { bytes.removeLast(Int.random(in: 1..<bytes.count, using: &rng)) }
        default:
            // Never '}' (it could close the object early: Spark then reads a prefix SQLite refuses).
            if bytes.count > 2 { bytes[Int.random(in: 1..<bytes.count - 1, using: &rng)] = Array(#"x",:["\"#.utf8).randomElement(using: &rng)! }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// What Spark's json_tuple shows for SQLite's reading of a value.
    static func expected(type: OracleValue, value: OracleValue) -> Value {
        switch (type, value) {
        case (.text("null"), _), (.null, _): return .null
        case (.text("true"), _): return .string("true")
        case (.text("false"), _): return .string("false")
        case (_, .integer(let i)): return .string("\(i)")
        case (_, .real(let d)): return .string(JavaDouble.string(d))
        case (_, .text(let s)): return .string(s)
        default: return .null
        }
    }

    @Test func matchesSQLiteOnGeneratedDocuments() throws {
        var rng = Random(seed: 2024)
        var docs: [String?] = []
        for i in 0..<4000 {
            let doc = Self.document(&rng)
            docs.append(i % 97 == 0 ? nil : i % 3 == 0 ? Self.damaged(doc, &rng) : doc)
        }
        let oracle = try SQLiteOracle()
        try oracle.execute("CREATE TABLE d (id INTEGER, doc TEXT)")
        try oracle.insert(into: "d", columns: 2, rows: docs.enumerated().map { [.integer(Int64($0.offset)), $0.element.map { .text($0) } ?? .null] })
        let paths = Self.keys.map { "'$.\"\($0)\"'" }
        let selects = paths.map { "CASE WHEN ok THEN json_type(doc, \($0)) END, CASE WHEN ok THEN json_extract(doc, \($0)) END" }
        let sql = "SELECT id, \(selects.joined(separator: ", ")) FROM (SELECT id, doc, CASE WHEN doc IS NOT NULL AND json_valid(doc) THEN json_type(doc) = 'object' ELSE 0 END AS ok FROM d) ORDER BY id"
        let reference = try oracle.query(sql)
        #expect(reference.count == docs.count)

        var column = Column(type: .string)
        for doc in docs { column.append(doc.map(Value.string) ?? .null) }
        let spec = GenerateSpec(function: .jsonTuple, outer: false, argument: .column(0, .string), keys: Self.keys,
                                fields: Self.keys.indices.map { .init(name: "c\($0)", type: .string) })
        let input = Batch(schema: Schema([.init(name: "doc", type: .string)]), columns: [column])
        let out = try GenerateOperator.apply(spec, to: input, schema: Schema(input.schema.fields + spec.fields))
        #expect(out.count == docs.count)
        var mismatches = 0, nonNull = 0
        for (r, row) in reference.enumerated() {
            for k in Self.keys.indices {
                let want = Self.expected(type: row[1 + 2 * k], value: row[2 + 2 * k])
                let got = out.columns[1 + k].value(at: r)
                if got != .null { nonNull += 1 }
                if got != want {
                    mismatches += 1
                    if mismatches < 10 { Issue.record("doc \(docs[r] ?? "NULL") key \(Self.keys[k]): \(got) vs SQLite \(want)") }
                }
            }
        }
        #expect(mismatches == 0)
        #expect(nonNull > 3000, "the documents exercise extraction (\(nonNull) values)")
    }

    @Test func sparkRulesSQLiteDoesNotShare() throws {
        func tuple(_ doc: String, _ keys: [String]) throws -> [Value] {
            var column = Column(type: .string)
            column.append(doc)
            let spec = GenerateSpec(function: .jsonTuple, outer: false, argument: .column(0, .string), keys: keys,
                                    fields: keys.indices.map { .init(name: "c\($0)", type: .string) })
            let input = Batch(schema: Schema([.init(name: "doc", type: .string)]), columns: [column])
            let out = try GenerateOperator.apply(spec, to: input, schema: Schema(input.schema.fields + spec.fields))
            return out.columns.dropFirst().map { $0.value(at: 0) }
        }
        // The last non-null duplicate wins; a key asked twice fills both columns (SPARK-21804).
        #expect(try tuple(#"{"a": 1, "a": 2, "a": null}"#, ["a", "a"]) == [.string("2"), .string("2")])
        // The parse stops at the object's end; text after it is not read.
        #expect(try tuple(#"{"a": 1} trailing"#, ["a"]) == [.string("1")])
        // Keys match unescaped.
        #expect(try tuple(#"{"\u00e9t\u00E9": "x\u0041", "q\"": 1}"#, ["été", "q\""]) == [.string("xA"), .string("1")])
        // Past BIGINT, the digits as written; doubles as Java prints them.
        #expect(try tuple(#"{"a": 123456789012345678901234567890, "b": 1e2, "c": -0}"#, ["a", "b", "c"])
                == [.string("123456789012345678901234567890"), .string("100.0"), .string("0")])
        // Malformed anywhere before the end (even in a field not asked for) nulls the row.
        #expect(try tuple(#"{"a": 1, "b": [1, }"#, ["a"]) == [.null])
        // Deep nesting is bounded, not a stack overflow.
        let deep = #"{"a": 1, "b": "# + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "}"
        #expect(try tuple(deep, ["a"]) == [.null])
        let fine = #"{"a": 1, "b": "# + String(repeating: "[", count: 500) + String(repeating: "]", count: 500) + "}"
        #expect(try tuple(fine, ["a", "b"]) == [.string("1"), .string(String(repeating: "[", count: 500) + String(repeating: "]", count: 500))])
    }
}
