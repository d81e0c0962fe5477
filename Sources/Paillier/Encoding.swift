import BigNum

/// Signed integers as residues modulo n with an overflow band
/// (`Protocols/paillier.md` §5; the convention of python-paillier).
///
/// A value v with |v| ≤ maxSigned = ⌊n/3⌋ − 1 is encoded as v (v ≥ 0) or n + v (v < 0).
/// A residue x decodes to x if x ≤ maxSigned, to x − n if x ≥ n − maxSigned, and is
/// refused as overflow in between: a sum whose true value left the signed range lands
/// in that middle third instead of silently wrapping to a plausible number.
public enum SignedEncoding {
    /// The residue encoding `value`; throws `overflow` if |value| > maxSigned.
    public static func encode(_ value: BigInt, publicKey: PublicKey) throws(PaillierError) -> BigInt {
        guard value.magnitude <= publicKey.maxSigned else {
            throw PaillierError(
                .overflow,
                "value does not fit the signed range of a \(publicKey.bits)-bit key (|v| ≤ ⌊n/3⌋ − 1)")
        }
        return value.signum() < 0 ? publicKey.n + value : value
    }

    /// The signed value of `residue`; throws `overflow` for the middle band.
    public static func decode(_ residue: BigInt, publicKey: PublicKey) throws(PaillierError) -> BigInt {
        try publicKey.checkResidue(residue)
        if residue <= publicKey.maxSigned { return residue }
        if residue >= publicKey.n - publicKey.maxSigned { return residue - publicKey.n }
        throw PaillierError(
            .overflow, "decrypted value lies in the overflow band: a sum exceeded the signed range of the key")
    }
}

/// Fixed-point decimals with an explicit scale: a decimal d is the integer d·10^scale
/// (`cost decimal(2)`: 12.34 ↔ 1234). Conversion is exact; a decimal with more
/// fractional digits than the scale is refused rather than rounded.
public struct FixedPoint: Sendable, Hashable {
    /// Number of decimal digits after the point.
    public let scale: Int

    public init(scale: Int) {
        precondition((0...1000).contains(scale), "scale must be in 0...1000")
        self.scale = scale
    }

    /// The scaled integer of a plain decimal string such as `-12.34`.
    public func encode(_ decimal: String) throws(PaillierError) -> BigInt {
        guard let value = BigRational(decimal: decimal) else {
            throw PaillierError(.invalidDecimal, "not a plain decimal number (digits, optional sign and point)")
        }
        return try encode(value)
    }

    /// The scaled integer of an exact rational; throws if it is not a multiple of 10^-scale.
    public func encode(_ value: BigRational) throws(PaillierError) -> BigInt {
        let scaled = value * BigRational(BigInt(10).power(scale))
        guard scaled.isInteger else {
            throw PaillierError(.invalidDecimal, "decimal has more than \(scale) fractional digits")
        }
        // A value about to be encrypted is a plaintext: secret from here on.
        return scaled.numerator.asSecret()
    }

    /// The exact value of a scaled integer.
    public func decode(_ scaled: BigInt) -> BigRational {
        BigRational(numerator: scaled, denominator: BigInt(10).power(scale))
    }

    /// A scaled integer written as a decimal with exactly `scale` fractional digits.
    public func decimalString(_ scaled: BigInt) -> String {
        decode(scaled).decimalString(fractionDigits: scale)
    }
}
