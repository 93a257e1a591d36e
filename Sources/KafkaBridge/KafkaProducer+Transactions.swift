import CRdKafka

/// Kafka transactions: records sent between ``KafkaProducer/beginTransaction()`` and
/// ``KafkaProducer/commitTransaction(timeout:stop:)`` become visible to `read_committed`
/// consumers all together, or (aborted, or cut off by a crash and fenced) never.
///
/// A producer is transactional when its configuration sets `transactional.id`. Call
/// ``KafkaProducer/initTransactions(timeout:stop:)`` once before the first transaction: it
/// registers the id with the transaction coordinator, which fences any earlier producer of
/// the same id and aborts what that one left open. While transactional, records may be sent
/// only inside a transaction.
///
/// librdkafka's transactional calls block for as long as their `timeout_ms`, and a broker
/// that is gone answers none of them. Each call here is therefore made in short slices
/// (librdkafka documents them as resumable after a retriable timeout: the next call picks up
/// the operation running in the background), with `stop` checked between slices, so a
/// Ctrl-C or a STOP is seen within a fraction of a second.
extension KafkaProducer {
    /// How long one slice of a blocking transactional call may take before `stop` is asked
    /// again.
    static let transactionSlice: Duration = .milliseconds(200)

    /// Registers `transactional.id` with the coordinator: fences older producers of that id
    /// and completes (aborts) a transaction one of them left open. Call once, before the first
    /// ``beginTransaction()``; again after a retriable failure (it resumes).
    public func initTransactions(timeout: Duration = .seconds(30), stop: () -> Bool = { false }) throws(KafkaError) {
        try requireTransactional("initialising transactions")
        try sliced("initialising transactions for transactional.id '\(transactionalID ?? "")'", timeout: timeout, stop: stop) {
            rd_kafka_init_transactions(handle.pointer, $0)
        }
    }

    /// Starts a transaction: records sent from now on belong to it. Does not wait for the
    /// broker (the coordinator learns of the transaction with its first record).
    public func beginTransaction() throws(KafkaError) {
        try requireTransactional("beginning a transaction")
        if let error = rd_kafka_begin_transaction(handle.pointer) {
            throw KafkaError(transaction: error, context: "beginning a transaction for transactional.id '\(transactionalID ?? "")'")
        }
    }

