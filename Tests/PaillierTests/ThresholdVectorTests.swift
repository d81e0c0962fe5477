import BigNum
import Foundation
@testable import Paillier
import Testing

// Test vectors of Protocols/vectors/threshold-paillier/, computed outside Fedstat by
// scripts/threshold-vectors.py in plain Python integer arithmetic following
// Protocols/threshold-paillier.md. `@testable` reaches the proof's challenge function and
// the ciphertext digest, so a transcript mistake shows up apart from an arithmetic one;
// everything else goes through the public API and the package-level
// `partialDecrypt(_:queryID:proofRandomness:)`.

struct ThresholdVectorFile: Decodable {
    struct Key: Decodable {
        let bits, threshold, parties, proof_random_bits: Int
        let p, q, n, n_squared, delta, v: String
        let verification_keys, shares: [String]
        let public_key_bytes: String
        let share_bytes: [String]
    }
    struct Partial: Decodable {
        let party: Int
        let proof_randomness, value, a, b, challenge, response, bytes: String
        let transcript: String?
    }
    struct Combination: Decodable {
        let name: String
        let parties: [Int]
        let residue: String
    }
    struct CiphertextCase: Decodable {
        let name, m, r, c, bytes, digest: String
        let partials: [Partial]
        let combinations: [Combination]
    }
    /// Either a listed partial decryption (`ciphertext`, `party`) or an encoding (`bytes`).
    struct PartialItem: Decodable {
        let ciphertext: String?
        let party: Int?
        let bytes: String?
    }
    struct NegativePartial: Decodable {
        let name, operation, ciphertext, query_id, error: String
        let partials: [PartialItem]
        /// The party the error must name; nil: none.
        let node: Int?
    }
    struct NegativeEncoding: Decodable {
        let name, kind, bytes, error: String
        /// When present, the party the error must name.
        let node: Int?
    }
    let name: String
    let key: Key
    let query_id: String
    let ciphertexts: [CiphertextCase]
    let negative_partials: [NegativePartial]
    let negative_encodings: [NegativeEncoding]
}

/// One vector file with its key built from the encoding and its shares loaded.
struct LoadedThresholdVectors {
    let file: ThresholdVectorFile
    let key: ThresholdPublicKey
    let queryID: [UInt8]

    static let files = ["small-3-of-5.json", "2048-3-of-5.json"]

    init(_ name: String) throws {
        file = try JSONDecoder().decode(ThresholdVectorFile.self, from: try vectorFile("threshold-paillier/\(name)"))
        key = try ThresholdPublicKey(serialized: try bytes(hex: file.key.public_key_bytes))
        queryID = try bytes(hex: file.query_id)
    }

    func shares() throws -> [ThresholdKeyShare] {
        try file.key.share_bytes.map { try ThresholdKeyShare(serialized: try bytes(hex: $0), publicKey: key) }
    }

    func ciphertext(named name: String) throws -> (case_: ThresholdVectorFile.CiphertextCase, value: Ciphertext) {
        let case_ = try #require(file.ciphertexts.first { $0.name == name }, "no ciphertext named \(name)")
        return (case_, try key.publicKey.ciphertext(try hex(case_.c)))
    }

    /// The listed partial decryption of `party`, parsed from its encoding in the file.
    func partial(of case_: ThresholdVectorFile.CiphertextCase, party: Int) throws -> PartialDecryption {
        let vector = try #require(case_.partials.first { $0.party == party }, "\(case_.name): no party \(party)")
        return try PartialDecryption(serialized: try bytes(hex: vector.bytes), for: key)
    }
}

