#if canImport(Glibc)
import Glibc
#endif

/// The sender thread's world: per partition, the batches waiting and in flight; per broker, a
/// connection and its requests in flight. It compresses and encodes batches as it sends them,
/// so that this work runs beside the producing thread's.
///
/// Order and exactly-once: a partition's batches go out in the order they were sealed, at most
/// `max.in.flight` requests per connection. When one fails with a retriable error, the
/// partition holds until all its batches in flight have answered, then sends the failed ones
/// again in their order, with the same sequence numbers, so the broker drops what it already
/// has (DUPLICATE_SEQUENCE_NUMBER counts as delivered).
final class Sender: @unchecked Sendable {  // touched by the sender thread only, once started
    private struct Partition {
        var pending: [SealedBatch] = []
        var inFlight = 0
        var retry: [SealedBatch] = []
        var hold = false
        var notBefore: Int64 = 0
        var lastError: WireError?
        /// Set when a batch failed for good under idempotence: the sequence has a gap, so no
        /// later batch of the partition can be written either.
        var fatal: WireError?
    }

    private struct InFlightRequest {
        var correlation: Int32
        var batches: [SealedBatch]
        var sentAt: Int64
    }

    private final class Link {
        let node: Int32
        let connection: BrokerConnection
        var inFlight: [InFlightRequest] = []
        init(node: Int32, connection: BrokerConnection) {
            self.node = node
            self.connection = connection
        }
    }

    private let configuration: WireProducerConfiguration
    private let exchange: Exchange
    private let topics: [String]
    private let identity: ProducerIdentity
    private let versions: NegotiatedVersions
    private var cluster: ClusterMetadata
    private var leaders: [[Int32]]
    private var partitions: [[Partition]]
    private var links: [Int32: Link] = [:]
    /// When a broker that refused a connection may be tried again.
    private var nodeRetryAt: [Int32: Int64] = [:]
    private var metadataConnection: BrokerConnection?
    private var needMetadata = false
    private var metadataAt: Int64 = 0
    private var metadataBackoff: Int64
    private let request = WireBuffer(capacity: 1 << 20)
    /// A request's most bytes of records (uncompressed) beyond its first batch.
    private let requestBytes = 4 << 20

    init(configuration: WireProducerConfiguration, exchange: Exchange, topics: [String], partitionCounts: [Int32],
         identity: ProducerIdentity, versions: NegotiatedVersions, cluster: ClusterMetadata) {
        self.configuration = configuration
        self.exchange = exchange
        self.topics = topics
        self.identity = identity
        self.versions = versions
        self.cluster = cluster
        leaders = partitionCounts.map { [Int32](repeating: -1, count: Int($0)) }
        partitions = partitionCounts.map { [Partition](repeating: Partition(), count: Int($0)) }
        metadataBackoff = Int64(configuration.retryBackoffMillis)
        apply(cluster)
    }

    private func apply(_ metadata: ClusterMetadata) {
        for (node, address) in metadata.brokers { cluster.brokers[node] = address }
        for (t, name) in topics.enumerated() {
            guard let topic = metadata.topics[name] else { continue }
            for p in leaders[t].indices {
                let found = topic.partitions[Int32(p)]
                leaders[t][p] = found.map { $0.error == 0 || $0.error == 9 ? $0.leader : -1 } ?? -1
            }
        }
    }

    // MARK: The loop

    func run() {
        var now = monotonicMillis()
        while true {
            let (arrived, closing) = exchange.withLock { () -> ([SealedBatch], Bool) in
                defer { exchange.sealed.removeAll(keepingCapacity: true) }
                return (exchange.sealed, exchange.closing)
            }
            for batch in arrived { enqueue(batch) }
            if closing { break }
            now = monotonicMillis()
            expire(now)
            if needMetadata && now >= metadataAt { refreshMetadata() }
            sendReady(now: monotonicMillis())
            // New batches and answers wake the poll; the timeout paces retries and expiry.
            waitAndRead(timeout: 50)
            checkTimeouts(now: monotonicMillis())
        }
        abandonAll()
    }

