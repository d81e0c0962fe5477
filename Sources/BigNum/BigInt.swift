internal import CGMP

/// An arbitrary-precision signed integer backed by GMP.
///
/// `BigInt` is a value type with copy-on-write storage: copies share one GMP integer
/// until one of them is mutated. A value can be marked *secret* (`BigInt(secret:)`,
/// `asSecret()`); secret values are wiped before their memory is freed, are redacted in
/// `description`, and taint every result computed from them. Converting a secret to a
/// string or bytes is always an explicit call.
///
/// Operations that would be undefined (division by zero, a negative square root, a
/// modulus that is not positive) are programming errors and trap, as they do for `Int`.
public struct BigInt: Sendable {
    var storage: MPZ

    init(storage: MPZ) {
        self.storage = storage
    }

    /// Zero.
    public init() {
        storage = MPZ(secret: false)
    }

    /// Whether this value is secret (wiped on release, redacted when printed).
    public var isSecret: Bool { storage.isSecret }

    /// The same value, marked secret.
    public func asSecret() -> BigInt {
        if isSecret { return self }
        return BigInt(storage: MPZ(copying: storage, secret: true))
    }

    /// The same value, no longer marked secret. Call only for values that may be shown,
    /// such as a public modulus computed from secret primes or a released aggregate.
    public func declassified() -> BigInt {
        if !isSecret { return self }
        return BigInt(storage: MPZ(copying: storage, secret: false))
    }

    /// Makes the storage uniquely owned before an in-place mutation.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = MPZ(copying: storage, secret: storage.isSecret)
        }
    }

    /// A result computed from `operands` is secret if any operand is.
    static func result(from operands: BigInt...) -> MPZ {
        MPZ(secret: operands.contains { $0.isSecret })
    }
}

// MARK: - Conversions from Swift integers

extension BigInt {
    public init(_ value: Int) {
        self.init()
        __gmpz_set_si(storage.pointer, value)
    }

    public init(_ value: UInt) {
        self.init()
        __gmpz_set_ui(storage.pointer, value)
    }

    public init(_ value: UInt128) {
        self.init()
        Self.setMagnitude(storage.pointer, value)
    }

    public init(_ value: Int128) {
        self.init()
        Self.setMagnitude(storage.pointer, value.magnitude)
        if value < 0 { __gmpz_neg(storage.pointer, storage.pointer) }
    }

    public init(_ value: Int64) { self.init(Int(value)) }
    public init(_ value: UInt64) { self.init(UInt(value)) }
    public init(_ value: Int32) { self.init(Int(value)) }
    public init(_ value: UInt32) { self.init(UInt(value)) }

    /// A secret copy of `value` (see `isSecret`).
    public init(secret value: BigInt) {
        self = value.asSecret()
    }

    private static func setMagnitude(_ z: UnsafeMutablePointer<__mpz_struct>, _ value: UInt128) {
        __gmpz_set_ui(z, UInt(truncatingIfNeeded: value >> 64))
        __gmpz_mul_2exp(z, z, 64)
        __gmpz_add_ui(z, z, UInt(truncatingIfNeeded: value))
    }
}

extension BigInt: ExpressibleByIntegerLiteral {
    /// Integer literals of any size: `let p: BigInt = 0xFFFF_FFFF_FFFF_FFFF_FFFF_FFFF`.
    public init(integerLiteral value: StaticBigInt) {
        self.init()
        let words = (value.bitWidth + UInt.bitWidth - 1) / UInt.bitWidth
        // StaticBigInt exposes two's-complement words, least significant first.
        for index in stride(from: words - 1, through: 0, by: -1) {
            __gmpz_mul_2exp(storage.pointer, storage.pointer, UInt(UInt.bitWidth))
            __gmpz_add_ui(storage.pointer, storage.pointer, value[index])
        }
        if value.signum() < 0 {
            let modulus = MPZ(secret: false)
            __gmpz_set_ui(modulus.pointer, 1)
            __gmpz_mul_2exp(modulus.pointer, modulus.pointer, UInt(words * UInt.bitWidth))
            __gmpz_sub(storage.pointer, storage.pointer, modulus.pointer)
        }
    }
}

