import Foundation

/// The input rows and expected aggregates both database sink suites (SQLite, PostgreSQL)
/// check their tables against, computed here from the rows, not by cells.
///
/// Row `i`: key `k` from ``keys`` (the suites pick theirs: NULL among them, and the
/// characters their database's text handling must survive), `n` = `i`, `x` a multiple of 0.5
/// (exact sums in any order), `ts` 13 s apart from 2024-01-01.
struct SinkEvents: Sendable {
    var keys: [String?]
    /// How the suite's reader prints NULL: the expected aggregates key NULL groups by it.
    var null: String

    func key(_ i: Int) -> String? { keys[i % keys.count] }
    func x(_ i: Int) -> Double { Double(i % 7) * 0.5 }
    func seconds(_ i: Int) -> Int { 1_704_067_200 + i * 13 }

    func line(_ i: Int) -> String {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds(i))))
        let k = key(i).map { "\"" + $0.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"").replacing("\t", with: "\\t") + "\"" } ?? "null"
        return #"{"k":\#(k),"n":\#(i),"x":\#(x(i)),"ts":"\#(time)"}"# + "\n"
    }

    func lines(_ rows: Range<Int>) -> String { rows.map(line).joined() }

    /// Per key: count, sum of n, sum of x.
    func totals(_ rows: Range<Int>) -> [String: [Double]] {
        var totals: [String: [Double]] = [:]
        for i in rows {
            let old = totals[key(i) ?? null] ?? [0, 0, 0]
            totals[key(i) ?? null] = [old[0] + 1, old[1] + Double(i), old[2] + x(i)]
        }
        return totals
    }

    /// Per (minute as epoch seconds, key): count and sum of n.
    func perMinute(_ rows: Range<Int>) -> [String: [Int]] {
        var counts: [String: [Int]] = [:]
        for i in rows {
            let group = "\(seconds(i) / 60 * 60)|\(key(i) ?? null)"
            let old = counts[group] ?? [0, 0]
            counts[group] = [old[0] + 1, old[1] + i]
        }
        return counts
    }

    /// The stream and views both suites start: totals per key, the raw events, counts per minute.
    static let script = """
        CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n BIGINT, x DOUBLE, ts TIMESTAMP) WATERMARK ts DELAY '1 minute';
        CREATE VIEW totals AS SELECT k, count(*) AS c, sum(n) AS s, sum(x) AS total FROM e GROUP BY k;
        CREATE VIEW events AS SELECT k, n, x, ts FROM e;
        CREATE VIEW minutes AS SELECT window, k, count(*) AS c, sum(n) AS s FROM e GROUP BY window(ts, '1 minute'), k;
        """
}
