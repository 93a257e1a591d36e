import CellKernel
import Foundation
import KafkaBridge
import Testing

/// A Kafka micro-batch read into several lanes: every record once, stops and lane errors
/// taking the batch back whole, against an embedded broker.
@Suite struct KafkaLaneTests {
    static let count = 50_000

    /// A topic `t` with `count` records `{"n":i}` spread over `partitions`, and what the
    /// broker says each partition holds.
    static func loaded(partitions: Int) throws -> (cluster: EmbeddedCluster, high: [Int32: Int64]) {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: partitions)
        try send((0..<count).map { Array(#"{"n":\#($0)}"#.utf8) }, to: "t", on: cluster.bootstrapServers)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(["bootstrap.servers": cluster.bootstrapServers]))
        var high: [Int32: Int64] = [:]
        for p in 0..<Int32(partitions) { high[p] = try admin.watermarks(topic: "t", partition: p).high }
        return (cluster, high)
    }

    static func source(_ cluster: EmbeddedCluster, _ options: [String: String] = [:]) throws -> KafkaStreamSource {
        try KafkaStreamSource(options: ["kafka.bootstrap.servers": cluster.bootstrapServers, "subscribe": "t",
                                        "startingOffsets": "earliest", "connectTimeoutMs": "5000"]
                                .merging(options, uniquingKeysWith: { $1 }))
    }

    static func atStart(_ high: [Int32: Int64]) -> SourceOffsets {
        SourceOffsets(Dictionary(uniqueKeysWithValues: high.keys.map { ("t/\($0)", 0) }))
    }

    static func lanes(_ n: Int, spin: Int = 200, failAt: Set<Int> = [], fed: Counter = Counter()) -> [TallyLane] {
        (0..<n).map { _ in TallyLane(fed: fed, spin: spin, failAt: failAt) }
    }

    /// What a whole read of the topic must add up to, from the producer's and the broker's side.
    static func expectWhole(_ lanes: [TallyLane], high: [Int32: Int64], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        #expect(lanes.records == count, sourceLocation: sourceLocation)
        #expect(lanes.valueSum == count * (count - 1) / 2, sourceLocation: sourceLocation)
        #expect(lanes.offsetSum == high.values.reduce(0) { $0 + $1 * ($1 - 1) / 2 }, sourceLocation: sourceLocation)
        let places = lanes.places
        #expect(Set(places).count == places.count, "no record twice", sourceLocation: sourceLocation)
    }

    @Test("every record is read once across the lanes, and more than one lane does work", arguments: [1, 4])
    func everyRecordOnce(partitions: Int) throws {
        let (cluster, high) = try Self.loaded(partitions: partitions)
        #expect(high.values.reduce(0, +) == Int64(Self.count))
        for n in [2, 3] {
            let source = try Self.source(cluster)
            let lanes = Self.lanes(n)
            let batch = try #require(try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
            #expect(batch.records == Self.count)
            Self.expectWhole(lanes, high: high)
            #expect(lanes.used > 1, "lanes fed: \(lanes.map(\.records))")
            // Each lane is fed by one thread, and lane 0 by the calling one.
            #expect(lanes.allSatisfy { $0.threads.count <= 1 })
            if lanes[0].records > 0 { #expect(lanes[0].threads == [UInt(pthread_self())]) }
            #expect(batch.end.next == Dictionary(uniqueKeysWithValues: high.map { ("t/\($0.key)", $0.value) }))
            #expect(try source.readBatch(lanes: Self.lanes(n), stop: { false }, notice: { _ in }) == nil)
        }
    }

    @Test("one lane is today's read: on the calling thread, each partition in offset order")
    func oneLaneInOrder() throws {
        let (cluster, high) = try Self.loaded(partitions: 3)
        let lane = TallyLane()
        let batch = try #require(try Self.source(cluster).readBatch(lanes: [lane], stop: { false }, notice: { _ in }))
        #expect(batch.records == Self.count)
        Self.expectWhole([lane], high: high)
        #expect(lane.threads == [UInt(pthread_self())])
        for p in high.keys {
            let offsets = lane.places.filter { $0.partition == p }.map(\.offset)
            #expect(offsets == Array(0..<high[p]!))
        }
    }

    @Test("maxOffsetsPerTrigger bounds each batch read into lanes")
    func maxOffsetsPerTrigger() throws {
        let (cluster, high) = try Self.loaded(partitions: 4)
        let source = try Self.source(cluster, ["maxOffsetsPerTrigger": "20000"])
        var all: [TallyLane] = []
        var sizes: [Int] = []
        while true {
            let lanes = Self.lanes(2, spin: 0)
            guard let batch = try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }) else { break }
            #expect(batch.records == lanes.records)
            sizes.append(batch.records)
            all += lanes
        }
        #expect(sizes == [20_000, 20_000, 10_000])
        Self.expectWhole(all, high: high)
    }

    @Test("a stop mid-batch takes the batch back: the next batch reads the same records", arguments: [1, 4])
    func stopRewinds(partitions: Int) throws {
        let (cluster, high) = try Self.loaded(partitions: partitions)
        for n in [1, 2, 3] {
            let source = try Self.source(cluster)
            let fed = Counter()
            #expect(throws: StreamInterrupted.self) {
                try source.readBatch(lanes: Self.lanes(n, fed: fed), stop: { fed.count >= 5000 }, notice: { _ in })
            }
            #expect(source.offsets == Self.atStart(high), "the batch is taken back whole")
            let settled = fed.count
            Thread.sleep(forTimeInterval: 0.05)
            #expect(fed.count == settled, "no lane is fed after readBatch returns")
            let lanes = Self.lanes(n)
            let batch = try #require(try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
            #expect(batch.records == Self.count)
            Self.expectWhole(lanes, high: high)
        }
    }

