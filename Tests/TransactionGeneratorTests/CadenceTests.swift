import Testing
@testable import TransactionGenerator

@Suite struct CadenceTests {
    @Test func defaultsAreTheOriginals() {
        let cadence = BurstCadence()
        #expect(cadence.burst == 8...20)
        #expect(cadence.pause == 1...60)
    }

    @Test func burstSizesAreRedrawnForEveryBurst() {
        var schedule = BurstSchedule(cadence: BurstCadence(), seed: 99)
        let first100 = (0..<100).map { _ in schedule.nextBurstSize() }
        #expect(first100.allSatisfy { (8...20).contains($0) })
        #expect(Set(first100).count > 1)
        let many = first100 + (0..<2_000).map { _ in schedule.nextBurstSize() }
        #expect(Set(many) == Set(8...20))
    }

    @Test func pausesCoverTheirRange() {
        var schedule = BurstSchedule(cadence: BurstCadence(), seed: 5)
        let pauses = (0..<5_000).map { _ in schedule.nextPauseSeconds() }
        #expect(pauses.allSatisfy { (1...60).contains($0) })
        #expect(pauses.min() == 1 && pauses.max() == 60)
        #expect(Set(pauses).count == 60)
    }

    @Test func schedulesAreReproducibleUnderASeed() {
        func plan(_ seed: UInt64?) -> [Int] {
            var schedule = BurstSchedule(cadence: BurstCadence(burst: 1...1000, pause: 0...1000), seed: seed)
            return (0..<50).flatMap { _ in [schedule.nextBurstSize(), schedule.nextPauseSeconds()] }
        }
        #expect(plan(1) == plan(1))
        #expect(plan(1) != plan(2))
        #expect(plan(nil) != plan(nil))
    }

    @Test func singletonRangesAreConstant() {
        var schedule = BurstSchedule(cadence: BurstCadence(burst: 3...3, pause: 0...0), seed: nil)
        for _ in 0..<100 {
            #expect(schedule.nextBurstSize() == 3)
            #expect(schedule.nextPauseSeconds() == 0)
        }
    }

    @Test func parsesRanges() throws {
        #expect(try BurstCadence.parseRange("8-20", what: "burst") == 8...20)
        #expect(try BurstCadence.parseRange("5", what: "burst") == 5...5)
        #expect(try BurstCadence.parseRange(" 1 - 60 ", what: "pause") == 1...60)
        #expect(try BurstCadence.parseRange("0-5", what: "pause") == 0...5)
        #expect(try BurstCadence.parseRange("0", what: "pause") == 0...0)
    }

    @Test(arguments: [
        ("abc", "burst", "not a whole number"),
        ("", "burst", "expected A-B"),
        ("20-8", "burst", "exceeds"),
        ("-1", "pause", "negative"),
        ("-3-5", "pause", "negative"),
        ("3--5", "pause", "negative"),
        ("1-2-3", "pause", "expected A-B"),
        ("1.5-3", "pause", "not a whole number"),
        ("5-", "pause", "not a whole number"),
        ("0", "burst", "at least 1"),
        ("0-5", "Burst", "at least 1"),
        ("99999999999999999999", "pause", "too large"),
    ])
    func rejectsBadRanges(_ text: String, _ what: String, _ reason: String) {
        do {
            let range = try BurstCadence.parseRange(text, what: what)
            Issue.record("'\(text)' parsed as \(range)")
        } catch let error as CadenceError {
            #expect(error.description.contains(reason), "\(error)")
            #expect(error.description.contains(what) && error.description.contains("'\(text)'"), "\(error)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
