import Foundation
import Testing

// There is no Docker engine where these tests run, so they check what can be checked without
// one: docker-compose.yml, read by a real YAML parser, must describe a stack that can work
// (pinned images, healthchecks, start order, listeners that clients can reach), and the
// commands its containers run must be ones the built `cells` accepts. Every check is a
// function returning the problems it finds, so that the tests below can show each one
// catching a deliberately broken copy.

@Suite struct DockerComposeTests {
    @Test func theComposeFileHasNoProblems() throws {
        let compose = try ComposeFile(yaml: try repositoryText("docker-compose.yml"))
        let problems = compose.problems(cellsVersion: try cellsVersion())
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func theContainersRunRealCellsCommands() throws {
        let compose = try ComposeFile(yaml: try repositoryText("docker-compose.yml"))
        #expect(compose.services.filter(\.runsCells).count >= 4, "the producers and shells of both profiles")
        let problems = compose.commandProblems(runCells: runCells)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func theDockerfileHasNoProblems() throws {
        let compose = try ComposeFile(yaml: try repositoryText("docker-compose.yml"))
        let problems = DockerfileModel(text: try repositoryText("Dockerfile"))
            .problems(dockerignore: try repositoryText(".dockerignore"), notebookArguments: compose.notebookArguments)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }

    @Test func theSingleNodeStackIsWiredAsDocumented() throws {
        // The values the README promises, read back from the file rather than trusted.
        let compose = try ComposeFile(yaml: try repositoryText("docker-compose.yml"))
        let kafka = try #require(compose.service("kafka"))
        #expect(kafka.advertised.map(\.address).sorted() == ["kafka:29092", "localhost:9092"])
        #expect(compose.service("producer")?.environment["KAFKA_BOOTSTRAP"] == "kafka:29092")
        #expect(compose.service("cells")?.environment["KAFKA_BOOTSTRAP"] == "kafka:29092")
        #expect(compose.service("cells")?.command == ["run", "notebooks/work.cells"])
        let cluster = compose.services.filter { $0.isKafkaNode && $0.profiles == ["cluster"] }
        #expect(cluster.map(\.name).sorted() == ["kafka-1", "kafka-2", "kafka-3"])
    }

    /// A change to the real file, and a fragment of the problem it must cause.
    struct Breakage: Sendable, CustomTestStringConvertible {
        var find: String
        var replace: String
        var expected: String
        var testDescription: String { expected }
    }

    @Test(arguments: [
        Breakage(find: "image: apache/kafka:4.1.2\n    hostname: kafka\n", replace: "image: apache/kafka:latest\n    hostname: kafka\n",
                 expected: "kafka: image apache/kafka:latest is not pinned"),
        Breakage(find: "image: apache/kafka:4.1.2\n    profiles: [\"cluster\"]\n    hostname: kafka-2",
                 replace: "image: apache/kafka:4\n    profiles: [\"cluster\"]\n    hostname: kafka-2",
                 expected: "kafka-2: image apache/kafka:4 is not pinned"),
        Breakage(find: "  image: cells:0.1.0\n", replace: "  image: cells:dev\n", expected: "not `cells --version`"),
        Breakage(find: "  pull_policy: build\n", replace: "", expected: "pull_policy"),
        Breakage(find: "    healthcheck:\n      test:", replace: "    x-healthcheck:\n      test:", expected: "kafka: no healthcheck"),
        Breakage(find: "\"--bootstrap-server\", \"localhost:29092\"]\n      interval: 10s\n      timeout: 10s\n      retries: 12\n      start_period: 20s\n\n  # Creates",
                 replace: "\"--bootstrap-server\", \"localhost:9\"]\n      interval: 10s\n      timeout: 10s\n      retries: 12\n      start_period: 20s\n\n  # Creates",
                 expected: "kafka: the healthcheck does not ask the container listener"),
        Breakage(find: "PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092", replace: "PLAINTEXT://localhost:29092,PLAINTEXT_HOST://localhost:9092",
                 expected: "kafka: advertises its container listener as localhost:29092"),
        Breakage(find: "PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092", replace: "PLAINTEXT://kafka:29092,PLAINTEXT_HOST://kafka:9092",
                 expected: "kafka: advertises no listener for the host"),
        Breakage(find: "      - \"9092:9092\"\n", replace: "      - \"9094:9092\"\n", expected: "kafka: advertises localhost:9092 to the host but does not publish"),
        Breakage(find: "PLAINTEXT://kafka-2:29092,PLAINTEXT_HOST://localhost:19093", replace: "PLAINTEXT://kafka-1:29092,PLAINTEXT_HOST://localhost:19093",
                 expected: "kafka-2: advertises its container listener as kafka-1:29092"),
        Breakage(find: "KAFKA_AUTO_CREATE_TOPICS_ENABLE: \"false\"\n      # One node", replace: "KAFKA_AUTO_CREATE_TOPICS_ENABLE: \"true\"\n      # One node",
                 expected: "kafka: topics would be created on first use"),
        Breakage(find: "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093", replace: "1@kafka-1:9093,2@kafka-2:9093",
                 expected: "QUORUM_VOTERS"),
        Breakage(find: "--key\", \"none\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 replace: "--key\", \"none\"]\n    environment:\n      KAFKA_BOOTSTRAP: localhost:9092",
                 expected: "producer: KAFKA_BOOTSTRAP localhost:9092 is not an address Kafka advertises to containers"),
        Breakage(find: "work.cells\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092", replace: "work.cells\"]\n    environment:\n      CELLS_LOG_LEVEL: info",
                 expected: "cells: no KAFKA_BOOTSTRAP"),
        Breakage(find: "condition: service_completed_successfully\n    # cells produce", replace: "condition: service_started\n    # cells produce",
                 expected: "producer: does not wait for kafka-init to complete"),
        Breakage(find: "kafka:\n        condition: service_healthy\n      kafka-init:\n        condition: service_completed_successfully\n    # cells produce",
                 replace: "kafka-init:\n        condition: service_completed_successfully\n    # cells produce",
                 expected: "producer: does not wait for kafka to be healthy"),
        Breakage(find: "    restart: on-failure\n\n  # The notebook shell", replace: "\n  # The notebook shell",
                 expected: "producer: is not restarted on failure"),
        Breakage(find: "    stdin_open: true\n    tty: true\n    depends_on:\n      kafka:", replace: "    depends_on:\n      kafka:",
                 expected: "cells: not interactive"),
        Breakage(find: "\"--partitions\", \"6\", \"--replication-factor\", \"1\"]", replace: "\"--partitions\", \"6\", \"--replication-factor\", \"2\"]",
                 expected: "kafka-init: replication factor 2 on 1 node"),
        Breakage(find: "\"kafka:29092\", \"--create\", \"--if-not-exists\"", replace: "\"kafka:29092\", \"--create\"",
                 expected: "kafka-init: without --if-not-exists"),
        Breakage(find: "\"--topic\", \"streaming_cartao\", \"--partitions\", \"6\", \"--replication-factor\", \"1\"]",
                 replace: "\"--topic\", \"cartao\", \"--partitions\", \"6\", \"--replication-factor\", \"1\"]",
                 expected: "nothing creates streaming_cartao for kafka"),
        Breakage(find: "\"--replication-factor\", \"3\"", replace: "\"--replication-factor\", \"2\"",
                 expected: "kafka-cluster-init: replication factor 2, not 3"),
        Breakage(find: "\"min.insync.replicas=2\"", replace: "\"min.insync.replicas=1\"",
                 expected: "kafka-cluster-init: min.insync.replicas 1, not 2"),
        Breakage(find: "      KAFKA_MIN_INSYNC_REPLICAS: 2\n", replace: "      KAFKA_MIN_INSYNC_REPLICAS: 1\n",
                 expected: "kafka-1: KAFKA_MIN_INSYNC_REPLICAS is 1, not 2"),
        Breakage(find: "  kafka-3:\n    image: apache/kafka:4.1.2\n    profiles: [\"cluster\"]", replace: "  kafka-3:\n    image: apache/kafka:4.1.2\n    profiles: [\"big\"]",
                 expected: "the cluster profile has 2 Kafka nodes, not 3"),
        Breakage(find: "  producer:\n    <<: *cells-image\n", replace: "  producer:\n    <<: *cells-image\n    profiles: [\"x\"]\n",
                 expected: "`docker compose up` starts no producer"),
        Breakage(find: "  kafka-init:\n    image: apache/kafka:4.1.2\n", replace: "  kafka-init:\n    image: apache/kafka:4.1.2\n    profiles: [\"x\"]\n",
                 expected: "producer: runs without a profile but depends on kafka-init"),
    ])
    func aBrokenComposeFileIsCaught(_ breakage: Breakage) throws {
        let text = try breaking(try repositoryText("docker-compose.yml"), breakage)
        let problems = try ComposeFile(yaml: text).problems(cellsVersion: try cellsVersion())
        #expect(problems.contains { $0.contains(breakage.expected) }, "got: \(problems)")
    }

    @Test(arguments: [
        Breakage(find: "\"--key\", \"none\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 replace: "\"--keys\", \"none\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 expected: "producer: cells produce has no option --keys"),
        Breakage(find: "\"--burst\", \"8-20\", \"--pause\", \"1-60\", \"--key\", \"none\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 replace: "\"--burst\", \"8to20\", \"--pause\", \"1-60\", \"--key\", \"none\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 expected: "producer: cells produce rejects these arguments"),
        Breakage(find: "command: [\"run\", \"notebooks/work.cells\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 replace: "command: [\"shell\", \"notebooks/work.cells\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 expected: "cells: shell is not a cells subcommand"),
        Breakage(find: "command: [\"run\", \"notebooks/work.cells\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 replace: "command: [\"run\", \"--every\", \"notebooks/work.cells\"]\n    environment:\n      KAFKA_BOOTSTRAP: kafka:29092",
                 expected: "cells: cells run has no option --every"),
        Breakage(find: "  cells:\n    <<: *cells-image\n", replace: "  cells:\n    <<: *cells-image\n    entrypoint: [\"sh\"]\n",
                 expected: "cells: entrypoint [\"sh\"] instead of the image's cells"),
    ])
    func aBrokenCommandIsCaught(_ breakage: Breakage) throws {
        let text = try breaking(try repositoryText("docker-compose.yml"), breakage)
        let problems = try ComposeFile(yaml: text).commandProblems(runCells: runCells)
        #expect(problems.contains { $0.contains(breakage.expected) }, "got: \(problems)")
    }

    @Test(arguments: [
        Breakage(find: "FROM debian:bookworm-20251229-slim", replace: "FROM debian:bookworm-slim",
                 expected: "image debian:bookworm-slim is not pinned"),
        Breakage(find: "FROM swift:6.3.1-bookworm AS build", replace: "FROM swift:6.3-bookworm AS build",
                 expected: "image swift:6.3-bookworm is not pinned"),
        Breakage(find: "FROM debian:bookworm-20251229-slim", replace: "FROM ubuntu:24.04",
                 expected: "the run stage is not Debian bookworm slim"),
        Breakage(find: "USER cells\n", replace: "USER root\n", expected: "runs as root"),
        Breakage(find: "USER cells\n", replace: "", expected: "runs as root"),
        Breakage(find: "ENTRYPOINT [\"cells\"]", replace: "ENTRYPOINT [\"/bin/sh\", \"-c\"]", expected: "ENTRYPOINT is not [\"cells\"]"),
        Breakage(find: "COPY --chown=cells:cells notebooks/ notebooks/\n", replace: "", expected: "notebooks/ is not copied"),
        Breakage(find: "COPY --chown=cells:cells notebooks/ notebooks/\n", replace: "COPY --chown=cells:cells notebooks/ /srv/notebooks/\n",
                 expected: "notebooks/work.cells is not where the run stage copies notebooks/"),
        Breakage(find: "COPY --from=build /out/cells /usr/local/bin/cells\n", replace: "", expected: "the binary is not copied from the build stage"),
        Breakage(find: "--product cells --static-swift-stdlib", replace: "--product cells", expected: "without --static-swift-stdlib"),
        Breakage(find: "librdkafka1 liblz4-1 libedit2", replace: "librdkafka-dev liblz4-1 libedit2", expected: "the run stage does not install librdkafka1"),
        Breakage(find: "liblz4-dev libedit-dev libsqlite3-dev", replace: "liblz4-dev libsqlite3-dev", expected: "the build stage does not install libedit-dev"),
        Breakage(find: "librdkafka-dev liblz4-dev", replace: "librdkafka-dev", expected: "the build stage does not install liblz4-dev"),
        Breakage(find: "librdkafka1 liblz4-1", replace: "librdkafka1", expected: "the run stage does not install liblz4-1"),
    ])
    func aBrokenDockerfileIsCaught(_ breakage: Breakage) throws {
        let text = try breaking(try repositoryText("Dockerfile"), breakage)
        let problems = DockerfileModel(text: text)
            .problems(dockerignore: try repositoryText(".dockerignore"), notebookArguments: ["notebooks/work.cells"])
        #expect(problems.contains { $0.contains(breakage.expected) }, "got: \(problems)")
    }

    @Test func aSingleStageDockerfileAndALeakyContextAreCaught() throws {
        let single = DockerfileModel(text: "FROM swift:6.3.1-bookworm\nCOPY . .\nUSER nobody\nENTRYPOINT [\"cells\"]\n")
            .problems(dockerignore: ".build\n.git\n", notebookArguments: [])
        #expect(single.contains { $0.contains("one stage") })
        let leaky = DockerfileModel(text: try repositoryText("Dockerfile"))
            .problems(dockerignore: "Sources\n", notebookArguments: ["notebooks/work.cells"])
        #expect(leaky.contains { $0.contains(".dockerignore does not exclude .build") })
        #expect(leaky.contains { $0.contains(".dockerignore excludes Sources") })
    }

    @Test func pinnedMeansAnExactVersion() {
        for image in ["apache/kafka:4.1.2", "swift:6.3.1-bookworm", "debian:bookworm-20251229-slim", "cells:0.1.0",
                      "registry.example:5000/kafka@sha256:" + String(repeating: "a", count: 64)] {
            #expect(isPinned(image), "\(image)")
        }
        for image in ["apache/kafka", "apache/kafka:latest", "apache/kafka:4", "apache/kafka:4.1", "swift:6.3-bookworm",
                      "debian:bookworm-slim", "debian:12-slim", "registry.example:5000/kafka"] {
            #expect(!isPinned(image), "\(image)")
        }
    }
}

// MARK: - Reading the files

private func repositoryText(_ name: String) throws -> String {
    try String(contentsOf: repositoryRoot.appendingPathComponent(name), encoding: .utf8)
}

/// The file with one change, which must apply exactly once so that a test cannot pass by
/// breaking nothing.
private func breaking(_ text: String, _ breakage: DockerComposeTests.Breakage) throws -> String {
    let occurrences = text.components(separatedBy: breakage.find).count - 1
    try #require(occurrences == 1, "expected \(breakage.find.debugDescription) once, found it \(occurrences) times")
    return text.replacingOccurrences(of: breakage.find, with: breakage.replace)
}

private func runCells(_ arguments: [String]) throws -> Finished {
    try Child(cellsExecutable.path, arguments).finish(timeout: .seconds(30))
}

private func cellsVersion() throws -> String {
    let run = try runCells(["--version"])
    try #require(run.status == 0)
    return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// YAML to JSON through Debian's PyYAML: a real parser, with the anchors, merge keys and flow
/// lists the compose file uses, where a hand-written reader would only approximate YAML.
private func parseYAML(_ text: String) throws -> [String: Any] {
    let python = "/usr/bin/python3"
    try #require(FileManager.default.isExecutableFile(atPath: python), "no \(python) (make test installs python3-yaml)")
    let path = temporaryPath("compose.yml")
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let script = "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)"
    let run = try Child(python, ["-c", script, path]).finish(timeout: .seconds(30))
    try #require(run.status == 0, "PyYAML did not read the file (make test installs python3-yaml): \(run.stderr)")
    return try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "not a YAML mapping")
}

private func scalar(_ value: Any?) -> String? {
    switch value {
    case let string as String: string
    case let int as Int: String(int)
    case let double as Double: double == double.rounded() ? String(Int(double)) : String(double)
    case let number as NSNumber: number.stringValue
    default: nil
    }
}

/// A list as compose allows it: a YAML list, or one string split at spaces.
private func words(_ value: Any?) -> [String]? {
    if let list = value as? [Any] { return list.compactMap(scalar) }
    if let string = value as? String { return string.split(separator: " ").map(String.init) }
    return nil
}

/// An image reference names one build of the image: a digest, or a tag holding a full
/// version (x.y.z) or a snapshot date (YYYYMMDD). `latest`, `4`, `4.1` and `bookworm-slim`
/// move under the user.
private func isPinned(_ image: String) -> Bool {
    if image.contains("@sha256:") { return true }
    guard let colon = image.lastIndex(of: ":"), !image[colon...].contains("/") else { return false }
    let tag = image[image.index(after: colon)...]
    return tag.contains(/(^|[^0-9.])\d+\.\d+\.\d+($|[^0-9.])/) || tag.contains(/(^|-)\d{8}($|-)/)
}

/// `NAME://host:port` in KAFKA_LISTENERS and KAFKA_ADVERTISED_LISTENERS.
private struct Listener: Equatable {
    var name: String
    var host: String
    var port: Int
    var address: String { "\(host):\(port)" }

    static func list(_ value: String?) -> [Listener] {
        (value ?? "").split(separator: ",").compactMap { item in
            let parts = item.trimmingCharacters(in: .whitespaces).components(separatedBy: "://")
            guard parts.count == 2, let colon = parts[1].lastIndex(of: ":"),
                  let port = Int(parts[1][parts[1].index(after: colon)...]) else { return nil }
            return Listener(name: parts[0], host: String(parts[1][..<colon]), port: port)
        }
    }
}

private func commaList(_ value: String?) -> [String] {
    (value ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
}

// MARK: - The compose file

private struct ComposeService {
    var name: String
    var image: String?
    var builds: Bool
    var pullPolicy: String?
    var hostname: String?
    var profiles: [String]
    var environment: [String: String]
    var dependsOn: [String: String]
    var entrypoint: [String]?
    var command: [String]
    var published: [(host: Int, container: Int)]
    var healthcheck: [String]?
    var restart: String?
    var interactive: Bool

    init(name: String, _ raw: [String: Any]) {
        self.name = name
        image = raw["image"] as? String
        builds = raw["build"] != nil
        pullPolicy = raw["pull_policy"] as? String
        hostname = raw["hostname"] as? String
        profiles = words(raw["profiles"]) ?? []
        if let map = raw["environment"] as? [String: Any] {
            environment = map.compactMapValues(scalar)
        } else {
            environment = Dictionary((words(raw["environment"]) ?? []).map { entry in
                let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
                return (parts[0], parts.count > 1 ? parts[1] : "")
            }, uniquingKeysWith: { $1 })
        }
        if let map = raw["depends_on"] as? [String: Any] {
            dependsOn = map.mapValues { (($0 as? [String: Any])?["condition"] as? String) ?? "service_started" }
        } else {
            dependsOn = Dictionary(uniqueKeysWithValues: (words(raw["depends_on"]) ?? []).map { ($0, "service_started") })
        }
        entrypoint = words(raw["entrypoint"])
        command = words(raw["command"]) ?? []
        published = ((raw["ports"] as? [Any]) ?? []).compactMap { port in
            if let long = port as? [String: Any] {
                guard let host = scalar(long["published"]).flatMap(Int.init), let container = scalar(long["target"]).flatMap(Int.init)
                else { return nil }
                return (host, container)
            }
            // "host:container", "ip:host:container", each maybe "/tcp".
            let parts = ((scalar(port) ?? "").split(separator: "/").first ?? "").split(separator: ":")
            guard parts.count >= 2, let host = Int(parts[parts.count - 2]), let container = Int(parts[parts.count - 1])
            else { return nil }
            return (host, container)
        }
        if let check = raw["healthcheck"] as? [String: Any], check["disable"] as? Bool != true,
           let test = (check["test"] as? [Any])?.compactMap(scalar) ?? (check["test"] as? String).map({ ["CMD-SHELL", $0] }),
           test.first != "NONE", !test.isEmpty {
            healthcheck = test
        }
        restart = raw["restart"] as? String
        interactive = raw["stdin_open"] as? Bool == true && raw["tty"] as? Bool == true
    }

    /// The name other containers reach it by.
    var address: String { hostname ?? name }
    var isKafkaNode: Bool { environment["KAFKA_PROCESS_ROLES"] != nil }
    /// A service of the image the Dockerfile builds.
    var runsCells: Bool { builds }
    var listeners: [Listener] { Listener.list(environment["KAFKA_LISTENERS"]) }
    var advertised: [Listener] { Listener.list(environment["KAFKA_ADVERTISED_LISTENERS"]) }
    var containerListener: Listener? {
        let name = environment["KAFKA_INTER_BROKER_LISTENER_NAME"] ?? "PLAINTEXT"
        return advertised.first { $0.name == name }
    }
    var hostListener: Listener? { advertised.first { ["localhost", "127.0.0.1"].contains($0.host) } }
    /// The topic-creation command of a one-shot kafka-topics.sh service, as option → value.
    var topicCreation: [String: String]? {
        guard command.contains("--create") else { return nil }
        var options: [String: String] = [:]
        for (index, word) in command.enumerated() where word.hasPrefix("--") {
            let next = index + 1 < command.count ? command[index + 1] : ""
            options[word] = next.hasPrefix("--") ? "" : next
        }
        return options
    }
    /// The servers this cells container is told to use: --bootstrap/-b, else $KAFKA_BOOTSTRAP.
    var bootstrap: [String]? {
        if let flag = command.firstIndex(where: { $0 == "--bootstrap" || $0 == "-b" }), flag + 1 < command.count {
            return commaList(command[flag + 1])
        }
        return environment["KAFKA_BOOTSTRAP"].map(commaList)
    }
}

private struct ComposeFile {
    var services: [ComposeService]

    init(yaml: String) throws {
        let root = try parseYAML(yaml)
        let services = try #require(root["services"] as? [String: Any], "no services")
        self.services = services.keys.sorted().map { ComposeService(name: $0, (services[$0] as? [String: Any]) ?? [:]) }
    }

    func service(_ name: String) -> ComposeService? { services.first { $0.name == name } }

    /// Kafka nodes by profile: the key "" is what `docker compose up` starts.
    var clusters: [String: [ComposeService]] {
        Dictionary(grouping: services.filter(\.isKafkaNode)) { $0.profiles.sorted().joined(separator: ",") }
    }

    /// Which cluster an address a container was given belongs to.
    func node(advertising address: String) -> ComposeService? {
        services.first { $0.isKafkaNode && $0.containerListener?.address == address }
    }

    /// The notebooks the shells open, as the containers see them.
    var notebookArguments: [String] {
        services.filter { $0.runsCells && $0.command.first == "run" }.compactMap { $0.command.dropFirst().first { !$0.hasPrefix("-") } }
    }

    func problems(cellsVersion: String) -> [String] {
        var problems: [String] = []
        func problem(_ service: ComposeService, _ text: String) { problems.append("\(service.name): \(text)") }

        for service in services {
            guard let image = service.image else { problem(service, "no image"); continue }
            if !isPinned(image) { problem(service, "image \(image) is not pinned to an exact version") }
            if service.runsCells {
                if image != "cells:\(cellsVersion)" { problem(service, "image \(image) is not `cells --version` (cells:\(cellsVersion))") }
                // Without it Compose would first try to pull `cells:…` from a registry.
                if service.pullPolicy != "build" { problem(service, "pull_policy is not build") }
            }
            for (dependency, _) in service.dependsOn {
                guard let target = self.service(dependency) else { problem(service, "depends on \(dependency), which does not exist"); continue }
                // Compose refuses a model in which an enabled service needs a disabled one.
                if service.profiles.isEmpty && !target.profiles.isEmpty {
                    problem(service, "runs without a profile but depends on \(dependency), which has profiles \(target.profiles)")
                }
            }
        }

        var published: [Int: String] = [:]
        for service in services {
            for port in service.published {
                if let other = published[port.host] { problem(service, "publishes host port \(port.host), as \(other) does") }
                published[port.host] = service.name
            }
        }

        for node in services.filter(\.isKafkaNode) { problems += nodeProblems(node) }

        let clusters = self.clusters
        for (profile, nodes) in clusters { problems += clusterProblems(profile: profile, nodes: nodes) }
        if let single = clusters[""] {
            if single.map(\.name) != ["kafka"] { problems.append("`docker compose up` should start one Kafka node named kafka, not \(single.map(\.name))") }
            if let kafka = single.first, kafka.hostListener?.address != "localhost:9092" {
                problems.append("kafka: the host listener is \(kafka.hostListener?.address ?? "missing"), not localhost:9092")
            }
        } else {
            problems.append("no Kafka node without a profile: `docker compose up` would start no Kafka")
        }
        if let cluster = clusters["cluster"] {
            if cluster.count != 3 { problems.append("the cluster profile has \(cluster.count) Kafka nodes, not 3") }
        } else {
            problems.append("the cluster profile has 0 Kafka nodes, not 3")
        }

        problems += topicProblems()
        problems += clientProblems()
        return problems
    }

    private func nodeProblems(_ node: ComposeService) -> [String] {
        var problems: [String] = []
        func problem(_ text: String) { problems.append("\(node.name): \(text)") }
        let env = node.environment
        let listeners = node.listeners
        let protocols = Set(commaList(env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]).map { String($0.split(separator: ":")[0]) })
        let controllers = Set(commaList(env["KAFKA_CONTROLLER_LISTENER_NAMES"]))

        if !commaList(env["KAFKA_PROCESS_ROLES"]).contains("broker") { problem("is not a broker (KAFKA_PROCESS_ROLES)") }
        if env["KAFKA_NODE_ID"].flatMap(Int.init) == nil { problem("no KAFKA_NODE_ID") }
        if env["CLUSTER_ID"] == nil { problem("no CLUSTER_ID") }
        for listener in listeners where !protocols.contains(listener.name) {
            problem("listener \(listener.name) has no security protocol in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP")
        }
        for listener in node.advertised {
            if controllers.contains(listener.name) { problem("advertises its controller listener \(listener.name) to clients") }
            if !listeners.contains(where: { $0.name == listener.name }) { problem("advertises \(listener.name), which it does not listen on") }
        }
        if let container = node.containerListener {
            // A container follows the advertised address, so it must be this service's own name.
            if container.host != node.address || listeners.first(where: { $0.name == container.name })?.port != container.port {
                problem("advertises its container listener as \(container.address), not \(node.address):\(listeners.first { $0.name == container.name }?.port ?? 0)")
            }
        } else {
            problem("advertises no container listener (\(env["KAFKA_INTER_BROKER_LISTENER_NAME"] ?? "PLAINTEXT"))")
        }
        if let host = node.hostListener {
            let port = listeners.first { $0.name == host.name }?.port
            if !node.published.contains(where: { $0.host == host.port && $0.container == port }) {
                problem("advertises \(host.address) to the host but does not publish \(host.port) to its listener port \(port ?? 0)")
            }
        } else {
            problem("advertises no listener for the host (localhost)")
        }
        if let test = node.healthcheck {
            let port = node.containerListener.flatMap { c in listeners.first { $0.name == c.name }?.port }
            if let port, !test.contains(where: { $0.hasSuffix(":\(port)") || $0.contains(":\(port) ") || $0.contains(":\(port),") }) {
                problem("the healthcheck does not ask the container listener (port \(port)): \(test)")
            }
        } else {
            problem("no healthcheck")
        }
        if env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]?.lowercased() != "false" {
            problem("topics would be created on first use (set KAFKA_AUTO_CREATE_TOPICS_ENABLE to \"false\")")
        }
        return problems
    }

    private func clusterProblems(profile: String, nodes: [ComposeService]) -> [String] {
        var problems: [String] = []
        let label = profile.isEmpty ? "the default Kafka" : "the \(profile) profile's Kafka"
        let ids = nodes.compactMap { $0.environment["KAFKA_NODE_ID"].flatMap(Int.init) }
        if Set(ids).count != nodes.count { problems.append("\(label): node ids \(ids) are not distinct") }
        if Set(nodes.map { $0.environment["CLUSTER_ID"] ?? "" }).count > 1 { problems.append("\(label): the nodes have different CLUSTER_IDs") }
        for node in nodes {
            // Every node must name the same quorum, and the quorum must be these nodes at
            // their controller listeners.
            let voters = commaList(node.environment["KAFKA_CONTROLLER_QUORUM_VOTERS"])
            let expected = nodes.compactMap { other -> String? in
                guard let id = other.environment["KAFKA_NODE_ID"],
                      commaList(other.environment["KAFKA_PROCESS_ROLES"]).contains("controller") else { return nil }
                let names = Set(commaList(other.environment["KAFKA_CONTROLLER_LISTENER_NAMES"]))
                guard let port = other.listeners.first(where: { names.contains($0.name) })?.port else { return nil }
                return "\(id)@\(other.address):\(port)"
            }
            if voters.sorted() != expected.sorted() {
                problems.append("\(node.name): KAFKA_CONTROLLER_QUORUM_VOTERS \(voters) are not the controllers \(expected)")
            }
            for (key, value) in node.environment where key.hasSuffix("REPLICATION_FACTOR") {
                if let factor = Int(value), factor > nodes.count { problems.append("\(node.name): \(key) \(factor) on \(nodes.count) nodes") }
            }
            if profile == "cluster" {
                for (key, value) in [("KAFKA_MIN_INSYNC_REPLICAS", "2"), ("KAFKA_DEFAULT_REPLICATION_FACTOR", "3"),
                                     ("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")] where node.environment[key] != value {
                    problems.append("\(node.name): \(key) is \(node.environment[key] ?? "unset"), not \(value)")
                }
            }
        }
        return problems
    }

    private func topicProblems() -> [String] {
        var problems: [String] = []
        var created: Set<String> = []
        for service in services {
            guard let options = service.topicCreation else { continue }
            func problem(_ text: String) { problems.append("\(service.name): \(text)") }
            if service.entrypoint?.last?.hasSuffix("kafka-topics.sh") != true { problem("runs --create without kafka-topics.sh as its entrypoint") }
            let servers = commaList(options["--bootstrap-server"])
            let nodes = servers.compactMap(node(advertising:))
            guard !servers.isEmpty, nodes.count == servers.count, let first = nodes.first else {
                problem("--bootstrap-server \(servers) is not a listener Kafka advertises to containers"); continue
            }
            let cluster = clusters[first.profiles.sorted().joined(separator: ",")] ?? []
            for node in cluster where service.dependsOn[node.name] != "service_healthy" {
                problem("does not wait for \(node.name) to be healthy")
            }
            if options["--if-not-exists"] == nil { problem("without --if-not-exists, a second `up` fails") }
            guard options["--topic"] == "streaming_cartao" else { continue }
            created.insert(first.name)
            if (options["--partitions"].flatMap(Int.init) ?? 0) < 1 { problem("no set number of partitions") }
            let factor = options["--replication-factor"].flatMap(Int.init) ?? 0
            if factor < 1 || factor > cluster.count { problem("replication factor \(factor) on \(cluster.count) node\(cluster.count == 1 ? "" : "s")") }
            if first.profiles == ["cluster"] {
                if factor != 3 { problem("replication factor \(factor), not 3") }
                // The topic's own setting, else what its brokers default to.
                let config = zip(service.command, service.command.dropFirst())
                    .first { $0.0 == "--config" && $0.1.hasPrefix("min.insync.replicas=") }?.1
                let minimum = config.map { String($0.dropFirst("min.insync.replicas=".count)) } ?? first.environment["KAFKA_MIN_INSYNC_REPLICAS"]
                if minimum != "2" { problem("min.insync.replicas \(minimum ?? "unset"), not 2") }
            }
        }
        for (profile, nodes) in clusters where !nodes.contains(where: { created.contains($0.name) }) {
            problems.append("nothing creates streaming_cartao for \(nodes.map(\.name).joined(separator: ", "))\(profile.isEmpty ? "" : " (\(profile))")")
        }
        return problems
    }

    private func clientProblems() -> [String] {
        var problems: [String] = []
        // What the containers of each cluster run, and what `docker compose up` starts.
        var roles: [String: Set<String>] = [:]
        var startedByUp: Set<String> = []
        for client in services.filter(\.runsCells) {
            func problem(_ text: String) { problems.append("\(client.name): \(text)") }
            guard let servers = client.bootstrap, !servers.isEmpty else { problem("no KAFKA_BOOTSTRAP"); continue }
            let nodes = servers.compactMap(node(advertising:))
            for server in servers where node(advertising: server) == nil {
                problem("KAFKA_BOOTSTRAP \(server) is not an address Kafka advertises to containers")
            }
            guard let first = nodes.first else { continue }
            let profile = first.profiles.sorted().joined(separator: ",")
            for node in nodes where client.dependsOn[node.name] != "service_healthy" {
                problem("does not wait for \(node.name) to be healthy")
            }
            let creators = services.filter { creator in
                creator.topicCreation?["--topic"] == "streaming_cartao"
                    && commaList(creator.topicCreation?["--bootstrap-server"]).compactMap(node(advertising:)).contains { $0.profiles == first.profiles }
            }
            for creator in creators where client.dependsOn[creator.name] != "service_completed_successfully" {
                problem("does not wait for \(creator.name) to complete")
            }
            switch client.command.first {
            case "produce":
                if !["on-failure", "always", "unless-stopped"].contains(client.restart ?? "no") { problem("is not restarted on failure") }
            case "run":
                if !client.interactive { problem("not interactive (stdin_open and tty)") }
            default: break
            }
            roles[profile, default: []].insert(client.command.first ?? "")
            if client.profiles.isEmpty { startedByUp.insert(client.command.first ?? "") }
        }
        for (profile, nodes) in clusters {
            let name = nodes.map(\.name).joined(separator: ", ") + (profile.isEmpty ? " without a profile" : "")
            if !(roles[profile] ?? []).contains("produce") { problems.append("no producer for \(name)") }
            if !(roles[profile] ?? []).contains("run") { problems.append("no notebook shell for \(name)") }
        }
        if !startedByUp.contains("produce") { problems.append("`docker compose up` starts no producer") }
        return problems
    }

    /// The containers' commands against the built binary: each names a subcommand, and each
    /// option it passes is one that subcommand's --help lists.
    func commandProblems(runCells: ([String]) throws -> Finished) -> [String] {
        var problems: [String] = []
        let subcommands: Set<String>
        do {
            let top = try runCells(["--help"])
            let section = top.stdout.components(separatedBy: "SUBCOMMANDS:").dropFirst().first ?? ""
            // Entries start two spaces in; their wrapped descriptions further in.
            subcommands = Set(section.split(separator: "\n").filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
                .compactMap { $0.split(separator: " ").first.map(String.init) })
        } catch {
            return ["cells --help: \(error)"]
        }
        for service in services.filter(\.runsCells) {
            func problem(_ text: String) { problems.append("\(service.name): \(text)") }
            // The image's ENTRYPOINT is cells (checked with the Dockerfile); overriding it here
            // would run something else.
            if let entrypoint = service.entrypoint, entrypoint != ["cells"] {
                problem("entrypoint \(entrypoint.debugDescription) instead of the image's cells")
            }
            guard let subcommand = service.command.first, subcommands.contains(subcommand) else {
                problem("\(service.command.first ?? "nothing") is not a cells subcommand (\(subcommands.sorted()))"); continue
            }
            let help: Finished
            do { help = try runCells([subcommand, "--help"]) } catch { problem("cells \(subcommand) --help: \(error)"); continue }
            if help.status != 0 { problem("cells \(subcommand) --help exited \(help.status)"); continue }
            let options = help.stdout.components(separatedBy: "OPTIONS:").dropFirst().joined()
            let names = Set(options.split(whereSeparator: { $0.isWhitespace || $0 == "," }).map(String.init))
            for word in service.command.dropFirst() where word.hasPrefix("-") {
                let option = String(word.split(separator: "=", maxSplits: 1)[0])
                if !names.contains(option) { problem("cells \(subcommand) has no option \(option)") }
            }
            // Values too, where a dry run is possible: the producer's arguments, writing no
            // message anywhere, go through the same validation as in the container.
            if subcommand == "produce" {
                let dry = (try? runCells(Array(service.command) + ["--count", "0", "--output", "-"]))
                if dry?.status != 0 { problem("cells produce rejects these arguments: \(dry?.stderr ?? "did not run")") }
            }
        }
        return problems
    }
}

// MARK: - The Dockerfile

private struct DockerfileModel {
    struct Instruction {
        var keyword: String
        var arguments: String
        var words: [String] { arguments.split(separator: " ").map(String.init) }
    }

    struct Stage {
        var image: String
        var name: String?
        var instructions: [Instruction] = []
        func all(_ keyword: String) -> [Instruction] { instructions.filter { $0.keyword == keyword } }
        var runs: String { all("RUN").map(\.arguments).joined(separator: "\n") }
    }

    var stages: [Stage] = []

    init(text: String) {
        var logical: [String] = []
        var pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") { continue }
            if trimmed.hasSuffix("\\") {
                pending += String(trimmed.dropLast()) + " "
            } else {
                pending += trimmed
                if !pending.trimmingCharacters(in: .whitespaces).isEmpty { logical.append(pending) }
                pending = ""
            }
        }
        for line in logical {
            let keyword = String(line.prefix { !$0.isWhitespace }).uppercased()
            let arguments = line.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
            if keyword == "FROM" {
                let words = arguments.split(separator: " ").map(String.init).filter { !$0.hasPrefix("--") }
                let name = words.count >= 3 && words[1].uppercased() == "AS" ? words[2] : nil
                stages.append(Stage(image: words.first ?? "", name: name))
            } else if !stages.isEmpty {
                stages[stages.count - 1].instructions.append(Instruction(keyword: keyword, arguments: arguments))
            }
        }
    }

    func problems(dockerignore: String, notebookArguments: [String]) -> [String] {
        var problems: [String] = []
        guard stages.count >= 2, let build = stages.first, let run = stages.last else {
            return ["one stage: the image would carry the Swift toolchain"] + ignoreProblems(dockerignore)
        }
        let stageNames = Set(stages.compactMap(\.name))
        for stage in stages where !stageNames.contains(stage.image) && !isPinned(stage.image) {
            problems.append("image \(stage.image) is not pinned to an exact version")
        }
        if !(build.image.hasPrefix("swift:") && build.image.contains("bookworm")) {
            problems.append("the build stage is not an official Swift image on bookworm: \(build.image)")
        }
        if !(run.image.hasPrefix("debian:") && run.image.contains("bookworm") && run.image.contains("slim")) {
            problems.append("the run stage is not Debian bookworm slim: \(run.image)")
        }
        for package in ["librdkafka-dev", "liblz4-dev", "libedit-dev", "libsqlite3-dev", "libpq-dev", "pkg-config"] where !build.runs.contains(package) {
            problems.append("the build stage does not install \(package)")
        }
        if !build.runs.contains("swift build") { problems.append("the build stage does not run swift build") }
        if !build.runs.contains("--static-swift-stdlib") {
            problems.append("swift build runs without --static-swift-stdlib: the run stage has no Swift runtime")
        }
        let runPackages = Set(run.runs.split(whereSeparator: \.isWhitespace).map(String.init))
        for package in ["librdkafka1", "liblz4-1", "libedit2", "libsqlite3-0", "libpq5"] where !runPackages.contains(package) {
            problems.append("the run stage does not install \(package)")
        }
        if let dev = runPackages.first(where: { $0.hasSuffix("-dev") }) { problems.append("the run stage installs \(dev)") }

        let copies = run.all("COPY").map { $0.words }
        let binary = copies.first { words in
            words.contains { $0.hasPrefix("--from=") && stageNames.contains(String($0.dropFirst("--from=".count))) }
                && words.last.map { $0 == "/usr/local/bin/cells" || $0 == "/usr/local/bin/" } == true
        }
        if binary == nil { problems.append("the binary is not copied from the build stage to /usr/local/bin/cells") }

        let entrypoint = run.all("ENTRYPOINT").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.arguments.utf8)) as? [String] }
        if entrypoint != ["cells"] { problems.append("ENTRYPOINT is not [\"cells\"]: \(run.all("ENTRYPOINT").last?.arguments ?? "none")") }

        let user = run.all("USER").last?.arguments.split(separator: ":").first.map(String.init)
        if user == nil || user == "root" || user == "0" {
            problems.append("runs as root (USER \(user ?? "unset"))")
        } else if let user, !run.runs.contains("useradd") || !run.runs.contains(user) {
            problems.append("USER \(user) is not created in the run stage")
        }

        // Where the notebooks land in the image, against what the shells are told to open.
        let workdir = run.all("WORKDIR").last?.arguments ?? "/"
        func inImage(_ path: String) -> String {
            let absolute = path.hasPrefix("/") ? path : (workdir.hasSuffix("/") ? workdir : workdir + "/") + path
            return absolute.hasSuffix("/") ? absolute : absolute + "/"
        }
        let notebooks = copies.first { words in
            !words.contains { $0.hasPrefix("--from=") } && words.first { !$0.hasPrefix("--") }?.hasPrefix("notebooks") == true
        }
        if let notebooks, let destination = notebooks.last {
            for argument in notebookArguments {
                let path = inImage(argument).dropLast()
                let folder = inImage(destination)
                let inRepository = repositoryRoot.appendingPathComponent("notebooks").appendingPathComponent(String(path.dropFirst(folder.count)))
                if !path.hasPrefix(folder) || !FileManager.default.fileExists(atPath: inRepository.path) {
                    problems.append("\(argument) is not where the run stage copies notebooks/ (\(folder), WORKDIR \(workdir))")
                }
            }
        } else {
            problems.append("notebooks/ is not copied into the run stage")
        }
        return problems + ignoreProblems(dockerignore)
    }

    /// The build context: without the build folder and history (large, and a stale .build would
    /// replace the container's own), with everything SwiftPM needs to load the manifest.
    private func ignoreProblems(_ dockerignore: String) -> [String] {
        let patterns = Set(dockerignore.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }.map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 })
        var problems: [String] = []
        for needed in [".build", ".git"] where !patterns.contains(needed) && !patterns.contains(needed + "/") {
            problems.append(".dockerignore does not exclude \(needed)")
        }
        for kept in ["Package.swift", "Sources", "Tests", "notebooks", "*", "**"] where patterns.contains(kept) || patterns.contains(kept + "/") {
            problems.append(".dockerignore excludes \(kept), which the build needs")
        }
        return problems
    }
}
