import BigNum
import Foundation
import KeyStore
import Paillier
import TestSupport
import Testing

/// A 3-of-5 key for the tests, with the equivalent ordinary private key.
enum ThresholdTestKeys {
    static let threeOfFive = ThresholdDealer.dealForTesting(bits: 512, parameters: try! ThresholdParameters(threshold: 3, parties: 5))
    static let encryptor = Encryptor(publicKey: threeOfFive.publicKey.publicKey, windowBits: 4)
    static let queryID: [UInt8] = Array(0..<16)
}

/// All k-element subsets of `items`.
func subsets<T>(_ items: [T], size k: Int) -> [[T]] {
    guard k > 0 else { return [[]] }
    guard items.count >= k else { return [] }
    let first = items[0]
    let rest = Array(items.dropFirst())
    return subsets(rest, size: k - 1).map { [first] + $0 } + subsets(rest, size: k)
}

func thresholdError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> ThresholdError? {
    thrownError(ThresholdError.self, body, sourceLocation: sourceLocation)
}

@Suite("Threshold Paillier")
struct ThresholdTests {
    let key = ThresholdTestKeys.threeOfFive
    let encryptor = ThresholdTestKeys.encryptor
    let queryID = ThresholdTestKeys.queryID

    func partials(_ c: Ciphertext, by indices: [Int], queryID: [UInt8]? = nil) throws -> [PartialDecryption] {
        try indices.map { try key.shares[$0 - 1].partialDecrypt(c, queryID: queryID ?? self.queryID) }
    }

    @Test func dealerOutputIsConsistent() {
        #expect(key.publicKey.threshold == 3)
        #expect(key.publicKey.parties == 5)
        #expect(key.publicKey.delta == 120)
        #expect(key.shares.map(\.index) == [1, 2, 3, 4, 5])
        #expect(key.publicKey.publicKey == key.privateKey.publicKey)
        #expect(key.publicKey.verificationKeys.count == 5)
        // v is a square modulo n², not the square of an integer below n (whose root
        // would be public).
        #expect(!key.publicKey.verificationBase.squareRootAndRemainder().remainder.isZero)
    }

    /// Every 3-subset of the 5 shares decrypts, and agrees with CRT decryption.
    @Test func everyThresholdSubsetDecrypts() throws {
        let value = BigInt(-123_456_789_012)
        let c = try encryptor.encrypt(value)
        #expect(try key.privateKey.decrypt(c) == value)
        let all = try partials(c, by: [1, 2, 3, 4, 5])
        let groups = subsets(all, size: 3)
        #expect(groups.count == 10)
        for group in groups {
            #expect(try key.publicKey.combine(group, of: c, queryID: queryID) == value, "\(group.map(\.index))")
            #expect(try key.publicKey.combineResidue(group.reversed(), of: c, queryID: queryID) == key.privateKey.decryptResidue(c))
        }
        // More than t partials: the first t are used, all are verified.
        #expect(try key.publicKey.combine(all, of: c, queryID: queryID) == value)
    }

    @Test func randomValuesAgreeWithCRTDecryption() throws {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<5 {
            let residue = BigInt.random(below: key.publicKey.publicKey.n, using: &generator)
            let c = try encryptor.encrypt(residue: residue)
            let group = try partials(c, by: [5, 2, 4])
            #expect(try key.publicKey.combineResidue(group, of: c, queryID: queryID) == residue)
        }
    }

    @Test func fewerThanTSharesAreRefused() throws {
        let c = try encryptor.encrypt(42)
        let error = thresholdError { _ = try key.publicKey.combine(try partials(c, by: [1, 4]), of: c, queryID: queryID) }
        #expect(error?.code == .notEnoughShares)
    }

    @Test func tamperedPartialDecryptionIsDetectedAndNamed() throws {
        let c = try encryptor.encrypt(42)
        var group = try partials(c, by: [1, 3, 5])
        let honest = group[1]
        // Party 3 sends c_3·(1 + n): still a unit, wrong value.
        let n = key.publicKey.publicKey.n
        let forged = honest.value.multiplied(by: n + BigInt(1), modulo: key.publicKey.publicKey.nSquared)
        group[1] = PartialDecryption(
            index: 3, ciphertextDigest: honest.ciphertextDigest, value: forged,
            challenge: honest.challenge, response: honest.response)
        let error = thresholdError { _ = try key.publicKey.combine(group, of: c, queryID: queryID) }
        #expect(error?.code == .invalidProof)
        #expect(error?.node == 3)
        #expect(error?.message.contains("party 3") == true)
        // A tampered response is caught the same way.
        group[1] = PartialDecryption(
            index: 3, ciphertextDigest: honest.ciphertextDigest, value: honest.value,
            challenge: honest.challenge, response: honest.response + BigInt(1))
        #expect(thresholdError { _ = try key.publicKey.combine(group, of: c, queryID: queryID) }?.node == 3)
    }

