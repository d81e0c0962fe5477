import DataSources
import Foundation
import Query
import Testing

/// The datasets the tests read.
enum Fixture {
    static let district = Column(name: "district", type: .category(["north", "south", "east", "北区"]), nullable: false)
    static let age = Column(name: "age", type: .integer(min: 0, max: 120), nullable: false)
    static let cost = Column(name: "cost", type: .decimal(scale: 2, min: 0, max: 25_000_000), nullable: true)
    static let insured = Column(name: "insured", type: .boolean, nullable: true)

    static let visits = Dataset(name: "visits", columns: [district, age, cost, insured], maxRowsPerNode: 1_000_000)
    static let allColumns = visits.columns.map(\.name)

    /// `visits` with another row limit.
    static func visits(maxRows: Int64) -> Dataset {
        Dataset(name: "visits", columns: visits.columns, maxRowsPerNode: maxRows)
    }
}

/// Every remaining row of `source`.
func readAll(_ source: inout some RowSource) throws(DataError) -> [[Cell]] {
    var rows: [[Cell]] = []
    var cells: [Cell] = []
    while try source.next(into: &cells) { rows.append(cells) }
    return rows
}

/// Runs `body`, which must fail with a ``DataError`` of `code` at `location` (and
/// `column`) of `file` in dataset `dataset`; the description must name them and the
/// `words`, and must not contain any of `secrets` (cell values). Returns the error.
@discardableResult
func expectDataError(
    _ code: DataError.Code,
    file: String,
    at location: DataError.Location,
    column: String?,
    dataset: String = "visits",
    mentioning words: [String] = [],
    notMentioning secrets: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> DataError? {
    do {
        try body()
        Issue.record("expected a \(code) error at \(location); nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as DataError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.file == file, "\(error)", sourceLocation: sourceLocation)
        #expect(error.location == location, "\(error)", sourceLocation: sourceLocation)
        #expect(error.column == column, "\(error)", sourceLocation: sourceLocation)
        #expect(error.dataset == dataset, "\(error)", sourceLocation: sourceLocation)
        let description = error.description
        #expect(description.hasPrefix(file), "\(description)", sourceLocation: sourceLocation)
        #expect(description.contains("dataset \(dataset)"), "\(description)", sourceLocation: sourceLocation)
        if let column {
            #expect(description.contains("column \(column)"), "\(description)", sourceLocation: sourceLocation)
        }
        switch location {
        case .source: break
        case .line(let line):
            #expect(description.hasPrefix("\(file):\(line):"), "\(description)", sourceLocation: sourceLocation)
        case .rowid(let rowid):
            #expect(description.hasPrefix("\(file) rowid \(rowid):"), "\(description)", sourceLocation: sourceLocation)
        }
        for word in words {
            #expect(description.contains(word), "\(description) should mention \(word)", sourceLocation: sourceLocation)
        }
        for secret in secrets {
            #expect(
                !error.message.contains(secret),
                "\(description) must not show \(secret)",
                sourceLocation: sourceLocation
            )
        }
        return error
    } catch {
        Issue.record("expected a DataError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
