@testable import CellKernel
import Foundation
import KafkaBridge
import Synchronization
import Testing

/// Collects what a session prints.
final class Transcript: Sendable {
    private let text = Mutex("")
    var output: @Sendable (String) -> Void { { [self] line in text.withLock { $0 += line } } }
    var value: String { text.withLock { $0 } }
}

/// The repository's notebooks folder.
let notebooksFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("notebooks")

/// Sends `values` to `topic`, each with its key, and waits until all are delivered.
func send(_ values: [[UInt8]?], keys: [[UInt8]?]? = nil, to topic: String, on bootstrap: String, partition: Int32? = nil) throws {
    let producer = try KafkaProducer(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap, "message.max.bytes": "3000000"]))
    for (i, value) in values.enumerated() {
        try producer.send(topic: topic, key: keys?[i], value: value, partition: partition)
    }
    try producer.flush(timeout: .seconds(30))
    #expect(producer.statistics.delivered == values.count)
}

extension Batch {
    /// Rows as text cells, sorted: for comparisons that do not depend on group order.
    var sortedRows: [[String]] {
        (0..<count).map { row in columns.map { $0.value(at: row).description } }.sorted { $0.joined(separator: "|") < $1.joined(separator: "|") }
    }
}
