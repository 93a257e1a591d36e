import Foundation
import Testing
@testable import CellKernel

/// A view over a windowed aggregation reads its `window` column as the aggregation did:
/// `window.start`, `window.end`.
@Suite struct WindowColumnOverViewsTests {
    @Test func windowStartAndEndOverAnAggregatingView() throws {
        // 3 events in minute 0, 2 in minute 1, one at minute 5 moving the watermark past both.
        let times = ["00:00:05", "00:00:30", "00:00:59", "00:01:00", "00:01:40", "00:05:00"]
        let text = times.map { "{\"event_time\":\"2024-01-01 \($0)\"}\n" }.joined()
        let path = NSTemporaryDirectory() + "cells-window-view-\(UUID().uuidString).jsonl"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(path)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP) WATERMARK event_time DELAY '0 seconds';
            CREATE VIEW per_minute AS SELECT window, count(*) AS n FROM tx GROUP BY window(event_time, '1 minute');
            CREATE VIEW busy AS SELECT window.start AS s, window.end AS e, n FROM per_minute WHERE n > 1;
            START busy OUTPUT MODE append TRIGGER AVAILABLE NOW;
            """)
        let table = try #require(session.table("busy"))
        // Timestamps as µs since the epoch: 1704067200000000 is 2024-01-01 00:00:00 UTC.
        #expect(table.sortedRows == [
            ["1704067200000000", "1704067260000000", "3"],
            ["1704067260000000", "1704067320000000", "2"],
        ])
    }
}
