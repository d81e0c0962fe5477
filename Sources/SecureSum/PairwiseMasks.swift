import Crypto
import CryptoExtras
import Foundation

/// Why masks could not be made. Never contains key material.
public struct SecureSumError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A query id, plan hash or name has the wrong form.
        case invalidInput
        /// A peer's public masking key is not a valid X25519 key.
        case invalidPeerKey
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The pairwise masks of Protocol A (Protocols/secure-sum.md): every pair of nodes shares
/// a static X25519 secret from their long-term masking keys, so for each query both
/// derive the same pair key (HKDF-SHA256 bound to the query id, the plan hash and the
/// ordered pair of names) and expand it with ChaCha20 into a vector m. The node whose
/// name sorts first adds m, the other subtracts it, so over all participants every mask
/// cancels in Z_{2^128}, and the coordinator learns only the total.
///
/// Defends against: a coordinator learning one node's vector (it would need every other
/// participant's masks, i.e. their private keys); reuse of masks across queries or plans
/// (the key is bound to both; a query id is never accepted twice by a node's state store).
public enum PairwiseMasks {
    /// Length of a query id in bytes.
    public static let queryIDLength = 16
    /// Length of a plan hash (SHA-256) in bytes.
    public static let planHashLength = 32
    /// The HKDF salt: names the protocol and its version, so keys never collide with any
    /// other use of the same static secret.
    static let salt = Array("fedstat/secure-sum/v1".utf8)

    /// The HKDF info: each field as a 4-byte big-endian length and its bytes, in the
    /// order query id, plan hash, lower name, higher name (names compared as UTF-8 bytes).
    static func info(queryID: [UInt8], planHash: [UInt8], low: String, high: String) -> [UInt8] {
        var out: [UInt8] = []
        for field in [queryID, planHash, Array(low.utf8), Array(high.utf8)] {
            let count = UInt32(field.count)
            out += [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            out += field
        }
        return out
    }

    /// Whether `a` sorts before `b` (bytewise on UTF-8, the order every node computes alike).
    static func precedes(_ a: String, _ b: String) -> Bool { Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)) }

    /// The pair key of `own` and `peer` for one query.
    static func pairKey(
        own: Curve25519.KeyAgreement.PrivateKey, ownName: String, peer: Curve25519.KeyAgreement.PublicKey, peerName: String,
        queryID: [UInt8], planHash: [UInt8]
    ) throws(SecureSumError) -> SymmetricKey {
        let shared: SharedSecret
        do {
            shared = try own.sharedSecretFromKeyAgreement(with: peer)
        } catch {
            throw SecureSumError(.invalidPeerKey, "the masking key of \(peerName) gives no shared secret (a low-order point)")
        }
        // A low-order public key makes the shared secret all zeros whatever our private
        // key is: the pair key would be known to anyone. Refuse it (swift-crypto does not).
        guard !shared.withUnsafeBytes({ $0.allSatisfy { $0 == 0 } }) else {
            throw SecureSumError(.invalidPeerKey, "the masking key of \(peerName) is a low-order point and gives no secret")
        }
        let (low, high) = precedes(ownName, peerName) ? (ownName, peerName) : (peerName, ownName)
        return shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: salt, sharedInfo: info(queryID: queryID, planHash: planHash, low: low, high: high),
            outputByteCount: 32)
    }

    /// `count` values of Z_{2^128} from a pair key: the ChaCha20 keystream (RFC 8439, zero
    /// nonce and counter — each key is used for one vector only) read as little-endian
    /// 16-byte words.
    static func expand(_ key: SymmetricKey, count: Int) -> [UInt128] {
        var values = [UInt128](repeating: 0, count: count)
        accumulate(key, into: &values, zeros: Data(count: count * 16), subtract: false)
        return values
    }

    /// Adds (or subtracts) `expand(key, count: total.count)` to `total` in place, reading
    /// the keystream as it comes: no vector per peer. `zeros` holds 16 zero bytes per value.
    static func accumulate(_ key: SymmetricKey, into total: inout [UInt128], zeros: Data, subtract: Bool) {
        let count = total.count
        guard count > 0 else { return }
        precondition(zeros.count == count * 16)
        let nonce = try! Insecure.ChaCha20CTR.Nonce(data: [UInt8](repeating: 0, count: 12))
        let stream = try! Insecure.ChaCha20CTR.encrypt(zeros, using: key, nonce: nonce)
        stream.withUnsafeBytes { raw in
            total.withUnsafeMutableBufferPointer { values in
                if subtract {
                    for index in 0..<count {
                        values[index] &-= UInt128(littleEndian: raw.loadUnaligned(fromByteOffset: index * 16, as: UInt128.self))
                    }
                } else {
                    for index in 0..<count {
                        values[index] &+= UInt128(littleEndian: raw.loadUnaligned(fromByteOffset: index * 16, as: UInt128.self))
                    }
                }
            }
        }
    }

    /// The total mask node `ownName` adds to its vector: Σ over peers of +m (if its name
    /// sorts first) or −m, in Z_{2^128}.
    ///
    /// - Parameters:
    ///   - peers: every other participant of the query with its public masking key (from
    ///     `federation.yaml`); the mask cancels only if every participant uses the same set.
    public static func mask(
        ownName: String, ownKey: Curve25519.KeyAgreement.PrivateKey,
        peers: [(name: String, publicKey: [UInt8])], queryID: [UInt8], planHash: [UInt8], count: Int
    ) throws(SecureSumError) -> [UInt128] {
        guard queryID.count == queryIDLength else {
            throw SecureSumError(.invalidInput, "a query id has \(queryIDLength) bytes, not \(queryID.count)")
        }
        guard planHash.count == planHashLength else {
            throw SecureSumError(.invalidInput, "a plan hash has \(planHashLength) bytes, not \(planHash.count)")
        }
        guard count >= 0 else { throw SecureSumError(.invalidInput, "a vector cannot have a negative length") }
        let names = Set(peers.map(\.name))
        guard names.count == peers.count, !names.contains(ownName) else {
            throw SecureSumError(.invalidInput, "each participant must be named once, and not among its own peers")
        }
        var total = [UInt128](repeating: 0, count: count)
        // The keystream is ChaCha20 applied to zeros; one buffer of zeros serves every peer.
        let zeros = Data(count: count * 16)
        for peer in peers {
            let publicKey: Curve25519.KeyAgreement.PublicKey
            do {
                publicKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer.publicKey)
            } catch {
                throw SecureSumError(.invalidPeerKey, "the masking key of \(peer.name) is not a 32-byte X25519 public key")
            }
            let key = try pairKey(
                own: ownKey, ownName: ownName, peer: publicKey, peerName: peer.name, queryID: queryID, planHash: planHash)
            accumulate(key, into: &total, zeros: zeros, subtract: !precedes(ownName, peer.name))
        }
        return total
    }

    /// `vector` with this node's mask added: what it sends the coordinator.
    public static func masked(
        _ vector: [UInt128], ownName: String, ownKey: Curve25519.KeyAgreement.PrivateKey,
        peers: [(name: String, publicKey: [UInt8])], queryID: [UInt8], planHash: [UInt8]
    ) throws(SecureSumError) -> [UInt128] {
        let mask = try mask(
            ownName: ownName, ownKey: ownKey, peers: peers, queryID: queryID, planHash: planHash, count: vector.count)
        return zip(vector, mask).map { $0 &+ $1 }
    }
}
