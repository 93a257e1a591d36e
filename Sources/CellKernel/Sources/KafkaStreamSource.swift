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
    private let maxOffsetsPerTrigger: Int64?
    private let failOnDataLoss: Bool
    private let pollTimeout: Duration
    private let metadataTimeout: Duration

    public init(options: [String: String], logger: Logger = Logger(label: "cells.source.kafka")) throws {
        let parsed = try KafkaSourceOptions(options)
        let bootstrap = parsed.bootstrap
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
        partitions = try Self.resolvePartitions(parsed.subscription, metadata: metadata, bootstrap: bootstrap)
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
        if next.isEmpty { try start() }
        for (name, offset) in offsets.next { next[byName[name]!] = offset }
        // Assigning again (rather than seeking) works whether or not fetching has begun.
        needsSeek.removeAll()
        try consumer.assign(partitions.map { ($0, .exact(next[$0]!)) })
    }

    /// Turns startingOffsets into exact offsets and assigns the partitions from there.
    private func start() throws {
        for tp in partitions {
            let marks: KafkaWatermarks
            do {
                marks = try offsetClient.watermarks(topic: tp.topic, partition: tp.partition, timeout: metadataTimeout)
            } catch {
                throw SourceError("cannot read the offsets of \(tp): \(error.message)")
            }
            switch starting.offset(for: tp) {
            case -2: next[tp] = marks.low
            case -1: next[tp] = marks.high
            case let exact: next[tp] = exact
            }
        }
        try consumer.assign(partitions.map { ($0, .exact(next[$0]!)) })
    }

    public func readBatch(_ body: (SourceRecord) throws -> Void) throws -> SourceBatch? {
        if next.isEmpty { try start() }
        // End offsets are fixed now: records arriving while the batch is read belong to the next.
        // The high watermark from the last fetch response is trusted when it shows records to
        // read (a busy stream then costs no round trip per partition); when it shows none, it
        // may be a fetch behind, so the broker is asked: what is there now must be read.
        // Records lost to retention show up as a gap in the offsets read, below.
        var high: [KafkaTopicPartition: Int64] = [:]
        for tp in partitions {
            if let cached = consumer.cachedWatermarks(topic: tp.topic, partition: tp.partition)?.high, cached > next[tp]! {
                high[tp] = cached
            } else {
                high[tp] = try offsetClient.watermarks(topic: tp.topic, partition: tp.partition, timeout: metadataTimeout).high
            }
        }
        var lost: Int64 = 0
        let end = endOffsets(high: high)
        let start = next
        guard partitions.contains(where: { end[$0]! > next[$0]! }) else { return nil }
        if !needsSeek.isEmpty {
            try consumer.seek(needsSeek)
            needsSeek.removeAll()
        }

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
        while pendingCount > 0 {
            let outcome = try consumer.poll(maxRecords: 10_000, timeout: .milliseconds(100)) { message in
                let identity = message.topicIdentity
                let partition = message.partition
                guard let index = slot(identity: identity, partition: partition, topic: { message.topic }) else { return }
                let offset = message.offset
                let expected = slotNext[index]
                guard offset < slotEnd[index] else {
                    // Fetched ahead of this batch's end: read again from `end` next time.
                    needsSeek[partitions[index]] = slotEnd[index]
                    finish(index)
                    return
                }
                guard offset >= expected else { return }
                if offset > expected {
                    try dataLoss(partitions[index], from: expected, to: offset)
                    lost += offset - expected
                }
                let ts = message.timestamp
                try body(SourceRecord(value: message.value, key: message.key, topicIndex: topicOf[identity]!,
                                      partition: partition, offset: offset, timestamp: ts.millis,
                                      timestampType: ts.type == .notAvailable ? -1 : ts.type.rawValue - 1))
                records += 1
                slotNext[index] = offset + 1
                if offset + 1 >= slotEnd[index] { finish(index) }
            }
            if outcome.records > 0 { lastProgress = clock.now }
            for tp in outcome.reachedEnd {
                // The broker says there is nothing more: whatever is missing below `end` is gone.
                guard let index = partitions.firstIndex(of: tp), pendingSlot[index] else { continue }
                if let marks = try? offsetClient.watermarks(topic: tp.topic, partition: tp.partition, timeout: metadataTimeout),
                   marks.high <= slotNext[index] {
                    finish(index)
                }
            }
            if clock.now - lastProgress > pollTimeout {
                let missing = partitions.indices.filter { pendingSlot[$0] }
                    .map { "\(partitions[$0]) offsets \(slotNext[$0])..<\(slotEnd[$0])" }.joined(separator: ", ")
                throw SourceError("timed out after \(pollTimeout) waiting for \(missing)",
                                  hint: "is the broker up? raise 'kafkaConsumer.pollTimeoutMs' for slow clusters")
            }
        }
        for (index, tp) in partitions.enumerated() { next[tp] = slotNext[index] }
        func offsets(_ map: [KafkaTopicPartition: Int64]) -> SourceOffsets {
            SourceOffsets(Dictionary(uniqueKeysWithValues: map.map { ($0.key.description, $0.value) }))
        }
        var lag: [String: Int64] = [:]
        for tp in partitions { lag[tp.description] = max(0, high[tp]! - next[tp]!) }
        return SourceBatch(start: offsets(start), end: offsets(next), records: records, lag: lag, lost: lost)
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
            let share = available[tp]! * limit / total
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

    private func dataLoss(_ tp: KafkaTopicPartition, from: Int64, to: Int64) throws {
        let what = "\(tp): offsets \(from)..<\(to) are gone from the broker (retention) before they were read"
        if failOnDataLoss {
            throw SourceError(what, hint: "set 'failOnDataLoss' = 'false' to skip them and go on, as Spark does")
        }
        Logger(label: "cells.source.kafka").warning("\(what); skipped (failOnDataLoss=false)")
    }

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
            let regex: Regex<AnyRegexOutput>
            do { regex = try Regex(pattern) } catch {
                throw SourceError("subscribePattern '\(pattern)' is not a valid regular expression: \(error)", option: "subscribePattern")
            }
            let matching = known.map(\.name).filter { (try? regex.wholeMatch(in: $0)) != nil }.sorted()
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
