import CRdKafka
import Logging

/// Cluster-level operations: metadata, watermarks, topic creation.
///
/// Blocking: every method waits for the broker (bounded by its timeout). Call it from a thread
/// of your own, or through ``runBlocking(_:)``, not from the cooperative thread pool.
public final class KafkaAdmin: Sendable {
    let handle: KafkaHandle

    public init(configuration: KafkaConfiguration, logger: Logger = Logger(label: "cells.kafka.admin")) throws(KafkaError) {
        handle = try KafkaHandle(kind: .producer, configuration: configuration, logger: logger)
    }

    /// All brokers and topics of the cluster. Fails with `_TRANSPORT`/`_TIMED_OUT` when no
    /// broker answers within `timeout`.
    public func metadata(timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaClusterMetadata {
        try handle.metadata(timeout: timeout)
    }

    /// The partition ids of an existing topic; an error naming the topic when it is missing.
    public func partitions(of topic: String, timeout: Duration = .seconds(10)) throws(KafkaError) -> [Int32] {
        try handle.partitions(of: topic, timeout: timeout)
    }

    public func watermarks(topic: String, partition: Int32, timeout: Duration = .seconds(10)) throws(KafkaError) -> KafkaWatermarks {
        try handle.watermarks(topic: topic, partition: partition, timeout: timeout)
    }

    /// Creates a topic through the Admin API. Brokers that do not support it (librdkafka's
    /// embedded mock cluster among them) answer with an error, which is thrown; use
    /// ``EmbeddedCluster/createTopic(_:partitions:replicationFactor:)`` there.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1,
                            config: [String: String] = [:], timeout: Duration = .seconds(30)) throws(KafkaError) {
        let context = "creating topic \(name)"
        var reason = [CChar](repeating: 0, count: 512)
        guard let newTopic = rd_kafka_NewTopic_new(name, Int32(partitions), Int32(replicationFactor),
                                                   &reason, reason.count) else {
            throw KafkaError.invalidArgument(string(reason), context: context)
        }
        defer { rd_kafka_NewTopic_destroy(newTopic) }
        for (key, value) in config {
            try check(rd_kafka_NewTopic_set_config(newTopic, key, value), context)
        }
        let queue = rd_kafka_queue_new(handle.pointer)!
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(handle.pointer, RD_KAFKA_ADMIN_OP_CREATETOPICS)!
        defer { rd_kafka_AdminOptions_destroy(options) }
        rd_kafka_AdminOptions_set_operation_timeout(options, milliseconds(timeout), &reason, reason.count)
        var topics: [OpaquePointer?] = [newTopic]
        rd_kafka_CreateTopics(handle.pointer, &topics, 1, options, queue)

        // The request timeout librdkafka applies is the same as the operation timeout; wait a
        // little longer so its own timeout error is the one that surfaces.
        guard let event = rd_kafka_queue_poll(queue, milliseconds(timeout + .seconds(5))) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: context)
        }
        defer { rd_kafka_event_destroy(event); handle.drainLogs() }
        if rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR {
            throw KafkaError(rd_kafka_event_error(event), message: String(cString: rd_kafka_event_error_string(event)),
                             context: context)
        }
        var count = 0
        guard let result = rd_kafka_event_CreateTopics_result(event),
              let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let err = rd_kafka_topic_result_error(results[i])
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                let text = rd_kafka_topic_result_error_string(results[i]).map { String(cString: $0) }
                throw KafkaError(err, message: text, context: context)
            }
        }
    }
}
