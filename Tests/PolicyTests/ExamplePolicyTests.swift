import Config
import Foundation
import Policy
import Query
import Testing

/// The example city's policies (Examples/city) load, lint clean against its catalog, and
/// decide realistic queries as their comments say.
@Suite("Example city policies")
struct ExamplePolicyTests {
    static let city = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/city").path
    static let nodes = ["north-hospital", "south-hospital", "east-clinic", "civil-affairs", "housing-office"]
    static let hospitals = ["north-hospital", "south-hospital", "east-clinic"]
    /// When the examples were written; every rule is in force then and for 30 days more.
    static let written = PolicyExpiry(iso8601: "2026-11-21")!.end

    static func catalog() throws -> Catalog { try CatalogFile.load(path: city + "/catalog.yaml").catalog }

    static func policies(_ node: String) throws -> PolicySet {
        try PolicyFiles.load(directory: city + "/nodes/\(node)/policies")
    }

    @Test(arguments: nodes)
    func lintsClean(node: String) throws {
        let findings = try Self.policies(node).lint(catalog: Self.catalog(), now: Self.written)
        #expect(findings.isEmpty, "\(findings)")
    }

    static func decide(_ node: String, _ sql: String, analyst: String, protocol aggregationProtocol: AggregationProtocol = .paillier)
        throws -> PolicyDecision
    {
        let catalog = try catalog()
        let plan = try Planner.plan(sql: sql, catalog: catalog, participants: 3)
        // The participants are the dataset's holders, as the coordinator proposes them.
        let participants = catalog.dataset(named: plan.dataset)!.participants(amongNodes: nodes)
        return try policies(node).evaluate(
            PolicyRequest(
                plan: plan, analyst: "spiffe://city/analyst/\(analyst)", participants: participants,
                aggregationProtocol: aggregationProtocol, now: written, queriesToday: { _ in 0 }))
    }

    @Test func theCityHealthReportIsApprovedEverywhere() throws {
        let sql = "SELECT district, COUNT(*), AVG(cost), AVG(days) FROM visits WHERE age > 65 GROUP BY district"
        for node in Self.hospitals {
            let decision = try Self.decide(node, sql, analyst: "alice")
            guard case .approve = decision.verdict else {
                Issue.record("\(node) denied: \(decision)")
                continue
            }
        }
    }

    @Test func theClinicOnlyServesAlice() throws {
        let decision = try Self.decide("east-clinic", "SELECT district, COUNT(*) FROM visits GROUP BY district", analyst: "carol")
        guard case .deny(let denial) = decision.verdict else {
            Issue.record("east-clinic approved carol")
            return
        }
        #expect(denial.message.contains("carol"))
    }

    /// The demo's queries (`Examples/city/queries.sql`): the histogram and the regression
    /// are approved by every department, grouping by sex is denied (East Clinic says why).
    @Test func theDemoQueriesAreDecidedAsTheDemoSays() throws {
        let histogram = "SELECT WIDTH_BUCKET(age, 0, 100, 10), COUNT(*) FROM visits GROUP BY WIDTH_BUCKET(age, 0, 100, 10)"
        let regression = "SELECT REGR_SLOPE(cost, age), REGR_INTERCEPT(cost, age), COUNT(*) FROM visits"
        for node in Self.hospitals {
            for (sql, aggregationProtocol) in [(histogram, AggregationProtocol.secureSum), (regression, .paillier)] {
                let decision = try Self.decide(node, sql, analyst: "alice", protocol: aggregationProtocol)
                guard case .approve = decision.verdict else {
                    Issue.record("\(node) denied \(sql): \(decision)")
                    continue
                }
            }
        }
        let bySex = try Self.decide("east-clinic", "SELECT sex, COUNT(*) FROM visits GROUP BY sex", analyst: "alice")
        guard case .deny(let denial) = bySex.verdict else {
            Issue.record("east-clinic approved grouping by sex")
            return
        }
        #expect(denial.message.contains("`sex`"), "\(denial.message)")
    }

    /// The hospitals and the two social departments hold different datasets; the
    /// Civil-Affairs Bureau takes part in secure sums only.
    @Test func theAssistanceReportRunsUnderSecureSumOnly() throws {
        let catalog = try Self.catalog()
        #expect(catalog.dataset(named: "visits")?.participants(amongNodes: Self.nodes) == Self.hospitals)
        #expect(catalog.dataset(named: "assistance")?.participants(amongNodes: Self.nodes) == ["civil-affairs", "housing-office"])
        let report = "SELECT district, COUNT(*), AVG(amount), AVG(members) FROM assistance GROUP BY district"
        for node in ["civil-affairs", "housing-office"] {
            guard case .approve(_, let requirements) = try Self.decide(node, report, analyst: "carol", protocol: .secureSum).verdict else {
                Issue.record("\(node) denied the assistance report")
                continue
            }
            #expect(requirements.minGroupSize == (node == "civil-affairs" ? 10 : 5))
        }
        guard case .deny(let denial) = try Self.decide("civil-affairs", report, analyst: "alice", protocol: .paillier).verdict else {
            Issue.record("civil-affairs approved Paillier")
            return
        }
        #expect(denial.message.contains("`paillier`"), "\(denial.message)")
        guard case .approve = try Self.decide("housing-office", report, analyst: "alice", protocol: .paillier).verdict else {
            Issue.record("housing-office denied Paillier")
            return
        }
    }
}