    @Test func partialForAnotherCiphertextIsRefused() throws {
        let c = try encryptor.encrypt(1)
        let other = try encryptor.encrypt(1)
        var group = try partials(c, by: [1, 2])
        group.append(try key.shares[3].partialDecrypt(other, queryID: queryID))
        let error = thresholdError { _ = try key.publicKey.combine(group, of: c, queryID: queryID) }
        #expect(error?.code == .wrongCiphertext)
        #expect(error?.node == 4)
        // Same value and proof but relabelled with c's digest: the proof no longer verifies.
        let moved = group[2]
        group[2] = PartialDecryption(
            index: 4, ciphertextDigest: group[0].ciphertextDigest, value: moved.value,
            challenge: moved.challenge, response: moved.response)
        let relabelled = thresholdError { _ = try key.publicKey.combine(group, of: c, queryID: queryID) }
        #expect(relabelled?.code == .invalidProof)
        #expect(relabelled?.node == 4)
    }

    /// Verified partials combine without a second proof check, but only for what they
    /// were verified for: this key, this ciphertext, this query.
    @Test func verifiedPartialsCombineOnlyForWhatTheyWereVerifiedFor() throws {
        let c = try encryptor.encrypt(-42)
        let other = try encryptor.encrypt(7)
        let group = try partials(c, by: [1, 3, 5])
        let verified = try group.map { try key.publicKey.verify($0, of: c, queryID: queryID) }
        #expect(try key.publicKey.combine(verified, of: c, queryID: queryID) == BigInt(-42))

        let forOther = thresholdError { _ = try key.publicKey.combine(verified, of: other, queryID: queryID) }
        #expect(forOther?.code == .wrongCiphertext)
        let otherQuery: [UInt8] = Array(repeating: 0xCD, count: 16)
        let forOtherQuery = thresholdError { _ = try key.publicKey.combine(verified, of: c, queryID: otherQuery) }
        #expect(forOtherQuery?.code == .invalidProof)
        let otherKey = ThresholdDealer.dealForTesting(bits: 512, parameters: try ThresholdParameters(threshold: 3, parties: 5))
        let underOtherKey = thresholdError { _ = try otherKey.publicKey.combine(verified, of: c, queryID: queryID) }
        #expect(underOtherKey?.code == .invalidProof)
        let tooFew = thresholdError { _ = try key.publicKey.combine(Array(verified.prefix(2)), of: c, queryID: queryID) }
        #expect(tooFew?.code == .notEnoughShares)
        let twice = thresholdError { _ = try key.publicKey.combine([verified[0], verified[0], verified[1]], of: c, queryID: queryID) }
        #expect(twice?.code == .duplicateNode)
    }

    /// A proof made for one query cannot be replayed in another.
    @Test func proofBoundToAnotherQueryIsRefused() throws {
        let c = try encryptor.encrypt(1)
        let otherQuery: [UInt8] = Array(repeating: 0xAB, count: 16)
        let group = try partials(c, by: [1, 2]) + [try key.shares[2].partialDecrypt(c, queryID: otherQuery)]
        let error = thresholdError { _ = try key.publicKey.combine(group, of: c, queryID: queryID) }
        #expect(error?.code == .invalidProof)
        #expect(error?.node == 3)
    }

    /// A party cannot pass its partial decryption off as another party's.
    @Test func proofBoundToTheParty() throws {
        let c = try encryptor.encrypt(1)
        let mine = try key.shares[0].partialDecrypt(c, queryID: queryID)
        let stolen = PartialDecryption(
            index: 2, ciphertextDigest: mine.ciphertextDigest, value: mine.value,
            challenge: mine.challenge, response: mine.response)
        let error = thresholdError { try key.publicKey.verify(stolen, of: c, queryID: queryID) }
        #expect(error?.code == .invalidProof)
        #expect(error?.node == 2)
    }

    @Test func duplicateAndOutOfRangeIndicesAreRefused() throws {
        let c = try encryptor.encrypt(1)
        let group = try partials(c, by: [1, 2])
        let duplicate = thresholdError { _ = try key.publicKey.combine(group + [group[1]], of: c, queryID: queryID) }
        #expect(duplicate?.code == .duplicateNode)
        #expect(duplicate?.node == 2)
        for index in [0, 6, 300] {
            let outside = PartialDecryption(
                index: index, ciphertextDigest: group[0].ciphertextDigest, value: group[0].value,
                challenge: group[0].challenge, response: group[0].response)
            let error = thresholdError { _ = try key.publicKey.combine(group + [outside], of: c, queryID: queryID) }
            #expect(error?.code == .indexOutOfRange)
            #expect(error?.node == index)
        }
    }

    @Test func queryIDsMustBe16Bytes() throws {
        let c = try encryptor.encrypt(1)
        #expect(thresholdError { _ = try key.shares[0].partialDecrypt(c, queryID: [1, 2, 3]) }?.code == .invalidQueryID)
    }

