import BigNum
import Query
import TestSupport
import Testing

/// An independent, pooled computation: statistics straight from the rows with two-pass
/// formulas over exact rationals — no terms, no vectors, no planner.
enum Pooled {
    static func values(_ rows: [[Cell]], _ column: Int, scale: Int) -> [BigRational] {
        rows.compactMap { $0[column] }.map { BigRational(numerator: BigInt($0), denominator: BigInt(10).power(scale)) }
    }

    static func pairs(_ rows: [[Cell]], _ y: (Int, Int), _ x: (Int, Int)) -> [(BigRational, BigRational)] {
        rows.compactMap { row in
            guard let a = row[y.0], let b = row[x.0] else { return nil }
            return (
                BigRational(numerator: BigInt(a), denominator: BigInt(10).power(y.1)),
                BigRational(numerator: BigInt(b), denominator: BigInt(10).power(x.1))
            )
        }
    }

    static func sum(_ values: [BigRational]) -> BigRational { values.reduce(BigRational(0), +) }

    static func mean(_ values: [BigRational]) -> BigRational? {
        values.isEmpty ? nil : sum(values) / BigRational(values.count)
    }

    /// Σ(v − mean)² by two passes.
    static func squares(_ values: [BigRational]) -> BigRational {
        let m = mean(values)!
        return sum(values.map { ($0 - m) * ($0 - m) })
    }

    static func crossProducts(_ pairs: [(BigRational, BigRational)]) -> BigRational {
        let my = mean(pairs.map(\.0))!
        let mx = mean(pairs.map(\.1))!
        return sum(pairs.map { ($0.0 - my) * ($0.1 - mx) })
    }

    static func variance(_ values: [BigRational], sample: Bool) -> ResultValue {
        guard values.count >= (sample ? 2 : 1) else { return .null }
        return .exact(squares(values) / BigRational(values.count - (sample ? 1 : 0)))
    }

    static func stddev(_ values: [BigRational], sample: Bool) -> ResultValue {
        guard case .exact(let v) = variance(values, sample: sample) else { return .null }
        return .squareRoot(v, negative: false)
    }
}

/// Random visits rows with NULLs, in dataset column order.
func randomVisits(count: Int, seed: UInt64) -> [[Cell]] {
    var random = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let district = Int64(random.next() % 3)
        let age = Int64(random.next() % 121)
        let cost: Cell = random.next() % 10 == 0 ? nil : Int64(random.next() % 2_500_001)
        let insured: Cell = random.next() % 10 == 0 ? nil : Int64(random.next() % 2)
        let days: Cell = random.next() % 20 == 0 ? nil : Int64(random.next() % 366)
        let ward: Cell = random.next() % 4 == 0 ? nil : Int64(random.next() % 2)
        return [district, age, cost, insured, days, ward]
    }
}

/// Splits rows into `k` parts at random cut points (some parts may be empty).
func split(_ rows: [[Cell]], into k: Int, seed: UInt64) -> [[[Cell]]] {
    var random = SplitMix64(seed: seed)
    var cuts = (0..<(k - 1)).map { _ in Int(random.next() % UInt64(rows.count + 1)) }.sorted()
    cuts = [0] + cuts + [rows.count]
    return (0..<k).map { Array(rows[cuts[$0]..<cuts[$0 + 1]]) }
}

@Suite("Federated results equal the pooled computation")
struct ExactnessTests {
    static let seeds: [UInt64] = [1, 2, 3, 4]

    /// Groups of the pooled rows, in the result's order, with their labels.
    static func groups(_ rows: [[Cell]], by column: Int, labels: [String], nullable: Bool) -> [(ResultValue, [[Cell]])] {
        var result: [(ResultValue, [[Cell]])] = []
        for (code, label) in labels.enumerated() {
            let members = rows.filter { $0[column] == Int64(code) }
            if !members.isEmpty { result.append((.label(label), members)) }
        }
        let nulls = rows.filter { $0[column] == nil }
        if nullable && !nulls.isEmpty { result.append((.null, nulls)) }
        return result
    }

    static func check(_ table: ResultTable, _ expected: [[ResultValue]]) {
        #expect(table.rows.count == expected.count)
        for (row, want) in zip(table.rows, expected) {
            // Same printed digits, and the same exact value wherever it is rational.
            #expect(row.map { $0.text() } == want.map { $0.text() })
            #expect(row.map(\.rational) == want.map(\.rational))
        }
    }

