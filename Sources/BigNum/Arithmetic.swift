internal import CGMP

// MARK: - Ring operations

extension BigInt {
    public static func + (lhs: BigInt, rhs: BigInt) -> BigInt {
        let r = result(from: lhs, rhs)
        __gmpz_add(r.pointer, lhs.storage.pointer, rhs.storage.pointer)
        return BigInt(storage: r)
    }

    public static func - (lhs: BigInt, rhs: BigInt) -> BigInt {
        let r = result(from: lhs, rhs)
        __gmpz_sub(r.pointer, lhs.storage.pointer, rhs.storage.pointer)
        return BigInt(storage: r)
    }

    public static func * (lhs: BigInt, rhs: BigInt) -> BigInt {
        let r = result(from: lhs, rhs)
        __gmpz_mul(r.pointer, lhs.storage.pointer, rhs.storage.pointer)
        return BigInt(storage: r)
    }

    public static prefix func - (operand: BigInt) -> BigInt {
        let r = result(from: operand)
        __gmpz_neg(r.pointer, operand.storage.pointer)
        return BigInt(storage: r)
    }

    /// Quotient rounded toward zero, as for `Int`. Traps on division by zero.
    public static func / (lhs: BigInt, rhs: BigInt) -> BigInt {
        precondition(!rhs.isZero, "division by zero")
        let r = result(from: lhs, rhs)
        __gmpz_tdiv_q(r.pointer, lhs.storage.pointer, rhs.storage.pointer)
        return BigInt(storage: r)
    }

    /// Remainder with the sign of `lhs`, as for `Int`. Traps on division by zero.
    public static func % (lhs: BigInt, rhs: BigInt) -> BigInt {
        precondition(!rhs.isZero, "division by zero")
        let r = result(from: lhs, rhs)
        __gmpz_tdiv_r(r.pointer, lhs.storage.pointer, rhs.storage.pointer)
        return BigInt(storage: r)
    }

    public static func += (lhs: inout BigInt, rhs: BigInt) {
        lhs.makeUnique()
        lhs.storage.isSecret = lhs.isSecret || rhs.isSecret
        __gmpz_add(lhs.storage.pointer, lhs.storage.pointer, rhs.storage.pointer)
    }

    public static func -= (lhs: inout BigInt, rhs: BigInt) {
        lhs.makeUnique()
        lhs.storage.isSecret = lhs.isSecret || rhs.isSecret
        __gmpz_sub(lhs.storage.pointer, lhs.storage.pointer, rhs.storage.pointer)
    }

    public static func *= (lhs: inout BigInt, rhs: BigInt) {
        lhs.makeUnique()
        lhs.storage.isSecret = lhs.isSecret || rhs.isSecret
        __gmpz_mul(lhs.storage.pointer, lhs.storage.pointer, rhs.storage.pointer)
    }

    /// Truncating quotient and remainder, as `Int.quotientAndRemainder(dividingBy:)`.
    public func quotientAndRemainder(dividingBy divisor: BigInt) -> (quotient: BigInt, remainder: BigInt) {
        precondition(!divisor.isZero, "division by zero")
        let q = Self.result(from: self, divisor)
        let r = Self.result(from: self, divisor)
        __gmpz_tdiv_qr(q.pointer, r.pointer, storage.pointer, divisor.storage.pointer)
        return (BigInt(storage: q), BigInt(storage: r))
    }

    /// Quotient rounded toward negative infinity.
    public func floorDivided(by divisor: BigInt) -> BigInt {
        precondition(!divisor.isZero, "division by zero")
        let q = Self.result(from: self, divisor)
        __gmpz_fdiv_q(q.pointer, storage.pointer, divisor.storage.pointer)
        return BigInt(storage: q)
    }

    /// The least non-negative residue of `self` modulo `modulus` (> 0).
    public func modulo(_ modulus: BigInt) -> BigInt {
        precondition(modulus.signum() > 0, "modulus must be positive")
        let r = Self.result(from: self, modulus)
        __gmpz_mod(r.pointer, storage.pointer, modulus.storage.pointer)
        return BigInt(storage: r)
    }

    /// `self` shifted left by `count` bits (multiplied by 2^count).
    public static func << (lhs: BigInt, count: Int) -> BigInt {
        precondition(count >= 0, "shift count must be non-negative")
        let r = result(from: lhs)
        __gmpz_mul_2exp(r.pointer, lhs.storage.pointer, UInt(count))
        return BigInt(storage: r)
    }

