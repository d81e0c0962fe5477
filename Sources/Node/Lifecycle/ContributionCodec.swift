import Crypto
import Foundation
import Paillier

/// The byte layouts of contributions (Protocols/query-lifecycle.md §2).
enum ContributionCodec {
    /// A masked vector: 16 bytes per value, big-endian, in plan order.
    static func encode(_ values: [UInt128]) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: values.count * 16) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            for (index, value) in values.enumerated() {
                raw.storeBytes(of: value.bigEndian, toByteOffset: index * 16, as: UInt128.self)
            }
            initialized = values.count * 16
        }
    }

    /// The values of a masked vector of `count` values, or nil if the length is wrong.
    static func decode(_ bytes: [UInt8], count: Int) -> [UInt128]? {
        guard bytes.count == count * 16 else { return nil }
        return bytes.withUnsafeBytes { raw in
            (0..<count).map { UInt128(bigEndian: raw.loadUnaligned(fromByteOffset: $0 * 16, as: UInt128.self)) }
        }
    }

    /// The SHA-256 digest of an encrypted contribution: the number of packed values (4
    /// bytes) and every ciphertext encoding, each with its 4-byte length, in order.
    static func digest(count: Int, ciphertexts: [[UInt8]]) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: bigEndian32(count))
        for ciphertext in ciphertexts {
            hash.update(data: bigEndian32(ciphertext.count))
            hash.update(data: ciphertext)
        }
        return Array(hash.finalize())
    }

    /// What a node signs for an encrypted contribution: a domain label, the query id,
    /// the plan hash, the node's name and the ciphertext digest, each length-prefixed.
    ///
    /// Defends against a coordinator (or anyone) passing one node's ciphertexts off as
    /// another's, or reusing a contribution in another query or plan: the partial
    /// decryption guard accepts only contributions signed for this query and plan by the
    /// node they name.
    static func signedMessage(queryID: [UInt8], planHash: [UInt8], node: String, digest: [UInt8]) -> [UInt8] {
        var message: [UInt8] = []
        for field in [Array("fedstat/contribution/v1".utf8), queryID, planHash, Array(node.utf8), digest] {
            message += bigEndian32(field.count)
            message += field
        }
        return message
    }

    static func sign(
        queryID: [UInt8], planHash: [UInt8], node: String, digest: [UInt8], key: P256.Signing.PrivateKey
    ) throws -> [UInt8] {
        let message = signedMessage(queryID: queryID, planHash: planHash, node: node, digest: digest)
        return Array(try key.signature(for: message).derRepresentation)
    }

    static func verify(
        signature: [UInt8], queryID: [UInt8], planHash: [UInt8], node: String, digest: [UInt8],
        key: P256.Signing.PublicKey
    ) -> Bool {
        guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
        let message = signedMessage(queryID: queryID, planHash: planHash, node: node, digest: digest)
        return key.isValidSignature(parsed, for: message)
    }

    private static func bigEndian32(_ value: Int) -> [UInt8] {
        let v = UInt32(value)
        return [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
}
