@testable import CellKernel
import Foundation
import KafkaBridge
import Synchronization
import Testing

/// The Kafka sink attached to a checkpoint, against the embedded cluster over TCP: a batch
/// written again (after a crash, in another row order, with other last bits of a DOUBLE)
/// leaves each of its rows in the topic once, as a `read_committed` reader sees it.
///
/// The crash is simulated the way it looks from outside: the stage file on disk and some of
/// the batch's records in the topic, sent by a transactional producer of the sink's id that
/// then went away without committing. librdkafka 2.0.2's mock cluster keeps such records
/// visible (it ignores aborts), which is the case the sink's read-back exists for.
@Suite(.serialized) struct KafkaSinkCheckpointTests {
    /// A batch of rows `(k, n, x)`: `k` = "k<n % 3>", `x` = n / 10.
    static func batch(_ id: Int64, _ values: [Int64], x: ((Int64) -> Double)? = nil) -> ResultBatch {
        var k = Column(type: .string, capacity: values.count)
        var n = Column(type: .bigint, capacity: values.count)
        var d = Column(type: .double, capacity: values.count)
        for value in values {
            k.append("k\(value % 3)")
            n.append(value)
            d.append(x?(value) ?? Double(value) / 10)
        }
        return ResultBatch(batchId: id, schema: Schema([.init(name: "k", type: .string), .init(name: "n", type: .bigint),
                                                        .init(name: "x", type: .double)]),
                           columns: [k, n, d], mode: .append, keyColumns: [])
    }

