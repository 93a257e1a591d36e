#if canImport(Glibc)
import Glibc
#endif

/// Milliseconds on the monotonic clock, for deadlines and ages.
func monotonicMillis() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
}

/// Milliseconds since the epoch, for record timestamps (CreateTime, as librdkafka stamps them).
func wallMillis() -> Int64 {
    var t = timespec()
    clock_gettime(CLOCK_REALTIME, &t)
    return Int64(t.tv_sec) * 1000 + Int64(t.tv_nsec) / 1_000_000
}

/// A host and port of a broker, as `bootstrap.servers` or a Metadata response gives it.
struct BrokerAddress: Sendable, Hashable, CustomStringConvertible {
    var host: String
    var port: Int32

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Parses `host:port`, `[v6]:port`, or a bare host (port 9092), with an optional
    /// `plaintext://` prefix.
    init?(parsing text: Substring) {
        var s = text.trimmingWhitespace()
        if let scheme = s.range(of: "://") {
            guard s[..<scheme.lowerBound].lowercased() == "plaintext" else { return nil }
            s = s[scheme.upperBound...]
        }
        if s.hasPrefix("[") {
            guard let close = s.firstIndex(of: "]") else { return nil }
            host = String(s[s.index(after: s.startIndex)..<close])
            let rest = s[s.index(after: close)...]
            if rest.isEmpty { port = 9092 } else {
                guard rest.hasPrefix(":"), let p = Int32(rest.dropFirst()), (1...65535).contains(p) else { return nil }
                port = p
            }
        } else if let colon = s.lastIndex(of: ":") {
            host = String(s[..<colon])
            guard let p = Int32(s[s.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
        } else {
            host = String(s)
            port = 9092
        }
        if host.isEmpty { return nil }
    }

    init(host: String, port: Int32) {
        self.host = host
        self.port = port
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return s
    }
}

/// One TCP connection to a broker: requests framed with their size, responses read back
/// whole. Every wait is a `poll` with a deadline, so a broker that stops answering costs a
/// timeout, never a hang.
final class BrokerConnection {
    let address: BrokerAddress
    private(set) var descriptor: Int32
    /// Bytes read but not yet a whole response.
    private var input: [UInt8] = []
    private var inputStart = 0
    private var nextCorrelation: Int32 = 1
    /// Where `recv` reads into, reused: a fresh buffer per read would be zeroed every time.
    private var chunk = [UInt8](repeating: 0, count: 64 << 10)
    /// A response larger than this is taken for garbage (Kafka's own socket limit is 100 MiB).
    static let maximumResponse = 100 << 20

    /// Connects within `timeoutMillis`.
    init(to address: BrokerAddress, timeoutMillis: Int) throws(WireError) {
        self.address = address
        descriptor = -1
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(address.host, String(address.port), &hints, &found)
        guard status == 0, let first = found else {
            throw .connection(broker: address.description, "cannot resolve \(address.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(first) }
        let deadline = monotonicMillis() + Int64(timeoutMillis)
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard fd >= 0 else { lastError = String(cString: strerror(errno)); continue }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
                lastError = String(cString: strerror(errno))
                close(fd)
                continue
            }
            var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let waited = Self.poll(&ready, until: deadline)
            var soError: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length)
            if waited <= 0 || soError != 0 {
                lastError = waited <= 0 ? "no answer within \(timeoutMillis) ms" : String(cString: strerror(soError))
                close(fd)
                continue
            }
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            descriptor = fd
            return
        }
        throw .connection(broker: address.description, "cannot connect: \(lastError)")
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Polls one descriptor until the deadline; returns poll's result (0: timed out). An
    /// interrupting signal only shortens the wait, which is then resumed.
    static func poll(_ fd: inout pollfd, until deadline: Int64) -> Int32 {
        while true {
            let left = max(0, deadline - monotonicMillis())
            let n = Glibc.poll(&fd, 1, Int32(min(left, 1_000_000)))
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Starts a request: size placeholder, then header v1 (key, version, correlation id,
    /// client id). Returns the correlation id; finish with `send`.
    func begin(_ request: WireBuffer, apiKey: Int16, version: Int16, clientID: String) -> Int32 {
        let correlation = nextCorrelation
        nextCorrelation = nextCorrelation == .max ? 1 : nextCorrelation + 1
        request.reset()
        request.int32(0)
        request.int16(apiKey)
        request.int16(version)
        request.int32(correlation)
        request.nullableString(clientID)
        return correlation
    }

    /// Writes a request begun with `begin`, whole, before the deadline.
    func send(_ request: WireBuffer, deadline: Int64, timeoutMillis: Int) throws(WireError) {
        request.patch(int32: Int32(request.count - 4), at: 0)
        var sent = 0
        while sent < request.count {
            let n = Glibc.send(descriptor, request.base + sent, request.count - sent, Int32(MSG_NOSIGNAL))
            if n > 0 { sent += n; continue }
            if n < 0 && errno == EINTR { continue }
            guard n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) else {
                throw .connection(broker: address.description, "send failed: \(n == 0 ? "closed" : String(cString: strerror(errno)))")
            }
            var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
            if Self.poll(&ready, until: deadline) <= 0 {
                throw .timedOut(broker: address.description, what: "a request (the broker stopped reading it)", milliseconds: timeoutMillis)
            }
        }
    }

    /// Reads what the socket has without waiting and returns the whole responses in it,
    /// each as (correlation id, body). Throws when the broker closed the connection.
    func readAvailable() throws(WireError) -> [(Int32, [UInt8])] {
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if n > 0 { input.append(contentsOf: chunk[0..<n]); if n < chunk.count { break } else { continue } }
            if n == 0 { throw .connection(broker: address.description, "the broker closed the connection") }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { break }
            throw .connection(broker: address.description, "receive failed: \(String(cString: strerror(errno)))")
        }
        var responses: [(Int32, [UInt8])] = []
        while input.count - inputStart >= 4 {
            let size = input[inputStart..<inputStart + 4].reduce(0) { $0 << 8 | Int($1) }
            guard size >= 4, size <= Self.maximumResponse else {
                throw .malformed(broker: address.description, what: "response frame (a size of \(size) bytes)")
            }
            guard input.count - inputStart >= 4 + size else { break }
            let start = inputStart + 4
            let correlation = input[start..<start + 4].reduce(Int32(0)) { $0 << 8 | Int32($1) }
            responses.append((correlation, Array(input[start + 4..<start + size])))
            inputStart += 4 + size
        }
        if inputStart == input.count {
            input.removeAll(keepingCapacity: true)
            inputStart = 0
        } else if inputStart > 1 << 20 {
            input.removeFirst(inputStart)
            inputStart = 0
        }
        return responses
    }

    /// Sends a request and waits for its response, before the deadline.
    func roundTrip(_ request: WireBuffer, correlation: Int32, timeoutMillis: Int, what: String) throws(WireError) -> [UInt8] {
        let deadline = monotonicMillis() + Int64(timeoutMillis)
        try send(request, deadline: deadline, timeoutMillis: timeoutMillis)
        while true {
            for (id, body) in try readAvailable() where id == correlation { return body }
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            if Self.poll(&ready, until: deadline) <= 0 {
                throw .timedOut(broker: address.description, what: what, milliseconds: timeoutMillis)
            }
        }
    }
}
