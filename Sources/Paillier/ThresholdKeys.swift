import BigNum

/// The public part of a threshold Paillier key (`Protocols/threshold-paillier.md` §2):
/// the modulus, the threshold t of ℓ parties, the verification base v and one
/// verification key v_i = v^(Δ·s_i) per party.
///
/// Immutable; a class so that shares and partial decryptions refer to it cheaply.
public final class ThresholdPublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The ordinary Paillier public key (encryption works as for any key).
    public let publicKey: PublicKey
    /// Number of partial decryptions needed to decrypt.
    public let threshold: Int
    /// Number of parties (shares), ℓ.
    public let parties: Int
    /// Δ = ℓ!.
    public let delta: BigInt
    /// The verification base v, a square in Z*_{n²}.
    public let verificationBase: BigInt
    /// v_i = v^(Δ·s_i) mod n² for parties 1…ℓ (element i − 1 for party i).
    public let verificationKeys: [BigInt]
    /// (4Δ²)⁻¹ mod n, the last step of combination.
    let combineFactor: BigInt
    /// Montgomery arithmetic modulo n², shared by every exponentiation under this key.
    let nSquaredModulus: MontgomeryModulus

    /// A threshold public key from its parts; checks their ranges and consistency.
    public init(
        publicKey: PublicKey, threshold: Int, verificationBase: BigInt, verificationKeys: [BigInt]
    ) throws(ThresholdError) {
        let parties = verificationKeys.count
        guard (1...ThresholdParameters.maximumParties).contains(parties), (1...parties).contains(threshold) else {
            throw ThresholdError(.invalidKey, "threshold \(threshold) of \(parties) parties is not valid (1 ≤ t ≤ ℓ ≤ \(ThresholdParameters.maximumParties))")
        }
        for (position, value) in ([verificationBase] + verificationKeys).enumerated() {
            guard value > 1, value < publicKey.nSquared, BigInt.gcd(value, publicKey.n) == 1 else {
                let what = position == 0 ? "verification base" : "verification key of party \(position)"
                throw ThresholdError(.invalidKey, "\(what) is not a unit modulo n² other than 1")
            }
        }
        self.publicKey = publicKey
        self.threshold = threshold
        self.parties = parties
        self.verificationBase = verificationBase.declassified()
        self.verificationKeys = verificationKeys.map { $0.declassified() }
        let delta = ThresholdParameters.factorial(parties)
        self.delta = delta
        // gcd(4Δ², n) = 1 because every prime factor of n exceeds ℓ.
        guard let factor = (BigInt(4) * delta * delta).inverse(modulo: publicKey.n) else {
            throw ThresholdError(.invalidKey, "4Δ² is not invertible modulo n: the modulus has a factor ≤ ℓ")
        }
        combineFactor = factor
        nSquaredModulus = MontgomeryModulus(publicKey.nSquared)
    }

    public static func == (lhs: ThresholdPublicKey, rhs: ThresholdPublicKey) -> Bool {
        lhs === rhs
            || (lhs.publicKey == rhs.publicKey && lhs.threshold == rhs.threshold
                && lhs.verificationBase == rhs.verificationBase && lhs.verificationKeys == rhs.verificationKeys)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(publicKey)
        hasher.combine(threshold)
        hasher.combine(verificationBase)
    }

    public var description: String {
        "ThresholdPaillier.PublicKey(\(publicKey.bits) bits, \(threshold) of \(parties))"
    }

    /// The verification key of party `index` (1…ℓ).
    func verificationKey(_ index: Int) -> BigInt {
        verificationKeys[index - 1]
    }
}

/// Threshold and number of parties of a key.
public struct ThresholdParameters: Sendable, Hashable {
    /// At most this many parties: Δ = ℓ! grows quickly and enters every exponent.
    public static let maximumParties = 255

    public let threshold: Int
    public let parties: Int

    /// - Throws: `invalidKey` unless 1 ≤ threshold ≤ parties ≤ 255.
    public init(threshold: Int, parties: Int) throws(ThresholdError) {
        guard (1...Self.maximumParties).contains(parties), (1...parties).contains(threshold) else {
            throw ThresholdError(.invalidKey, "threshold \(threshold) of \(parties) parties is not valid (1 ≤ t ≤ ℓ ≤ \(Self.maximumParties))")
        }
        self.threshold = threshold
        self.parties = parties
    }

    static func factorial(_ k: Int) -> BigInt {
        (1...max(k, 1)).reduce(BigInt(1)) { $0 * BigInt($1) }
    }
}

/// One party's share s_i of the decryption exponent (secret).
///
/// The share is wiped when released and never printed; `serialized()` is the only way
/// out, for a file of mode 0600.
public final class ThresholdKeyShare: Sendable, CustomStringConvertible {
    public let publicKey: ThresholdPublicKey
    /// The party's index, 1…ℓ.
    public let index: Int
    /// s_i = f(i) mod n·m (secret).
    let share: BigInt
    /// 2Δ·s_i, the exponent of a partial decryption (secret).
    let exponent: BigInt

