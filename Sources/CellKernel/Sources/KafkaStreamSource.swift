import Foundation
import KafkaBridge
import Logging

/// Spark's Kafka source over KafkaBridge: partitions assigned directly (no consumer group,
/// no rebalances), offsets chosen by the query, each micro-batch reading from where the last
/// ended up to the end offsets fixed when it starts.
///
/// Options, with Spark's names and meanings: `kafka.bootstrap.servers` (required), exactly one
/// of `subscribe` (comma-separated topics), `subscribePattern` (a regular expression) or
/// `assign` (JSON `{"topic":[0,1]}`); `startingOffsets` (`earliest`, `latest`, or JSON
/// `{"topic":{"0":23,"1":-2}}` with -2 earliest and -1 latest); `maxOffsetsPerTrigger`;
/// `failOnDataLoss` (default true); any other `kafka.*` option goes to librdkafka without
/// its prefix. cells adds `connectTimeoutMs` (default 10000): how long to wait for the broker
/// when connecting, and `kafkaConsumer.pollTimeoutMs` (default 120000) as Spark has it.
public final class KafkaStreamSource: StreamSource {
    public let topics: [String]
    public let isKafka = true
    public let summary: String
    private let consumer: KafkaConsumer
    /// A connection of its own for offset questions: on the consumer's, each would queue
    /// behind a fetch in flight.
    private let offsetClient: KafkaAdmin
    private let partitions: [KafkaTopicPartition]
    private let topicIndex: [String: Int]
    private var next: [KafkaTopicPartition: Int64] = [:]
    private let starting: StartingOffsets
    private var needsSeek: [KafkaTopicPartition: Int64] = [:]
    /// Set by resuming: the partitions are assigned at `next` once, when the next batch is
    /// read. Recovery resumes several times in a row (a full state, its deltas, a batch to
    /// run again), and librdkafka 2.0.2 can fail an assertion on back-to-back assigns.
    private var needsAssign = false
    private let maxOffsetsPerTrigger: Int64?
    private let failOnDataLoss: Bool
    private let pollTimeout: Duration
    private let metadataTimeout: Duration
    /// `kafka.bootstrap.servers`, for messages.
    private let bootstrap: String
    /// A watermark query a wait gave up on, still running: the next wait takes it up again
    /// rather than start another behind a broker that does not answer.
    private var pendingQuery: (partitions: [KafkaTopicPartition], call: BackgroundCall<[KafkaWatermarks]>)?
    /// Where the next batch must end (``endNextBatch(at:)``); nil: where the broker's data and
    /// maxOffsetsPerTrigger say.
    private var replayEnd: [KafkaTopicPartition: Int64]?
    /// When the brokers stopped answering, once the user has been told.
    private var outageReportedAt: ContinuousClock.Instant?

    /// The consumer's queue budget unless `kafka.queued.max.messages.kbytes` says otherwise:
    /// 128 MiB of fetched messages ahead of the decoders.
    static let defaultQueueKilobytes = 131_072

    public init(options: [String: String], logger: Logger = Logger(label: "cells.source.kafka")) throws {
        let parsed = try KafkaSourceOptions(options)
        let bootstrap = parsed.bootstrap
        self.bootstrap = bootstrap
        var configuration = parsed.configuration
        metadataTimeout = parsed.metadataTimeout
        pollTimeout = parsed.pollTimeout
        maxOffsetsPerTrigger = parsed.maxOffsetsPerTrigger
        failOnDataLoss = parsed.failOnDataLoss
        // The offset client takes the user's settings, not the consumer-only ones added below
        // (librdkafka warns about those on a client that is not a consumer).
        let offsetConfiguration = configuration
        configuration["enable.partition.eof"] = "true"
        // A micro-batch reads up to offsets it fixed when it began, so a broker holding a
        // fetch open for more data (librdkafka's default: up to 500 ms) only delays it.
        if configuration["fetch.wait.max.ms"] == nil { configuration["fetch.wait.max.ms"] = "10" }
        // librdkafka stops fetching once its queue holds 100,000 messages or
        // queued.max.messages.kbytes, whichever comes first; the count came first (100k small
        // messages are ~30 MB) and left the decoding threads idle half the time. The count is
        // lifted to librdkafka's maximum, so the queue is bounded by its memory budget alone.
        if configuration["queued.min.messages"] == nil { configuration["queued.min.messages"] = "10000000" }
        if configuration["queued.max.messages.kbytes"] == nil {
            configuration["queued.max.messages.kbytes"] = String(Self.defaultQueueKilobytes)
        }
        do {
            consumer = try KafkaConsumer(configuration: configuration, logger: logger)
            offsetClient = try KafkaAdmin(configuration: offsetConfiguration, logger: logger)
        } catch {
            throw SourceError("cannot configure the Kafka consumer: \(error)", hint: "check the kafka.* options")
        }

        let metadata: KafkaClusterMetadata
        do {
            metadata = try consumer.metadata(timeout: metadataTimeout)
        } catch {
            throw SourceError("cannot reach Kafka at \(bootstrap): \(error.message)",
                              hint: "start a broker (`cells broker`), fix 'kafka.bootstrap.servers', or set KAFKA_BOOTSTRAP")
        }
        // A topic or partition named twice ('a,a', {"t":[0,0]}) is read once, as Kafka's own
        // subscribe and assign take sets: twice, its records would count double and its
        // offsets would key a dictionary twice.
        var seen: Set<KafkaTopicPartition> = []
        partitions = try Self.resolvePartitions(parsed.subscription, metadata: metadata, bootstrap: bootstrap)
            .filter { seen.insert($0).inserted }
        topics = Array(Set(partitions.map(\.topic))).sorted()
        topicIndex = Dictionary(uniqueKeysWithValues: topics.enumerated().map { ($1, $0) })
        starting = parsed.startingOffsets
        try starting.check(against: partitions)
        let resolved = partitions
        let topicList = topics.map { topic in "\(topic) (\(resolved.filter { $0.topic == topic }.count) partitions)" }
        summary = "kafka \(topicList.joined(separator: ", ")) at \(bootstrap)"
    }

