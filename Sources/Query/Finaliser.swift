import BigNum

/// A query's answer: exact values, rounded only when shown.
public struct ResultTable: Sendable, Equatable {
    /// Column headings (a `LINREG` item contributes several columns).
    public var headings: [String]
    /// One row per group that has rows (or exactly one row without `GROUP BY`), in key
    /// order: category values in catalog order, false before true, buckets ascending,
    /// the NULL group last.
    public var rows: [[ResultValue]]
    /// How many values were hidden by small-cell suppression.
    public var suppressedValues: Int

    /// The table as text: every value via `ResultValue.text(significantDigits:)`.
    public func texts(significantDigits: Int = 15) -> [[String]] {
        rows.map { $0.map { $0.text(significantDigits: significantDigits) } }
    }
}

/// One value of a result.
public enum ResultValue: Sendable, Equatable {
    /// SQL NULL (e.g. the average of no values, the sample variance of one).
    case null
    /// A group label: a category value, `true`/`false`, a bucket number.
    case label(String)
    /// An exact rational (counts and sums are integers or terminating decimals).
    case exact(BigRational)
    /// ±√x for an exact rational x ≥ 0 (standard deviations, correlations, standard
    /// errors), kept exact until shown.
    case squareRoot(BigRational, negative: Bool)
    /// Hidden by small-cell suppression.
    case suppressed

    /// The value as text: exact when it is a terminating decimal, otherwise correctly
    /// rounded (once, half away from zero) to `significantDigits` significant digits;
    /// `NULL` for NULL; `suppressed` for a hidden value.
    public func text(significantDigits: Int = 15) -> String {
        switch self {
        case .null: return "NULL"
        case .label(let text): return text
        case .suppressed: return "suppressed"
        case .exact(let value): return Self.format(value, significantDigits: significantDigits)
        case .squareRoot(let square, let negative):
            let sign = negative && !square.isZero ? "-" : ""
            if let root = Self.exactSquareRoot(square) {
                return sign + Self.format(root, significantDigits: significantDigits)
            }
            return sign + square.squareRootDecimalString(significantDigits: significantDigits)
        }
    }

    /// The exact value when it is rational (for tests and comparisons).
    public var rational: BigRational? {
        switch self {
        case .exact(let value): value
        case .squareRoot(let square, let negative): Self.exactSquareRoot(square).map { negative ? BigRational(0) - $0 : $0 }
        default: nil
        }
    }

    /// A rational in full when its decimal expansion terminates, else rounded.
    static func format(_ value: BigRational, significantDigits: Int) -> String {
        // Counts and integer sums, most cells of a result: their digits, with no rounding.
        if value.isInteger { return value.numerator.toString() }
        if let digits = terminatingFractionDigits(value.denominator) {
            return value.decimalString(fractionDigits: digits)
        }
        return value.decimalString(significantDigits: significantDigits)
    }

    /// The number of fraction digits of 1/d if it terminates (d = 2^a 5^b), else nil.
    static func terminatingFractionDigits(_ denominator: BigInt) -> Int? {
        var d = denominator
        var twos = 0
        var fives = 0
        while d.isEven {
            d = d >> 1
            twos += 1
        }
        let five = BigInt(5)
        while d.isMultiple(of: five) {
            d = d / five
            fives += 1
        }
        return d == 1 ? Swift.max(twos, fives) : nil
    }

    /// √x when x is the square of a rational.
    static func exactSquareRoot(_ x: BigRational) -> BigRational? {
        let (a, ra) = x.numerator.squareRootAndRemainder()
        let (b, rb) = x.denominator.squareRootAndRemainder()
        guard ra.isZero, rb.isZero else { return nil }
        return BigRational(numerator: a, denominator: b)
    }
}