// MARK: - Conversions to Swift integers

extension BigInt {
    /// Limb `index` of the magnitude (least significant first).
    func limb(_ index: Int) -> UInt {
        __gmpz_getlimbn(storage.pointer, index)
    }

    /// Number of 64-bit limbs of the magnitude.
    package var limbCount: Int {
        Int(__gmpz_size(storage.pointer))
    }

    private var magnitudeAsUInt128: UInt128? {
        guard bitLength <= 128 else { return nil }
        return UInt128(limb(1)) << 64 | UInt128(limb(0))
    }
}

extension Int {
    /// `value` as an `Int`, or nil if it does not fit.
    public init?(exactly value: BigInt) {
        guard __gmpz_fits_slong_p(value.storage.pointer) != 0 else { return nil }
        self = __gmpz_get_si(value.storage.pointer)
    }
}

extension UInt {
    /// `value` as a `UInt`, or nil if it is negative or does not fit.
    public init?(exactly value: BigInt) {
        guard __gmpz_fits_ulong_p(value.storage.pointer) != 0 else { return nil }
        self = __gmpz_get_ui(value.storage.pointer)
    }
}

extension UInt128 {
    /// `value` as a `UInt128`, or nil if it is negative or does not fit.
    public init?(exactly value: BigInt) {
        guard value.signum() >= 0, value.bitLength <= 128 else { return nil }
        self = UInt128(value.limb(1)) << 64 | UInt128(value.limb(0))
    }
}

extension Int128 {
    /// `value` as an `Int128`, or nil if it does not fit.
    public init?(exactly value: BigInt) {
        guard value.bitLength <= 128 else { return nil }
        let magnitude = UInt128(value.limb(1)) << 64 | UInt128(value.limb(0))
        if value.signum() >= 0 {
            guard magnitude <= UInt128(Int128.max) else { return nil }
            self = Int128(magnitude)
        } else {
            guard magnitude <= UInt128(Int128.max) + 1 else { return nil }
            self = magnitude == UInt128(Int128.max) + 1 ? Int128.min : -Int128(magnitude)
        }
    }
}

// MARK: - Strings

extension BigInt {
    /// Parses an optionally signed integer in `radix` (2...36). Only an optional leading
    /// `-` or `+` and digits are accepted: no whitespace, no prefix, no separators.
    public init?(_ text: some StringProtocol, radix: Int = 10) {
        precondition((2...36).contains(radix), "radix must be in 2...36")
        var digits = Substring(text)
        var negative = false
        if let first = digits.first, first == "-" || first == "+" {
            negative = first == "-"
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty,
            digits.utf8.allSatisfy({ Self.digitValue($0).map { $0 < radix } ?? false })
        else { return nil }
        self.init()
        let status = String(digits).withCString { __gmpz_set_str(storage.pointer, $0, Int32(radix)) }
        guard status == 0 else { return nil }
        if negative { __gmpz_neg(storage.pointer, storage.pointer) }
    }

    private static func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(c - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(c - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    /// The value written in `radix` (2...36), lower-case digits, `-` for negatives.
    /// Works for secret values too: converting is an explicit act.
    public func toString(radix: Int = 10) -> String {
        precondition((2...36).contains(radix), "radix must be in 2...36")
        let capacity = __gmpz_sizeinbase(storage.pointer, Int32(radix)) + 2
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = __gmpz_get_str(chars.baseAddress, Int32(radix), storage.pointer)
                var length = 0
                while length < capacity, chars[length] != 0 { length += 1 }
                return length
            }
        }
    }
}

extension BigInt: CustomStringConvertible, CustomDebugStringConvertible {
    /// Decimal digits, or a redaction for secret values.
    public var description: String {
        isSecret ? "BigInt(secret)" : toString()
    }

    public var debugDescription: String { description }
}

// MARK: - Bytes

/// An error from converting a `BigInt` to or from bytes.
public struct BigNumError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Sendable, Equatable {
        /// A value needs more bytes than the fixed length allows.
        case doesNotFit
        /// A negative value was asked for as unsigned bytes.
        case negative
    }

    public var code: Code
    public var message: String

    public var description: String { message }
}

