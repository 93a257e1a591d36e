import Foundation
import KafkaBridge

/// The Kafka sink of a checkpointed query: each batch's rows exactly once in the topic, for
/// `read_committed` readers, whatever crash comes between sending a batch and the
/// checkpoint committing it.
///
/// How:
/// 1. ``KafkaSink/attach(_:)`` makes a transactional producer (`transactional.id` =
///    `cells-` + the checkpoint's identity) and calls `initTransactions`, which fences a
///    producer an earlier run left behind and aborts its open transaction.
/// 2. A batch's rows are staged (``KafkaStage``, `<folder>/<batch id>`, written durably) with
///    the topic's high watermarks, then sent in one transaction, each with the headers
///    `cells.query` (the identity), `cells.batch` (the batch id) and `cells.row` (its index in
///    the stage), and committed.
/// 3. A batch whose stage is already there is one an earlier attempt may have sent, wholly or
///    in part. The topic is read (`read_committed`) from the staged watermarks to the current
///    ones, the `cells.row` indexes of this identity and batch collected, and only the staged
///    rows missing from it sent, in a new transaction.
/// 4. ``KafkaSink/committed(_:)`` deletes the stages the checkpoint no longer needs.
///
/// Step 3 is what makes this correct on both brokers cells meets: on Kafka, records of a
/// transaction a crash cut off are aborted by step 1 and so not read, and are all sent again;
/// librdkafka 2.0.2's mock cluster ignores aborts and shows them, and then they are not sent
/// again. A transaction that did commit before the crash is found whole and nothing is sent.
struct ExactlyOnceState {
    var checkpoint: SinkCheckpoint
    /// `cells-` + the identity, sanitized.
    var transactionalID: String
    /// Whether `initTransactions` has succeeded on the current producer.
    var ready = false
    /// Whether the current producer must be replaced before the next transaction: one failed
    /// or was cut short, and a new producer's `initTransactions` settles it.
    var replaceProducer = false
    /// Asks partitions' watermarks of the brokers; made on first use, kept.
    var watermarkReader: KafkaConsumer?
    /// Called as reading back an earlier attempt's rows begins: where tests cut the broker
    /// off to see that a stop still ends the read.
    var willReadBack: (() -> Void)?
    /// Called when a transaction's rows are all enqueued, before it is committed: where tests
    /// cut the broker off in the middle of a batch.
    var willCommit: (() -> Void)?
}

extension KafkaSink {
    /// How long ``attach(_:)`` waits for the transaction coordinator (``KafkaSink/attachTimeout``
    /// unless a test shortens it): `attach` cannot be stopped, so a coordinator that does not
    /// answer by then is left to the first write, which resumes the wait and can be.
    static let defaultAttachTimeout: Duration = .seconds(10)
    /// How long a batch may wait for the transaction coordinator to register the producer.
    static let initTimeout: Duration = .seconds(30)
    /// How long reading back an earlier attempt's rows may take: long enough for another
    /// producer's open transaction to end, which holds back `read_committed` readers.
    static let scanTimeout: Duration = .seconds(120)

    /// Header names every record of a checkpointed query carries.
    static let queryHeader = "cells.query", batchHeader = "cells.batch", rowHeader = "cells.row"

    /// What the sink promises a checkpointed query, whether or not it is attached yet (help
    /// texts ask before any query runs): exactly once, for `read_committed` readers. A
    /// `read_uncommitted` reader of a real Kafka cluster also sees aborted attempts.
    var guarantee: DeliveryGuarantee { .exactlyOnce }

    /// Switches the sink to transactions under the checkpoint's identity. Waits up to
    /// ``attachTimeout`` for the coordinator to fence the previous run's producer, so that a
    /// transaction it left open stops holding back `read_committed` readers now, not at the
    /// first batch with data.
    func attach(_ checkpoint: SinkCheckpoint) throws {
        var state = ExactlyOnceState(checkpoint: checkpoint, transactionalID: Self.transactionalID(for: checkpoint.identity))
        exactlyOnce = state
        do {
            try makeTransactionalProducer()
        } catch {
            throw SinkError("kafka sink: cannot make a transactional producer for \(topic): \(error)")
        }
        if let last = checkpoint.lastCommitted { removeStages(through: last) }
        do {
            try producer.initTransactions(timeout: attachTimeout)
            state.ready = true
        } catch where error.isRetriable {
            // Resumed by the first write (librdkafka's call picks up where this one stopped).
        } catch {
            throw SinkError("kafka sink: cannot start transactions on \(topic) as '\(state.transactionalID)': \(error)",
                            hint: "exactly-once output needs brokers that support transactions (Kafka 0.11 or later)")
        }
        exactlyOnce?.ready = state.ready
    }