    @Test("a lane that throws fails the batch with its error; the next batch reads from the start", arguments: [1, 4])
    func laneErrorRewinds(partitions: Int) throws {
        let (cluster, high) = try Self.loaded(partitions: partitions)
        for n in [1, 2, 3] {
            let source = try Self.source(cluster)
            let fed = Counter()
            #expect(throws: TallyLane.Refused(n: 30_000)) {
                try source.readBatch(lanes: Self.lanes(n, failAt: [30_000], fed: fed), stop: { false }, notice: { _ in })
            }
            #expect(source.offsets == Self.atStart(high), "the batch is taken back whole")
            let settled = fed.count
            Thread.sleep(forTimeInterval: 0.05)
            #expect(fed.count == settled, "no lane is fed after readBatch returns")
            let lanes = Self.lanes(n)
            let batch = try #require(try source.readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
            #expect(batch.records == Self.count)
            Self.expectWhole(lanes, high: high)
        }
    }

    @Test("with several lanes, the batch fails with the error a single lane meets first")
    func earliestErrorWins() throws {
        let (cluster, _) = try Self.loaded(partitions: 1)
        for _ in 0..<3 {
            let source = try Self.source(cluster)
            #expect(throws: TallyLane.Refused(n: 20_000)) {
                try source.readBatch(lanes: Self.lanes(3, failAt: [20_000, 45_000, 46_000, 49_999]), stop: { false }, notice: { _ in })
            }
        }
    }

    @Test("a batch of one chunk or less is read into lane 0 on the calling thread, in order")
    func smallBatchStaysOnOneLane() throws {
        let cluster = try EmbeddedCluster()
        try cluster.createTopic("t", partitions: 1)
        try send((0..<1000).map { Array(#"{"n":\#($0)}"#.utf8) }, to: "t", on: cluster.bootstrapServers)
        let lanes = Self.lanes(3)
        let batch = try #require(try Self.source(cluster).readBatch(lanes: lanes, stop: { false }, notice: { _ in }))
        #expect(batch.records == 1000)
        #expect(lanes.map(\.records) == [1000, 0, 0])
        #expect(lanes[0].places.map(\.offset) == Array(0..<1000))
        #expect(lanes[0].threads == [UInt(pthread_self())])
    }
}
