import BigNum

/// Turns a parsed query and the catalog into the canonical `Plan`: resolves names and
/// types, compiles the condition to exact integer comparisons, lays out the group cells
/// and the sums, and proves that no sum can overflow Z_{2^128}. Pure and deterministic:
/// the same statement, catalog and participant count give the same plan on every node.
public enum Planner {
    /// The largest number of entries a plan's vector may have.
    public static let maximumVectorLength = 1_000_000
    /// The largest `WIDTH_BUCKET` bucket count.
    public static let maximumBuckets = 10_000
    /// The most explanatory variables `LINREG` takes.
    public static let maximumRegressors = 16

    /// Parses `sql` and plans it.
    public static func plan(sql: String, catalog: Catalog, participants: Int) throws(SQLError) -> Plan {
        try plan(SQLParser.parse(sql), catalog: catalog, participants: participants)
    }

    /// Parses `sql` and plans it for the nodes among `nodes` that hold its dataset (the
    /// catalog's `held_by`, or all of them): the participants a coordinator proposes.
    /// For an unknown dataset, all of them (the planner then reports the name).
    public static func planForHolders(sql: String, catalog: Catalog, nodes: [String]) throws(SQLError)
        -> (plan: Plan, participants: [String])
    {
        let statement = try SQLParser.parse(sql)
        let participants = catalog.dataset(named: statement.from.name)?.participants(amongNodes: nodes) ?? nodes
        return (try plan(statement, catalog: catalog, participants: participants.count), participants)
    }

    /// Plans a parsed statement for `participants` nodes (at least 1).
    public static func plan(_ statement: SelectStatement, catalog: Catalog, participants: Int) throws(SQLError) -> Plan {
        precondition(participants >= 1, "a query has at least one participant")
        guard let dataset = catalog.dataset(named: statement.from.name) else {
            let known = catalog.datasets.map(\.name).joined(separator: ", ")
            throw SQLError(
                .unknownDataset, at: statement.from.position,
                "there is no dataset \(statement.from.name) in the catalog"
                    + (known.isEmpty ? "" : " (datasets: \(known))"))
        }
        var builder = PlanBuilder(dataset: dataset, participants: participants)
        return try builder.build(statement)
    }
}

/// The planner's working state for one statement.
struct PlanBuilder {
    let dataset: Dataset
    let participants: Int
    /// Dataset column indices the plan reads, in dataset order once `build` finishes.
    private var used: Set<Int> = []

    init(dataset: Dataset, participants: Int) {
        self.dataset = dataset
        self.participants = participants
    }

    /// Resolves a column name to its dataset index.
    mutating func resolve(_ identifier: Identifier) throws(SQLError) -> Int {
        guard let (index, _) = dataset.column(named: identifier.name) else {
            let known = dataset.columns.map(\.name).joined(separator: ", ")
            throw SQLError(
                .unknownColumn, at: identifier.position,
                "dataset \(dataset.name) has no column \(identifier.name) (columns: \(known))")
        }
        used.insert(index)
        return index
    }

