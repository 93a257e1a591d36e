import CellKernel
import Foundation

/// Spark's StreamingQueryProgress (the JSON `lastProgress` and `recentProgress` return) as
/// the kernel's progress line.
enum SparkProgress {
    /// Nil for JSON that is not a progress event.
    static func parse(_ json: String) -> BatchProgress? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let batchId = integer(object["batchId"]) else { return nil }
        let stateRows = (object["stateOperators"] as? [[String: Any]] ?? []).reduce(0) { $0 + (integer($1["numRowsTotal"]) ?? 0) }
        let lateRows = (object["stateOperators"] as? [[String: Any]] ?? []).reduce(0) { $0 + (integer($1["numRowsDroppedByWatermark"]) ?? 0) }
        let duration = (object["durationMs"] as? [String: Any]).flatMap { integer($0["triggerExecution"]) } ?? 0
        let watermark = ((object["eventTime"] as? [String: Any])?["watermark"] as? String).flatMap(micros(iso:)).flatMap { $0 == 0 ? nil : $0 }
        let outputRows = (object["sink"] as? [String: Any]).flatMap { integer($0["numOutputRows"]) } ?? 0
        return BatchProgress(batchId: Int64(batchId), timestamp: (object["timestamp"] as? String).flatMap(micros(iso:)) ?? 0,
                             numInputRows: integer(object["numInputRows"])
                                 ?? (object["sources"] as? [[String: Any]] ?? []).reduce(0) { $0 + (integer($1["numInputRows"]) ?? 0) },
                             inputRowsPerSecond: double(object["inputRowsPerSecond"]) ?? 0,
                             processedRowsPerSecond: double(object["processedRowsPerSecond"]) ?? 0,
                             durationMillis: Int64(duration), watermark: watermark, numStateRows: stateRows,
                             numOutputRows: max(outputRows, 0), numLateRows: lateRows)
    }

    private static func integer(_ any: Any?) -> Int? {
        guard let value = double(any), value >= -9e15, value <= 9e15 else { return nil }
        return Int(value)
    }

    /// JSONSerialization gives Int, Double or NSNumber depending on the platform and the text.
    private static func double(_ any: Any?) -> Double? {
        let value: Double? = switch any {
        case let int as Int: Double(int)
        case let double as Double: double
        case let number as NSNumber: number.doubleValue
        default: nil
        }
        return value.flatMap { $0.isFinite ? $0 : nil }
    }

    /// `2026-12-02T19:00:00.000Z` as µs since the epoch. Spark's watermark before the first
    /// event is the epoch itself: no watermark yet.
    static func micros(iso text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
        let micros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        guard micros.isFinite, abs(micros) < 9e18 else { return nil }
        return Int64(micros)
    }
}