@Suite("Threshold Paillier vectors")
struct ThresholdVectorTests {
    @Test func filesCoverTheCasesTheSpecAsksFor() throws {
        let small = try LoadedThresholdVectors("small-3-of-5.json").file
        let large = try LoadedThresholdVectors("2048-3-of-5.json").file
        #expect(small.key.bits == 512 && large.key.bits == 2048)
        for file in [small, large] {
            #expect(file.key.threshold == 3 && file.key.parties == 5, "\(file.name)")
            #expect(file.ciphertexts.count >= 2, "\(file.name)")
            #expect(file.ciphertexts.allSatisfy { $0.partials.map(\.party) == [1, 2, 3, 4, 5] }, "\(file.name)")
            let subsets = file.ciphertexts.flatMap { $0.combinations.map(\.parties) }
            #expect(subsets.contains { $0.count == 3 && $0 != $0.sorted() }, "\(file.name): an out-of-order subset")
            #expect(subsets.contains { $0.count > 3 }, "\(file.name): more than t partials")
            let codes = Set(file.negative_partials.map(\.error))
            #expect(codes == ["invalidProof", "wrongCiphertext", "duplicateNode", "indexOutOfRange", "notEnoughShares"], "\(file.name)")
            #expect(Set(file.negative_partials.compactMap(\.node)).isSuperset(of: [0, 2, 3, 4, 6]), "\(file.name)")
            #expect(Set(file.negative_encodings.map(\.error)).isSuperset(of: ["invalidEncoding", "invalidShare", "invalidKey"]), "\(file.name)")
            #expect(Set(file.negative_encodings.map(\.kind)) == ["publicKey", "keyShare", "partialDecryption"], "\(file.name)")
        }
        #expect(small.negative_encodings.count >= 30)
    }

    /// The key built from its parts and the key parsed from its encoding are the same
    /// key, and both re-encode to the file's bytes.
    @Test(arguments: LoadedThresholdVectors.files)
    func publicKeyFromPartsAndFromItsEncoding(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        let parts = vectors.file.key
        let encoded = try bytes(hex: parts.public_key_bytes)
        let fromParts = try ThresholdPublicKey(
            publicKey: try PublicKey(n: try hex(parts.n)), threshold: parts.threshold,
            verificationBase: try hex(parts.v), verificationKeys: try parts.verification_keys.map(hex))
        #expect(fromParts.serialized() == encoded)
        #expect(vectors.key.serialized() == encoded)
        #expect(vectors.key == fromParts)
        #expect(vectors.key.publicKey.bits == parts.bits)
        #expect(vectors.key.publicKey.nSquared == (try hex(parts.n_squared)))
        #expect(vectors.key.threshold == parts.threshold)
        #expect(vectors.key.parties == parts.parties)
        #expect(vectors.key.delta == (try hex(parts.delta)))
        #expect(vectors.key.verificationBase == (try hex(parts.v)))
        #expect(vectors.key.verificationKeys == (try parts.verification_keys.map(hex)))
        #expect(vectors.key.proofRandomBits == parts.proof_random_bits)
        // The published primes are the key's factorisation (the dealer's input).
        #expect(try hex(parts.p) * hex(parts.q) == vectors.key.publicKey.n)
    }

    @Test(arguments: LoadedThresholdVectors.files)
    func sharesLoadFromTheirEncodings(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        let shares = try vectors.shares()
        #expect(shares.count == vectors.file.key.parties)
        for (position, share) in shares.enumerated() {
            let encoded = try bytes(hex: vectors.file.key.share_bytes[position])
            #expect(share.index == position + 1, "\(name) share \(position + 1)")
            #expect(share.serialized() == encoded, "\(name) share \(position + 1)")
            let fromParts = try ThresholdKeyShare(
                publicKey: vectors.key, index: position + 1, share: try hex(vectors.file.key.shares[position]))
            #expect(fromParts.serialized() == encoded, "\(name) share \(position + 1)")
        }
    }

    /// Textbook encryption with the file's randomness gives the file's ciphertext, its
    /// encoding and digest; the equivalent ordinary key decrypts it to m.
    @Test(arguments: LoadedThresholdVectors.files)
    func ciphertextsAndTheirDigests(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        let privateKey = try PrivateKey(p: try hex(vectors.file.key.p), q: try hex(vectors.file.key.q))
        for case_ in vectors.file.ciphertexts {
            let c = try vectors.key.publicKey.encryptTextbook(residue: try hex(case_.m), randomness: try hex(case_.r))
            #expect(c.value == (try hex(case_.c)), "\(name) \(case_.name)")
            #expect(c.serialized() == (try bytes(hex: case_.bytes)), "\(name) \(case_.name)")
            #expect(ThresholdPublicKey.digest(c) == (try bytes(hex: case_.digest)), "\(name) \(case_.name)")
            #expect(try privateKey.decryptResidue(c) == (try hex(case_.m)), "\(name) \(case_.name)")
        }
    }