    deinit { consumer.close() }

    public func close() { consumer.close() }

    public var offsets: SourceOffsets {
        SourceOffsets(Dictionary(uniqueKeysWithValues: next.map { ($0.key.description, $0.value) }))
    }

    /// Seeks each partition the snapshot names to its offset; the others start from
    /// startingOffsets. A partition this source does not read means the snapshot is of
    /// another subscription.
    public func resume(from offsets: SourceOffsets) throws {
        let byName = Dictionary(uniqueKeysWithValues: partitions.map { ($0.description, $0) })
        if let unknown = offsets.next.keys.sorted().first(where: { byName[$0] == nil }) {
            throw SourceError("cannot resume at \(unknown): this source reads \(partitions.map(\.description).joined(separator: ", "))",
                              hint: "the snapshot was taken from a query over other topics or partitions")
        }
        if next.isEmpty { try start(giveUpAfter: metadataTimeout, resuming: true) }
        for (name, offset) in offsets.next { next[byName[name]!] = offset }
        // Assigning again (rather than seeking) works whether or not fetching has begun.
        needsSeek.removeAll()
        needsAssign = true
    }

    public func endNextBatch(at offsets: SourceOffsets) throws {
        let byName = Dictionary(uniqueKeysWithValues: partitions.map { ($0.description, $0) })
        if let unknown = offsets.next.keys.sorted().first(where: { byName[$0] == nil }) {
            throw SourceError("cannot run a batch again up to \(unknown): this source reads \(partitions.map(\.description).joined(separator: ", "))",
                              hint: "the checkpoint was written by a query over other topics or partitions")
        }
        replayEnd = Dictionary(uniqueKeysWithValues: offsets.next.map { (byName[$0.key]!, $0.value) })
    }

    /// Turns startingOffsets into exact offsets and assigns the partitions from there.
    private func start(stop: () -> Bool = { false }, notice: (String) -> Void = { _ in },
                       giveUpAfter: Duration? = nil, resuming: Bool = false) throws {
        let marks = try queryWatermarks(partitions, stop: stop, notice: notice, giveUpAfter: giveUpAfter)
        for tp in partitions {
            switch starting.offset(for: tp) {
            case -2: next[tp] = marks[tp]!.low
            case -1: next[tp] = marks[tp]!.high
            case let exact:
                // An offset past the end would wait, silently and with no lag shown, until the
                // partition grew that far (forever for Int64.max). A snapshot's offsets replace
                // these when resuming, so only a fresh start is held to them.
                if exact > marks[tp]!.high && !resuming {
                    next.removeAll()
                    throw SourceError("'startingOffsets' gives \(tp) the offset \(exact), past its end (\(marks[tp]!.high))",
                                      hint: "use an offset from \(marks[tp]!.low) to \(marks[tp]!.high), -2 (earliest) or -1 (latest)",
                                      option: "startingOffsets")
                }
                next[tp] = exact
            }
        }
        if resuming {
            needsAssign = true
        } else {
            try consumer.assign(partitions.map { ($0, .exact(next[$0]!)) })
        }
    }