    private func enqueue(_ batch: SealedBatch) {
        if let fatal = partitions[batch.topic][Int(batch.partition)].fatal {
            resolve(batch, error: fatal)
        } else {
            partitions[batch.topic][Int(batch.partition)].pending.append(batch)
        }
    }

    private func name(_ batch: SealedBatch) -> String { "\(topics[batch.topic])/\(batch.partition)" }

    /// Fails what waited longer than `message.timeout.ms` (what is in flight waits for its answer
    /// or its request's timeout first).
    private func expire(_ now: Int64) {
        let limit = Int64(configuration.deliveryTimeoutMillis)
        for t in partitions.indices {
            for p in partitions[t].indices {
                let q = partitions[t][p]
                let oldest = min(q.pending.first?.sealedAt ?? .max, q.retry.map(\.sealedAt).min() ?? .max)
                guard oldest != .max, now - oldest > limit else { continue }
                let last = partitions[t][p].lastError.map { " (last error: \($0))" } ?? " (no leader answered)"
                let error = WireError.undelivered(
                    "not delivered to \(topics[t])/\(p) within message.timeout.ms=\(configuration.deliveryTimeoutMillis)\(last)")
                var kept: [SealedBatch] = []
                for b in partitions[t][p].retry + partitions[t][p].pending {
                    if now - b.sealedAt > limit || configuration.idempotence { resolve(b, error: error) } else { kept.append(b) }
                }
                partitions[t][p].retry = []
                partitions[t][p].pending = kept
                if configuration.idempotence { partitions[t][p].fatal = error }
            }
        }
    }

    /// Sends what is ready, a request per leader at a time, while its connection has room.
    private func sendReady(now: Int64) {
        var byLeader: [Int32: [(Int, Int)]] = [:]
        for t in partitions.indices {
            for p in partitions[t].indices {
                let q = partitions[t][p]
                guard !q.pending.isEmpty, !q.hold, q.fatal == nil, q.notBefore <= now else { continue }
                let leader = leaders[t][p]
                if leader < 0 { needMetadata = true; continue }
                byLeader[leader, default: []].append((t, p))
            }
        }
        for (node, ready) in byLeader {
            guard let link = link(to: node, now: now) else { continue }
            var ready = ready
            while !ready.isEmpty && link.inFlight.count < configuration.maxInFlight {
                var chosen: [SealedBatch] = []
                var bytes = 0
                var rest: [(Int, Int)] = []
                for (t, p) in ready {
                    let b = partitions[t][p].pending[0]
                    if !chosen.isEmpty && bytes + b.records.count > requestBytes { rest.append((t, p)); continue }
                    chosen.append(b)
                    bytes += b.records.count
                    partitions[t][p].pending.removeFirst()
                    partitions[t][p].inFlight += 1
                    if !partitions[t][p].pending.isEmpty { rest.append((t, p)) }
                }
                ready = rest
                if !send(chosen, on: link, now: now) { break }
            }
        }
    }

    private func link(to node: Int32, now: Int64) -> Link? {
        if let link = links[node] { return link }
        if let at = nodeRetryAt[node], at > now { return nil }
        guard let address = cluster.brokers[node] else { needMetadata = true; return nil }
        do {
            let connection = try BrokerConnection(to: address, timeoutMillis: min(configuration.requestTimeoutMillis, 10_000))
            let link = Link(node: node, connection: connection)
            links[node] = link
            nodeRetryAt[node] = nil
            return link
        } catch {
            nodeRetryAt[node] = now + Int64(configuration.retryBackoffMillis)
            needMetadata = true
            noteError(error, forLeader: node)
            return nil
        }
    }

    private func noteError(_ error: WireError, forLeader node: Int32) {
        for t in leaders.indices {
            for p in leaders[t].indices where leaders[t][p] == node { partitions[t][p].lastError = error }
        }
    }

