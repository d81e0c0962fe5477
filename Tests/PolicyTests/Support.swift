import Config
import Foundation
import Policy
import Query
import TestSupport
import Testing

/// The catalog the policy tests plan queries over.
enum PolicyCatalog {
    static let visits = Dataset(
        name: "visits",
        columns: [
            Column(name: "district", type: .category(["north", "south", "east"]), nullable: false),
            Column(name: "age", type: .integer(min: 0, max: 120), nullable: false),
            Column(name: "cost", type: .decimal(scale: 2, min: 0, max: 25_000_000), nullable: true),
            Column(name: "insured", type: .boolean, nullable: true),
            Column(name: "income", type: .integer(min: 0, max: 10_000_000), nullable: true),
        ],
        maxRowsPerNode: 1_000_000
    )
    static let payroll = Dataset(
        name: "payroll",
        columns: [
            Column(name: "department", type: .category(["health", "roads"]), nullable: false),
            Column(name: "salary", type: .integer(min: 0, max: 1_000_000), nullable: false),
        ],
        maxRowsPerNode: 10_000
    )
    static let catalog = Catalog(datasets: [visits, payroll])
}

enum Analysts {
    static let alice = "spiffe://city/analyst/alice"
    static let bob = "spiffe://city/analyst/bob"
    static let carol = "spiffe://city/analyst/carol"
}

/// A fixed reference time, so nothing expires while the tests run in CI.
let referenceNow = PolicyExpiry(iso8601: "2027-06-01T12:00:00Z")!.end

func plan(_ sql: String, participants: Int = 3) throws -> Plan {
    try Planner.plan(sql: sql, catalog: PolicyCatalog.catalog, participants: participants)
}

func request(
    _ sql: String,
    analyst: String = Analysts.alice,
    participants: [String] = ["hospital", "clinic", "utility"],
    protocol aggregationProtocol: AggregationProtocol = .secureSum,
    now: Date = referenceNow,
    queriesToday: @escaping @Sendable (String) -> Int = { _ in 0 }
) throws -> PolicyRequest {
    PolicyRequest(
        plan: try plan(sql, participants: max(participants.count, 1)),
        analyst: analyst,
        participants: participants,
        aggregationProtocol: aggregationProtocol,
        now: now,
        queriesToday: queriesToday
    )
}

/// Runs `body`, expecting a ``ConfigError`` with this code, file, key path and line whose
/// description mentions `words`.
@discardableResult
func expectConfigError(
    _ code: ConfigError.Code,
    file: String,
    keyPath: String,
    line: Int?,
    mentioning words: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> ConfigError? {
    do {
        try body()
        Issue.record("expected a \(code) error at `\(keyPath)`; nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ConfigError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        #expect(error.file == file, "\(error)", sourceLocation: sourceLocation)
        #expect(error.keyPath == keyPath, "\(error)", sourceLocation: sourceLocation)
        #expect(error.line == line, "\(error)", sourceLocation: sourceLocation)
        for word in words {
            #expect(error.description.contains(word), "\(error) should mention \(word)", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Policy directories are temporary directories.
typealias PolicyDirectory = TemporaryDirectory
