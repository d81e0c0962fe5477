import ArgumentParser
import DataSources
import Foundation
import GRDB
import Query
import TestSupport

struct ScanBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Measure a node's local half of a query: reading a CSV file or an SQLite table and aggregating it exactly.",
        discussion: """
            Writes a dataset of --rows rows (district, age, cost) as CSV and as SQLite into a \
            temporary folder, then times the plan of \
            `SELECT district, SUM(cost), AVG(cost), VAR_SAMP(cost) FROM visits GROUP BY district` \
            over each: parsing, checking every cell against the catalog and summing. Each figure \
            is the best of --rounds runs.
            """)

    @Option(help: "Rows in the generated dataset.")
    var rows: Int = 1_000_000

    @Option(help: "Timed runs per source (the best is reported).")
    var rounds: Int = 3

    @Option(help: "Output format: text or json.")
    var format: PaillierBenchmark.OutputFormat = .text

    func validate() throws {
        guard rows >= 1, rows <= 100_000_000 else { throw ValidationError("--rows must be 1...100000000") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be positive") }
    }

    static let districts = ["north", "south", "east", "west", "centre"]
    static let dataset = Dataset(
        name: "visits",
        columns: [
            Column(name: "district", type: .category(districts), nullable: false),
            Column(name: "age", type: .integer(min: 0, max: 120), nullable: false),
            Column(name: "cost", type: .decimal(scale: 2, min: 0, max: 25_000_000), nullable: true),
        ],
        maxRowsPerNode: 100_000_000)

    func run() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedbench-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = folder.appendingPathComponent("visits.csv").path
        let sqlite = folder.appendingPathComponent("visits.sqlite").path

        progress("writing \(rows) rows as CSV and SQLite")
        try Self.write(rows: rows, csv: csv, sqlite: sqlite)

        let catalog = Catalog(datasets: [Self.dataset])
        let plan = try Planner.plan(
            sql: "SELECT district, SUM(cost), AVG(cost), VAR_SAMP(cost) FROM visits GROUP BY district",
            catalog: catalog, participants: 1)
        let names = plan.columns.map(\.name)

        progress("CSV")
        var csvVector: [UInt128] = []
        let csvSeconds = try best(of: rounds) {
            var source = try CSVSource(dataset: Self.dataset, columns: names, file: csv)
            csvVector = try LocalAggregation.run(plan, over: &source)
        }
        progress("SQLite")
        var sqliteVector: [UInt128] = []
        let sqliteSeconds = try best(of: rounds) {
            var source = try SQLiteSource(dataset: Self.dataset, columns: names, file: sqlite, table: "visits")
            sqliteVector = try LocalAggregation.run(plan, over: &source)
        }
        // Both sources hold the same rows, so the sums must agree to the last bit.
        guard csvVector == sqliteVector else { throw ValidationError("CSV and SQLite sums differ") }

        var report = Report()
        report.add("rows", rows)
        report.add("csv_s", csvSeconds, digits: 3)
        report.add("sqlite_s", sqliteSeconds, digits: 3)
        report.add("csv_rows_per_s", Int((Double(rows) / csvSeconds).rounded()))
        report.add("sqlite_rows_per_s", Int((Double(rows) / sqliteSeconds).rounded()))
        print(format == .json ? report.json() : report.text())
    }

    /// The rows: district, age, cost (cents, one in ten NULL), from a fixed generator.
    static func write(rows: Int, csv: String, sqlite: String) throws {
        var generator = ScanRows()
        var text = "district,age,cost\n"
        text.reserveCapacity(rows * 24)
        let database = try DatabaseQueue(path: sqlite)
        try database.write { db in
            try db.execute(sql: "CREATE TABLE visits (district TEXT NOT NULL, age INTEGER NOT NULL, cost TEXT)")
            let insert = try db.makeStatement(sql: "INSERT INTO visits (district, age, cost) VALUES (?, ?, ?)")
            for _ in 0..<rows {
                let (district, age, cost) = generator.next()
                let costText = cost.map { "\($0 / 100).\(String(format: "%02d", $0 % 100))" }
                text += "\(districts[district]),\(age),\(costText ?? "")\n"
                try insert.execute(arguments: [districts[district], age, costText])
            }
        }
        try database.close()
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
    }
}

/// A fixed sequence of benchmark rows (SplitMix64 from seed 42).
struct ScanRows {
    private var generator = SplitMix64(seed: 42)

    mutating func next() -> (district: Int, age: Int, cost: Int?) {
        let word = generator.next()
        let district = Int(word % 5)
        let age = Int((word >> 8) % 121)
        let cost = (word >> 20) % 10 == 0 ? nil : Int((word >> 24) % 2_500_001)
        return (district, age, cost)
    }
}

/// The best wall-clock time of `rounds` runs of `body`, in seconds.
func best(of rounds: Int, _ body: () throws -> Void) throws -> Double {
    var times: [Double] = []
    for _ in 0..<rounds {
        let start = ContinuousClock.now
        try body()
        times.append(seconds(since: start))
    }
    return times.min()!
}
