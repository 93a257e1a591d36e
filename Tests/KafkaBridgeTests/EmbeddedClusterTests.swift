import KafkaBridge
import Testing

@Suite struct EmbeddedClusterTests {
    @Test func publishesReachableBootstrapAndTopics() throws {
        let cluster = try makeCluster(brokers: 3, topic: "orders", partitions: 6, replicationFactor: 3)
        let servers = cluster.bootstrapServers.split(separator: ",")
        #expect(servers.count == 3)
        #expect(servers.allSatisfy { $0.hasPrefix("127.0.0.1:") || $0.hasPrefix("localhost:") })

        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        let metadata = try admin.metadata()
        #expect(metadata.brokers.map(\.id).sorted() == [1, 2, 3])
        let orders = try #require(metadata.topic("orders"))
        #expect(orders.partitions.map(\.id) == [0, 1, 2, 3, 4, 5])
        #expect(orders.partitions.allSatisfy { $0.replicas.count == 3 })
        #expect(try admin.partitions(of: "orders") == [0, 1, 2, 3, 4, 5])
    }

    @Test func rejectsImpossibleTopics() throws {
        let cluster = try EmbeddedCluster(brokers: 1)
        #expect(throws: KafkaError.self) { try cluster.createTopic("x", partitions: 0) }
        let error = #expect(throws: KafkaError.self) { try cluster.createTopic("x", partitions: 2, replicationFactor: 3) }
        #expect(error?.message.contains("replication factor 3") == true)
    }

    @Test func missingTopicIsNamed() throws {
        let cluster = try makeCluster(topic: "present")
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        let error = #expect(throws: KafkaError.self) { try admin.partitions(of: "absent") }
        #expect(error?.code == KafkaError.Code.unknownTopicOrPartition)
        #expect(error?.message.contains("'absent'") == true)
        #expect(error?.message.contains("present") == true)
    }

    @Test func adminCreateTopicFailsCleanlyWhereUnsupported() throws {
        // The mock cluster does not implement CreateTopics: the broker's refusal must come
        // back as an error, not a hang or a silent success.
        let cluster = try EmbeddedCluster()
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: cluster.bootstrapServers))
        let start = ContinuousClock.now
        #expect(throws: KafkaError.self) { try admin.createTopic("new", partitions: 2, timeout: .seconds(5)) }
        #expect(ContinuousClock.now - start < .seconds(15))
    }
}
