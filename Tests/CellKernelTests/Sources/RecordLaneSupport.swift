import CellKernel
import Foundation
import Synchronization
import Testing

/// A lane that keeps tallies of what it was fed: records, the sum of their offsets and of
/// their `n` field, each (partition, offset) seen, and the threads that fed it.
final class TallyLane: RecordLane, @unchecked Sendable {  // fed by one thread at a time, read after the batch
    private(set) var records = 0
    private(set) var offsetSum: Int64 = 0
    private(set) var valueSum = 0
    private(set) var places: [Place] = []
    private(set) var threads: Set<UInt> = []
    /// Fed records, across all the lanes of a test, for a `stop` to look at from another thread.
    let fed: Counter
    /// Per record, a few microseconds of work: enough that a lane costs about as much as
    /// decoding, so work piles up and a source has reason to use more than one lane.
    let spin: Int
    /// Throws at the records whose `n` is one of these.
    let failAt: Set<Int>

    struct Place: Hashable { var partition: Int32; var offset: Int64 }
    struct Refused: Error, Equatable { var n: Int }

    init(fed: Counter = Counter(), spin: Int = 0, failAt: Set<Int> = []) {
        self.fed = fed
        self.spin = spin
        self.failAt = failAt
    }

    func add(_ record: SourceRecord, topics: [String]) throws {
        let n = Self.n(record.value)
        if failAt.contains(n) { throw Refused(n: n) }
        threads.insert(UInt(pthread_self()))
        records += 1
        offsetSum += record.offset
        valueSum += n
        places.append(Place(partition: record.partition, offset: record.offset))
        fed.add()
        var x = UInt64(truncatingIfNeeded: n)
        for _ in 0..<spin { x = x &* 6364136223846793005 &+ 1442695040888963407 }
        if x == 42 { records += 0 }  // keeps the loop from being optimised out
    }

    /// The number in `{"n":123}`.
    static func n(_ value: UnsafeRawBufferPointer?) -> Int {
        guard let value else { return -1 }
        var n = 0
        for byte in value where byte >= 0x30 && byte <= 0x39 { n = n * 10 + Int(byte - 0x30) }
        return n
    }
}

final class Counter: Sendable {
    private let value = Atomic(0)
    func add() { value.add(1, ordering: .relaxed) }
    var count: Int { value.load(ordering: .relaxed) }
}

extension Array where Element == TallyLane {
    var records: Int { reduce(0) { $0 + $1.records } }
    var offsetSum: Int64 { reduce(0) { $0 + $1.offsetSum } }
    var valueSum: Int { reduce(0) { $0 + $1.valueSum } }
    var places: [TallyLane.Place] { flatMap(\.places) }
    var used: Int { filter { $0.records > 0 }.count }
}
