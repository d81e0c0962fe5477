import Crypto
import Foundation
import SecureSum
import TestSupport
import Testing

/// A participant with a masking key drawn from a fixed generator.
struct Party {
    let name: String
    let key: Curve25519.KeyAgreement.PrivateKey

    init(_ name: String, _ random: inout SplitMix64) {
        self.name = name
        let bytes = (0..<32).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        key = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: bytes)
    }

    var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
}

func peers(of party: Party, in parties: [Party]) -> [(name: String, publicKey: [UInt8])] {
    parties.filter { $0.name != party.name }.map { ($0.name, $0.publicKey) }
}

@Suite("Secure-sum pairwise masks")
struct PairwiseMaskTests {
    static let queryID = [UInt8](repeating: 0x11, count: 16)
    static let planHash = [UInt8](repeating: 0x22, count: 32)

    static func parties(_ count: Int, seed: UInt64 = 7) -> [Party] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { Party("node-\($0)", &random) }
    }

    /// The masks cancel: the sum of the masked vectors is the sum of the vectors, for
    /// any number of participants, while each masked vector differs from its input.
    @Test(arguments: [2, 3, 5, 8])
    func masksCancelInTheSum(count: Int) throws {
        let parties = Self.parties(count)
        var random = SplitMix64(seed: UInt64(count))
        let vectors = parties.map { _ in (0..<50).map { _ in random.nextUInt128() } }
        var plain = [UInt128](repeating: 0, count: 50)
        var masked = [UInt128](repeating: 0, count: 50)
        for (party, vector) in zip(parties, vectors) {
            let sent = try PairwiseMasks.masked(
                vector, ownName: party.name, ownKey: party.key, peers: peers(of: party, in: parties),
                queryID: Self.queryID, planHash: Self.planHash)
            #expect(sent != vector)
            for index in 0..<50 {
                plain[index] &+= vector[index]
                masked[index] &+= sent[index]
            }
        }
        #expect(masked == plain)
    }

    /// Both sides of a pair derive the same mask with opposite signs.
    @Test func aPairsMasksAreOpposite() throws {
        let parties = Self.parties(2)
        let a = try PairwiseMasks.mask(
            ownName: parties[0].name, ownKey: parties[0].key, peers: peers(of: parties[0], in: parties),
            queryID: Self.queryID, planHash: Self.planHash, count: 4)
        let b = try PairwiseMasks.mask(
            ownName: parties[1].name, ownKey: parties[1].key, peers: peers(of: parties[1], in: parties),
            queryID: Self.queryID, planHash: Self.planHash, count: 4)
        #expect(zip(a, b).allSatisfy { $0 &+ $1 == 0 })
        #expect(a.allSatisfy { $0 != 0 })
    }

    /// Masks are bound to the query id and the plan hash: a new query or another plan
    /// gives unrelated masks, so a mask is never used twice.
    @Test func masksAreBoundToTheQueryAndThePlan() throws {
        let parties = Self.parties(3)
        func mask(_ queryID: [UInt8], _ planHash: [UInt8]) throws -> [UInt128] {
            try PairwiseMasks.mask(
                ownName: parties[0].name, ownKey: parties[0].key, peers: peers(of: parties[0], in: parties),
                queryID: queryID, planHash: planHash, count: 8)
        }
        let base = try mask(Self.queryID, Self.planHash)
        #expect(try mask(Self.queryID, Self.planHash) == base)
        var otherQuery = Self.queryID
        otherQuery[15] ^= 1
        var otherPlan = Self.planHash
        otherPlan[0] ^= 1
        #expect(try mask(otherQuery, Self.planHash) != base)
        #expect(try mask(Self.queryID, otherPlan) != base)
    }

    /// A node whose masking key is not the one its peers know breaks the cancellation:
    /// the sum comes out wrong (and far outside any plan's bounds), never silently right.
    @Test func aMismatchedMaskingKeyLeavesTheMasksUncancelled() throws {
        var parties = Self.parties(3)
        var random = SplitMix64(seed: 99)
        let impostor = Party(parties[1].name, &random)  // same name, another key
        let published = parties  // what federation.yaml says
        parties[1] = impostor
        var total = [UInt128](repeating: 0, count: 4)
        for party in parties {
            let sent = try PairwiseMasks.masked(
                [1, 2, 3, 4], ownName: party.name, ownKey: party.key, peers: peers(of: party, in: published),
                queryID: Self.queryID, planHash: Self.planHash)
            for index in 0..<4 { total[index] &+= sent[index] }
        }
        #expect(total != [3, 6, 9, 12])
    }

    @Test func malformedInputsAreRefused() {
        let parties = Self.parties(2)
        let peerList = peers(of: parties[0], in: parties)
        func error(_ body: () throws -> Void) -> SecureSumError.Code? {
            do {
                try body()
                return nil
            } catch {
                return (error as? SecureSumError)?.code
            }
        }
        #expect(error {
            _ = try PairwiseMasks.mask(ownName: "node-0", ownKey: parties[0].key, peers: peerList, queryID: [1], planHash: Self.planHash, count: 1)
        } == .invalidInput)
        #expect(error {
            _ = try PairwiseMasks.mask(ownName: "node-0", ownKey: parties[0].key, peers: peerList, queryID: Self.queryID, planHash: [], count: 1)
        } == .invalidInput)
        #expect(error {
            _ = try PairwiseMasks.mask(
                ownName: "node-0", ownKey: parties[0].key, peers: peerList + peerList, queryID: Self.queryID, planHash: Self.planHash, count: 1)
        } == .invalidInput)
        #expect(error {
            _ = try PairwiseMasks.mask(
                ownName: "node-0", ownKey: parties[0].key, peers: [("node-1", [1, 2, 3])], queryID: Self.queryID, planHash: Self.planHash,
                count: 1)
        } == .invalidPeerKey)
        // A low-order point gives an all-zero shared secret: refused, not used as a key.
        #expect(error {
            _ = try PairwiseMasks.mask(
                ownName: "node-0", ownKey: parties[0].key, peers: [("node-1", [UInt8](repeating: 0, count: 32))],
                queryID: Self.queryID, planHash: Self.planHash, count: 1)
        } == .invalidPeerKey)
    }
}

/// Masks equal those of an independent implementation (pyca/cryptography,
/// scripts/secure-sum-vectors.py) for the cases in Protocols/vectors/secure-sum.
@Suite("Secure-sum vectors")
struct SecureSumVectorTests {
    static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test func masksMatchTheIndependentImplementation() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Protocols/vectors/secure-sum/vectors.json")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        #expect(cases.count == 3)
        for vector in cases {
            let parties = vector["parties"] as! [[String: Any]]
            let published = parties.map { ($0["name"] as! String, Self.bytes($0["public_key"] as! String)) }
            for party in parties {
                let name = party["name"] as! String
                let key = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: Self.bytes(party["private_key"] as! String))
                #expect(Array(key.publicKey.rawRepresentation) == Self.bytes(party["public_key"] as! String))
                let mask = try PairwiseMasks.mask(
                    ownName: name, ownKey: key, peers: published.filter { $0.0 != name }.map { (name: $0.0, publicKey: $0.1) },
                    queryID: Self.bytes(vector["query_id"] as! String), planHash: Self.bytes(vector["plan_hash"] as! String),
                    count: vector["count"] as! Int)
                #expect(mask == (party["mask"] as! [String]).map { UInt128($0)! }, "\(name)")
            }
        }
    }
}
