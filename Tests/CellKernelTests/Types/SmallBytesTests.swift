import Testing
@testable import CellKernel

/// The short-byte helpers of hot loops read and write with overlapping words: they must touch
/// nothing outside their bytes and agree with a byte-by-byte definition at every length.
@Suite struct SmallBytesTests {
    @Test func smallCopiesCopyExactlyTheirBytes() {
        for count in 0...40 {
            let source = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            // Guard bytes around the destination stay as they were.
            var destination = [UInt8](repeating: 0xEE, count: count + 32)
            source.withUnsafeBytes { from in
                destination.withUnsafeMutableBytes { to in
                    (to.baseAddress! + 16).copySmall(from: from.baseAddress ?? UnsafeRawPointer(to.baseAddress!), count: count)
                }
            }
            #expect(Array(destination[16..<(16 + count)]) == source, "count \(count)")
            #expect(destination[..<16].allSatisfy { $0 == 0xEE } && destination[(16 + count)...].allSatisfy { $0 == 0xEE }, "count \(count)")
        }
    }

    @Test func byteEqualityAtEveryLengthAndPlace() {
        for count in 0...40 {
            let a = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
            #expect(a.withUnsafeBytes { x in a.withUnsafeBytes { y in memcmpEqual(x.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, y.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count) } })
            for place in 0..<count {
                var b = a
                b[place] ^= 0x40
                let equal = a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmpEqual(x.baseAddress!, y.baseAddress!, count) } }
                #expect(!equal, "count \(count), differing at \(place)")
            }
        }
    }
}