    /// A share from its parts. Checks the index and that the share matches the party's
    /// verification key (v^(Δ·s_i) = v_i), so a corrupted share file is refused here
    /// rather than producing partial decryptions every verifier rejects.
    public convenience init(publicKey: ThresholdPublicKey, index: Int, share: BigInt) throws(ThresholdError) {
        guard (1...publicKey.parties).contains(index) else {
            throw ThresholdError(.indexOutOfRange, "share index \(index) is outside 1…\(publicKey.parties)", node: index)
        }
        let secretShare = share.asSecret()
        guard secretShare.signum() > 0, secretShare < publicKey.publicKey.nSquared else {
            throw ThresholdError(.invalidShare, "share of party \(index) is out of range", node: index)
        }
        let check = publicKey.nSquaredModulus.powerSecret(publicKey.verificationBase, publicKey.delta * secretShare).declassified()
        guard check == publicKey.verificationKey(index) else {
            throw ThresholdError(.invalidShare, "share of party \(index) does not match its verification key", node: index)
        }
        self.init(trusted: publicKey, index: index, share: secretShare)
    }

    /// A share known to match its verification key (made by the dealer).
    init(trusted publicKey: ThresholdPublicKey, index: Int, share: BigInt) {
        self.publicKey = publicKey
        self.index = index
        self.share = share.asSecret()
        self.exponent = BigInt(2) * publicKey.delta * self.share
    }

    public var description: String {
        "ThresholdPaillier.KeyShare(party \(index) of \(publicKey.parties), \(publicKey.publicKey.bits) bits)"
    }
}

/// The dealer (`Protocols/threshold-paillier.md` §2): generates a threshold key and
/// forgets the factorisation.
public enum ThresholdDealer {
    /// Generates a key of a production size split into `parties` shares, any
    /// `threshold` of which decrypt.
    ///
    /// Everything derived from the factorisation (p, q, m, d and the polynomial) lives
    /// in secret `BigInt`s local to this call and is wiped when it returns.
    public static func deal(
        size: KeySize = .bits2048, parameters: ThresholdParameters
    ) -> (publicKey: ThresholdPublicKey, shares: [ThresholdKeyShare]) {
        let result = deal(bits: size.rawValue, parameters: parameters)
        return (result.publicKey, result.shares)
    }

    /// A key of any even size ≥ 128 bits, **for tests only**; also returns the
    /// equivalent ordinary private key so tests can compare with CRT decryption.
    public static func dealForTesting(
        bits: Int, parameters: ThresholdParameters
    ) -> (publicKey: ThresholdPublicKey, shares: [ThresholdKeyShare], privateKey: PrivateKey) {
        precondition(bits >= 128 && bits.isMultiple(of: 2), "test keys need an even size of at least 128 bits")
        return deal(bits: bits, parameters: parameters)
    }

    private static func deal(
        bits: Int, parameters: ThresholdParameters
    ) -> (publicKey: ThresholdPublicKey, shares: [ThresholdKeyShare], privateKey: PrivateKey) {
        while true {
            let privateKey = PrivateKey.generate(bits: bits)
            let (p, q) = (privateKey.p, privateKey.q)
            let n = privateKey.publicKey.n
            let nSquared = privateKey.publicKey.nSquared
            // m = p'q' with p = 2p' + 1, q = 2q' + 1.
            let m = ((p - BigInt(1)) / BigInt(2)) * ((q - BigInt(1)) / BigInt(2))
            let nm = n * m
            // d ≡ 0 (mod m), d ≡ 1 (mod n): d = m·(m⁻¹ mod n).
            guard let mInverse = m.inverse(modulo: n) else { continue }
            let d = (m * mInverse).modulo(nm)
            // f(X) = d + a_1 X + … + a_{t−1} X^{t−1} over Z_{nm}.
            let coefficients = [d] + (1..<parameters.threshold).map { _ in BigInt.random(below: nm) }
            let shares = (1...parameters.parties).map { i in
                coefficients.reversed().reduce(BigInt(0)) { ($0 * BigInt(i) + $1).modulo(nm) }
            }
            // v = x² for x uniform in Z*_{n²} (not merely below n, which would make v a
            // perfect square of the integers with a public root): it generates the
            // squares of Z*_{n²}, of order n·p'q', with overwhelming probability.
            var root = BigInt.random(below: nSquared)
            while root.isZero || BigInt.gcd(root, n) != 1 { root = BigInt.random(below: nSquared) }
            let v = root.multiplied(by: root, modulo: nSquared).declassified()
            let delta = ThresholdParameters.factorial(parameters.parties)
            let n2 = MontgomeryModulus(nSquared)
            let verificationKeys = shares.map { n2.powerSecret(v, delta * $0).declassified() }
            guard
                let publicKey = try? ThresholdPublicKey(
                    publicKey: privateKey.publicKey, threshold: parameters.threshold,
                    verificationBase: v, verificationKeys: verificationKeys)
            else { continue }
            let keyShares = shares.enumerated().map { position, s in
                ThresholdKeyShare(trusted: publicKey, index: position + 1, share: s)
            }
            return (publicKey, keyShares, privateKey)
        }
    }
}
