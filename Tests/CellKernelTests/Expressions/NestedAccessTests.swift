@testable import CellKernel
import Testing

/// Field access, subscripts and the collection functions, evaluated over encoded columns and
/// checked against the boxed values they were built from.
@Suite struct NestedAccessTests {
    static let user = SQLType.struct([StructField(name: "id", type: .int), StructField(name: "Name", type: .string),
                                      StructField(name: "tags", type: .array(.string))])
    static let users: [Value] = [
        .structure([.int(1), .string("ann"), .array([.string("a"), .null, .string("c")])]),
        .null,
        .structure([.null, .string("bob"), .null]),
        .structure([.int(3), .null, .array([])]),
    ]

    @Test func fieldsResolveCaseInsensitivelyAndNullsPropagate() throws {
        #expect(try sql("u.id", ("u", Self.user, Self.users)) == [.int(1), .null, .null, .int(3)])
        #expect(try sql("U.NAME", ("u", Self.user, Self.users)) == [.string("ann"), .null, .string("bob"), .null])
        #expect(try sql("u['name']", ("u", Self.user, Self.users)) == [.string("ann"), .null, .string("bob"), .null])
        #expect(try sql("u.tags[0]", ("u", Self.user, Self.users)) == [.string("a"), .null, .null, .null])
        #expect(try sql("u.tags[1]", ("u", Self.user, Self.users)) == [.null, .null, .null, .null])
        #expect(try sql("u.tags[2]", ("u", Self.user, Self.users)) == [.string("c"), .null, .null, .null])
        #expect(try sql("size(u.tags)", ("u", Self.user, Self.users)) == [.int(3), .int(-1), .int(-1), .int(0)])
    }

    @Test func unknownFieldsAndBadSubscriptsAreClearErrors() {
        #expect { _ = try sql("u.nope", ("u", Self.user, Self.users)) } throws: { error in
            let e = error as? SQLError
            return e?.message.contains("no field 'nope'") == true && e?.hint?.contains("id, Name, tags") == true
        }
        #expect { _ = try sql("u.id[0]", ("u", Self.user, Self.users)) } throws: { error in
            (error as? SQLError)?.message.contains("[ ] needs an ARRAY or a MAP") == true
        }
        #expect { _ = try sql("element_at(u.tags, 0)", ("u", Self.user, Self.users)) } throws: { error in
            (error as? SQLError)?.message.contains("counts from 1") == true
        }
    }

    @Test func arrayIndexingMatchesASwiftReference() throws {
        let arrays: [Value] = [.array([.int(10), .int(20), .null, .int(40)]), .array([]), .null, .array([.int(7)])]
        let indices: [Int64] = [0, 1, 2, 3, 4, -1, -4, -5, .min, .max, Int64(Int32.max) + 1]
        for i in indices {
            let got = try sql("a[i]", ("a", .array(.int), arrays), ("i", .bigint, Array(repeating: .int(i), count: 4)))
            let expected: [Value] = arrays.map { a in
                guard case .array(let v) = a, i >= 0, i < Int64(v.count) else { return .null }
                return v[Int(i)]
            }
            #expect(got == expected, "a[\(i)]")
            let at = try sql("element_at(a, i)", ("a", .array(.int), arrays), ("i", .bigint, Array(repeating: .int(i), count: 4)))
            let expectedAt: [Value] = arrays.map { a in
                guard case .array(let v) = a, i != 0 else { return .null }
                let p = i > 0 ? i - 1 : Int64(v.count) + i
                return p >= 0 && p < Int64(v.count) ? v[Int(p)] : .null
            }
            #expect(at == expectedAt, "element_at(a, \(i))")
        }
    }

    @Test func mapLookupsAndConstructors() throws {
        let mapType = SQLType.map(key: .string, value: .bigint)
        let maps: [Value] = [.map(keys: [.string("a"), .string("b")], values: [.int(1), .null]), .null, .map(keys: [], values: [])]
        #expect(try sql("m['a']", ("m", mapType, maps)) == [.int(1), .null, .null])
        #expect(try sql("m['b']", ("m", mapType, maps)) == [.null, .null, .null])
        #expect(try sql("element_at(m, 'a')", ("m", mapType, maps)) == [.int(1), .null, .null])
        #expect(try sql("size(m)", ("m", mapType, maps)) == [.int(2), .int(-1), .int(0)])
        #expect(try sql("map_keys(m)", ("m", mapType, maps)) == [.array([.string("a"), .string("b")]), .null, .array([])])
        #expect(try sql("map_values(m)", ("m", mapType, maps)) == [.array([.int(1), .null]), .null, .array([])])
        #expect(try sql("array(1, 2, NULL)[1]") == [.int(2)])
        #expect(try sql("size(array())") == [.int(0)])
        #expect(try sql("size(NULL)") == [.int(-1)])
        #expect(try sql("cardinality(map(1, 'x', 2, 'y'))") == [.int(2)])
        #expect(try sql("map(1, 'x', 2, 'y')[2]") == [.string("y")])
        #expect(try sql("named_struct('a', 1, 'b', 'z').b") == [.string("z")])
        #expect(try sql("struct(x, x + 1).col2", ("x", .int, [.int(4)])) == [.int(5)])
        #expect(try sql("struct(x, x + 1).x", ("x", .int, [.int(4)])) == [.int(4)])
        #expect(try sql("array_contains(array(1, NULL, 3), 3)") == [.bool(true)])
        #expect(try sql("array_contains(array(1, NULL, 3), 2)") == [.null])
        #expect(try sql("array_contains(array(1, 3), 2)") == [.bool(false)])
        #expect(try sql("sort_array(array(3, NULL, 1))") == [.array([.null, .int(1), .int(3)])])
        #expect(try sql("sort_array(array('b', NULL, 'a'), false)") == [.array([.string("b"), .string("a"), .null])])
        #expect(try sql("array_distinct(array(1, 2, 1, NULL, NULL))") == [.array([.int(1), .int(2), .null])])
        #expect(try sql("flatten(array(array(1, 2), array(3)))") == [.array([.int(1), .int(2), .int(3)])])
        #expect(try sql("flatten(array(array(1, 2), NULL))") == [.null])
        #expect(throws: SQLError.self) { _ = try sql("map(1, 'x', 1, 'y')") }
        #expect(throws: SQLError.self) { _ = try sql("map(NULL, 'x')") }
        // Computed keys: a repeat keeps its first place and its last value; a NULL key is a NULL map.
        let k: (String, SQLType, [Value]) = ("k", .string, [.string("a"), .null])
        #expect(try sql("map(k, 1, 'b', 2, k, 3)", k) == [.map(keys: [.string("a"), .string("b")], values: [.int(3), .int(2)]), .null])
    }

    @Test func constructorsStayWithinTheNestingLimit() throws {
        let ok = String(repeating: "array(", count: 64) + "1" + String(repeating: ")", count: 64)
        #expect(try sql("size(\(ok))") == [.int(1)])
        let deep = String(repeating: "array(", count: 65) + "1" + String(repeating: ")", count: 65)
        #expect { _ = try sql(deep) } throws: { ($0 as? SQLError)?.message.contains("more than 64 levels") == true }
    }
}

