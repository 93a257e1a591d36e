import Foundation
import KafkaBridge

/// The OPTIONS of a Kafka source, read and checked before anything connects: every bad value
/// is an error naming the option, the value and what is allowed (the session points at the
/// value in the statement).
struct KafkaSourceOptions {
    /// Which partitions to read, as one of Spark's three options says.
    enum Subscription {
        case topics([String])
        case pattern(String)
        case assign(String)
    }

    var bootstrap: String
    /// Every other `kafka.*` option, without its prefix, for librdkafka.
    var configuration: KafkaConfiguration
    var subscription: Subscription
    var metadataTimeout: Duration
    var pollTimeout: Duration
    var maxOffsetsPerTrigger: Int64?
    var failOnDataLoss: Bool
    var startingOffsets: StartingOffsets

    /// The longest wait an option may ask for: a day, far beyond any sensible timeout, and
    /// small enough that no duration arithmetic on it can overflow.
    static let longestTimeoutMs: Int64 = 86_400_000

    init(_ options: [String: String]) throws {
        let lowered = Dictionary(options.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $1 })
        guard let bootstrap = lowered["kafka.bootstrap.servers"] else {
            throw SourceError("the kafka source needs 'kafka.bootstrap.servers'",
                              hint: "add 'kafka.bootstrap.servers' = 'host:9092' to OPTIONS")
        }
        self.bootstrap = try OptionValues.nonEmpty(bootstrap, option: "kafka.bootstrap.servers", example: "localhost:9092")
        configuration = KafkaConfiguration(bootstrapServers: bootstrap)
        for (key, value) in options.sorted(by: { $0.key < $1.key })
        where key.lowercased().hasPrefix("kafka.") && key.lowercased() != "kafka.bootstrap.servers" {
            let property = String(key.dropFirst("kafka.".count))
            // librdkafka takes an empty group.id as "no group" and then has no consumer queue
            // to hand out; Spark refuses it too.
            if property.lowercased() == "group.id" {
                _ = try OptionValues.nonEmpty(value, option: key, example: "my-group")
            }
            configuration[property] = value
        }
        // Checked now, so a misspelled or ill-typed librdkafka property is an error at the
        // option rather than at the first connection.
        do {
            try configuration.validate(for: .consumer)
        } catch {
            let context = error.context ?? ""
            let property = context.hasPrefix("configuration property '") ? String(context.dropFirst(24).dropLast()) : ""
            throw SourceError("'kafka.\(property)': \(error.message)", hint: "see librdkafka's CONFIGURATION.md for the property",
                              option: property.isEmpty ? nil : "kafka." + property)
        }

        func milliseconds(_ name: String, default fallback: Int64, meaning: String) throws -> Duration {
            guard let text = lowered[name.lowercased()] else { return .milliseconds(fallback) }
            return .milliseconds(try OptionValues.integer(text, option: name, in: 1...Self.longestTimeoutMs, meaning: meaning))
        }
        metadataTimeout = try milliseconds("connectTimeoutMs", default: 10_000, meaning: "milliseconds to wait for the broker")
        pollTimeout = try milliseconds("kafkaConsumer.pollTimeoutMs", default: 120_000,
                                       meaning: "milliseconds a batch may wait for records it knows exist")
        maxOffsetsPerTrigger = try lowered["maxoffsetspertrigger"].map {
            try OptionValues.integer($0, option: "maxOffsetsPerTrigger", in: 1...Int64.max, meaning: "records per micro-batch")
        }
        failOnDataLoss = try OptionValues.boolean(lowered["failondataloss"] ?? "true", option: "failOnDataLoss")

