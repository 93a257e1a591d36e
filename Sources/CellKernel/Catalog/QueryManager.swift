/// The handles of started queries: every started view's (its result table stays readable
/// after it stops), and which of them run in the background.
final class QueryManager {
    /// The latest start of each view, by lower-cased name.
    private(set) var started: [String: any RunningQuery] = [:]
    /// Views running on threads of their own (START ... IN BACKGROUND).
    private(set) var background: [String: any RunningQuery] = [:]

    deinit { stopAll() }

    func isRunning(_ key: String) -> Bool { background[key] != nil }

    /// Records a started query; in the background, it starts running.
    func add(_ query: any RunningQuery, inBackground: Bool) {
        let key = query.name.lowercased()
        started[key] = query
        if inBackground {
            background[key] = query
            query.startInBackground()
        }
    }

    /// Stops a background query; nil if none runs by that name.
    func stop(_ key: String) -> (any RunningQuery)? {
        guard let query = background.removeValue(forKey: key) else { return nil }
        query.stop()
        return query
    }

    func stopAll() {
        for query in background.values { query.stop() }
        background.removeAll()
    }

    /// SHOW QUERIES' status of a background query.
    static func status(_ query: any RunningQuery) -> String {
        let status = switch query.status {
        case .failed(let why): "failed: \(why)"
        case .finished: "finished"
        case .ready, .running: "running (\(query.outputMode.rawValue), \(query.trigger))"
        }
        return status + (query.checkpoint.map { "; checkpoint \($0)" } ?? "")
    }
}
