import BigNum

/// A Paillier ciphertext: a unit modulo n² under a specific public key.
///
/// Every `Ciphertext` is valid by construction: values from outside come in only
/// through `PublicKey.ciphertext(_:)` or `PublicKey.ciphertext(bytes:)`, which check
/// them, and the homomorphic operations map units to units. Combining ciphertexts of
/// different keys is a programming error and traps.
public struct Ciphertext: Sendable, Hashable, CustomStringConvertible {
    /// The key this ciphertext is under.
    public let publicKey: PublicKey
    /// The value c in Z*_{n²}.
    public let value: BigInt

    init(trusted value: BigInt, publicKey: PublicKey) {
        self.value = value
        self.publicKey = publicKey
    }

    public var description: String {
        "Paillier.Ciphertext(\(publicKey.bits)-bit key)"
    }

    private static func sameKey(_ a: Ciphertext, _ b: Ciphertext) -> PublicKey {
        precondition(a.publicKey == b.publicKey, "ciphertexts under different Paillier keys")
        return a.publicKey
    }

    /// Homomorphic addition: decrypts to the sum of the plaintexts (mod n).
    public static func + (lhs: Ciphertext, rhs: Ciphertext) -> Ciphertext {
        let key = sameKey(lhs, rhs)
        return Ciphertext(trusted: lhs.value.multiplied(by: rhs.value, modulo: key.nSquared), publicKey: key)
    }

    /// Homomorphic negation: decrypts to −m (mod n).
    public static prefix func - (operand: Ciphertext) -> Ciphertext {
        let key = operand.publicKey
        // A valid ciphertext is a unit, so the inverse exists.
        return Ciphertext(trusted: operand.value.inverse(modulo: key.nSquared)!, publicKey: key)
    }

    /// Homomorphic subtraction: decrypts to the difference of the plaintexts (mod n).
    public static func - (lhs: Ciphertext, rhs: Ciphertext) -> Ciphertext {
        lhs + (-rhs)
    }

    /// Multiplication by a public scalar (any sign): decrypts to k·m (mod n).
    public static func * (lhs: Ciphertext, scalar: BigInt) -> Ciphertext {
        let key = lhs.publicKey
        let base = scalar.signum() < 0 ? (-lhs).value : lhs.value
        return Ciphertext(trusted: base.power(scalar.magnitude, modulus: key.nSquared), publicKey: key)
    }

    public static func * (scalar: BigInt, rhs: Ciphertext) -> Ciphertext {
        rhs * scalar
    }

    public static func += (lhs: inout Ciphertext, rhs: Ciphertext) {
        lhs = lhs + rhs
    }
}

extension Sequence<Ciphertext> {
    /// The homomorphic sum of all ciphertexts, or nil for an empty sequence.
    public func homomorphicSum() -> Ciphertext? {
        var iterator = makeIterator()
        guard var total = iterator.next() else { return nil }
        while let next = iterator.next() { total += next }
        return total
    }
}