/// Turns the summed vector into the result table (DESIGN.md, "Query lifecycle" step 6):
/// exact rational arithmetic for every statistic, then small-cell suppression.
public enum Finaliser {
    /// - Parameters:
    ///   - sums: the federation-wide sums, as `LocalAggregation` lays them out, in
    ///     Z_{2^128} (read as Int128: the planner proved they fit).
    ///   - minGroupSize: `k`: a group with fewer rows, and a value computed from fewer
    ///     than `k` rows, is hidden; 0 or 1 hides nothing.
    public static func finalise(_ plan: Plan, sums: [UInt128], minGroupSize: Int = 0) -> ResultTable {
        precondition(sums.count == plan.vectorLength, "the vector does not have the plan's length")
        let termCount = plan.terms.count
        let scales = plan.terms.map { term in term.factors.reduce(0) { $0 + (plan.columns[$1].type.numeric?.scale ?? 0) } }
        let rowCount = plan.rowCountTerm

        // The headings.
        var headings: [String] = []
        for output in plan.outputs {
            if case .aggregate(.linreg, let arguments, _) = output.kind {
                headings += linregHeadings(output.heading, regressors: arguments.dropFirst().map { plan.columns[$0].name })
            } else {
                headings.append(output.heading)
            }
        }

        // Which group cells appear.
        var cells: [Int] = []
        for cell in 0..<plan.groupCount where plan.groups.isEmpty || Int128(bitPattern: sums[cell * termCount + rowCount]) > 0 {
            cells.append(cell)
        }

        var rows: [[ResultValue]] = []
        // Per row and output column: the number of rows behind the value (for
        // suppression); nil for labels.
        var support: [[Int128?]] = []
        var levels = [Int](repeating: 0, count: plan.groups.count)
        rows.reserveCapacity(cells.count)
        support.reserveCapacity(cells.count)
        for cell in cells {
            let base = cell * termCount
            func value(_ term: Int) -> BigRational {
                let raw = BigInt(Int128(bitPattern: sums[base + term]))
                return scales[term] == 0 ? BigRational(raw) : BigRational(numerator: raw, denominator: BigInt(10).power(scales[term]))
            }
            func count(_ term: Int) -> Int128 { Int128(bitPattern: sums[base + term]) }
            Self.levels(of: cell, plan.groups, into: &levels)
            var row: [ResultValue] = []
            var rowSupport: [Int128?] = []
            for output in plan.outputs {
                switch output.kind {
                case .group(let key):
                    row.append(label(levels[key], plan.groups[key], plan.columns[plan.groups[key].column]))
                    rowSupport.append(nil)
                case .aggregate(let function, let arguments, let terms):
                    let n = count(terms.count)
                    let values = aggregate(function, n: n, terms: terms, value: value, regressors: arguments.count - 1)
                    row += values
                    rowSupport += Array(repeating: Swift.min(n, count(rowCount)), count: values.count)
                }
            }
            rows.append(row)
            support.append(rowSupport)
        }

        var suppressed = 0
        if minGroupSize > 1 {
            suppressed = suppress(&rows, support: support, cells: cells, groups: plan.groups, k: Int128(minGroupSize))
        }
        return ResultTable(headings: headings, rows: rows, suppressedValues: suppressed)
    }

    static func linregHeadings(_ heading: String, regressors: [String]) -> [String] {
        let names = ["intercept"] + regressors
        return names.map { "\(heading).\($0)" } + names.map { "\(heading).se_\($0)" }
            + ["\(heading).r2", "\(heading).residual_se"]
    }

    /// The level of every key for a group cell (mixed radix, first key outermost).
    static func levels(of cell: Int, _ groups: [GroupKey], into levels: inout [Int]) {
        var rest = cell
        for index in groups.indices.reversed() {
            levels[index] = rest % groups[index].levelCount
            rest /= groups[index].levelCount
        }
    }

    static func label(_ level: Int, _ key: GroupKey, _ column: Column) -> ResultValue {
        if key.nullLevel && level == key.levelCount - 1 { return .null }
        switch key.kind {
        case .widthBucket: return .label(String(level))
        case .values:
            switch column.type {
            case .category(let values): return .label(values[level])
            case .boolean: return .label(level == 1 ? "true" : "false")
            case .integer, .decimal: preconditionFailure("a value key on a numeric column")
            }
        }
    }

    // MARK: Statistics (SQL:2003 / PostgreSQL semantics, exact)

