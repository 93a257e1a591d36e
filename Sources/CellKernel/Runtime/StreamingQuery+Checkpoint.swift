import Foundation

/// Checkpoints: a query started with a location resumes there after a crash with its state,
/// runs the batch the crash cut short again with the same offsets, and tells its sinks to
/// write idempotently by batch id (see ``QueryCheckpoint`` for the protocol).
extension StreamingQuery {
    /// What ``attachCheckpoint(at:)`` found.
    struct Resumption: Sendable, Equatable {
        /// The batch the query runs next.
        var nextBatch: Int64
        /// Batches it runs again with their logged offsets (the one a crash cut short, or
        /// more when damaged state made recovery fall back).
        var rerun: [Int64]
        /// What recovery had to fall back over, for the user.
        var fallback: String?
    }

    /// Opens the checkpoint location `path` (creating it), checks that it belongs to this
    /// query, restores the state of the last committed batch, and plans the batches to run
    /// again. Returns nil for a new location. Call before the first batch.
    ///
    /// Throws ``CheckpointError`` when the location is in use, belongs to a different query
    /// (another view, other aggregations, other sources), or no committed state can be read.
    @discardableResult
    func attachCheckpoint(at path: String) throws -> Resumption? {
        let location = try CheckpointLocation(path: path)
        let signatures = statefulOperators.map(\.stateSignature)
        let metadata: CheckpointMetadata
        if let bytes = try location.read(location.metadataFile) {
            do { metadata = try CheckpointMetadata(bytes: bytes) } catch {
                throw CheckpointError("the checkpoint metadata \(location.metadataFile) cannot be read: \(error)",
                                      hint: CheckpointError.startOver(path))
            }
            try Self.check(metadata, against: signatures, sources: sources.map(Self.identity), view: view, path: path)
        } else {
            metadata = CheckpointMetadata(id: UUID().uuidString.lowercased(), view: view, stateSignatures: signatures,
                                          sources: sources.map(Self.identity))
            try location.write(metadata.bytes, to: location.metadataFile)
        }
        let checkpoint = QueryCheckpoint(location: location, metadata: metadata, environment: ProcessInfo.processInfo.environment)
        let resumption = try recover(checkpoint)
        for (index, sink) in sinks.enumerated() where index > 0 {
            try sink.attach(SinkCheckpoint(folder: try location.sinkFolder(index: index, name: String(describing: type(of: sink))),
                                           identity: "\(metadata.id)-\(index)", lastCommitted: nextBatchId > 0 ? nextBatchId - 1 : nil))
        }
        self.checkpoint = checkpoint
        return resumption
    }

    /// The checks Spark makes of a changed query: the state must mean the same (same
    /// aggregations, keys and windows, in the same operators) and come from the same
    /// streams: the same files, the same topics (or more, when a pattern matched a new one).
    /// A filter or projection over the stream, the sink, its path and the trigger may change.
    static func check(_ metadata: CheckpointMetadata, against signatures: [String], sources: [String], view: String, path: String) throws {
        let what = "delete \(path) to start over (its sinks then see every batch from the start again), or give the query a new checkpointLocation"
        if metadata.stateSignatures != signatures {
            func describe(_ signatures: [String]) -> String { signatures.isEmpty ? "no state" : signatures.joined(separator: "; ") }
            throw CheckpointError("the checkpoint \(path) holds the state of \(describe(metadata.stateSignatures)); \(view) now keeps \(describe(signatures)), which cannot resume from it",
                                  hint: what)
        }
        let same = metadata.sources.count == sources.count && zip(metadata.sources, sources).allSatisfy { old, new in
            old == new || Self.topics(old).map { oldTopics in Self.topics(new).map { oldTopics.isSubset(of: $0) } ?? false } ?? false
        }
        if !same {
            throw CheckpointError("the checkpoint \(path) was written by a query over \(metadata.sources.joined(separator: " and ")); \(view) now reads \(sources.joined(separator: " and "))",
                                  hint: what)
        }
    }

    /// What a checkpoint remembers of a source: its files, or its Kafka topics (not its
    /// broker's address or partition count, which may change under the same stream).
    static func identity(of source: StreamSource) -> String {
        source.isKafka ? "kafka topics " + source.topics.joined(separator: ",") : source.summary
    }

