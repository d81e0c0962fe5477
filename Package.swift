// swift-tools-version: 6.1
// Fedstat: a federated privacy-compute node. See README.md and Protocols/.
import PackageDescription

let package = Package(
    name: "Fedstat",
    products: [
        .library(name: "BigNum", targets: ["BigNum"]),
        .library(name: "Paillier", targets: ["Paillier"]),
        .library(name: "KeyStore", targets: ["KeyStore"]),
        .executable(name: "fedbench", targets: ["fedbench"]),
        .executable(name: "fedvectors", targets: ["fedvectors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
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

        // I/O modules.
        .target(name: "KeyStore"),

        // Executables.
        .executableTarget(
            name: "fedbench",
            dependencies: [
                "BigNum", "Paillier",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .executableTarget(
            name: "fedvectors",
            dependencies: [
                "BigNum", "Paillier",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Tests.
        .testTarget(name: "BigNumTests", dependencies: ["BigNum"]),
        .testTarget(name: "PaillierTests", dependencies: ["Paillier", "BigNum", "KeyStore"]),
        .testTarget(name: "KeyStoreTests", dependencies: ["KeyStore"]),
    ],
    swiftLanguageModes: [.v6]
)
