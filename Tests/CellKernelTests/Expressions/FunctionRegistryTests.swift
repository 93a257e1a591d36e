@testable import CellKernel
import Foundation
import Testing

/// The function registry: every name binds and evaluates, aliases are the same function, names
/// are unique, and completion and the "did you mean" hint list exactly the registry's names.
@Suite struct FunctionRegistryTests {
    /// One row: s = ' Spark SQL ', n = -7, d = 2.345, ts = 2024-03-05 14:07:09.123456 UTC.
    static let columns: [(String, SQLType, [Value])] = [
        ("s", .string, [.string(" Spark SQL ")]),
        ("n", .int, [.int(-7)]),
        ("d", .double, [.double(2.345)]),
        ("ts", .timestamp, [.int(1_709_647_629_123_456)]),
    ]

    /// A call of each scalar entry, by its first name (`$0` is the name called, so an alias
    /// runs the same call), with its value over ``columns``.
    static let scalarCases: [String: (call: @Sendable (String) -> String, expected: Value)] = [
        "coalesce": ({ "\($0)(NULL, n, 3)" }, .int(-7)),
        "ifnull": ({ "\($0)(NULL, s)" }, .string(" Spark SQL ")),
        "translate": ({ "\($0)(s, 'S', 's')" }, .string(" spark sQL ")),
        "replace": ({ "\($0)(s, 'SQL', 'Streams')" }, .string(" Spark Streams ")),
        "regexp_replace": ({ "\($0)(s, '[aeiou]', '_')" }, .string(" Sp_rk SQL ")),
        "substring": ({ "\($0)(s, 2, 5)" }, .string("Spark")),
        "concat": ({ "\($0)(s, n)" }, .string(" Spark SQL -7")),
        "upper": ({ "\($0)(s)" }, .string(" SPARK SQL ")),
        "lower": ({ "\($0)(s)" }, .string(" spark sql ")),
        "trim": ({ "\($0)(s)" }, .string("Spark SQL")),
        "ltrim": ({ "\($0)(s)" }, .string("Spark SQL ")),
        "rtrim": ({ "\($0)(s)" }, .string(" Spark SQL")),
        "length": ({ "\($0)(s)" }, .int(11)),
        "round": ({ "\($0)(d, 2)" }, .double(2.35)),
        "abs": ({ "\($0)(n)" }, .int(7)),
        "to_timestamp": ({ "\($0)('2024-03-05 14:07:09')" }, .int(1_709_647_629_000_000)),
        "to_date": ({ "\($0)('2024-03-05')" }, .int(19_787)),
        "date_format": ({ "\($0)(ts, 'yyyy-MM-dd HH:mm')" }, .string("2024-03-05 14:07")),
        "year": ({ "\($0)(ts)" }, .int(2024)),
        "month": ({ "\($0)(ts)" }, .int(3)),
        "day": ({ "\($0)(ts)" }, .int(5)),
        "hour": ({ "\($0)(ts)" }, .int(14)),
        "minute": ({ "\($0)(ts)" }, .int(7)),
        "second": ({ "\($0)(ts)" }, .int(9)),
        "size": ({ "\($0)(array(n, n))" }, .int(2)),
        "element_at": ({ "\($0)(array(n, 3), -1)" }, .int(3)),
        "array": ({ "\($0)(n, 1)[0]" }, .int(-7)),
        "struct": ({ "\($0)(n, s).n" }, .int(-7)),
        "named_struct": ({ "\($0)('a', n).a" }, .int(-7)),
        "map": ({ "\($0)('k', n)['k']" }, .int(-7)),
        "array_contains": ({ "\($0)(array(1, n), -7)" }, .bool(true)),
        "map_keys": ({ "\($0)(map('k', n))[0]" }, .string("k")),
        "map_values": ({ "\($0)(map('k', n))[0]" }, .int(-7)),
        "sort_array": ({ "\($0)(array(3, n))[0]" }, .int(-7)),
        "array_distinct": ({ "size(\($0)(array(n, n, 1)))" }, .int(2)),
        "flatten": ({ "\($0)(array(array(n), array(2)))[1]" }, .int(2)),
        "from_json": ({ "\($0)('{\"a\": [5]}', 'a ARRAY<INT>').a[0]" }, .int(5)),
        "to_json": ({ "\($0)(named_struct('n', n))" }, .string(#"{"n":-7}"#)),
        "get_json_object": ({ "\($0)('{\"a\": {\"b\": \"x\"}}', '$.a.b')" }, .string("x")),
    ]

    static func bind(_ text: String) throws -> BoundExpression {
        try Binder(columns: columns.map { Binder.Column(name: $0.0, type: $0.1) }).bind(try SQLParser.parseExpression(text))
    }

    @Test func everyScalarNameBindsAndEvaluates() throws {
        for entry in FunctionRegistry.entries {
            guard case .scalar = entry.kind else { continue }
            let primary = entry.names[0]
            guard let test = Self.scalarCases[primary] else {
                Issue.record("no test call for \(primary)(): add one to scalarCases")
                continue
            }
            let expected = try Self.bind(test.call(primary))
            for name in entry.names {
                let bound = try Self.bind(test.call(name))
                #expect(bound == expected, "\(name) binds as \(primary)")
                let values = try sql(test.call(name), Self.columns[0], Self.columns[1], Self.columns[2], Self.columns[3])
                #expect(values == [test.expected], "\(test.call(name))")
            }
        }
    }

    @Test func aggregatesMapToTheirFunctions() {
        #expect(Binder.aggregateNames == [
            "count": .count, "sum": .sum, "avg": .avg, "mean": .avg, "min": .min, "max": .max,
            "approx_count_distinct": .approxCountDistinct,
            "stddev": .stddevSamp, "stddev_samp": .stddevSamp, "std": .stddevSamp, "stddev_pop": .stddevPop,
            "variance": .varSamp, "var_samp": .varSamp, "var_pop": .varPop, "count_if": .countIf,
            "bool_and": .boolAnd, "every": .boolAnd, "bool_or": .boolOr, "some": .boolOr, "any": .boolOr,
            "first": .first, "first_value": .first, "last": .last, "last_value": .last, "min_by": .minBy, "max_by": .maxBy,
            "percentile_approx": .percentileApprox, "approx_percentile": .percentileApprox,
            "collect_list": .collectList, "array_agg": .collectList, "collect_set": .collectSet,
        ])
        for entry in FunctionRegistry.entries where entry.isAggregate {
            #expect(Set(entry.names.map { Binder.aggregateNames[$0] }).count == 1, "\(entry.names) are one aggregate")
        }
    }

