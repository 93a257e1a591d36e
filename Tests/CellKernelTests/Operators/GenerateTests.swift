@testable import CellKernel
import Foundation
import Testing
import TransactionGenerator

/// The generate operator on batches built in memory, against references computed here
/// (boxed values walked in Swift) and against SQLite's JSON functions.
@Suite struct GenerateTests {
    typealias Random = CellsRandom

    static func spec(_ function: GenerateSpec.Function, outer: Bool = false, type: SQLType, keys: [String] = []) -> GenerateSpec {
        var fields: [Schema.Field] = function == .posexplode ? [.init(name: "pos", type: .int)] : []
        switch type {
        case .array(let e): fields.append(.init(name: "col", type: e))
        case .map(let k, let v): fields += [.init(name: "key", type: k), .init(name: "value", type: v)]
        default: fields = keys.indices.map { .init(name: "c\($0)", type: .string) }
        }
        return GenerateSpec(function: function, outer: outer, argument: .column(1, type), keys: keys, fields: fields)
    }

    /// Runs `spec` over rows (id, value) and returns the output rows boxed.
    static func run(_ spec: GenerateSpec, type: SQLType, _ values: [Value]) throws -> [[Value]] {
        var ids = Column(type: .bigint)
        var column = Column(type: type)
        for (i, v) in values.enumerated() { ids.append(Int64(i)); column.append(v) }
        let input = Batch(schema: Schema([.init(name: "id", type: .bigint), .init(name: "v", type: type)]), columns: [ids, column])
        let schema = Schema(input.schema.fields + spec.fields)
        let out = try GenerateOperator.apply(spec, to: input, schema: schema)
        #expect(out.columns.allSatisfy { $0.count == out.count })
        return (0..<out.count).map { r in out.columns.map { $0.value(at: r) } }
    }

    static func randomValue(_ type: SQLType, _ rng: inout Random, depth: Int = 0) -> Value {
        if Int.random(in: 0..<8, using: &rng) == 0 { return .null }
        switch type {
        case .bigint, .int: return .int([Int64.min, Int64.max, 0, -1].randomElement(using: &rng)! &+ Int64.random(in: -3...3, using: &rng))
        case .double: return .double([1e308, -0.0, 0.5, .infinity, -2.25].randomElement(using: &rng)!)
        case .string: return .string(String((0..<Int.random(in: 0..<6, using: &rng)).map { _ in "aé\"\\ z".randomElement(using: &rng)! }))
        case .boolean: return .bool(Bool.random(using: &rng))
        case .decimal: return .decimal(Int128(Int64.random(in: -1_000_000...1_000_000, using: &rng)))
        case .struct(let fields): return .structure(fields.map { randomValue($0.type, &rng, depth: depth + 1) })
        case .array(let e):
            return .array((0..<Int.random(in: 0..<5, using: &rng)).map { _ in randomValue(e, &rng, depth: depth + 1) })
        case .map(let k, let v):
            let n = Int.random(in: 0..<4, using: &rng)
            let keys = (0..<n).map { Value.string("k\($0)") }
            _ = k
            return .map(keys: keys, values: keys.map { _ in randomValue(v, &rng, depth: depth + 1) })
        default: return .null
        }
    }

    /// Explode and posexplode (plain and outer) of arrays whose elements are scalars, structs and
    /// arrays, against the boxed values walked in Swift.
    @Test(arguments: [SQLType.array(.bigint), .array(.string), .array(.double), .array(.decimal(precision: 20, scale: 2)),
                      .array(.boolean), .array(.struct([.init(name: "a", type: .bigint), .init(name: "b", type: .array(.string))])),
                      .array(.array(.bigint)), .array(.map(key: .string, value: .bigint))])
    func explodeArraysMatchesReference(type: SQLType) throws {
        var rng = Random(seed: 7)
        let values = (0..<500).map { _ in Self.randomValue(type, &rng) }
        for function in [GenerateSpec.Function.explode, .posexplode] {
            for outer in [false, true] {
                var expected: [[Value]] = []
                for (i, v) in values.enumerated() {
                    guard case .array(let elements) = v, !elements.isEmpty else {
                        if outer { expected.append([.int(Int64(i)), v] + (function == .posexplode ? [.null, .null] : [.null])) }
                        continue
                    }
                    for (p, e) in elements.enumerated() {
                        expected.append([.int(Int64(i)), v] + (function == .posexplode ? [.int(Int64(p)), e] : [e]))
                    }
                }
                let got = try Self.run(Self.spec(function, outer: outer, type: type), type: type, values)
                #expect(got == expected, "\(function) outer \(outer) of \(type)")
            }
        }
    }

