import BigNum
import Foundation

/// Fast Paillier encryption: c = (1 + m·n)·hs^r mod n² with a precomputed fixed-base
/// table for hs and a full-length random exponent r (`Protocols/paillier.md` §3).
///
/// At creation the encryptor draws x uniformly from Z*_n, sets h = −x² mod n (with
/// overwhelming probability a generator of J_n, the units of Jacobi symbol +1) and
/// hs = h^n mod n², and tabulates powers of hs. Each encryption draws r uniformly from
/// [0, 2^(|n| + 128)): since hs has order at most λ(n)/2 < 2^(|n| − 1), hs^r is
/// within statistical distance 2^−129 of uniform in ⟨hs⟩, so semantic security rests
/// on the decisional composite residuosity assumption alone, not on a short-exponent
/// assumption.
///
/// With `poolCapacity > 0`, a background thread keeps a pool of precomputed hs^r
/// factors filled; encrypting then costs one small product while the pool is warm.
/// An empty pool never blocks: the caller computes its own factor.
public final class Encryptor: Sendable {
    /// The key ciphertexts are made under.
    public let publicKey: PublicKey
    /// Length of the random exponent: |n| + 128 bits.
    public let exponentBits: Int
    /// Width of the fixed-base table's windows.
    public var windowBits: Int { powers.windowBits }
    /// Size of the fixed-base table in bytes.
    public var tableBytes: Int { powers.tableBytes }

    private let powers: FixedBasePowers
    private let pool: RandomnessPool?

    /// Extra exponent bits beyond |n| that make hs^r statistically close to uniform.
    public static let statisticalSecurityBits = 128

    /// The default window width: 10 bits for 2048-bit keys (109 MiB of table), 9 above
    /// (134 MiB for 3072 bits), smaller for test keys.
    public static func defaultWindowBits(modulusBits: Int) -> Int {
        switch modulusBits {
        case ..<1024: 6
        case ..<2048: 8
        case 2048: 10
        default: 9
        }
    }

    /// Builds the fixed-base table (about `⌈(|n|+128)/w⌉ · 2^w` multiplications modulo
    /// n²; roughly a second for a 2048-bit key with the default window) and, if
    /// `poolCapacity > 0`, starts the background pool.
    public init(publicKey: PublicKey, windowBits: Int? = nil, poolCapacity: Int = 0) {
        precondition(poolCapacity >= 0)
        self.publicKey = publicKey
        exponentBits = publicKey.bits + Self.statisticalSecurityBits
        let x = publicKey.randomUnit()
        let h = publicKey.n - x.multiplied(by: x, modulo: publicKey.n)
        let hs = h.power(publicKey.n, modulus: publicKey.nSquared)
        let powers = FixedBasePowers(
            base: hs,
            modulus: MontgomeryModulus(publicKey.nSquared),
            exponentBits: exponentBits,
            windowBits: windowBits ?? Self.defaultWindowBits(modulusBits: publicKey.bits))
        self.powers = powers
        let key = publicKey
        let bits = exponentBits
        pool =
            poolCapacity > 0
            ? RandomnessPool(capacity: poolCapacity) { RandomFactor(powers: powers, key: key, exponentBits: bits) }
            : nil
    }

    deinit {
        pool?.stop()
    }

    /// Number of precomputed factors ready in the pool (0 without a pool).
    public var pooledFactors: Int { pool?.count ?? 0 }

    /// Waits until the pool holds at least `count` factors (for benchmarks and tests
    /// that measure the warm path). Returns immediately without a pool.
    public func waitForPool(atLeast count: Int) {
        pool?.wait(atLeast: count)
    }

    /// A fresh factor hs^r, from the pool when one is ready.
    func nextFactor() -> RandomFactor {
        pool?.take() ?? RandomFactor(powers: powers, key: publicKey, exponentBits: exponentBits)
    }

    /// hs^r for a given exponent; for tests comparing against a direct exponentiation.
    package func factor(exponent: BigInt) -> BigInt {
        powers.power(exponent)
    }

    /// Encrypts the residue `m` in `0..<n`.
    public func encrypt(residue m: BigInt) throws(PaillierError) -> Ciphertext {
        try publicKey.checkResidue(m)
        let factor = nextFactor()
        return Ciphertext(trusted: publicKey.combine(residue: m, with: factor.z, reduced: factor.zModN), publicKey: publicKey)
    }

    /// Encrypts a signed value (`SignedEncoding`); throws `overflow` if it does not fit.
    public func encrypt(_ value: BigInt) throws(PaillierError) -> Ciphertext {
        try encrypt(residue: SignedEncoding.encode(value, publicKey: publicKey))
    }

    /// Encrypts a signed machine integer.
    public func encrypt(_ value: Int) throws(PaillierError) -> Ciphertext {
        try encrypt(BigInt(value))
    }

    /// The same plaintext under fresh randomness: c·hs^r mod n². Unlinkable to `c` for
    /// anyone without the private key.
    public func rerandomize(_ ciphertext: Ciphertext) -> Ciphertext {
        precondition(ciphertext.publicKey == publicKey, "ciphertext under a different key")
        let factor = nextFactor()
        return Ciphertext(
            trusted: ciphertext.value.multiplied(by: factor.z, modulo: publicKey.nSquared).declassified(),
            publicKey: publicKey)
    }
}

/// One precomputed encryption factor z = hs^r mod n² and z mod n (both secret).
struct RandomFactor: Sendable {
    let z: BigInt
    let zModN: BigInt

    init(powers: FixedBasePowers, key: PublicKey, exponentBits: Int) {
        z = powers.power(BigInt.random(bits: exponentBits))
        zModN = z.modulo(key.n)
    }
}

/// A pool of encryption factors refilled by one background thread.
///
/// The thread sleeps while the pool holds at least half its capacity, then fills it
/// up. `take()` never waits for the thread.
final class RandomnessPool: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var factors: [RandomFactor] = []
    private var stopped = false
    private let capacity: Int
    /// The thread refills when fewer than this many factors are left.
    private let lowWater: Int
    private let make: @Sendable () -> RandomFactor

    init(capacity: Int, make: @escaping @Sendable () -> RandomFactor) {
        self.capacity = capacity
        lowWater = (capacity + 1) / 2
        self.make = make
        factors.reserveCapacity(capacity)
        let thread = Thread { [self] in refill() }
        thread.name = "paillier-randomness"
        thread.qualityOfService = .utility
        thread.start()
    }

    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return factors.count
    }

    func take() -> RandomFactor? {
        condition.lock()
        defer { condition.unlock() }
        let factor = factors.popLast()
        if factors.count < lowWater { condition.broadcast() }
        return factor
    }

    func wait(atLeast wanted: Int) {
        condition.lock()
        defer { condition.unlock() }
        while factors.count < min(wanted, capacity) && !stopped { condition.wait() }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func refill() {
        while true {
            condition.lock()
            while !stopped && factors.count >= lowWater { condition.wait() }
            if stopped {
                factors.removeAll()
                condition.unlock()
                return
            }
            condition.unlock()
            // Fill to capacity, computing outside the lock.
            while true {
                let factor = make()
                condition.lock()
                if stopped || factors.count >= capacity {
                    condition.unlock()
                    break
                }
                factors.append(factor)
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
