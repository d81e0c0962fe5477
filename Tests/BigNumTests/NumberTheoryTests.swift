import BigNum
import TestSupport
import Testing

@Suite("Modular arithmetic and number theory")
struct NumberTheoryTests {
    /// Against square-and-multiply on `UInt128` for moduli below 2^63 and bases of
    /// either sign.
    @Test func modularPowerAgainstUInt128() {
        var g = SplitMix64(seed: 0x90)
        for _ in 0..<600 {
            let m = Int128(g.uint128(bits: Int.random(in: 1...63, using: &g)) + 1)
            let a = g.int128(maxBits: 100)
            let e = g.uint128(bits: Int.random(in: 0...100, using: &g))
            let expected = BigInt(modPow(UInt128(residue(a, m)), e, UInt128(m)))
            let result = BigInt(a).power(BigInt(e), modulus: BigInt(m))
            #expect(result == expected, "\(a)^\(e) mod \(m)")
            if m & 1 == 1 && e > 0 {
                #expect(BigInt(a).powerSecret(BigInt(e), modulus: BigInt(m)) == expected, "\(a)^\(e) mod \(m) (secret)")
            }
        }
    }

    @Test func modularPowerEdgeCases() {
        let seven = BigInt(7)
        #expect(BigInt(0).power(BigInt(0), modulus: seven) == BigInt(1))  // 0^0 = 1, as Python pow(0, 0, 7)
        #expect(BigInt(5).power(BigInt(0), modulus: seven) == BigInt(1))
        #expect(BigInt(5).power(BigInt(0), modulus: BigInt(1)) == BigInt(0))  // everything is 0 mod 1
        #expect(BigInt(5).power(BigInt(3), modulus: BigInt(1)) == BigInt(0))
        #expect(BigInt(0).power(BigInt(5), modulus: seven) == BigInt(0))
        #expect(BigInt(-2).power(BigInt(3), modulus: seven) == BigInt(6))  // -8 mod 7
        #expect(BigInt(-2).powerSecret(BigInt(3), modulus: seven) == BigInt(6))
        #expect(BigInt(-2).powerSecret(BigInt(2), modulus: seven) == BigInt(4))
        #expect(BigInt(100).power(BigInt(1), modulus: seven) == BigInt(2))  // base >= modulus
        #expect(BigInt(100).powerSecret(BigInt(1), modulus: seven) == BigInt(2))
        #expect(BigInt(0).powerSecret(BigInt(9), modulus: seven) == BigInt(0))
        #expect(BigInt(14).powerSecret(BigInt(9), modulus: seven) == BigInt(0))
        #expect(BigInt(3).powerSecret(BigInt(5), modulus: BigInt(1)) == BigInt(0))
    }

    @Test func modularPowerKnownAnswers() throws {
        // Python: pow(3, 2**200 + 5, 2**255 - 19)
        let p25519 = (BigInt(1) << 255) - BigInt(19)
        let e = (BigInt(1) << 200) + BigInt(5)
        let expected = try big("8781999993864196732157866104070749502142287182962255989585400224752070395707")
        #expect(BigInt(3).power(e, modulus: p25519) == expected)
        #expect(BigInt(3).powerSecret(e, modulus: p25519) == expected)
        // Python: pow(-5, 10**30 + 7, 2**200 + 235)
        let m = (BigInt(1) << 200) + BigInt(235)
        let e2 = BigInt(10).power(30) + BigInt(7)
        let expected2 = try big("1358978889786988256215232196532250932225223357381232090827347")
        #expect(BigInt(-5).power(e2, modulus: m) == expected2)
        #expect(BigInt(-5).powerSecret(e2, modulus: m) == expected2)
        // Fermat: a^(p-1) = 1 mod p for the Mersenne prime 2^521 - 1.
        let m521 = (BigInt(1) << 521) - BigInt(1)
        #expect(BigInt(3).power(m521 - BigInt(1), modulus: m521) == BigInt(1))
        #expect(BigInt(3).powerSecret(m521 - BigInt(1), modulus: m521) == BigInt(1))
    }

    @Test func powerAndPowerSecretAgreeOnLargeOperands() {
        var g = SplitMix64(seed: 0x91)
        for bits in [65, 128, 257, 1024] {
            for _ in 0..<6 {
                let m = g.oddModulus(bits: bits)
                let base = BigInt.random(below: m * BigInt(3), using: &g) - m  // some negative, some >= m
                let exponent = BigInt.random(bits: bits + 10, using: &g) + BigInt(1)
                let viaPublic = base.power(exponent, modulus: m)
                #expect(base.powerSecret(exponent, modulus: m) == viaPublic)
                // Exponent laws: b^(e+1) = b^e · b.
                #expect(base.power(exponent + BigInt(1), modulus: m) == viaPublic.multiplied(by: base, modulo: m))
                // Repeated multiplication for a short exponent.
                var product = BigInt(1)
                for _ in 0..<13 { product = product.multiplied(by: base, modulo: m) }
                #expect(base.power(BigInt(13), modulus: m) == product)
                #expect(base.powerSecret(BigInt(13), modulus: m) == product)
            }
        }
    }