    public func readBatch(stop: () -> Bool, notice: (String) -> Void, _ body: (SourceRecord) throws -> Void) throws -> SourceBatch? {
        try read(stop: stop, notice: notice, decoders: nil, body)
    }

    /// With one lane, as ``readBatch(stop:notice:_:)``. With more, this thread still polls and
    /// keeps all the bookkeeping (offsets, gaps, ends, outages, the deadline), but moves the
    /// messages it takes, in chunks, into a bounded queue that threads of lanes 1... decode
    /// from; when they all have enough queued, it decodes the chunk into lane 0 itself. So
    /// decoding overlaps polling, memory stays bounded by the queue, and no more threads
    /// than lanes do work. A batch of a few thousand records or less is read as with one lane.
    public func readBatch(lanes: [any RecordLane], stop: () -> Bool, notice: (String) -> Void) throws -> SourceBatch? {
        let first = try Self.firstLane(lanes)
        let topics = topics
        let decoders = lanes.count > 1 ? LaneDecoders(lanes: lanes, topics: topics) : nil
        defer { decoders?.end() }
        return try read(stop: stop, notice: notice, decoders: decoders) { record in try first.add(record, topics: topics) }
    }

    /// Reads a batch into `body`, or with `decoders` into their lanes (`body` then feeds lane
    /// 0 only when the batch is too small to share).
    private func read(stop: () -> Bool, notice: (String) -> Void, decoders: LaneDecoders?,
                      _ body: (SourceRecord) throws -> Void) throws -> SourceBatch? {
        if next.isEmpty { try start(stop: stop, notice: notice) }
        // End offsets are fixed now: records arriving while the batch is read belong to the next.
        // The high watermark from the last fetch response is trusted when it shows records to
        // read (a busy stream then costs no round trip per partition); when it shows none, it
        // may be a fetch behind, so the broker is asked (on a thread of its own, which a stop
        // or an outage does not wait for): what is there now must be read.
        var high: [KafkaTopicPartition: Int64] = [:]
        var ask: [KafkaTopicPartition] = []
        for tp in partitions {
            if let cached = consumer.cachedWatermarks(topic: tp.topic, partition: tp.partition), cached.high > next[tp]! {
                high[tp] = cached.high
            } else {
                ask.append(tp)
            }
        }
        if !ask.isEmpty {
            for (tp, marks) in try queryWatermarks(ask, stop: stop, notice: notice) { high[tp] = marks.high }
        }
        var lost: Int64 = 0
        // A batch run again after a crash reads exactly what it read the first time.
        let end = replayEnd.map { bound in
            partitions.reduce(into: [KafkaTopicPartition: Int64]()) { $0[$1] = max(next[$1]!, min(bound[$1] ?? next[$1]!, high[$1]!)) }
        } ?? endOffsets(high: high)
        let start = next
        guard partitions.contains(where: { end[$0]! > next[$0]! }) else { replayEnd = nil; return nil }
        if needsAssign {
            try consumer.assign(partitions.map { ($0, .exact(next[$0]!)) })
            needsAssign = false
            needsSeek.removeAll()
        }
        if !needsSeek.isEmpty {
            do {
                try consumer.seek(needsSeek)
            } catch {
                // A partition in an error state (an offset that was out of range) takes no
                // seek; assigning again resets them all.
                try consumer.assign(partitions.map { ($0, .exact(needsSeek[$0] ?? next[$0]!)) })
            }
            needsSeek.removeAll()
        }
        // However the batch fails (a stop, a lane's error, the broker's), it is taken back
        // whole: the consumer may have fetched past its start, so it reads from there again.
        var completed = false
        defer { if !completed { abandon(from: partitions.map { start[$0]! }) } }

        // Per-message bookkeeping works on array slots found by (topic identity, partition):
        // no strings and no hashing of names on the hot path.
        var slotOf: [PartitionKey: Int] = [:]
        var topicOf: [UInt: Int] = [:]
        var slotNext = partitions.map { next[$0]! }
        let slotEnd = partitions.map { end[$0]! }
        var pendingCount = partitions.indices.filter { slotEnd[$0] > slotNext[$0] }.count
        var pendingSlot = partitions.indices.map { slotEnd[$0] > slotNext[$0] }
        func slot(identity: UInt, partition: Int32, topic: () -> String) -> Int? {
            if let known = slotOf[PartitionKey(identity: identity, partition: partition)] { return known }
            let name = topic()
            guard let index = partitions.firstIndex(where: { $0.topic == name && $0.partition == partition }) else { return nil }
            slotOf[PartitionKey(identity: identity, partition: partition)] = index
            topicOf[identity] = topicIndex[name]
            return index
        }
        func finish(_ index: Int) {
            if pendingSlot[index] { pendingSlot[index] = false; pendingCount -= 1 }
        }
        var records = 0
        let clock = ContinuousClock()
        var lastProgress = clock.now
        /// Records below a partition's log start were deleted (retention, delete-records)
        /// before this query read them. Only a partition that has gone quiet is checked: the
        /// consumer may hold records fetched before the deletion, which are still good.
        func skipDeleted(lowWatermarks low: (KafkaTopicPartition) -> Int64?) throws -> Bool {
            var skipped: Set<KafkaTopicPartition> = []
            for (index, tp) in partitions.enumerated() where pendingSlot[index] {
                guard let start = low(tp), start > slotNext[index] else { continue }
                let upTo = min(start, slotEnd[index])
                try dataLoss(tp, from: slotNext[index], to: upTo)
                lost += upTo - slotNext[index]
                slotNext[index] = upTo
                skipped.insert(tp)
                if upTo >= slotEnd[index] { finish(index) }
            }
            if !skipped.isEmpty {
                // Assigned again rather than sought: after an offset error the partition is in
                // a state librdkafka refuses seeks in.
                try consumer.assign(partitions.indices.map { (partitions[$0], .exact(slotNext[$0])) })
                needsSeek.removeAll()
            }
            return !skipped.isEmpty
        }
        // The partition of the message before: a fetch brings runs of one partition's
        // messages, and two dictionary lookups per message were a tenth of its cost.
        var last = (identity: UInt.max, partition: Int32.min, slot: 0, topic: 0)
        /// Where `message` goes: its partition's slot and its topic's index, or nil when it is
        /// not this batch's (fetched ahead of the end, or before the start).
        func admit(_ message: KafkaMessage) throws -> (slot: Int, topic: Int)? {
            let identity = message.topicIdentity
            let partition = message.partition
            let index: Int, topic: Int
            if identity == last.identity && partition == last.partition {
                (index, topic) = (last.slot, last.topic)
            } else {
                guard let found = slot(identity: identity, partition: partition, topic: { message.topic }) else { return nil }
                (index, topic) = (found, topicOf[identity]!)
                last = (identity, partition, index, topic)
            }
            let offset = message.offset
            let expected = slotNext[index]
            guard offset < slotEnd[index] else {
                // Fetched ahead of this batch's end: read again from `end` next time.
                needsSeek[partitions[index]] = slotEnd[index]
                finish(index)
                return nil
            }
            guard offset >= expected else { return nil }
            if offset > expected {
                try dataLoss(partitions[index], from: expected, to: offset)
                lost += offset - expected
            }
            return (index, topic)
        }
        func advance(_ index: Int, past offset: Int64) {
            records += 1
            slotNext[index] = offset + 1
            if offset + 1 >= slotEnd[index] { finish(index) }
        }
        // A batch of one chunk or less is decoded here, as with one lane: starting a thread
        // for it would cost more than it saves (a trickling stream has many such batches).
        let due = partitions.indices.reduce(Int64(0)) { $0 + (slotEnd[$1] - slotNext[$1]) }
        let decoders = due > Int64(LaneDecoders.chunkRecords) ? decoders : nil
        var chunk = decoders.map { _ in KafkaMessageChunk(capacity: LaneDecoders.chunkRecords) }
        var brokerTrouble: KafkaError?
        /// Whether the brokers were found away while this batch waited.
        var wasAway = false
        while pendingCount > 0 {
            var outcome = KafkaPollOutcome()
            do {
                if let decoders, let kept = chunk {
                    let asked = kept.remaining
                    outcome = try consumer.poll(maxRecords: asked, timeout: .milliseconds(100), keepingIn: kept) { message in
                        guard let (index, topic) = try admit(message) else { return .release }
                        advance(index, past: message.offset)
                        return .keep(tag: topic)
                    }
                    // Handed on when full, when the consumer had no more ready (the lanes
                    // should not wait for the next fetch) or when the batch is complete.
                    if !kept.isEmpty && (kept.remaining == 0 || outcome.records < asked || pendingCount == 0) {
                        decoders.send(kept)
                        chunk = KafkaMessageChunk(capacity: LaneDecoders.chunkRecords)
                    }
                } else {
                    outcome = try consumer.poll(maxRecords: 10_000, timeout: .milliseconds(100)) { message in
                        guard let (index, topic) = try admit(message) else { return }
                        try body(SourceRecord(message, topicIndex: topic))
                        advance(index, past: message.offset)
                    }
                }
            } catch let error as KafkaError where error.code == KafkaError.Code.offsetOutOfRange
                                                || error.code == KafkaError.Code.autoOffsetReset {
                // The offset asked for is not on the broker (auto.offset.reset=error): below
                // the log start, it was deleted before it was read.
                let marks = try queryWatermarks(partitions, stop: stop, notice: notice)
                guard try skipDeleted(lowWatermarks: { marks[$0]?.low }) else { throw error }
            } catch let error as KafkaError where error.code == KafkaError.Code.unknownPartition {
                // Newer librdkafka reports a partition whose leader is away this way, where
                // 2.0.2 waits: it is the same outage. The records after the error in that
                // poll were dropped, so every partition reads again from where it is.
                brokerTrouble = error
                try consumer.assign(partitions.indices.map { (partitions[$0], .exact(slotNext[$0])) })
                needsSeek.removeAll()
            }
            if stop() { throw StreamInterrupted() }
            try decoders?.check(stop: stop)
            if outcome.records > 0 {
                lastProgress = clock.now
                brokerTrouble = nil
                wasAway = false
                brokerAnswered(notice)
            }
            if let warning = outcome.warnings.last { brokerTrouble = warning }
            for tp in outcome.reachedEnd {
                // The broker says there is nothing more up to its high watermark: whatever is
                // missing below it (transaction markers, compacted records) will not come.
                // An end reached below this batch's end is an old event, queued before the
                // records this batch waits for were written: they are still to come.
                guard let index = partitions.firstIndex(of: tp), pendingSlot[index],
                      let at = outcome.endOffsets[tp] else { continue }
                if at >= slotEnd[index] { finish(index) }
            }
            // Records are due and none came: the consumer reconnects by itself and the batch
            // waits for it (a stop still ends it), and the user hears of it once. After
            // kafkaConsumer.pollTimeoutMs the broker is asked: one that does not answer is an
            // outage, waited out as between batches; one that answers and sends nothing fails
            // the batch, as in Spark.
            let silent = clock.now - lastProgress
            if silent > .milliseconds(500), outcome.records == 0 {
                _ = try skipDeleted { consumer.cachedWatermarks(topic: $0.topic, partition: $0.partition)?.low }
            }
            brokerSilent(for: silent, error: brokerTrouble, notice)
            if silent > pollTimeout {
                wasAway = wasAway || outageReportedAt != nil
                do {
                    _ = try queryWatermarks(partitions, stop: stop, notice: notice, giveUpAfter: metadataTimeout)
                } catch let interrupted as StreamInterrupted {
                    throw interrupted
                } catch {
                    wasAway = true
                    lastProgress = clock.now - metadataTimeout
                    continue
                }
                if wasAway {
                    // Back from an outage: the consumer needs a moment to fetch again.
                    wasAway = false
                    lastProgress = clock.now
                    continue
                }
                let missing = partitions.indices.filter { pendingSlot[$0] }
                    .map { "\(partitions[$0]) offsets \(slotNext[$0])..<\(slotEnd[$0])" }.joined(separator: ", ")
                throw SourceError("timed out after \(pollTimeout) waiting for \(missing) from \(bootstrap)",
                                  hint: "is the broker up? raise 'kafkaConsumer.pollTimeoutMs' for slow clusters")
            }
        }
        if let decoders {
            if let kept = chunk, !kept.isEmpty { decoders.send(kept) }
            try decoders.finish(stop: stop)
        }
        completed = true
        replayEnd = nil
        for (index, tp) in partitions.enumerated() { next[tp] = slotNext[index] }
        func offsets(_ map: [KafkaTopicPartition: Int64]) -> SourceOffsets {
            SourceOffsets(Dictionary(uniqueKeysWithValues: map.map { ($0.key.description, $0.value) }))
        }
        var lag: [String: Int64] = [:]
        for tp in partitions { lag[tp.description] = max(0, high[tp]! - next[tp]!) }
        return SourceBatch(start: offsets(start), end: offsets(next), records: records, lag: lag, lost: lost)
    }

