import BigNum

/// A Paillier private key: the factorisation n = p·q with CRT decryption constants
/// (`Protocols/paillier.md` §4).
///
/// All secret values are `BigInt`s marked secret, wiped when released, and never
/// printed: `description` shows only the key size.
public final class PrivateKey: Sendable, CustomStringConvertible {
    public let publicKey: PublicKey
    let p: BigInt
    let q: BigInt
    private let pSquared: MontgomeryModulus
    private let qSquared: MontgomeryModulus
    private let pMinusOne: BigInt
    private let qMinusOne: BigInt
    /// h_p = L_p(g^(p−1) mod p²)⁻¹ mod p, and likewise for q.
    private let hp: BigInt
    private let hq: BigInt
    /// q⁻¹ mod p, for Garner's recombination.
    private let qInverseModP: BigInt
    /// Constant-time arithmetic modulo p², q², p, q and n for every step of decryption
    /// around the exponentiations (`Protocols/paillier.md` §4.2).
    private let pSquaredFixed: ConstantTimeModulus
    private let qSquaredFixed: ConstantTimeModulus
    private let pFixed: ConstantTimeModulus
    private let qFixed: ConstantTimeModulus
    private let nFixed: ConstantTimeModulus

    /// A private key from its two primes.
    ///
    /// Both must be distinct probable primes of the same size (at most ⌈bits/2⌉ bits
    /// each) with gcd(n, (p−1)(q−1)) = 1. Keys generated here use safe primes; keys
    /// from other implementations (such as python-paillier) need not.
    public init(p: BigInt, q: BigInt) throws(PaillierError) {
        let p = p.asSecret()
        let q = q.asSecret()
        guard p != q, p > 2, q > 2, p.isProbablePrime(), q.isProbablePrime() else {
            throw PaillierError(.invalidKey, "p and q must be distinct odd primes")
        }
        let n = (p * q).declassified()
        let half = (n.bitLength + 1) / 2
        guard p.bitLength <= half, q.bitLength <= half else {
            throw PaillierError(.invalidKey, "p and q must have the same size (at most \(half) bits each)")
        }
        guard BigInt.gcd(n, (p - BigInt(1)) * (q - BigInt(1))) == 1 else {
            throw PaillierError(.invalidKey, "gcd(n, (p−1)(q−1)) must be 1")
        }
        // Order the primes so that serialisation is canonical.
        let (small, large) = p < q ? (p, q) : (q, p)
        self.p = large
        self.q = small
        publicKey = try PublicKey(n: n)
        pSquared = MontgomeryModulus(large * large)
        qSquared = MontgomeryModulus(small * small)
        pMinusOne = large - BigInt(1)
        qMinusOne = small - BigInt(1)
        // With g = n + 1: g^(p−1) ≡ 1 + (p−1)·n (mod p²), so L_p(·) = (p−1)·q mod p.
        hp = ((pMinusOne * small).modulo(large)).inverse(modulo: large)!
        hq = ((qMinusOne * large).modulo(small)).inverse(modulo: small)!
        qInverseModP = small.inverse(modulo: large)!
        pSquaredFixed = ConstantTimeModulus(large * large)
        qSquaredFixed = ConstantTimeModulus(small * small)
        pFixed = ConstantTimeModulus(large)
        qFixed = ConstantTimeModulus(small)
        nFixed = ConstantTimeModulus(publicKey.n)
    }

    /// Generates a key of a production size from two OpenSSL safe primes.
    public static func generate(size: KeySize = .bits2048) -> PrivateKey {
        generate(bits: size.rawValue)
    }

    /// Generates a key of any even size of at least 128 bits. **For tests only**: keys
    /// below 2048 bits offer no security.
    public static func generateForTesting(bits: Int) -> PrivateKey {
        precondition(bits >= 128 && bits.isMultiple(of: 2), "test keys need an even size of at least 128 bits")
        return generate(bits: bits)
    }