    static func aggregate(
        _ function: AggregateFunction, n count: Int128, terms: AggregateTerms, value: (Int) -> BigRational, regressors: Int
    ) -> [ResultValue] {
        let n = BigRational(BigInt(count))
        switch function {
        case .countRows, .count, .regrCount:
            return [.exact(n)]
        case .sum:
            return count == 0 ? [.null] : [.exact(value(terms.sums[0]))]
        case .avg:
            return count == 0 ? [.null] : [.exact(value(terms.sums[0]) / n)]
        case .varPop, .varSamp, .stddevPop, .stddevSamp:
            let sample = function == .varSamp || function == .stddevSamp
            guard count >= (sample ? 2 : 1) else { return [.null] }
            let sx = value(terms.sums[0])
            let sxx = value(terms.products[0][0])
            // n Σx² − (Σx)², divided by n² (population) or n(n−1) (sample).
            let spread = n * sxx - sx * sx
            let variance = spread / (sample ? n * (n - BigRational(1)) : n * n)
            return function == .varPop || function == .varSamp ? [.exact(variance)] : [.squareRoot(variance, negative: false)]
        case .covarPop, .covarSamp, .corr, .regrSlope, .regrIntercept, .regrR2:
            // Arguments (y, x): sums [Σy, Σx]; products [[Σyy, Σyx], [Σxx]].
            let sample = function == .covarSamp
            guard count >= (sample ? 2 : 1) else { return [.null] }
            let sy = value(terms.sums[0])
            let sx = value(terms.sums[1])
            let syy = n * value(terms.products[0][0]) - sy * sy
            let sxy = n * value(terms.products[0][1]) - sx * sy
            let sxx = n * value(terms.products[1][0]) - sx * sx
            switch function {
            case .covarPop: return [.exact(sxy / (n * n))]
            case .covarSamp: return [.exact(sxy / (n * (n - BigRational(1))))]
            case .corr:
                guard !sxx.isZero, !syy.isZero else { return [.null] }
                return [.squareRoot(sxy * sxy / (sxx * syy), negative: sxy.signum() < 0)]
            case .regrSlope:
                return sxx.isZero ? [.null] : [.exact(sxy / sxx)]
            case .regrIntercept:
                guard !sxx.isZero else { return [.null] }
                return [.exact((sy - sxy / sxx * sx) / n)]
            default:  // regrR2
                guard !sxx.isZero else { return [.null] }
                guard !syy.isZero else { return [.exact(BigRational(1))] }
                return [.exact(sxy * sxy / (sxx * syy))]
            }
        case .linreg:
            return linearRegression(n: count, terms: terms, value: value, regressors: regressors)
        }
    }

    /// Multiple least squares with an intercept, from the sums of the normal equations,
    /// solved exactly: coefficients, their standard errors, R² and the residual
    /// standard error. NULL where they are undefined (singular X'X; no residual degrees
    /// of freedom for the errors; no variation in y for R²).
    static func linearRegression(n count: Int128, terms: AggregateTerms, value: (Int) -> BigRational, regressors k: Int) -> [ResultValue] {
        let width = 2 * (k + 1) + 2
        guard count >= 1 else { return Array(repeating: .null, count: width) }
        let n = BigRational(BigInt(count))
        // Arguments: 0 = y, 1…k = x. Σ(arg i × arg j) for i ≤ j is products[i][j − i].
        func product(_ i: Int, _ j: Int) -> BigRational {
            let (a, b) = i <= j ? (i, j) : (j, i)
            return value(terms.products[a][b - a])
        }
        // X'X over the design [1, x1 … xk] and X'y.
        let size = k + 1
        var a = Array(repeating: Array(repeating: BigRational(0), count: size), count: size)
        var b = Array(repeating: BigRational(0), count: size)
        a[0][0] = n
        for i in 1...k {
            a[0][i] = value(terms.sums[i])
            a[i][0] = a[0][i]
            for j in 1...k { a[i][j] = product(i, j) }
            b[i] = product(0, i)
        }
        b[0] = value(terms.sums[0])
        guard let inverse = invert(a) else { return Array(repeating: .null, count: width) }
        let beta = (0..<size).map { i in (0..<size).reduce(BigRational(0)) { $0 + inverse[i][$1] * b[$1] } }
        // RSS = y'y − β'X'y (since X'Xβ = X'y); TSS = Σy² − (Σy)²/n.
        let syy = product(0, 0)
        let rss = syy - (0..<size).reduce(BigRational(0)) { $0 + beta[$1] * b[$1] }
        let tss = syy - b[0] * b[0] / n
        var result = beta.map { ResultValue.exact($0) }
        let degrees = count - Int128(size)
        if degrees > 0 {
            let sigma2 = rss / BigRational(BigInt(degrees))
            result += (0..<size).map { ResultValue.squareRoot(sigma2 * inverse[$0][$0], negative: false) }
            result.append(tss.isZero ? .null : .exact(BigRational(1) - rss / tss))
            result.append(.squareRoot(sigma2, negative: false))
        } else {
            result += Array(repeating: .null, count: size)
            result.append(tss.isZero ? .null : .exact(BigRational(1) - rss / tss))
            result.append(.null)
        }
        return result
    }

