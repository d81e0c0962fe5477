import BigNum
import Query

/// Rows held in memory, as a `RowSource` yields them (already checked values).
struct ArrayRowSource: RowSource {
    let columns: [Column]
    private let rows: [[Cell]]
    private var index = 0

    /// `rows` hold every dataset column; the source yields the `columns` projection.
    init(dataset: Dataset, columns: [Column], rows: [[Cell]]) {
        self.columns = columns
        let positions = columns.map { column in dataset.columns.firstIndex { $0.name == column.name }! }
        self.rows = rows.map { row in positions.map { row[$0] } }
    }

    mutating func next(into cells: inout [Cell]) throws(DataError) -> Bool {
        guard index < rows.count else { return false }
        cells = rows[index]
        index += 1
        return true
    }
}

/// The catalog of the tests: hospital visits.
enum TestCatalog {
    static let districts = ["north", "south", "east"]
    static let visits = Dataset(
        name: "visits",
        columns: [
            Column(name: "district", type: .category(districts), nullable: false),
            Column(name: "age", type: .integer(min: 0, max: 120), nullable: false),
            Column(name: "cost", type: .decimal(scale: 2, min: 0, max: 25_000_000), nullable: true),
            Column(name: "insured", type: .boolean, nullable: true),
            Column(name: "days", type: .integer(min: 0, max: 365), nullable: true),
            Column(name: "ward", type: .category(["a", "b"]), nullable: true),
        ],
        maxRowsPerNode: 1_000_000)
    static let measures = Dataset(
        name: "measures",
        columns: [
            Column(name: "x1", type: .decimal(scale: 1, min: -1_000_000_000, max: 1_000_000_000), nullable: true),
            Column(name: "x2", type: .decimal(scale: 1, min: -1_000_000_000, max: 1_000_000_000), nullable: true),
            Column(name: "y", type: .decimal(scale: 2, min: -100_000_000_000, max: 100_000_000_000), nullable: true),
        ],
        maxRowsPerNode: 100_000)
    static let catalog = Catalog(datasets: [visits, measures])
}

/// Runs `sql` the federated way: each part's rows aggregated on its own, the vectors
/// summed in Z_{2^128}, the sum finalised.
func federated(_ sql: String, parts: [[[Cell]]], dataset: Dataset = TestCatalog.visits, k: Int = 0) throws -> (Plan, ResultTable) {
    let plan = try Planner.plan(sql: sql, catalog: TestCatalog.catalog, participants: max(parts.count, 1))
    var total = [UInt128](repeating: 0, count: plan.vectorLength)
    for rows in parts {
        var source = ArrayRowSource(dataset: dataset, columns: plan.columns, rows: rows)
        let vector = try LocalAggregation.run(plan, over: &source)
        for index in total.indices { total[index] &+= vector[index] }
    }
    return (plan, Finaliser.finalise(plan, sums: total, minGroupSize: k))
}

/// The texts of a one-part query.
func texts(_ sql: String, rows: [[Cell]], dataset: Dataset = TestCatalog.visits) throws -> [[String]] {
    try federated(sql, parts: [rows], dataset: dataset).1.texts()
}

/// Exact decimal text to a rational.
func rational(_ text: String) -> BigRational { BigRational(decimal: text)! }

/// Exact decimal text as a cell of the given scale ("10000000.1" at scale 1).
func scaled(_ text: String, _ scale: Int) -> Int64 {
    let value = rational(text) * BigRational(BigInt(10).power(scale))
    precondition(value.isInteger, "\(text) has more than \(scale) decimals")
    return Int64(Int(exactly: value.numerator)!)
}

/// The SQLError a closure throws.
func sqlError(_ body: () throws -> Void) -> SQLError? {
    do {
        try body()
        return nil
    } catch let error as SQLError {
        return error
    } catch {
        return nil
    }
}
