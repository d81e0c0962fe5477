import BigNum
import TestSupport
import Testing

@Suite("Rounding BigRational to integers")
struct RoundedTests {
    /// Quarters and eighths are exact in `Double`, so `Double.rounded(_:)` is the oracle:
    /// exact values, below-half, exactly-half and above-half fractions of both signs.
    @Test func matchesDoubleOnExactlyRepresentableValues() {
        for denominator in [1, 2, 4, 8] {
            for numerator in -60...60 {
                let q = BigRational(numerator: BigInt(numerator), denominator: BigInt(denominator))
                let d = Double(numerator) / Double(denominator)
                for rule in allRules {
                    #expect(q.rounded(rule) == BigInt(Int(d.rounded(rule))), "\(numerator)/\(denominator) \(rule)")
                }
                #expect(q.rounded() == BigInt(Int(d.rounded())), "\(numerator)/\(denominator) default")
            }
        }
    }

    @Test func headlineCases() {
        func q(_ n: Int, _ d: Int) -> BigRational { BigRational(numerator: BigInt(n), denominator: BigInt(d)) }
        // ±2.5, ±3.5 and ±2.25 for every rule, in the order of `allRules`.
        let table: [(BigRational, [Int])] = [
            (q(5, 2), [2, 3, 2, 3, 2, 3]), (q(-5, 2), [-3, -2, -2, -3, -2, -3]),
            (q(7, 2), [3, 4, 3, 4, 4, 4]), (q(-7, 2), [-4, -3, -3, -4, -4, -4]),
            (q(9, 4), [2, 3, 2, 3, 2, 2]), (q(-9, 4), [-3, -2, -2, -3, -2, -2]),
            (q(1, 3), [0, 1, 0, 1, 0, 0]), (q(-2, 3), [-1, 0, 0, -1, -1, -1]),
            (q(6, 1), [6, 6, 6, 6, 6, 6]), (q(-6, 1), [-6, -6, -6, -6, -6, -6]), (q(0, 1), [0, 0, 0, 0, 0, 0]),
        ]
        for (value, expected) in table {
            for (rule, e) in zip(allRules, expected) {
                #expect(value.rounded(rule) == BigInt(e), "\(value) \(rule)")
            }
        }
    }

    /// Values far beyond the precision of `Double`.
    @Test func largeValues() {
        let big = BigInt(10).power(30)
        let half = BigRational(numerator: BigInt(1), denominator: BigInt(2))
        let even = BigRational(big) + half  // 10^30 + 1/2, floor even
        let odd = BigRational(big + BigInt(1)) + half  // 10^30 + 3/2, floor odd
        #expect(even.rounded(.toNearestOrEven) == big)
        #expect(even.rounded(.toNearestOrAwayFromZero) == big + BigInt(1))
        #expect(odd.rounded(.toNearestOrEven) == big + BigInt(2))
        #expect((-even).rounded(.toNearestOrEven) == -big)
        #expect((-even).rounded(.toNearestOrAwayFromZero) == -big - BigInt(1))
        let tiny = BigRational(numerator: BigInt(1), denominator: BigInt(10).power(40))
        #expect((BigRational(big) + tiny).rounded(.up) == big + BigInt(1))
        #expect((BigRational(big) + tiny).rounded(.down) == big)
        #expect((BigRational(big) - tiny).rounded(.towardZero) == big - BigInt(1))
        #expect((BigRational(big) - tiny).rounded() == big)
    }

    /// Random fractions against an oracle on `Int128`: floor by Swift's division, then the
    /// rule applied to the doubled remainder.
    @Test func randomFractionsAgainstInt128() {
        var g = SplitMix64(seed: 0xD0)
        for _ in 0..<2000 {
            let n = g.int128(maxBits: 60)
            let d = Int128(g.uint128(bits: Int.random(in: 0...20, using: &g))) + 1
            var floor = n / d
            if n % d < 0 { floor -= 1 }
            let twice = 2 * (n - floor * d)  // 2·fraction·d, in 0..<2d
            let exact = twice == 0
            let ceil = exact ? floor : floor + 1
            let nearestHalf = twice < d ? floor : twice > d ? floor + 1 : nil
            let expected: [Int128] = [
                floor, ceil, n < 0 ? ceil : floor, n < 0 ? floor : ceil,
                nearestHalf ?? (floor & 1 == 0 ? floor : floor + 1),
                nearestHalf ?? (n < 0 ? floor : floor + 1),
            ]
            let q = BigRational(numerator: BigInt(n), denominator: BigInt(d))
            for (rule, e) in zip(allRules, expected) {
                #expect(q.rounded(rule) == BigInt(e), "\(n)/\(d) \(rule)")
                #expect(q.decimalString(fractionDigits: 0, rounding: rule) == String(e), "\(n)/\(d) \(rule)")
            }
        }
    }

    @Test func briefCasesReadably() throws {
        func d(_ text: String) throws -> BigRational { try #require(BigRational(decimal: text)) }
        #expect(try d("9.995").decimalString(significantDigits: 3) == "10.0")
        #expect(try d("999.5").decimalString(significantDigits: 3) == "1000")
        #expect(try d("1234.5").decimalString(significantDigits: 3) == "1230")
        #expect(try d("0.00012345").decimalString(significantDigits: 3) == "0.000123")
        #expect(try rational("1/3000000").decimalString(significantDigits: 3) == "0.000000333")
        #expect(BigRational(0).decimalString(fractionDigits: 0) == "0")
        #expect(BigRational(0).decimalString(fractionDigits: 2) == "0.00")
        #expect(BigRational(0).decimalString(significantDigits: 4) == "0")
        let s = try d("2.25")
        #expect(s.squareRootDecimalString(fractionDigits: 1) == "1.5")
        #expect(s.squareRootDecimalString(fractionDigits: 0, rounding: .toNearestOrEven) == "2")
        #expect(s.squareRootDecimalString(fractionDigits: 0, rounding: .toNearestOrAwayFromZero) == "2")
        #expect(s.squareRootDecimalString(fractionDigits: 0, rounding: .down) == "1")
        #expect(BigRational(2).squareRootDecimalString(significantDigits: 30) == "1.41421356237309504880168872421")
        #expect(try d("99.9999").squareRootDecimalString(significantDigits: 3) == "10.0")
        #expect(BigRational(0).squareRootDecimalString(significantDigits: 3) == "0")
        #expect(BigRational(0).squareRootDecimalString(fractionDigits: 2) == "0.00")
    }

    /// A negative value that rounds to zero prints as zero, never "-0" or "-0.00".
    @Test func negativeValuesRoundingToZeroHaveNoSign() {
        var g = SplitMix64(seed: 0xD1)
        for _ in 0..<300 {
            let n = -Int128(g.uint128(bits: 20)) - 1
            let d = Int128(g.uint128(bits: 10)) * 1_000_000 + 1_000_000_000
            let q = BigRational(numerator: BigInt(n), denominator: BigInt(d))  // in (-0.002, 0)
            for rule in allRules {
                for digits in 0...2 {
                    let text = q.decimalString(fractionDigits: digits, rounding: rule)
                    let isZero = text.allSatisfy { $0 == "0" || $0 == "." }
                    let isMinusUnit = text == "-1" || text == "-0.1" || text == "-0.01"
                    #expect(isZero || isMinusUnit, "\(n)/\(d) \(rule) → \(text)")
                }
            }
        }
    }
}
