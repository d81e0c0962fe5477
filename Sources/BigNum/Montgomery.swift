internal import CGMP
internal import CLibCrypto

// Montgomery arithmetic for hot, fixed-modulus work (Paillier decryption, fixed-base
// exponentiation). It runs on OpenSSL's `BN_MONT_CTX`, whose x86-64 and AArch64
// assembly selects MULX/ADX and other extensions at run time. Debian's GMP is built
// for the baseline x86-64 instruction set, so for 2048–4096-bit moduli OpenSSL's
// Montgomery multiplication and constant-time exponentiation are measurably faster
// here than GMP's generic code (see Benchmarks/RESULTS.md). Values cross the
// boundary as little-endian limb arrays, with no string or byte re-encoding.

#if !_endian(little)
    #error("BigNum's GMP↔OpenSSL limb exchange assumes a little-endian machine")
#endif

/// A BIGNUM owned by Swift; cleared before it is freed.
final class OwnedBIGNUM: @unchecked Sendable {
    // @unchecked Sendable: used only by the single owner that created it, never shared
    // while mutable (each call below creates its own scratch values).
    let pointer: OpaquePointer

    init() {
        guard let bn = BN_new() else { fatalError("OpenSSL: out of memory") }
        pointer = bn
    }

    deinit { BN_clear_free(pointer) }
}

extension BigInt {
    /// Copies the magnitude of `self` into `bignum` (sign is not carried).
    func copy(into bignum: OpaquePointer) {
        let limbs = limbCount
        guard limbs > 0 else {
            BN_set_word(bignum, 0)
            return
        }
        let source = __gmpz_limbs_read(storage.pointer)!
        guard BN_lebin2bn(UnsafeRawPointer(source).assumingMemoryBound(to: UInt8.self), Int32(limbs * 8), bignum) != nil
        else { fatalError("OpenSSL: out of memory") }
    }

    /// A non-negative `BigInt` holding the value of `bignum`.
    init(bignum: OpaquePointer, secret: Bool) {
        self.init(storage: MPZ(secret: secret))
        let bytes = Int(BN_num_bits(bignum) + 7) / 8
        guard bytes > 0 else { return }
        let limbs = (bytes + 7) / 8
        let target = __gmpz_limbs_write(storage.pointer, limbs)!
        _ = BN_bn2lebinpad(bignum, UnsafeMutableRawPointer(target).assumingMemoryBound(to: UInt8.self), Int32(limbs * 8))
        __gmpz_limbs_finish(storage.pointer, limbs)
    }
}

/// Arithmetic modulo a fixed odd modulus in Montgomery representation.
///
/// Immutable after creation and safe to use from several threads at once: each
/// operation uses its own scratch space.
public final class MontgomeryModulus: @unchecked Sendable {
    // @unchecked Sendable: `context` is written only in `init`; OpenSSL reads a
    // BN_MONT_CTX without modifying it in the operations used here.
    let context: OpaquePointer
    /// The modulus.
    public let modulus: BigInt
    /// Number of 64-bit words of the modulus.
    let words: Int

    /// Prepares Montgomery arithmetic modulo `modulus`.
    ///
    /// - Precondition: `modulus` is odd and greater than 1.
    public init(_ modulus: BigInt) {
        precondition(modulus > 1 && modulus.isOdd, "Montgomery modulus must be odd and > 1")
        self.modulus = modulus
        words = modulus.limbCount
        guard let ctx = BN_MONT_CTX_new(), let bnContext = BN_CTX_new() else { fatalError("OpenSSL: out of memory") }
        defer { BN_CTX_free(bnContext) }
        let n = OwnedBIGNUM()
        modulus.copy(into: n.pointer)
        guard BN_MONT_CTX_set(ctx, n.pointer, bnContext) == 1 else { fatalError("OpenSSL: BN_MONT_CTX_set failed") }
        context = ctx
    }

    deinit { BN_MONT_CTX_free(context) }

    /// `base^exponent mod modulus` in constant time with respect to the exponent
    /// (OpenSSL `BN_mod_exp_mont_consttime`: fixed window, every table entry read
    /// through a masked gather). Use for secret exponents such as a Paillier prime's
    /// `p − 1` or a key share: defends against timing and cache attacks that would
    /// recover the exponent from decryptions of attacker-chosen ciphertexts.
    ///
    /// The base must already be reduced (reduce secret values with
    /// `ConstantTimeModulus.divide`): reducing here with GMP's division would take time
    /// that depends on a secret modulus.
    ///
    /// - Precondition: `exponent > 0`, `0 <= base < modulus`.
    public func powerSecret(_ base: BigInt, _ exponent: BigInt) -> BigInt {
        precondition(exponent.signum() > 0, "secret exponent must be positive")
        precondition(base.signum() >= 0 && base < modulus, "base must be reduced modulo the modulus")
        guard let bnContext = BN_CTX_new() else { fatalError("OpenSSL: out of memory") }
        defer { BN_CTX_free(bnContext) }
        let a = OwnedBIGNUM()
        let e = OwnedBIGNUM()
        let m = OwnedBIGNUM()
        let r = OwnedBIGNUM()
        base.copy(into: a.pointer)
        exponent.copy(into: e.pointer)
        modulus.copy(into: m.pointer)
        BN_set_flags(a.pointer, BN_FLG_CONSTTIME)
        BN_set_flags(e.pointer, BN_FLG_CONSTTIME)
        BN_set_flags(m.pointer, BN_FLG_CONSTTIME)
        guard BN_mod_exp_mont_consttime(r.pointer, a.pointer, e.pointer, m.pointer, bnContext, context) == 1 else {
            fatalError("OpenSSL: BN_mod_exp_mont_consttime failed")
        }
        return BigInt(bignum: r.pointer, secret: base.isSecret || exponent.isSecret || modulus.isSecret)
    }
}
