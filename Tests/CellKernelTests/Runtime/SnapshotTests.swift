@testable import CellKernel
import Foundation
import KafkaBridge
import Testing

/// Aggregation state survives a snapshot: run part of a stream, turn the state into bytes,
/// restore it into a fresh engine, run the rest, and get what one uninterrupted run gets.
@Suite struct SnapshotTests {
    static let schema = Schema([.init(name: "k", type: .string), .init(name: "v", type: .double),
                                .init(name: "s", type: .string), .init(name: "n", type: .bigint)])

    /// Rows `range` of a deterministic table: 7 keys, some NULLs, repeating strings.
    static func rows(_ range: Range<Int>) -> Batch {
        var k = Column(type: .string), v = Column(type: .double), s = Column(type: .string), n = Column(type: .bigint)
        for i in range {
            k.append(i % 11 == 0 ? .null : .string("key\(i % 7)"))
            v.append(i % 13 == 0 ? .null : .double(Double(i % 101) * 0.37 - 9))
            s.append(i % 17 == 0 ? .null : .string("s\(i * 7919 % 230)"))
            n.append(.int(Int64(i % 50) - 20))
        }
        return Batch(schema: schema, columns: [k, v, s, n])
    }

    static let keys: [BoundExpression] = [.column(0, .string)]
    static let aggregates = [
        AggregateSpec(.countAll, nil), AggregateSpec(.count, .column(1, .double)), AggregateSpec(.sum, .column(1, .double)),
        AggregateSpec(.avg, .column(1, .double)), AggregateSpec(.min, .column(2, .string)), AggregateSpec(.max, .column(2, .string)),
        AggregateSpec(.min, .column(1, .double)), AggregateSpec(.max, .column(3, .bigint)), AggregateSpec(.sum, .column(3, .bigint)),
        AggregateSpec(.countDistinct, .column(2, .string)), AggregateSpec(.approxCountDistinct, .column(2, .string)),
    ]

    @Test func restoredAggregationFinishesLikeAnUninterruptedOne() throws {
        var whole = HashAggregation(keys: Self.keys, aggregates: Self.aggregates)
        whole.add(Self.rows(0..<3_000))
        whole.add(Self.rows(3_000..<6_000))

        var first = HashAggregation(keys: Self.keys, aggregates: Self.aggregates)
        first.add(Self.rows(0..<3_000))
        let bytes = first.snapshot(columnNames: ["k", "v", "s", "n"]).bytes
        var second = try HashAggregation(restoring: try StateSnapshot(bytes: bytes), keys: Self.keys,
                                         aggregates: Self.aggregates, columnNames: ["k", "v", "s", "n"])
        #expect(second.groupCount == first.groupCount)
        #expect(second.allGroups().map(\.values) == first.allGroups().map(\.values))
        second.add(Self.rows(3_000..<6_000))

        let expected = whole.allGroups().map(\.values)
        #expect(expected[0].count == 8, "7 keys and NULL")
        #expect(second.allGroups().map(\.values) == expected)
        // Same state, same bytes: the format is deterministic.
        #expect(second.snapshot().bytes == whole.snapshot().bytes)
    }

    @Test func globalAggregateAndEmptyStateRoundTrip() throws {
        let aggregates = [AggregateSpec(.countAll, nil), AggregateSpec(.avg, .column(1, .double))]
        let empty = HashAggregation(keys: [], aggregates: aggregates)
        var restored = try HashAggregation(restoring: try StateSnapshot(bytes: empty.snapshot().bytes), keys: [], aggregates: aggregates)
        #expect(restored.allGroups().map(\.values) == [[.int(0)], [.null]])
        restored.add(Self.rows(0..<10))
        var sum = 0.0
        for i in 1..<10 { sum += Double(i) * 0.37 - 9 }  // row 0 has a NULL v
        let values: [[Value]] = restored.allGroups().map(\.values)
        #expect(values[0] == [.int(10)])
        guard case .double(let mean) = values[1][0] else { Issue.record("avg is not a double"); return }
        #expect(abs(mean - sum / 9) < 1e-12)
    }

    // MARK: Damaged and foreign snapshots

    func sampleBytes() -> [UInt8] {
        var aggregation = HashAggregation(keys: Self.keys, aggregates: Self.aggregates)
        aggregation.add(Self.rows(0..<500))
        var snapshot = aggregation.snapshot()
        snapshot.offsets = SourceOffsets(["t/0": 42, "t/1": 7])
        snapshot.watermark = 1_000_000
        return snapshot.bytes
    }

    @Test func bytesRoundTripEveryField() throws {
        let bytes = sampleBytes()
        let snapshot = try StateSnapshot(bytes: bytes)
        #expect(snapshot.offsets == SourceOffsets(["t/0": 42, "t/1": 7]))
        #expect(snapshot.watermark == 1_000_000 && snapshot.maxEventTime == .min && snapshot.nextBatchId == 0)
        #expect(snapshot.bytes == bytes)
    }