    /// Every party's partial decryption, made with the file's proof randomness, equals
    /// the file's byte for byte and verifies.
    @Test(arguments: LoadedThresholdVectors.files)
    func partialDecryptionsByteForByte(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        let shares = try vectors.shares()
        for case_ in vectors.file.ciphertexts {
            let (_, c) = try vectors.ciphertext(named: case_.name)
            for vector in case_.partials {
                let label = "\(name) \(case_.name) party \(vector.party)"
                let share = shares[vector.party - 1]
                let partial = try share.partialDecrypt(
                    c, queryID: vectors.queryID, proofRandomness: try hex(vector.proof_randomness))
                #expect(partial.index == vector.party, "\(label)")
                #expect(partial.ciphertextDigest == (try bytes(hex: case_.digest)), "\(label)")
                #expect(partial.value == (try hex(vector.value)), "\(label)")
                #expect(partial.challenge == (try hex(vector.challenge)), "\(label)")
                #expect(partial.response == (try hex(vector.response)), "\(label)")
                #expect(try partial.serialized(for: vectors.key) == (try bytes(hex: vector.bytes)), "\(label)")
                #expect(try PartialDecryption(serialized: try bytes(hex: vector.bytes), for: vectors.key) == partial, "\(label)")
                // The transcript alone: e is the hash over the file's a and b.
                let e = vectors.key.challenge(
                    index: vector.party, ciphertext: c.value, partial: try hex(vector.value),
                    a: try hex(vector.a), b: try hex(vector.b), queryID: vectors.queryID)
                #expect(e == (try hex(vector.challenge)), "\(label): transcript")
                try vectors.key.verify(partial, of: c, queryID: vectors.queryID)
            }
        }
    }

    /// The file's partial decryptions (parsed from their encodings) combine to m for
    /// every listed subset, in the listed order.
    @Test(arguments: LoadedThresholdVectors.files)
    func combinationsGiveThePlaintext(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        var count = 0
        for case_ in vectors.file.ciphertexts {
            let (_, c) = try vectors.ciphertext(named: case_.name)
            for combination in case_.combinations {
                let partials = try combination.parties.map { try vectors.partial(of: case_, party: $0) }
                let residue = try vectors.key.combineResidue(partials, of: c, queryID: vectors.queryID)
                #expect(residue == (try hex(combination.residue)), "\(combination.name)")
                #expect(residue == (try hex(case_.m)), "\(combination.name)")
                count += 1
            }
        }
        #expect(count >= 5)
    }

    @Test(arguments: LoadedThresholdVectors.files)
    func negativePartialDecryptionCases(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        #expect(vectors.file.negative_partials.count >= 20)
        for vector in vectors.file.negative_partials {
            let (_, c) = try vectors.ciphertext(named: vector.ciphertext)
            let queryID = try bytes(hex: vector.query_id)
            let partials = try vector.partials.map { item -> PartialDecryption in
                if let encoded = item.bytes {
                    return try PartialDecryption(serialized: try bytes(hex: encoded), for: vectors.key)
                }
                let source = try vectors.ciphertext(named: try #require(item.ciphertext, "\(vector.name)")).case_
                return try vectors.partial(of: source, party: try #require(item.party, "\(vector.name)"))
            }
            let error: ThresholdError?
            switch vector.operation {
            case "verify":
                try #require(partials.count == 1, "\(vector.name)")
                error = thresholdError { try vectors.key.verify(partials[0], of: c, queryID: queryID) }
            case "combine":
                error = thresholdError { _ = try vectors.key.combineResidue(partials, of: c, queryID: queryID) }
            default:
                Issue.record("\(vector.name): unknown operation \(vector.operation)")
                continue
            }
            #expect(error?.code.rawValue == vector.error, "\(name) \(vector.name)")
            #expect(error?.node == vector.node, "\(name) \(vector.name)")
        }
    }

    @Test(arguments: LoadedThresholdVectors.files)
    func malformedEncodingsAreRefused(_ name: String) throws {
        let vectors = try LoadedThresholdVectors(name)
        for vector in vectors.file.negative_encodings {
            let data = try bytes(hex: vector.bytes)
            let error = thresholdError {
                switch vector.kind {
                case "publicKey": _ = try ThresholdPublicKey(serialized: data)
                case "keyShare": _ = try ThresholdKeyShare(serialized: data, publicKey: vectors.key)
                case "partialDecryption": _ = try PartialDecryption(serialized: data, for: vectors.key)
                default: Issue.record("\(vector.name): unknown kind \(vector.kind)")
                }
            }
            #expect(error?.code.rawValue == vector.error, "\(name) \(vector.name)")
            if let node = vector.node {
                #expect(error?.node == node, "\(name) \(vector.name)")
            }
        }
    }
}
