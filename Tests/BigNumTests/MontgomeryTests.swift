import BigNum
import TestSupport
import Testing

@Suite("Montgomery exponentiation (OpenSSL)")
struct MontgomeryTests {
    /// Against square-and-multiply on `UInt128` for odd moduli below 2^64.
    @Test func powerSecretAgainstUInt128() {
        var g = SplitMix64(seed: 0xC0)
        for _ in 0..<300 {
            let m = g.uint128(bits: Int.random(in: 2...64, using: &g)) | 1
            guard m > 1 else { continue }
            let base = g.uint128(bits: Int.random(in: 0...100, using: &g)) % m
            let exponent = g.uint128(bits: Int.random(in: 1...128, using: &g)) | 1
            let modulus = MontgomeryModulus(BigInt(m))
            #expect(modulus.powerSecret(BigInt(base), BigInt(exponent)) == BigInt(modPow(base, exponent, m)), "\(base)^\(exponent) mod \(m)")
        }
    }

    @Test(arguments: [2, 3, 63, 64, 65, 127, 128, 129, 255, 256, 512, 1024, 1100])
    func powerSecretMatchesBigIntPower(bits: Int) {
        var g = SplitMix64(seed: 0xC1 &+ UInt64(bits))
        for _ in 0..<6 {
            let m = g.oddModulus(bits: bits)
            let modulus = MontgomeryModulus(m)
            #expect(modulus.modulus == m)
            let exponent = BigInt.random(bits: Int.random(in: 1...(bits + 70), using: &g), using: &g) + BigInt(1)
            // Bases must be reduced (the caller reduces secrets in constant time).
            let base = BigInt.random(below: m, using: &g)
            #expect(modulus.powerSecret(base, exponent) == base.power(exponent, modulus: m))
            #expect(modulus.powerSecret(base, BigInt(1)) == base)
            // Base 0 and 1.
            #expect(modulus.powerSecret(BigInt(0), exponent).isZero)
            #expect(modulus.powerSecret(BigInt(1), exponent) == BigInt(1))
            // −1 ≡ m − 1 to an odd power is m − 1, to an even power 1.
            #expect(modulus.powerSecret(m - BigInt(1), BigInt(3)) == m - BigInt(1))
            #expect(modulus.powerSecret(m - BigInt(1), BigInt(4)) == BigInt(1))
        }
    }

    @Test func knownAnswers() throws {
        // Python: pow(-5, 10**30 + 7, 2**200 + 235)
        let m = MontgomeryModulus((BigInt(1) << 200) + BigInt(235))
        let e = BigInt(10).power(30) + BigInt(7)
        #expect(m.powerSecret(m.modulus - BigInt(5), e) == (try big("1358978889786988256215232196532250932225223357381232090827347")))
        // Fermat for the Mersenne prime 2^521 - 1 (nine limbs, the top one partial).
        let p = (BigInt(1) << 521) - BigInt(1)
        #expect(MontgomeryModulus(p).powerSecret(BigInt(3), p - BigInt(1)) == BigInt(1))
        // 3^2 mod 5 with the smallest moduli.
        #expect(MontgomeryModulus(BigInt(3)).powerSecret(BigInt(2), BigInt(5)) == BigInt(2))
        #expect(MontgomeryModulus(BigInt(5)).powerSecret(BigInt(3), BigInt(2)) == BigInt(4))
    }

    @Test func secretFlag() {
        let m = MontgomeryModulus(BigInt(1_000_003))
        let open = BigInt(12345)
        let secret = BigInt(secret: BigInt(678))
        #expect(!m.powerSecret(open, BigInt(77)).isSecret)
        #expect(m.powerSecret(open, secret).isSecret)
        #expect(m.powerSecret(secret, BigInt(77)).isSecret)
        #expect(m.powerSecret(open, secret) == open.power(BigInt(678), modulus: BigInt(1_000_003)))
        // A secret modulus (such as p² in Paillier's CRT decryption) taints the result too.
        let secretModulus = MontgomeryModulus(BigInt(secret: BigInt(1_000_003)))
        #expect(secretModulus.powerSecret(open, BigInt(77)).isSecret)
        #expect(secretModulus.powerSecret(open, BigInt(77)) == m.powerSecret(open, BigInt(77)))
    }

    /// One modulus (and one table) used from several tasks at once gives the same results
    /// as sequential use.
    @Test func concurrentUseAgrees() async {
        var g = SplitMix64(seed: 0xC2)
        let m = g.oddModulus(bits: 512)
        let modulus = MontgomeryModulus(m)
        let base = BigInt.random(below: m, using: &g).declassified()
        let table = FixedBasePowers(base: base, modulus: modulus, exponentBits: 128, windowBits: 4)
        let exponents = (0..<32).map { _ in BigInt.random(bits: 128, using: &g).declassified() + BigInt(1) }
        let expected = exponents.map { base.power($0, modulus: m) }
        let results = await withTaskGroup(of: (Int, BigInt, BigInt).self) { group in
            for (index, exponent) in exponents.enumerated() {
                group.addTask { (index, modulus.powerSecret(base, exponent), table.power(exponent)) }
            }
            var collected = [(BigInt, BigInt)](repeating: (BigInt(), BigInt()), count: exponents.count)
            for await (index, viaMontgomery, viaTable) in group { collected[index] = (viaMontgomery, viaTable) }
            return collected
        }
        for (index, (viaMontgomery, viaTable)) in results.enumerated() {
            #expect(viaMontgomery == expected[index])
            #expect(viaTable == expected[index])
        }
    }
}

@Suite("Fixed-base exponentiation tables")
struct FixedBasePowersTests {
    struct Shape: Sendable, CustomTestStringConvertible {
        var modulusBits: Int
        var exponentBits: Int
        var windowBits: Int
        var testDescription: String { "\(modulusBits)-bit modulus, \(exponentBits)-bit exponents, window \(windowBits)" }
    }

    @Test(arguments: [
        Shape(modulusBits: 64, exponentBits: 3, windowBits: 5),  // one window wider than the exponent
        Shape(modulusBits: 65, exponentBits: 1, windowBits: 1),
        Shape(modulusBits: 128, exponentBits: 64, windowBits: 1),
        Shape(modulusBits: 256, exponentBits: 67, windowBits: 1),
        Shape(modulusBits: 256, exponentBits: 130, windowBits: 3),  // windows straddle limb boundaries
        Shape(modulusBits: 521, exponentBits: 203, windowBits: 5),
        Shape(modulusBits: 1024, exponentBits: 129, windowBits: 4),
        Shape(modulusBits: 1024, exponentBits: 128, windowBits: 4),
        Shape(modulusBits: 1000, exponentBits: 97, windowBits: 6),
    ])
    func powersMatchBigIntPower(shape: Shape) throws {
        var g = SplitMix64(seed: UInt64(shape.modulusBits * 1000 + shape.exponentBits * 10 + shape.windowBits))
        let m = g.oddModulus(bits: shape.modulusBits)
        var base = BigInt.random(below: m, using: &g).declassified()
        while BigInt.gcd(base, m) != 1 { base += BigInt(1) }
        let table = FixedBasePowers(
            base: base, modulus: MontgomeryModulus(m), exponentBits: shape.exponentBits, windowBits: shape.windowBits)

        let L = shape.exponentBits
        let w = shape.windowBits
        let windows = (L + w - 1) / w
        let words = (shape.modulusBits + 63) / 64
        #expect(table.exponentBits == L)
        #expect(table.windowBits == w)
        #expect(table.windows == windows)
        #expect(table.tableBytes == windows * (1 << w) * words * 8)
        #expect(table.modulus.modulus == m)

        let allOnes = (BigInt(1) << L) - BigInt(1)
        var exponents = [BigInt(0), BigInt(1), allOnes, BigInt(1) << (L - 1), allOnes - BigInt(1)]
        if L >= 2 { exponents += [BigInt(2), (BigInt(1) << (L - 1)) + BigInt(1)] }
        for i in 0..<windows {
            // A single window set to its top digit, then to digit 1.
            exponents.append((((BigInt(1) << w) - BigInt(1)) << (i * w)).lowBits(L))
            exponents.append((BigInt(1) << (i * w)).lowBits(L))
        }
        for bit in [63, 64, 65, 127, 128] where bit < L {
            exponents.append(BigInt(1) << bit)
            exponents.append((BigInt(1) << bit) - BigInt(1))
        }
        for _ in 0..<15 { exponents.append(BigInt.random(bits: L, using: &g).declassified()) }

        for e in exponents {
            #expect(table.power(e) == base.power(e, modulus: m), "e = \(e)")
        }
        // Base not reduced: a table of base + m gives the same powers.
        let shifted = FixedBasePowers(base: base + m, modulus: MontgomeryModulus(m), exponentBits: L, windowBits: w)
        #expect(shifted.power(allOnes) == base.power(allOnes, modulus: m))
    }

    @Test func smallKnownAnswers() {
        // 3^e mod 1000003 against UInt128 square-and-multiply, every exponent below 2^10.
        let table = FixedBasePowers(base: BigInt(3), modulus: MontgomeryModulus(BigInt(1_000_003)), exponentBits: 10, windowBits: 3)
        #expect(table.windows == 4)
        #expect(table.tableBytes == 4 * 8 * 1 * 8)
        for e in 0..<1024 {
            #expect(table.power(BigInt(e)) == BigInt(modPow(3, UInt128(e), 1_000_003)), "3^\(e)")
        }
    }

    @Test func secretExponentGivesSecretResult() {
        let table = FixedBasePowers(base: BigInt(5), modulus: MontgomeryModulus(BigInt(1_000_003)), exponentBits: 32, windowBits: 4)
        let e = BigInt(123_456)
        #expect(!table.power(e).isSecret)
        let secret = table.power(BigInt(secret: e))
        #expect(secret.isSecret)
        #expect(secret == BigInt(modPow(5, 123_456, 1_000_003)))
    }
}

@Test func powersOfASecretBaseAreSecret() {
    let modulus = MontgomeryModulus((BigInt(1) << 127) - BigInt(1))
    let secretTable = FixedBasePowers(base: BigInt(secret: 3), modulus: modulus, exponentBits: 16, windowBits: 4)
    let publicTable = FixedBasePowers(base: BigInt(3), modulus: modulus, exponentBits: 16, windowBits: 4)
    #expect(secretTable.power(BigInt(1000)).isSecret)
    #expect(!publicTable.power(BigInt(1000)).isSecret)
    #expect(publicTable.power(BigInt(1000)) == BigInt(3).power(BigInt(1000), modulus: modulus.modulus))
}
