@testable import KafkaWire

/// A record batch's header as a partition's log holds it: where it starts, and whose
/// sequence numbers it carries.
struct StoredBatch: Equatable {
    var baseOffset: Int64
    var producerID: Int64
    var producerEpoch: Int16
    var baseSequence: Int32
    var records: Int32

    /// What a broker that checks idempotence compares: the same producer, epoch and
    /// sequence is the same batch sent again.
    var identity: [Int64] { [producerID, Int64(producerEpoch), Int64(baseSequence), Int64(records)] }
}

/// Reads a partition's log batch by batch with Fetch v4 over our own connection: librdkafka's
/// consumer hands over messages, and the test needs the batch headers (producer id,
/// sequence) that decide what a real broker keeps.
func storedBatches(topic: String, partition: Int32, broker: String, timeoutMillis: Int = 10_000) throws -> [StoredBatch] {
    let parts = broker.split(separator: ":")
    guard parts.count == 2, let port = Int32(parts[1]) else { throw LogReadError(what: "a broker address host:port, not \(broker)") }
    let connection = try BrokerConnection(to: BrokerAddress(host: String(parts[0]), port: port), timeoutMillis: timeoutMillis)
    let request = WireBuffer()
    var batches: [StoredBatch] = []
    var offset: Int64 = 0
    while true {
        let id = connection.begin(request, apiKey: 1, version: 4, clientID: "cells-test-log-reader")
        request.int32(-1)            // replica id: a consumer
        request.int32(100)           // max wait
        request.int32(1)             // min bytes
        request.int32(8 << 20)       // max bytes
        request.int8(0)              // read uncommitted: everything written
        request.int32(1)
        request.string(topic)
        request.int32(1)
        request.int32(partition)
        request.int64(offset)
        request.int32(8 << 20)
        var r = WireReader(try connection.roundTrip(request, correlation: id, timeoutMillis: timeoutMillis, what: "Fetch"),
                           what: "Fetch response", broker: broker)
        _ = try r.int32()
        guard try r.arrayCount(minimumElementSize: 6) == 1, try r.string() == topic, try r.arrayCount(minimumElementSize: 30) == 1 else {
            throw LogReadError(what: "a Fetch response for \(topic)/\(partition) alone")
        }
        _ = try r.int32()
        let error = try r.int16()
        guard error == 0 else { throw WireError.refused(code: error, what: "Fetch \(topic)/\(partition)@\(offset)") }
        let highWatermark = try r.int64()
        _ = try r.int64()
        for _ in 0..<(try r.arrayCount(minimumElementSize: 16)) { try r.skip(16) }
        var left = Int(try r.int32())
        var fetched = 0
        while left >= 61 {
            let base = try r.int64(), length = Int(try r.int32())
            guard left >= 12 + length else { break }  // a batch cut at max bytes: fetch it next time
            _ = try r.int32(); _ = try r.int8(); _ = try r.int32(); _ = try r.int16()
            let lastDelta = try r.int32()
            _ = try r.int64(); _ = try r.int64()
            let batch = StoredBatch(baseOffset: base, producerID: try r.int64(), producerEpoch: try r.int16(),
                                    baseSequence: try r.int32(), records: try r.int32())
            try r.skip(length - 49)
            left -= 12 + length
            if base >= offset { batches.append(batch); fetched += 1 }
            offset = max(offset, base + Int64(lastDelta) + 1)
        }
        try r.skip(max(0, left))
        if offset >= highWatermark { return batches }
        guard fetched > 0 else { throw LogReadError(what: "a whole batch at \(topic)/\(partition)@\(offset), below the high watermark \(highWatermark)") }
    }
}

struct LogReadError: Error, CustomStringConvertible {
    let what: String
    var description: String { "the log reader expected \(what)" }
}
