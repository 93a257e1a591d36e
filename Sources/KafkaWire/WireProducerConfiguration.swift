/// The producer's settings, read from librdkafka's property names so that the same `-X`
/// options mean the same thing to either client. A property this client does not implement
/// is refused (`WireError.unsupportedProperty`), never silently ignored: the caller then uses
/// librdkafka, which has them all.
public struct WireProducerConfiguration: Sendable, Equatable {
    public var bootstrap: [String]
    public var clientID = "cells"
    /// -1 (all in-sync replicas) or 1 (the leader).
    public var acks: Int16 = -1
    public var idempotence = true
    public var compression = WireCompression.none
    public var lingerMillis = 5
    /// A batch's most bytes of records (uncompressed), and most records.
    public var batchBytes = 1_000_000
    public var batchMessages = 10_000
    public var messageMaxBytes = 1_000_000
    /// How long a message may wait for its acknowledgement, retries included.
    public var deliveryTimeoutMillis = 300_000
    public var requestTimeoutMillis = 30_000
    public var retryBackoffMillis = 100
    public var retries = Int.max
    /// The memory the producer may hold in records not yet acknowledged (open and in flight):
    /// past it, `send` waits. librdkafka's `queue.buffering.max.kbytes`, capped: a memory
    /// budget, not a message count.
    public var bufferBytes = 64 << 20
    public var maxInFlight = 5
    public var partitioner = WirePartitioner.consistentRandom
    public var allowAutoCreateTopics = true

    /// Properties librdkafka's producer would take that need no work here (they tune only
    /// what librdkafka does, or say what is already true).
    static let accepted: Set<String> = ["queue.buffering.max.messages", "socket.keepalive.enable", "api.version.request"]

    public init(properties: [String: String]) throws(WireError) {
        bootstrap = []
        func int(_ name: String, _ value: String, _ range: ClosedRange<Int>) throws(WireError) -> Int {
            guard let v = Int(value), range.contains(v) else {
                throw .invalidProperty(name, "expected an integer from \(range.lowerBound) to \(range.upperBound), not \(value)")
            }
            return v
        }
        func bool(_ name: String, _ value: String) throws(WireError) -> Bool {
            switch value.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: throw .invalidProperty(name, "expected true or false, not \(value)")
            }
        }
        for (name, value) in properties.sorted(by: { $0.key < $1.key }) {
            switch name {
            case "bootstrap.servers", "metadata.broker.list":
                bootstrap = value.split(separator: ",").map { String($0) }.filter { !$0.allSatisfy(\.isWhitespace) }
            case "client.id":
                guard value.utf8.count <= 1000 else { throw .invalidProperty(name, "at most 1000 bytes") }
                clientID = value
            case "acks", "request.required.acks":
                switch value.lowercased() {
                case "all", "-1": acks = -1
                case "1": acks = 1
                case "0": throw .unsupportedProperty(name, "acks=0 (no acknowledgement) is librdkafka's")
                default: throw .invalidProperty(name, "expected all, -1, 1 or 0, not \(value)")
                }
            case "enable.idempotence": idempotence = try bool(name, value)
            case "compression.codec", "compression.type":
                guard let codec = WireCompression(rawValue: value.lowercased()) else {
                    throw .unsupportedProperty(name, "\(value) is librdkafka's (cells' producer writes none and lz4)")
                }
                compression = codec
            case "linger.ms", "queue.buffering.max.ms": lingerMillis = try int(name, value, 0...900_000)
            case "batch.size": batchBytes = try int(name, value, 1...2_147_483_647)
            case "batch.num.messages": batchMessages = try int(name, value, 1...1_000_000)
            case "message.max.bytes": messageMaxBytes = try int(name, value, 1000...1_000_000_000)
            case "message.timeout.ms", "delivery.timeout.ms":
                // 0 is librdkafka's "forever"; a day stands in for it, so every wait ends.
                let v = try int(name, value, 0...2_147_483_647)
                deliveryTimeoutMillis = v == 0 ? 86_400_000 : v
            case "request.timeout.ms": requestTimeoutMillis = try int(name, value, 1...900_000)
            case "retry.backoff.ms": retryBackoffMillis = try int(name, value, 1...300_000)
            case "retries", "message.send.max.retries": retries = try int(name, value, 0...2_147_483_647)
            case "queue.buffering.max.kbytes":
                bufferBytes = min(try int(name, value, 1...2_147_483_647), 1 << 20) << 10
            case "max.in.flight", "max.in.flight.requests.per.connection":
                maxInFlight = try int(name, value, 1...1_000_000)
            case "partitioner":
                guard let p = WirePartitioner(rawValue: value) else {
                    throw .unsupportedProperty(name, "\(value) is librdkafka's (cells' producer has \(WirePartitioner.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                partitioner = p
            case "allow.auto.create.topics": allowAutoCreateTopics = try bool(name, value)
            case "security.protocol":
                guard value.lowercased() == "plaintext" else {
                    throw .unsupportedProperty(name, "\(value) is librdkafka's (cells' producer speaks plaintext)")
                }
            default:
                guard Self.accepted.contains(name) else { throw .unsupportedProperty(name, "not implemented by cells' producer") }
            }
        }
        if idempotence {
            // librdkafka's rules for idempotence, which the sequence numbers rely on.
            guard acks == -1 else { throw .invalidProperty("acks", "enable.idempotence=true requires acks=all") }
            guard maxInFlight <= 5 else {
                throw .invalidProperty("max.in.flight", "enable.idempotence=true requires max.in.flight <= 5")
            }
        }
        guard !bootstrap.isEmpty else { throw .invalidProperty("bootstrap.servers", "no broker address given") }
        for b in bootstrap where BrokerAddress(parsing: Substring(b)) == nil {
            throw .invalidProperty("bootstrap.servers", "\(b) is not host:port")
        }
    }
}

/// Which partition a message goes to (librdkafka's `partitioner` values). The hashes are
/// librdkafka's, so that a key lands where librdkafka or kcat would put it.
public enum WirePartitioner: String, Sendable, CaseIterable {
    /// CRC-32 of the key; messages without a key stick to one partition per batch.
    case consistentRandom = "consistent_random"
    /// CRC-32 of the key, an absent key hashing as empty.
    case consistent
    /// Murmur2 of the key, as Java's client; no key sticks.
    case murmur2Random = "murmur2_random"
    case murmur2
    /// No hashing: every message sticks to one partition per batch.
    case random