    /// Encodes the batches (compressing them) as one Produce request and writes it.
    private func send(_ batches: [SealedBatch], on link: Link, now: Int64) -> Bool {
        let connection = link.connection
        let correlation = connection.begin(request, apiKey: APIKey.produce.rawValue, version: versions.produce,
                                           clientID: configuration.clientID)
        request.nullableString(nil)
        request.int16(configuration.acks)
        request.int32(Int32(configuration.requestTimeoutMillis))
        let byTopic = Dictionary(grouping: batches, by: \.topic).sorted { $0.key < $1.key }
        request.int32(Int32(byTopic.count))
        for (topic, group) in byTopic {
            request.string(topics[topic])
            request.int32(Int32(group.count))
            for batch in group {
                request.int32(batch.partition)
                let lengthAt = request.count
                request.int32(0)
                RecordBatchEncoder.encode(batch, producer: identity, compression: configuration.compression, into: request)
                request.patch(int32: Int32(request.count - lengthAt - 4), at: lengthAt)
            }
        }
        link.inFlight.append(InFlightRequest(correlation: correlation, batches: batches, sentAt: now))
        do {
            try connection.send(request, deadline: monotonicMillis() + Int64(configuration.requestTimeoutMillis),
                                timeoutMillis: configuration.requestTimeoutMillis)
            return true
        } catch {
            fail(link, error)
            return false
        }
    }

    private func waitAndRead(timeout: Int32) {
        let waiting = links.values.filter { !$0.inFlight.isEmpty }
        var fds = [pollfd(fd: exchange.wakeRead, events: Int16(POLLIN), revents: 0)]
        fds += waiting.map { pollfd(fd: $0.connection.descriptor, events: Int16(POLLIN), revents: 0) }
        let n = poll(&fds, nfds_t(fds.count), timeout)
        guard n > 0 else { return }
        if fds[0].revents != 0 { exchange.drainWakeups() }
        for (i, link) in waiting.enumerated() where fds[i + 1].revents != 0 {
            do {
                for (correlation, body) in try link.connection.readAvailable() {
                    try answer(correlation, body, on: link)
                }
            } catch {
                fail(link, error)
            }
        }
    }

    private func answer(_ correlation: Int32, _ body: [UInt8], on link: Link) throws(WireError) {
        guard let index = link.inFlight.firstIndex(where: { $0.correlation == correlation }) else {
            throw .malformed(broker: link.connection.address.description, what: "Produce response (correlation id \(correlation) was not asked)")
        }
        let sent = link.inFlight.remove(at: index)
        let results = try ProduceResponse.parse(body, version: versions.produce, broker: link.connection.address.description)
        let now = monotonicMillis()
        var codes: [String: [Int32: Int16]] = [:]
        for r in results { codes[r.topic, default: [:]][r.partition] = r.error }
        for batch in sent.batches {
            // A partition the response leaves out is retried: the broker may not have seen it.
            settle(batch, code: codes[topics[batch.topic]]?[batch.partition] ?? 13, now: now)
        }
    }

    /// A connection failed: what was in flight on it is retried, after a fresh look at who leads.
    private func fail(_ link: Link, _ error: WireError) {
        links[link.node] = nil
        nodeRetryAt[link.node] = monotonicMillis() + Int64(configuration.retryBackoffMillis)
        needMetadata = true
        noteError(error, forLeader: link.node)
        let now = monotonicMillis()
        for sent in link.inFlight {
            for batch in sent.batches { settle(batch, code: 13, now: now, error: error) }
        }
        link.inFlight = []
    }

    private func settle(_ batch: SealedBatch, code: Int16, now: Int64, error connectionError: WireError? = nil) {
        let t = batch.topic, p = Int(batch.partition)
        partitions[t][p].inFlight -= 1
        if code == 0 || code == 46 {
            resolve(batch, error: nil)
        } else {
            let error = connectionError ?? .refused(code: code, what: "producing to \(name(batch))")
            partitions[t][p].lastError = error
            if WireError.isRetriable(code) && partitions[t][p].fatal == nil && batch.attempts < configuration.retries {
                var again = batch
                again.attempts += 1
                partitions[t][p].retry.append(again)
                partitions[t][p].hold = true
                if [3, 5, 6, 13, 74].contains(code) { needMetadata = true }
            } else {
                resolve(batch, error: error)
                if configuration.idempotence { partitions[t][p].fatal = partitions[t][p].fatal ?? error }
            }
        }
        guard partitions[t][p].inFlight == 0 else { return }
        if let fatal = partitions[t][p].fatal {
            failWaiting(t, p, fatal)
        } else if partitions[t][p].hold {
            partitions[t][p].pending = partitions[t][p].retry.sorted { $0.serial < $1.serial } + partitions[t][p].pending
            partitions[t][p].retry = []
            partitions[t][p].hold = false
            partitions[t][p].notBefore = now + Int64(configuration.retryBackoffMillis)
        }
    }

