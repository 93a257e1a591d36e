import CellKernel
import Testing

@testable import ArrowIPC

@Suite struct ScalarTests {
    @Test func everyScalarTypeWithTheKernelsTypesAndUnits() throws {
        let batch = try decodeFixture("scalars")
        #expect(batch.count == 3)
        let types = Dictionary(uniqueKeysWithValues: batch.schema.fields.map { ($0.name, $0.type) })
        #expect(types["i8"] == .int && types["i16"] == .int && types["i32"] == .int && types["i64"] == .bigint)
        #expect(types["u8"] == .int && types["u16"] == .int && types["u32"] == .bigint)
        #expect(types["f32"] == .float && types["f64"] == .double)
        #expect(types["s"] == .string && types["ls"] == .string && types["b"] == .boolean)
        #expect(types["d32"] == .date && types["d64"] == .date)
        #expect(types["ts_s"] == .timestamp && types["ts_ms"] == .timestamp && types["ts_us"] == .timestamp && types["ts_ns"] == .timestamp)
        #expect(types["dec"] == .decimal(precision: 10, scale: 4))
        #expect(types["n"] == .null)
        #expect(batch.schema.fields.allSatisfy { $0.nullable })

        #expect(batch.values("i8") == [.int(-128), .null, .int(127)])
        #expect(batch.values("i16") == [.int(-32768), .null, .int(32767)])
        #expect(batch.values("i32") == [.int(-2_147_483_648), .null, .int(2_147_483_647)])
        #expect(batch.values("i64") == [.int(-1), .null, .int(42)])
        #expect(batch.values("u8") == [.int(0), .null, .int(255)])
        #expect(batch.values("u16") == [.int(0), .null, .int(65535)])
        #expect(batch.values("u32") == [.int(0), .null, .int(4_294_967_295)])
        #expect(batch.values("f32") == [.double(1.5), .null, .double(-0.25)])
        #expect(batch.values("f64") == [.double(3.25), .null, .double(-1e-300)])
        #expect(batch.values("s") == [.string("a"), .null, .string("xyz")])
        #expect(batch.values("ls") == [.string("large"), .null, .string("")])
        #expect(batch.values("b") == [.bool(true), .null, .bool(false)])
        #expect(batch.values("d32") == [.int(19782), .null, .int(-1)])
        #expect(batch.values("d64") == [.int(19782), .null, .int(-1)])
        #expect(batch.values("ts_s") == [.int(1_700_000_000_000_000), .null, .int(-1_000_000)])
        #expect(batch.values("ts_ms") == [.int(1_700_000_000_123_000), .null, .int(-1_000)])
        #expect(batch.values("ts_us") == [.int(1_700_000_000_123_456), .null, .int(-1)])
        // Nanoseconds floor to microseconds: -1 ns is in the microsecond before the epoch.
        #expect(batch.values("ts_ns") == [.int(1_700_000_000_123_456), .null, .int(-1)])
        #expect(batch.values("dec") == [.decimal(1_234_500), .null, .decimal(-1)])
        #expect(batch.values("n") == [.null, .null, .null])
    }

    @Test func flatColumnsUseTheKernelsStorage() throws {
        let batch = try decodeFixture("scalars")
        let i64 = try #require(batch.column(named: "i64"))
        guard case .int64(let ints) = i64.data else { Issue.record("BIGINT not in Int64 storage"); return }
        #expect(ints == [-1, 0, 42])
        #expect(i64.validity == [true, false, true])
        let f32 = try #require(batch.column(named: "f32"))
        guard case .double = f32.data else { Issue.record("FLOAT not in Double storage"); return }
    }

    @Test func extremeValues() throws {
        let batch = try decodeFixture("extremes")
        #expect(batch.values("i64") == [.int(.min), .int(.max), .int(0), .int(0), .int(0)])
        guard case .double(let d) = try #require(batch.column(named: "f64")).data else { Issue.record("f64 storage"); return }
        #expect(d[0] == 1e308)
        #expect(d[1] == 0 && d[1].sign == .minus)
        #expect(d[2].isNaN)
        #expect(d[3] == .infinity && d[4] == -.infinity)
        let max38 = Int128("99999999999999999999999999999999999999")!
        #expect(batch.schema.fields[2].type == .decimal(precision: 38, scale: 0))
        #expect(batch.values("dec") == [.decimal(max38), .decimal(-max38), .decimal(0), .decimal(1), .decimal(-1)])
        #expect(batch.schema.fields[3].type == .decimal(precision: 38, scale: 38))
        #expect(batch.values("dec_frac") == [.decimal(max38), .null, .null, .null, .null])
        #expect(batch.values("ts") == [.int(-62_135_596_800_000_000), .int(253_402_300_799_999_999), .int(0), .null, .int(-1)])
        #expect(batch.values("d") == [.int(-719_162), .int(2_932_896), .int(-25_508), .null, .int(-365)])
        #expect(batch.values("s") == [.string("héllo wörld"), .string("日本語"), .string("🎉👩‍👩‍👧"), .string(""), .string("e\u{301}")])
    }
}