    /// A key from two fresh safe primes of `bits/2` bits (also the dealer's first step).
    static func generate(bits: Int) -> PrivateKey {
        while true {
            let p = BigInt.randomSafePrime(bits: bits / 2)
            let q = BigInt.randomSafePrime(bits: bits / 2)
            // Equal primes are astronomically unlikely; primes too close would let
            // Fermat's method factor n (|p − q| must be at least 2^(bits/2 − 100)).
            guard (p - q).magnitude.bitLength > bits / 2 - 100,
                let key = try? PrivateKey(p: p, q: q),
                key.publicKey.bits == bits
            else { continue }
            return key
        }
    }

    public var description: String {
        "Paillier.PrivateKey(\(publicKey.bits) bits)"
    }

    /// The plaintext residue in `0..<n` (secret).
    ///
    /// CRT decryption (`Protocols/paillier.md` §4.2) in which nothing takes time that
    /// depends on a secret: the exponentiations modulo p² and q² with the secret
    /// exponents p − 1 and q − 1 run in constant time, and every reduction, division
    /// and product around them uses fixed-width constant-time arithmetic. An attacker
    /// who submits ciphertexts and times decryptions learns nothing about p or q.
    public func decryptResidue(_ ciphertext: Ciphertext) throws(PaillierError) -> BigInt {
        guard ciphertext.publicKey == publicKey else {
            throw PaillierError(.keyMismatch, "ciphertext is under a different key than this private key")
        }
        let c = ciphertext.value
        let mp = crtHalf(c, pSquared, pSquaredFixed, pFixed, pMinusOne, hp)
        let mq = crtHalf(c, qSquared, qSquaredFixed, qFixed, qMinusOne, hq)
        // Garner: m = mq + q·((mp − mq)·q⁻¹ mod p), with −mq ≡ (p − 1)·mq (mod p).
        let difference = pFixed.multiplyAdd(mq, pMinusOne, mp)
        let t = pFixed.multiply(difference, qInverseModP)
        // q·t + mq ≤ q(p − 1) + q − 1 < n, so the reduction modulo n changes nothing.
        return nFixed.multiplyAdd(q, t, mq).asSecret()
    }

    /// The signed plaintext (`Protocols/paillier.md` §5); throws `overflow` if the
    /// residue lies in the overflow band, meaning a sum wrapped around n.
    public func decrypt(_ ciphertext: Ciphertext) throws(PaillierError) -> BigInt {
        try SignedEncoding.decode(try decryptResidue(ciphertext), publicKey: publicKey)
    }

    /// The operands of the two CRT exponentiations of `decryptResidue`, so a benchmark
    /// can time the raw exponentiations against the whole decryption.
    package func benchmarkCRTInputs(_ ciphertext: Ciphertext) -> (
        cp: BigInt, pMinusOne: BigInt, pSquared: BigInt, cq: BigInt, qMinusOne: BigInt, qSquared: BigInt
    ) {
        (
            ciphertext.value.modulo(pSquared.modulus), pMinusOne, pSquared.modulus,
            ciphertext.value.modulo(qSquared.modulus), qMinusOne, qSquared.modulus
        )
    }

    /// m_p = L_p(c^(p−1) mod p²)·h_p mod p with L_p(x) = (x − 1)/p.
    private func crtHalf(
        _ c: BigInt, _ modulus: MontgomeryModulus, _ modulusFixed: ConstantTimeModulus,
        _ primeFixed: ConstantTimeModulus, _ exponent: BigInt, _ h: BigInt
    ) -> BigInt {
        let reduced = modulusFixed.divide(c, extraWidth: publicKey.nSquared.limbCount - modulusFixed.width).remainder
        let x = modulus.powerSecret(reduced, exponent)
        let l = primeFixed.divide(x - BigInt(1), extraWidth: modulusFixed.width - primeFixed.width).quotient
        return primeFixed.multiply(l, h)
    }
}
