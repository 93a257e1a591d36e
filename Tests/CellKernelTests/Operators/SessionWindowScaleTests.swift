import Foundation
import Testing
@testable import CellKernel

/// Session windows at a size where anything quadratic would show: one key's thousands of
/// stored sessions bridged by one batch, beside thousands of keys with a session each.
@Suite struct SessionWindowScaleTests {
    @Test func oneBatchBridgingThousandsOfStoredSessions() throws {
        let gap = SessionWindowTests.gap
        let feed = SessionWindowTests.Feed()
        let op = SessionWindowTests.makeOperator(feed, mode: .complete)
        let sessions = 5_000
        // Card 0: events 2 gaps apart (separate sessions); cards 1...5000: one event each.
        feed.pending = (0..<sessions).map { SessionWindowTests.Event(card: 0, time: Int64($0) * 2 * gap, amount: 1) }
            + (1...sessions).map { SessionWindowTests.Event(card: Int64($0), time: 0, amount: 1) }
        var context = BatchContext(mode: .complete, watermark: 0)
        _ = try op.next(&context)
        #expect(op.stateRows == 2 * sessions)
        // Events halfway between card 0's sessions merge all of them into one; every other card grows.
        feed.pending = (0..<sessions - 1).map { SessionWindowTests.Event(card: 0, time: Int64($0) * 2 * gap + gap, amount: 2) }
            + (1...sessions).map { SessionWindowTests.Event(card: Int64($0), time: gap, amount: 2) }
        let started = Date()
        context = BatchContext(mode: .complete, watermark: 0)
        let rows = SessionWindowTests.rows(try op.next(&context))
        let seconds = Date().timeIntervalSince(started)
        #expect(op.stateRows == sessions + 1)
        let card0 = try #require(rows.first { $0.card == 0 })
        #expect(card0.count == Int64(2 * sessions - 1) && card0.sum == Int64(sessions + 2 * (sessions - 1)))
        #expect(card0.start == 0 && card0.end == Int64(sessions - 1) * 2 * gap + gap)
        #expect(rows.filter { $0.card != 0 }.allSatisfy { $0.count == 2 && $0.sum == 3 && $0.end == 2 * gap })
        #expect(seconds < 10, "\(seconds) s")
    }
}
