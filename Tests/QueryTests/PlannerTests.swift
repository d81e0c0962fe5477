import BigNum
import Crypto
import Foundation
import Query
import Testing

@Suite("Planner")
struct PlannerTests {
    static let catalog = TestCatalog.catalog

    @Test func theSameQueryWrittenDifferentlyHasTheSameHash() throws {
        let a = try Planner.plan(
            sql: "SELECT district, AVG(cost) FROM visits WHERE age >= 65 GROUP BY district", catalog: Self.catalog, participants: 3)
        let b = try Planner.plan(
            sql: "select   DISTRICT,\n avg(COST)\nfrom Visits where AGE>=65 group by District;", catalog: Self.catalog, participants: 3)
        #expect(a.hash == b.hash)
        #expect(a.hash.count == 32)
        // The encoding names the dataset, the filter and the sums.
        let text = String(decoding: a.canonicalEncoding, as: UTF8.self)
        #expect(text.hasPrefix("fedstat-plan 2\ndataset \"visits\"\n"))
        #expect(text.contains("where (cmp 1 >= 65)"))
    }

    @Test(arguments: [
        "SELECT district, AVG(cost) FROM visits WHERE age >= 66 GROUP BY district",
        "SELECT district, SUM(cost) FROM visits WHERE age >= 65 GROUP BY district",
        "SELECT district, AVG(cost) AS mean FROM visits WHERE age >= 65 GROUP BY district",
        "SELECT district, AVG(days) FROM visits WHERE age >= 65 GROUP BY district",
        "SELECT ward, AVG(cost) FROM visits WHERE age >= 65 GROUP BY ward",
    ])
    func anyChangeChangesTheHash(_ sql: String) throws {
        let base = try Planner.plan(
            sql: "SELECT district, AVG(cost) FROM visits WHERE age >= 65 GROUP BY district", catalog: Self.catalog, participants: 3)
        #expect(try Planner.plan(sql: sql, catalog: Self.catalog, participants: 3).hash != base.hash)
    }

    @Test func theParticipantCountAndTheCatalogAreBound() throws {
        let sql = "SELECT AVG(cost) FROM visits"
        let three = try Planner.plan(sql: sql, catalog: Self.catalog, participants: 3)
        #expect(try Planner.plan(sql: sql, catalog: Self.catalog, participants: 4).hash != three.hash)
        var widened = TestCatalog.visits
        widened.columns[2].type = .decimal(scale: 2, min: 0, max: 25_000_001)
        let other = Catalog(datasets: [widened])
        #expect(try Planner.plan(sql: sql, catalog: other, participants: 3).hash != three.hash)
    }

    @Test func theVectorLayout() throws {
        let plan = try Planner.plan(
            sql: "SELECT insured, district, AVG(cost), VAR_SAMP(cost) FROM visits GROUP BY insured, district",
            catalog: Self.catalog, participants: 2)
        // insured: false, true, NULL; district: 3 values.
        #expect(plan.groupCount == 9)
        // COUNT(*), count(cost), Σcost, Σcost².
        #expect(plan.terms.count == 4)
        #expect(plan.vectorLength == 36)
        #expect(plan.columns.map(\.name) == ["district", "cost", "insured"])
        // Σcost² ≤ 2 × 10^6 × (25 000 000)²: 63 bits plus a sign.
        #expect(plan.slotBits == (BigInt(2_000_000) * BigInt(25_000_000) * BigInt(25_000_000)).bitLength + 1)
    }