    @Test func truncatedBytesSayTruncated() {
        let bytes = sampleBytes()
        for cut in [bytes.count - 1, bytes.count / 2, 20] {
            #expect {
                _ = try StateSnapshot(bytes: Array(bytes.prefix(cut)))
            } throws: { error in
                guard case SnapshotError.truncated(let what, _, _) = error else { return false }
                return what == "the snapshot"
            }
        }
        #expect(throws: SnapshotError.truncated(what: "length", offset: 10, needed: 8)) { try StateSnapshot(bytes: Array(bytes.prefix(12))) }
    }

    @Test func changedBytesSayCorrupt() {
        var bytes = sampleBytes()
        bytes[bytes.count / 2] ^= 0x40
        #expect(throws: SnapshotError.corrupt("checksum mismatch (the bytes were changed after they were written)")) {
            try StateSnapshot(bytes: bytes)
        }
        #expect(throws: SnapshotError.notASnapshot) { try StateSnapshot(bytes: Array("{\"json\": true}".utf8)) }
        #expect(throws: SnapshotError.notASnapshot) { try StateSnapshot(bytes: []) }
        var future = sampleBytes()
        future[8] = 9
        #expect(throws: SnapshotError.unsupportedVersion(found: 9, supported: StateSnapshot.formatVersion)) { try StateSnapshot(bytes: future) }
    }

    @Test func damagedGroupStateWithAValidChecksumIsCorruptNotACrash() throws {
        var aggregation = HashAggregation(keys: Self.keys, aggregates: Self.aggregates)
        aggregation.add(Self.rows(0..<100))
        let good = aggregation.snapshot()
        // Drop the tail of the group state, or claim an absurd group count: the checksum is
        // recomputed by `bytes`, so only the structural checks can catch these.
        var cut = good
        cut.groupState.removeLast(5)
        #expect {
            _ = try HashAggregation(restoring: try StateSnapshot(bytes: cut.bytes), keys: Self.keys, aggregates: Self.aggregates)
        } throws: { error in
            if case SnapshotError.truncated = error { return true }
            return false
        }
        var huge = good
        huge.groupState.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(throws: SnapshotError.self) {
            _ = try HashAggregation(restoring: try StateSnapshot(bytes: huge.bytes), keys: Self.keys, aggregates: Self.aggregates)
        }
    }

    @Test func snapshotOfAnotherQueryIsRejected() throws {
        let snapshot = try StateSnapshot(bytes: sampleBytes())
        let otherAggregates = [AggregateSpec(.countAll, nil), AggregateSpec(.sum, .column(3, .bigint))]
        #expect {
            _ = try HashAggregation(restoring: snapshot, keys: Self.keys, aggregates: otherAggregates)
        } throws: { error in
            guard case SnapshotError.incompatible(let what) = error else { return false }
            return what.contains("sum(#3 BIGINT) BIGINT") && what.contains("count(DISTINCT") == false
        }
        #expect(throws: SnapshotError.self) {
            _ = try HashAggregation(restoring: snapshot, keys: [.column(2, .string)], aggregates: Self.aggregates)
        }
    }
}

/// The same through whole queries: file and Kafka sources, windows, the watermark.
@Suite struct QuerySnapshotTests {
    static func line(_ i: Int) -> String {
        // Event time moves forward 7 s a row; every 9th row is 4 minutes late.
        let seconds = 1_704_067_200 + i * 7 - (i % 9 == 0 ? 240 : 0)
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
        let brands = ["Visa", "Mastercard", "Elo", "Amex", "Hipercard"]
        return #"{"event_time":"\#(time)","card_brand":"\#(brands[i * 31 % 5])","amount":\#(Double(i % 40) * 0.25 + 1)}"# + "\n"
    }

    static let view = """
        CREATE VIEW per_minute AS
          SELECT window(event_time, '1 minute').start AS minute, count(*) AS n, sum(amount) AS total,
            avg(amount) AS mean, min(card_brand) AS first_brand, max(amount) AS top,
            count(DISTINCT card_brand) AS brands, approx_count_distinct(card_brand) AS approx
          FROM tx GROUP BY window(event_time, '1 minute');
        """

    func query(file: String, view: String = Self.view) throws -> (CellSession, StreamingQuery) {
        let session = CellSession(output: { _ in })
        try session.run(script: """
            CREATE SOURCE f USING file OPTIONS ('path' = '\(file)');
            CREATE STREAM tx FROM f FORMAT json SCHEMA (event_time TIMESTAMP, card_brand STRING, amount DOUBLE)
              WATERMARK event_time DELAY '1 minute';
            \(view)
            """)
        return (session, try session.prepare(start: "START per_minute OUTPUT MODE update"))
    }

    func temporaryFile(_ text: String) throws -> String {
        try ScratchFile.create(text, prefix: "cells-snap")
    }

    func append(_ text: String, to path: String) throws {
        try ScratchFile.append(text, to: path)
    }

