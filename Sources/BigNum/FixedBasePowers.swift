internal import CGMP
internal import CLibCrypto

/// Precomputed powers of one base for fast exponentiation with exponents of a fixed
/// maximum length (fixed-base windowing, Brickell–Gordon–McCurley–Wilson style).
///
/// For window width `w` and exponent length `L`, the table holds, for every window
/// `i < ⌈L/w⌉` and digit `d < 2^w`, the value `base^(d·2^(w·i))` in Montgomery form.
/// `power(e)` then costs exactly `⌈L/w⌉ − 1` modular multiplications and no
/// squarings, against about `L` squarings for a generic exponentiation.
///
/// Every window costs one multiplication, zero digits included, so the running time
/// does not depend on the exponent's digits. The table address read does depend on
/// them (a cache side channel for an attacker who shares the CPU); see
/// `Protocols/paillier.md` for why that is acceptable where this is used.
///
/// Immutable after creation and safe to use from several threads at once.
public final class FixedBasePowers: @unchecked Sendable {
    // @unchecked Sendable: `table` is written only during `init` and read afterwards.
    /// The modulus of the arithmetic.
    public let modulus: MontgomeryModulus
    /// Exponents must be below 2^exponentBits.
    public let exponentBits: Int
    /// Window width w: each window holds 2^w entries.
    public let windowBits: Int
    /// Number of windows, ⌈exponentBits / windowBits⌉.
    public let windows: Int
    private let entryWords: Int
    /// Powers of a secret base are secret too.
    private let baseIsSecret: Bool
    private let table: UnsafeMutablePointer<UInt64>

    /// Size of the table in bytes.
    public var tableBytes: Int { windows << windowBits * entryWords * 8 }

    /// Builds the table: about `windows · 2^windowBits` modular multiplications.
    ///
    /// - Precondition: `1 <= windowBits <= 16`, `exponentBits >= 1`, `base` is a unit
    ///   modulo the modulus.
    public init(base: BigInt, modulus: MontgomeryModulus, exponentBits: Int, windowBits: Int) {
        precondition((1...16).contains(windowBits), "window must be 1...16 bits")
        precondition(exponentBits >= 1)
        self.modulus = modulus
        self.exponentBits = exponentBits
        self.windowBits = windowBits
        windows = (exponentBits + windowBits - 1) / windowBits
        entryWords = modulus.words
        baseIsSecret = base.isSecret
        let entries = windows << windowBits
        table = .allocate(capacity: entries * entryWords)

        guard let ctx = BN_CTX_new() else { fatalError("OpenSSL: out of memory") }
        defer { BN_CTX_free(ctx) }
        let one = OwnedBIGNUM()
        let step = OwnedBIGNUM()  // base^(2^(w·i)), Montgomery form
        let current = OwnedBIGNUM()
        BigInt(1).copy(into: one.pointer)
        base.modulo(modulus.modulus).copy(into: step.pointer)
        guard BN_to_montgomery(one.pointer, one.pointer, modulus.context, ctx) == 1,
            BN_to_montgomery(step.pointer, step.pointer, modulus.context, ctx) == 1
        else { fatalError("OpenSSL: BN_to_montgomery failed") }

        let digits = 1 << windowBits
        for window in 0..<windows {
            store(one.pointer, window: window, digit: 0)
            guard BN_copy(current.pointer, step.pointer) != nil else { fatalError("OpenSSL: out of memory") }
            for digit in 1..<digits {
                store(current.pointer, window: window, digit: digit)
                mul(current.pointer, current.pointer, step.pointer, ctx)
            }
            // current = step^(2^w): the next window's step.
            guard BN_copy(step.pointer, current.pointer) != nil else { fatalError("OpenSSL: out of memory") }
        }
    }

    deinit {
        table.update(repeating: 0, count: (windows << windowBits) * entryWords)
        table.deallocate()
    }

    /// `base^exponent mod modulus`.
    ///
    /// - Precondition: `0 <= exponent < 2^exponentBits`.
    public func power(_ exponent: BigInt) -> BigInt {
        precondition(exponent.signum() >= 0 && exponent.bitLength <= exponentBits, "exponent out of the table's range")
        guard let ctx = BN_CTX_new() else { fatalError("OpenSSL: out of memory") }
        defer { BN_CTX_free(ctx) }
        let accumulator = OwnedBIGNUM()
        let entry = OwnedBIGNUM()
        let digitMask = (1 << windowBits) - 1
        load(accumulator.pointer, window: 0, digit: exponent.bits(at: 0, count: windowBits) & digitMask)
        for window in 1..<max(windows, 1) {
            load(entry.pointer, window: window, digit: exponent.bits(at: window * windowBits, count: windowBits))
            mul(accumulator.pointer, accumulator.pointer, entry.pointer, ctx)
        }
        guard BN_from_montgomery(accumulator.pointer, accumulator.pointer, modulus.context, ctx) == 1 else {
            fatalError("OpenSSL: BN_from_montgomery failed")
        }
        return BigInt(bignum: accumulator.pointer, secret: baseIsSecret || exponent.isSecret)
    }

    private func slot(window: Int, digit: Int) -> UnsafeMutablePointer<UInt64> {
        table + ((window << windowBits) + digit) * entryWords
    }

    private func store(_ value: OpaquePointer, window: Int, digit: Int) {
        let target = UnsafeMutableRawPointer(slot(window: window, digit: digit)).assumingMemoryBound(to: UInt8.self)
        guard BN_bn2lebinpad(value, target, Int32(entryWords * 8)) >= 0 else { fatalError("OpenSSL: value wider than modulus") }
    }

    private func load(_ value: OpaquePointer, window: Int, digit: Int) {
        let source = UnsafeRawPointer(slot(window: window, digit: digit)).assumingMemoryBound(to: UInt8.self)
        guard BN_lebin2bn(source, Int32(entryWords * 8), value) != nil else { fatalError("OpenSSL: out of memory") }
    }

    private func mul(_ r: OpaquePointer, _ a: OpaquePointer, _ b: OpaquePointer, _ ctx: OpaquePointer) {
        guard BN_mod_mul_montgomery(r, a, b, modulus.context, ctx) == 1 else {
            fatalError("OpenSSL: BN_mod_mul_montgomery failed")
        }
    }
}

extension BigInt {
    /// Bits `offset ..< offset + count` of the magnitude as an integer (count <= 32).
    func bits(at offset: Int, count: Int) -> Int {
        precondition(count <= 32 && offset >= 0)
        let word = offset / 64
        let shift = offset % 64
        var value = limb(word) >> UInt(shift)
        if shift + count > 64 {
            value |= limb(word + 1) << UInt(64 - shift)
        }
        return Int(value & ((1 << UInt(count)) - 1))
    }
}
