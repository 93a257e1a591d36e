import CellKernel
import Testing

@testable import ArrowIPC

@Suite struct StreamTests {
    static let point = SQLType.struct([StructField(name: "x", type: .int), StructField(name: "label", type: .string)])

    @Test func nestedTypesWithNullsAtEveryLevel() throws {
        let batch = try decodeFixture("nested")
        #expect(batch.schema.fields.map(\.type) == [
            Self.point, .array(.bigint), .array(.string), .map(key: .string, value: .double), .array(Self.point),
        ])
        #expect(batch.values("st") == [
            .structure([.int(1), .string("one")]), .null, .structure([.null, .string("three")]), .structure([.int(4), .null]),
        ])
        #expect(batch.values("li") == [.array([.int(1), .int(2), .int(3)]), .null, .array([]), .array([.null, .int(5)])])
        #expect(batch.values("ll") == [.array([.string("a")]), .array([.string("b"), .null]), .null, .array([])])
        #expect(batch.values("m") == [
            .map(keys: [.string("k"), .string("j")], values: [.double(1.5), .null]), .null,
            .map(keys: [], values: []), .map(keys: [.string("z")], values: [.double(-2)]),
        ])
        #expect(batch.values("ls") == [
            .array([.structure([.int(1), .string("p")]), .null]), .array([]), .null, .array([.structure([.int(2), .null])]),
        ])
    }

    static let multiBatchIDs: [Value] = (0..<9).map { .int(Int64($0)) }
    static let multiBatchNames: [Value] = (0..<9).map { $0 % 3 == 0 ? .null : .string("row\($0)") }

    @Test func recordBatchesAreConcatenated() throws {
        let batch = try decodeFixture("multi_batch")
        #expect(batch.schema.fields.map(\.type) == [.bigint, .string])
        #expect(batch.values("id") == Self.multiBatchIDs)
        #expect(batch.values("name") == Self.multiBatchNames)
    }

    @Test func preArrow015FramingWithoutContinuationMarker() throws {
        let bytes = try fixture("legacy_format")
        #expect(bytes.prefix(4) != [0xFF, 0xFF, 0xFF, 0xFF])
        let batch = try ArrowIPC.decode(bytes)
        #expect(batch.values("id") == Self.multiBatchIDs)
        #expect(batch.values("name") == Self.multiBatchNames)
    }

    @Test func schemaWithoutRecordBatchesIsAnEmptyBatch() throws {
        let bytes = try fixture("empty")
        let expected = Schema([
            .init(name: "a", type: .bigint), .init(name: "b", type: .string),
            .init(name: "c", type: .struct([StructField(name: "d", type: .double)])),
        ])
        let batch = try ArrowIPC.decode(bytes)
        #expect(batch.schema == expected)
        #expect(batch.count == 0 && batch.columns.count == 3 && batch.columns.allSatisfy { $0.count == 0 })
        #expect(try ArrowIPC.schema(of: bytes) == expected)
    }

    @Test func noSchemaIsAnError() {
        #expect(decodeError([])?.message.contains("schema") == true)
        #expect(decodeError([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])?.message.contains("schema") == true)
    }

    @Test func sparkAggregateShape() throws {
        let batch = try decodeFixture("spark_avg")
        #expect(batch.schema == Schema([.init(name: "captura", type: .string), .init(name: "avg(valor)", type: .double)]))
        #expect(batch.values("captura") == [.string("2024-01-01 10:00"), .null, .string("2024-01-01 10:01")])
        #expect(batch.values("avg(valor)") == [.double(12.5), .double(7), .null])
    }

    @Test func sparkWindowedAggregateShape() throws {
        let batch = try decodeFixture("spark_window")
        let window = SQLType.struct([StructField(name: "start", type: .timestamp), StructField(name: "end", type: .timestamp)])
        #expect(batch.schema.fields.map(\.name) == ["window", "brand", "transactions", "total"])
        #expect(batch.schema.fields.map(\.type) == [window, .string, .bigint, .double])
        #expect(batch.schema.fields.map(\.nullable) == [true, true, false, true])
        #expect(batch.values("window") == [
            .structure([.int(1_714_564_800_000_000), .int(1_714_565_100_000_000)]),
            .structure([.int(1_714_565_100_000_000), .int(1_714_565_400_000_000)]),
        ])
        #expect(batch.values("brand") == [.string("Acme"), .string("Globex")])
        #expect(batch.values("transactions") == [.int(17), .int(3)])
        #expect(batch.values("total") == [.double(1234.5), .double(99.99)])
    }

    @Test func nestingUpToTheKernelsLimit() throws {
        var expected = Value.int(7)
        for _ in 0..<63 { expected = .array([expected]) }
        let batch = try decodeFixture("deep63")
        #expect(batch.schema.fields[0].type.nestingDepth == 63)
        #expect(batch.values("d") == [expected])

        let deep64 = try decodeFixture("deep64")
        #expect(deep64.schema.fields[0].type.nestingDepth == SQLType.maximumNestingDepth)
        #expect(deep64.count == 0)

        let error = decodeError(try fixture("deep65"))
        #expect(error?.message.contains("deeper than 64") == true)
    }

    @Test(arguments: [
        ("unsupported_binary", "Binary"), ("unsupported_dictionary", "dictionary"), ("unsupported_lz4", "compression"),
        ("unsupported_uint64", "uint64"), ("unsupported_float16", "float16"), ("unsupported_fixed_size_list", "FixedSizeList"),
        ("unsupported_interval", "Interval"), ("unsupported_union", "Union"), ("unsupported_time", "Time"),
    ])
    func unsupportedFeaturesAreNamed(fixtureName: String, feature: String) throws {
        let error = try #require(decodeError(try fixture(fixtureName)))
        #expect(error.message.contains(feature), "\(error)")
        #expect(error.message.contains("not supported"), "\(error)")
        #expect(error.description.contains("at byte"))
    }
}
