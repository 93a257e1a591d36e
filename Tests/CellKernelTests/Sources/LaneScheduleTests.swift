@testable import CellKernel
import Synchronization
import Testing

/// How a batch's bytes are shared among lane threads: runs that tile the batch in reading
/// order, each read front to back by one lane, and halves taken by idle threads.
@Suite struct LaneScheduleTests {
    /// A lane that can make more of its kind, each numbered in order of making.
    final class MadeLane: RecordLane, @unchecked Sendable {  // never fed: the schedule only hands it out
        let number: Int
        let made: Counter?

        init(number: Int, made: Counter?) {
            self.number = number
            self.made = made
        }

        func add(_ record: SourceRecord, topics: [String]) throws {}

        func makeLane() -> (any RecordLane)? {
            guard let made else { return nil }
            made.add()
            return MadeLane(number: 100 + made.count, made: made)
        }
    }

    /// Lines of ten bytes: a position's line ends at the next multiple of ten.
    static func schedule(total: Int, lanes: Int, block: Int = 100, stealMinimum: Int = 400, canMake: Bool = true) -> LaneSchedule {
        let made = canMake ? Counter() : nil
        return LaneSchedule(total: total, lanes: (0..<lanes).map { MadeLane(number: $0, made: made) },
                            lineEnd: { min(total, ($0 / 10 + 1) * 10) }, blockBytes: block, stealMinimum: stealMinimum)
    }

    /// Blocks handed out per lane, by lane identity, in the order handed out.
    struct Handed {
        var blocks: [ObjectIdentifier: [Range<Int>]] = [:]

        mutating func note(_ block: LaneSchedule.Block) {
            blocks[ObjectIdentifier(block.lane), default: []].append(block.range)
        }

        /// Each lane's blocks follow each other; the lanes' runs, in the schedule's order, tile `0..<total`.
        func expectTiling(_ schedule: LaneSchedule, total: Int, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            var position = 0
            for lane in schedule.lanes {
                let ranges = blocks[ObjectIdentifier(lane)] ?? []
                for range in ranges {
                    #expect(range.lowerBound == position, "a lane's blocks follow on from the lane before", sourceLocation: sourceLocation)
                    #expect(!range.isEmpty && range.lowerBound % 10 == 0 && (range.upperBound % 10 == 0 || range.upperBound == total),
                            "blocks are whole lines: \(range)", sourceLocation: sourceLocation)
                    position = range.upperBound
                }
            }
            #expect(position == total, sourceLocation: sourceLocation)
        }
    }

    @Test("threads start on equal runs of whole lines and read them a block at a time")
    func equalRuns() {
        let schedule = Self.schedule(total: 1000, lanes: 2, stealMinimum: 10_000)
        #expect(schedule.threads == 2)
        var handed = Handed()
        let first = schedule.next(for: 0)
        let second = schedule.next(for: 1)
        // Cut where a line ends: at or after the half, and after the block's size.
        #expect(first?.range == 0..<110)
        #expect(second?.range == 510..<620)
        for block in [first, second].compactMap({ $0 }) { handed.note(block) }
        while let block = schedule.next(for: 0) { handed.note(block) }
        while let block = schedule.next(for: 1) { handed.note(block) }
        handed.expectTiling(schedule, total: 1000)
        #expect(schedule.lanes.map { ($0 as! MadeLane).number } == [0, 1], "no lane was made: nothing was worth taking")
    }

    @Test("a thread that is done takes the back half of the biggest run left, into a new lane right after it")
    func stealsTheBackHalf() throws {
        let schedule = Self.schedule(total: 2000, lanes: 2)
        var handed = Handed()
        // Thread 0 reads one block of 0..<1010 and stalls; thread 1 reads all of 1010..<2000.
        handed.note(try #require(schedule.next(for: 0)))
        for _ in 0..<9 { handed.note(try #require(schedule.next(for: 1))) }
        #expect(handed.blocks[ObjectIdentifier(schedule.lanes[1])]?.last?.upperBound == 2000)
        // Then takes the back half of the 900 bytes thread 0 has left, 570..<1010, into a lane
        // of its own.
        let stolen = try #require(schedule.next(for: 1))
        #expect(stolen.range == 570..<680)
        #expect((stolen.lane as! MadeLane).number == 101)
        handed.note(stolen)
        // Thread 0 reads on to where its run now ends; the 330 bytes thread 1 has left are
        // too few to take.
        while let block = schedule.next(for: 0) { handed.note(block) }
        while let block = schedule.next(for: 1) { handed.note(block) }
        handed.expectTiling(schedule, total: 2000)
        #expect(schedule.lanes.map { ($0 as! MadeLane).number } == [0, 101, 1])
        #expect(handed.blocks[ObjectIdentifier(schedule.lanes[0])]?.last?.upperBound == 570, "thread 0 stops where its run was cut")
    }

    @Test("halves keep being taken until what is left is below the minimum, every byte handed out once")
    func stealsUntilTheMinimum() {
        let schedule = Self.schedule(total: 10_000, lanes: 3, block: 50, stealMinimum: 200)
        var handed = Handed()
        // Thread 2 gets five turns to the others' one each, until each is told nothing is left.
        var done: Set<Int> = []
        var turn = 0
        while done.count < 3 {
            let thread = [0, 1, 2, 2, 2, 2, 2][turn % 7]
            turn += 1
            guard !done.contains(thread) else { continue }
            if let block = schedule.next(for: thread) { handed.note(block) } else { done.insert(thread) }
        }
        handed.expectTiling(schedule, total: 10_000)
        #expect(schedule.lanes.count > 3, "the fast thread took work from the slow ones")
    }

    @Test("lanes that cannot make lanes are read as they were split")
    func noStealWithoutNewLanes() {
        let schedule = Self.schedule(total: 2000, lanes: 2, canMake: false)
        var handed = Handed()
        if let block = schedule.next(for: 0) { handed.note(block) }
        while let block = schedule.next(for: 1) { handed.note(block) }
        while let block = schedule.next(for: 0) { handed.note(block) }
        handed.expectTiling(schedule, total: 2000)
        #expect(schedule.lanes.count == 2)
    }

    @Test("a batch of fewer lines than lanes starts fewer threads; a thread that left is not stolen from")
    func smallBatchesAndLeaving() throws {
        let tiny = Self.schedule(total: 10, lanes: 3)
        #expect(tiny.threads == 1)
        #expect(tiny.next(for: 0)?.range == 0..<10)
        #expect(tiny.next(for: 0) == nil)
        #expect(tiny.next(for: 1) == nil)

        let schedule = Self.schedule(total: 2000, lanes: 2)
        _ = try #require(schedule.next(for: 0))
        schedule.leave(0)
        while schedule.next(for: 1) != nil {}
        #expect(schedule.lanes.count == 2, "what thread 0 left is not handed to anyone")
    }
}
