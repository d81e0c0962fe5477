internal import CGMP

/// An exact rational number backed by GMP's `mpq`, always in lowest terms with a
/// positive denominator.
///
/// Used to finalise statistics: means, variances, correlations and regression
/// coefficients are computed exactly from integer sums and rounded once, at the end,
/// by `decimalString(fractionDigits:rounding:)` or
/// `decimalString(significantDigits:rounding:)`. Square roots (standard deviations) are
/// rounded exactly too, by `squareRootDecimalString`, without any floating point.
public struct BigRational: Sendable {
    var storage: MPQ

    init(storage: MPQ) {
        self.storage = storage
    }

    /// The rational `integer / 1`.
    public init(_ integer: BigInt) {
        storage = MPQ()
        __gmpq_set_z(storage.pointer, integer.storage.pointer)
    }

    public init(_ integer: Int) {
        self.init(BigInt(integer))
    }

    /// `numerator / denominator` reduced to lowest terms.
    ///
    /// - Precondition: `denominator != 0`.
    public init(numerator: BigInt, denominator: BigInt) {
        precondition(!denominator.isZero, "zero denominator")
        storage = MPQ()
        __gmpz_set(fedstat_mpq_numref(storage.pointer), numerator.storage.pointer)
        __gmpz_set(fedstat_mpq_denref(storage.pointer), denominator.storage.pointer)
        __gmpq_canonicalize(storage.pointer)
    }

    /// Parses a plain decimal exactly, with PostgreSQL's `numeric` grammar minus
    /// exponents: an optional sign, digits, and an optional point with digits on at least
    /// one side (`-12.034`, `7`, `.5`, `3.`). No spaces, exponents or separators.
    public init?(decimal text: some StringProtocol) {
        var body = Substring(text)
        var negative = false
        if let first = body.first, first == "-" || first == "+" {
            negative = first == "-"
            body = body.dropFirst()
        }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count == 2 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty),
            (whole + fraction).utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let digits = BigInt(String(whole + fraction))
        else { return nil }
        let value = BigRational(numerator: digits, denominator: BigInt(10).power(fraction.count))
        self = negative ? -value : value
    }

    /// The numerator (carries the sign).
    public var numerator: BigInt {
        let z = MPZ(secret: false)
        __gmpz_set(z.pointer, fedstat_mpq_numref_const(storage.pointer))
        return BigInt(storage: z)
    }

    /// The denominator, always positive.
    public var denominator: BigInt {
        let z = MPZ(secret: false)
        __gmpz_set(z.pointer, fedstat_mpq_denref_const(storage.pointer))
        return BigInt(storage: z)
    }

    /// -1, 0 or 1.
    public func signum() -> Int { Int(fedstat_mpq_sgn(storage.pointer)) }

    public var isZero: Bool { signum() == 0 }

    /// Whether the value is an integer.
    public var isInteger: Bool { __gmpz_cmp_ui(fedstat_mpq_denref_const(storage.pointer), 1) == 0 }
}

// MARK: - Arithmetic

extension BigRational {
    private static func apply(
        _ lhs: BigRational, _ rhs: BigRational,
        _ operation: (UnsafeMutablePointer<__mpq_struct>, UnsafePointer<__mpq_struct>, UnsafePointer<__mpq_struct>) -> Void
    ) -> BigRational {
        let r = MPQ()
        operation(r.pointer, lhs.storage.pointer, rhs.storage.pointer)
        return BigRational(storage: r)
    }

    public static func + (lhs: BigRational, rhs: BigRational) -> BigRational {
        apply(lhs, rhs) { __gmpq_add($0, $1, $2) }
    }

    public static func - (lhs: BigRational, rhs: BigRational) -> BigRational {
        apply(lhs, rhs) { __gmpq_sub($0, $1, $2) }
    }

    public static func * (lhs: BigRational, rhs: BigRational) -> BigRational {
        apply(lhs, rhs) { __gmpq_mul($0, $1, $2) }
    }

    /// Exact quotient. Traps on division by zero.
    public static func / (lhs: BigRational, rhs: BigRational) -> BigRational {
        precondition(!rhs.isZero, "division by zero")
        return apply(lhs, rhs) { __gmpq_div($0, $1, $2) }
    }

