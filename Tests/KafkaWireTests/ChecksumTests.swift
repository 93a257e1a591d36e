import CByteScan
@testable import KafkaWire
import Testing

@Suite struct ChecksumTests {
    private func crc(_ f: (UInt32, UnsafeRawPointer?, Int) -> UInt32, _ bytes: [UInt8], from seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { f(seed, $0.baseAddress, $0.count) }
    }

    @Test func theCheckValuesOfBothCRCs() {
        let check = Array("123456789".utf8)
        #expect(crc(cells_crc32c, check) == 0xE306_9283)
        #expect(crc(cells_crc32c_portable, check) == 0xE306_9283)
        #expect(crc(cells_crc32, check) == 0xCBF4_3926)
        #expect(crc(cells_crc32c, []) == 0)
        #expect(crc(cells_crc32, []) == 0)
    }

    /// The instruction and the tables agree on every length and alignment, and a CRC taken
    /// in two pieces equals the CRC of the whole.
    @Test func theInstructionAndTheTablesAgree() {
        var random = SystemRandomNumberGenerator()
        let bytes = (0..<4099).map { _ in UInt8.random(in: 0...255, using: &random) }
        for length in [0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 1000, 4099] {
            for offset in 0..<min(8, bytes.count - length + 1) {
                let slice = Array(bytes[offset..<offset + length])
                #expect(crc(cells_crc32c, slice) == crc(cells_crc32c_portable, slice), "length \(length) at \(offset)")
            }
        }
        let whole = crc(cells_crc32c, bytes)
        let first = crc(cells_crc32c, Array(bytes[..<1234]))
        #expect(crc(cells_crc32c, Array(bytes[1234...]), from: first) == whole)
        #expect(crc(cells_crc32c_portable, Array(bytes[1234...]), from: first) == whole)
    }

    /// Kafka's own murmur2 test vectors (its Java client's UtilsTest).
    @Test func murmur2MatchesKafkasJavaClient() {
        let cases: [(String, Int32)] = [
            ("21", -973_932_308), ("foobar", -790_332_482), ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829), ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (text, expected) in cases {
            let hash = Array(text.utf8).withUnsafeBytes { WirePartitioner.murmur2($0) }
            #expect(Int32(bitPattern: hash) == expected, "\(text)")
        }
    }
}
