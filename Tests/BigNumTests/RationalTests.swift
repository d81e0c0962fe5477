import BigNum
import TestSupport
import Testing

@Suite("BigRational construction, parsing and arithmetic")
struct RationalTests {
    @Test func lowestTermsWithPositiveDenominator() throws {
        let cases: [(Int, Int, Int, Int)] = [
            (6, 4, 3, 2), (6, -4, -3, 2), (-6, 4, -3, 2), (-6, -4, 3, 2), (0, -5, 0, 1), (0, 7, 0, 1),
            (7, 1, 7, 1), (-7, -1, 7, 1), (100, 25, 4, 1), (17, 51, 1, 3),
        ]
        for (n, d, expectedN, expectedD) in cases {
            let q = BigRational(numerator: BigInt(n), denominator: BigInt(d))
            #expect(q.numerator == BigInt(expectedN) && q.denominator == BigInt(expectedD), "\(n)/\(d)")
        }
        let wide = BigRational(numerator: BigInt(3) << 200, denominator: -(BigInt(1) << 201))
        #expect(wide.numerator == BigInt(-3) && wide.denominator == BigInt(2))

        var g = SplitMix64(seed: 0xF1)
        for _ in 0..<500 {
            let n = g.int128(maxBits: 60)
            var d = g.int128(maxBits: 60)
            if d == 0 { d = -1 }
            let gcd = Int128(euclid(n.magnitude, d.magnitude))
            let sign: Int128 = d < 0 ? -1 : 1
            let q = BigRational(numerator: BigInt(n), denominator: BigInt(d))
            #expect(q.numerator == BigInt(sign * n / gcd), "\(n)/\(d)")
            #expect(q.denominator == BigInt(sign * d / gcd), "\(n)/\(d)")
        }
    }

    @Test func integersAndProperties() {
        let seven: BigRational = 7
        #expect(seven == BigRational(BigInt(7)))
        #expect(seven == BigRational(7))
        #expect(seven.isInteger && !seven.isZero && seven.signum() == 1)
        #expect(seven.numerator == BigInt(7) && seven.denominator == BigInt(1))
        let half = BigRational(numerator: BigInt(-1), denominator: BigInt(2))
        #expect(!half.isInteger && half.signum() == -1)
        #expect(half.magnitude == BigRational(numerator: BigInt(1), denominator: BigInt(2)))
        #expect(-half == half.magnitude)
        let zero: BigRational = 0
        #expect(zero.isZero && zero.isInteger && zero.signum() == 0)
        #expect(BigRational(BigInt(1) << 300).numerator == BigInt(1) << 300)
    }

    @Test func descriptions() {
        #expect(BigRational(numerator: BigInt(-3), denominator: BigInt(6)).description == "-1/2")
        #expect(BigRational(numerator: BigInt(10), denominator: BigInt(5)).description == "2")
        #expect(BigRational(0).description == "0")
        #expect("\(BigRational(numerator: BigInt(617), denominator: BigInt(50)))" == "617/50")
    }

    @Test(arguments: [
        ("12.34", 617, 50), ("-0.5", -1, 2), ("7", 7, 1), ("+3.5", 7, 2), ("-12.034", -6017, 500), ("0", 0, 1),
        ("-0", 0, 1), ("-0.000", 0, 1), ("007.50", 15, 2), ("0.001", 1, 1000), ("+0.25", 1, 4),
        ("10000000.1", 100_000_001, 10), ("-123456789", -123_456_789, 1),
    ])
    func parsesPlainDecimals(text: String, numerator: Int, denominator: Int) throws {
        let q = try #require(BigRational(decimal: text), "\(text)")
        #expect(q.numerator == BigInt(numerator), "\(text)")
        #expect(q.denominator == BigInt(denominator), "\(text)")
    }

    @Test func parsesLongDecimalsExactly() throws {
        let q = try #require(BigRational(decimal: "-123456789012345678901234567890.000000000000000000000000000001"))
        #expect(q.numerator == (try big("-123456789012345678901234567890000000000000000000000000000001")))
        #expect(q.denominator == BigInt(10).power(30))
        #expect(BigRational(decimal: Substring("x1.5").dropFirst()) == BigRational(numerator: BigInt(3), denominator: BigInt(2)))
    }

    @Test(arguments: [
        "", "-", "+", ".", "-.", "+.", "1e5", "1E5", "1,5", " 1", "1 ", "1. 5", "1.2.3", "--1", "+-1", "-+1",
        "0x1", "1.-5", "1.+5", "inf", "NaN", "١.٥", "1_000", "1/2", "\u{0}", "1\u{0}",
    ])
    func rejectsMalformedDecimals(text: String) {
        #expect(BigRational(decimal: text) == nil, "\(text.debugDescription) should be rejected")
    }