    /// Homomorphic sums of packed vectors decrypt through the threshold path.
    @Test func packedSumsDecryptThroughTheThresholdPath() throws {
        let layout = try PackingLayout(publicKey: key.publicKey.publicKey, bound: 1 << 20, additions: 3)
        let a = (0..<20).map { BigInt($0 * 1000 - 7000) }
        let b = (0..<20).map { BigInt(1 << 20) - BigInt($0) }
        let c = (0..<20).map { BigInt(-(1 << 20) + $0 * 3) }
        let sum = try encryptor.encrypt(vector: a, layout: layout)
            .adding(try encryptor.encrypt(vector: b, layout: layout))
            .adding(try encryptor.encrypt(vector: c, layout: layout))
        var plaintexts: [BigInt] = []
        for ciphertext in sum.ciphertexts {
            let group = try partials(ciphertext, by: [2, 3, 5])
            plaintexts.append(try key.publicKey.combine(group, of: ciphertext, queryID: queryID))
        }
        let expected = (0..<20).map { a[$0] + b[$0] + c[$0] }
        #expect(try layout.unpack(plaintexts, count: 20) == expected)
    }

    @Test func serialisationRoundTrips() throws {
        let publicBytes = key.publicKey.serialized()
        let restored = try ThresholdPublicKey(serialized: publicBytes)
        #expect(restored == key.publicKey)
        let share = key.shares[3]
        let shareBytes = share.serialized()
        let restoredShare = try ThresholdKeyShare(serialized: shareBytes, publicKey: restored)
        #expect(restoredShare.index == 4)
        let c = try encryptor.encrypt(77)
        let partial = try restoredShare.partialDecrypt(c, queryID: queryID)
        let partialBytes = try partial.serialized(for: restored)
        #expect(try PartialDecryption(serialized: partialBytes, for: restored) == partial)
        let group = try partials(c, by: [1, 2]) + [partial]
        #expect(try restored.combine(group, of: c, queryID: queryID) == 77)
    }

    @Test func malformedEncodingsAndForeignSharesAreRefused() throws {
        let publicBytes = key.publicKey.serialized()
        #expect(thresholdError { _ = try ThresholdPublicKey(serialized: Array(publicBytes.dropLast())) }?.code == .invalidEncoding)
        #expect(thresholdError { _ = try ThresholdPublicKey(serialized: publicBytes + [0]) }?.code == .invalidEncoding)
        var wrongVersion = publicBytes
        wrongVersion[0] = 2
        #expect(thresholdError { _ = try ThresholdPublicKey(serialized: wrongVersion) }?.code == .invalidEncoding)

        let shareBytes = key.shares[0].serialized()
        var tampered = shareBytes
        tampered[tampered.count - 1] ^= 1
        let mismatch = thresholdError { _ = try ThresholdKeyShare(serialized: tampered, publicKey: key.publicKey) }
        #expect(mismatch?.code == .invalidShare)
        #expect(mismatch?.node == 1)
        var relabelled = shareBytes
        relabelled[9] = 2  // index field: party 2 with party 1's share
        #expect(thresholdError { _ = try ThresholdKeyShare(serialized: relabelled, publicKey: key.publicKey) }?.code == .invalidShare)
        let foreign = ThresholdDealer.dealForTesting(bits: 512, parameters: try ThresholdParameters(threshold: 3, parties: 5))
        #expect(thresholdError { _ = try ThresholdKeyShare(serialized: shareBytes, publicKey: foreign.publicKey) }?.code == .invalidShare)
    }

    @Test func descriptionsShowNoShares() throws {
        let share = key.shares[1]
        let secretDigits = try ThresholdKeyShareAccess.shareValue(share).toString()
        for text in ["\(share)", "\(key.publicKey)", String(describing: share)] {
            #expect(!text.contains(secretDigits))
            #expect(!text.contains(String(secretDigits.prefix(12))))
        }
    }

    @Test func invalidParametersAreRefused() {
        #expect(thresholdError { _ = try ThresholdParameters(threshold: 0, parties: 5) }?.code == .invalidKey)
        #expect(thresholdError { _ = try ThresholdParameters(threshold: 6, parties: 5) }?.code == .invalidKey)
        #expect(thresholdError { _ = try ThresholdParameters(threshold: 1, parties: 256) }?.code == .invalidKey)
    }
}

/// The share value, read from its encoding (for the redaction test only).
enum ThresholdKeyShareAccess {
    static func shareValue(_ share: ThresholdKeyShare) throws -> BigInt {
        BigInt(bigEndianBytes: share.serialized().dropFirst(10))
    }
}

@Suite("Threshold share files")
struct ThresholdShareFileTests {
    @Test func shareFileIsWrittenMode0600AndLoadsBack() throws {
        let key = ThresholdTestKeys.threeOfFive
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fedstat-share-\(UUID().uuidString).bin").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SecretFile.write(key.shares[2].serialized(), to: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let loaded = try ThresholdKeyShare(serialized: try SecretFile.read(path), publicKey: key.publicKey)
        #expect(loaded.index == 3)
        let c = try ThresholdTestKeys.encryptor.encrypt(5)
        let partials = try [key.shares[0].partialDecrypt(c, queryID: ThresholdTestKeys.queryID),
                            key.shares[1].partialDecrypt(c, queryID: ThresholdTestKeys.queryID),
                            loaded.partialDecrypt(c, queryID: ThresholdTestKeys.queryID)]
        #expect(try key.publicKey.combine(partials, of: c, queryID: ThresholdTestKeys.queryID) == 5)
    }
}
