extension StreamingQuery {
    /// Stops the query when its state is over its limit; called after each batch is merged
    /// in. The estimate costs a pass over the aggregate states' arrays, not over rows.
    func checkStateMemory() throws(StateMemoryExceeded) {
        let operators = statefulOperators
        guard !operators.isEmpty else { return }
        let estimate = operators.reduce(0) { $0 + $1.estimatedStateBytes }
        if estimate > stateMemoryLimit.bytes {
            throw StateMemoryExceeded(view: view, groups: operators.reduce(0) { $0 + $1.stateRows }, estimatedBytes: estimate,
                                      limit: stateMemoryLimit.bytes)
        }
    }
}
