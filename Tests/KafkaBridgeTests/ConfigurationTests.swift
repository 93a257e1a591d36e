import KafkaBridge
import Testing

@Suite struct ConfigurationTests {
    @Test func passesAssignmentsThrough() throws {
        var configuration = KafkaConfiguration(bootstrapServers: "b:9092")
        try configuration.apply(assignments: ["compression.codec=zstd", "client.id=a=b"])
        #expect(configuration["compression.codec"] == "zstd")
        #expect(configuration["client.id"] == "a=b")
        #expect(configuration.bootstrapServers == "b:9092")
        try configuration.validate()
    }

    @Test func rejectsMalformedAssignment() {
        var configuration = KafkaConfiguration()
        let error = #expect(throws: KafkaError.self) { try configuration.apply(assignments: ["novalue"]) }
        #expect(error?.description.contains("key=value") == true)
    }

    @Test func unknownPropertyGetsLibrdkafkasMessage() {
        let configuration = KafkaConfiguration(["no.such.property": "1"])
        let error = #expect(throws: KafkaError.self) { try configuration.validate() }
        #expect(error?.context?.contains("no.such.property") == true)
        #expect(error?.message.contains("No such configuration property") == true)
        #expect(throws: KafkaError.self) { try KafkaProducer(configuration: configuration) }
    }

    @Test func invalidValueGetsLibrdkafkasMessage() {
        let error = #expect(throws: KafkaError.self) { try KafkaConfiguration(["acks": "sometimes"]).validate() }
        #expect(error?.message.contains("acks") == true || error?.context?.contains("acks") == true)
    }

    /// librdkafka reads an empty group.id as no group and then has no consumer queue.
    @Test func emptyGroupIDIsAnErrorNotATrap() {
        let configuration = KafkaConfiguration(["bootstrap.servers": "127.0.0.1:9", "group.id": ""])
        let error = #expect(throws: KafkaError.self) { try KafkaConsumer(configuration: configuration) }
        #expect(error?.message.contains("group.id must not be empty") == true)
    }

    @Test func defaultsNeverOverrideTheUser() {
        let configuration = KafkaConfiguration(["acks": "1"]).withDefaults(KafkaConfiguration.producerDefaults)
        #expect(configuration["acks"] == "1")
        #expect(configuration["enable.idempotence"] == "true")
    }
}