    mutating func build(_ statement: SelectStatement) throws(SQLError) -> Plan {
        // Resolve every name first, so the projection (and the plan's column numbers)
        // is known before anything refers to it.
        for item in statement.items {
            switch item.expression {
            case .column(let identifier): _ = try resolve(identifier)
            case .widthBucket(let bucket): _ = try resolve(bucket.column)
            case .aggregate(let aggregate): for argument in aggregate.arguments { _ = try resolve(argument) }
            }
        }
        for item in statement.groupBy {
            switch item {
            case .column(let identifier): _ = try resolve(identifier)
            case .widthBucket(let bucket): _ = try resolve(bucket.column)
            }
        }
        if let predicate = statement.predicate { try collectColumns(predicate) }
        let projection = used.sorted()
        let planIndex = Dictionary(uniqueKeysWithValues: projection.enumerated().map { ($1, $0) })
        let columns = projection.map { dataset.columns[$0] }
        func column(_ identifier: Identifier) -> Int { planIndex[dataset.column(named: identifier.name)!.index]! }

        // Group keys.
        var groups: [GroupKey] = []
        var groupItems: [GroupItem] = []
        for item in statement.groupBy {
            if groupItems.contains(where: { Self.sameGroup($0, item) }) {
                throw SQLError(.invalid, at: Self.position(of: item), "this GROUP BY item is listed twice")
            }
            groupItems.append(item)
            switch item {
            case .column(let identifier):
                let index = column(identifier)
                let type = columns[index].type
                let count: Int
                switch type {
                case .category(let values): count = values.count
                case .boolean: count = 2
                case .integer, .decimal:
                    throw SQLError(
                        .unsupported, at: identifier.position,
                        "grouping by the numeric column \(identifier.name) is not supported: group numbers into ranges with WIDTH_BUCKET(\(identifier.name), low, high, buckets)")
                }
                groups.append(GroupKey(column: index, kind: .values(count: count), nullLevel: columns[index].nullable))
            case .widthBucket(let bucket):
                let index = column(bucket.column)
                let parameters = try Self.widthBucket(bucket, column: columns[index])
                groups.append(GroupKey(column: index, kind: .widthBucket(parameters), nullLevel: columns[index].nullable))
            }
        }

        // Terms and outputs. COUNT(*) is always term 0: it decides which groups exist.
        var terms: [Term] = [Term(factors: [], present: [])]
        var termOrigins: [SQLPosition] = [statement.from.position]
        func term(_ value: Term, origin: SQLPosition) -> Int {
            if let index = terms.firstIndex(of: value) { return index }
            terms.append(value)
            termOrigins.append(origin)
            return terms.count - 1
        }
        var outputs: [Output] = []
        var headings: Set<String> = []
        for item in statement.items {
            let heading = item.alias?.name ?? item.heading
            if !headings.insert(heading).inserted {
                throw SQLError(.invalid, at: item.position, "two result columns are called \(heading); give one an alias with AS")
            }
            switch item.expression {
            case .column(let identifier):
                guard let key = groupItems.firstIndex(where: { Self.sameGroup($0, .column(identifier)) }) else {
                    throw SQLError(
                        .invalid, at: identifier.position,
                        "column \(identifier.name) must appear in GROUP BY or be used in an aggregate")
                }
                outputs.append(Output(heading: heading, kind: .group(key)))
            case .widthBucket(let bucket):
                guard let key = groupItems.firstIndex(where: { Self.sameGroup($0, .widthBucket(bucket)) }) else {
                    throw SQLError(
                        .invalid, at: bucket.position,
                        "this WIDTH_BUCKET must also appear, with the same arguments, in GROUP BY")
                }
                outputs.append(Output(heading: heading, kind: .group(key)))
            case .aggregate(let aggregate):
                let arguments = aggregate.arguments.map(column)
                try Self.checkTypes(aggregate, columns: arguments.map { columns[$0] })
                let present = arguments
                let count = term(Term(factors: [], present: present), origin: aggregate.position)
                var sums: [Int] = []
                var products: [[Int]] = []
                if Self.needsSums(aggregate.function) {
                    for argument in arguments {
                        sums.append(term(Term(factors: [argument], present: present), origin: aggregate.position))
                    }
                }
                if Self.needsProducts(aggregate.function) {
                    for i in arguments.indices {
                        var row: [Int] = []
                        for j in i..<arguments.count {
                            row.append(term(Term(factors: [arguments[i], arguments[j]], present: present), origin: aggregate.position))
                        }
                        products.append(row)
                    }
                }
                outputs.append(
                    Output(
                        heading: heading,
                        kind: .aggregate(aggregate.function, arguments: arguments, terms: AggregateTerms(count: count, sums: sums, products: products))))
            }
        }

        var filter: Condition?
        if let predicate = statement.predicate {
            let dataset = self.dataset
            let compiler = ConditionCompiler(columns: columns) { name in planIndex[dataset.column(named: name)!.index]! }
            filter = try compiler.compile(predicate)
        }

        // The overflow proof: every term summed over every row any participant may hold.
        let rows = BigInt(Int64(participants)) * BigInt(dataset.maxRowsPerNode)
        let limitHigh = (BigInt(1) << 127) - BigInt(1)
        let limitLow = BigInt(0) - (BigInt(1) << 127)
        var ranges: [ClosedRange<BigInt>] = []
        for (index, value) in terms.enumerated() {
            let perRow = Self.range(of: value, columns: columns)
            let low = rows * Swift.min(perRow.lowerBound, BigInt(0))
            let high = rows * Swift.max(perRow.upperBound, BigInt(0))
            guard low >= limitLow, high <= limitHigh else {
                let what = value.factors.map { columns[$0].name }.joined(separator: " × ")
                throw SQLError(
                    .overflow, at: termOrigins[index],
                    "the sum of \(what) over up to \(rows) rows (\(participants) participants × \(dataset.maxRowsPerNode) rows) could exceed the 127 bits an exact sum holds; narrow the column bounds or max_rows_per_node in the catalog")
            }
            ranges.append(low...high)
        }

        let groupCount = groups.reduce(1) { $0 * $1.levelCount }
        guard groupCount <= Planner.maximumVectorLength / terms.count else {
            throw SQLError(
                .invalid, at: statement.groupBy.first.map(Self.position) ?? statement.from.position,
                "the groups and sums of this query need more than \(Planner.maximumVectorLength) values per node; group by fewer or coarser keys")
        }

        return Plan(
            dataset: dataset.name, columns: columns, filter: filter, groups: groups, terms: terms, outputs: outputs,
            participants: participants, maxRowsPerNode: dataset.maxRowsPerNode, termRanges: ranges)
    }