    /// `self` shifted right by `count` bits, rounding toward negative infinity (as `Int`).
    public static func >> (lhs: BigInt, count: Int) -> BigInt {
        precondition(count >= 0, "shift count must be non-negative")
        let r = result(from: lhs)
        __gmpz_fdiv_q_2exp(r.pointer, lhs.storage.pointer, UInt(count))
        return BigInt(storage: r)
    }

    /// `self` modulo 2^count, non-negative.
    public func lowBits(_ count: Int) -> BigInt {
        precondition(count >= 0)
        let r = Self.result(from: self)
        __gmpz_fdiv_r_2exp(r.pointer, storage.pointer, UInt(count))
        return BigInt(storage: r)
    }

    /// `self` raised to a small non-negative power.
    public func power(_ exponent: Int) -> BigInt {
        precondition(exponent >= 0, "exponent must be non-negative")
        let r = Self.result(from: self)
        __gmpz_pow_ui(r.pointer, storage.pointer, UInt(exponent))
        return BigInt(storage: r)
    }

    /// Whether `self` is divisible by `divisor`.
    public func isMultiple(of divisor: BigInt) -> Bool {
        __gmpz_divisible_p(storage.pointer, divisor.storage.pointer) != 0
    }
}

// MARK: - Modular arithmetic and number theory

extension BigInt {
    /// `self^exponent mod modulus` for a **public** exponent (variable time).
    ///
    /// - Precondition: `exponent >= 0`, `modulus > 0`.
    public func power(_ exponent: BigInt, modulus: BigInt) -> BigInt {
        precondition(exponent.signum() >= 0, "exponent must be non-negative; invert first")
        precondition(modulus.signum() > 0, "modulus must be positive")
        let r = Self.result(from: self, exponent, modulus)
        __gmpz_powm(r.pointer, storage.pointer, exponent.storage.pointer, modulus.storage.pointer)
        return BigInt(storage: r)
    }

    /// `self^exponent mod modulus` for a **secret** exponent, with GMP's
    /// side-channel-resistant `mpz_powm_sec`: its time and memory access pattern do not
    /// depend on the exponent's bits, which defends against timing and cache attacks
    /// that recover keys or shares from exponentiations.
    ///
    /// - Precondition: `exponent > 0`, `modulus` odd and positive.
    public func powerSecret(_ exponent: BigInt, modulus: BigInt) -> BigInt {
        precondition(exponent.signum() > 0, "secret exponent must be positive")
        precondition(modulus.signum() > 0 && modulus.isOdd, "modulus must be odd and positive")
        let r = Self.result(from: self, exponent, modulus)
        __gmpz_powm_sec(r.pointer, storage.pointer, exponent.storage.pointer, modulus.storage.pointer)
        return BigInt(storage: r)
    }

    /// `self · other mod modulus`, non-negative, computed in one result buffer.
    public func multiplied(by other: BigInt, modulo modulus: BigInt) -> BigInt {
        precondition(modulus.signum() > 0, "modulus must be positive")
        let r = Self.result(from: self, other, modulus)
        __gmpz_mul(r.pointer, storage.pointer, other.storage.pointer)
        __gmpz_mod(r.pointer, r.pointer, modulus.storage.pointer)
        return BigInt(storage: r)
    }

    /// The inverse of `self` modulo `modulus` in `0..<modulus`, or nil if
    /// `gcd(self, modulus) != 1` or `modulus == 1` (where every residue is 0).
    public func inverse(modulo modulus: BigInt) -> BigInt? {
        precondition(modulus.signum() > 0, "modulus must be positive")
        if modulus == 1 { return nil }
        let r = Self.result(from: self, modulus)
        guard __gmpz_invert(r.pointer, storage.pointer, modulus.storage.pointer) != 0 else { return nil }
        return BigInt(storage: r)
    }

    /// The Jacobi symbol (a/n) ∈ {−1, 0, 1} for odd positive n.
    public static func jacobi(_ a: BigInt, _ n: BigInt) -> Int {
        precondition(n.signum() > 0 && n.isOdd, "the Jacobi symbol needs an odd positive n")
        return Int(__gmpz_jacobi(a.storage.pointer, n.storage.pointer))
    }

    /// Greatest common divisor (non-negative).
    public static func gcd(_ a: BigInt, _ b: BigInt) -> BigInt {
        let r = result(from: a, b)
        __gmpz_gcd(r.pointer, a.storage.pointer, b.storage.pointer)
        return BigInt(storage: r)
    }

