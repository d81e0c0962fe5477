import BigNum
import Query
import Testing

@Suite("Regression, histograms, NULLs and suppression")
struct SemanticsTests {
    /// measures rows: x1, x2 at scale 1, y at scale 2.
    static func measures(_ x1: [String], _ x2: [String?], _ y: [String]) -> [[Cell]] {
        zip(zip(x1, x2), y).map { pair, y in
            let (a, b) = pair
            return [scaled(a, 1), b.map { scaled($0, 1) }, scaled(y, 2)]
        }
    }

    @Test func simpleRegressionHasItsClosedForm() throws {
        // x = 1…5, y = 2, 4, 5, 4, 5: slope 3/5, intercept 11/5, R² 3/5, σ² = 0.8.
        let rows = Self.measures(["1", "2", "3", "4", "5"], [nil, nil, nil, nil, nil], ["2", "4", "5", "4", "5"])
        let result = try texts(
            "SELECT REGR_SLOPE(y, x1), REGR_INTERCEPT(y, x1), REGR_R2(y, x1), CORR(y, x1), LINREG(y, x1) AS fit FROM measures",
            rows: rows, dataset: TestCatalog.measures)
        #expect(result == [[
            "0.6", "2.2", "0.6", "0.774596669241483",
            "2.2", "0.6", "0.938083151964686", "0.282842712474619", "0.6", "0.894427190999916",
        ]])
        let headings = try federated("SELECT LINREG(y, x1) AS fit FROM measures", parts: [rows], dataset: TestCatalog.measures).1.headings
        #expect(headings == ["fit.intercept", "fit.x1", "fit.se_intercept", "fit.se_x1", "fit.r2", "fit.residual_se"])
    }

    @Test func multipleRegressionMatchesAnExactSolution() throws {
        let rows = Self.measures(
            ["1", "2", "3", "4", "5", "6"], ["2", "1", "4", "3", "7", "5"], ["3.1", "4.0", "7.2", "6.9", "11.3", "10.1"])
        let (_, table) = try federated(
            "SELECT LINREG(y, x1, x2) FROM measures", parts: [Array(rows[0..<2]), Array(rows[2...])], dataset: TestCatalog.measures)
        #expect(table.texts() == [[
            "1.05262582056893", "0.858205689277899", "0.830087527352298",
            "0.399470244581305", "0.165565425256206", "0.143383864260248",
            "0.989734572885767", "0.423037365597256",
        ]])
        #expect(table.rows[0][0].rational == BigRational(numerator: 9621, denominator: 9140))
        #expect(table.rows[0][6].rational == BigRational(numerator: 4_731_149, denominator: 4_780_220))
    }

    @Test func anExactFitHasZeroErrors() throws {
        // y = 3 + 2 x1 − 0.5 x2 exactly.
        let rows = Self.measures(["1", "2", "3", "4", "5"], ["2", "1", "4", "3", "7"], ["4", "6.5", "7", "9.5", "9.5"])
        #expect(try texts("SELECT LINREG(y, x1, x2) FROM measures", rows: rows, dataset: TestCatalog.measures) == [[
            "3", "2", "-0.5", "0", "0", "0", "1", "0",
        ]])
    }

    @Test func regressionOnCollinearOrTooFewRowsIsNull() throws {
        let collinear = Self.measures(["1", "2", "3"], ["2", "4", "6"], ["1", "2", "3"])
        #expect(try texts("SELECT LINREG(y, x1, x2) FROM measures", rows: collinear, dataset: TestCatalog.measures) == [
            Array(repeating: "NULL", count: 8)
        ])
        let exactlyDetermined = Self.measures(["1", "2"], [nil, nil], ["1", "3"])
        #expect(try texts("SELECT LINREG(y, x1) FROM measures", rows: exactlyDetermined, dataset: TestCatalog.measures) == [[
            "-1", "2", "NULL", "NULL", "1", "NULL",
        ]])
    }

    /// PostgreSQL's width_bucket: below low → 0, at or above high → buckets + 1, a value
    /// on a boundary opens the next bucket; reversed bounds count downwards.
    @Test func widthBucketEdges() throws {
        let ages: [Int64] = [0, 9, 10, 11, 99, 100, 120]
        let rows: [[Cell]] = ages.map { [0, $0, nil, nil, nil, nil] }
        let result = try texts(
            "SELECT WIDTH_BUCKET(age, 10, 100, 9), COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 10, 100, 9)", rows: rows)
        // 0, 9 → 0; 10, 11 → 1; 99 → 9; 100, 120 → 10.
        #expect(result == [["0", "2"], ["1", "2"], ["9", "1"], ["10", "2"]])

        let reversed = try texts(
            "SELECT WIDTH_BUCKET(age, 100, 10, 9), COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 100, 10, 9)", rows: rows)
        // > 100 → 0 (120); 100 → 1; 99 → 1; 11 → 9; 10, 9, 0 → 10.
        #expect(reversed == [["0", "1"], ["1", "2"], ["9", "1"], ["10", "3"]])

        // Boundaries that are not whole cents: cost in [0, 1) cut into 3.
        let costs: [Int64] = [0, 33, 34, 66, 67, 99, 100]
        let costRows: [[Cell]] = costs.map { [0, 1, $0, nil, nil, nil] }
        let thirds = try texts(
            "SELECT WIDTH_BUCKET(cost, 0, 1, 3), COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(cost, 0, 1, 3)", rows: costRows)
        // 0.33 < 1/3 ≤ 0.34; 0.66 < 2/3 ≤ 0.67.
        #expect(thirds == [["1", "2"], ["2", "2"], ["3", "2"], ["4", "1"]])
    }

    @Test func nullSemantics() throws {
        let rows: [[Cell]] = [
            [0, 70, 1000, 1, 5, 0],
            [0, 71, nil, nil, nil, nil],
            [1, 30, nil, 0, 7, 1],
        ]
        // COUNT(*) counts rows, COUNT(col) and the other aggregates skip NULLs; the
        // sample variance of one value, and every aggregate of no values, is NULL.
        #expect(try texts(
            "SELECT district, COUNT(*), COUNT(cost), SUM(cost), AVG(cost), VAR_SAMP(cost), VAR_POP(cost) FROM visits GROUP BY district",
            rows: rows) == [["north", "2", "1", "10", "10", "NULL", "0"], ["south", "1", "0", "NULL", "NULL", "NULL", "NULL"]])
        // NULL is a group of its own, the last.
        #expect(try texts("SELECT ward, COUNT(*) FROM visits GROUP BY ward", rows: rows) == [["a", "1"], ["b", "1"], ["NULL", "1"]])
        // Three-valued logic: NOT (unknown) keeps nothing; IS NULL is never unknown.
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE NOT cost > 5", rows: rows) == [["0"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost IS NULL", rows: rows) == [["2"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE days NOT IN (5, NULL)", rows: rows) == [["0"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE days IN (5, NULL)", rows: rows) == [["1"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE insured OR cost > 5", rows: rows) == [["1"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost = NULL", rows: rows) == [["0"]])
        // Without GROUP BY there is always one row, even over no rows.
        #expect(try texts("SELECT COUNT(*), SUM(cost), AVG(days) FROM visits WHERE age > 100", rows: rows) == [["0", "NULL", "NULL"]])
    }

    /// Literals with more decimals than the column are compared exactly, not rounded.
    @Test func literalsAreComparedExactly() throws {
        let rows: [[Cell]] = [1234, 1235, 1236].map { [0, 1, $0, nil, nil, nil] }
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost > 12.345", rows: rows) == [["2"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost < 12.345", rows: rows) == [["1"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost = 12.345", rows: rows) == [["0"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost <> 12.345", rows: rows) == [["3"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost BETWEEN 12.35 AND 12.360", rows: rows) == [["2"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE 12.35 <= cost", rows: rows) == [["2"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost < 99999999999999999999999", rows: rows) == [["3"]])
        #expect(try texts("SELECT COUNT(*) FROM visits WHERE cost > 99999999999999999999999", rows: rows) == [["0"]])
    }

    /// Columns of different scales are compared at a common scale (x1 has one decimal,
    /// y two).
    @Test func columnsOfDifferentScalesCompareExactly() throws {
        let rows = Self.measures(["1.5", "1.5", "1.5"], [nil, nil, nil], ["1.49", "1.50", "1.51"])
        let count = { (sql: String) in try texts(sql, rows: rows, dataset: TestCatalog.measures) }
        #expect(try count("SELECT COUNT(*) FROM measures WHERE y > x1") == [["1"]])
        #expect(try count("SELECT COUNT(*) FROM measures WHERE y = x1") == [["1"]])
        #expect(try count("SELECT COUNT(*) FROM measures WHERE x1 >= y") == [["2"]])
        #expect(try count("SELECT COUNT(*) FROM measures WHERE x2 = y") == [["0"]])
    }

    @Test func smallCellsAndTheirComplementsAreSuppressed() throws {
        // north 5 rows, south 1 row, east 3 rows; k = 3.
        let rows: [[Cell]] = Array(repeating: [0, 1, 100, nil, nil, nil], count: 5)
            + [[1, 1, 200, nil, nil, nil]] + Array(repeating: [2, 1, 300, nil, nil, nil], count: 3)
        let (_, table) = try federated("SELECT district, COUNT(*), SUM(cost) FROM visits GROUP BY district", parts: [rows], k: 3)
        // south is below k; east, the smallest other group, is hidden too, or the total
        // of a second query minus north would give south back.
        #expect(table.texts() == [["north", "5", "5"], ["south", "suppressed", "suppressed"], ["east", "suppressed", "suppressed"]])
        #expect(table.suppressedValues == 4)
        // A value computed from fewer than k rows is hidden even in a large group.
        let sparse: [[Cell]] = [[0, 1, 100, nil, nil, nil]] + Array(repeating: [0, 1, nil, nil, nil, nil], count: 4)
        let (_, single) = try federated("SELECT COUNT(*), AVG(cost) FROM visits", parts: [sparse], k: 3)
        #expect(single.texts() == [["5", "suppressed"]])
        // k = 0 hides nothing.
        let (_, open) = try federated("SELECT district, COUNT(*) FROM visits GROUP BY district", parts: [rows], k: 0)
        #expect(open.suppressedValues == 0)
    }

    @Test func twoKeySuppressionCoversRowsAndColumns() throws {
        // district × insured counts: north/false 1 (small), others large.
        var rows: [[Cell]] = [[0, 1, nil, 0, nil, nil]]
        rows += Array(repeating: [0, 1, nil, 1, nil, nil], count: 6)
        rows += Array(repeating: [1, 1, nil, 0, nil, nil], count: 4)
        rows += Array(repeating: [1, 1, nil, 1, nil, nil], count: 8)
        let (_, table) = try federated(
            "SELECT district, insured, COUNT(*) FROM visits WHERE insured IS NOT NULL GROUP BY district, insured", parts: [rows], k: 3)
        let hidden = table.rows.filter { $0[2] == .suppressed }.map { $0[0...1].map { $0.text() } }
        // Its row partner (north/true) and column partner (south/false) are hidden,
        // and then south/true so that no line has a lone hidden cell.
        #expect(hidden.count == 4)
        for line in [["north"], ["south"], ["false"], ["true"]] {
            let count = hidden.filter { $0.contains(line[0]) }.count
            #expect(count != 1, "line \(line[0]) has a lone hidden cell")
        }
    }
}
