import Foundation

/// Runs blocking work (a librdkafka poll, a flush, a broker round trip) on a thread of its
/// own and suspends the caller until it finishes, so that the cooperative thread pool, which
/// has as many threads as cores, is never held by a wait on the network.
public func runBlocking<T: Sendable>(name: String = "cells.blocking",
                                     _ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.name = name
        thread.start()
    }
}