    private static func topics(_ identity: String) -> Set<Substring>? {
        guard identity.hasPrefix("kafka topics ") else { return nil }
        return Set(identity.dropFirst("kafka topics ".count).split(separator: ","))
    }

    /// Restores the newest committed state that can be read and plans the batches to run again.
    private func recover(_ checkpoint: QueryCheckpoint) throws -> Resumption? {
        let location = checkpoint.location
        // A commit record is renamed into place whole; one that does not read (damaged on
        // disk) counts as absent, so its batch runs again.
        var committed: Int64?
        for batch in location.batches(in: "commits").reversed() {
            if let bytes = try location.read(location.commitFile(batch)), (try? CommitEntry(bytes: bytes))?.batchId == batch {
                committed = batch
                break
            }
        }
        let logged = Set(location.batches(in: "offsets"))
        guard committed != nil || !logged.isEmpty else { return nil }

        var restored: Int64?
        var fallback: String?
        if let committed {
            (restored, fallback) = try restoreState(upTo: committed, location)
        }
        // Batches after the restored state that were logged run again, in order, each with
        // its logged offsets: committed ones (after a fallback) and the one a crash cut short.
        var rerun: [OffsetsEntry] = []
        var batch = (restored ?? -1) + 1
        while logged.contains(batch) {
            let file = location.offsetsFile(batch)
            guard let bytes = try location.read(file), let entry = try? OffsetsEntry(bytes: bytes), entry.batchId == batch else {
                // Only the newest entry can be cut short by a crash (it is renamed into place,
                // so only damage on disk does that): its batch then starts afresh.
                if batch > (committed ?? -1) { break }
                throw CheckpointError("the offsets log entry \(file) of committed batch \(batch) cannot be read, and the state after it is lost",
                                      hint: CheckpointError.startOver(location.path))
            }
            rerun.append(entry)
            batch += 1
        }
        if let committed, batch <= committed {
            throw CheckpointError("the offsets log of \(location.path) ends at batch \(batch - 1), before its last commit (\(committed)); batches \(batch)...\(committed) cannot be run again",
                                  hint: CheckpointError.startOver(location.path))
        }
        checkpoint.lastCommitted = committed
        checkpoint.replay = rerun
        nextBatchId = (restored ?? -1) + 1
        if let first = rerun.first {
            let split = Self.split(first.start, count: sources.count)
            for (source, offsets) in zip(sources, split) { try source.resume(from: offsets) }
            watermark = first.watermark
        }
        if restored != nil, outputMode != .append, !statefulOperators.isEmpty { try rebuildResultTable() }
        return Resumption(nextBatch: nextBatchId, rerun: rerun.map(\.batchId), fallback: fallback)
    }

    /// Restores the state after `committed` from its newest full file and the deltas after
    /// it; falls back to an earlier batch when a file is damaged. Returns the batch restored.
    private func restoreState(upTo committed: Int64, _ location: CheckpointLocation) throws -> (Int64, String?) {
        let files = location.stateFiles()
        let fulls = files.filter { $0.full && $0.batch <= committed }.map(\.batch).reversed()
        let deltas = Set(files.filter { !$0.full }.map(\.batch))
        var problems: [String] = []
        let fresh = statefulOperators.map(\.stateBytes)
        for full in fulls {
            // Every file of the chain is read and checked before any is applied.
            var chain: [StateSnapshot] = []
            var reached = full - 1
            for batch in full...committed {
                let file = location.stateFile(batch, full: batch == full)
                guard batch == full || deltas.contains(batch) else { problems.append("neither \(location.stateFile(batch, full: false)) nor \(location.stateFile(batch, full: true)) exists"); break }
                do {
                    guard let bytes = try location.read(file) else { problems.append("\(file) is missing"); break }
                    chain.append(try StateSnapshot(bytes: bytes))
                    reached = batch
                } catch {
                    problems.append("\(file): \(error)")
                    break
                }
            }
            guard reached >= full else { continue }
            do {
                try restore(from: chain[0])
                for delta in chain.dropFirst() { try apply(delta) }
            } catch let error as SnapshotError {
                if case .incompatible = error { throw CheckpointError("the state in \(location.path) does not fit \(view): \(error)", hint: CheckpointError.startOver(location.path)) }
                problems.append("state after batch \(full): \(error)")
                for (op, bytes) in zip(statefulOperators, fresh) { try? op.restoreState(bytes) }
                continue
            }
            for op in statefulOperators { op.markCheckpointed() }
            return (reached, problems.isEmpty ? nil : problems.joined(separator: "; "))
        }
        throw CheckpointError("no state of \(location.path) up to its last committed batch \(committed) can be read: \(problems.joined(separator: "; "))",
                              hint: CheckpointError.startOver(location.path))
    }