    /// Waits until every record of the transaction is acknowledged, then commits it.
    ///
    /// The wait for acknowledgements serves delivery reports (librdkafka's own flush inside
    /// `rd_kafka_commit_transaction` would not serve them, since this producer takes them as
    /// events). On success the transaction's records are visible to `read_committed`
    /// consumers. Errors:
    /// - ``KafkaError/requiresAbort``: a record failed or the transaction timed out on the
    ///   broker; call ``abortTransaction(timeout:stop:)``, then send the records again;
    /// - ``KafkaError/isFatal``: the producer was fenced (a newer one of the same
    ///   `transactional.id` started) or failed; make a new producer;
    /// - `timedOut` or `interrupted` (a stop): the commit may still complete in the
    ///   background; calling this again resumes it, and a new producer's
    ///   ``initTransactions(timeout:stop:)`` settles it either way.
    public func commitTransaction(timeout: Duration = .seconds(30), stop: () -> Bool = { false }) throws(KafkaError) {
        try requireTransactional("committing a transaction")
        let context = "committing the transaction of transactional.id '\(transactionalID ?? "")'"
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while inFlight > 0 {
            if stop() { throw .interrupted("stopped while \(inFlight) records of the transaction were not yet acknowledged", context: context) }
            guard clock.now < deadline else {
                throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT,
                                 message: "\(inFlight) records of the transaction were not acknowledged within \(timeout)",
                                 context: context)
            }
            poll(timeout: min(deadline - clock.now, .milliseconds(50)))
        }
        try sliced(context, timeout: max(deadline - clock.now, .milliseconds(1)), stop: stop) {
            rd_kafka_commit_transaction(handle.pointer, $0)
        }
    }

    /// Aborts the current transaction: records not yet sent are dropped (each reported as
    /// failed), and those the broker has are marked aborted, so `read_committed` consumers
    /// skip them. Also the way out of a ``KafkaError/requiresAbort`` error.
    public func abortTransaction(timeout: Duration = .seconds(30), stop: () -> Bool = { false }) throws(KafkaError) {
        try requireTransactional("aborting a transaction")
        // librdkafka purges the queue itself, but waits for the purged records' reports to be
        // served, which with event delivery only a poll does: purge and serve them first.
        purge()
        try sliced("aborting the transaction of transactional.id '\(transactionalID ?? "")'", timeout: timeout, stop: stop) {
            rd_kafka_abort_transaction(handle.pointer, $0)
        }
    }

    // MARK: - Internals

    private func requireTransactional(_ what: String) throws(KafkaError) {
        guard transactionalID != nil else {
            throw KafkaError(RD_KAFKA_RESP_ERR__NOT_CONFIGURED,
                             message: "the producer has no transactional.id; set one (-X transactional.id=NAME) to use transactions",
                             context: what)
        }
    }

    /// Calls `call` with a timeout of at most one slice until it succeeds, fails for good,
    /// `timeout` passes or `stop` says so. Delivery reports and errors are served between
    /// slices.
    private func sliced(_ context: String, timeout: Duration, stop: () -> Bool,
                        _ call: (Int32) -> OpaquePointer?) throws(KafkaError) {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let slice = max(.milliseconds(1), min(deadline - clock.now, Self.transactionSlice))
            let outcome = call(milliseconds(slice))
            poll()
            guard let outcome else { return }
            let error = KafkaError(transaction: outcome, context: context)
            guard error.isRetriable, !error.isFatal, !error.requiresAbort else { throw error }
            if stop() { throw .interrupted("stopped before the broker answered (last: \(error.message))", context: context) }
            guard clock.now < deadline else {
                throw KafkaError(code: error.code, name: error.name,
                                 message: "no answer from the transaction coordinator within \(timeout) (last: \(error.message)); "
                                     + "check that the brokers are up, or call again to resume",
                                 isRetriable: true, context: context)
            }
        }
    }
}

extension KafkaError {
    /// Takes ownership of a librdkafka error object from a transactional call and destroys it,
    /// keeping librdkafka's verdict on what may follow: retry, abort, or a new producer. The
    /// message says which, since that is what the reader must do next.
    init(transaction error: OpaquePointer, context: String) {
        let requiresAbort = rd_kafka_error_txn_requires_abort(error) != 0
        let fatal = rd_kafka_error_is_fatal(error) != 0
        let code = rd_kafka_error_code(error)
        self.init(consuming: error, context: context)
        self.requiresAbort = requiresAbort
        let advice: String? =
            if fatal && (code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED
                         || code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
                "another producer with the same transactional.id has started and fenced this one; this producer cannot be used any more"
            } else if fatal {
                "the producer failed for good; make a new one"
            } else if requiresAbort {
                "the transaction must be aborted, then its records sent again"
            } else {
                nil
            }
        if let advice {
            self = KafkaError(code: self.code, name: name, message: "\(message): \(advice)", isRetriable: isRetriable,
                              isFatal: isFatal, context: context)
            self.requiresAbort = requiresAbort
        }
    }

    /// A blocking call the caller stopped waiting for (`_INTR`).
    static func interrupted(_ message: String, context: String) -> KafkaError {
        KafkaError(RD_KAFKA_RESP_ERR__INTR, message: message, context: context)
    }
}

extension KafkaError.Code {
    /// A call given up because its caller's stop check said so.
    public static let interrupted = RD_KAFKA_RESP_ERR__INTR.rawValue
    /// Transactions asked of a producer without `transactional.id`.
    public static let notConfigured = RD_KAFKA_RESP_ERR__NOT_CONFIGURED.rawValue
    /// A newer producer of the same `transactional.id` took over (client-side code).
    public static let fenced = RD_KAFKA_RESP_ERR__FENCED.rawValue
}