    /// The inverse of a square matrix by exact Gauss–Jordan elimination; nil if singular.
    static func invert(_ matrix: [[BigRational]]) -> [[BigRational]]? {
        let size = matrix.count
        var m = matrix
        var inverse = (0..<size).map { i in (0..<size).map { BigRational($0 == i ? 1 : 0) } }
        for column in 0..<size {
            guard let pivot = (column..<size).first(where: { !m[$0][column].isZero }) else { return nil }
            m.swapAt(column, pivot)
            inverse.swapAt(column, pivot)
            let p = m[column][column]
            for j in 0..<size {
                m[column][j] = m[column][j] / p
                inverse[column][j] = inverse[column][j] / p
            }
            for row in 0..<size where row != column && !m[row][column].isZero {
                let factor = m[row][column]
                for j in 0..<size {
                    m[row][j] = m[row][j] - factor * m[column][j]
                    inverse[row][j] = inverse[row][j] - factor * inverse[column][j]
                }
            }
        }
        return inverse
    }

    // MARK: Suppression

    /// Small-cell suppression with complementary suppression. Primary: a value whose
    /// group has fewer than `k` rows, or which is computed from fewer than `k` rows, is
    /// hidden. Complementary: a released total (another query, or the same query
    /// without a key) minus the released cells of a line would give back a lone hidden
    /// cell, so along every line of the table (all groups that share every key but
    /// one, and the whole table for its grand total) a column never has exactly one
    /// hidden value: the smallest released one beside it is hidden too. Repeats until
    /// nothing changes. Labels stay visible. Returns the number of hidden values.
    static func suppress(_ rows: inout [[ResultValue]], support: [[Int128?]], cells: [Int], groups: [GroupKey], k: Int128) -> Int {
        guard !rows.isEmpty else { return 0 }
        let width = rows[0].count
        var hidden = support.map { $0.map { $0.map { $0 < k } ?? false } }
        // The lines: for each key, groups sharing all the other keys' levels; plus the
        // whole table.
        var lines: [[Int]] = [Array(rows.indices)]
        if groups.count > 1 {
            let levels = cells.map { cell in
                var levels = [Int](repeating: 0, count: groups.count)
                Finaliser.levels(of: cell, groups, into: &levels)
                return levels
            }
            for key in groups.indices {
                var byRest: [[Int]: [Int]] = [:]
                for (row, level) in levels.enumerated() {
                    var rest = level
                    rest.remove(at: key)
                    byRest[rest, default: []].append(row)
                }
                lines += byRest.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { byRest[$0]! }
            }
        }
        var changed = true
        while changed {
            changed = false
            for column in 0..<width where support[0][column] != nil {
                for line in lines {
                    let hiddenInLine = line.filter { hidden[$0][column] }
                    guard hiddenInLine.count == 1 else { continue }
                    let candidates = line.filter { !hidden[$0][column] }
                    guard let partner = candidates.min(by: { support[$0][column]! < support[$1][column]! }) else { continue }
                    hidden[partner][column] = true
                    changed = true
                }
            }
        }
        var count = 0
        for row in rows.indices {
            for column in 0..<width where hidden[row][column] {
                rows[row][column] = .suppressed
                count += 1
            }
        }
        return count
    }
}