    /// Every aggregate name and window() through a real query: a file stream, a view, one batch.
    @Test func aggregatesAndWindowEvaluateInAQuery() throws {
        let lines = [
            #"{"v": 1, "ts": "2024-03-05 14:07:09"}"#, #"{"v": 2, "ts": "2024-03-05 14:07:30"}"#,
            #"{"v": 2, "ts": "2024-03-05 14:08:01"}"#, #"{"v": null, "ts": "2024-03-05 14:08:59"}"#,
        ]
        let aggregates = try run("""
            SELECT count(v) AS a, sum(v) AS b, avg(v) AS c, mean(v) AS d, min(v) AS e, max(v) AS f,
                   approx_count_distinct(v) AS g FROM s
            """, lines)
        #expect(aggregates == [["3", "5.0", "1.6666666666666667", "1.6666666666666667", "1.0", "2.0", "2"]])
        let windows = try run("SELECT window.start AS w, count(*) AS n FROM s GROUP BY window(ts, '1 minute')", lines)
        #expect(windows == [["2024-03-05 14:07:00", "2"], ["2024-03-05 14:08:00", "2"]])
        // v is 1, 2, 2 and NULL: mean 5/3, M2 2/3.
        let moments = try run("""
            SELECT stddev(v), stddev_samp(v), std(v), stddev_pop(v), variance(v), var_samp(v), var_pop(v) FROM s
            """, lines)
        let samp: Double = (1.0 / 3).squareRoot(), pop: Double = (2.0 / 9).squareRoot()
        let want: [Double] = [samp, samp, samp, pop, 1.0 / 3, 1.0 / 3, 2.0 / 9]
        let got: [Double] = (moments.first ?? []).map { Double($0) ?? .nan }
        #expect(got.count == want.count && zip(got, want).allSatisfy { abs($0 - $1) < 1e-12 }, "\(moments)")
        let more = try run("""
            SELECT count_if(v > 1), bool_and(v > 0), every(v > 1), bool_or(v > 1), some(v > 5), any(v = 1),
                   first(v), first_value(v), last(v, true), last_value(v, true), min_by(ts, v), max_by(v, v),
                   percentile_approx(v, 0.5), approx_percentile(v, 0.0, 100) FROM s
            """, lines)
        #expect(more == [["2", "true", "false", "true", "false", "true", "1.0", "1.0", "2.0", "2.0", "2024-03-05 14:07:09", "2.0", "2.0", "1.0"]])
        let collected = try run("SELECT collect_list(v), array_agg(v), collect_set(v) FROM s", lines)
        #expect(collected == [["[1.0, 2.0, 2.0]", "[1.0, 2.0, 2.0]", "[1.0, 2.0]"]])
        // Every aggregate and window name is one of those used above.
        let queried: Set = ["count", "sum", "avg", "mean", "min", "max", "approx_count_distinct", "window",
                            "stddev", "stddev_samp", "std", "stddev_pop", "variance", "var_samp", "var_pop",
                            "count_if", "bool_and", "every", "bool_or", "some", "any", "first", "first_value",
                            "last", "last_value", "min_by", "max_by", "percentile_approx", "approx_percentile",
                            "collect_list", "array_agg", "collect_set"]
        let others = FunctionRegistry.entries.filter { if case .scalar = $0.kind { false } else { true } }.flatMap(\.names)
        #expect(Set(others) == queried)
    }