    private mutating func collectColumns(_ predicate: Predicate) throws(SQLError) {
        func operand(_ value: Operand) throws(SQLError) {
            if case .column(let identifier) = value { _ = try resolve(identifier) }
        }
        switch predicate {
        case .comparison(let left, _, let right, _):
            try operand(left)
            try operand(right)
        case .between(let value, let low, let high, _, _):
            try operand(value)
            try operand(low)
            try operand(high)
        case .inList(let value, let list, _, _):
            try operand(value)
            for item in list { try operand(item) }
        case .isNull(let value, _, _): try operand(value)
        case .and(let a, let b), .or(let a, let b):
            try collectColumns(a)
            try collectColumns(b)
        case .not(let a, _): try collectColumns(a)
        case .operand(let value): try operand(value)
        }
    }

    // MARK: Aggregates

    static func needsSums(_ function: AggregateFunction) -> Bool {
        switch function {
        case .countRows, .count, .regrCount: false
        default: true
        }
    }

    static func needsProducts(_ function: AggregateFunction) -> Bool {
        switch function {
        case .countRows, .count, .regrCount, .sum, .avg: false
        default: true
        }
    }

    static func checkTypes(_ aggregate: Aggregate, columns: [Column]) throws(SQLError) {
        switch aggregate.function {
        case .countRows, .count: return
        default: break
        }
        for (argument, column) in zip(aggregate.arguments, columns) where column.type.numeric == nil {
            throw SQLError(
                .typeMismatch, at: argument.position,
                "\(aggregate.function.rawValue) needs a numeric column, but \(column.name) is \(column.type.name)")
        }
        if aggregate.function == .linreg, aggregate.arguments.count - 1 > Planner.maximumRegressors {
            throw SQLError(.invalid, at: aggregate.position, "linreg takes at most \(Planner.maximumRegressors) explanatory columns")
        }
    }

    /// The smallest and largest value one row can add to `term` (0 when it does not
    /// count the row).
    static func range(of term: Term, columns: [Column]) -> ClosedRange<BigInt> {
        func bounds(_ index: Int) -> (BigInt, BigInt) {
            switch columns[index].type {
            case .integer(let min, let max), .decimal(_, let min, let max): (BigInt(min), BigInt(max))
            case .category(let values): (BigInt(0), BigInt(values.count - 1))
            case .boolean: (BigInt(0), BigInt(1))
            }
        }
        switch term.factors.count {
        case 0: return BigInt(1)...BigInt(1)
        case 1:
            let (low, high) = bounds(term.factors[0])
            return low...high
        default:
            let (a, b) = bounds(term.factors[0])
            let (c, d) = bounds(term.factors[1])
            if term.factors[0] == term.factors[1] {
                // A square is never negative; its least value is 0 when 0 is in range.
                let high = Swift.max(a * a, b * b)
                let low = (a.signum() <= 0 && b.signum() >= 0) ? BigInt(0) : Swift.min(a * a, b * b)
                return low...high
            }
            let corners = [a * c, a * d, b * c, b * d]
            return corners.min()!...corners.max()!
        }
    }

    // MARK: Group keys