    /// The planner computes bucket edges with integer arithmetic (machine integers when
    /// they cannot overflow, big integers otherwise); every edge must equal the boundary
    /// low + i·(high − low)/buckets computed as an exact rational and rounded (ceiling
    /// ascending, floor descending), clamped to Int64.
    @Test(arguments: [
        ("x1", "0", "100", 10),
        ("x1", "-3.7", "12.35", 9_999),
        ("x1", "100", "-3", 7),
        ("y", "0.005", "1000.3", 3),
        ("y", "-99999999999999999999.99", "99999999999999999999.99", 5),
        ("y", "123456789012345678.12", "-0.01", 4),
        ("x2", "1", "1.0000000000000000001", 10_000),
    ])
    func widthBucketEdgesAreExact(column: String, low: String, high: String, buckets: Int) throws {
        let plan = try Planner.plan(
            sql: "SELECT COUNT(*) FROM measures GROUP BY WIDTH_BUCKET(\(column), \(low), \(high), \(buckets))",
            catalog: TestCatalog.catalog, participants: 3)
        guard case .widthBucket(let parameters) = plan.groups[0].kind else {
            Issue.record("not a width-bucket group")
            return
        }
        let scale = column == "y" ? 2 : 1
        let unit = BigRational(BigInt(10).power(scale))
        let lowValue = BigRational(decimal: low)!
        let highValue = BigRational(decimal: high)!
        let expected = (0...buckets).map { i -> Int64 in
            let boundary = (lowValue + (highValue - lowValue) * BigRational(i) / BigRational(buckets)) * unit
            let edge = boundary.rounded(lowValue < highValue ? .up : .down)
            if edge > BigInt(Int64.max) { return .max }
            if edge < BigInt(Int64.min) { return .min }
            return Int64(Int(exactly: edge)!)
        }
        #expect(parameters.thresholds == expected)
        // The canonical encoding binds them by their SHA-256 (8 bytes big-endian each).
        var bytes: [UInt8] = []
        for edge in expected { bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: edge >> ($0 * 8)) } }
        let digest = SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
        let text = String(decoding: plan.canonicalEncoding, as: UTF8.self)
        #expect(text.contains(" \(buckets) thresholds-sha256 \(digest) "))
    }

    @Test func aQueryThatCouldOverflowIsRefused() throws {
        let huge = Dataset(
            name: "wide",
            columns: [Column(name: "v", type: .integer(min: -Int64.max, max: Int64.max), nullable: false)],
            maxRowsPerNode: 1_000_000_000_000)
        let catalog = Catalog(datasets: [huge])
        // Σv fits (2^63 × 10^12 × 3 < 2^127); Σv² does not.
        #expect(throws: Never.self) { try Planner.plan(sql: "SELECT SUM(v) FROM wide", catalog: catalog, participants: 3) }
        let error = sqlError { _ = try Planner.plan(sql: "SELECT VAR_SAMP(v) FROM wide", catalog: catalog, participants: 3) }
        #expect(error?.code == .overflow)
        #expect(error?.position.column == 8)
        #expect(error?.message.contains("v × v") == true)
    }

    @Test(arguments: [
        ("SELECT COUNT(*) FROM patients", SQLError.Code.unknownDataset, 1, 22),
        ("SELECT AVG(price) FROM visits", .unknownColumn, 1, 12),
        ("SELECT age, COUNT(*) FROM visits GROUP BY age", .unsupported, 1, 43),
        ("SELECT SUM(district) FROM visits", .typeMismatch, 1, 12),
        ("SELECT district, COUNT(*) FROM visits", .invalid, 1, 8),
        ("SELECT COUNT(*) FROM visits WHERE district = 'west'", .typeMismatch, 1, 46),
        ("SELECT COUNT(*) FROM visits WHERE district < 'north'", .unsupported, 1, 46),
        ("SELECT COUNT(*) FROM visits WHERE age = 'old'", .typeMismatch, 1, 41),
        ("SELECT COUNT(*) FROM visits WHERE age", .typeMismatch, 1, 35),
        ("SELECT COUNT(*) FROM visits WHERE district = age", .typeMismatch, 1, 35),
        ("SELECT COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(district, 0, 1, 2)", .typeMismatch, 1, 51),
        ("SELECT COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 0, 100, 0)", .invalid, 1, 64),
        ("SELECT COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 5, 5, 3)", .invalid, 1, 56),
        ("SELECT WIDTH_BUCKET(age, 0, 100, 5), COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 0, 100, 4)", .invalid, 1, 8),
        ("SELECT COUNT(*), COUNT(*) FROM visits", .invalid, 1, 18),
        ("SELECT COUNT(*) FROM visits GROUP BY ward, ward", .invalid, 1, 44),
    ])
    func mistakesNameWhatAndWhere(sql: String, code: SQLError.Code, line: Int, column: Int) {
        let error = sqlError { _ = try Planner.plan(sql: sql, catalog: Self.catalog, participants: 2) }
        #expect(error?.code == code, "\(sql): \(String(describing: error))")
        #expect(error?.position.line == line, "\(sql)")
        #expect(error?.position.column == column, "\(sql): \(String(describing: error))")
        #expect(error?.message.isEmpty == false)
    }

    @Test func theWhereClauseCompilesToExactIntegerComparisons() throws {
        let plan = try Planner.plan(
            sql: "SELECT COUNT(*) FROM visits WHERE cost > 12.345 AND district IN ('east', 'north') AND insured",
            catalog: Self.catalog, participants: 1)
        // cost > 12.345 on cents is cost > 1234; categories become their indices.
        #expect(plan.filter == .and(
            .and(.compare(column: 1, .greater, 1234), .inSet(column: 0, values: [0, 2], containsNull: false)),
            .compare(column: 2, .equal, 1)))
    }
}

/// A query built to exhaust a node's stack or memory is refused before it is planned.
@Suite("Query size limits")
struct QueryLimitTests {
    @Test func deepNestingIsRefused() {
        let deep = "SELECT COUNT(*) FROM visits WHERE " + String(repeating: "(", count: 100_000 / 2 - 40) + "age > 1"
            + String(repeating: ")", count: 10)
        #expect(sqlError { _ = try SQLParser.parse(deep) }?.code == .invalid)
        let nots = "SELECT COUNT(*) FROM visits WHERE " + String(repeating: "NOT ", count: 65) + "age > 1"
        #expect(sqlError { _ = try SQLParser.parse(nots) }?.code == .invalid)
        let fine = "SELECT COUNT(*) FROM visits WHERE " + String(repeating: "NOT ", count: 64) + "age > 1"
        #expect(sqlError { _ = try SQLParser.parse(fine) } == nil)
    }

    @Test func tooManyConditionsOrTooLongAQueryIsRefused() {
        let many = "SELECT COUNT(*) FROM visits WHERE " + Array(repeating: "age > 1", count: 1_001).joined(separator: " AND ")
        let error = sqlError { _ = try SQLParser.parse(many) }
        #expect(error?.code == .invalid)
        #expect(error?.message.contains("1000") == true)
        let long = "SELECT COUNT(*) FROM visits -- " + String(repeating: "x", count: 100_000)
        #expect(sqlError { _ = try SQLParser.parse(long) }?.code == .invalid)
    }
}
