import CRdKafka

/// What a poll does with a message once `body` has seen it.
public enum KafkaMessageUse: Sendable {
    /// Destroy it: its bytes are no longer needed.
    case release
    /// Move it into the poll's ``KafkaMessageChunk``, with a number of the caller's.
    case keep(tag: Int)
}

/// Messages a poll handed over instead of destroying, each with a caller's tag: read them
/// later, on any thread, while the chunk holds them. They are destroyed when it is emptied or
/// freed, which returns their memory (fetch buffers) to librdkafka.
///
/// What lets one thread poll while others decode what it polled before. Keeping messages
/// holds librdkafka's memory, so callers bound how many chunks they keep.
public final class KafkaMessageChunk: @unchecked Sendable {  // used by one thread at a time; destroying messages is thread-safe
    private let messages: UnsafeMutablePointer<UnsafeMutablePointer<rd_kafka_message_t>>
    private let tags: UnsafeMutablePointer<Int>
    public let capacity: Int
    public private(set) var count = 0

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        messages = .allocate(capacity: self.capacity)
        tags = .allocate(capacity: self.capacity)
    }

    deinit {
        removeAll()
        messages.deallocate()
        tags.deallocate()
    }

    public var remaining: Int { capacity - count }
    public var isEmpty: Bool { count == 0 }

    /// The message at `index` (below ``count``) and its tag; valid until the chunk is emptied.
    public subscript(index: Int) -> (message: KafkaMessage, tag: Int) {
        (KafkaMessage(pointer: messages[index]), tags[index])
    }

    func append(_ message: UnsafeMutablePointer<rd_kafka_message_t>, tag: Int) {
        messages[count] = message
        tags[count] = tag
        count += 1
    }

    /// Destroys the messages held.
    public func removeAll() {
        for index in 0..<count { rd_kafka_message_destroy(messages[index]) }
        count = 0
    }
}
