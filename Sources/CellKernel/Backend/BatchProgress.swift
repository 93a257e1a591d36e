/// What one micro-batch did, like Spark's StreamingQueryProgress.
public struct BatchProgress: Sendable {
    public var batchId: Int64
    /// Wall-clock start, µs since the epoch.
    public var timestamp: Int64
    public var numInputRows: Int
    public var inputRowsPerSecond: Double
    public var processedRowsPerSecond: Double
    public var durationMillis: Int64
    /// µs since the epoch; nil without a watermark.
    public var watermark: Int64?
    public var startOffsets: SourceOffsets
    public var endOffsets: SourceOffsets
    /// Records waiting after the end offsets, per partition.
    public var lag: [String: Int64]
    public var numMalformed: Int
    public var numDroppedMalformed: Int
    public var numLateRows: Int
    public var numLostRecords: Int64
    public var numStateRows: Int
    public var numOutputRows: Int
    /// Rows in no window: their event time is too near the ends of the 64-bit range for one.
    public var numOutOfRangeTimes: Int = 0

    /// One line for under the table.
    public var line: String {
        var parts = ["batch \(batchId): \(numInputRows) rows in \(durationMillis) ms (\(Int(processedRowsPerSecond)) rows/s)"]
        if !lag.isEmpty { parts.append("lag \(lag.values.reduce(0, +))") }
        if let watermark { parts.append("watermark \(TimeText.formatTimestamp(watermark))") }
        parts.append("state \(numStateRows) rows")
        if numMalformed > 0 { parts.append("\(numMalformed) malformed" + (numDroppedMalformed > 0 ? " (\(numDroppedMalformed) dropped)" : "")) }
        if numLateRows > 0 { parts.append("\(numLateRows) late rows dropped") }
        if numOutOfRangeTimes > 0 { parts.append("\(numOutOfRangeTimes) rows with event times out of window range dropped") }
        if numLostRecords > 0 { parts.append("\(numLostRecords) records lost to retention") }
        return parts.joined(separator: " · ")
    }
}

extension BatchProgress {
    /// A batch's progress as another engine reports it (Spark's StreamingQueryProgress):
    /// what it does not report is zero or empty.
    public init(batchId: Int64, timestamp: Int64, numInputRows: Int, inputRowsPerSecond: Double, processedRowsPerSecond: Double,
                durationMillis: Int64, watermark: Int64?, numStateRows: Int, numOutputRows: Int, numLateRows: Int = 0) {
        self.batchId = batchId
        self.timestamp = timestamp
        self.numInputRows = numInputRows
        self.inputRowsPerSecond = inputRowsPerSecond
        self.processedRowsPerSecond = processedRowsPerSecond
        self.durationMillis = durationMillis
        self.watermark = watermark
        self.startOffsets = SourceOffsets()
        self.endOffsets = SourceOffsets()
        self.lag = [:]
        self.numMalformed = 0
        self.numDroppedMalformed = 0
        self.numLateRows = numLateRows
        self.numLostRecords = 0
        self.numStateRows = numStateRows
        self.numOutputRows = numOutputRows
    }
}
