/// Runs a plan over one node's rows: the local, exact half of a query. Each row that
/// passes the filter adds, to every term of its group cell, the product of the term's
/// cells — an exact Int128 (two Int64 factors at most) added in Z_{2^128}. The planner
/// has proved that the true sums fit, so the wrapped sums read as Int128 are exact.
public struct LocalAggregation: Sendable {
    public let plan: Plan
    /// The running sums, `groupCount × terms.count`, group major.
    public private(set) var sums: [UInt128]
    /// Rows read so far (filtered or not).
    public private(set) var rowsRead: Int64 = 0

    private let termFactors: [(Int, Int)]  // -1 for "no factor"
    private let termPresent: [[Int]]
    private let termCount: Int

    public init(plan: Plan) {
        self.plan = plan
        sums = Array(repeating: 0, count: plan.vectorLength)
        termCount = plan.terms.count
        termFactors = plan.terms.map { term in
            (term.factors.count > 0 ? term.factors[0] : -1, term.factors.count > 1 ? term.factors[1] : -1)
        }
        termPresent = plan.terms.map(\.present)
    }

    /// Adds one row (cells in the order of `plan.columns`, as a `RowSource` yields them).
    public mutating func add(_ cells: [Cell]) {
        rowsRead += 1
        if let filter = plan.filter, Self.evaluate(filter, cells) != true { return }
        var cell = 0
        for key in plan.groups {
            cell = cell * key.levelCount + Self.level(of: cells[key.column], key)
        }
        let base = cell * termCount
        for t in 0..<termCount {
            var present = true
            for column in termPresent[t] where cells[column] == nil {
                present = false
                break
            }
            guard present else { continue }
            let (first, second) = termFactors[t]
            let value: Int128
            if first < 0 {
                value = 1
            } else if second < 0 {
                value = Int128(cells[first]!)
            } else {
                value = Int128(cells[first]!) * Int128(cells[second]!)
            }
            sums[base + t] &+= UInt128(bitPattern: value)
        }
    }

    /// Reads every row of `source` (which must yield `plan.columns`) and returns the
    /// vector. Data errors from the source end the run: a query never skips a row.
    public static func run(_ plan: Plan, over source: inout some RowSource) throws(DataError) -> [UInt128] {
        precondition(source.columns.map(\.name) == plan.columns.map(\.name), "the source must yield the plan's columns")
        var aggregation = LocalAggregation(plan: plan)
        var cells = [Cell](repeating: nil, count: plan.columns.count)
        while try source.next(into: &cells) {
            aggregation.add(cells)
        }
        return aggregation.sums
    }

    /// The level of a cell in a group key.
    @inline(__always)
    static func level(of cell: Cell, _ key: GroupKey) -> Int {
        guard let value = cell else {
            // Only a nullable column yields NULL (the source checks), and its key has
            // a NULL level, the last.
            return key.levelCount - 1
        }
        switch key.kind {
        case .values: return Int(value)
        case .widthBucket(let parameters): return parameters.bucket(value)
        }
    }

    /// SQL's three-valued evaluation: nil is unknown.
    static func evaluate(_ condition: Condition, _ cells: [Cell]) -> Bool? {
        switch condition {
        case .constant(let value): return value
        case .isNull(let column, let negated): return (cells[column] == nil) != negated
        case .compare(let column, let op, let constant):
            guard let value = cells[column] else { return nil }
            return compare(Int128(value), op, Int128(constant))
        case .compareColumns(let left, let op, let right, let leftShift, let rightShift):
            guard let a = cells[left], let b = cells[right] else { return nil }
            return compare(Int128(a) * powersOf10[leftShift], op, Int128(b) * powersOf10[rightShift])
        case .inSet(let column, let values, let containsNull):
            guard let value = cells[column] else { return nil }
            if values.contains(value) { return true }
            return containsNull ? nil : false
        case .and(let a, let b):
            let x = evaluate(a, cells)
            if x == false { return false }
            let y = evaluate(b, cells)
            if y == false { return false }
            return (x == true && y == true) ? true : nil
        case .or(let a, let b):
            let x = evaluate(a, cells)
            if x == true { return true }
            let y = evaluate(b, cells)
            if y == true { return true }
            return (x == false && y == false) ? false : nil
        case .not(let a):
            return evaluate(a, cells).map { !$0 }
        }
    }

    @inline(__always)
    static func compare(_ a: Int128, _ op: ComparisonOperator, _ b: Int128) -> Bool {
        switch op {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    /// 10^0 … 10^maximumScale, for the scale differences of two columns (an Int64 cell
    /// times 10^18 stays far inside Int128). A table, because the filter runs per row.
    static let powersOf10: [Int128] = (0...ColumnType.maximumScale).reduce(into: []) { table, n in
        table.append(n == 0 ? 1 : table[n - 1] * 10)
    }
}