    /// PostgreSQL's numeric grammar: a point needs digits on one side only.
    @Test func pointWithDigitsOnOneSide() {
        #expect(BigRational(decimal: ".5") == BigRational(numerator: 1, denominator: 2))
        #expect(BigRational(decimal: "-.5") == BigRational(numerator: -1, denominator: 2))
        #expect(BigRational(decimal: "3.") == BigRational(3))
        #expect(BigRational(decimal: "+3.") == BigRational(3))
        #expect(BigRational(decimal: "-3.") == BigRational(-3))
    }

    @Test func arithmeticKnownAnswers() {
        func q(_ n: Int, _ d: Int) -> BigRational { BigRational(numerator: BigInt(n), denominator: BigInt(d)) }
        #expect(q(1, 3) + q(1, 6) == q(1, 2))
        #expect(q(1, 2) - q(3, 4) == q(-1, 4))
        #expect(q(2, 3) * q(9, 4) == q(3, 2))
        #expect(q(1, 2) / q(-1, 4) == q(-2, 1))
        #expect(q(1, 3) + q(2, 3) == 1)
        #expect((q(1, 3) + q(2, 3)).isInteger)
        // 0.1 + 0.2 is exactly 0.3 (it is not in binary floating point).
        #expect(BigRational(decimal: "0.1")! + BigRational(decimal: "0.2")! == BigRational(decimal: "0.3")!)
    }

    @Test func arithmeticAndComparisonAgainstInt128() {
        var g = SplitMix64(seed: 0xF2)
        func reduced(_ n: Int128, _ d: Int128) -> (BigInt, BigInt) {
            let gcd = Int128(euclid(n.magnitude, d.magnitude))
            let sign: Int128 = d < 0 ? -1 : 1
            return (BigInt(sign * n / gcd), BigInt(sign * d / gcd))
        }
        func check(_ value: BigRational, _ n: Int128, _ d: Int128, _ label: String) {
            let (en, ed) = reduced(n, d)
            #expect(value.numerator == en && value.denominator == ed, "\(label)")
        }
        for _ in 0..<500 {
            let (a, c) = (g.int128(maxBits: 30), g.int128(maxBits: 30))
            let b = Int128(g.uint128(bits: 30)) + 1
            let d = Int128(g.uint128(bits: 30)) + 1
            let x = BigRational(numerator: BigInt(a), denominator: BigInt(b))
            let y = BigRational(numerator: BigInt(c), denominator: BigInt(d))
            check(x + y, a * d + c * b, b * d, "\(a)/\(b) + \(c)/\(d)")
            check(x - y, a * d - c * b, b * d, "\(a)/\(b) - \(c)/\(d)")
            check(x * y, a * c, b * d, "\(a)/\(b) * \(c)/\(d)")
            if c != 0 { check(x / y, a * d, b * c, "\(a)/\(b) / \(c)/\(d)") }
            check(-x, -a, b, "-\(a)/\(b)")
            #expect((x < y) == (a * d < c * b))
            #expect((x == y) == (a * d == c * b))
            #expect((x > y) == (a * d > c * b))
            #expect(x.signum() == Int(a.signum()))
        }
    }

    @Test func equalValuesHashEqually() throws {
        let values = [
            BigRational(numerator: BigInt(2), denominator: BigInt(4)),
            try #require(BigRational(decimal: "0.5")),
            BigRational(numerator: BigInt(-3), denominator: BigInt(-6)),
            BigRational(numerator: BigInt(1), denominator: BigInt(3)) + BigRational(numerator: BigInt(1), denominator: BigInt(6)),
        ]
        #expect(Set(values).count == 1)
        #expect(Set(values + [BigRational(1), BigRational(numerator: BigInt(-1), denominator: BigInt(2))]).count == 3)
    }

    /// The mean of values that binary floating point cannot represent is exact.
    @Test func meanIsExact() throws {
        let values = try ["10000000.1", "10000000.2", "10000000.3"].map { try #require(BigRational(decimal: $0)) }
        let mean = values.reduce(BigRational(0), +) / BigRational(values.count)
        #expect(mean == BigRational(decimal: "10000000.2"))
        #expect(mean.numerator == BigInt(50_000_001) && mean.denominator == BigInt(5))
        #expect(mean.decimalString(fractionDigits: 1) == "10000000.2")
        // In Double, 10000000.2 is 10000000.199999999254…, which would round down to .19.
        #expect(mean.decimalString(fractionDigits: 2, rounding: .down) == "10000000.20")
        #expect(mean.decimalString(fractionDigits: 9, rounding: .towardZero) == "10000000.200000000")
    }
}
