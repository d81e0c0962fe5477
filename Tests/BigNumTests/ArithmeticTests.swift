import BigNum
import TestSupport
import Testing

/// Every operation is compared with Swift's own `Int128` arithmetic on operands chosen so
/// that the exact result fits.
@Suite("BigInt arithmetic against Int128")
struct ArithmeticTests {
    /// Edge values against each other, then random pairs of magnitudes below 2^125.
    static func pairs(seed: UInt64, count: Int = 1500) -> [(Int128, Int128)] {
        var g = SplitMix64(seed: seed)
        var result: [(Int128, Int128)] = []
        for a in edgeInt128s {
            for b in edgeInt128s { result.append((a, b)) }
        }
        for _ in 0..<count {
            result.append((g.int128(maxBits: 125), g.int128(maxBits: 125)))
        }
        return result
    }

    @Test func additionSubtractionNegation() {
        for (a, b) in Self.pairs(seed: 1) {
            let (x, y) = (BigInt(a), BigInt(b))
            #expect(x + y == BigInt(a + b), "\(a) + \(b)")
            #expect(x - y == BigInt(a - b), "\(a) - \(b)")
            #expect(-x == BigInt(-a), "-\(a)")
        }
        // Beyond Int128.
        #expect(-BigInt(Int128.min) == BigInt(UInt128(1) << 127))
        #expect(BigInt(UInt128.max) + BigInt(UInt128.max) == (BigInt(1) << 129) - BigInt(2))
        #expect(BigInt(Int128.min) - BigInt(Int128.max) == -(BigInt(1) << 128) + BigInt(1))
    }

    @Test func multiplication() {
        var g = SplitMix64(seed: 2)
        var checked = 0
        for (a, b) in Self.pairs(seed: 3, count: 0) where fitsProduct(a, b) {
            #expect(BigInt(a) * BigInt(b) == BigInt(a * b), "\(a) * \(b)")
            checked += 1
        }
        for _ in 0..<1500 {
            let widthA = Int.random(in: 0...125, using: &g)
            let a = g.int128(bits: widthA)
            let b = g.int128(bits: Int.random(in: 0...(125 - widthA), using: &g))
            #expect(BigInt(a) * BigInt(b) == BigInt(a * b), "\(a) * \(b)")
            checked += 1
        }
        #expect(checked > 1800)
        // Beyond Int128: (2^128 - 1)(2^128 + 1) = 2^256 - 1 and (-2^127)^2 = 2^254.
        let m = BigInt(UInt128.max)
        #expect(m * (m + BigInt(2)) == (BigInt(1) << 256) - BigInt(1))
        #expect(BigInt(Int128.min) * BigInt(Int128.min) == BigInt(1) << 254)
    }

    @Test func truncatingDivisionAndRemainder() {
        for (a, b) in Self.pairs(seed: 4) where b != 0 {
            let (x, y) = (BigInt(a), BigInt(b))
            #expect(x / y == BigInt(a / b), "\(a) / \(b)")
            #expect(x % y == BigInt(a % b), "\(a) % \(b)")
            let (q, r) = x.quotientAndRemainder(dividingBy: y)
            let expected = a.quotientAndRemainder(dividingBy: b)
            #expect(q == BigInt(expected.quotient) && r == BigInt(expected.remainder), "\(a) qr \(b)")
        }
        // Signs follow Int: the remainder takes the sign of the dividend.
        #expect(BigInt(-7) / BigInt(2) == BigInt(-3))
        #expect(BigInt(-7) % BigInt(2) == BigInt(-1))
        #expect(BigInt(7) / BigInt(-2) == BigInt(-3))
        #expect(BigInt(7) % BigInt(-2) == BigInt(1))
        #expect(BigInt(-7) / BigInt(-2) == BigInt(3))
        #expect(BigInt(-7) % BigInt(-2) == BigInt(-1))
    }

    @Test func floorDivisionAndModulo() {
        for (a, b) in Self.pairs(seed: 5) where b != 0 {
            var floorQuotient = a / b
            if a % b != 0 && (a < 0) != (b < 0) { floorQuotient -= 1 }
            #expect(BigInt(a).floorDivided(by: BigInt(b)) == BigInt(floorQuotient), "\(a) floor/ \(b)")
            let m = b.magnitude == 0 ? 1 : Int128(b.magnitude)
            let mod = BigInt(a).modulo(BigInt(m))
            #expect(mod == BigInt(residue(a, m)), "\(a) mod \(m)")
            #expect(mod.signum() >= 0 && mod < BigInt(m))
        }
        #expect(BigInt(-7).floorDivided(by: BigInt(2)) == BigInt(-4))
        #expect(BigInt(7).floorDivided(by: BigInt(-2)) == BigInt(-4))
        #expect(BigInt(-7).modulo(BigInt(3)) == BigInt(2))
        #expect(BigInt(-6).modulo(BigInt(3)) == BigInt(0))
        #expect((-(BigInt(1) << 200)).modulo(BigInt(7)) == BigInt(3))  // Python: -(2**200) % 7
    }

    @Test func shifts() {
        var g = SplitMix64(seed: 6)
        for _ in 0..<1000 {
            let count = Int.random(in: 0...126, using: &g)
            let a = g.int128(bits: Int.random(in: 0...(126 - count), using: &g))
            #expect(BigInt(a) << count == BigInt(a << count), "\(a) << \(count)")
            let b = g.int128(maxBits: 127)
            let right = Int.random(in: 0...140, using: &g)
            // Int128's `>>` is an arithmetic shift (floor); shifts past the width give 0 or -1.
            #expect(BigInt(b) >> right == BigInt(b >> right), "\(b) >> \(right)")
        }
        #expect(BigInt(-1) >> 1 == BigInt(-1))
        #expect(BigInt(-5) >> 1 == BigInt(-3))
        #expect(BigInt(-(Int128(1) << 64) - 1) >> 64 == BigInt(-2))
        #expect(-(BigInt(1) << 300) >> 1000 == BigInt(-1))
        #expect((BigInt(1) << 300) >> 1000 == BigInt(0))
        #expect(BigInt(5) << 0 == BigInt(5))
        #expect((BigInt(3) << 500) >> 499 == BigInt(6))
    }

    @Test func lowBits() {
        var g = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let a = g.int128(maxBits: 127)
            let count = Int.random(in: 0...127, using: &g)
            // Two's complement masking is the non-negative residue modulo 2^count.
            let mask = (Int128(1) << count) &- 1
            #expect(BigInt(a).lowBits(count) == BigInt(a & mask), "\(a) lowBits \(count)")
        }
        #expect(BigInt(-1).lowBits(200) == (BigInt(1) << 200) - BigInt(1))
        #expect(BigInt(-1).lowBits(0) == BigInt(0))
        #expect(BigInt(12345).lowBits(300) == BigInt(12345))
    }

    @Test func smallPowers() throws {
        for base: Int128 in [0, 1, -1, 2, -2, 3, -3, 10, -10, 12_345, -(1 << 40) + 7] {
            var expected: Int128 = 1
            for exponent in 0..<130 {
                #expect(BigInt(base).power(exponent) == BigInt(expected), "\(base)^\(exponent)")
                let (next, overflow) = expected.multipliedReportingOverflow(by: base)
                if overflow { break }
                expected = next
            }
        }
        // Python: 3**100, (-7)**33
        #expect(BigInt(3).power(100) == (try big("515377520732011331036461129765621272702107522001")))
        #expect(BigInt(-7).power(33) == (try big("-7730993719707444524137094407")))
        #expect(BigInt(2).power(1000) == BigInt(1) << 1000)
    }

    @Test func divisibility() {
        var g = SplitMix64(seed: 8)
        for (a, b) in Self.pairs(seed: 9, count: 500) {
            #expect(BigInt(a).isMultiple(of: BigInt(b)) == a.isMultiple(of: b), "\(a) multiple of \(b)")
        }
        for _ in 0..<500 {
            let widthA = Int.random(in: 1...100, using: &g)
            let d = g.int128(bits: widthA)
            let k = g.int128(bits: Int.random(in: 0...(124 - widthA), using: &g))
            #expect(BigInt(d * k).isMultiple(of: BigInt(d)), "\(d * k) multiple of \(d)")
            if d.magnitude > 1 {
                #expect(!BigInt(d * k + 1).isMultiple(of: BigInt(d)), "\(d * k + 1) multiple of \(d)")
            }
        }
        // Zero is a multiple of everything; only zero is a multiple of zero (as for Int).
        #expect(BigInt(0).isMultiple(of: BigInt(0)))
        #expect(!BigInt(5).isMultiple(of: BigInt(0)))
        #expect((BigInt(1) << 300).isMultiple(of: BigInt(1) << 299))
        #expect(!((BigInt(1) << 300) + BigInt(1)).isMultiple(of: BigInt(2)))
    }

    @Test func propertiesAgainstInt128() {
        var g = SplitMix64(seed: 10)
        for a in edgeInt128s + [Int128.min, Int128.max] + (0..<500).map({ _ in g.int128(maxBits: 127) }) {
            let x = BigInt(a)
            #expect(x.magnitude == BigInt(a.magnitude), "|\(a)|")
            #expect(x.signum() == Int(a.signum()))
            #expect(x.isZero == (a == 0))
            #expect(x.isOdd == (a & 1 == 1))
            #expect(x.isEven == (a & 1 == 0))
            #expect(x.bitLength == 128 - a.magnitude.leadingZeroBitCount, "bitLength \(a)")
            for index in [0, 1, 2, 31, 63, 64, 65, 100, 126, 127, 128, 129, 200] {
                // bit(_:) reads the two's-complement representation, sign-extended.
                #expect(x.bit(index) == ((a >> index) & 1 == 1), "bit \(index) of \(a)")
            }
        }
        #expect(BigInt(0).bitLength == 0)
        #expect((BigInt(1) << 1000).bitLength == 1001)
        #expect((-(BigInt(1) << 1000)).bitLength == 1001)
        #expect(!(BigInt(1) << 1000).bit(999) && (BigInt(1) << 1000).bit(1000))
    }

    @Test func comparisons() {
        var g = SplitMix64(seed: 11)
        for (a, b) in Self.pairs(seed: 12, count: 800) {
            let (x, y) = (BigInt(a), BigInt(b))
            #expect((x < y) == (a < b))
            #expect((x <= y) == (a <= b))
            #expect((x > y) == (a > b))
            #expect((x >= y) == (a >= b))
            #expect((x == y) == (a == b))
            #expect((x != y) == (a != b))
            #expect(max(x, y) == BigInt(max(a, b)))
        }
        // Comparison with Int operands (no BigInt allocated for the right side).
        for _ in 0..<500 {
            let a = g.int128(maxBits: 70)
            let b = Int(truncatingIfNeeded: g.int128(maxBits: 64))
            let x = BigInt(a)
            #expect((x == b) == (a == Int128(b)))
            #expect((x != b) == (a != Int128(b)))
            #expect((x < b) == (a < Int128(b)))
            #expect((x > b) == (a > Int128(b)))
            #expect((x <= b) == (a <= Int128(b)))
            #expect((x >= b) == (a >= Int128(b)))
        }
        #expect(BigInt(Int.max) + BigInt(1) > Int.max)
        #expect(BigInt(Int.min) - BigInt(1) < Int.min)
        #expect(BigInt(-5) == -5)
        let sorted = [BigInt(3), -(BigInt(1) << 100), BigInt(0), BigInt(1) << 100, BigInt(-3)].sorted()
        #expect(sorted == [-(BigInt(1) << 100), BigInt(-3), BigInt(0), BigInt(3), BigInt(1) << 100])
    }

    @Test func equalValuesHashEqually() throws {
        // The same values reached by different routes.
        let routes: [[BigInt]] = [
            [BigInt(0), BigInt(5) - BigInt(5), BigInt("-0")!, BigInt(bigEndianBytes: [0, 0])],
            [BigInt(1) << 100, try big("1267650600228229401496703205376"), BigInt(2).power(100)],
            [BigInt(-42), -BigInt(42), BigInt("-2a", radix: 16)!, BigInt(secret: BigInt(-42))],
            [BigInt(UInt128.max), (BigInt(1) << 128) - BigInt(1)],
        ]
        for group in routes {
            #expect(Set(group).count == 1, "\(group.map { $0.toString() })")
            for value in group { #expect(value.hashValue == group[0].hashValue) }
        }
        #expect(Set(routes.map { $0[0] }).count == routes.count)
    }

    @Test func compoundAssignment() {
        for (a, b) in Self.pairs(seed: 13, count: 300) {
            var x = BigInt(a)
            x += BigInt(b)
            #expect(x == BigInt(a + b))
            x -= BigInt(b)
            #expect(x == BigInt(a))
            if fitsProduct(a, b) {
                x *= BigInt(b)
                #expect(x == BigInt(a * b))
            }
        }
        // The right side may be the same value as the left.
        var y = BigInt(UInt128.max)
        y += y
        #expect(y == (BigInt(1) << 129) - BigInt(2))
        y -= y
        #expect(y.isZero)
        var z = BigInt(1) << 70
        z *= z
        #expect(z == BigInt(1) << 140)
    }

    @Test func copyOnWrite() {
        let original = BigInt(1) << 100
        let snapshot = original.toString()
        var copy = original
        copy += BigInt(1)
        #expect(original.toString() == snapshot)
        #expect(copy == (BigInt(1) << 100) + BigInt(1))

        var copy2 = original
        copy2 -= BigInt(1) << 100
        #expect(copy2.isZero)
        #expect(original == BigInt(1) << 100)

        var copy3 = original
        copy3 *= BigInt(-3)
        #expect(copy3 == -(BigInt(3) << 100))
        #expect(original == BigInt(1) << 100)

        // Copies held in a collection are independent too.
        var array = [original, original]
        array[0] += BigInt(7)
        #expect(array[1] == original)
        #expect(array[0] == original + BigInt(7))

        // Mutating a value that is not shared keeps working repeatedly.
        var counter = BigInt(0)
        for _ in 0..<1000 { counter += BigInt(3) }
        #expect(counter == BigInt(3000))
    }
}
