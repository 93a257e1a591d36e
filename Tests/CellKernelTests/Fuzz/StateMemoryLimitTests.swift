@testable import CellKernel
import Foundation
import Testing

/// A query whose state outgrows its limit stops with an error naming the view, the estimate,
/// the limit and the option that raises it.
@Suite struct StateMemoryLimitTests {
    /// 20,000 records, each its own group (and its own DISTINCT value).
    func session(_ limit: String? = nil) throws -> (CellSession, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cells-state-\(UUID().uuidString).jsonl").path
        let lines = (0..<20_000).map { #"{"k":"key-\#($0)","n":\#($0)}"# }
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let session = CellSession(environment: [:], output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM e FROM f FORMAT json SCHEMA (k STRING, n BIGINT);
            CREATE VIEW per_key AS SELECT k, count(*) AS c, sum(n) AS total FROM e GROUP BY k;
            CREATE VIEW distinct_keys AS SELECT count(DISTINCT k) AS c FROM e;
            """)
        return (session, file)
    }

    @Test func groupsOverTheLimitStopTheQuery() throws {
        let (session, file) = try session()
        defer { try? FileManager.default.removeItem(atPath: file) }
        do {
            try session.run(script: "START per_key TRIGGER ONCE USING memory OPTIONS ('cells.stateMemoryLimit' = '256k');")
            Issue.record("the query ran over its limit")
        } catch {
            guard case .runtime = error.kind else { Issue.record("\(error)"); return }
            #expect(error.message.contains("the state of per_key holds about"), "\(error.message)")
            #expect(error.message.contains("(20000 groups)"), "\(error.message)")
            #expect(error.message.contains("over its limit of 256.0 KiB"), "\(error.message)")
            #expect(error.message.contains("'cells.stateMemoryLimit' = '4g'"), "\(error.message)")
        }
        // The same query within a larger limit, and within the default, computes every group.
        try session.run(script: "START per_key TRIGGER ONCE USING memory OPTIONS ('cells.stateMemoryLimit' = '64m');")
        #expect(session.table("per_key")?.count == 20_000)
        try session.run(script: "START per_key TRIGGER ONCE;")
        #expect(session.table("per_key")?.count == 20_000)
    }

    @Test func distinctSetsCountTowardTheLimit() throws {
        let (session, file) = try session()
        defer { try? FileManager.default.removeItem(atPath: file) }
        // One group, 20,000 distinct values: about 1.6 MB of set entries.
        session.stateMemoryLimit = StateMemoryLimit(bytes: 1 << 20)
        do {
            try session.run(script: "START distinct_keys TRIGGER ONCE;")
            Issue.record("the query ran over its limit")
        } catch {
            #expect(error.message.contains("the state of distinct_keys holds about"), "\(error.message)")
            #expect(error.message.contains("(1 groups)"), "\(error.message)")
        }
        session.stateMemoryLimit = StateMemoryLimit(bytes: 64 << 20)
        try session.run(script: "START distinct_keys TRIGGER ONCE;")
        #expect(session.table("distinct_keys")?.columns.first?.value(at: 0) == .int(20_000))
    }

    @Test func badLimitIsAStatementErrorAtTheValue() throws {
        let (session, file) = try session()
        defer { try? FileManager.default.removeItem(atPath: file) }
        for value in ["lots", "-1m", "0", "12q", "99999999999t"] {
            do {
                try session.run(script: "START per_key TRIGGER ONCE USING memory OPTIONS ('cells.stateMemoryLimit' = '\(value)');")
                Issue.record("\(value) accepted")
            } catch {
                guard case .sql(let sql) = error.kind else { Issue.record("\(error)"); continue }
                #expect(sql.message == "'\(value)' is not a size for cells.stateMemoryLimit")
                // At the value's opening quote.
                #expect(sql.location.column == 77, "\(value)")
            }
        }
    }

    @Test func sizesParseAsSparkWritesThem() {
        #expect(StateMemoryLimit(parsing: "512m")?.bytes == 512 << 20)
        #expect(StateMemoryLimit(parsing: "2G")?.bytes == 2 << 30)
        #expect(StateMemoryLimit(parsing: "1024kb")?.bytes == 1 << 20)
        #expect(StateMemoryLimit(parsing: "1048576")?.bytes == 1 << 20)
        #expect(StateMemoryLimit(parsing: "1.5g") == nil)
        #expect(StateMemoryLimit.default.bytes > 0 && StateMemoryLimit.default.bytes <= 2 << 30)
    }
}