    @Test func modularMultiplication() {
        var g = SplitMix64(seed: 0x92)
        for _ in 0..<600 {
            let a = g.int128(maxBits: 62)
            let b = g.int128(maxBits: 62)
            let m = Int128(g.uint128(bits: Int.random(in: 1...62, using: &g)) + 1)
            #expect(BigInt(a).multiplied(by: BigInt(b), modulo: BigInt(m)) == BigInt(residue(a * b, m)), "\(a)·\(b) mod \(m)")
        }
        #expect(BigInt(-3).multiplied(by: BigInt(5), modulo: BigInt(7)) == BigInt(6))
    }

    @Test func modularInverse() throws {
        var g = SplitMix64(seed: 0x93)
        var invertible = 0
        var notInvertible = 0
        for _ in 0..<800 {
            let m = Int128(g.uint128(bits: Int.random(in: 2...62, using: &g)) + 2)
            let a = g.int128(maxBits: 70)
            let inverse = BigInt(a).inverse(modulo: BigInt(m))
            if euclid(UInt128(residue(a, m)), UInt128(m)) == 1 {
                invertible += 1
                let x = try #require(inverse, "\(a) mod \(m) should be invertible")
                let xi = try #require(Int128(exactly: x))
                #expect(xi >= 0 && xi < m)
                #expect(residue(residue(a, m) * xi, m) == 1, "\(a)·\(xi) mod \(m)")
            } else {
                notInvertible += 1
                #expect(inverse == nil, "\(a) mod \(m) has no inverse")
            }
        }
        #expect(invertible > 100 && notInvertible > 100)
        #expect(BigInt(3).inverse(modulo: BigInt(7)) == BigInt(5))
        #expect(BigInt(-3).inverse(modulo: BigInt(7)) == BigInt(2))
        #expect(BigInt(10).inverse(modulo: BigInt(7)) == BigInt(5))
        #expect(BigInt(0).inverse(modulo: BigInt(7)) == nil)
        #expect(BigInt(14).inverse(modulo: BigInt(7)) == nil)
        #expect(BigInt(6).inverse(modulo: BigInt(9)) == nil)
        // A large modulus: 2^255 - 19 is prime, so 2 is invertible and 2·inv = 1.
        let p = (BigInt(1) << 255) - BigInt(19)
        let half = try #require(BigInt(2).inverse(modulo: p))
        #expect(half == (p + BigInt(1)) / BigInt(2))
        #expect(half.multiplied(by: BigInt(2), modulo: p) == BigInt(1))
    }

    @Test func gcdAndLcm() {
        var g = SplitMix64(seed: 0x94)
        for _ in 0..<800 {
            // Shared factors are made common so that the gcd is often larger than 1.
            let common = g.int128(bits: Int.random(in: 1...20, using: &g)) | 1
            let a = g.int128(maxBits: 40) * common
            let b = g.int128(maxBits: 40) * common
            let expectedGcd = euclid(a.magnitude, b.magnitude)
            #expect(BigInt.gcd(BigInt(a), BigInt(b)) == BigInt(expectedGcd), "gcd(\(a), \(b))")
            let expectedLcm = expectedGcd == 0 ? 0 : a.magnitude / expectedGcd * b.magnitude
            #expect(BigInt.lcm(BigInt(a), BigInt(b)) == BigInt(expectedLcm), "lcm(\(a), \(b))")
        }
        #expect(BigInt.gcd(BigInt(0), BigInt(0)) == BigInt(0))
        #expect(BigInt.gcd(BigInt(0), BigInt(-5)) == BigInt(5))
        #expect(BigInt.gcd(BigInt(-12), BigInt(-18)) == BigInt(6))
        #expect(BigInt.lcm(BigInt(0), BigInt(5)) == BigInt(0))
        #expect(BigInt.lcm(BigInt(-4), BigInt(6)) == BigInt(12))
        #expect(BigInt.gcd(BigInt(1) << 300, BigInt(3) << 200) == BigInt(1) << 200)
        #expect(BigInt.lcm(BigInt(1) << 300, BigInt(3) << 200) == BigInt(3) << 300)
    }

    @Test(arguments: [
        "2", "3", "5", "7", "65537", "2147483647",  // 2^31 - 1
        "2305843009213693951",  // 2^61 - 1
        "618970019642690137449562111",  // 2^89 - 1
        "170141183460469231731687303715884105727",  // 2^127 - 1
        "57896044618658097711785492504343953926634992332820282019728792003956564819949",  // 2^255 - 19
    ])
    func knownPrimes(text: String) throws {
        #expect(try big(text).isProbablePrime())
        #expect(try big(text).isProbablePrime(rounds: 1))
    }