    /// Leaves a batch unfinished: the consumer has fetched past where the next batch starts,
    /// so it reads from there again.
    private func abandon(from offsets: [Int64]) {
        for (index, tp) in partitions.enumerated() { needsSeek[tp] = offsets[index] }
    }

    // MARK: Brokers that do not answer

    /// The low and high watermarks of `tps`, asked of the brokers on a thread of their own,
    /// so that a broker that does not answer (librdkafka 2.0.2 ignores the timeout of this
    /// query while a partition has no leader) holds no one: while it does not, the query is
    /// retried with backoff and the user told once; `stop` ends the wait with
    /// ``StreamInterrupted``, and `giveUpAfter` with an error.
    private func queryWatermarks(_ tps: [KafkaTopicPartition], stop: () -> Bool, notice: (String) -> Void,
                                 giveUpAfter: Duration? = nil) throws -> [KafkaTopicPartition: KafkaWatermarks] {
        let clock = ContinuousClock()
        let began = clock.now
        var backoff = Duration.milliseconds(100)
        var lastError: KafkaError?
        while true {
            let call: BackgroundCall<[KafkaWatermarks]>
            if let pending = pendingQuery, pending.partitions == tps {
                call = pending.call
            } else {
                // The client is captured, so a query given up on keeps its handle until it returns.
                let client = offsetClient, timeout = metadataTimeout
                call = BackgroundCall(name: "cells.kafka.watermarks") { () throws(KafkaError) -> [KafkaWatermarks] in
                    var marks: [KafkaWatermarks] = []
                    for tp in tps { marks.append(try client.watermarks(topic: tp.topic, partition: tp.partition, timeout: timeout)) }
                    return marks
                }
                pendingQuery = (tps, call)
            }
            switch call.wait(upTo: .milliseconds(250), interrupt: stop) {
            case .success(let marks)?:
                pendingQuery = nil
                brokerAnswered(notice)
                return Dictionary(uniqueKeysWithValues: zip(tps, marks))
            case .failure(let error)?:
                // A broker that is down answers at once (connection refused) or after the
                // timeout; a newer librdkafka says `_UNKNOWN_PARTITION` while there is no
                // leader. All of them may pass: ask again, less and less often.
                pendingQuery = nil
                lastError = error
                let resume = clock.now + backoff
                while clock.now < resume {
                    if stop() { throw StreamInterrupted() }
                    Thread.sleep(forTimeInterval: 0.05)
                }
                backoff = min(backoff * 2, .seconds(5))
            case nil:
                if stop() { throw StreamInterrupted() }
            }
            let waited = clock.now - began
            if let giveUpAfter, waited >= giveUpAfter {
                let cause = lastError.map { ": \($0.message)" } ?? ": no answer"
                throw SourceError("cannot read the offsets of \(tps.map(\.description).joined(separator: ", ")) from \(bootstrap) within \(giveUpAfter)\(cause)",
                                  hint: "is the broker up? raise 'connectTimeoutMs' for slow clusters")
            }
            brokerSilent(for: waited, error: lastError, notice)
        }
    }

