#if canImport(Glibc)
import Glibc
#endif

/// A batch in one transaction, logged when there is a checkpoint, retried while the database
/// is locked or unreachable.
extension DatabaseSink {
    /// Creates the batch log if absent and takes this sink's row in it: from now on a batch
    /// is written at most once.
    func attach(_ checkpoint: SinkCheckpoint) throws {
        let key = Self.logKey(identity: checkpoint.identity, table: table)
        do {
            try database.execute("CREATE TABLE IF NOT EXISTS \(database.quoted(table: Self.logTable)) (sink TEXT PRIMARY KEY, batch_id BIGINT)")
        } catch {
            throw SinkError("\(connector.name) sink: cannot create the batch log \(Self.logTable) in \(database.place): \(error.message)",
                            hint: error.hint ?? "exactly-once output keeps each query's last batch id in that table")
        }
        logKey = key
    }

    func write(_ result: ResultBatch) throws { try write(result, stop: { false }) }

    /// Writes the batch in one transaction, retrying from the start (the transaction rolled
    /// back) while the database is locked or unreachable, until ``retryLimit`` or a stop.
    func write(_ result: ResultBatch, stop: () -> Bool) throws {
        // Nothing to add or change; complete mode's empty result does empty the table.
        if result.count == 0 && writes != .replace { return }
        try withoutActuallyEscaping(stop) { stop in
            database.shouldStop = stop
            defer { database.shouldStop = { false } }
            try write(result, retryingUntil: stop)
        }
    }

    private func write(_ result: ResultBatch, retryingUntil stop: () -> Bool) throws {
        let clock = ContinuousClock()
        let deadline = clock.now + retryLimit
        var delay = firstRetryDelay
        while true {
            do throws(DatabaseError) {
                try writeInTransaction(result)
                return
            } catch where error.kind == .unreachable {
                guard clock.now + delay < deadline else {
                    throw SinkError("\(connector.name) sink: batch \(result.batchId) could not be written to \(table) within \(retryLimit): \(error.message)",
                                    hint: (error.hint.map { "\($0); " } ?? "") + "run the query again when the database is back")
                }
                let until = clock.now + delay
                while clock.now < until {
                    if stop() {
                        throw SinkError("\(connector.name) sink: stopped while waiting to write batch \(result.batchId) to \(table): \(error.message)")
                    }
                    usleep(20_000)
                }
                delay = min(delay * 2, Self.longestRetryDelay)
            } catch {
                throw SinkError("\(connector.name) sink: cannot write batch \(result.batchId) to \(table) in \(database.place): \(error.message)",
                                hint: error.hint)
            }
        }
    }

    /// One attempt: everything or nothing of the batch, and the log row with it.
    private func writeInTransaction(_ result: ResultBatch) throws(DatabaseError) {
        try database.beginTransaction()
        do throws(DatabaseError) {
            if let logKey, let logged = try loggedBatch(logKey), logged >= result.batchId {
                // Written before a crash that came before the checkpoint's commit.
                try database.execute("ROLLBACK")
                return
            }
            let batch = Batch(schema: tableSchema, columns: result.columns)
            switch writes {
            case .insert:
                try database.write(batch, into: table, replacingOn: nil)
            case .upsert(let keys):
                try database.write(batch, into: table, replacingOn: keys)
            case .replace, .replaceUnlessEmpty:
                try database.execute("DELETE FROM \(database.quoted(table: table))")
                try database.write(batch, into: table, replacingOn: nil)
            }
            if let logKey {
                let log = database.quoted(table: Self.logTable)
                try database.execute("DELETE FROM \(log) WHERE sink = '\(logKey)'")
                try database.execute("INSERT INTO \(log) (sink, batch_id) VALUES ('\(logKey)', \(result.batchId))")
            }
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
    }

    /// The last batch id this sink logged, if any.
    private func loggedBatch(_ key: String) throws(DatabaseError) -> Int64? {
        let rows = try database.query("SELECT batch_id FROM \(database.quoted(table: Self.logTable)) WHERE sink = '\(key)'")
        guard let text = rows.first?.first ?? nil else { return nil }
        return Int64(text)
    }

    /// The sink's row in the log: the checkpoint's identity and the table, with every
    /// character but letters, digits and `._:-` made `_` (so that the key can be written
    /// into SQL text as a literal without escaping), and a hash of the whole when anything
    /// was changed, so that two tables never share a key.
    static func logKey(identity: String, table: String) -> String {
        let whole = identity + ":" + table
        var key = ""
        var changed = false
        for scalar in whole.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._:-".unicodeScalars.contains(scalar) {
                key.unicodeScalars.append(scalar)
            } else {
                key.unicodeScalars.append("_")
                changed = true
            }
        }
        if changed { key += "-" + String(snapshotChecksum(Array(whole.utf8)[...]), radix: 16) }
        return key
    }
}
