internal import CGMP

/// Modular multiplication and division whose running time and memory accesses depend
/// only on the width of the modulus, never on the operands' values (GMP's `mpn_sec_*`
/// functions on zero-padded, fixed-width limb arrays).
///
/// Use where operands are secret and their timing could be observed: a plaintext
/// entering encryption, the factors and intermediate values of CRT decryption.
/// Defends against timing attacks that would learn whether a value is zero, its sign or
/// its size, or the bits of a secret divisor. Slower than the variable-time `BigInt`
/// operators. All temporary limbs are wiped before returning. Immutable and safe to
/// share between threads.
public final class ConstantTimeModulus: Sendable {
    /// The modulus N.
    public let modulus: BigInt
    /// Width of N in 64-bit limbs; operands are padded to it.
    public let width: Int

    /// −N⁻¹ mod R and R mod N with R = 2^(64·width), for Montgomery products (odd N only).
    private let negativeInverse: BigInt?
    private let radixModN: BigInt

    /// - Precondition: `modulus > 0`.
    public init(_ modulus: BigInt) {
        precondition(modulus.signum() > 0, "modulus must be positive")
        self.modulus = modulus
        width = modulus.limbCount
        let radix = BigInt(1) << (64 * width)
        negativeInverse = modulus.isOdd ? radix - modulus.inverse(modulo: radix)! : nil
        radixModN = radix.modulo(modulus)
    }

    /// `a · R mod N` (the Montgomery form of a) for `0 ≤ a < 2^(64·width)`.
    public func montgomeryForm(_ a: BigInt) -> BigInt {
        multiply(a, radixModN)
    }

    /// The Montgomery product `a · b · R⁻¹ mod N` for `0 ≤ a, b < N`, N odd. With b in
    /// Montgomery form (`montgomeryForm`) this is `a · b mod N` for three fixed-width
    /// products and no division.
    public func montgomeryMultiply(_ a: BigInt, _ b: BigInt) -> BigInt {
        guard let negativeInverse else { preconditionFailure("Montgomery products need an odd modulus") }
        let k = width
        let n0 = negativeInverse.limb(0)  // −N⁻¹ mod 2^64
        let scratchCount = Int(__gmpn_sec_mul_itch(k, k))
        return withWipedLimbs(7 * k + scratchCount) { base in
            let x = base
            let y = x + k
            let n = y + k
            let t = n + k  // 2k: a·b, reduced in place
            let carries = t + 2 * k  // k: carry out of each row, added at the end
            let scratch = carries + k
            a.copyLimbs(to: x, width: k)
            b.copyLimbs(to: y, width: k)
            modulus.copyLimbs(to: n, width: k)
            __gmpn_sec_mul(t, x, k, y, k, scratch)
            let high = Self.reduce(t, n, k, n0, carries: carries, spare: x)
            return BigInt(limbs: UnsafeBufferPointer(start: high, count: k), secret: a.isSecret || b.isSecret || modulus.isSecret)
        }
    }

    /// `z + N · (m · ẑ · R⁻¹ mod N) mod N²` for `0 ≤ m, ẑ < N` and `0 ≤ z < N²`, N odd:
    /// with ẑ the Montgomery form of z mod N this is `(1 + m·N) · z mod N²`, the step of
    /// Paillier encryption that brings in the plaintext m. Constant time in m, ẑ and z
    /// (one Montgomery product modulo N, one fixed-width product by N, a masked
    /// subtraction of N²). The result is a ciphertext and is not marked secret.
    public func lift(_ m: BigInt, montgomeryFactor zHat: BigInt, onto z: BigInt, modulusSquared: BigInt) -> BigInt {
        guard let negativeInverse else { preconditionFailure("lifting needs an odd modulus") }
        let k = width
        let wide = 2 * k + 1
        let n0 = negativeInverse.limb(0)
        let scratchCount = Int(__gmpn_sec_mul_itch(k, k))
        return withWipedLimbs(4 * k + 4 * wide + scratchCount) { base in
            let x = base
            let y = x + k
            let n = y + k
            let carries = n + k
            let t = carries + k  // wide: m·ẑ, then N·h + z
            let addend = t + wide  // wide: z
            let nSquared = addend + wide  // wide
            let difference = nSquared + wide  // wide
            let scratch = difference + wide
            m.copyLimbs(to: x, width: k)
            zHat.copyLimbs(to: y, width: k)
            modulus.copyLimbs(to: n, width: k)
            z.copyLimbs(to: addend, width: wide)
            modulusSquared.copyLimbs(to: nSquared, width: wide)
            // h = m·ẑ·R⁻¹ mod N.
            __gmpn_sec_mul(t, x, k, y, k, scratch)
            let high = Self.reduce(t, n, k, n0, carries: carries, spare: x)
            // c = N·h + z, minus N² once if it reached N² (N·h + z < 2N²).
            y.update(from: high, count: k)
            __gmpn_sec_mul(t, n, k, y, k, scratch)
            t[2 * k] = 0
            _ = __gmpn_add_n(t, t, addend, wide)
            let borrowSquared = __gmpn_sub_n(difference, t, nSquared, wide)
            __gmpn_cnd_swap(borrowSquared ^ 1, t, difference, wide)
            return BigInt(limbs: UnsafeBufferPointer(start: t, count: wide), secret: false)
        }
    }

