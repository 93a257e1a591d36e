import Testing
import TransactionGenerator

@Suite struct ThroughputTests {
    /// A sanity print only: debug builds are an order of magnitude slower than release, so the
    /// number is not asserted on; the release benchmark is what the performance target refers to.
    @Test(arguments: TransactionSchema.allCases)
    func printsThroughput(_ schema: TransactionSchema) {
        var generator = CardTransactionGenerator(schema: schema, seed: 1)
        var key: [UInt8] = []
        var value: [UInt8] = []
        var bytes = 0
        let n = 20_000
        let elapsed = ContinuousClock().measure {
            for i in 0..<n {
                generator.next(eventTimeMillis: start2024 + Int64(i) * 20, key: &key, value: &value)
                bytes += value.count
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        print("\(schema): \(Int(Double(n) / seconds)) messages/s, \(bytes / n) B/message (this build)")
        #expect(bytes > n * 100)
    }
}
