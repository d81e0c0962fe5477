/// An error from Paillier key handling, encryption, decryption, encoding or parsing.
///
/// Messages say what was wrong and where, never which plaintext, randomness or key
/// material was involved.
public struct PaillierError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A ciphertext is not a unit modulo n² (0 < c < n², gcd(c, n) = 1 fails).
        case invalidCiphertext
        /// Values under different public keys were combined.
        case keyMismatch
        /// A plaintext residue is not in 0..<n.
        case plaintextOutOfRange
        /// A signed value does not fit the encoding, or a decrypted value lies in the
        /// overflow band (a sum wrapped around n).
        case overflow
        /// A key is malformed (not a valid modulus, primes that do not match, …).
        case invalidKey
        /// Serialized bytes have the wrong length.
        case wrongLength
        /// Serialized bytes carry an unknown version or kind.
        case unsupportedFormat
        /// A decimal string is malformed or has more fractional digits than the scale.
        case invalidDecimal
        /// A value is larger than a packing layout's declared bound, or a layout does
        /// not fit one plaintext.
        case packingBound
        /// Adding packed vectors would exceed the layout's headroom.
        case headroomExhausted
        /// Packed vectors with different layouts or lengths were combined.
        case layoutMismatch
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "Paillier \(code.rawValue): \(message)" }
}