extension BigInt {
    /// The unsigned integer encoded by `bytes`, most significant byte first.
    public init(bigEndianBytes bytes: some Collection<UInt8>) {
        self.init()
        let array = Array(bytes)
        array.withUnsafeBytes { raw in
            if let base = raw.baseAddress, !raw.isEmpty {
                __gmpz_import(storage.pointer, raw.count, 1, 1, 1, 0, base)
            }
        }
    }

    /// The magnitude as the fewest big-endian bytes (empty for zero).
    /// Throws for negative values.
    public func bigEndianBytes() throws(BigNumError) -> [UInt8] {
        try bigEndianBytes(count: (bitLength + 7) / 8)
    }

    /// The value as exactly `count` big-endian bytes, zero-padded on the left.
    /// Throws if the value is negative or needs more than `count` bytes.
    public func bigEndianBytes(count: Int) throws(BigNumError) -> [UInt8] {
        guard signum() >= 0 else {
            throw BigNumError(code: .negative, message: "a negative integer has no unsigned byte encoding")
        }
        let needed = (bitLength + 7) / 8
        guard needed <= count else {
            throw BigNumError(
                code: .doesNotFit,
                message: "an integer of \(bitLength) bits does not fit in \(count) bytes")
        }
        var bytes = [UInt8](repeating: 0, count: count)
        if needed > 0 {
            bytes.withUnsafeMutableBytes { raw in
                var written = 0
                _ = __gmpz_export(raw.baseAddress! + (count - needed), &written, 1, 1, 1, 0, storage.pointer)
            }
        }
        return bytes
    }
}

// MARK: - Properties

extension BigInt {
    /// -1, 0 or 1.
    public func signum() -> Int {
        Int(fedstat_mpz_sgn(storage.pointer))
    }

    public var isZero: Bool { signum() == 0 }

    public var isOdd: Bool { fedstat_mpz_odd_p(storage.pointer) != 0 }

    public var isEven: Bool { !isOdd }

    /// Number of bits of the magnitude; 0 for zero.
    public var bitLength: Int {
        isZero ? 0 : Int(__gmpz_sizeinbase(storage.pointer, 2))
    }

    /// Bit `index` of the two's-complement representation.
    public func bit(_ index: Int) -> Bool {
        precondition(index >= 0)
        return __gmpz_tstbit(storage.pointer, UInt(index)) != 0
    }

    /// The absolute value.
    public var magnitude: BigInt {
        let r = MPZ(secret: isSecret)
        __gmpz_abs(r.pointer, storage.pointer)
        return BigInt(storage: r)
    }
}

// MARK: - Comparison and hashing

extension BigInt: Equatable, Hashable, Comparable {
    public static func == (lhs: BigInt, rhs: BigInt) -> Bool {
        lhs.storage === rhs.storage || __gmpz_cmp(lhs.storage.pointer, rhs.storage.pointer) == 0
    }

    public static func < (lhs: BigInt, rhs: BigInt) -> Bool {
        __gmpz_cmp(lhs.storage.pointer, rhs.storage.pointer) < 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(signum())
        for index in 0..<limbCount {
            hasher.combine(limb(index))
        }
    }
}

// Comparisons with `Int` without allocating a `BigInt` for the literal.
extension BigInt {
    public static func == (lhs: BigInt, rhs: Int) -> Bool {
        __gmpz_cmp_si(lhs.storage.pointer, rhs) == 0
    }

    public static func != (lhs: BigInt, rhs: Int) -> Bool {
        !(lhs == rhs)
    }

    public static func < (lhs: BigInt, rhs: Int) -> Bool {
        __gmpz_cmp_si(lhs.storage.pointer, rhs) < 0
    }

    public static func > (lhs: BigInt, rhs: Int) -> Bool {
        __gmpz_cmp_si(lhs.storage.pointer, rhs) > 0
    }

    public static func <= (lhs: BigInt, rhs: Int) -> Bool {
        __gmpz_cmp_si(lhs.storage.pointer, rhs) <= 0
    }

    public static func >= (lhs: BigInt, rhs: Int) -> Bool {
        __gmpz_cmp_si(lhs.storage.pointer, rhs) >= 0
    }
}