        let given = ["subscribe", "subscribePattern", "assign"].filter { lowered[$0.lowercased()] != nil }
        guard given.count == 1 else {
            throw SourceError(given.isEmpty ? "the kafka source needs one of 'subscribe', 'subscribePattern' or 'assign'"
                                            : "give only one of 'subscribe', 'subscribePattern' and 'assign'",
                              hint: "e.g. 'subscribe' = 'streaming_cartao'", option: given.count > 1 ? given[1] : nil)
        }
        let text = lowered[given[0].lowercased()]!
        switch given[0] {
        case "subscribe":
            let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                throw SourceError("'subscribe' must be a comma-separated list of topic names, not '\(text)'",
                                  hint: "e.g. 'subscribe' = 'streaming_cartao' or 'a,b'", option: "subscribe")
            }
            subscription = .topics(names)
        case "subscribePattern":
            subscription = .pattern(try OptionValues.nonEmpty(text, option: "subscribePattern", example: "cartao_.*"))
        default:
            subscription = .assign(try OptionValues.nonEmpty(text, option: "assign", example: #"{"topic":[0,1]}"#))
        }
        // A bad value is an error at CREATE SOURCE; turned into numbers by the first batch, so
        // connecting to check a source costs no round trip per partition.
        startingOffsets = try StartingOffsets(lowered["startingoffsets"] ?? "latest")
    }
}

/// `startingOffsets`: earliest, latest, or per-partition JSON.
struct StartingOffsets {
    private let all: Int64?
    /// Partitions by number: "00" and "+0" name partition 0 as they do in Spark.
    private let perPartition: [String: [Int32: Int64]]

    init(_ text: String) throws {
        switch text.lowercased().trimmingCharacters(in: .whitespaces) {
        case "earliest": all = -2; perPartition = [:]
        case "latest": all = -1; perPartition = [:]
        default:
            guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [String: Int64]] else {
                throw SourceError("'startingOffsets' must be earliest, latest or JSON like {\"topic\":{\"0\":23,\"1\":-2}}, not '\(text)'",
                                  option: "startingOffsets")
            }
            var numbered: [String: [Int32: Int64]] = [:]
            for (topic, offsets) in object {
                for (partition, offset) in offsets {
                    guard let id = Int32(partition.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                        throw SourceError("'startingOffsets' names partition \"\(partition)\" of \(topic): a partition is a number from 0",
                                          option: "startingOffsets")
                    }
                    guard offset >= -2 else {
                        throw SourceError("'startingOffsets' gives \(topic)/\(partition) the offset \(offset): an offset is -2 (earliest), -1 (latest) or from 0",
                                          option: "startingOffsets")
                    }
                    guard numbered[topic, default: [:]].updateValue(offset, forKey: id) == nil else {
                        throw SourceError("'startingOffsets' names partition \(id) of \(topic) twice", option: "startingOffsets")
                    }
                }
            }
            all = nil
            perPartition = numbered
        }
    }

    /// Every entry must name a partition the source reads: Spark refuses offsets for
    /// partitions it was not given, and a typo in a topic name would otherwise be ignored.
    func check(against partitions: [KafkaTopicPartition]) throws {
        for topic in perPartition.keys.sorted() {
            let ids = partitions.filter { $0.topic == topic }.map(\.partition).sorted()
            guard !ids.isEmpty else {
                let read = Array(Set(partitions.map(\.topic))).sorted()
                throw SourceError("'startingOffsets' names the topic '\(topic)', which this source does not read",
                                  hint: "it reads \(read.joined(separator: ", ")); name only those topics", option: "startingOffsets")
            }
            for partition in perPartition[topic]!.keys.sorted() where !ids.contains(partition) {
                throw SourceError("'startingOffsets' names \(topic)/\(partition), but \(topic) has partitions \(ids.map(String.init).joined(separator: ", "))",
                                  hint: "name only partitions the topic has", option: "startingOffsets")
            }
        }
    }

    /// -2 earliest, -1 latest, else the offset. Partitions the JSON does not name start at latest.
    func offset(for tp: KafkaTopicPartition) -> Int64 {
        all ?? perPartition[tp.topic]?[tp.partition] ?? -1
    }
}