    public static prefix func - (operand: BigRational) -> BigRational {
        let r = MPQ()
        __gmpq_neg(r.pointer, operand.storage.pointer)
        return BigRational(storage: r)
    }

    /// The absolute value.
    public var magnitude: BigRational {
        let r = MPQ()
        __gmpq_abs(r.pointer, storage.pointer)
        return BigRational(storage: r)
    }
}

extension BigRational: Equatable, Hashable, Comparable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    public static func == (lhs: BigRational, rhs: BigRational) -> Bool {
        __gmpq_equal(lhs.storage.pointer, rhs.storage.pointer) != 0
    }

    public static func < (lhs: BigRational, rhs: BigRational) -> Bool {
        __gmpq_cmp(lhs.storage.pointer, rhs.storage.pointer) < 0
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(numerator)
        hasher.combine(denominator)
    }

    /// `numerator/denominator`, or just the numerator for integers.
    public var description: String {
        isInteger ? numerator.description : "\(numerator)/\(denominator)"
    }
}

// MARK: - Rounding

extension BigRational {
    /// The integer nearest to `self` under `rule` (the rules of `Double.rounded(_:)`).
    public func rounded(_ rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> BigInt {
        Rounding.quotient(numerator, denominator, rule)
    }

    /// The value as a plain decimal with exactly `fractionDigits` digits after the point
    /// (none, and no point, when 0), rounded once under `rule`.
    /// A result that rounds to zero is printed without a sign.
    public func decimalString(
        fractionDigits: Int,
        rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
    ) -> String {
        precondition(fractionDigits >= 0, "fractionDigits must be non-negative")
        let scaled = Rounding.quotient(
            numerator * BigInt(10).power(fractionDigits), denominator, rule)
        return Rounding.format(scaled, fractionDigits: fractionDigits)
    }

    /// The value rounded once under `rule` to `significantDigits` significant digits,
    /// as a plain decimal (no exponent): `1234.5` → `"1230"` at 3 digits,
    /// `0.00012345` → `"0.000123"`. Zero is `"0"`.
    public func decimalString(
        significantDigits: Int,
        rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
    ) -> String {
        precondition(significantDigits >= 1, "significantDigits must be at least 1")
        if isZero { return "0" }
        let exponent = Rounding.decimalExponent(numerator.magnitude, denominator)
        return Rounding.significant(digits: significantDigits, exponent: exponent) { shift in
            let (a, b) = Rounding.scaled(numerator, denominator, byPowerOfTen: shift)
            return Rounding.quotient(a, b, rule)
        }
    }

    /// √self rounded once under `rule` to `fractionDigits` digits after the point.
    ///
    /// - Precondition: `self >= 0`.
    public func squareRootDecimalString(
        fractionDigits: Int,
        rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
    ) -> String {
        precondition(signum() >= 0, "square root of a negative number")
        precondition(fractionDigits >= 0, "fractionDigits must be non-negative")
        let (a, b) = Rounding.scaled(numerator, denominator, byPowerOfTen: 2 * fractionDigits)
        return Rounding.format(Rounding.squareRoot(a, b, rule), fractionDigits: fractionDigits)
    }

    /// √self rounded once under `rule` to `significantDigits` significant digits,
    /// as a plain decimal.
    ///
    /// - Precondition: `self >= 0`.
    public func squareRootDecimalString(
        significantDigits: Int,
        rounding rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero
    ) -> String {
        precondition(signum() >= 0, "square root of a negative number")
        precondition(significantDigits >= 1, "significantDigits must be at least 1")
        if isZero { return "0" }
        // floor(log10 √x) = floor(floor(log10 x) / 2).
        let exponent = Rounding.decimalExponent(numerator, denominator)
        let rootExponent = exponent >= 0 ? exponent / 2 : -((-exponent + 1) / 2)
        return Rounding.significant(digits: significantDigits, exponent: rootExponent) { shift in
            let (a, b) = Rounding.scaled(numerator, denominator, byPowerOfTen: 2 * shift)
            return Rounding.squareRoot(a, b, rule)
        }
    }
}

/// Exact rounding of rationals and of square roots of rationals to integers.
enum Rounding {
    /// Chooses between `floor` and `floor + 1` for a value v with `floor(|v|...)`:
    /// `exact` when v is an integer, `half` the comparison of the fractional part with 1/2.
    static func decide(
        floor q: BigInt, exact: Bool, half: Int, negative: Bool, _ rule: FloatingPointRoundingRule
    ) -> BigInt {
        if exact { return q }
        let up = q + BigInt(1)
        switch rule {
        case .down: return q
        case .up: return up
        case .towardZero: return negative ? up : q
        case .awayFromZero: return negative ? q : up
        case .toNearestOrEven: return half < 0 ? q : half > 0 ? up : (q.isEven ? q : up)
        case .toNearestOrAwayFromZero: return half < 0 ? q : half > 0 ? up : (negative ? q : up)
        @unknown default: fatalError("unknown rounding rule")
        }
    }