    /// Tells the user, once per outage, that the brokers have not answered for
    /// `connectTimeoutMs`; reading goes on trying.
    private func brokerSilent(for duration: Duration, error: KafkaError?, _ notice: (String) -> Void) {
        guard duration >= metadataTimeout, outageReportedAt == nil else { return }
        outageReportedAt = ContinuousClock.now - duration
        let seconds = Int(duration.components.seconds)
        notice("broker \(bootstrap) unreachable for \(seconds) s; retrying…" + (error.map { " (\($0.message))" } ?? ""))
    }

    /// Tells the user that brokers reported unreachable answer again.
    private func brokerAnswered(_ notice: (String) -> Void) {
        guard let since = outageReportedAt else { return }
        outageReportedAt = nil
        notice("broker \(bootstrap) answers again after \(Int((ContinuousClock.now - since).components.seconds)) s; resuming")
    }

    /// This batch's end offset per partition: everything available, or with
    /// maxOffsetsPerTrigger, a share of the limit proportional to each partition's lag.
    private func endOffsets(high: [KafkaTopicPartition: Int64]) -> [KafkaTopicPartition: Int64] {
        let available = partitions.reduce(into: [KafkaTopicPartition: Int64]()) { $0[$1] = max(0, high[$1]! - next[$1]!) }
        let total = available.values.reduce(0, +)
        guard let limit = maxOffsetsPerTrigger, total > limit else {
            return partitions.reduce(into: [:]) { $0[$1] = next[$1]! + available[$1]! }
        }
        var end: [KafkaTopicPartition: Int64] = [:]
        var granted: Int64 = 0
        for tp in partitions {
            // In 128 bits: a lag and a limit in the billions multiply past 64.
            let share = Int64(Int128(available[tp]!) * Int128(limit) / Int128(total))
            end[tp] = next[tp]! + share
            granted += share
        }
        // Rounding leftovers go to the partitions with the most left, so the limit is used.
        for tp in partitions.sorted(by: { available[$0]! - (end[$0]! - next[$0]!) > available[$1]! - (end[$1]! - next[$1]!) })
        where granted < limit && end[tp]! < next[tp]! + available[tp]! {
            end[tp]! += 1
            granted += 1
        }
        return end
    }