    /// The partition of a keyed message, or nil for "the sticky partition".
    func partition(of key: UnsafeRawBufferPointer?, count: Int32) -> Int32? {
        switch self {
        case .random: return nil
        case .consistentRandom:
            guard let key, !key.isEmpty else { return nil }
            return hash(key, count)
        case .murmur2Random:
            guard let key else { return nil }
            return hash(key, count)
        case .consistent, .murmur2:
            return hash(key ?? UnsafeRawBufferPointer(start: nil, count: 0), count)
        }
    }

    private func hash(_ key: UnsafeRawBufferPointer, _ count: Int32) -> Int32 {
        switch self {
        case .murmur2, .murmur2Random: Int32((Self.murmur2(key) & 0x7fff_ffff) % UInt32(count))
        default: Int32(cellsCRC32(key) % UInt32(count))
        }
    }

    /// Kafka's murmur2 (seed 0x9747b28c), as its Java client and librdkafka compute it.
    static func murmur2(_ key: UnsafeRawBufferPointer) -> UInt32 {
        let m: UInt32 = 0x5bd1_e995
        let n = key.count
        var h: UInt32 = 0x9747_b28c ^ UInt32(truncatingIfNeeded: n)
        var i = 0
        while i + 4 <= n {
            var k = UInt32(key[i]) | UInt32(key[i + 1]) << 8 | UInt32(key[i + 2]) << 16 | UInt32(key[i + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            i += 4
        }
        let tail = n & 3
        if tail == 3 { h ^= UInt32(key[i + 2]) << 16 }
        if tail >= 2 { h ^= UInt32(key[i + 1]) << 8 }
        if tail >= 1 {
            h ^= UInt32(key[i])
            h = h &* m
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return h
    }
}
