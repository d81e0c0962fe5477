import BigNum
import Foundation
import Paillier
import TestSupport
import Testing

/// Keys shared by the tests. Test-size keys are generated once per run; their safe
/// primes come from OpenSSL, so even the 2048-bit key takes only seconds.
enum TestKeys {
    static let small = PrivateKey.generateForTesting(bits: 512)
    static let other = PrivateKey.generateForTesting(bits: 512)
    static let medium = PrivateKey.generateForTesting(bits: 1024)

    /// Encryptors with small tables: fast to build in debug test runs.
    static let smallEncryptor = Encryptor(publicKey: small.publicKey, windowBits: 4)
    static let otherEncryptor = Encryptor(publicKey: other.publicKey, windowBits: 4)
    static let mediumEncryptor = Encryptor(publicKey: medium.publicKey, windowBits: 5)
}

/// Randomized Paillier tests draw from the shared deterministic generator.
typealias SeededGenerator = SplitMix64

/// The repository's root folder, found from this file's location.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // PaillierTests
    .deletingLastPathComponent()  // Tests
    .deletingLastPathComponent()

/// A JSON file under `Protocols/vectors/`.
func vectorFile(_ relativePath: String) throws -> Data {
    try Data(contentsOf: repositoryRoot.appendingPathComponent("Protocols/vectors").appendingPathComponent(relativePath))
}

func hex(_ text: String) throws -> BigInt {
    try #require(BigInt(text, radix: 16), "not hex: \(text.prefix(20))")
}

func bytes(hex text: String) throws -> [UInt8] {
    let utf8 = Array(text.utf8)
    try #require(utf8.count % 2 == 0, "odd-length hex string")
    return try stride(from: 0, to: utf8.count, by: 2).map { i in
        try #require(UInt8(String(decoding: utf8[i..<i + 2], as: UTF8.self), radix: 16))
    }
}

/// Runs `body` and returns the error of type `E` it throws, recording an issue if it
/// throws nothing or something else.
func thrownError<E: Error>(
    _ type: E.Type, _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> E? {
    do {
        try body()
        Issue.record("expected a \(E.self)", sourceLocation: sourceLocation)
        return nil
    } catch let error as E {
        return error
    } catch {
        Issue.record("expected a \(E.self), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func paillierError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> PaillierError? {
    thrownError(PaillierError.self, body, sourceLocation: sourceLocation)
}
