/// When a started query runs its micro-batches.
public enum TriggerPolicy: Sendable, Hashable, CustomStringConvertible {
    /// A micro-batch every interval (or as soon as the previous one ends, if later); empty
    /// batches are skipped.
    case processingTime(micros: Int64)
    /// One micro-batch of what is available, then stop.
    case once
    /// Everything available now, in as many micro-batches as the source's limits need, then stop.
    case availableNow

    public var description: String {
        switch self {
        case .processingTime(let micros): "every \(Double(micros) / 1e6) s"
        case .once: "once"
        case .availableNow: "available now"
        }
    }
}