    /// Records `from..<to` of `tp` were deleted before they were read: Spark's failOnDataLoss
    /// error, or with failOnDataLoss off a warning (the caller counts them and goes on).
    private func dataLoss(_ tp: KafkaTopicPartition, from: Int64, to: Int64) throws {
        let what = "\(tp) offsets \(from)..<\(to) (\(to - from) records)"
        if failOnDataLoss {
            throw SourceError("Some data may have been lost because they are not available in Kafka any more; either the data "
                              + "was aged out by Kafka (retention) or deleted before the query read it: \(what)",
                              hint: "set 'failOnDataLoss' = 'false' in the source's OPTIONS to skip lost records (counted as lost in the progress line) and go on, as Spark does")
        }
        Logger(label: "cells.source.kafka").warning("\(what) are gone from the broker; skipped (failOnDataLoss=false)")
    }

    /// How long matching subscribePattern against every topic name may take.
    static let patternBudget: Duration = .seconds(2)

    private static func resolvePartitions(_ subscription: KafkaSourceOptions.Subscription, metadata: KafkaClusterMetadata,
                                          bootstrap: String) throws -> [KafkaTopicPartition] {
        let known = metadata.topics.filter { !$0.name.hasPrefix("__") }
        func partitions(of topic: String) throws -> [KafkaTopicPartition] {
            guard let found = known.first(where: { $0.name == topic }), !found.partitions.isEmpty else {
                let names = known.map(\.name).sorted()
                throw SourceError("topic '\(topic)' does not exist on \(bootstrap)",
                                  hint: names.isEmpty ? "create it, or produce to it first (`cells produce`)"
                                                      : "topics there: \(names.joined(separator: ", "))")
            }
            return found.partitions.map { KafkaTopicPartition(topic: topic, partition: $0.id) }
        }
        switch subscription {
        case .topics(let names):
            return try names.flatMap(partitions(of:))
        case .pattern(let pattern):
            // ICU's engine (NSRegularExpression), close to the Java one Spark uses, because it
            // can be told to give up: a pattern that backtracks catastrophically on a topic
            // name ('(a|aa)+b' on 40 a's took minutes, deaf to Ctrl-C) is an error instead.
            let whole: NSRegularExpression
            do {
                _ = try NSRegularExpression(pattern: pattern)  // checked alone: the wrapper could balance a stray ')'
                whole = try NSRegularExpression(pattern: "^(?:\(pattern))$")
            } catch {
                throw SourceError("subscribePattern '\(pattern)' is not a valid regular expression: \(error)", option: "subscribePattern")
            }
            // The same refusal as RLIKE's, up front; the budget below catches what it lets
            // through (overlapping alternation such as (a|aa)+).
            if RegexGuard.nestedRepetition(in: pattern) != nil {
                throw SourceError("subscribePattern '\(pattern)' repeats a group that itself repeats: matching it can take minutes and cannot be stopped",
                                  hint: "repeat the inner part only, e.g. 'a+' instead of '(a+)+'", option: "subscribePattern")
            }
            let deadline = ContinuousClock.now + Self.patternBudget
            var matching: [String] = []
            for name in known.map(\.name) {
                var matched = false, abandoned = false
                whole.enumerateMatches(in: name, options: [.reportProgress], range: NSRange(name.startIndex..., in: name)) { match, _, stop in
                    if match != nil { matched = true; stop.pointee = true }
                    else if ContinuousClock.now > deadline { abandoned = true; stop.pointee = true }
                }
                if abandoned {
                    throw SourceError("subscribePattern '\(pattern)' takes too long to match the topic name '\(name)' (over \(Self.patternBudget)): it backtracks catastrophically",
                                      hint: "avoid nested repetition such as (a+)+ or (a|aa)+; e.g. 'cartao_.*'", option: "subscribePattern")
                }
                if matched { matching.append(name) }
            }
            matching.sort()
            guard !matching.isEmpty else {
                throw SourceError("no topic on \(bootstrap) matches subscribePattern '\(pattern)'",
                                  hint: "topics there: \(known.map(\.name).sorted().joined(separator: ", "))")
            }
            return try matching.flatMap(partitions(of:))
        case .assign(let json):
            guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [Int]] else {
                throw SourceError("'assign' must be JSON like {\"topic\":[0,1]}, not '\(json)'", option: "assign")
            }
            return try object.keys.sorted().flatMap { topic -> [KafkaTopicPartition] in
                let existing = Set(try partitions(of: topic).map(\.partition))
                return try object[topic]!.sorted().map { p in
                    guard let id = Int32(exactly: p), existing.contains(id) else {
                        throw SourceError("topic '\(topic)' has no partition \(p)",
                                          hint: "its partitions: \(existing.sorted().map(String.init).joined(separator: ", "))", option: "assign")
                    }
                    return KafkaTopicPartition(topic: topic, partition: id)
                }
            }
        }
    }
}