    @Test func explodeMapsGivesKeysAndValuesInOrder() throws {
        let type = SQLType.map(key: .string, value: .array(.bigint))
        var rng = Random(seed: 11)
        let values = (0..<300).map { _ in Self.randomValue(type, &rng) }
        for function in [GenerateSpec.Function.explode, .posexplode] {
            for outer in [false, true] {
                var expected: [[Value]] = []
                for (i, v) in values.enumerated() {
                    guard case .map(let keys, let vals) = v, !keys.isEmpty else {
                        if outer { expected.append([.int(Int64(i)), v] + Array(repeating: .null, count: function == .posexplode ? 3 : 2)) }
                        continue
                    }
                    for p in keys.indices {
                        expected.append([.int(Int64(i)), v] + (function == .posexplode ? [.int(Int64(p))] : []) + [keys[p], vals[p]])
                    }
                }
                #expect(try Self.run(Self.spec(function, outer: outer, type: type), type: type, values) == expected)
            }
        }
    }

    /// One row holding a million elements: linear work (a quadratic append would take minutes).
    @Test func aMillionElementsInOneRow() throws {
        let n = 1_000_000
        var encoded: [UInt8] = []
        NestedEncoding.appendUInt32(UInt32(n), to: &encoded)
        for i in 0..<n {
            if i % 1000 == 999 { encoded.append(NestedEncoding.nullFlag); continue }
            encoded.append(NestedEncoding.presentFlag)
            NestedEncoding.appendUInt64(UInt64(i), to: &encoded)
        }
        var column = Column(type: .array(.bigint))
        encoded.withUnsafeBytes { column.append(bytes: $0) }
        column.append(Value.array([.int(-5)]))
        var ids = Column(type: .bigint)
        ids.append(Int64(10)); ids.append(Int64(20))
        let input = Batch(schema: Schema([.init(name: "id", type: .bigint), .init(name: "v", type: .array(.bigint))]), columns: [ids, column])
        var spec = Self.spec(.posexplode, type: .array(.bigint))
        // Repeating the 9 MB array per element would be 9 TB: refused, not a trap.
        #expect(throws: GenerateError.self) { try GenerateOperator.apply(spec, to: input, schema: Schema(input.schema.fields + spec.fields)) }
        // What pruning does when nothing above reads the array itself.
        spec.unread = [1]
        let clock = ContinuousClock()
        let start = clock.now
        let out = try GenerateOperator.apply(spec, to: input, schema: Schema(input.schema.fields + spec.fields))
        let elapsed = clock.now - start
        #expect(out.count == n + 1)
        guard case .int64(let pos) = out.columns[2].data, case .int64(let col) = out.columns[3].data, case .int64(let id) = out.columns[0].data else {
            Issue.record("unexpected storage"); return
        }
        var sum: Int64 = 0, nulls = 0
        for r in 0..<n { if out.columns[3].isNull(r) { nulls += 1 } else { sum += col[r] } }
        let expectedSum = Int64(n - 1) * Int64(n) / 2 - (0..<n).filter { $0 % 1000 == 999 }.reduce(0) { $0 + Int64($1) }
        #expect(sum == expectedSum)
        #expect(nulls == n / 1000)
        #expect(pos[n - 1] == Int64(n - 1) && pos[n] == 0 && col[n] == -5)
        #expect(id[0] == 10 && id[n - 1] == 10 && id[n] == 20)
        #expect(elapsed < .seconds(20), "\(elapsed) for a million elements")
    }

    /// Truncated or foreign bytes in an array slice generate what reads, never trap.
    @Test func corruptSlicesDoNotTrap() throws {
        var rng = Random(seed: 3)
        let type = SQLType.array(.struct([.init(name: "s", type: .string), .init(name: "x", type: .bigint)]))
        for _ in 0..<300 {
            var encoded: [UInt8] = []
            _ = NestedEncoding.append(Self.randomValue(type, &rng) == .null ? .array([]) : Self.randomValue(type, &rng), type: type, to: &encoded)
            if !encoded.isEmpty {
                if Bool.random(using: &rng) { encoded.removeLast(Int.random(in: 0...encoded.count, using: &rng)) }
                else { encoded[Int.random(in: 0..<encoded.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            }
            var column = Column(type: type)
            encoded.withUnsafeBytes { column.append(bytes: $0) }
            let input = Batch(schema: Schema([.init(name: "id", type: .bigint), .init(name: "v", type: type)]),
                              columns: [Column(type: .bigint, data: .int64([0])), column])
            let spec = Self.spec(.explode, outer: true, type: type)
            let out = try GenerateOperator.apply(spec, to: input, schema: Schema(input.schema.fields + spec.fields))
            #expect(out.columns.allSatisfy { $0.count == out.count } && out.count >= 1)
            _ = (0..<out.count).map { out.columns[2].value(at: $0) }
        }
    }
}
