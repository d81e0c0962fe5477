import BigNum
import Foundation

/// Fast Paillier encryption: c = (1 + m·n)·hs^r·g₋^b mod n² with a precomputed
/// fixed-base table for hs, a full-length random exponent r and a random bit b
/// (`Protocols/paillier.md` §3).
///
/// At creation the encryptor draws x uniformly from Z*_n, sets h = −x² mod n (with
/// overwhelming probability a generator of J_n, the units of Jacobi symbol +1),
/// hs = h^n mod n², and g₋ = y^n mod n² for a random y of Jacobi symbol −1, and
/// tabulates powers of hs. Each encryption draws r uniformly from [0, 2^(|n| + 128))
/// and b uniformly from {0, 1}: h^r·y^b is then within statistical distance 2^−129 of
/// uniform in Z*_n, so the factor hs^r·g₋^b is distributed like the r^n of textbook
/// encryption and semantic security rests on the decisional composite residuosity
/// assumption alone, not on a short-exponent assumption. (Without b every ciphertext
/// would have Jacobi symbol +1 modulo n: distinguishable from textbook ones, and a
/// re-randomised ciphertext would keep its source's symbol.)
///
/// With `poolCapacity > 0`, a background thread keeps a pool of precomputed factors
/// filled; encrypting then costs one constant-time product while the pool is warm.
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
    /// g₋ = y^n mod n² with Jacobi(y, n) = −1.
    private let minusCoset: BigInt
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
        var y = publicKey.randomUnit()
        while BigInt.jacobi(y, publicKey.n) != -1 { y = publicKey.randomUnit() }
        let minusCoset = y.power(publicKey.n, modulus: publicKey.nSquared).declassified()
        let powers = FixedBasePowers(
            base: hs,
            modulus: MontgomeryModulus(publicKey.nSquared),
            exponentBits: exponentBits,
            windowBits: windowBits ?? Self.defaultWindowBits(modulusBits: publicKey.bits))
        self.powers = powers
        self.minusCoset = minusCoset
        let key = publicKey
        let bits = exponentBits
        pool =
            poolCapacity > 0
            ? RandomnessPool(capacity: poolCapacity) {
                RandomFactor(powers: powers, minusCoset: minusCoset, key: key, exponentBits: bits)
            }
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
        pool?.take() ?? RandomFactor(powers: powers, minusCoset: minusCoset, key: publicKey, exponentBits: exponentBits)
    }

    /// hs^r for a given exponent; for tests comparing against a direct exponentiation.
    package func factor(exponent: BigInt) -> BigInt {
        powers.power(exponent)
    }

    /// Encrypts the residue `m` in `0..<n`.
    public func encrypt(residue m: BigInt) throws(PaillierError) -> Ciphertext {
        try publicKey.checkResidue(m)
        let factor = nextFactor()
        return Ciphertext(trusted: publicKey.combine(residue: m, with: factor.z, montgomery: factor.zMontgomery), publicKey: publicKey)
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

/// One precomputed encryption factor z = hs^r·g₋^b mod n² and the Montgomery form of
/// z mod n (both secret).
struct RandomFactor: Sendable {
    let z: BigInt
    let zMontgomery: BigInt

    init(powers: FixedBasePowers, minusCoset: BigInt, key: PublicKey, exponentBits: Int) {
        var factor = powers.power(BigInt.random(bits: exponentBits))
        // b is the Jacobi symbol of the ciphertext modulo n, which anyone can compute
        // from the ciphertext: branching on it reveals nothing new.
        if Bool.random() {
            factor = factor.multiplied(by: minusCoset, modulo: key.nSquared)
        }
        z = factor
        zMontgomery = key.montgomeryFactor(factor)
    }
}

/// A pool of encryption factors refilled by one background thread.
///
/// The thread sleeps while the pool holds at least half its capacity (and no caller of
/// `wait(atLeast:)` wants more), then fills it up. `take()` never waits for the thread.
final class RandomnessPool: @unchecked Sendable {
    // @unchecked Sendable: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var factors: [RandomFactor] = []
    private var stopped = false
    /// The largest count a caller of `wait(atLeast:)` is waiting for (0 if none).
    private var demand = 0
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
        let target = min(wanted, capacity)
        demand = max(demand, target)
        condition.broadcast()
        while factors.count < target && !stopped { condition.wait() }
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func refill() {
        condition.lock()
        defer { condition.unlock() }
        while true {
            while !stopped && factors.count >= lowWater && factors.count >= demand { condition.wait() }
            // Fill to capacity, computing outside the lock. Only this thread adds, so a
            // factor computed while the pool had room always fits.
            while !stopped && factors.count < capacity {
                condition.unlock()
                let factor = make()
                condition.lock()
                if stopped { break }
                factors.append(factor)
                condition.broadcast()
            }
            if stopped {
                factors.removeAll()
                return
            }
            if factors.count >= demand { demand = 0 }
        }
    }
}