    @Test func fileQueryResumesFromBytesWithWindowsAndWatermark() throws {
        // Three batches; the snapshot is taken after the second, when the watermark has
        // already closed (and evicted) windows and late rows have been dropped.
        let parts = [0..<300, 300..<550, 550..<800].map { $0.map(Self.line).joined() }
        let wholeFile = try temporaryFile(parts[0]), splitFile = try temporaryFile(parts[0])
        defer { try? FileManager.default.removeItem(atPath: wholeFile); try? FileManager.default.removeItem(atPath: splitFile) }

        // Uninterrupted: three batches on one query.
        let (_, whole) = try query(file: wholeFile)
        _ = try #require(try whole.runBatch())
        try append(parts[1], to: wholeFile)
        _ = try #require(try whole.runBatch())
        try append(parts[2], to: wholeFile)
        let wholeLast = try #require(try whole.runBatch())

        // Interrupted: two batches, a snapshot as bytes, then a fresh session restores it.
        let (_, before) = try query(file: splitFile)
        _ = try #require(try before.runBatch())
        try append(parts[1], to: splitFile)
        let second = try #require(try before.runBatch())
        #expect(second.numLateRows > 0, "rows of closed windows were dropped before the snapshot")
        #expect(second.numStateRows < 45, "closed windows were evicted before the snapshot")
        let bytes = before.snapshot().bytes
        before.stop()
        try append(parts[2], to: splitFile)
        let (_, after) = try query(file: splitFile)
        try after.restore(from: try StateSnapshot(bytes: bytes))
        let last = try #require(try after.runBatch())

        #expect(last.batchId == 2 && wholeLast.batchId == 2)
        #expect(last.numInputRows == 250, "only the last part is read")
        #expect(last.numLateRows == wholeLast.numLateRows && last.numLateRows > 0)
        #expect(last.numStateRows == wholeLast.numStateRows)
        #expect(last.watermark == wholeLast.watermark && last.watermark != nil)
        let expected = try #require(whole.aggregation?.allGroups().map(\.values))
        #expect(expected[0].count == last.numStateRows)
        #expect(after.aggregation?.allGroups().map(\.values) == expected)
        #expect(after.snapshot().groupState == whole.snapshot().groupState)
        #expect(after.snapshot().watermarkMoved == whole.snapshot().watermarkMoved)
        whole.stop(); after.stop()
    }

    @Test func aSnapshotOfAnotherViewIsRejectedAndChangesNothing() throws {
        let file = try temporaryFile((0..<50).map(Self.line).joined())
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (_, source) = try query(file: file)
        _ = try source.runBatch()
        let snapshot = source.snapshot()
        let (_, other) = try query(file: file, view: """
            CREATE VIEW per_minute AS SELECT card_brand, count(*) AS n FROM tx GROUP BY card_brand;
            """)
        #expect {
            try other.restore(from: snapshot)
        } throws: { error in
            guard case SnapshotError.incompatible(let what) = error else { return false }
            return what.contains("card_brand STRING") && what.contains("window")
        }
        #expect(other.source.offsets == SourceOffsets(), "a rejected snapshot does not move the source")
    }

    @Test func kafkaQueryResumesMidStreamThroughAnEmbeddedBroker() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("tx", partitions: 3)
        let values = (0..<600).map { Array(Self.line($0).dropLast().utf8) as [UInt8]? }
        let keys = (0..<600).map { Array("card\($0 % 37)".utf8) as [UInt8]? }
        func session() throws -> (CellSession, StreamingQuery) {
            let session = CellSession(output: { _ in })
            try session.run(script: """
                CREATE SOURCE k USING kafka OPTIONS ('kafka.bootstrap.servers' = '\(cluster.bootstrapServers)',
                  'subscribe' = 'tx', 'startingOffsets' = 'earliest');
                CREATE STREAM tx FROM k FORMAT json SCHEMA (event_time TIMESTAMP, card_brand STRING, amount DOUBLE);
                CREATE VIEW per_brand AS SELECT card_brand, count(*) AS n, sum(amount) AS total, avg(amount) AS mean,
                  max(event_time) AS latest, count(DISTINCT partition) AS partitions
                  FROM tx GROUP BY card_brand;
                """)
            return (session, try session.prepare(start: "START per_brand OUTPUT MODE complete"))
        }
        try send(Array(values[..<250]), keys: Array(keys[..<250]), to: "tx", on: cluster.bootstrapServers)
        let (_, before) = try session()
        #expect(try before.runBatch()?.numInputRows == 250)
        let bytes = before.snapshot().bytes
        before.stop()
        #expect(try StateSnapshot(bytes: bytes).offsets.next.values.reduce(0, +) == 250)

        try send(Array(values[250...]), keys: Array(keys[250...]), to: "tx", on: cluster.bootstrapServers)
        let (afterSession, after) = try session()
        try after.restore(from: try StateSnapshot(bytes: bytes))
        #expect(try after.runBatch()?.numInputRows == 350, "the restored query reads only what came after the snapshot")
        #expect(try after.runBatch() == nil)

        let (wholeSession, whole) = try session()
        #expect(try whole.runBatch()?.numInputRows == 600)
        let resumed = try #require(afterSession.table("per_brand")?.sortedRows)
        #expect(resumed.count == 5)
        #expect(resumed == wholeSession.table("per_brand")?.sortedRows)
        after.stop(); whole.stop()
    }
}