    @Test(arguments: seeds, [1, 2, 3, 5])
    func oneVariableStatisticsByDistrict(seed: UInt64, parts: Int) throws {
        let rows = randomVisits(count: 400, seed: seed)
        let sql = """
            SELECT district, COUNT(*), COUNT(cost), SUM(cost), AVG(cost), VAR_SAMP(cost), VAR_POP(cost),
                   STDDEV_SAMP(cost), STDDEV_POP(cost)
            FROM visits WHERE age >= 65 GROUP BY district
            """
        let (_, table) = try federated(sql, parts: split(rows, into: parts, seed: seed))
        let kept = rows.filter { $0[1]! >= 65 }
        let expected = Self.groups(kept, by: 0, labels: TestCatalog.districts, nullable: false).map { label, members in
            let cost = Pooled.values(members, 2, scale: 2)
            return [
                label, .exact(BigRational(members.count)), .exact(BigRational(cost.count)),
                cost.isEmpty ? .null : .exact(Pooled.sum(cost)), Pooled.mean(cost).map { .exact($0) } ?? .null,
                Pooled.variance(cost, sample: true), Pooled.variance(cost, sample: false),
                Pooled.stddev(cost, sample: true), Pooled.stddev(cost, sample: false),
            ]
        }
        #expect(table.headings == ["district", "count(*)", "count(cost)", "sum(cost)", "avg(cost)", "var_samp(cost)", "var_pop(cost)", "stddev_samp(cost)", "stddev_pop(cost)"])
        Self.check(table, expected)
    }

    @Test(arguments: seeds, [1, 3])
    func twoVariableStatisticsByInsurance(seed: UInt64, parts: Int) throws {
        let rows = randomVisits(count: 300, seed: seed)
        let sql = """
            SELECT insured, COVAR_SAMP(cost, age), COVAR_POP(cost, age), CORR(cost, age), REGR_SLOPE(cost, age),
                   REGR_INTERCEPT(cost, age), REGR_R2(cost, age), REGR_COUNT(cost, age)
            FROM visits GROUP BY insured
            """
        let (_, table) = try federated(sql, parts: split(rows, into: parts, seed: seed))
        let expected = Self.groups(rows, by: 3, labels: ["false", "true"], nullable: true).map { label, members -> [ResultValue] in
            let pairs = Pooled.pairs(members, (2, 2), (1, 0))
            let n = BigRational(pairs.count)
            let sxy = Pooled.crossProducts(pairs)
            let syy = Pooled.squares(pairs.map(\.0))
            let sxx = Pooled.squares(pairs.map(\.1))
            let slope = sxy / sxx
            return [
                label, .exact(sxy / (n - BigRational(1))), .exact(sxy / n),
                .squareRoot(sxy * sxy / (sxx * syy), negative: sxy.signum() < 0), .exact(slope),
                .exact(Pooled.mean(pairs.map(\.0))! - slope * Pooled.mean(pairs.map(\.1))!),
                .exact(sxy * sxy / (sxx * syy)), .exact(n),
            ]
        }
        Self.check(table, expected)
    }

    @Test(arguments: seeds, [2, 4])
    func histogramWithAThreeValuedFilter(seed: UInt64, parts: Int) throws {
        let rows = randomVisits(count: 500, seed: seed)
        let sql = """
            SELECT WIDTH_BUCKET(age, 0, 120, 12) AS band, COUNT(*), SUM(days), AVG(days)
            FROM visits
            WHERE district IN ('north', 'east') AND NOT cost > 1000   -- NULL cost: unknown, dropped
            GROUP BY WIDTH_BUCKET(age, 0, 120, 12)
            """
        let (_, table) = try federated(sql, parts: split(rows, into: parts, seed: seed))
        let kept = rows.filter { ($0[0] == 0 || $0[0] == 2) && $0[2] != nil && $0[2]! <= 100_000 }
        var expected: [[ResultValue]] = []
        for bucket in 0...13 {
            // PostgreSQL: floor(12 × age / 120) + 1 inside [0, 120); 13 at 120.
            let members = kept.filter { row in
                let age = row[1]!
                return (age >= 120 ? 13 : Int(age) * 12 / 120 + 1) == bucket
            }
            guard !members.isEmpty else { continue }
            let days = Pooled.values(members, 4, scale: 0)
            expected.append([
                .label(String(bucket)), .exact(BigRational(members.count)),
                days.isEmpty ? .null : .exact(Pooled.sum(days)), Pooled.mean(days).map { .exact($0) } ?? .null,
            ])
        }
        #expect(table.headings == ["band", "count(*)", "sum(days)", "avg(days)"])
        Self.check(table, expected)
    }

    /// Values that defeat naive floating point: the mean and variance are exact.
    @Test func valuesThatDefeatFloatingPoint() throws {
        let dataset = TestCatalog.measures
        let rows: [[Cell]] = [100_000_001, 100_000_002, 100_000_003].map { [$0, nil, nil] }  // 10000000.1 …
        let table = try federated(
            "SELECT AVG(x1), VAR_SAMP(x1), VAR_POP(x1), STDDEV_SAMP(x1), SUM(x1) FROM measures",
            parts: [Array(rows[0..<1]), Array(rows[1...])], dataset: dataset
        ).1
        #expect(table.texts() == [["10000000.2", "0.01", "0.00666666666666667", "0.1", "30000000.6"]])
        #expect(table.rows[0][2].rational == BigRational(numerator: 1, denominator: 150))
    }
}
