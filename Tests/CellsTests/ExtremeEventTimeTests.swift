import Foundation
import Testing

/// Issue 9's first reproduction, as a user meets it: the shipped windows notebook over a real
/// broker, with one valid record whose event time (-9223372036854 s) has no representable
/// one-minute window. The run must end normally, say the record was dropped, and count the
/// others as before.
@Suite(.serialized) struct ExtremeEventTimeTests {
    @Test func windowsNotebookDropsAndCountsARecordWithoutAWindow() throws {
        let broker = try BrokerChild(topics: ["wtest"])
        defer { broker.stop() }
        let messages = try load(schema: "extended", seed: 9, count: 400, topic: "wtest", into: broker)
        let extreme = temporaryPath("extreme.jsonl")
        defer { try? FileManager.default.removeItem(atPath: extreme) }
        try (#"{"card_brand":"Visa","amount":1,"event_time":-9223372036854}"# + "\n").write(toFile: extreme, atomically: true, encoding: .utf8)
        #expect(try kcat(["-b", broker.bootstrap, "-P", "-t", "wtest", "-l", extreme]).status == 0)

        let run = try Child(cellsExecutable.path, ["run", notebookPath("windows.cells"), "--all", "--trigger", "available-now"],
                            environment: ["KAFKA_BOOTSTRAP": broker.bootstrap, "CELLS_TOPIC": "wtest"]).finish(timeout: .seconds(120))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("batch 0: 401 rows"), "every record was read")
        #expect(run.stdout.contains("1 rows with event times out of window range dropped"))

        // Update mode prints each changed (window, brand) row; the last printed one is its value.
        var last: [String: Int] = [:]
        for chunk in run.stdout.components(separatedBy: "\nBatch: ").dropFirst() {
            let rows = chunk.split(separator: "\n").filter { $0.hasPrefix("|") }.map { line in
                line.dropFirst().dropLast().split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            }
            for row in rows.dropFirst() where row.count == 5 { last[row[0] + " " + row[2]] = Int(row[3]) }
        }
        // Independently: brands counted from the seeded messages (the extreme record is in none).
        var perBrand: [String: Int] = [:]
        for object in messages { perBrand[try #require(object["card_brand"] as? String), default: 0] += 1 }
        var printedPerBrand: [String: Int] = [:]
        for (key, count) in last { printedPerBrand[String(key.split(separator: " ").last!), default: 0] += count }
        #expect(printedPerBrand == perBrand)
        #expect(last.keys.allSatisfy { !$0.hasPrefix("-") }, "no window for the extreme record")
    }
}
