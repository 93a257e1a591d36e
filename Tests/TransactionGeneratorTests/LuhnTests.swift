import Testing
@testable import TransactionGenerator

@Suite struct LuhnTests {
    @Test(arguments: ["79927398713", "4111111111111111", "4532015112830366", "378282246310005",
                      "6011111111111117", "5555555555554444", "30569309025904", "0"])
    func acceptsKnownValidNumbers(_ number: String) {
        #expect(Luhn.isValid(Array(number.utf8)))
    }

    @Test(arguments: ["79927398710", "4111111111111112", "4532015112830367", "1234567812345678",
                      "", "4111 1111 1111 1111", "41111111111111a1"])
    func rejectsInvalidNumbers(_ number: String) {
        #expect(!Luhn.isValid(Array(number.utf8)))
    }

    @Test func checkDigitCompletesEveryPayload() {
        for payload in ["7992739871", "411111111111111", "0", "12", "99999999999999999"] {
            var bytes = Array(payload.utf8)
            let check = bytes.withUnsafeBufferPointer { Luhn.checkDigit($0.baseAddress!, count: $0.count) }
            bytes.append(check)
            #expect(Luhn.isValid(bytes), "\(payload) + \(Character(Unicode.Scalar(check)))")
            // Any other final digit must fail.
            for other in UInt8(ascii: "0")...UInt8(ascii: "9") where other != check {
                bytes[bytes.count - 1] = other
                #expect(!Luhn.isValid(bytes))
            }
        }
        #expect(Array("7992739871".utf8).withUnsafeBufferPointer { Luhn.checkDigit($0.baseAddress!, count: $0.count) }
                == UInt8(ascii: "3"))
    }
}
