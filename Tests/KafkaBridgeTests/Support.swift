import Foundation
import KafkaBridge
import Testing

/// A fresh embedded cluster with one topic, for a test of its own.
func makeCluster(brokers: Int = 1, topic: String = "t", partitions: Int = 3,
                 replicationFactor: Int = 1) throws -> EmbeddedCluster {
    let cluster = try EmbeddedCluster(brokers: brokers)
    try cluster.createTopic(topic, partitions: partitions, replicationFactor: replicationFactor)
    return cluster
}

/// Reads every record of `topic` from the beginning until each partition reports its end.
func readAll(_ topic: String, from bootstrap: String, timeout: Duration = .seconds(20)) throws -> [KafkaRecord] {
    try KafkaConsumer(configuration: KafkaConfiguration(bootstrapServers: bootstrap)).readToEnd(topic: topic, timeout: timeout)
}

/// Runs a program to completion and returns its standard output.
@discardableResult
func run(_ executable: String, _ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let stdout = Pipe()
    process.standardOutput = stdout
    process.standardError = FileHandle.nullDevice
    let stdin = Pipe()
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// Where kcat is, or nil on a machine without it (the Makefile installs it).
let kcatPath: String? = ["/usr/bin/kcat", "/usr/local/bin/kcat", "/usr/bin/kafkacat"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }
