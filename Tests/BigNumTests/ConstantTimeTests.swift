import BigNum
import TestSupport
import Testing

/// The constant-time operations agree with the ordinary (variable-time) ones on random
/// operands, on the edges of their ranges, and for moduli whose top limb is small.
@Suite("Constant-time modular arithmetic")
struct ConstantTimeTests {
    static let moduliBits = [1, 2, 63, 64, 65, 127, 130, 520, 1024, 2047, 2048]

    func oddModulus(bits: Int, _ g: inout SplitMix64) -> BigInt {
        if bits <= 2 { return bits == 1 ? BigInt(1) : BigInt(3) }
        let value = BigInt.random(bits: bits - 1, using: &g).declassified() + (BigInt(1) << (bits - 1))
        return value.isOdd ? value : value + BigInt(1)
    }

    @Test(arguments: moduliBits)
    func multiplyAndMultiplyAdd(bits: Int) {
        var g = SplitMix64(seed: 0xC7 &+ UInt64(bits))
        for _ in 0..<20 {
            let n = oddModulus(bits: bits, &g)
            let fixed = ConstantTimeModulus(n)
            let limit = BigInt(1) << (64 * fixed.width)
            let a = BigInt.random(below: limit, using: &g)
            let b = BigInt.random(below: limit, using: &g)
            let c = BigInt.random(below: limit * limit, using: &g)
            #expect(fixed.multiply(a, b) == (a * b).modulo(n))
            #expect(fixed.multiplyAdd(a, b, c) == (a * b + c).modulo(n))
            #expect(fixed.multiply(BigInt(0), b).isZero)
            #expect(fixed.multiply(limit - BigInt(1), limit - BigInt(1)) == ((limit - BigInt(1)) * (limit - BigInt(1))).modulo(n))
        }
    }

    @Test(arguments: moduliBits)
    func montgomeryMultiply(bits: Int) {
        var g = SplitMix64(seed: 0xC8 &+ UInt64(bits))
        for _ in 0..<20 {
            let n = oddModulus(bits: bits, &g)
            guard n > 1 else { continue }
            let fixed = ConstantTimeModulus(n)
            let a = BigInt.random(below: n, using: &g)
            let b = BigInt.random(below: n, using: &g)
            #expect(fixed.montgomeryMultiply(a, fixed.montgomeryForm(b)) == (a * b).modulo(n))
            let r = BigInt(1) << (64 * fixed.width)
            #expect(fixed.montgomeryForm(a) == (a * r).modulo(n))
            // The extremes of the input range.
            let top = n - BigInt(1)
            #expect(fixed.montgomeryMultiply(top, fixed.montgomeryForm(top)) == (top * top).modulo(n))
            #expect(fixed.montgomeryMultiply(BigInt(0), fixed.montgomeryForm(top)).isZero)
        }
    }

    @Test(arguments: moduliBits)
    func divide(bits: Int) {
        var g = SplitMix64(seed: 0xC9 &+ UInt64(bits))
        for extra in [0, 1, 3] {
            let n = oddModulus(bits: bits, &g) + BigInt(1)  // even moduli work too
            let fixed = ConstantTimeModulus(n)
            let a = BigInt.random(bits: 64 * (fixed.width + extra), using: &g)
            let (q, r) = fixed.divide(a, extraWidth: extra)
            #expect(q == a.floorDivided(by: n))
            #expect(r == a.modulo(n))
        }
    }

    /// lift(m, ẑ, z) = (1 + m·N)·z mod N², with ẑ the Montgomery form of z mod N; the
    /// final subtraction of N² is taken in some cases and not in others.
    @Test func liftMatchesPaillierFormula() {
        var g = SplitMix64(seed: 0xCA)
        for bits in [65, 200, 1000, 1024, 2048] {
            let n = oddModulus(bits: bits, &g)
            let fixed = ConstantTimeModulus(n)
            let nSquared = n * n
            var subtracted = 0
            for _ in 0..<24 {
                let m = BigInt.random(below: n, using: &g)
                let z = BigInt.random(below: nSquared, using: &g)
                let zHat = fixed.montgomeryForm(z.modulo(n))
                let expected = ((BigInt(1) + m * n) * z).modulo(nSquared)
                let lifted = fixed.lift(m, montgomeryFactor: zHat, onto: z, modulusSquared: nSquared)
                #expect(lifted == expected, "\(bits) bits")
                #expect(!lifted.isSecret)
                if z + n * (m * z).modulo(n) >= nSquared { subtracted += 1 }
            }
            #expect(subtracted > 0 && subtracted < 24, "both branches at \(bits) bits")
            // m = 0 leaves z unchanged; m = N − 1 with z = 1 gives 1 − N mod N².
            let one = fixed.montgomeryForm(BigInt(1))
            #expect(fixed.lift(BigInt(0), montgomeryFactor: one, onto: BigInt(1), modulusSquared: nSquared) == 1)
            #expect(fixed.lift(n - BigInt(1), montgomeryFactor: one, onto: BigInt(1), modulusSquared: nSquared) == nSquared - n + BigInt(1))
        }
    }

    @Test func secretOperandsTaintResults() {
        let fixed = ConstantTimeModulus(BigInt(1_000_003))
        let secret = BigInt(secret: BigInt(77))
        #expect(fixed.multiply(secret, BigInt(5)).isSecret)
        #expect(!fixed.multiply(BigInt(77), BigInt(5)).isSecret)
        #expect(fixed.montgomeryMultiply(secret, BigInt(5)).isSecret)
        #expect(fixed.divide(secret, extraWidth: 0).quotient.isSecret)
    }

    @Test func jacobiSymbol() {
        // Known values: (2/15) = 1, (7/15) = −1, (5/15) = 0, (1001/9907) = −1.
        #expect(BigInt.jacobi(BigInt(2), BigInt(15)) == 1)
        #expect(BigInt.jacobi(BigInt(7), BigInt(15)) == -1)
        #expect(BigInt.jacobi(BigInt(5), BigInt(15)) == 0)
        #expect(BigInt.jacobi(BigInt(1001), BigInt(9907)) == -1)
    }
}
