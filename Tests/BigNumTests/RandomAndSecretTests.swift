import BigNum
import TestSupport
import Testing

@Suite("Random integers")
struct RandomTests {
    static var bounds: [BigInt] {
        var result = [BigInt(1), BigInt(2), BigInt(3), BigInt(5), BigInt(10)]
        for k in [7, 8, 63, 64, 65, 127, 128, 129, 200] {
            let power = BigInt(1) << k
            result += [power - BigInt(1), power, power + BigInt(1)]
        }
        return result
    }

    @Test func randomBelowStaysInRange() {
        var g = SplitMix64(seed: 0xA11)
        for bound in Self.bounds {
            for _ in 0..<200 {
                let value = BigInt.random(below: bound, using: &g)
                #expect(value.signum() >= 0 && value < bound, "\(value.toString()) not below \(bound)")
                #expect(value.isSecret)
            }
        }
    }

    @Test func randomBelowOneIsZero() {
        var g = SplitMix64(seed: 0xA12)
        for _ in 0..<20 { #expect(BigInt.random(below: BigInt(1), using: &g).isZero) }
    }

    @Test(arguments: [2, 3, 7, 16, 17])
    func randomBelowHitsEveryValue(bound: Int) {
        var g = SplitMix64(seed: 0xA13 &+ UInt64(bound))
        var seen = Set<Int>()
        for _ in 0..<1000 {
            let value = BigInt.random(below: BigInt(bound), using: &g)
            seen.insert(Int(exactly: value) ?? -1)
        }
        #expect(seen == Set(0..<bound))
    }

    /// For a bound 2^k + 1 the only admissible value with k + 1 bits is 2^k itself; for a
    /// bound 2^k the top bit must be reachable (all 200 draws below 2^(k-1) would have
    /// probability 2^-200; the generator is seeded, so this is deterministic).
    @Test func randomBelowReachesTheTopBit() {
        var g = SplitMix64(seed: 0xA14)
        for k in [8, 64, 65, 130] {
            let bound = BigInt(1) << k
            let largest = (0..<200).map { _ in BigInt.random(below: bound, using: &g) }.max()!
            #expect(largest.bitLength == k)
        }
        // Bound 2^1 + 1 = 3: the value 2 (two bits) does occur.
        let draws = (0..<100).map { _ in BigInt.random(below: BigInt(3), using: &g) }
        #expect(draws.contains(BigInt(2)))
    }

    @Test(arguments: [0, 1, 7, 8, 9, 63, 64, 65, 130, 521])
    func randomBitsStaysBelowPowerOfTwo(bits: Int) {
        var g = SplitMix64(seed: 0xA15 &+ UInt64(bits))
        let limit = BigInt(1) << bits
        var widest = 0
        for _ in 0..<200 {
            let value = BigInt.random(bits: bits, using: &g)
            #expect(value.signum() >= 0 && value < limit)
            #expect(value.isSecret)
            widest = max(widest, value.bitLength)
        }
        #expect(widest == bits)
    }

    @Test func seededDrawsAreReproducible() {
        var a = SplitMix64(seed: 42)
        var b = SplitMix64(seed: 42)
        var c = SplitMix64(seed: 43)
        let bound = (BigInt(1) << 300) + BigInt(12345)
        let first = (0..<20).map { _ in BigInt.random(below: bound, using: &a) }
        let second = (0..<20).map { _ in BigInt.random(below: bound, using: &b) }
        let third = (0..<20).map { _ in BigInt.random(below: bound, using: &c) }
        #expect(first == second)
        #expect(first != third)
        #expect(Set(first).count == 20)
    }

    @Test func systemGeneratorStaysInRange() {
        let bound = (BigInt(1) << 100) + BigInt(1)
        for _ in 0..<50 {
            let value = BigInt.random(below: bound)
            #expect(value.signum() >= 0 && value < bound && value.isSecret)
            let bits = BigInt.random(bits: 77)
            #expect(bits.signum() >= 0 && bits.bitLength <= 77 && bits.isSecret)
        }
    }
}

@Suite("Secret values")
struct SecretTests {
    let secret = BigInt(secret: BigInt(1234567))
    let modulus = BigInt(1_000_003)  // prime
    let open = BigInt(89)

