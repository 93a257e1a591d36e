// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "cells",
    products: [
        .executable(name: "cells", targets: ["Cells"]),
        .library(name: "KafkaBridge", targets: ["KafkaBridge"]),
        .library(name: "TransactionGenerator", targets: ["TransactionGenerator"]),
        .library(name: "CellKernel", targets: ["CellKernel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
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
        .target(name: "CellKernel", dependencies: ["KafkaBridge"]),
        .executableTarget(
            name: "Cells",
            dependencies: [
                "KafkaBridge", "TransactionGenerator", "CellKernel", "CEditLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .testTarget(name: "KafkaBridgeTests", dependencies: ["KafkaBridge"]),
        .testTarget(name: "TransactionGeneratorTests", dependencies: ["TransactionGenerator"]),
        .testTarget(name: "CellKernelTests", dependencies: ["CellKernel", "KafkaBridge", "TransactionGenerator", "CSQLite"]),
        .testTarget(name: "CellsTests", dependencies: ["Cells", "KafkaBridge", "TransactionGenerator"]),
    ],
    swiftLanguageModes: [.v6]
)