/// A partition as messages identify it: their topic's identity and the partition number.
private struct PartitionKey: Hashable {
    var identity: UInt
    var partition: Int32
}

extension SourceRecord {
    init(_ message: KafkaMessage, topicIndex: Int) {
        let ts = message.timestamp
        self.init(value: message.value, key: message.key, topicIndex: topicIndex, partition: message.partition,
                  offset: message.offset, timestamp: ts.millis,
                  timestampType: ts.type == .notAvailable ? -1 : ts.type.rawValue - 1)
    }
}

/// The lanes of a batch read on several threads (see ``KafkaStreamSource/readBatch(lanes:stop:notice:)``):
/// lane 0 is fed by the polling thread, each other lane by a thread of its own, started with
/// the first chunk and ended before the batch returns. Chunks are numbered in polling order,
/// so a lane's error fails the batch as it would have with one lane (see ``LaneOutcome``).
private final class LaneDecoders: @unchecked Sendable {  // `started` and `sent` are the polling thread's; the rest is Sendable
    /// Records per chunk: big enough that handing one on costs nothing per record, small
    /// enough that a few per lane keep every lane busy without holding much of librdkafka's
    /// memory.
    static let chunkRecords = 4096
    private let lanes: [any RecordLane]
    private let topics: [String]
    /// Two chunks waiting per lane thread: one to take when it is done with the one it has,
    /// and one more for when polling runs ahead.
    private let queue: LaneQueue<Numbered>
    private let outcome = LaneOutcome()
    private let threads = LaneThreads()
    private var started = false
    private var sent = 0

