// swift-tools-version: 6.1
// Fedstat: a federated privacy-compute node. See README.md and Protocols/.
import PackageDescription

let package = Package(
    name: "Fedstat",
    products: [
        .library(name: "BigNum", targets: ["BigNum"]),
        .library(name: "Paillier", targets: ["Paillier"]),
        .library(name: "KeyStore", targets: ["KeyStore"]),
        .library(name: "PKI", targets: ["PKI"]),
        .library(name: "Query", targets: ["Query"]),
        .library(name: "DataSources", targets: ["DataSources"]),
        .library(name: "Node", targets: ["Node"]),
        .executable(name: "fednode", targets: ["fednode"]),
        .executable(name: "fedquery", targets: ["fedquery"]),
        .executable(name: "fedbench", targets: ["fedbench"]),
        .executable(name: "fedvectors", targets: ["fedvectors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries from the system (Debian: libgmp-dev, libssl-dev).
        .systemLibrary(
            name: "CGMP",
            pkgConfig: "gmp",
            providers: [.apt(["libgmp-dev"])]
        ),
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        // Pure modules: no I/O, no networking, no logging.
        .target(name: "BigNum", dependencies: ["CGMP", "CLibCrypto"]),
        .target(
            name: "Paillier",
            dependencies: ["BigNum", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // SQL parser, catalog, planner, local aggregation and finalisation.
        .target(name: "Query", dependencies: ["BigNum", .product(name: "Crypto", package: "swift-crypto")]),
        // Policy model and evaluation with reasons (pure: no I/O).
        .target(name: "Policy", dependencies: ["Query"]),
        // Protocol A's pairwise masks (Protocols/secure-sum.md).
        .target(
            name: "SecureSum",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),

        .target(
            name: "PKI",
            dependencies: [
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]
        ),

        // Generated: protobuf messages and gRPC stubs from Protocols/fedstat/v1
        // (scripts/generate-protos.sh).
        .target(
            name: "Wire",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),

        // I/O modules.
        .target(name: "KeyStore"),
        .target(
            name: "Config",
            dependencies: ["Query", "Policy", .product(name: "Yams", package: "Yams"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        // CSV files and SQLite tables as row sources checked against the catalog.
        .target(
            name: "DataSources",
            dependencies: ["Query", "Config", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The node's state in SQLite: seen query ids, daily counters, the hash-chained
        // audit log (Protocols/audit-log.md).
        .target(
            name: "StateStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Node",
            dependencies: [
                "BigNum", "Paillier", "KeyStore", "PKI", "Config", "Wire", "Query", "DataSources", "Policy",
                "SecureSum", "StateStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // What analysts see: results rendered as a table, JSON or CSV (for fedquery).
        .target(name: "Analyst", dependencies: ["Wire"]),
        .testTarget(name: "AnalystTests", dependencies: ["Analyst", "Wire"]),

        // Executables.
        .executableTarget(
            name: "fedbench",
            dependencies: [
                "BigNum", "Paillier", "Query", "DataSources", "Node", "Config", "PKI", "Wire", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        .executableTarget(
            name: "fedquery",
            dependencies: [
                "Analyst", "Node", "Config", "Wire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ]
        ),

        .executableTarget(
            name: "fedvectors",
            dependencies: [
                "BigNum", "Paillier",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(
            name: "fednode",
            dependencies: [
                "Node", "PKI", "Config", "KeyStore", "Paillier", "StateStore", "Policy", "Query",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Test helper for StateStoreTests' crash-safety test: appends audit records until
        // the test kills it.
        .executableTarget(name: "fedstate-stress", dependencies: ["StateStore"]),

        // Tests. TestSupport holds helpers shared by several test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "BigNumTests", dependencies: ["BigNum", "TestSupport"]),
        .testTarget(name: "PaillierTests", dependencies: ["Paillier", "BigNum", "KeyStore", "TestSupport"]),
        .testTarget(name: "KeyStoreTests", dependencies: ["KeyStore"]),
        .testTarget(name: "StateStoreTests", dependencies: ["StateStore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ConfigTests", dependencies: ["Config", "Query", "TestSupport"]),
        .testTarget(
            name: "SecureSumTests",
            dependencies: ["SecureSum", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "QueryTests", dependencies: ["Query", "BigNum", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "PolicyTests", dependencies: ["Policy", "Query", "Config", "TestSupport"]),
        .testTarget(
            name: "DataSourceTests",
            dependencies: ["DataSources", "Query", "Config", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "PKITests",
            dependencies: [
                "PKI", "TestSupport", .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "NodeTests",
            dependencies: [
                "Node", "PKI", "Wire", "KeyStore", "Paillier", "TestSupport", "Config", "Query", "DataSources", "StateStore",
                "SecureSum", "BigNum",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
