/// The requests the producer makes, each as a request builder and a response parser. Versions
/// are chosen from what the broker says it supports (ApiVersions), within what is written here.
enum APIKey: Int16 {
    case produce = 0, metadata = 3, apiVersions = 18, initProducerID = 22
}

/// What a broker supports, per API key: the highest version both sides speak.
struct NegotiatedVersions: Sendable {
    var produce: Int16
    var metadata: Int16
    var initProducerID: Int16

    /// Ours: Produce v3 (record batches) to v7 (the last with the same fields we use),
    /// Metadata v1 to v8, InitProducerId v0 to v1 (v2 on is the flexible encoding).
    static let ours: [APIKey: ClosedRange<Int16>] = [.produce: 3...7, .metadata: 1...8, .initProducerID: 0...1]

    init(brokerRanges: [Int16: ClosedRange<Int16>], broker: String) throws(WireError) {
        func pick(_ key: APIKey, _ name: String) throws(WireError) -> Int16 {
            let mine = Self.ours[key]!
            guard let theirs = brokerRanges[key.rawValue], theirs.upperBound >= mine.lowerBound, theirs.lowerBound <= mine.upperBound else {
                let range = brokerRanges[key.rawValue].map { "v\($0.lowerBound)-v\($0.upperBound)" } ?? "none"
                throw .unsupportedBroker(broker: broker, "\(name) versions \(range), and cells' producer needs v\(mine.lowerBound)-v\(mine.upperBound) (Kafka 0.11 or later); use -X with a librdkafka property to fall back to librdkafka")
            }
            return min(mine.upperBound, theirs.upperBound)
        }
        produce = try pick(.produce, "Produce")
        metadata = try pick(.metadata, "Metadata")
        initProducerID = try pick(.initProducerID, "InitProducerId")
    }
}

/// A partition's place in the cluster, from Metadata.
struct PartitionMetadata: Sendable, Equatable {
    var error: Int16
    var leader: Int32
}

struct TopicMetadata: Sendable, Equatable {
    var error: Int16
    var partitions: [Int32: PartitionMetadata]
}

struct ClusterMetadata: Sendable {
    var brokers: [Int32: BrokerAddress] = [:]
    var topics: [String: TopicMetadata] = [:]
}

extension BrokerConnection {
    func apiVersions(clientID: String, timeoutMillis: Int) throws(WireError) -> NegotiatedVersions {
        let request = WireBuffer()
        let id = begin(request, apiKey: APIKey.apiVersions.rawValue, version: 0, clientID: clientID)
        let body = try roundTrip(request, correlation: id, timeoutMillis: timeoutMillis, what: "ApiVersions")
        var r = WireReader(body, what: "ApiVersions response", broker: address.description)
        let error = try r.int16()
        guard error == 0 else { throw .refused(code: error, what: "ApiVersions from \(address)") }
        var ranges: [Int16: ClosedRange<Int16>] = [:]
        for _ in 0..<(try r.arrayCount(minimumElementSize: 6)) {
            let key = try r.int16(), low = try r.int16(), high = try r.int16()
            if low <= high { ranges[key] = low...high }
        }
        return try NegotiatedVersions(brokerRanges: ranges, broker: address.description)
    }

    func metadata(topics: [String], allowAutoCreate: Bool, version: Int16, clientID: String,
                  timeoutMillis: Int) throws(WireError) -> ClusterMetadata {
        let request = WireBuffer()
        let id = begin(request, apiKey: APIKey.metadata.rawValue, version: version, clientID: clientID)
        request.int32(Int32(topics.count))
        for t in topics { request.string(t) }
        if version >= 4 { request.bool(allowAutoCreate) }
        if version >= 8 { request.bool(false); request.bool(false) }
        let body = try roundTrip(request, correlation: id, timeoutMillis: timeoutMillis, what: "Metadata")
        return try Self.parseMetadata(body, version: version, broker: address.description)
    }

    static func parseMetadata(_ body: [UInt8], version: Int16, broker: String) throws(WireError) -> ClusterMetadata {
        var r = WireReader(body, what: "Metadata response", broker: broker)
        var cluster = ClusterMetadata()
        if version >= 3 { _ = try r.int32() }
        for _ in 0..<(try r.arrayCount(minimumElementSize: 10)) {
            let node = try r.int32(), host = try r.string(), port = try r.int32()
            if version >= 1 { _ = try r.nullableString() }
            cluster.brokers[node] = BrokerAddress(host: host, port: port)
        }
        if version >= 2 { _ = try r.nullableString() }
        if version >= 1 { _ = try r.int32() }
        for _ in 0..<(try r.arrayCount(minimumElementSize: 8)) {
            let error = try r.int16(), name = try r.string()
            if version >= 1 { _ = try r.bool() }
            var partitions: [Int32: PartitionMetadata] = [:]
            for _ in 0..<(try r.arrayCount(minimumElementSize: 18)) {
                let perror = try r.int16(), index = try r.int32(), leader = try r.int32()
                if version >= 7 { _ = try r.int32() }
                for _ in 0..<(try r.arrayCount(minimumElementSize: 4)) { _ = try r.int32() }
                for _ in 0..<(try r.arrayCount(minimumElementSize: 4)) { _ = try r.int32() }
                if version >= 5 { for _ in 0..<(try r.arrayCount(minimumElementSize: 4)) { _ = try r.int32() } }
                partitions[index] = PartitionMetadata(error: perror, leader: leader)
            }
            if version >= 8 { _ = try r.int32() }
            cluster.topics[name] = TopicMetadata(error: error, partitions: partitions)
        }
        return cluster
    }

    func initProducerID(version: Int16, clientID: String, timeoutMillis: Int) throws(WireError) -> ProducerIdentity {
        let request = WireBuffer()
        let id = begin(request, apiKey: APIKey.initProducerID.rawValue, version: version, clientID: clientID)
        request.nullableString(nil)
        request.int32(60_000)
        let body = try roundTrip(request, correlation: id, timeoutMillis: timeoutMillis, what: "InitProducerId")
        var r = WireReader(body, what: "InitProducerId response", broker: address.description)
        _ = try r.int32()
        let error = try r.int16()
        guard error == 0 else { throw .refused(code: error, what: "InitProducerId (idempotence) from \(address)") }
        return ProducerIdentity(id: try r.int64(), epoch: try r.int16())
    }
}

/// A Produce response's verdict on one partition.
struct PartitionResult: Sendable, Equatable {
    var topic: String
    var partition: Int32
    var error: Int16
    var baseOffset: Int64
}

enum ProduceResponse {
    static func parse(_ body: [UInt8], version: Int16, broker: String) throws(WireError) -> [PartitionResult] {
        var r = WireReader(body, what: "Produce response", broker: broker)
        var results: [PartitionResult] = []
        for _ in 0..<(try r.arrayCount(minimumElementSize: 6)) {
            let topic = try r.string()
            for _ in 0..<(try r.arrayCount(minimumElementSize: 14)) {
                let partition = try r.int32(), error = try r.int16(), offset = try r.int64()
                if version >= 2 { _ = try r.int64() }
                if version >= 5 { _ = try r.int64() }
                results.append(PartitionResult(topic: topic, partition: partition, error: error, baseOffset: offset))
            }
        }
        return results
    }
}