    /// Fails every batch of the partition that is not in flight (to retry or not yet sent).
    private func failWaiting(_ t: Int, _ p: Int, _ error: WireError) {
        for b in partitions[t][p].retry + partitions[t][p].pending { resolve(b, error: error) }
        partitions[t][p].retry = []
        partitions[t][p].pending = []
        partitions[t][p].hold = false
    }

    private func resolve(_ batch: SealedBatch, error: WireError?) {
        exchange.withLock {
            exchange.unresolvedBytes -= batch.records.capacity
            exchange.unresolvedBatches -= 1
            exchange.unresolvedMessages -= Int(batch.count)
            if let error {
                exchange.statistics.failed += Int(batch.count)
                if exchange.statistics.firstError == nil { exchange.statistics.firstError = error }
            } else {
                exchange.statistics.delivered += Int(batch.count)
                exchange.statistics.batches += 1
                exchange.statistics.retries += batch.attempts
            }
        }
        exchange.broadcast()
    }

    /// A request unanswered for `request.timeout.ms` fails its connection (and is retried).
    private func checkTimeouts(now: Int64) {
        for link in links.values {
            if let oldest = link.inFlight.first?.sentAt, now - oldest > Int64(configuration.requestTimeoutMillis) {
                fail(link, .timedOut(broker: link.connection.address.description, what: "a Produce request",
                                     milliseconds: configuration.requestTimeoutMillis))
            }
        }
    }

    private func refreshMetadata() {
        let timeout = min(configuration.requestTimeoutMillis, 5_000)
        var candidates = cluster.brokers.values.map { $0 }
        candidates += configuration.bootstrap.compactMap { BrokerAddress(parsing: Substring($0)) }
        if metadataConnection == nil {
            for address in candidates {
                if let c = try? BrokerConnection(to: address, timeoutMillis: timeout) { metadataConnection = c; break }
            }
        }
        do throws(WireError) {
            guard let connection = metadataConnection else {
                throw WireError.connection(broker: candidates.map(\.description).joined(separator: ","), "no broker reachable for metadata")
            }
            let metadata = try connection.metadata(topics: topics, allowAutoCreate: false, version: versions.metadata,
                                                   clientID: configuration.clientID, timeoutMillis: timeout)
            apply(metadata)
            needMetadata = false
            metadataBackoff = Int64(configuration.retryBackoffMillis)
        } catch {
            metadataConnection = nil
            for t in partitions.indices {
                for p in partitions[t].indices where partitions[t][p].lastError == nil { partitions[t][p].lastError = error }
            }
        }
        metadataAt = monotonicMillis() + metadataBackoff
        metadataBackoff = min(metadataBackoff * 2, 1_000)
    }

    /// The producer closed: whatever was not acknowledged fails.
    private func abandonAll() {
        let error = WireError.undelivered("the producer closed before the brokers acknowledged these messages")
        for link in links.values {
            for sent in link.inFlight { for b in sent.batches { resolve(b, error: error) } }
        }
        links = [:]
        for t in partitions.indices {
            for p in partitions[t].indices { failWaiting(t, p, error) }
        }
        let leftovers = exchange.withLock { () -> [SealedBatch] in
            defer { exchange.sealed = []; exchange.senderFinished = true }
            return exchange.sealed
        }
        for b in leftovers { resolve(b, error: error) }
        exchange.broadcast()
    }
}