    static func sameGroup(_ a: GroupItem, _ b: GroupItem) -> Bool {
        switch (a, b) {
        case (.column(let x), .column(let y)): x.name == y.name
        case (.widthBucket(let x), .widthBucket(let y)):
            x.column.name == y.column.name && x.low.value == y.low.value && x.high.value == y.high.value
                && x.buckets.value == y.buckets.value
        default: false
        }
    }

    static func position(of item: GroupItem) -> SQLPosition {
        switch item {
        case .column(let identifier): identifier.position
        case .widthBucket(let bucket): bucket.position
        }
    }

    /// Checks a `WIDTH_BUCKET` and computes its integer thresholds on scaled cells.
    static func widthBucket(_ bucket: WidthBucket, column: Column) throws(SQLError) -> WidthBucketParameters {
        guard let (scale, _, _) = column.type.numeric else {
            throw SQLError(
                .typeMismatch, at: bucket.column.position,
                "WIDTH_BUCKET needs a numeric column, but \(column.name) is \(column.type.name)")
        }
        let count = bucket.buckets.value
        guard count.isInteger, let buckets = Int(exactly: count.numerator), buckets >= 1, buckets <= Planner.maximumBuckets else {
            throw SQLError(
                .invalid, at: bucket.buckets.position,
                "the bucket count of WIDTH_BUCKET must be a whole number from 1 to \(Planner.maximumBuckets)")
        }
        let low = bucket.low.value
        let high = bucket.high.value
        guard low != high else {
            throw SQLError(.invalid, at: bucket.low.position, "WIDTH_BUCKET needs low and high to differ")
        }
        let unit = BigRational(BigInt(10).power(scale))
        let thresholds = thresholdEdges(
            low: low * unit, width: (high - low) * unit, buckets: buckets, ascending: low < high)
        return WidthBucketParameters(low: low, high: high, buckets: buckets, thresholds: thresholds)
    }

    /// The integer edges of bucket boundaries `low + width · i / buckets` for i in 0...buckets
    /// (already in the column's scaled units). Ascending: v is in a bucket > i iff
    /// v >= boundary, i.e. v >= ceil(boundary); descending: iff v <= floor(boundary).
    ///
    /// Exact without rationals per boundary: with a common denominator every boundary is
    /// (a + b·i) / d for fixed integers a, b and d > 0, so each edge costs one addition and
    /// one floor division — in machine integers whenever they cannot overflow (every
    /// realistic histogram), in big integers otherwise. Planning a 10,000-bucket
    /// histogram happens on every node for every query, so this matters.
    static func thresholdEdges(low: BigRational, width: BigRational, buckets: Int, ascending: Bool) -> [Int64] {
        let d = low.denominator * width.denominator * BigInt(buckets)
        let a = low.numerator * width.denominator * BigInt(buckets)
        let b = width.numerator * low.denominator
        // For a ceiling, floor((x + d - 1) / d); the offset is folded into a.
        let shifted = ascending ? a + d - BigInt(1) : a
        if let small = smallEdges(a: shifted, b: b, d: d, buckets: buckets) { return small }
        var edges: [Int64] = []
        edges.reserveCapacity(buckets + 1)
        var numerator = shifted
        for _ in 0...buckets {
            edges.append(clamp(numerator.floorDivided(by: d)))
            numerator += b
        }
        return edges
    }

    /// `thresholdEdges` in Int64 when a, b, d and every a + b·i fit; nil otherwise.
    private static func smallEdges(a: BigInt, b: BigInt, d: BigInt, buckets: Int) -> [Int64]? {
        guard let a = Int(exactly: a), let b = Int(exactly: b), let d = Int(exactly: d) else { return nil }
        let (span, spanOverflow) = b.multipliedReportingOverflow(by: buckets)
        guard !spanOverflow, !a.addingReportingOverflow(span).overflow else { return nil }
        var edges: [Int64] = []
        edges.reserveCapacity(buckets + 1)
        var numerator = a
        for i in 0...buckets {
            // Floor division for d > 0 (Swift's / truncates toward zero).
            let (q, r) = numerator.quotientAndRemainder(dividingBy: d)
            edges.append(Int64(r < 0 ? q - 1 : q))
            if i < buckets { numerator += b }
        }
        return edges
    }

    static func clamp(_ value: BigInt) -> Int64 {
        if value > BigInt(Int64.max) { return Int64.max }
        if value < BigInt(Int64.min) { return Int64.min }
        return Int64(Int(exactly: value)!)
    }
}