    @Test func marking() {
        #expect(!BigInt(5).isSecret)
        #expect(secret.isSecret)
        #expect(secret == BigInt(1234567))  // value unchanged
        #expect(BigInt(5).asSecret().isSecret)
        #expect(BigInt(5).asSecret() == BigInt(5))
        #expect(secret.asSecret().isSecret)
        let declassified = secret.declassified()
        #expect(!declassified.isSecret)
        #expect(declassified == secret)
        #expect(declassified.description == "1234567")
        // Declassifying a copy does not change the original.
        #expect(secret.isSecret)
        #expect(!open.declassified().isSecret)
    }

    @Test func secretPropagatesThroughArithmetic() throws {
        let results: [(String, BigInt)] = [
            ("s + p", secret + open), ("p + s", open + secret), ("s - p", secret - open), ("p - s", open - secret),
            ("s * p", secret * open), ("p * s", open * secret), ("s / p", secret / open), ("p / s", open / secret),
            ("s % p", secret % open), ("p % s", open % secret), ("-s", -secret), ("|s|", secret.magnitude),
            ("s << 3", secret << 3), ("s >> 3", secret >> 3), ("lowBits", secret.lowBits(5)),
            ("s^3", secret.power(3)), ("floor s/p", secret.floorDivided(by: open)),
            ("p floor/ s", open.floorDivided(by: secret)), ("s mod p", secret.modulo(open)), ("p mod s", open.modulo(secret)),
            ("qr quotient", secret.quotientAndRemainder(dividingBy: open).quotient),
            ("qr remainder", secret.quotientAndRemainder(dividingBy: open).remainder),
            ("p qr s", open.quotientAndRemainder(dividingBy: secret).remainder),
            ("s^p mod m", secret.power(open, modulus: modulus)), ("p^s mod m", open.power(secret, modulus: modulus)),
            ("p^p mod s", open.power(open, modulus: secret + BigInt(2))),
            ("secret pow", open.powerSecret(secret, modulus: modulus)), ("secret pow base", secret.powerSecret(open, modulus: modulus)),
            ("s·p mod m", secret.multiplied(by: open, modulo: modulus)), ("p·s mod m", open.multiplied(by: secret, modulo: modulus)),
            ("p·p mod s", open.multiplied(by: open, modulo: secret)),
            ("p^p mod s (Montgomery)", MontgomeryModulus(secret + BigInt(2)).powerSecret(open, open)),
            ("inverse", try #require(secret.inverse(modulo: modulus))),
            ("inverse mod s", try #require(open.inverse(modulo: secret))),
            ("gcd", BigInt.gcd(secret, open)), ("lcm", BigInt.lcm(open, secret)),
            ("sqrt", secret.squareRoot()), ("sqrtrem root", secret.squareRootAndRemainder().root),
            ("sqrtrem remainder", secret.squareRootAndRemainder().remainder),
        ]
        for (name, value) in results {
            #expect(value.isSecret, "\(name) lost the secret flag")
        }
    }

    @Test func publicArithmeticStaysPublic() throws {
        let other = BigInt(12345)
        let results: [BigInt] = [
            other + open, other - open, other * open, other / open, other % open, -other, other.magnitude,
            other << 3, other >> 3, other.power(3), other.modulo(open), other.power(open, modulus: modulus),
            other.powerSecret(open, modulus: modulus), other.multiplied(by: open, modulo: modulus),
            MontgomeryModulus(modulus).powerSecret(other, open),
            try #require(other.inverse(modulo: modulus)), BigInt.gcd(other, open), other.squareRoot(),
        ]
        for value in results { #expect(!value.isSecret) }
    }

    @Test func compoundAssignmentPropagatesSecretWithoutTaintingCopies() {
        let shared = BigInt(1000)
        var a = shared
        a += secret
        #expect(a.isSecret)
        #expect(a == BigInt(1000 + 1234567))
        #expect(!shared.isSecret)  // the original, which shared storage with `a`, is untouched
        #expect(shared == BigInt(1000))

        var b = shared
        b -= secret
        #expect(b.isSecret && !shared.isSecret)
        var c = shared
        c *= secret
        #expect(c.isSecret && !shared.isSecret)

        // A secret stays secret when public values are added to it, and its copies too.
        var d = secret
        d += open
        #expect(d.isSecret)
        #expect(secret == BigInt(1234567))
    }

    @Test func randomValuesAreSecretUntilDeclassified() {
        var g = SplitMix64(seed: 0x5EC)
        let r = BigInt.random(below: BigInt(1000), using: &g)
        #expect(r.isSecret)
        #expect((r + BigInt(1)).isSecret)
        #expect(!r.declassified().isSecret)
        #expect(!(r.declassified() + BigInt(1)).isSecret)
    }
}