    /// Applies one incremental state file over the state after the batch before it.
    func apply(_ delta: StateSnapshot) throws {
        let operators = statefulOperators
        guard operators.count == delta.operatorStates.count else {
            throw SnapshotError.incompatible("the delta has \(delta.operatorStates.count) stateful operators; this query has \(operators.count)")
        }
        for (op, saved) in zip(operators, delta.operatorStates) {
            guard op.stateSignature == saved.signature else { throw SnapshotError.incompatible("the delta has \(saved.signature); this query has \(op.stateSignature)") }
            try op.applyStateDelta(saved.bytes)
        }
        let split = Self.split(delta.offsets, count: sources.count)
        for (source, offsets) in zip(sources, split) { try source.resume(from: offsets) }
        restoreClock(from: delta)
    }

    /// Hands the state after the batch that just ran to the checkpoint's writer: a delta
    /// when every stateful operator keeps one and a full file is not due. What the writer
    /// encodes are values taken here, on the query's thread, so the next batch cannot change
    /// them.
    func saveState(_ checkpoint: QueryCheckpoint, batch: Int64) {
        let snapshot = snapshot(withOperatorStates: false)
        var deltas: [[UInt8]]?
        if !checkpoint.fullIsDue(batch), !statefulOperators.contains(where: { ($0.changedShare ?? 0) > 0.5 }) {
            let taken = statefulOperators.map(\.stateDelta)
            if taken.allSatisfy({ $0 != nil }) { deltas = taken.map { $0! } }
        }
        let full = deltas == nil
        let signatures = statefulOperators.map(\.stateSignature)
        let encodings: [@Sendable () -> [UInt8]]
        if let deltas {
            encodings = deltas.map { bytes in { bytes } }
        } else {
            encodings = statefulOperators.map(\.stateEncoding)
        }
        checkpoint.write({
            var snapshot = snapshot
            snapshot.operatorStates = zip(signatures, encodings).map { .init(signature: $0, bytes: $1()) }
            return snapshot.bytes
        }, to: checkpoint.location.stateFile(batch, full: full), phase: "state", batch: batch)
        for op in statefulOperators { op.markCheckpointed() }
        if full {
            checkpoint.previousFull = checkpoint.lastFull
            checkpoint.lastFull = batch
        }
    }

    /// Hands the commit record of `batch` to the checkpoint's writer.
    func commit(_ checkpoint: QueryCheckpoint, batch: Int64) {
        checkpoint.writeCommit(batch, timestamp: Self.wallClockMicros())
        if checkpoint.replay.first?.batchId == batch { checkpoint.replay.removeFirst() }
    }

    /// Waits for the checkpoint's files, then lets go of what no recovery can need any
    /// more: once a full state file is committed, the files before the full one before it
    /// (what recovery falls back to when the newest is damaged).
    func settle(_ checkpoint: QueryCheckpoint) throws {
        for batch in try checkpoint.waitUntilWritten() {
            guard batch == checkpoint.lastFull, let keep = checkpoint.previousFull else { continue }
            checkpoint.location.prune(before: keep)
            for sink in sinks { sink.committed(keep) }
        }
    }

    /// After a restart in complete or update mode, the result table holds what the state
    /// holds (Spark's memory sink recreates the table in complete mode): the operators
    /// emit every group, as complete mode does, without a new row or a change of state.
    private func rebuildResultTable() throws {
        // At watermark 0 no window closes: emitting must not evict what the next batch would.
        var context = BatchContext(mode: .complete, watermark: 0)
        for scan in scans { scan.beginBatch() }
        let result = try root.next(&context)
        try memory.write(ResultBatch(batchId: nextBatchId - 1, schema: plan.schema, columns: result.columns, mode: .complete, keyColumns: []))
    }
}
