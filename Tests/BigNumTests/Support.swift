import BigNum
import TestSupport
import Testing

extension SplitMix64 {
    /// A random value whose magnitude has a random width in `0...maxBits`, so small and
    /// large operands are both common.
    mutating func int128(maxBits: Int) -> Int128 {
        int128(bits: Int.random(in: 0...maxBits, using: &self))
    }

    /// A random non-negative value below 2^bits (bits in 0...128).
    mutating func uint128(bits: Int) -> UInt128 {
        precondition((0...128).contains(bits))
        return bits == 0 ? 0 : nextUInt128() >> (128 - bits)
    }

    /// A public random odd integer of exactly `bits` bits (bits >= 2).
    mutating func oddModulus(bits: Int) -> BigInt {
        precondition(bits >= 2)
        var m = (BigInt.random(bits: bits - 1, using: &self) + (BigInt(1) << (bits - 1))).declassified()
        if m.isEven { m += BigInt(1) }
        return m
    }
}

/// The six rounding rules in the order used by the expected-value tables, with the
/// name of the matching rounding mode of Python's `decimal` module (the oracle).
let allRules: [FloatingPointRoundingRule] = [
    .down,  // ROUND_FLOOR
    .up,  // ROUND_CEILING
    .towardZero,  // ROUND_DOWN
    .awayFromZero,  // ROUND_UP
    .toNearestOrEven,  // ROUND_HALF_EVEN
    .toNearestOrAwayFromZero,  // ROUND_HALF_UP
]

/// Values at the interesting boundaries of the Swift integer types.
let edgeInt128s: [Int128] = [
    0, 1, -1, 2, -2, 3, -3, 7, -7, 255, -256,
    Int128(Int64.max), Int128(Int64.min), Int128(Int64.max) + 1, Int128(Int64.min) - 1,
    Int128(UInt64.max), -Int128(UInt64.max), Int128(UInt64.max) + 1, -Int128(UInt64.max) - 1,
    Int128(UInt64.max) + 2, (1 << 100) + 12_345, -(1 << 100) - 12_345,
    (1 << 125) - 1, -(1 << 125) + 1,
]

/// `Int128` products that do not overflow, for the tests that need them.
func fitsProduct(_ a: Int128, _ b: Int128) -> Bool {
    !a.multipliedReportingOverflow(by: b).overflow
}

/// A decimal integer literal given as text (for values wider than 128 bits).
func big(_ text: String) throws -> BigInt {
    try #require(BigInt(text), "not a decimal integer: \(text)")
}

/// A rational written as `"numerator/denominator"` in decimal.
func rational(_ text: String) throws -> BigRational {
    let parts = text.split(separator: "/")
    try #require(parts.count == 2, "not a fraction: \(text)")
    let numerator = try #require(BigInt(parts[0]))
    let denominator = try #require(BigInt(parts[1]))
    return BigRational(numerator: numerator, denominator: denominator)
}

/// Greatest common divisor by Euclid's algorithm on `UInt128` (an oracle independent
/// of GMP).
func euclid(_ a: UInt128, _ b: UInt128) -> UInt128 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}

/// `base^exponent mod modulus` by square-and-multiply on `UInt128`; the modulus must be
/// below 2^64 so every product fits.
func modPow(_ base: UInt128, _ exponent: UInt128, _ modulus: UInt128) -> UInt128 {
    precondition(modulus > 0 && modulus <= UInt128(UInt64.max))
    var result: UInt128 = 1 % modulus
    var b = base % modulus
    var e = exponent
    while e > 0 {
        if e & 1 == 1 { result = result * b % modulus }
        b = b * b % modulus
        e >>= 1
    }
    return result
}

/// The least non-negative residue of `a` modulo `m` (> 0), on Swift integers.
func residue(_ a: Int128, _ m: Int128) -> Int128 {
    let r = a % m
    return r < 0 ? r + m : r
}