    /// Montgomery reduction of the 2k-limb product `t` (< N·R) in place; returns a
    /// pointer to the k limbs of t·R⁻¹ mod N (inside t). Word by word: k rows of
    /// t[i…i+k) += q_i·N with q_i = t[i]·n0, each of which clears t[i] and does the same
    /// work whatever the values; the row carries are added at the end, then N is
    /// subtracted once under a mask. `carries` and `spare` are k limbs of scratch.
    private static func reduce(
        _ t: UnsafeMutablePointer<UInt>, _ n: UnsafeMutablePointer<UInt>, _ k: Int, _ n0: UInt,
        carries: UnsafeMutablePointer<UInt>, spare: UnsafeMutablePointer<UInt>
    ) -> UnsafeMutablePointer<UInt> {
        for i in 0..<k {
            carries[i] = __gmpn_addmul_1(t + i, n, k, t[i] &* n0)
        }
        let high = t + k
        let carry = __gmpn_add_n(high, high, carries, k)
        // high + carry·R < 2N: subtract N once unless that borrows.
        let borrow = __gmpn_sub_n(spare, high, n, k)
        __gmpn_cnd_swap(carry | (borrow ^ 1), high, spare, k)
        return high
    }

    /// `a · b mod N` for `0 ≤ a, b < 2^(64·width)`.
    public func multiply(_ a: BigInt, _ b: BigInt) -> BigInt {
        multiplyAdd(a, b, BigInt(0))
    }

    /// `(a · b + c) mod N` for `0 ≤ a, b < 2^(64·width)` and `0 ≤ c < 2^(128·width)`.
    public func multiplyAdd(_ a: BigInt, _ b: BigInt, _ c: BigInt) -> BigInt {
        let k = width
        let productWidth = 2 * k + 1  // a·b + c < 2^(128·k + 1)
        let scratchCount = max(Int(__gmpn_sec_mul_itch(k, k)), Int(__gmpn_sec_div_r_itch(productWidth, k)))
        return withWipedLimbs(3 * k + 2 * productWidth + scratchCount) { base in
            let x = base
            let y = x + k
            let addend = y + k
            let product = addend + productWidth
            let n = product + productWidth
            let scratch = n + k
            a.copyLimbs(to: x, width: k)
            b.copyLimbs(to: y, width: k)
            c.copyLimbs(to: addend, width: productWidth)
            modulus.copyLimbs(to: n, width: k)
            __gmpn_sec_mul(product, x, k, y, k, scratch)
            product[2 * k] = 0
            // Fixed-width add; no carry out of 2k + 1 limbs by the bounds above.
            _ = __gmpn_add_n(product, product, addend, productWidth)
            __gmpn_sec_div_r(product, productWidth, n, k, scratch)
            return BigInt(limbs: UnsafeBufferPointer(start: product, count: k), secret: a.isSecret || b.isSecret || c.isSecret || modulus.isSecret)
        }
    }

    /// `(⌊a / N⌋, a mod N)` for `0 ≤ a < 2^(64·(width + extraWidth))`; the quotient
    /// has at most `extraWidth + 1` limbs.
    public func divide(_ a: BigInt, extraWidth: Int) -> (quotient: BigInt, remainder: BigInt) {
        precondition(extraWidth >= 0)
        let k = width
        let numeratorWidth = k + extraWidth
        let quotientWidth = extraWidth + 1
        let scratchCount = Int(__gmpn_sec_div_qr_itch(numeratorWidth, k))
        return withWipedLimbs(numeratorWidth + quotientWidth + k + scratchCount) { base in
            let numerator = base
            let q = numerator + numeratorWidth
            let n = q + quotientWidth
            let scratch = n + k
            a.copyLimbs(to: numerator, width: numeratorWidth)
            modulus.copyLimbs(to: n, width: k)
            q[quotientWidth - 1] = __gmpn_sec_div_qr(q, numerator, numeratorWidth, n, k, scratch)
            let secret = a.isSecret || modulus.isSecret
            return (
                BigInt(limbs: UnsafeBufferPointer(start: q, count: quotientWidth), secret: secret),
                BigInt(limbs: UnsafeBufferPointer(start: numerator, count: k), secret: secret)
            )
        }
    }
}

/// Runs `body` on `count` limbs of temporary storage and wipes them afterwards. The
/// storage starts uninitialised: every caller writes each region before reading it.
func withWipedLimbs<R>(_ count: Int, _ body: (UnsafeMutablePointer<UInt>) -> R) -> R {
    withUnsafeTemporaryAllocation(of: UInt.self, capacity: count) { buffer in
        defer { fedstat_wipe_limbs(buffer.baseAddress, count) }
        return body(buffer.baseAddress!)
    }
}

extension BigInt {
    /// Writes the magnitude as exactly `width` limbs (least significant first,
    /// zero-padded) to `target`.
    ///
    /// - Precondition: the magnitude fits in `width` limbs.
    func copyLimbs(to target: UnsafeMutablePointer<UInt>, width: Int) {
        let count = limbCount
        precondition(count <= width, "value wider than \(width) limbs")
        if count > 0 {
            target.update(from: __gmpz_limbs_read(storage.pointer)!, count: count)
        }
        (target + count).update(repeating: 0, count: width - count)
    }

    /// The non-negative integer whose limbs (least significant first) are `limbs`.
    init(limbs: UnsafeBufferPointer<UInt>, secret: Bool) {
        self.init(storage: MPZ(secret: secret))
        guard !limbs.isEmpty else { return }
        let target = __gmpz_limbs_write(storage.pointer, limbs.count)!
        target.update(from: limbs.baseAddress!, count: limbs.count)
        __gmpz_limbs_finish(storage.pointer, limbs.count)
    }
}