    private struct Numbered: Sendable {
        var position: Int
        var chunk: KafkaMessageChunk
    }

    init(lanes: [any RecordLane], topics: [String]) {
        self.lanes = lanes
        self.topics = topics
        queue = LaneQueue(capacity: 2 * (lanes.count - 1))
    }

    /// Hands `chunk` to the lane threads, or decodes it into lane 0 here when they have
    /// enough waiting: the polling thread works rather than waits.
    func send(_ chunk: KafkaMessageChunk) {
        if !started {
            started = true
            for index in 1..<lanes.count {
                threads.start("cells.kafka.lane\(index)") { [self] in
                    while let next = queue.take() { decode(next, into: index) }
                }
            }
        }
        let numbered = Numbered(position: sent, chunk: chunk)
        sent += 1
        if !queue.offer(numbered) { decode(numbered, into: 0) }
    }

    /// When a lane has failed: the chunks polled before its are decoded, and the batch then
    /// fails with the earliest error (or ``StreamInterrupted`` when `stop` says so meanwhile).
    func check(stop: () -> Bool) throws {
        if outcome.error != nil { try finish(stop: stop) }
    }

    /// After the last chunk: decodes what is still queued into lane 0 here, then waits for
    /// the lane threads, asking `stop` meanwhile; throws a lane's error or the stop.
    func finish(stop: () -> Bool) throws {
        queue.close()
        var stopped = false
        func askStop() {
            if !stopped && stop() { stopped = true; outcome.stop() }
        }
        while !stopped, let next = queue.poll() {
            decode(next, into: 0)
            askStop()
        }
        threads.join(tick: askStop)
        if stopped { throw StreamInterrupted() }
        if let error = outcome.error { throw error }
    }

    /// Ends the lane threads, however the batch went: what is queued is dropped, a lane
    /// being fed stops after its chunk.
    func end() {
        outcome.stop()
        queue.discard()
        threads.join()
    }

    private func decode(_ numbered: Numbered, into index: Int) {
        let (position, chunk) = (numbered.position, numbered.chunk)
        // The messages go back to librdkafka as soon as the lane is done with them.
        defer { chunk.removeAll() }
        // Asked once a chunk: a stop or an earlier chunk's error waits a few milliseconds at most.
        if outcome.isMoot(position) { return }
        do {
            try lanes[index].addRecords(count: chunk.count, topics: topics) { record in
                let (message, topic) = chunk[record]
                return SourceRecord(message, topicIndex: topic)
            }
        } catch {
            outcome.fail(error, at: position)
        }
    }
}