    /// round(a / b) for b > 0.
    static func quotient(_ a: BigInt, _ b: BigInt, _ rule: FloatingPointRoundingRule) -> BigInt {
        let q = a.floorDivided(by: b)
        let r = a - q * b
        let half = compare(r + r, b)
        return decide(floor: q, exact: r.isZero, half: half, negative: a.signum() < 0, rule)
    }

    /// round(√(a / b)) for a >= 0, b > 0, exactly.
    static func squareRoot(_ a: BigInt, _ b: BigInt, _ rule: FloatingPointRoundingRule) -> BigInt {
        let s = a.floorDivided(by: b).squareRoot()  // floor(√(a/b)) = floor(√floor(a/b))
        let exact = s * s * b == a
        // √(a/b) against s + 1/2  ⇔  4a against (2s + 1)² b
        let twoSPlusOne = s + s + BigInt(1)
        let half = compare(BigInt(4) * a, twoSPlusOne * twoSPlusOne * b)
        return decide(floor: s, exact: exact, half: half, negative: false, rule)
    }

    static func compare(_ x: BigInt, _ y: BigInt) -> Int {
        x < y ? -1 : (x == y ? 0 : 1)
    }

    /// (a·10^k, b) or (a, b·10^-k).
    static func scaled(_ a: BigInt, _ b: BigInt, byPowerOfTen k: Int) -> (BigInt, BigInt) {
        k >= 0 ? (a * BigInt(10).power(k), b) : (a, b * BigInt(10).power(-k))
    }

    /// floor(log10(a / b)) for a, b > 0.
    static func decimalExponent(_ a: BigInt, _ b: BigInt) -> Int {
        // a < 10^da and b >= 10^(db−1), so a/b < 10^(da−db+1): e starts at or above the
        // answer and only ever moves down to the largest e with a/b >= 10^e.
        var e = a.toString().count - b.toString().count
        func atLeastPower(_ k: Int) -> Bool {
            let (x, y) = scaled(b, BigInt(1), byPowerOfTen: k)  // b·10^k or b/10^-k as x/y
            return a * y >= x
        }
        while !atLeastPower(e) { e -= 1 }
        return e
    }

    /// Rounds to `digits` significant digits given floor(log10|v|) = `exponent`;
    /// `roundedAt(k)` must return round(v·10^k).
    static func significant(digits: Int, exponent: Int, _ roundedAt: (Int) -> BigInt) -> String {
        var shift = digits - 1 - exponent
        var r = roundedAt(shift)
        if r.magnitude == BigInt(10).power(digits) {
            // Rounding carried into a new digit: 9.99… → 10.0; drop the extra zero.
            r = r / BigInt(10)
            shift -= 1
        }
        if shift >= 0 { return format(r, fractionDigits: shift) }
        return format(r * BigInt(10).power(-shift), fractionDigits: 0)
    }

    /// `value · 10^-fractionDigits` as a plain decimal string.
    static func format(_ value: BigInt, fractionDigits: Int) -> String {
        let negative = value.signum() < 0
        var digits = value.magnitude.toString()
        if fractionDigits > 0 {
            if digits.count <= fractionDigits {
                digits = String(repeating: "0", count: fractionDigits - digits.count + 1) + digits
            }
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -fractionDigits))
        }
        return negative ? "-" + digits : digits
    }
}
