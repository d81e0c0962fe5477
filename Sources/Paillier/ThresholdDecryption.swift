import BigNum
import Crypto

/// An error from threshold key handling, partial decryption or combination. Errors
/// about one party's contribution name it in `node` (its index 1…ℓ).
public struct ThresholdError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Key parts are malformed or inconsistent.
        case invalidKey
        /// A share is out of range or does not match its verification key.
        case invalidShare
        /// A party index is outside 1…ℓ.
        case indexOutOfRange
        /// Two partial decryptions come from the same party.
        case duplicateNode
        /// Fewer than t partial decryptions.
        case notEnoughShares
        /// A partial decryption was made for a different ciphertext.
        case wrongCiphertext
        /// A partial decryption's proof of correctness does not verify.
        case invalidProof
        /// A query id is not 16 bytes.
        case invalidQueryID
        /// Serialized bytes are malformed (version, kind, length, range).
        case invalidEncoding
    }

    public var code: Code
    public var message: String
    /// The party the error is about, if it is about one.
    public var node: Int?

    public init(_ code: Code, _ message: String, node: Int? = nil) {
        self.code = code
        self.message = message
        self.node = node
    }

    public var description: String { "threshold Paillier \(code.rawValue): \(message)" }
}

/// A partial decryption whose proof `ThresholdPublicKey.verify` accepted, bound to the
/// key and query id it was verified for (and, through `partial.ciphertextDigest`, the
/// ciphertext). Only `verify` makes one, so a holder can combine it without checking the
/// proof again.
public struct VerifiedPartialDecryption: Sendable {
    public let partial: PartialDecryption
    let queryID: [UInt8]
    let key: ThresholdPublicKey
}

/// A party's partial decryption c_i = c^(2Δ·s_i) mod n² of one ciphertext, with a
/// non-interactive proof that it used the share behind its verification key
/// (`Protocols/threshold-paillier.md` §3–4).
public struct PartialDecryption: Sendable, Hashable {
    /// The party, 1…ℓ.
    public let index: Int
    /// SHA-256 of the serialised ciphertext this decrypts.
    public let ciphertextDigest: [UInt8]
    /// c_i.
    public let value: BigInt
    /// Fiat–Shamir challenge e (256 bits).
    public let challenge: BigInt
    /// Response z = r + e·Δ·s_i.
    public let response: BigInt

    /// A partial decryption from its parts (as received); `ThresholdPublicKey.verify`
    /// checks it.
    public init(index: Int, ciphertextDigest: [UInt8], value: BigInt, challenge: BigInt, response: BigInt) {
        self.index = index
        self.ciphertextDigest = ciphertextDigest
        self.value = value
        self.challenge = challenge
        self.response = response
    }
}

/// Length of a query id in bytes.
public let queryIDLength = 16

extension ThresholdPublicKey {
    /// Bits of the proof's random exponent r: |n²| + |Δ| bounds Δ·s_i, plus 256 for the
    /// challenge and 128 so that z = r + e·Δ·s_i statistically hides Δ·s_i.
    var proofRandomBits: Int { publicKey.nSquared.bitLength + delta.bitLength + 256 + 128 }

    /// Largest bit length a valid response can have.
    var proofResponseBits: Int { proofRandomBits + 1 }

    /// The Fiat–Shamir challenge over the transcript of §4.2, byte for byte.
    func challenge(
        index: Int, ciphertext: BigInt, partial: BigInt, a: BigInt, b: BigInt, queryID: [UInt8]
    ) -> BigInt {
        let nb = publicKey.modulusByteCount
        let n2b = publicKey.ciphertextValueByteCount
        var transcript: [UInt8] = Array(Self.proofDomainTag.utf8)
        for value in [publicKey.bits, threshold, parties, index] {
            transcript += [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        }
        transcript += try! publicKey.n.bigEndianBytes(count: nb)
        for value in [verificationBase, verificationKey(index), ciphertext, partial, a, b] {
            transcript += try! value.bigEndianBytes(count: n2b)
        }
        transcript += queryID
        return BigInt(bigEndianBytes: Array(SHA256.hash(data: transcript)))
    }

    /// Domain separation for the proof's hash: no other Fedstat hash starts with it.
    static let proofDomainTag = "fedstat/threshold-paillier/v1/partial-decryption-proof\u{0}"

    static func digest(_ ciphertext: Ciphertext) -> [UInt8] {
        Array(SHA256.hash(data: ciphertext.serialized()))
    }

    static func checkQueryID(_ queryID: [UInt8]) throws(ThresholdError) {
        guard queryID.count == queryIDLength else {
            throw ThresholdError(.invalidQueryID, "a query id is \(queryIDLength) bytes, not \(queryID.count)")
        }
    }
}

extension ThresholdKeyShare {
    /// This party's partial decryption of `ciphertext`, with its proof bound to
    /// `queryID` (16 bytes) and to this party's index, so it cannot be replayed for
    /// another query or passed off as another party's.
    ///
    /// Both secret exponents (2Δ·s_i and the proof's r) go through constant-time
    /// exponentiation.
    public func partialDecrypt(_ ciphertext: Ciphertext, queryID: [UInt8]) throws(ThresholdError) -> PartialDecryption {
        try partialDecrypt(ciphertext, queryID: queryID, proofRandomness: nil)
    }

