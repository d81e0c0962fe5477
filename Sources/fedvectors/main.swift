import ArgumentParser
import BigNum
import Foundation
import Paillier

/// Produces and checks cross-implementation test vectors (`Protocols/vectors/`):
/// a line-oriented bridge so that scripts driving an independent implementation
/// (python-paillier) can have Fedstat encrypt and decrypt the same values.
struct FedVectors: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fedvectors",
        abstract: "Cross-implementation test-vector bridge.",
        subcommands: [PaillierEncrypt.self, PaillierDecrypt.self])
}

/// Reads non-empty lines from standard input.
func inputLines() -> [String] {
    var lines: [String] = []
    while let line = readLine() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { lines.append(trimmed) }
    }
    return lines
}

func hexInteger(_ text: String, _ what: String) throws -> BigInt {
    guard let value = BigInt(text, radix: 16) else {
        throw ValidationError("\(what) is not a hexadecimal integer")
    }
    return value
}

struct PaillierEncrypt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paillier-encrypt",
        abstract: "Encrypt signed decimal integers (one per line on stdin) with Fedstat's fast encryptor; print one hex ciphertext per line.")

    @Option(help: "The public modulus n in hexadecimal.")
    var n: String

    @Option(help: "Fixed-base window width.")
    var window: Int = 6

    func run() throws {
        let key = try PublicKey(n: try hexInteger(n, "--n"))
        let encryptor = Encryptor(publicKey: key, windowBits: window)
        for (index, line) in inputLines().enumerated() {
            guard let value = BigInt(line) else {
                throw ValidationError("line \(index + 1): not a signed decimal integer")
            }
            print(try encryptor.encrypt(value).value.toString(radix: 16))
        }
    }
}

struct PaillierDecrypt: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "paillier-decrypt",
        abstract: "Decrypt hex ciphertexts (one per line on stdin); print one signed decimal per line.")

    @Option(help: "The prime p in hexadecimal.")
    var p: String

    @Option(help: "The prime q in hexadecimal.")
    var q: String

    func run() throws {
        let key = try PrivateKey(p: try hexInteger(p, "--p"), q: try hexInteger(q, "--q"))
        for (index, line) in inputLines().enumerated() {
            let c = try key.publicKey.ciphertext(try hexInteger(line, "line \(index + 1)"))
            print(try key.decrypt(c).toString())
        }
    }
}

FedVectors.main()
