import BigNum

/// Sizes of Paillier moduli for production keys. Smaller keys exist only through
/// `PrivateKey.generateForTesting(bits:)`.
public enum KeySize: Int, Sendable, CaseIterable {
    /// 2048-bit n: the default.
    case bits2048 = 2048
    /// 3072-bit n: for long-lived federations.
    case bits3072 = 3072
}

/// A Paillier public key with generator g = n + 1 (`Protocols/paillier.md` §2).
///
/// Immutable; a class so that every ciphertext can refer to its key cheaply.
public final class PublicKey: Sendable, Hashable, CustomStringConvertible {
    /// The modulus n = p·q.
    public let n: BigInt
    /// n².
    public let nSquared: BigInt
    /// Bit length of n.
    public let bits: Int
    /// Largest magnitude of a signed plaintext: ⌊n/3⌋ − 1 (`Protocols/paillier.md` §5).
    /// Decrypted residues between `maxSigned` and `n − maxSigned` are overflow.
    public let maxSigned: BigInt
    /// Constant-time arithmetic modulo n and n² for the step of encryption that touches
    /// the plaintext.
    let nFixed: ConstantTimeModulus
    let nSquaredFixed: ConstantTimeModulus

    /// A public key for modulus `n`.
    ///
    /// Checks what can be checked without the factorisation: n is odd, at least 64 bits
    /// and not a perfect square. Throws `invalidKey` otherwise.
    public init(n: BigInt) throws(PaillierError) {
        guard n.isOdd, n.bitLength >= 64 else {
            throw PaillierError(.invalidKey, "a Paillier modulus must be odd and at least 64 bits (got \(n.bitLength) bits)")
        }
        guard !n.squareRootAndRemainder().remainder.isZero else {
            throw PaillierError(.invalidKey, "a Paillier modulus cannot be a perfect square")
        }
        self.n = n.declassified()
        nSquared = self.n * self.n
        bits = n.bitLength
        maxSigned = self.n / BigInt(3) - BigInt(1)
        nFixed = ConstantTimeModulus(self.n)
        nSquaredFixed = ConstantTimeModulus(nSquared)
    }

    /// Bytes of n, big-endian, fixed length.
    public var modulusByteCount: Int { (bits + 7) / 8 }

    /// Bytes of a ciphertext value (an element of Z_{n²}), fixed length.
    public var ciphertextValueByteCount: Int { 2 * modulusByteCount }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        lhs === rhs || lhs.n == rhs.n
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(n)
    }

    /// Shows the size and the leading hex digits of n (public, but long).
    public var description: String {
        let hex = n.toString(radix: 16)
        return "Paillier.PublicKey(\(bits) bits, n = 0x\(hex.prefix(16))…)"
    }

    // MARK: Ciphertexts

    /// Wraps `value` as a ciphertext under this key after checking it is a unit modulo
    /// n²: `0 < value < n²` and `gcd(value, n) = 1`. Defends against malformed or
    /// malicious ciphertexts (0, multiples of p or q, out-of-range values), which would
    /// otherwise decrypt to garbage or leak a factor through later arithmetic.
    public func ciphertext(_ value: BigInt) throws(PaillierError) -> Ciphertext {
        guard value.signum() > 0, value < nSquared else {
            throw PaillierError(.invalidCiphertext, "ciphertext is not in 1..<n² for this \(bits)-bit key")
        }
        guard BigInt.gcd(value, n) == 1 else {
            throw PaillierError(.invalidCiphertext, "ciphertext shares a factor with n (not a unit modulo n²)")
        }
        return Ciphertext(trusted: value.declassified(), publicKey: self)
    }

    /// Textbook encryption (1 + m·n)·r^n mod n² of the residue `m` in `0..<n`.
    ///
    /// `randomness` must be a unit modulo n; by default a fresh uniform one is drawn
    /// from the system CSPRNG. This is the slow, reference form: `Encryptor` is the
    /// fast default and produces ciphertexts that decrypt identically.
    public func encryptTextbook(residue m: BigInt, randomness: BigInt? = nil) throws(PaillierError) -> Ciphertext {
        try checkResidue(m)
        let r: BigInt
        if let randomness {
            guard randomness.signum() > 0, randomness < n, BigInt.gcd(randomness, n) == 1 else {
                throw PaillierError(.invalidCiphertext, "encryption randomness must be a unit modulo n")
            }
            r = randomness
        } else {
            r = randomUnit()
        }
        let rn = r.power(n, modulus: nSquared)
        return Ciphertext(trusted: combine(residue: m, with: rn, montgomery: montgomeryFactor(rn)), publicKey: self)
    }

    /// A uniformly random unit modulo n (secret).
    func randomUnit() -> BigInt {
        while true {
            let r = BigInt.random(below: n)
            if !r.isZero && BigInt.gcd(r, n) == 1 { return r }
        }
    }

    /// `(1 + m·n)·z mod n²`, computed as `z + n·(m·(z mod n) mod n)` so that the only
    /// full-size product is n·t (`Protocols/paillier.md` §3.3). `zMontgomery` must be
    /// (z mod n)·R mod n, the Montgomery form of z mod n (`ConstantTimeModulus`).
    ///
    /// Runs in time independent of m (and of z): fixed-width constant-time products
    /// and a masked final subtraction, so the timing of an encryption does not reveal
    /// whether the plaintext is zero, negative or small.
    func combine(residue m: BigInt, with z: BigInt, montgomery zMontgomery: BigInt) -> BigInt {
        nFixed.lift(m, montgomeryFactor: zMontgomery, onto: z, modulusSquared: nSquared)
    }

    /// (z mod n)·R mod n for an encryption factor z < n², in constant time.
    func montgomeryFactor(_ z: BigInt) -> BigInt {
        let reduced = nFixed.divide(z, extraWidth: nSquaredFixed.width - nFixed.width).remainder
        return nFixed.montgomeryForm(reduced)
    }

    func checkResidue(_ m: BigInt) throws(PaillierError) {
        guard m.signum() >= 0, m < n else {
            throw PaillierError(.plaintextOutOfRange, "plaintext residue must lie in 0..<n for this \(bits)-bit key")
        }
    }
}