    /// As `partialDecrypt(_:queryID:)` with the proof's r given, for test vectors that
    /// must reproduce a proof byte for byte. Never pass a fixed r in production: two
    /// proofs with the same r reveal the share.
    package func partialDecrypt(
        _ ciphertext: Ciphertext, queryID: [UInt8], proofRandomness: BigInt?
    ) throws(ThresholdError) -> PartialDecryption {
        try ThresholdPublicKey.checkQueryID(queryID)
        guard ciphertext.publicKey == publicKey.publicKey else {
            throw ThresholdError(.wrongCiphertext, "ciphertext is under a different key than share \(index)", node: index)
        }
        let partial = decryptionShare(ciphertext.value)
        let (e, z) = prove(ciphertext: ciphertext.value, partial: partial, queryID: queryID, randomness: proofRandomness)
        return PartialDecryption(
            index: index, ciphertextDigest: ThresholdPublicKey.digest(ciphertext),
            value: partial, challenge: e, response: z)
    }

    /// c_i = c^(2Δ·s_i) mod n², in constant time with respect to the share.
    package func decryptionShare(_ c: BigInt) -> BigInt {
        publicKey.nSquaredModulus.powerSecret(c, exponent).declassified()
    }

    /// The proof (e, z) that log_{c⁴}(c_i²) = log_v(v_i) = Δ·s_i (Chaum–Pedersen made
    /// non-interactive with Fiat–Shamir, §4.1). r is secret (it would reveal s_i from z)
    /// and goes through constant-time exponentiation too.
    package func prove(
        ciphertext c: BigInt, partial: BigInt, queryID: [UInt8], randomness: BigInt?
    ) -> (challenge: BigInt, response: BigInt) {
        let key = publicKey
        let n2 = key.nSquaredModulus
        let r = (randomness ?? BigInt.random(bits: key.proofRandomBits)).asSecret()
        precondition(r.signum() >= 0 && r.bitLength <= key.proofRandomBits, "proof randomness out of range")
        let c4 = c.power(BigInt(4), modulus: key.publicKey.nSquared)
        let a = n2.powerSecret(c4, r).declassified()
        let b = n2.powerSecret(key.verificationBase, r).declassified()
        let e = key.challenge(index: index, ciphertext: c, partial: partial, a: a, b: b, queryID: queryID)
        return (e, (r + e * key.delta * share).declassified())
    }
}

extension ThresholdPublicKey {
    /// Checks that `partial` is party `partial.index`'s correct partial decryption of
    /// `ciphertext` for `queryID`. Defends against a party (or a coordinator relaying
    /// for it) that sends a wrong value to corrupt the result, a partial decryption of
    /// another ciphertext, or a proof replayed from another query or party.
    @discardableResult
    public func verify(
        _ partial: PartialDecryption, of ciphertext: Ciphertext, queryID: [UInt8]
    ) throws(ThresholdError) -> VerifiedPartialDecryption {
        try Self.checkQueryID(queryID)
        let i = partial.index
        guard (1...parties).contains(i) else {
            throw ThresholdError(.indexOutOfRange, "partial decryption names party \(i), outside 1…\(parties)", node: i)
        }
        guard partial.ciphertextDigest == Self.digest(ciphertext) else {
            throw ThresholdError(.wrongCiphertext, "partial decryption from party \(i) is for a different ciphertext", node: i)
        }
        let n2 = publicKey.nSquared
        let ci = partial.value
        guard ci > 0, ci < n2, BigInt.gcd(ci, publicKey.n) == 1,
            partial.challenge.signum() >= 0, partial.challenge.bitLength <= 256,
            partial.response.signum() >= 0, partial.response.bitLength <= proofResponseBits
        else {
            throw ThresholdError(.invalidProof, "partial decryption from party \(i) has values out of range", node: i)
        }
        let c = ciphertext.value
        let e = partial.challenge
        let z = partial.response
        let c4 = c.power(BigInt(4), modulus: n2)
        let ci2 = ci.multiplied(by: ci, modulo: n2)
        // a = (c⁴)^z · (c_i²)^(−e),  b = v^z · v_i^(−e)
        let a = c4.power(z, modulus: n2).multiplied(by: ci2.inverse(modulo: n2)!.power(e, modulus: n2), modulo: n2)
        let b = verificationBase.power(z, modulus: n2)
            .multiplied(by: verificationKey(i).inverse(modulo: n2)!.power(e, modulus: n2), modulo: n2)
        guard challenge(index: i, ciphertext: c, partial: ci, a: a, b: b, queryID: queryID) == e else {
            throw ThresholdError(.invalidProof, "proof of the partial decryption from party \(i) does not verify", node: i)
        }
        return VerifiedPartialDecryption(partial: partial, queryID: queryID, key: self)
    }