    func committed(_ batchId: Int64) {
        removeStages(through: batchId)
    }

    /// `cells-` and the identity with everything but letters, digits, `.`, `_` and `-` made
    /// `_`; when anything was changed or cut (past 200 characters), a hash of the whole
    /// identity follows, so that identities differing only there do not share an id.
    static func transactionalID(for identity: String) -> String {
        var text = ""
        var changed = false
        for scalar in identity.unicodeScalars {
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar) {
                text.unicodeScalars.append(scalar)
            } else {
                text.unicodeScalars.append("_")
                changed = true
            }
        }
        if text.unicodeScalars.count > 200 {
            text = String(String.UnicodeScalarView(text.unicodeScalars.prefix(200)))
            changed = true
        }
        if changed || text.isEmpty {
            text += "-" + String(snapshotChecksum(Array(identity.utf8)[...]), radix: 16)
        }
        return "cells-" + text
    }

    // MARK: - Writing a batch

    func writeExactlyOnce(_ result: ResultBatch, stop: () -> Bool) throws {
        guard let state = exactlyOnce else { return }
        let path = stagePath(result.batchId)
        let earlier = try loadStage(path, batchId: result.batchId, identity: state.checkpoint.identity)
        // An empty batch sends nothing, unless an earlier attempt staged rows for it.
        if earlier == nil && result.count == 0 { return }
        try prepareProducer(stop: stop)
        let stage: KafkaStage
        let missing: [Int]
        if let earlier {
            stage = earlier
            let present = try rowsInTopic(of: stage, stop: stop)
            missing = stage.rows.indices.filter { !present[$0] }
        } else {
            let marks = try highWatermarks(stop: stop, while: "staging batch \(result.batchId)")
            stage = KafkaStage(encoding: result, keyIndex: keyIndex(in: result.schema), identity: state.checkpoint.identity,
                               topic: topic, highWatermarks: marks)
            do {
                try DurableFile.write(stage.bytes, to: path)
            } catch {
                throw SinkError("kafka sink: cannot stage batch \(result.batchId) for \(topic): \(error)",
                                hint: "the checkpoint folder must be writable")
            }
            missing = Array(stage.rows.indices)
        }
        guard !missing.isEmpty else { return }
        try sendInTransaction(stage, rows: missing, stop: stop)
    }

    /// Sends the stage's `rows` in one transaction and commits it. On any failure the
    /// producer is marked for replacement: the transaction stays open (on Kafka, the next
    /// producer's `initTransactions` aborts it) and the batch, run again, is completed from
    /// its stage.
    private func sendInTransaction(_ stage: KafkaStage, rows: [Int], stop: () -> Bool) throws {
        let batch = stage.batchId
        let headers = KafkaHeaderTemplate([KafkaHeader(name: Self.queryHeader, value: stage.identity),
                                           KafkaHeader(name: Self.batchHeader, value: String(batch))])
        let failedBefore = producer.statistics.failed
        do {
            try producer.beginTransaction()
            try stage.bytes.withUnsafeBytes { bytes in
                // The row's index as decimal text, written into a buffer reused for every row.
                var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
                try withUnsafeMutableBytes(of: &digits) { buffer in
                    for index in rows {
                        let row = stage.rows[index]
                        try producer.send(topic: topic, key: row.key(in: bytes), value: row.value(in: bytes),
                                          headers: headers, adding: Self.rowHeader, Self.decimal(index, into: buffer),
                                          giveUp: stop)
                    }
                }
            }
            exactlyOnce?.willCommit?()
            try producer.commitTransaction(timeout: Self.flushTimeout, stop: stop)
        } catch {
            exactlyOnce?.replaceProducer = true
            let waiting = producer.inFlight
            producer.purge()
            if stop() {
                throw SinkError("kafka sink: stopped while batch \(batch) was being committed to \(topic) (\(waiting) of its \(rows.count) rows not yet acknowledged); "
                                + "whether or not its transaction completes on its own, the batch is completed, each row once, when the query resumes from its checkpoint")
            }
            throw SinkError("kafka sink: batch \(batch) (\(rows.count) rows) could not be committed to \(topic): \(error)",
                            hint: "check that the broker is up and the topic exists; run the query again from its checkpoint and the batch is completed, once")
        }
        let failed = producer.statistics.failed - failedBefore
        if failed > 0 {
            // A committed transaction has every record; this is librdkafka contradicting itself.
            exactlyOnce?.replaceProducer = true
            throw SinkError("kafka sink: \(failed) rows of batch \(batch) were reported undelivered to \(topic) after its transaction committed: \(producer.statistics.firstError.map { "\($0)" } ?? "")")
        }
    }

    /// `value` (not negative) as decimal digits at the end of `buffer` (24 bytes hold any Int).
    static func decimal(_ value: Int, into buffer: UnsafeMutableRawBufferPointer) -> UnsafeRawBufferPointer {
        var rest = value.magnitude
        var start = buffer.count
        guard start > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        repeat {
            start -= 1
            buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        } while rest > 0 && start > 0
        return UnsafeRawBufferPointer(rebasing: buffer[start...])
    }

    /// A producer ready for a transaction: a new one when the last transaction failed, and
    /// `initTransactions` done (resumed, when attach's wait ran out).
    private func prepareProducer(stop: () -> Bool) throws {
        guard var state = exactlyOnce else { return }
        if state.replaceProducer {
            do {
                try makeTransactionalProducer()
            } catch {
                throw SinkError("kafka sink: cannot make a transactional producer for \(topic): \(error)")
            }
            state.replaceProducer = false
            state.ready = false
            exactlyOnce = state
        }
        guard !state.ready else { return }
        do {
            try producer.initTransactions(timeout: Self.initTimeout, stop: stop)
        } catch {
            if stop() { throw SinkError("kafka sink: stopped while waiting for the transaction coordinator of \(topic)") }
            throw SinkError("kafka sink: cannot start transactions on \(topic) as '\(state.transactionalID)': \(error)",
                            hint: "check that the broker is up; exactly-once output needs brokers that support transactions")
        }
        exactlyOnce?.ready = true
    }

    /// Replaces the producer by a transactional one of the checkpoint's id. What the old one
    /// still holds is dropped first, so letting it go does not wait for a broker.
    private func makeTransactionalProducer() throws {
        guard let state = exactlyOnce else { return }
        var transactional = configuration
        transactional["transactional.id"] = state.transactionalID
        producer.purge()
        producer = try KafkaProducer(configuration: transactional)
    }

    // MARK: - Reading the topic

    /// Each partition's high watermark (the next offset), asked of its leader. The brokers are
    /// asked on a thread of their own, which a stop leaves behind: librdkafka 2.0.2 waits on a
    /// partition without a leader whatever the timeout.
    private func highWatermarks(stop: () -> Bool, while doing: String) throws -> [Int32: Int64] {
        let reader = try watermarkReader()
        let topic = self.topic
        let call = BackgroundCall(name: "cells.kafka.watermarks") { () throws(KafkaError) -> [Int32: Int64] in
            var marks: [Int32: Int64] = [:]
            let partitions: [Int32]
            do throws(KafkaError) {
                partitions = try reader.partitions(of: topic, timeout: .seconds(10))
            } catch {
                // A topic the first record will create (auto.create.topics.enable) starts
                // empty: every partition from offset 0.
                if error.code == KafkaError.Code.unknownTopicOrPartition { return [:] }
                throw error
            }
            for partition in partitions {
                marks[partition] = try reader.watermarks(topic: topic, partition: partition, timeout: .seconds(10)).high
            }
            return marks
        }
        guard let outcome = call.wait(upTo: Self.flushTimeout, interrupt: stop) else {
            if stop() { throw SinkError("kafka sink: stopped while asking the brokers for \(topic)'s offsets, \(doing)") }
            throw SinkError("kafka sink: the brokers did not tell \(topic)'s offsets within \(Self.flushTimeout), \(doing)",
                            hint: "check that the broker is up and every partition has a leader")
        }
        do {
            return try outcome.get()
        } catch {
            throw SinkError("kafka sink: cannot read \(topic)'s offsets, \(doing): \(error)")
        }
    }

    /// A consumer that only asks for watermarks, uncommitted records included (the true end
    /// of each partition, where the next record goes).
    private func watermarkReader() throws -> KafkaConsumer {
        if let reader = exactlyOnce?.watermarkReader { return reader }
        do {
            let reader = try KafkaConsumer(configuration: consumerConfiguration(isolation: "read_uncommitted"))
            exactlyOnce?.watermarkReader = reader
            return reader
        } catch {
            throw SinkError("kafka sink: cannot make a consumer to read \(topic)'s offsets: \(error)")
        }
    }

    /// The sink's librdkafka properties for a consumer: the connection and security settings
    /// the user gave, without the producer's transactional id.
    private func consumerConfiguration(isolation: String) -> KafkaConfiguration {
        var properties = configuration.properties
        properties["transactional.id"] = nil
        properties["isolation.level"] = isolation
        properties["enable.partition.eof"] = "true"
        properties["auto.offset.reset"] = "earliest"
        return KafkaConfiguration(properties)
    }

    /// Which of the stage's rows a `read_committed` reader finds in the topic: records after
    /// the staged watermarks with this identity's and batch's headers, by `cells.row`.
    private func rowsInTopic(of stage: KafkaStage, stop: () -> Bool) throws -> [Bool] {
        var present = [Bool](repeating: false, count: stage.rows.count)
        let ends = try highWatermarks(stop: stop, while: "looking for batch \(stage.batchId)'s rows an earlier attempt sent")
        var left: [Int32: Int64] = [:]
        var assignment: [(KafkaTopicPartition, KafkaOffset)] = []
        for (partition, end) in ends {
            // A partition added since the stage was written started empty.
            let start = max(0, stage.highWatermarks[partition] ?? 0)
            guard start < end else { continue }
            left[partition] = end
            assignment.append((KafkaTopicPartition(topic: topic, partition: partition), .exact(start)))
        }
        guard !left.isEmpty else { return present }
        // Before the consumer exists, so a test that takes the broker down here knows no
        // fetch has begun (librdkafka starts fetching on assign, in its own threads).
        exactlyOnce?.willReadBack?()
        let consumer: KafkaConsumer
        do {
            consumer = try KafkaConsumer(configuration: consumerConfiguration(isolation: "read_committed"))
            try consumer.assign(assignment)
        } catch {
            throw SinkError("kafka sink: cannot read back \(topic) to complete batch \(stage.batchId): \(error)")
        }
        defer { consumer.close() }
        let identity = Array(stage.identity.utf8), batch = Array(String(stage.batchId).utf8)
        let deadline = ContinuousClock.now + Self.scanTimeout
        while !left.isEmpty {
            if stop() { throw SinkError("kafka sink: stopped while reading back \(topic) to complete batch \(stage.batchId)") }
            guard ContinuousClock.now < deadline else {
                let behind = left.keys.sorted().map { "\(topic)/\($0) up to offset \(left[$0]!)" }
                throw SinkError("kafka sink: could not read back \(behind.joined(separator: ", ")) within \(Self.scanTimeout) to complete batch \(stage.batchId)",
                                hint: "another producer's open transaction may be holding back read_committed readers; run the query again when it has ended")
            }
            let outcome: KafkaPollOutcome
            do {
                outcome = try consumer.poll(timeout: .milliseconds(100)) { message in
                    if let end = left[message.partition], message.offset + 1 >= end { left[message.partition] = nil }
                    if let row = Self.stagedRow(of: message, identity: identity, batch: batch), row < present.count {
                        present[row] = true
                    }
                }
            } catch {
                throw SinkError("kafka sink: cannot read back \(topic) to complete batch \(stage.batchId): \(error)")
            }
            for (place, end) in outcome.endOffsets where place.topic == topic {
                if let target = left[place.partition], end >= target { left[place.partition] = nil }
            }
        }
        return present
    }

    /// The `cells.row` of a record this identity sent for this batch, else nil.
    static func stagedRow(of message: KafkaMessage, identity: [UInt8], batch: [UInt8]) -> Int? {
        var query: [UInt8]?, batchValue: [UInt8]?, row: [UInt8]?
        for header in message.headers {
            switch header.name {
            case queryHeader: query = header.value
            case batchHeader: batchValue = header.value
            case rowHeader: row = header.value
            default: break
            }
        }
        guard query == identity, batchValue == batch, let row else { return nil }
        return Int(String(decoding: row, as: UTF8.self)).flatMap { $0 >= 0 ? $0 : nil }
    }

    // MARK: - Stage files

    func stagePath(_ batchId: Int64) -> String {
        (exactlyOnce?.checkpoint.folder ?? ".") + "/\(batchId)"
    }

    /// The stage of `batchId`, if an earlier attempt wrote a valid one for this identity and
    /// topic. A damaged one counts as none (DurableFile renames whole files into place, so
    /// damage means the disk's, and a leftover `.tmp` is never read); a stage for another
    /// topic (the query's sink was changed) too.
    private func loadStage(_ path: String, batchId: Int64, identity: String) throws -> KafkaStage? {
        let bytes: [UInt8]?
        do {
            bytes = try DurableFile.read(path)
        } catch {
            throw SinkError("kafka sink: cannot read the stage of batch \(batchId): \(error)",
                            hint: "the checkpoint folder must be readable")
        }
        guard let bytes, let stage = try? KafkaStage(bytes: bytes) else { return nil }
        guard stage.batchId == batchId, stage.identity == identity, stage.topic == topic else { return nil }
        return stage
    }

    /// Deletes the stages (and leftover `.tmp` files) of batches up to `batchId`.
    private func removeStages(through batchId: Int64) {
        guard let folder = exactlyOnce?.checkpoint.folder,
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names {
            let stem = name.hasSuffix(".tmp") ? String(name.dropLast(4)) : name
            guard let id = Int64(stem), id <= batchId else { continue }
            DurableFile.remove(folder + "/" + name)
        }
    }
}