    /// Least common multiple (non-negative).
    public static func lcm(_ a: BigInt, _ b: BigInt) -> BigInt {
        let r = result(from: a, b)
        __gmpz_lcm(r.pointer, a.storage.pointer, b.storage.pointer)
        return BigInt(storage: r)
    }

    /// Whether `self` is (probably) prime: GMP's Baillie–PSW test (no composite is known
    /// to pass it) followed by `rounds` Miller–Rabin rounds with bases drawn from the
    /// system CSPRNG, so that even a composite chosen by an adversary to fool fixed
    /// bases passes with probability at most 4^−rounds. Values below 2 are not prime.
    /// Used to validate primes received from elsewhere (imported keys).
    public func isProbablePrime(rounds: Int = 32) -> Bool {
        guard self > 1 else { return false }
        // reps ≤ 24: GMP runs BPSW only (its own extra rounds use predictable bases).
        guard __gmpz_probab_prime_p(storage.pointer, 24) > 0 else { return false }
        if self < 4 { return true }
        let minusOne = self - BigInt(1)
        var d = minusOne
        var s = 0
        while d.isEven {
            d = d >> 1
            s += 1
        }
        for _ in 0..<rounds {
            // a uniform in [2, self − 2]
            let a = BigInt.random(below: self - BigInt(3)) + BigInt(2)
            var x = a.power(d, modulus: self)
            if x == 1 || x == minusOne { continue }
            var witness = true
            for _ in 1..<max(s, 1) {
                x = x.multiplied(by: x, modulo: self)
                if x == minusOne {
                    witness = false
                    break
                }
            }
            if witness { return false }
        }
        return true
    }

    /// The largest integer whose square is at most `self` (floor of the square root).
    ///
    /// - Precondition: `self >= 0`.
    public func squareRoot() -> BigInt {
        precondition(signum() >= 0, "square root of a negative integer")
        let r = Self.result(from: self)
        __gmpz_sqrt(r.pointer, storage.pointer)
        return BigInt(storage: r)
    }

    /// `(root, remainder)` with `root = floor(sqrt(self))` and
    /// `remainder = self - root²`; `self` is a perfect square iff the remainder is zero.
    public func squareRootAndRemainder() -> (root: BigInt, remainder: BigInt) {
        precondition(signum() >= 0, "square root of a negative integer")
        let root = Self.result(from: self)
        let remainder = Self.result(from: self)
        __gmpz_sqrtrem(root.pointer, remainder.pointer, storage.pointer)
        return (BigInt(storage: root), BigInt(storage: remainder))
    }
}

// MARK: - Randomness

extension BigInt {
    /// A uniformly random integer in `0..<bound`, by rejection sampling. Random values
    /// are marked secret (they are usually keys, masks or encryption randomness);
    /// `declassified()` when one is not.
    ///
    /// With the default generator the bits come from the operating system's CSPRNG
    /// (`getrandom`); tests may pass a seeded generator for reproducibility.
    public static func random(
        below bound: BigInt,
        using generator: inout some RandomNumberGenerator
    ) -> BigInt {
        precondition(bound.signum() > 0, "bound must be positive")
        let bits = bound.bitLength
        while true {
            let candidate = random(bits: bits, using: &generator)
            if candidate < bound { return candidate }
        }
    }

    /// A uniformly random integer in `0..<bound` from the system CSPRNG.
    public static func random(below bound: BigInt) -> BigInt {
        var generator = SystemRandomNumberGenerator()
        return random(below: bound, using: &generator)
    }

    /// A uniformly random integer in `0..<2^bits`.
    public static func random(bits: Int, using generator: inout some RandomNumberGenerator) -> BigInt {
        precondition(bits >= 0)
        let byteCount = (bits + 7) / 8
        var bytes = [UInt8](repeating: 0, count: byteCount)
        var index = 0
        while index < byteCount {
            var word = generator.next()
            for _ in 0..<8 where index < byteCount {
                bytes[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        let excess = byteCount * 8 - bits
        if excess > 0 { bytes[0] &= UInt8(0xFF) >> excess }
        let value = BigInt(bigEndianBytes: bytes).asSecret()
        for i in bytes.indices { bytes[i] = 0 }
        return value
    }

    /// A uniformly random integer in `0..<2^bits` from the system CSPRNG.
    public static func random(bits: Int) -> BigInt {
        var generator = SystemRandomNumberGenerator()
        return random(bits: bits, using: &generator)
    }
}
