import Foundation
import KafkaBridge
import Testing

@Suite struct BrokerCommandTests {
    @Test func servesTopicsAndStopsCleanly() throws {
        let bootstrapFile = temporaryPath("bootstrap")
        let broker = try Child(cellsExecutable.path, ["broker", "--brokers", "2", "--topic", "streaming_cartao",
                                                     "--topic", "other:3", "--bootstrap-file", bootstrapFile])
        #expect(broker.waitForOutput { $0.contains("\n") })
        let bootstrap = try #require(broker.stdout.split(separator: "\n").first).description
        #expect(bootstrap.split(separator: ",").count == 2)
        #expect(try String(contentsOfFile: bootstrapFile, encoding: .utf8) == bootstrap + "\n")

        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: bootstrap))
        let metadata = try admin.metadata()
        #expect(metadata.brokers.count == 2)
        #expect(metadata.topic("streaming_cartao")?.partitions.count == 6)
        #expect(metadata.topic("other")?.partitions.count == 3)

        // A client in another process writes and reads through it.
        let lines = (1...20).map { "m\($0)" }
        let input = temporaryPath("in")
        try (lines.joined(separator: "\n") + "\n").write(toFile: input, atomically: true, encoding: .utf8)
        #expect(try kcat(["-b", bootstrap, "-P", "-t", "other", "-l", input]).status == 0)
        let read = try kcat(["-b", bootstrap, "-C", "-t", "other", "-o", "beginning", "-e", "-q"])
        #expect(read.lines.sorted() == lines.sorted())

        broker.signal(SIGTERM)
        let finished = broker.finish(timeout: .seconds(10))
        #expect(finished.status == 0)
        #expect(!FileManager.default.fileExists(atPath: bootstrapFile))
    }

    @Test func helpStatesTheLimits() throws {
        let help = try cells("broker", "--help")
        #expect(help.status == 0)
        #expect(help.stdout.contains("5 MiB"))
        #expect(help.stdout.contains("random port"))
        #expect(help.stdout.contains("in memory"))
    }

    @Test func rejectsBadTopicSpecs() throws {
        let out = try cells("broker", "--topic", "x:zero")
        #expect(out.status != 0)
        #expect(out.stderr.contains("partitions must be a positive number"))
    }
}