    @Test func windowAndAggregatesAreRefusedAsScalars() {
        let window = #expect(throws: SQLError.self) { try Self.bind("window(ts, '1 minute')") }
        #expect(window?.message == "window() is only allowed in GROUP BY (and as window.start / window.end in the select list)")
        #expect(window?.length == 6)
        let error = #expect(throws: SQLError.self) { try Self.bind("mean(d)") }
        #expect(error?.message == "aggregate function mean() is not allowed here")
    }

    @Test func aliasesKeepTheirNameInMessages() {
        let error = #expect(throws: SQLError.self) { try Self.bind("ucase()") }
        #expect(error?.message == "ucase() takes 1 argument, not 0")
        let nvl = #expect(throws: SQLError.self) { try Self.bind("nvl(n, ts)") }
        #expect(nvl?.message == "nvl mixes INT and TIMESTAMP")
    }

    @Test func namesAreUniqueAndLowerCase() {
        let names = FunctionRegistry.entries.flatMap(\.names)
        #expect(Set(names).count == names.count, "duplicated: \(Dictionary(grouping: names) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
        #expect(names.allSatisfy { $0 == $0.lowercased() && !$0.isEmpty })
        for name in names { #expect(FunctionRegistry.entry(named: name)?.names.contains(name) == true) }
    }

    @Test func completionListsTheRegistrysNames() {
        #expect(CellSession.functionNames == FunctionRegistry.names)
        #expect(Binder.functionNames == FunctionRegistry.names)
        #expect(FunctionRegistry.names.sorted() == FunctionRegistry.entries.flatMap(\.names).sorted())
        // Scalars in registry order, then the aggregates alphabetically.
        let aggregates = FunctionRegistry.names.filter { Binder.aggregateNames[$0] != nil }
        #expect(FunctionRegistry.names.suffix(aggregates.count).elementsEqual(aggregates.sorted()))
    }

    @Test func unknownNamesSuggestTheClosest() {
        let cases: [(String, String?)] = [
            ("uppr(s)", "did you mean upper()?"), ("coalese(n, 1)", "did you mean coalesce()?"),
            ("summ(d)", "did you mean sum()?"), ("dayofmnth(ts)", "did you mean dayofmonth()?"),
            ("frobnicate(1)", nil),
        ]
        for (text, hint) in cases {
            let error = #expect(throws: SQLError.self) { try Self.bind(text) }
            let name = String(text.prefix { $0 != "(" })
            #expect(error?.message == "unknown function \(name)()")
            #expect(error?.hint == hint, "\(text)")
        }
    }

    private func run(_ select: String, _ lines: [String]) throws -> [[String]] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-fn-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM s FROM f FORMAT json SCHEMA (v DOUBLE, ts TIMESTAMP);
            CREATE VIEW v AS \(select);
            """)
        let query = try session.prepare(start: "START v OUTPUT MODE complete")
        _ = try query.runBatch()
        query.stop()
        guard let table = session.table("v") else { return [] }
        return (0..<table.count).map { row in table.columns.map { $0.isNull(row) ? "NULL" : Cast.text($0, row) } }.sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
    }
}
