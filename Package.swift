// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "cells",
    products: [
        .executable(name: "cells", targets: ["Cells"]),
        .library(name: "KafkaBridge", targets: ["KafkaBridge"]),
        .library(name: "TransactionGenerator", targets: ["TransactionGenerator"]),
        .library(name: "CellKernel", targets: ["CellKernel"]),
    ],
    // Spark Connect brings gRPC, NIO and protobuf: they triple a clean build and the binary's
    // size, so the default `cells` (what `make run` builds) leaves them out and
    // `--traits SparkConnect` (what `make test` and `make spark` build) adds `--engine sc://`.
    traits: [
        .trait(name: "SparkConnect", description: "Run notebooks on Apache Spark through Spark Connect (--engine sc://host:port)."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.0.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.0.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
    ],
    targets: [
        // System libraries: a module map and a shim header each (see Sources/C*/shim.h).
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Loaded when first used, not linked (see its module map): no pkg-config, whose flags link it.
        .systemLibrary(
            name: "CLibPQ",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),

        .target(
            name: "KafkaBridge",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "TransactionGenerator"),
        // SIMD byte scans as bit masks, which Swift's SIMD types cannot produce, and the
        // Kafka protocol's CRCs, one of them a processor instruction (see its headers).
        .target(name: "CByteScan"),
        // A Kafka producer that speaks the protocol itself (record batches, LZ4, idempotence):
        // `cells produce`'s fast path, beside librdkafka's producer for everything else.
        .target(name: "KafkaWire", dependencies: ["CByteScan", "CLZ4"]),
        .target(name: "CellKernel", dependencies: ["KafkaBridge", "CSQLite", "CLibPQ", "CByteScan"]),
        // Arrow IPC streams (what Spark Connect returns rows in) read into the kernel's batches.
        .target(name: "ArrowIPC", dependencies: ["CellKernel"]),
        // A Spark Connect client: the trimmed protocol (generated once, see Sources/SparkConnect/Proto) over gRPC.
        .target(
            name: "SparkConnect",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["Proto"]
        ),
        // The kernel's execution backend on Spark: notebook definitions translated to Spark Connect plans.
        .target(name: "SparkBackend", dependencies: ["CellKernel", "SparkConnect", "ArrowIPC"]),
        .executableTarget(
            name: "Cells",
            dependencies: [
                "KafkaBridge", "KafkaWire", "TransactionGenerator", "CellKernel", "CEditLine",
                .target(name: "SparkBackend", condition: .when(traits: ["SparkConnect"])),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "KafkaBridgeTests", dependencies: ["KafkaBridge"]),
        .testTarget(name: "KafkaWireTests", dependencies: ["KafkaWire", "KafkaBridge", "CByteScan"]),
        .testTarget(name: "TransactionGeneratorTests", dependencies: ["TransactionGenerator"]),
        .testTarget(name: "CellKernelTests", dependencies: ["CellKernel", "KafkaBridge", "TransactionGenerator", "CSQLite"]),
        .testTarget(name: "CellsTests", dependencies: ["Cells", "KafkaBridge", "TransactionGenerator", "SparkConnect"]),
        .testTarget(name: "ArrowIPCTests", dependencies: ["ArrowIPC", "CellKernel"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SparkConnectTests", dependencies: ["SparkConnect"]),
        .testTarget(name: "SparkBackendTests", dependencies: ["SparkBackend", "SparkConnect", "CellKernel", "TransactionGenerator"]),
    ],
    swiftLanguageModes: [.v6]
)
