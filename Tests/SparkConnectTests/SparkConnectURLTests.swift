import Testing
@testable import SparkConnect

@Suite struct SparkConnectURLTests {
    @Test func defaultsAndParameters() throws {
        let plain = try SparkConnectURL(parsing: "sc://spark-driver")
        #expect(plain.host == "spark-driver")
        #expect(plain.port == 15002)
        #expect(plain.userID == "cells")
        #expect(plain.sessionID == nil)
        #expect(plain.description == "sc://spark-driver:15002")

        let full = try SparkConnectURL(parsing: " sc://10.1.2.3:443/;user_id=ana;session_id=4D1C2B6E-0F6A-4E5B-9C3D-2A1B0C9D8E7F ")
        #expect(full.host == "10.1.2.3")
        #expect(full.port == 443)
        #expect(full.userID == "ana")
        #expect(full.sessionID == "4d1c2b6e-0f6a-4e5b-9c3d-2a1b0c9d8e7f")

        let ipv6 = try SparkConnectURL(parsing: "sc://[::1]:15100")
        #expect(ipv6.host == "::1")
        #expect(ipv6.port == 15100)
        #expect(ipv6.description == "sc://[::1]:15100")
    }

    @Test(arguments: [
        "http://host:15002", "sc://", "sc://:15002", "sc://host:0", "sc://host:65536", "sc://host:-1", "sc://host:abc",
        "sc://host:15002/;token=secret", "sc://host/;use_ssl=true", "sc://host/;session_id=not-a-uuid", "sc://host/;nope=1",
        "sc://host/;user_id=", "sc://host/;user_id", "sc://[::1", "sc://user@host",
    ])
    func refusesWhatIsNotAnAddress(_ text: String) {
        #expect(throws: SparkConnectError.self) { try SparkConnectURL(parsing: text) }
    }

    @Test func errorClassIsReadFromSparksMessage() {
        #expect(SparkConnectError.errorClass(in: "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column ...") == "UNRESOLVED_COLUMN.WITH_SUGGESTION")
        #expect(SparkConnectError.errorClass(in: "[PARSE_SYNTAX_ERROR] Syntax error") == "PARSE_SYNTAX_ERROR")
        #expect(SparkConnectError.errorClass(in: "plain failure") == nil)
        #expect(SparkConnectError.errorClass(in: "[lower case] x") == nil)
        #expect(SparkConnectError.errorClass(in: "[") == nil)
    }
}

/// The generated messages' bytes equal those pyspark's own protobuf classes write for the
/// same fields, which pins the field numbers to Spark's. Each expectation was made with
/// pyspark 4.0.1: e.g. `w = commands_pb2.WriteStreamOperationStart(); w.input.sql.query =
/// "SELECT 1"; ...; w.SerializeToString().hex()`.
@Suite struct SparkConnectWireTests {
    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func writeStreamOperationStart() throws {
        var write = Spark_Connect_WriteStreamOperationStart()
        write.input.sql.query = "SELECT 1"
        write.format = "memory"
        write.processingTimeInterval = "5 seconds"
        write.outputMode = "complete"
        write.queryName = "v"
        write.options["checkpointLocation"] = "/chk"
        #expect(Self.hex(try write.serializedBytes()) == "0a0c520a0a0853454c454354203112066d656d6f72791a1a0a12636865636b706f696e744c6f636174696f6e12042f63686b2a0935207365636f6e64734a08636f6d706c657465520176")
    }

    @Test func streamingKafkaRead() throws {
        var relation = Spark_Connect_Relation()
        relation.read.dataSource.format = "kafka"
        relation.read.dataSource.options["subscribe"] = "t"
        relation.read.isStreaming = true
        #expect(Self.hex(try relation.serializedBytes()) == "121b12170a056b61666b611a0e0a097375627363726962651201741801")
    }

    @Test func streamingQueryCommand() throws {
        var command = Spark_Connect_StreamingQueryCommand()
        command.queryID.id = "a"
        command.queryID.runID = "b"
        command.recentProgress = true
        #expect(Self.hex(try command.serializedBytes()) == "0a060a01611201622001")
    }

    @Test func watermark() throws {
        var relation = Spark_Connect_Relation()
        relation.withWatermark.input.sql.query = "SELECT 2"
        relation.withWatermark.eventTime = "ts"
        relation.withWatermark.delayThreshold = "1 minute"
        #expect(Self.hex(try relation.serializedBytes()) == "8a021c0a0c520a0a0853454c4543542032120274731a0831206d696e757465")
    }
}
