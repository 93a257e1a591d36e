import Testing
@testable import CellKernel

@Suite("JSON decoder: STRING")
struct JSONStringFieldTests {
    @Test func plainAndNonASCII() {
        #expect(jsonField(#""hello""#, as: .string).cell == .text("hello"))
        #expect(jsonField(#""""#, as: .string).cell == .text(""))
        #expect(jsonField(#""ação 東京 😀""#, as: .string).cell == .text("ação 東京 😀"))
    }

    @Test func simpleEscapes() {
        let r = jsonField(#""a\"b\\c\/d\be\ff\ng\rh\ti""#, as: .string)
        #expect(r.outcome == .ok)
        #expect(r.cell == .text("a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti"))
    }

    @Test func unicodeEscapes() {
        #expect(jsonField(#""\u00e9\u20AC\u0041""#, as: .string).cell == .text("é€A"))
        #expect(jsonField(#""\ud83d\ude00!""#, as: .string).cell == .text("😀!"))
        #expect(jsonField(#""\uD834\uDD1E""#, as: .string).cell == .text("𝄞"))
        #expect(jsonField(#""x\u0000y""#, as: .string).cell == .text("x\u{0}y"))
        #expect(jsonField(#""\u007f\u0080\u07ff\u0800\uffff""#, as: .string).cell == .text("\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}"))
    }

    @Test func longStringWithEscapesEverywhere() {
        var json = "\""
        var expected = ""
        for i in 0..<500 {
            json += "chunk\(i)\\n\\u00e9\\\""
            expected += "chunk\(i)\né\""
        }
        json += "\""
        #expect(jsonField(json, as: .string).cell == .text(expected))
    }

    @Test func invalidEscapesAreMalformed() {
        for bad in [#""\x""#, #""\u12""#, #""\u12G4""#, #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, #""\'""#, #""\U0041""#] {
            let r = jsonDecode("{\"v\": \(bad), \"w\": 1}", [.init(name: "v", type: .string), .init(name: "w", type: .int)])
            #expect(r.outcome.isMalformed, "\(bad)")
            #expect(r.cells == [.null, .null], "\(bad)")
            #expect(r.outcome.malformation?.field == nil)
        }
    }

    @Test func rawControlCharactersAreMalformed() {
        for c in [0x00, 0x01, 0x0A, 0x09, 0x1F] {
            let bytes = Array(#"{"v": "a"#.utf8) + [UInt8(c)] + Array(#"b"}"#.utf8)
            #expect(jsonDecode(bytes: bytes, [.init(name: "v", type: .string)]).outcome.isMalformed)
        }
        // DEL is not a control character in JSON.
        let del = Array(#"{"v": "a"#.utf8) + [0x7F] + Array(#""}"#.utf8)
        #expect(jsonDecode(bytes: del, [.init(name: "v", type: .string)]).cells == [.text("a\u{7F}")])
    }

    @Test func nonStringValuesAreCapturedAsWritten() {
        #expect(jsonField("12.50", as: .string).cell == .text("12.50"))
        #expect(jsonField("-0", as: .string).cell == .text("-0"))
        #expect(jsonField("1E+3", as: .string).cell == .text("1E+3"))
        #expect(jsonField("true", as: .string).cell == .text("true"))
        #expect(jsonField("false", as: .string).cell == .text("false"))
        #expect(jsonField(#"{"a": 1, "b" :[1, "x\"]"]}"#, as: .string).cell == .text(#"{"a": 1, "b" :[1, "x\"]"]}"#))
        #expect(jsonField("[ 1 , [ ] ]", as: .string).cell == .text("[ 1 , [ ] ]"))
        #expect(jsonField("{}", as: .string).cell == .text("{}"))
        #expect(jsonField("null", as: .string).cell == .null)
    }
}

@Suite("JSON decoder: BOOLEAN")
struct JSONBooleanFieldTests {
    @Test func literals() {
        #expect(jsonField("true", as: .boolean) == (.bool(true), .ok))
        #expect(jsonField("false", as: .boolean) == (.bool(false), .ok))
        #expect(jsonField("null", as: .boolean) == (.null, .ok))
    }

    @Test func everythingElseMismatches() {
        for text in [#""true""#, "1", "0", "[]", "{}", #""""#] {
            let r = jsonField(text, as: .boolean)
            #expect(r.cell == .null, "\(text)")
            #expect(r.outcome.malformation?.field == "v", "\(text)")
            #expect(r.outcome.malformation?.byteOffset == 6, "\(text)")
        }
    }

    @Test func badLiteralsAreSyntaxErrors() {
        for text in ["tru", "True", "fals", "truex", "nul", "nulll"] {
            let r = jsonField(text, as: .boolean)
            #expect(r.outcome.isMalformed && r.outcome.malformation?.field == nil, "\(text)")
        }
    }
}

@Suite("JSON decoder: INT and BIGINT")
struct JSONIntegerFieldTests {
    @Test func intRange() {
        #expect(jsonField("0", as: .int) == (.int(0), .ok))
        #expect(jsonField("-0", as: .int) == (.int(0), .ok))
        #expect(jsonField("42", as: .int) == (.int(42), .ok))
        #expect(jsonField("2147483647", as: .int) == (.int(2_147_483_647), .ok))
        #expect(jsonField("-2147483648", as: .int) == (.int(-2_147_483_648), .ok))
        #expect(jsonField("2147483648", as: .int).cell == .null)
        #expect(jsonField("2147483648", as: .int).outcome.malformation?.reason == "2147483648 is out of range for INT")
        #expect(jsonField("-2147483649", as: .int).cell == .null)
    }

    @Test func bigintRange() {
        #expect(jsonField("9223372036854775807", as: .bigint) == (.int(.max), .ok))
        #expect(jsonField("-9223372036854775808", as: .bigint) == (.int(.min), .ok))
        #expect(jsonField("9007199254740993", as: .bigint) == (.int(9_007_199_254_740_993), .ok))
        for text in ["9223372036854775808", "-9223372036854775809", "18446744073709551616", "123456789012345678901234567890"] {
            let r = jsonField(text, as: .bigint)
            #expect(r.cell == .null && r.outcome.malformation?.field == "v", "\(text)")
        }
    }

    @Test func fractionsExponentsAndStringsMismatch() {
        for type in [SQLType.int, .bigint] {
            for text in ["1.5", "1.0", "1e3", "1E0", "-0.0", #""5""#, "true", "[1]", #"{"a":1}"#] {
                let r = jsonField(text, as: type)
                #expect(r.cell == .null, "\(text)")
                #expect(r.outcome.malformation?.field == "v", "\(text)")
            }
            #expect(jsonField("null", as: type) == (.null, .ok))
        }
        #expect(jsonField("1.5", as: .int).outcome.malformation?.reason == "expected an integer but found 1.5")
        #expect(jsonField(#""5""#, as: .int).outcome.malformation?.reason == #"expected an integer but found a string "5""#)
    }

    @Test func badNumberGrammarIsASyntaxError() {
        // Bare NaN and Infinity are numbers to Spark (allowNonNumericNumbers): see
        // JSONNonNumericTests. Other spellings are not.
        for text in ["01", "+1", ".5", "1.", "1e", "1e+", "-", "--1", "0x10", "1.2.3", "1-2", "Inf", "nan", "-NaN", "+NaN", "INF", "+inf", "Infinityx"] {
            let r = jsonField(text, as: .bigint)
            #expect(r.outcome.isMalformed && r.outcome.malformation?.field == nil, "\(text)")
            // Also when the value is skipped.
            let skipped = jsonDecode("{\"v\": \(text), \"w\": 1}", [.init(name: "w", type: .int)])
            #expect(skipped.outcome.isMalformed && skipped.cells == [.null], "\(text)")
        }
    }
}

@Suite("JSON decoder: FLOAT and DOUBLE")
struct JSONFloatingFieldTests {
    func double(_ text: String) -> JSONCell { jsonField(text, as: .double).cell }

    @Test func ordinaryValues() {
        #expect(double("1.5") == .double(1.5))
        #expect(double("33.29") == .double(33.29))
        #expect(double("-112.54") == .double(-112.54))
        #expect(double("42") == .double(42))
        #expect(double("1e3") == .double(1000))
        #expect(double("1E-2") == .double(0.01))
        #expect(double("0.000123") == .double(0.000123))
        #expect(double("123456789012345678") == .double(123_456_789_012_345_680))
    }

    @Test func signedZeros() {
        #expect(double("0") == .double(0.0))
        #expect(double("-0") == .double(-0.0))
        #expect(double("-0.0") == .double(-0.0))
        #expect(double("-0e10") == .double(-0.0))
        #expect(double("0e-999999999999") == .double(0.0))
    }

    @Test func extremes() {
        #expect(double("1e308") == .double(1e308))
        #expect(double("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        #expect(double("1.7976931348623159e308") == .double(.infinity))
        #expect(double("1e309") == .double(.infinity))
        #expect(double("-1e400") == .double(-.infinity))
        #expect(double("2.2250738585072014e-308") == .double(.leastNormalMagnitude))
        #expect(double("2.2250738585072011e-308") == .double(Double(bitPattern: 0x000F_FFFF_FFFF_FFFF)))  // largest subnormal
        #expect(double("5e-324") == .double(.leastNonzeroMagnitude))
        #expect(double("4.9406564584124654e-324") == .double(.leastNonzeroMagnitude))
        #expect(double("2.4703282292062328e-324") == .double(.leastNonzeroMagnitude))
        #expect(double("2.4703282292062327e-324") == .double(0))
        #expect(double("1e-400") == .double(0))
        #expect(double("1e22") == .double(1e22))
        #expect(double("1e23") == .double(1e23))
        #expect(double("9e37") == .double(9e37))
    }

    @Test func fastPathBoundaries() {
        // Around the limits of the exact one-operation path: 2^53 mantissas, 10^22, and the
        // exponents a small mantissa can absorb.
        let texts = ["9007199254740992e22", "9007199254740992e-22", "9007199254740993e-22", "9007199254740991e23",
                     "1e37", "1e38", "123e30", "4503599627370497e23", "1234567890123456789", "12345678901234567890",
                     "0.1234567890123456789", "1e-22", "1e-23", "8.98846567431158e307", "2e-323", "1.5e-320",
                     "179769313486231570000000000000000000000e270", "0.000000000000000000000000000001"]
        for text in texts {
            #expect(double(text) == .double(Double(text)!), "\(text)")
        }
    }

    @Test func longMantissas() {
        #expect(double("3.14159265358979323846264338327950288419716939937510") == .double(.pi))
        // Halfway between two Doubles: ties to even, which needs every digit.
        #expect(double("9007199254740993") == .double(9_007_199_254_740_992))
        #expect(double("9007199254740993.0000000000000000000001") == .double(9_007_199_254_740_994))
        #expect(double("0.1000000000000000055511151231257827021181583404541015625") == .double(0.1))
        #expect(double("7.2057594037927933e16") == .double(72_057_594_037_927_936))
        #expect(double("1" + String(repeating: "0", count: 400) + "e-400") == .double(1))
    }

    @Test func nonNumericStrings() {
        guard case .double(let nan) = double(#""NaN""#) else {
            Issue.record("NaN not decoded")
            return
        }
        #expect(nan.isNaN)
        #expect(double(#""Infinity""#) == .double(.infinity))
        #expect(double(#""+Infinity""#) == .double(.infinity))
        #expect(double(#""-Infinity""#) == .double(-.infinity))
        #expect(double(#""+INF""#) == .double(.infinity))
        #expect(double(#""-INF""#) == .double(-.infinity))
        for text in [#""nan""#, #""inf""#, #""1.5""#, #""""#, #""Infinityx""#, "true", "[]"] {
            let r = jsonField(text, as: .double)
            #expect(r.cell == .null && r.outcome.malformation?.field == "v", "\(text)")
        }
    }

    @Test func floatRoundsThroughFloat() {
        #expect(jsonField("0.1", as: .float).cell == .double(Double(Float(0.1))))
        #expect(jsonField("3.4028235e38", as: .float).cell == .double(Double(Float.greatestFiniteMagnitude)))
        #expect(jsonField("1e39", as: .float).cell == .double(.infinity))
        #expect(jsonField("16777217", as: .float).cell == .double(16_777_216))
        #expect(jsonField(#""-Infinity""#, as: .float).cell == .double(-.infinity))
        #expect(jsonField("1e-50", as: .float).cell == .double(0))
    }
}

@Suite("JSON decoder: DECIMAL")
struct JSONDecimalFieldTests {
    func decimal(_ text: String, _ p: Int = 10, _ s: Int = 2) -> JSONCell {
        jsonField(text, as: .decimal(precision: p, scale: s)).cell
    }

    @Test func roundsHalfUp() {
        #expect(decimal("12.345") == .int(1235))
        #expect(decimal("12.344") == .int(1234))
        #expect(decimal("-12.345") == .int(-1235))
        #expect(decimal("0.005") == .int(1))
        #expect(decimal("0.0049999") == .int(0))
        #expect(decimal("-0.005") == .int(-1))
        #expect(decimal("1e-10") == .int(0))
        #expect(decimal("5e-3") == .int(1))
        #expect(decimal("12.345678901234567890123") == .int(1235))
        #expect(decimal("0.00000000000000000000000000000000000006") == .int(0))
    }

    @Test func scalesUp() {
        #expect(decimal("12") == .int(1200))
        #expect(decimal("1e2") == .int(10000))
        #expect(decimal("-0") == .int(0))
        #expect(decimal("0e999999") == .int(0))
        #expect(decimal("33.29") == .int(3329))
        #expect(decimal("7", 5, 0) == .int(7))
        #expect(decimal("999999999999999999", 18, 0) == .int(999_999_999_999_999_999))
    }

    @Test func precisionOverflowMismatches() {
        #expect(decimal("99999999.994") == .int(9_999_999_999))
        #expect(decimal("99999999.995") == .null)  // rounds to 11 digits
        #expect(decimal("123456789.1") == .null)
        #expect(decimal("1e8") == .null)
        #expect(decimal("1e18", 18, 0) == .null)
        #expect(decimal("1e999999999") == .null)
        let r = jsonField("123456789.1", as: .decimal(precision: 10, scale: 2))
        #expect(r.outcome.malformation?.reason == "123456789.1 does not fit DECIMAL(10,2)")
    }

    @Test func numericStrings() {
        #expect(decimal(#""12.34""#) == .int(1234))
        #expect(decimal(#""+1.5""#) == .int(150))
        #expect(decimal(#"".5""#) == .int(50))
        #expect(decimal(#""1,234.5""#) == .int(123_450))
        #expect(decimal(#""abc""#) == .null)
        #expect(decimal(#""""#) == .null)
        #expect(decimal("true") == .null)
        #expect(decimal("null") == .null)
        #expect(jsonField(#""abc""#, as: .decimal(precision: 10, scale: 2)).outcome.malformation?.field == "v")
    }
}

@Suite("JSON decoder: DATE and TIMESTAMP")
struct JSONTemporalFieldTests {
    func date(_ text: String) -> JSONCell { jsonField(text, as: .date).cell }
    func timestamp(_ text: String) -> JSONCell { jsonField(text, as: .timestamp).cell }

    @Test func knownDates() {
        #expect(date(#""1970-01-01""#) == .int(0))
        #expect(date(#""1969-12-31""#) == .int(-1))
        #expect(date(#""2000-03-01""#) == .int(11017))
        #expect(date(#""2024-01-15""#) == .int(19737))
        #expect(date(#""2024-02-29""#) == .int(19782))
        #expect(date(#""1900-03-01""#) == .int(-25508))
        #expect(date(#""0001-01-01""#) == .int(-719_162))
        #expect(date(#""9999-12-31""#) == .int(2_932_896))
        #expect(date(#"" 2024-01-15 ""#) == .int(19737))
    }

    @Test func datesFromTimestampStrings() {
        #expect(date(#""2024-01-15T23:59:59.999Z""#) == .int(19737))
        #expect(date(#""2024-01-15 10:00:00""#) == .int(19737))
        #expect(date(#""2024-01-15T01:00:00+05:00""#) == .int(19737))
    }

    @Test func badDates() {
        for text in [#""2024-02-30""#, #""2023-02-29""#, #""1900-02-29""#, #""2024-13-01""#, #""2024-00-10""#,
                     #""2024-1-5""#, #""24-01-05""#, #""2024/01/05""#, #""2024-01-05x""#, #""""#, "20240105", "true"] {
            let r = jsonField(text, as: .date)
            #expect(r.cell == .null && r.outcome.malformation?.field == "v", "\(text)")
        }
    }

    @Test func knownTimestamps() {
        let newYear: Int64 = 1_704_067_200_000_000
        #expect(timestamp(#""2024-01-01T00:00:00.000Z""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01T00:00:00Z""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01T00:00:00""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01 00:00:00""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01T00:00""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01T01:00:00+01:00""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01T01:30:00+0130""#) == .int(newYear))
        #expect(timestamp(#""2024-01-01T03:00+03""#) == .int(newYear))
        #expect(timestamp(#""2023-12-31T23:00:00-01:00""#) == .int(newYear))
        #expect(timestamp(#""2024-07-15T13:45:30Z""#) == .int(1_721_051_130_000_000))
        #expect(timestamp(#""1960-06-01T12:00:00Z""#) == .int(-302_443_200_000_000))
        #expect(timestamp(#""1970-01-01T00:00:00.000001Z""#) == .int(1))
        #expect(timestamp(#""1970-01-01T00:00:00.5""#) == .int(500_000))
        #expect(timestamp(#""1970-01-01T00:00:00.123456789Z""#) == .int(123_456))
        #expect(timestamp(#""1969-12-31T23:59:59.999999Z""#) == .int(-1))
        #expect(timestamp(#""2024-01-01T00:00:00.021Z""#) == .int(newYear + 21_000))
    }

    @Test func numbersAreSecondsSinceTheEpoch() {
        #expect(timestamp("1704067200") == .int(1_704_067_200_000_000))
        #expect(timestamp("0") == .int(0))
        #expect(timestamp("1.5") == .int(1_500_000))
        #expect(timestamp("-1.5") == .int(-1_500_000))
        #expect(timestamp("1e3") == .int(1_000_000_000))
        #expect(timestamp("0.0000001") == .int(0))
        #expect(timestamp("9223372036854") == .int(9_223_372_036_854_000_000))
        #expect(timestamp("1e300") == .null)
        #expect(timestamp("9223372036855") == .null)
        #expect(jsonField("1e300", as: .timestamp).outcome.malformation?.field == "v")
    }

    @Test func badTimestamps() {
        for text in [#""2024-01-01T24:00:00Z""#, #""2024-01-01T10:60""#, #""2024-01-01T10:00:61""#,
                     #""2024-01-01T10""#, #""2024-01-01T10:00:00.""#, #""2024-01-01T10:00:00+25:00""#,
                     #""2024-01-01T10:00:00 UTC""#, #""2024-01-01T10:00:00Zx""#, #""yesterday""#, "true", "[]"] {
            let r = jsonField(text, as: .timestamp)
            #expect(r.cell == .null && r.outcome.malformation?.field == "v", "\(text)")
        }
    }
}

@Suite("JSON decoder: NULL and missing fields")
struct JSONNullFieldTests {
    static let allTypes: [SQLType] = [.string, .boolean, .int, .bigint, .float, .double,
                                      .decimal(precision: 10, scale: 2), .date, .timestamp]

    @Test func nullAndMissingAreNullForEveryType() {
        let fields = JSONNullFieldTests.allTypes.enumerated().map { JSONFieldSpec(name: "f\($0.offset)", type: $0.element) }
        let nulls = "{" + fields.map { "\"\($0.name)\": null" }.joined(separator: ", ") + "}"
        #expect(jsonDecode(nulls, fields) == (Array(repeating: .null, count: fields.count), .ok))
        #expect(jsonDecode("{}", fields) == (Array(repeating: .null, count: fields.count), .ok))
        #expect(jsonDecode(#"{"other": 1}"#, fields) == (Array(repeating: .null, count: fields.count), .ok))
    }

    @Test func nullTypedFieldIsAlwaysNull() {
        #expect(jsonDecode(#"{"v": [1, 2]}"#, [.init(name: "v", type: .null)]) == ([.null], .ok))
        #expect(jsonDecode(#"{"v": "x"}"#, [.init(name: "v", type: .null)]) == ([.null], .ok))
    }

    @Test func keysMatchExactly() {
        let fields: [JSONFieldSpec] = [.init(name: "amount", type: .double)]
        #expect(jsonDecode(#"{"Amount": 5}"#, fields).cells == [.null])
        #expect(jsonDecode(#"{"amount ": 5}"#, fields).cells == [.null])
        #expect(jsonDecode(#"{"amoun": 5}"#, fields).cells == [.null])
        #expect(jsonDecode(#"{"am\u006funt": 5}"#, fields).cells == [.double(5)])
        #expect(jsonDecode(#"{"": 1, "amount": 5}"#, fields).cells == [.double(5)])
        #expect(jsonDecode(#"{"": 7}"#, [.init(name: "", type: .int)]).cells == [.int(7)])
        #expect(jsonDecode(#"{"ção": 7}"#, [.init(name: "ção", type: .int)]).cells == [.int(7)])
    }

    @Test func similarNamesDoNotCollide() {
        let names = ["currency", "category", "c", "ca", "cat", "state", "status", "a", "b", "ab", "ba", "aaaa", "aaaaa"]
        let fields = names.map { JSONFieldSpec(name: $0, type: .string) }
        let json = "{" + names.reversed().map { "\"\($0)\": \"\($0)-value\"" }.joined(separator: ",") + "}"
        #expect(jsonDecode(json, fields).cells == names.map { .text("\($0)-value") })
    }

    @Test func sameNameRequestedTwice() {
        let fields: [JSONFieldSpec] = [.init(name: "a", type: .string), .init(name: "a", type: .int), .init(name: "b", type: .int)]
        #expect(jsonDecode(#"{"a": 5, "b": 6}"#, fields) == ([.text("5"), .int(5), .int(6)], .ok))
    }
}