    /// A fresh folder for one test's checkpoint.
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cells-kafkasink-ckpt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func sink(_ cluster: EmbeddedCluster, topic: String = "out", folder: String, identity: String,
                     lastCommitted: Int64? = nil) throws -> KafkaSink {
        let sink = try KafkaSink(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "topic": topic, "key": "k"])
        try sink.attach(SinkCheckpoint(folder: folder, identity: identity, lastCommitted: lastCommitted))
        return sink
    }

    /// Every record of `topic` a `read_committed` consumer reads.
    static func readCommitted(_ topic: String, from bootstrap: String) throws -> [KafkaRecord] {
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(["bootstrap.servers": bootstrap,
                                                                            "isolation.level": "read_committed"]))
        let partitions = try consumer.assign(topic: topic, from: .beginning)
        var ended = Set<Int32>()
        var records: [KafkaRecord] = []
        let deadline = ContinuousClock.now + .seconds(20)
        while ended.count < partitions.count, ContinuousClock.now < deadline {
            let batch = try consumer.poll(timeout: .milliseconds(200))
            records += batch.records
            batch.reachedEnd.forEach { ended.insert($0.partition) }
        }
        #expect(ended.count == partitions.count, "read \(records.count) records; ended \(ended.sorted())")
        return records
    }

    /// The `n` of each record's JSON value, sorted: the multiset of rows in the topic.
    static func numbers(_ records: [KafkaRecord]) -> [Int64] {
        records.compactMap { record -> Int64? in
            guard let value = record.value,
                  let object = try? JSONSerialization.jsonObject(with: Data(value)) as? [String: Any] else { return nil }
            return (object["n"] as? NSNumber)?.int64Value
        }.sorted()
    }

    static func header(_ record: KafkaRecord, _ name: String) -> String? {
        record.headers.first { $0.name == name }?.value.map { String(decoding: $0, as: UTF8.self) }
    }

    /// High watermarks of every partition of `topic`.
    static func highWatermarks(_ topic: String, on cluster: EmbeddedCluster) throws -> [Int32: Int64] {
        let consumer = try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        var marks: [Int32: Int64] = [:]
        for partition in try consumer.partitions(of: topic) {
            marks[partition] = try consumer.watermarks(topic: topic, partition: partition).high
        }
        return marks
    }

    /// What a run that crashed in the middle of batch `result` left: its stage on disk, and the
    /// stage's rows at `sent` in the topic, from a transactional producer of the sink's id
    /// that is gone without committing (or, with `commit`, gone right after committing).
    static func crashedAttempt(_ result: ResultBatch, sent: [Int], cluster: EmbeddedCluster, topic: String = "out",
                               folder: String, identity: String, commit: Bool = false) throws -> KafkaStage {
        let stage = KafkaStage(encoding: result, keyIndex: 0, identity: identity, topic: topic,
                               highWatermarks: try highWatermarks(topic, on: cluster))
        try DurableFile.write(stage.bytes, to: folder + "/\(result.batchId)")
        let producer = try KafkaProducer(configuration: KafkaConfiguration([
            "bootstrap.servers": cluster.bootstrapServers, "transactional.id": KafkaSink.transactionalID(for: identity)]))
        try producer.initTransactions(timeout: .seconds(10))
        try producer.beginTransaction()
        for index in sent {
            let row = stage.rows[index]
            let key = Array(stage.bytes[row.keyStart..<(row.keyStart + row.keyCount)])
            let value = Array(stage.bytes[row.valueStart..<(row.valueStart + row.valueCount)])
            try producer.send(topic: topic, key: key, value: value, headers: [
                KafkaHeader(name: "cells.query", value: identity), KafkaHeader(name: "cells.batch", value: "\(result.batchId)"),
                KafkaHeader(name: "cells.row", value: "\(index)")])
        }
        if commit {
            try producer.commitTransaction(timeout: .seconds(10))
        } else {
            try producer.flush(timeout: .seconds(10))
        }
        return stage
    }

    @Test("an attached sink commits each batch in a transaction: every row once, keyed, with the query, batch and row headers")
    func commitsWithHeaders() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 3)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = try Self.sink(cluster, folder: folder, identity: "q-headers")
        #expect(sink.guarantee == .exactlyOnce)
        try sink.write(Self.batch(0, Array(0..<10)), stop: { false })
        #expect(FileManager.default.fileExists(atPath: folder + "/0"), "the batch is staged until the checkpoint commits it")
        sink.committed(0)
        #expect(!FileManager.default.fileExists(atPath: folder + "/0"))
        try sink.write(Self.batch(1, Array(10..<15)), stop: { false })
        sink.committed(1)

        let records = try Self.readCommitted("out", from: cluster.bootstrapServers)
        #expect(Self.numbers(records) == Array(0..<15))
        for record in records {
            let n = try #require(Self.numbers([record]).first)
            #expect(record.key.map { String(decoding: $0, as: UTF8.self) } == "k\(n % 3)")
            #expect(Self.header(record, "cells.query") == "q-headers")
            #expect(Self.header(record, "cells.batch") == (n < 10 ? "0" : "1"))
            #expect(Self.header(record, "cells.row") == "\(n < 10 ? n : n - 10)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("a batch written twice, the second time in another order and with other last bits of a DOUBLE, is in the topic once, as first staged")
    func batchWrittenTwice() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 3)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = try Self.sink(cluster, folder: folder, identity: "q-twice")
        try sink.write(Self.batch(4, Array(0..<40), x: { _ in 0.1 + 0.2 }), stop: { false })
        // The same batch again, as a re-run after a crash could make it.
        try sink.write(Self.batch(4, Array((0..<40).reversed()), x: { _ in 0.3 }), stop: { false })
        sink.committed(4)

        let records = try Self.readCommitted("out", from: cluster.bootstrapServers)
        #expect(records.count == 40)
        #expect(Self.numbers(records) == Array(0..<40))
        let texts = Set(records.map { String(decoding: $0.value ?? [], as: UTF8.self) })
        #expect(texts.allSatisfy { $0.contains("\"x\":0.30000000000000004") }, "\(texts.prefix(3))")
    }

    @Test("after a crash with half of a batch sent in an uncommitted transaction, a new sink re-writing the batch sends only the missing rows")
    func crashHalfSent() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 3)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let identity = "q-crash/\(UUID().uuidString)"
        // Batch 0 went out and was committed by the checkpoint.
        do {
            let first = try Self.sink(cluster, folder: folder, identity: identity)
            try first.write(Self.batch(0, Array(0..<10)), stop: { false })
            first.committed(0)
        }
        // Batch 1 was staged and its even rows sent when the process died.
        let crashed = Self.batch(1, Array(100..<130))
        _ = try Self.crashedAttempt(crashed, sent: Array(stride(from: 0, to: 30, by: 2)), cluster: cluster,
                                    folder: folder, identity: identity)
        #expect(Self.numbers(try Self.readCommitted("out", from: cluster.bootstrapServers)).count == 25,
                "the mock broker shows the uncommitted records (it ignores aborts)")

        // The query resumes: a new sink, the same folder and identity, batch 1 run again in another order.
        let resumed = try Self.sink(cluster, folder: folder, identity: identity, lastCommitted: 0)
        try resumed.write(Self.batch(1, Array((100..<130).reversed())), stop: { false })
        resumed.committed(1)

        let records = try Self.readCommitted("out", from: cluster.bootstrapServers)
        #expect(Self.numbers(records) == Array(0..<10) + Array(100..<130))
        let rowsOfBatch1 = records.filter { Self.header($0, "cells.batch") == "1" }.compactMap { Self.header($0, "cells.row") }
        #expect(rowsOfBatch1.sorted() == (0..<30).map(String.init).sorted())
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("records of another query, or of another batch of this one, in the topic do not count as rows already sent")
    func headersTellQueriesAndBatchesApart() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 2)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let identity = "q-apart"
        _ = try Self.crashedAttempt(Self.batch(1, Array(0..<10)), sent: [0, 2, 4, 6, 8], cluster: cluster,
                                    folder: folder, identity: identity)
        // Decoys after the staged watermarks, with the odd rows' indexes.
        let decoys = try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        for (n, (query, batch)) in [("other", "1"), (identity, "2"), (identity, "01")].enumerated() {
            for row in [1, 3, 5, 7, 9] {
                try decoys.send(topic: "out", key: nil, value: Array(#"{"n":\#(900 + 10 * n + row)}"#.utf8), headers: [
                    KafkaHeader(name: "cells.query", value: query), KafkaHeader(name: "cells.batch", value: batch),
                    KafkaHeader(name: "cells.row", value: "\(row)")])
            }
        }
        try decoys.flush(timeout: .seconds(10))

        let resumed = try Self.sink(cluster, folder: folder, identity: identity)
        try resumed.write(Self.batch(1, Array((0..<10).reversed())), stop: { false })
        let decoyNumbers = (0..<3).flatMap { n in [1, 3, 5, 7, 9].map { Int64(900 + 10 * n + $0) } }
        #expect(Self.numbers(try Self.readCommitted("out", from: cluster.bootstrapServers)) == (Array(0..<10) + decoyNumbers).sorted())
    }

    @Test("after a crash between the batch's commit in Kafka and the checkpoint's, re-writing the batch sends nothing")
    func crashAfterKafkaCommit() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 2)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let identity = "q-committed"
        let crashed = Self.batch(7, Array(0..<20))
        _ = try Self.crashedAttempt(crashed, sent: Array(0..<20), cluster: cluster, folder: folder, identity: identity, commit: true)
        let before = try Self.highWatermarks("out", on: cluster)

        let resumed = try Self.sink(cluster, folder: folder, identity: identity, lastCommitted: 6)
        try resumed.write(Self.batch(7, Array((0..<20).reversed())), stop: { false })
        #expect(try Self.highWatermarks("out", on: cluster) == before, "nothing was sent")
        #expect(Self.numbers(try Self.readCommitted("out", from: cluster.bootstrapServers)) == Array(0..<20))
    }

    @Test("an attached sink writing to a topic that does not exist yet creates it and, written twice, leaves each row once")
    func topicCreatedByFirstRecord() throws {
        let cluster = try EmbeddedCluster()
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = try Self.sink(cluster, topic: "fresh", folder: folder, identity: "q-fresh")
        try sink.write(Self.batch(0, Array(0..<25)), stop: { false })
        let stage = try KafkaStage(bytes: try #require(try DurableFile.read(folder + "/0")))
        #expect(stage.highWatermarks.isEmpty, "staged before the topic existed")
        try sink.write(Self.batch(0, Array((0..<25).reversed())), stop: { false })
        #expect(Self.numbers(try Self.readCommitted("fresh", from: cluster.bootstrapServers)) == Array(0..<25))
    }

    @Test("a damaged stage and a leftover .tmp count as no stage: the batch is staged anew and sent once")
    func damagedStage() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 1)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let good = KafkaStage(encoding: Self.batch(2, Array(0..<5)), keyIndex: 0, identity: "q-damaged", topic: "out", highWatermarks: [0: 0])
        var damaged = good.bytes
        damaged[damaged.count / 2] ^= 0xFF
        try DurableFile.write(damaged, to: folder + "/2")
        try DurableFile.write(Array(good.bytes.prefix(20)), to: folder + "/2.tmp")

        let sink = try Self.sink(cluster, folder: folder, identity: "q-damaged", lastCommitted: 1)
        try sink.write(Self.batch(2, Array(10..<15)), stop: { false })
        #expect(Self.numbers(try Self.readCommitted("out", from: cluster.bootstrapServers)) == Array(10..<15))
        let restaged = try KafkaStage(bytes: try #require(try DurableFile.read(folder + "/2")))
        #expect(restaged.rows.count == 5 && restaged.batchId == 2)
        sink.committed(2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty, "the stage and the .tmp are gone")
    }

    @Test("committed(N) and attach's lastCommitted remove the stages up to N and keep the later ones")
    func stageCleanup() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 1)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for id in [3, 4, 5, 6] as [Int64] {
            let stage = KafkaStage(encoding: Self.batch(id, [id]), keyIndex: 0, identity: "q-clean", topic: "out", highWatermarks: [:])
            try DurableFile.write(stage.bytes, to: folder + "/\(id)")
        }
        try DurableFile.write([1, 2, 3], to: folder + "/notes.txt")
        let sink = try Self.sink(cluster, folder: folder, identity: "q-clean", lastCommitted: 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["5", "6", "notes.txt"])
        sink.committed(5)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["6", "notes.txt"])
    }

    @Test("the stage format round-trips rows, missing keys and watermarks; a cut-off or changed file is an error")
    func stageFormat() throws {
        var k = Column(type: .string, capacity: 3), n = Column(type: .bigint, capacity: 3)
        k.append("a"); k.appendNull(); k.append("")
        n.append(Int64(1)); n.append(Int64(2)); n.append(Int64(3))
        let result = ResultBatch(batchId: 9, schema: Schema([.init(name: "k", type: .string), .init(name: "n", type: .bigint)]),
                                 columns: [k, n], mode: .append, keyColumns: [])
        let stage = KafkaStage(encoding: result, keyIndex: 0, identity: "id ü", topic: "out", highWatermarks: [0: 5, 2: 7])
        let read = try KafkaStage(bytes: stage.bytes)
        #expect(read.identity == "id ü" && read.topic == "out" && read.batchId == 9)
        #expect(read.highWatermarks == [0: 5, 2: 7])
        let rows = read.bytes.withUnsafeBytes { bytes in
            read.rows.map { row in (row.key(in: bytes).map { String(decoding: $0, as: UTF8.self) },
                                    row.value(in: bytes).map { String(decoding: $0, as: UTF8.self) }) }
        }
        #expect(rows.map(\.0) == ["a", nil, ""])
        #expect(rows.map(\.1) == [#"{"k":"a","n":1}"#, #"{"n":2}"#, #"{"k":"","n":3}"#])
        #expect(throws: SnapshotError.self) { try KafkaStage(bytes: Array(stage.bytes.dropLast(3))) }
        var changed = stage.bytes
        changed[30] ^= 1
        #expect(throws: SnapshotError.self) { try KafkaStage(bytes: changed) }
        #expect(throws: SnapshotError.self) { try KafkaStage(bytes: []) }
        // Every cut and every changed byte is refused, none crashes.
        let cutsRead = (0..<stage.bytes.count).filter { (try? KafkaStage(bytes: Array(stage.bytes.prefix($0)))) != nil }
        #expect(cutsRead.isEmpty)
        let flipsRead = (0..<stage.bytes.count).filter { position in
            var bytes = stage.bytes
            bytes[position] ^= 0x41
            return (try? KafkaStage(bytes: bytes)) != nil
        }
        #expect(flipsRead.isEmpty)
    }

    @Test("transactional.id is cells- and the identity, with a hash where characters had to be replaced")
    func transactionalIDs() {
        #expect(KafkaSink.transactionalID(for: "abc-1.x_y") == "cells-abc-1.x_y")
        let odd = KafkaSink.transactionalID(for: "a/b c")
        #expect(odd.hasPrefix("cells-a_b_c-"))
        #expect(odd != KafkaSink.transactionalID(for: "a b/c"))
        #expect(KafkaSink.transactionalID(for: String(repeating: "x", count: 500)).count < 240)
    }

    @Test("the cells.row header's digits are the row index in decimal, for any index")
    func rowDigits() {
        var buffer: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let texts = withUnsafeMutableBytes(of: &buffer) { raw in
            [0, 7, 10, 123_456, Int.max].map { String(decoding: KafkaSink.decimal($0, into: raw), as: UTF8.self) }
        }
        #expect(texts == ["0", "7", "10", "123456", "\(Int.max)"])
    }

    @Test("a stop while an attached sink waits for a dead broker to commit ends the write within a second; with the broker back the batch is completed, each row once")
    func stopThenResume() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 1)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = try Self.sink(cluster, folder: folder, identity: "q-stop")
        try sink.write(Self.batch(0, Array(0..<3)), stop: { false })
        sink.committed(0)
        // The broker goes away when batch 1's rows are delivered (uncommitted, which the mock
        // broker shows) and before the transaction commits.
        let downAt = Mutex<ContinuousClock.Instant?>(nil)
        sink.exactlyOnce?.willCommit = { [sink] in
            try? sink.producer.flush(timeout: .seconds(10))
            try? cluster.setBrokerDown(1)
            downAt.withLock { $0 = .now }
        }
        let stop = { downAt.withLock { $0.map { ContinuousClock.now - $0 > .seconds(1) } } ?? false }
        let error = #expect(throws: SinkError.self) { try sink.write(Self.batch(1, Array(10..<2010)), stop: stop) }
        sink.exactlyOnce?.willCommit = nil
        let took = try ContinuousClock.now - #require(downAt.withLock { $0 })
        #expect(took < .seconds(3), "the write took \(took) after the broker went down")
        #expect(error?.description.contains("stopped while batch 1 was being committed") == true, "\(String(describing: error))")
        try cluster.setBrokerUp(1)
        let shown = Self.numbers(try Self.readCommitted("out", from: cluster.bootstrapServers)).count - 3
        #expect(shown == 2000, "the mock broker shows the uncommitted rows that were delivered")
        try sink.write(Self.batch(1, Array((10..<2010).reversed())), stop: { false })
        sink.committed(1)
        #expect(Self.numbers(try Self.readCommitted("out", from: cluster.bootstrapServers)) == Array(0..<3) + Array(10..<2010))
    }

    @Test("a stop while reading back an earlier attempt's rows from a broker that died ends the write within a second")
    func stopDuringReadBack() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 2)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try Self.crashedAttempt(Self.batch(0, Array(0..<20)), sent: [1, 2, 3], cluster: cluster, folder: folder, identity: "q-readback")
        let resumed = try Self.sink(cluster, folder: folder, identity: "q-readback")
        let downAt = Mutex<ContinuousClock.Instant?>(nil)
        resumed.exactlyOnce?.willReadBack = {
            try? cluster.setBrokerDown(1)
            downAt.withLock { $0 = .now }
        }
        let stop = { downAt.withLock { $0.map { ContinuousClock.now - $0 > .seconds(1) } } ?? false }
        let error = #expect(throws: SinkError.self) { try resumed.write(Self.batch(0, Array(0..<20)), stop: stop) }
        let took = try ContinuousClock.now - #require(downAt.withLock { $0 })
        #expect(took < .seconds(3), "the write took \(took) after the broker went down")
        #expect(error?.description.contains("stopped while reading back out to complete batch 0") == true, "\(String(describing: error))")
    }

    @Test("an attached sink whose broker is gone at attach still attaches, and a stop ends its first write within a second")
    func attachWithoutBroker() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 1)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let sink = try KafkaSink(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "topic": "out"])
        try cluster.setBrokerDown(1)
        sink.attachTimeout = .seconds(2)
        let attachBegan = ContinuousClock.now
        try sink.attach(SinkCheckpoint(folder: folder, identity: "q-nobroker", lastCommitted: nil))
        #expect(ContinuousClock.now - attachBegan < .seconds(4), "attach took \(ContinuousClock.now - attachBegan)")
        let began = ContinuousClock.now
        #expect(throws: SinkError.self) {
            try sink.write(Self.batch(0, [1, 2, 3]), stop: { ContinuousClock.now - began > .seconds(1) })
        }
        #expect(ContinuousClock.now - began < .seconds(3), "the write took \(ContinuousClock.now - began)")
    }

    @Test("kcat with isolation.level=read_committed reads each row of a recovered batch once",
          .enabled(if: ["/usr/bin/kcat", "/usr/local/bin/kcat"].contains { FileManager.default.isExecutableFile(atPath: $0) },
                   "kcat is not installed"))
    func kcatAfterRecovery() throws {
        let kcat = try #require(["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) })
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("out", partitions: 2)
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = try Self.crashedAttempt(Self.batch(0, Array(0..<12)), sent: [0, 3, 5, 11], cluster: cluster, folder: folder, identity: "q-kcat")
        let resumed = try Self.sink(cluster, folder: folder, identity: "q-kcat")
        try resumed.write(Self.batch(0, Array((0..<12).reversed())), stop: { false })

        let process = Process()
        process.executableURL = URL(fileURLWithPath: kcat)
        process.arguments = ["-C", "-b", cluster.bootstrapServers, "-t", "out", "-X", "isolation.level=read_committed", "-e", "-q"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { Array($0.utf8) }
        let records = lines.map { KafkaRecord(topic: "out", partition: 0, offset: 0, key: nil, value: $0, timestamp: 0, timestampType: .createTime) }
        #expect(Self.numbers(records) == Array(0..<12))
    }
}
