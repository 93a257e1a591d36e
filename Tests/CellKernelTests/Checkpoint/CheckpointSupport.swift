@testable import CellKernel
import Foundation
import Synchronization
import Testing

/// A temporary folder per test, for the data files, the checkpoint locations and the sinks'
/// folders; removed when the test is done with it.
final class CheckpointScratch {
    let root: String

    init() throws {
        root = NSTemporaryDirectory() + "cells-chk-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { "\(root)/\(name)" }

    /// Writes `text` to a new file `name` and returns its path.
    @discardableResult
    func write(_ text: String, to name: String) throws -> String {
        let file = path(name)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func append(_ text: String, to file: String) throws {
        try ScratchFile.append(text, to: file)
    }

    /// The files of a folder, sorted by name.
    /// The data files of a folder: not a sink's `_cells_metadata` log or hidden files.
    func files(in folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix("_") && !$0.hasPrefix(".") }.sorted()
    }

    /// The text of every file of a sink's folder, in file name order (a file per batch).
    func sinkText(_ folder: String) throws -> String {
        try files(in: folder).filter { !$0.hasPrefix(".") }
            .map { try String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8) }.joined()
    }
}

/// Transaction lines: event time 7 s apart (every 9th four minutes late, so the watermark
/// drops some), five brands, amounts that are multiples of 0.25 (exact sums in any order).
enum Transactions {
    static let brands = ["Visa", "Mastercard", "Elo", "Amex", "Hipercard"]

    static func line(_ i: Int) -> String {
        let seconds = 1_704_067_200 + i * 7 - (i % 9 == 0 ? 240 : 0)
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        return #"{"event_time":"\#(time)","card_brand":"\#(brand(i))","amount":\#(amount(i))}"# + "\n"
    }

    static func brand(_ i: Int) -> String { brands[i * 31 % 5] }
    static func amount(_ i: Int) -> Double { Double(i % 40) * 0.25 + 1 }

    static func lines(_ range: Range<Int>) -> String { range.map(line).joined() }

    /// Count and total per brand of rows `rows` that pass `filter`: what a GROUP BY
    /// card_brand with count(*) and sum(amount) holds, as ``Batch/sortedRows`` prints it.
    static func perBrand(_ rows: [Int], where filter: (Int) -> Bool = { _ in true }) -> [[String]] {
        var counts: [String: Int] = [:], totals: [String: Double] = [:]
        for i in rows where filter(i) {
            counts[brand(i), default: 0] += 1
            totals[brand(i), default: 0] += amount(i)
        }
        return counts.keys.sorted().map { [$0, "\(counts[$0]!)", "\(totals[$0]!)"] }
    }

    static let schema = "(event_time TIMESTAMP, card_brand STRING, amount DOUBLE)"
}

/// A notebook's statements over one file source: built again from the same text for every
/// run, as a restarted process would.
struct CheckpointNotebook {
    var file: String
    /// `maxOffsetsPerTrigger` of the file source, so that batches end at fixed bytes.
    var maxBytes: Int?
    var view: String
    var start: String
    var viewName = "v"

    var script: String {
        let limit = maxBytes.map { ", 'maxOffsetsPerTrigger' = '\($0)'" } ?? ""
        return """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)'\(limit));
            CREATE STREAM tx FROM f FORMAT json SCHEMA \(Transactions.schema) WATERMARK event_time DELAY '1 minute';
            \(view)
            """
    }

    /// A fresh session and its query, not yet attached to a checkpoint.
    func open() throws -> (session: CellSession, query: StreamingQuery, transcript: Transcript) {
        let transcript = Transcript()
        let session = CellSession(environment: [:], output: transcript.output)
        try session.run(script: script)
        return (session, try session.prepare(start: start), transcript)
    }

    /// A fresh session and its query attached to `location`, with what the attach found.
    func open(location: String) throws -> (session: CellSession, query: StreamingQuery, resumption: StreamingQuery.Resumption?) {
        let (session, query, _) = try open()
        do {
            let resumed = try query.attachCheckpoint(at: location)
            // These tests name a stateful query's state files by batch (`state/N.full`): a
            // full file every batch keeps the names fixed. Deltas are covered by
            // StateDeltaTests, the crash campaigns and the stateless chains here.
            if !query.statefulOperators.isEmpty { query.checkpoint?.fullEvery = 1 }
            return (session, query, resumed)
        } catch {
            query.stop()
            throw error
        }
    }
}

/// Runs batches until the source has nothing new and nothing is pending.
@discardableResult
func drain(_ query: StreamingQuery, limit: Int = 10_000) throws -> [BatchProgress] {
    var done: [BatchProgress] = []
    while done.count < limit, let progress = try query.runBatch() { done.append(progress) }
    return done
}

/// Runs `count` batches, each of which must find something to do.
@discardableResult
func run(_ query: StreamingQuery, batches count: Int) throws -> [BatchProgress] {
    var done: [BatchProgress] = []
    for _ in 0..<count { done.append(try #require(try query.runBatch())) }
    return done
}

/// A session's output as values: tables and lines.
final class EventLog: Sendable {
    private let events = Mutex<[SessionOutput]>([])
    var sink: @Sendable (SessionOutput) -> Void { { [self] event in events.withLock { $0.append(event) } } }
    var all: [SessionOutput] { events.withLock { $0 } }
    var text: String { all.map(\.text).joined() }
    var tables: [ResultTable] { all.compactMap { if case .table(let t) = $0 { t } else { nil } } }
}

/// Whether `body` throws a ``CheckpointError`` that `check` accepts; records what it threw otherwise.
func expectCheckpointError(_ body: () throws -> Void, _ check: (CheckpointError) -> Bool,
                           sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    do {
        try body()
        Issue.record("no error was thrown", sourceLocation: sourceLocation)
    } catch let error as CheckpointError {
        #expect(check(error), "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("not a CheckpointError: \(type(of: error)) \(error)", sourceLocation: sourceLocation)
    }
}

/// The state file of `batch` in a checkpoint location, full or delta, whichever was written.
func stateFile(_ location: String, _ batch: Int) -> String {
    let full = "\(location)/state/\(batch).full"
    return FileManager.default.fileExists(atPath: full) ? full : "\(location)/state/\(batch).delta"
}
