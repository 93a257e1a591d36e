import CellKernel
import Foundation
import Synchronization
import Testing
import TransactionGenerator

/// The Spark Connect server the live tests use: `make test` starts one and sets this
/// (scripts/spark-connect.sh); without it those tests are skipped.
let sparkRemote = ProcessInfo.processInfo.environment["CELLS_SPARK_REMOTE"].flatMap { $0.isEmpty ? nil : $0 }

/// Everything a session printed, in order.
final class Transcript: Sendable {
    private let text = Mutex("")
    var output: @Sendable (String) -> Void { { [self] line in text.withLock { $0 += line } } }
    var value: String { text.withLock { $0 } }
}

/// The repository's notebooks folder.
let notebooksFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("notebooks")

/// A fresh folder under the temporary directory, removed by the caller.
func scratchFolder(_ name: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cells-spark-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// `count` seeded transactions as JSON lines in `folder/part-0.jsonl`, `gapMillis` apart in
/// event time from a fixed instant: what `cells produce` would have sent to Kafka.
func writeTransactions(_ count: Int, schema: TransactionSchema, seed: UInt64, gapMillis: Int64, into folder: URL) throws {
    var generator = CardTransactionGenerator(schema: schema, seed: seed)
    var key: [UInt8] = [], value: [UInt8] = []
    var bytes: [UInt8] = []
    for i in 0..<count {
        generator.next(eventTimeMillis: 1_764_000_000_000 + Int64(i) * gapMillis, key: &key, value: &value)
        bytes += value
        bytes.append(0x0A)
    }
    try Data(bytes).write(to: folder.appendingPathComponent("part-0.jsonl"))
}

/// A notebook rewritten to read files: its Kafka source becomes a file source of the same
/// name over `folder`, and a START that writes to Kafka prints to the console instead; every
/// other line stays as written.
func overFiles(_ notebook: String, folder: URL) throws -> String {
    let source = try Regex(#"CREATE SOURCE (\w+) USING kafka OPTIONS \((?s:.*?)\);"#)
    var text = notebook.replacing(source) { match in
        "CREATE SOURCE \(match.output[1].substring ?? "") USING file OPTIONS ('path' = '\(folder.path)');"
    }
    let kafkaSink = try Regex(#"USING kafka OPTIONS \((?s:.*?)\);"#)
    text = text.replacing(kafkaSink) { _ in "USING console OPTIONS ('numRows' = '1000');" }
    return text
}

/// A table's rows as text, sorted, with doubles to 9 significant digits: two engines' tables
/// compare equal when they hold the same rows, whatever their order and float rounding.
func normalizedRows(_ batch: Batch) -> [String] {
    (0..<batch.count).map { row in
        batch.columns.map { column -> String in
            switch column.value(at: row) {
            case .double(let value): String(format: "%.9g", value)
            case let other: "\(other)"
            }
        }.joined(separator: " | ")
    }.sorted()
}