/// Dotted names as Spark resolves them: a table qualifier first, else a STRUCT column.
@Suite struct NestedNameResolutionTests {
    static let s = SQLType.struct([StructField(name: "a", type: .int), StructField(name: "b", type: .string)])

    func bind(_ text: String, _ columns: [Binder.Column]) throws -> BoundExpression {
        try Binder(columns: columns).bind(try SQLParser.parseExpression(text))
    }

    @Test func qualifierThenColumnThenField() throws {
        let join = [Binder.Column(name: "s", type: Self.s, qualifier: "t"), Binder.Column(name: "a", type: .bigint, qualifier: "t"),
                    Binder.Column(name: "x", type: .int, qualifier: "u")]
        #expect(try bind("t.s.a", join) == .call(.nested(.field(index: 0)), [.column(0, Self.s)], .int))
        #expect(try bind("t.a", join) == .column(1, .bigint))
        #expect(try bind("s.b", join) == .call(.nested(.field(index: 1)), [.column(0, Self.s)], .string))
        #expect(try bind("S.B", join).type == .string)
        #expect(throws: SQLError.self) { _ = try bind("v.a", join) }
        #expect(throws: SQLError.self) { _ = try bind("t.s.c", join) }
        // One input: `e.x` is column x of the stream e, unless e is a STRUCT column with field x.
        let single = [Binder.Column(name: "s", type: Self.s), Binder.Column(name: "x", type: .int)]
        #expect(try bind("e.x", single) == .column(1, .int))
        #expect(try bind("s.a", single) == .call(.nested(.field(index: 0)), [.column(0, Self.s)], .int))
        #expect(try bind("s.x", single) == .column(1, .int))
        #expect(try bind("e.s.a", single) == .call(.nested(.field(index: 0)), [.column(0, Self.s)], .int))
    }

    @Test func explainNamesNestedCalls() throws {
        let single = [Binder.Column(name: "s", type: Self.s), Binder.Column(name: "x", type: .int)]
        let bound = try bind("size(array(s.a, x)) + array(x)[0]", single)
        guard case .call(_, let arguments, _) = bound, case .call(.nested(.size), let inner, _) = arguments[0],
              case .call(.nested(.makeArray), let elements, _) = inner[0] else {
            Issue.record("unexpected binding \(bound)")
            return
        }
        #expect(NestedAccess.explain(.field(index: 0), [Self.s], ["s"]) == "s.a")
        #expect(NestedAccess.explain(.arrayItem, [.array(.int), .bigint], ["arr", "0"]) == "arr[0]")
        #expect(NestedAccess.explain(.size, [.array(.int)], ["arr"]) == "size(arr)")
        #expect(elements.count == 2)
    }

    @Test func namesAndTextAsSpark() throws {
        #expect(try SQLParser.parseExpression("t.s.a").columnName == "a")
        #expect(try SQLParser.parseExpression("arr[0]").columnName == "arr[0]")
        #expect(try SQLParser.parseExpression("m['k']").columnName == "m[k]")
        #expect(try SQLParser.parseExpression("a[0].b[1]").columnName == "a[0].b[1]")
        #expect(throws: SQLError.self) { _ = try SQLParser.parseExpression("a[]") }
        #expect(throws: SQLError.self) { _ = try SQLParser.parseExpression("a[1") }
        let deep = String(repeating: "a[", count: 300) + "0" + String(repeating: "]", count: 300)
        #expect(throws: SQLError.self) { _ = try SQLParser.parseExpression(deep) }
    }
}
