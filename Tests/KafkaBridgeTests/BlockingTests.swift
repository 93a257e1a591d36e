import Foundation
import KafkaBridge
import Testing

@Suite struct BlockingTests {
    @Test func runsOffTheCallingThreadAndReturnsTheValue() async throws {
        let cluster = try makeCluster(topic: "t", partitions: 2)
        let bootstrap = cluster.bootstrapServers
        let (partitions, isMain) = try await runBlocking {
            (try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap)).partitions(of: "t"), Thread.isMainThread)
        }
        #expect(partitions == [0, 1])
        #expect(!isMain)
    }

    @Test func rethrowsTheError() async {
        let error = await #expect(throws: KafkaError.self) {
            try await runBlocking {
                try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: "127.0.0.1:1")).metadata(timeout: .seconds(1))
            }
        }
        #expect(error?.isRetriable == true)
    }
}