    @Test func largeMersennePrime() {
        #expect(((BigInt(1) << 521) - BigInt(1)).isProbablePrime())
        #expect(((BigInt(1) << 607) - BigInt(1)).isProbablePrime())
    }

    /// Composites, many built to fool weaker tests. Each was checked in Python: the
    /// factors multiply to the number; the Carmichael numbers satisfy Korselt's criterion;
    /// the strong pseudoprimes pass the Miller–Rabin test for the listed bases.
    @Test(arguments: [
        "0", "1", "4", "9", "15", "91", "65535",
        "561",  // Carmichael: 3·11·17
        "1105",  // Carmichael: 5·13·17
        "41041",  // Carmichael: 7·11·13·41
        "825265",  // Carmichael: 5·7·17·19·73
        "2047",  // strong pseudoprime to base 2: 23·89
        "3215031751",  // strong pseudoprime to bases 2, 3, 5, 7: 151·751·28351
        "3825123056546413051",  // strong pseudoprime to bases 2..31 (first 11 primes): 149491·747451·34233211
        "318665857834031151167461",  // strong pseudoprime to bases 2..37: 399165290221·798330580441
        "3317044064679887385961981",  // strong pseudoprime to bases 2..41: 1287836182261·2575672364521
        "18446744073709551617",  // 2^64 + 1 = 274177·67280421310721
        "4294967297",  // Fermat F5 = 641·6700417
    ])
    func knownComposites(text: String) throws {
        #expect(try !big(text).isProbablePrime())
    }

    @Test func largeComposites() {
        let m89 = (BigInt(1) << 89) - BigInt(1)
        let m127 = (BigInt(1) << 127) - BigInt(1)
        #expect(!(m89 * m127).isProbablePrime())
        #expect(!(m127 * m127).isProbablePrime())
        // 2^523 - 1: 523 is prime but M523 is not a Mersenne prime (Python: pow(3, M-1, M) != 1).
        #expect(!((BigInt(1) << 523) - BigInt(1)).isProbablePrime())
        #expect(!(BigInt(1) << 600).isProbablePrime())
    }

    @Test func squareRootsOfPerfectSquaresAndNeighbours() {
        var g = SplitMix64(seed: 0x95)
        for _ in 0..<600 {
            let r = UInt128(g.next() >> UInt64.random(in: 0...63, using: &g))
            let square = r * r
            let exact = BigInt(square).squareRootAndRemainder()
            #expect(exact.root == BigInt(r) && exact.remainder.isZero, "√\(square)")
            #expect(BigInt(square).squareRoot() == BigInt(r))
            if r > 0 {
                let below = BigInt(square - 1).squareRootAndRemainder()
                #expect(below.root == BigInt(r - 1) && below.remainder == BigInt(2 * r - 2), "√(\(square) - 1)")
                #expect(BigInt(square - 1).squareRoot() == BigInt(r - 1))
            }
            if r > 0 {
                let above = BigInt(square + 1).squareRootAndRemainder()
                #expect(above.root == BigInt(r) && above.remainder == BigInt(1), "√(\(square) + 1)")
            }
        }
        let small: [(Int, Int, Int)] = [(0, 0, 0), (1, 1, 0), (2, 1, 1), (3, 1, 2), (4, 2, 0), (8, 2, 4), (99, 9, 18)]
        for (n, root, remainder) in small {
            let result = BigInt(n).squareRootAndRemainder()
            #expect(result.root == BigInt(root) && result.remainder == BigInt(remainder), "√\(n)")
        }
    }

    @Test func squareRootsOfLargeValues() throws {
        // Python: math.isqrt(10**101) and 10**101 - isqrt(10**101)**2.
        let x = BigInt(10).power(101)
        let result = x.squareRootAndRemainder()
        #expect(result.root == (try big("316227766016837933199889354443271853371955513932521")))
        #expect(result.remainder == (try big("431768379534976586326509909294392368176253858584559")))
        #expect(x.squareRoot() == result.root)
        // (2^300 + 12345)^2 (Python) and its neighbours.
        let y = (BigInt(1) << 300) + BigInt(12345)
        let ySquared = try big(
            "4149515568880992958512407863691161151012446232242436899995657329690652811412908146399757343365359492749667854535347616729191511830051387273915081141808523361352338586677177757297841"
        )
        #expect(y * y == ySquared)
        #expect(ySquared.squareRootAndRemainder().root == y)
        #expect(ySquared.squareRootAndRemainder().remainder.isZero)
        #expect((ySquared - BigInt(1)).squareRoot() == y - BigInt(1))
        #expect((ySquared + y + y).squareRootAndRemainder().remainder == y + y)
    }
}

@Test func valuesBelowTwoAreNotPrime() {
    for value in [-7, -2, -1, 0, 1] {
        #expect(!BigInt(value).isProbablePrime(), "\(value)")
    }
    #expect(BigInt(2).isProbablePrime())
}

@Test func inverseModuloOneIsNil() {
    #expect(BigInt(5).inverse(modulo: 1) == nil)
}