    /// Verifies `partials` and combines the first `threshold` of them into the
    /// plaintext residue of `ciphertext` (secret).
    ///
    /// Refused, naming the party where there is one: fewer than t partials, an index
    /// outside 1…ℓ, two partials from one party, a partial for another ciphertext, an
    /// invalid proof.
    public func combineResidue(
        _ partials: [PartialDecryption], of ciphertext: Ciphertext, queryID: [UInt8]
    ) throws(ThresholdError) -> BigInt {
        try Self.checkParties(partials.map(\.index), parties: parties, threshold: threshold)
        var verified: [VerifiedPartialDecryption] = []
        for partial in partials {
            verified.append(try verify(partial, of: ciphertext, queryID: queryID))
        }
        return try combineResidue(verified, of: ciphertext, queryID: queryID)
    }

    /// Combines the first `threshold` of `verified` (partial decryptions whose proofs
    /// `verify` accepted) into the plaintext residue of `ciphertext` (secret), without
    /// checking the proofs a second time: they are the expensive part.
    ///
    /// Defends against a verified partial being used for something it was not verified
    /// for: each must have been verified by this key, for this ciphertext and this
    /// query id. Refused as `combineResidue(_:of:queryID:)` is otherwise.
    public func combineResidue(
        _ verified: [VerifiedPartialDecryption], of ciphertext: Ciphertext, queryID: [UInt8]
    ) throws(ThresholdError) -> BigInt {
        try Self.checkQueryID(queryID)
        try Self.checkParties(verified.map(\.partial.index), parties: parties, threshold: threshold)
        let digest = Self.digest(ciphertext)
        for item in verified {
            let i = item.partial.index
            guard item.key == self else {
                throw ThresholdError(.invalidProof, "the partial decryption from party \(i) was verified under another key", node: i)
            }
            guard item.partial.ciphertextDigest == digest else {
                throw ThresholdError(.wrongCiphertext, "partial decryption from party \(i) is for a different ciphertext", node: i)
            }
            guard item.queryID == queryID else {
                throw ThresholdError(.invalidProof, "the partial decryption from party \(i) was verified for another query", node: i)
            }
        }
        let used = verified.prefix(threshold).map(\.partial)
        let indices = used.map(\.index)
        let n2 = publicKey.nSquared
        var product = BigInt(1)
        for partial in used {
            // μ_i = Δ · Π_{j≠i} j / (j − i), an integer because Δ = ℓ!.
            let i = partial.index
            var numerator = delta
            var denominator = BigInt(1)
            for j in indices where j != i {
                numerator *= BigInt(j)
                denominator *= BigInt(j - i)
            }
            let mu = numerator / denominator
            let twoMu = BigInt(2) * mu
            let base = twoMu.signum() < 0 ? partial.value.inverse(modulo: n2)! : partial.value
            product = product.multiplied(by: base.power(twoMu.magnitude, modulus: n2), modulo: n2)
        }
        // product = c^(4Δ²·d) = (1 + n)^(4Δ²·m), so m = L(product)·(4Δ²)⁻¹ mod n.
        // With verified partials it is ≡ 1 (mod n); anything else means the key itself is
        // inconsistent, and is refused rather than decoded into a wrong plaintext.
        guard (product - BigInt(1)).isMultiple(of: publicKey.n) else {
            throw ThresholdError(.invalidKey, "verified partial decryptions do not combine: the threshold key is inconsistent")
        }
        let l = (product - BigInt(1)) / publicKey.n
        return l.multiplied(by: combineFactor, modulo: publicKey.n).asSecret()
    }

    /// At least `threshold` partials, each from a party 1…ℓ, no party twice.
    static func checkParties(_ indices: [Int], parties: Int, threshold: Int) throws(ThresholdError) {
        guard indices.count >= threshold else {
            throw ThresholdError(.notEnoughShares, "\(indices.count) partial decryptions; \(threshold) of \(parties) are needed")
        }
        var seen = Set<Int>()
        for index in indices {
            guard (1...parties).contains(index) else {
                throw ThresholdError(.indexOutOfRange, "partial decryption names party \(index), outside 1…\(parties)", node: index)
            }
            guard seen.insert(index).inserted else {
                throw ThresholdError(.duplicateNode, "two partial decryptions from party \(index)", node: index)
            }
        }
    }

    /// As `combineResidue`, decoded as a signed value (`SignedEncoding`); an overflow is
    /// reported as `PaillierError.overflow`.
    public func combine(
        _ partials: [PartialDecryption], of ciphertext: Ciphertext, queryID: [UInt8]
    ) throws -> BigInt {
        try SignedEncoding.decode(try combineResidue(partials, of: ciphertext, queryID: queryID), publicKey: publicKey)
    }

    /// As `combineResidue` of verified partials, decoded as a signed value.
    public func combine(
        _ verified: [VerifiedPartialDecryption], of ciphertext: Ciphertext, queryID: [UInt8]
    ) throws -> BigInt {
        try SignedEncoding.decode(try combineResidue(verified, of: ciphertext, queryID: queryID), publicKey: publicKey)
    }
}
