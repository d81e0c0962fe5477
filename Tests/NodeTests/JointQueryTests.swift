import Foundation
import GRPCCore
import Node
import StateStore
import Testing
import Wire

/// The queries both protocols must answer exactly as a pooled computation over every
/// node's rows would.
let jointQueries = [
    "SELECT COUNT(*), SUM(cost), AVG(cost), VAR_SAMP(cost), STDDEV_SAMP(cost) FROM visits",
    "SELECT district, COUNT(*), AVG(days), VAR_POP(cost), STDDEV_POP(days) FROM visits WHERE age >= 65 GROUP BY district",
    "SELECT district, chronic, COUNT(*), SUM(days) FROM visits GROUP BY district, chronic",
    "SELECT WIDTH_BUCKET(age, 0, 120, 6) AS band, COUNT(*), AVG(cost) FROM visits GROUP BY WIDTH_BUCKET(age, 0, 120, 6)",
    "SELECT CORR(cost, age), LINREG(cost, age, days) FROM visits WHERE chronic",
]

/// Joint queries among real nodes over mutual TLS on loopback.
@Suite("Joint queries", .serialized, .timeLimit(.minutes(10)))
struct JointQueryTests {
    @Test(arguments: [Fedstat_V1_AggregationProtocol.secureSum, .paillier])
    func resultsEqualThePooledComputation(_ aggregationProtocol: Fedstat_V1_AggregationProtocol) async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east"])
        try await withRunningNodes(fixture.federation, fixture.nodes) { _ in
            for sql in jointQueries {
                let outcome = try await submit(sql, protocol: aggregationProtocol, to: "south", in: fixture.federation)
                #expect(outcome.failure == nil, "\(sql): \(String(describing: outcome.failure))")
                let result = try #require(outcome.result, "\(sql)")
                #expect(outcome.texts == (try fixture.pooled(sql)), "\(sql)")
                #expect(result.participants == ["north", "south", "east"])
                #expect(result.protocol == aggregationProtocol)
                #expect(result.resultHash.count == 32)

                // Progress: planned, proposed, a decision of every node, the steps, the result.
                let decisions = outcome.events.compactMap { if case .decision(let d) = $0.event { d } else { nil } }
                #expect(Set(decisions.map(\.node)) == ["north", "south", "east"])
                #expect(decisions.allSatisfy { $0.approved && $0.ruleID == "open-study" })
                let steps = outcome.events.compactMap { if case .progress(let p) = $0.event { p.step } else { nil } }
                #expect(
                    steps
                        == (aggregationProtocol == .paillier
                            ? ["contribute", "aggregate", "decrypt", "finalise", "release"]
                            : ["contribute", "aggregate", "finalise", "release"]))
                if case .planned = outcome.events.first?.event {} else { Issue.record("the first event is not `planned`") }

                // Every node's audit log: the proposal, its decision and the release with
                // the result hash the analyst got.
                for node in fixture.nodes {
                    let kinds = try fixture.auditRecords(node, queryID: outcome.queryID).map(\.record.kind)
                    #expect(kinds == [.proposal, .decision, .release], "\(node)")
                    let release = try fixture.auditRecords(node, queryID: outcome.queryID).last
                    #expect(release?.record[field: "result_hash"] == .string(Hex.encode(Array(result.resultHash))))
                }
            }
        }
    }

    /// A denial ends the query before anything is computed and shows every node's reason.
    @Test func aDenialShowsEveryNodesReason() async throws {
        let fixture = try JointFixture(
            nodes: ["north", "south", "east"],
            policies: ["east": openPolicy(protocols: "[paillier]"), "north": openPolicy(minParties: 4)])
        try await withRunningNodes(fixture.federation, fixture.nodes) { _ in
            let outcome = try await submit("SELECT COUNT(*) FROM visits", to: "south", in: fixture.federation)
            #expect(outcome.result == nil)
            let failure = try #require(outcome.failure)
            #expect(failure.code == "denied")
            #expect(failure.decisions.map(\.node) == ["north", "south", "east"])
            let byNode = Dictionary(uniqueKeysWithValues: failure.decisions.map { ($0.node, $0) })
            #expect(byNode["south"]?.approved == true)
            #expect(byNode["north"]?.approved == false)
            #expect(byNode["north"]?.reason.contains("min_parties") == true || byNode["north"]?.reason.contains("participants") == true)
            #expect(byNode["east"]?.approved == false)
            #expect(byNode["east"]?.reason.contains("secure_sum") == true)
            #expect(failure.message.contains("north") && failure.message.contains("east"))

            // Nothing was computed; every node recorded the proposal, its decision and the abort.
            for node in fixture.nodes {
                let kinds = try fixture.auditRecords(node, queryID: outcome.queryID).map(\.record.kind)
                #expect(kinds == [.proposal, .decision, .abort], "\(node)")
            }

            // An analyst no rule names is denied by every node, each saying so.
            let carol = try await submit("SELECT COUNT(*) FROM visits", to: "north", in: fixture.federation, as: "carol")
            #expect(carol.failure?.code == "denied")
            #expect(carol.failure?.decisions.filter { !$0.approved }.count == 3)
        }
    }

    /// A dataset the catalog says only some nodes hold (`held_by`) is computed among
    /// exactly those nodes, whichever node coordinates; the others take no part and
    /// record nothing.
    @Test(arguments: [Fedstat_V1_AggregationProtocol.secureSum, .paillier])
    func aDatasetHeldBySomeNodesIsComputedAmongThem(_ aggregationProtocol: Fedstat_V1_AggregationProtocol) async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east", "bureau"], holders: ["north", "east", "bureau"], threshold: 3)
        try await withRunningNodes(fixture.federation, fixture.nodes) { _ in
            let sql = "SELECT district, COUNT(*), AVG(cost) FROM visits GROUP BY district"
            // South coordinates without holding the dataset.
            let outcome = try await submit(sql, protocol: aggregationProtocol, to: "south", in: fixture.federation)
            #expect(outcome.failure == nil, "\(String(describing: outcome.failure))")
            #expect(outcome.result?.participants == ["north", "east", "bureau"])
            #expect(outcome.texts == (try fixture.pooled(sql)))
            for node in ["north", "east", "bureau"] {
                #expect(try fixture.auditRecords(node, queryID: outcome.queryID).map(\.record.kind) == [.proposal, .decision, .release])
            }
            #expect(try fixture.auditRecords("south", queryID: outcome.queryID).isEmpty)
        }
    }

    /// Threshold Paillier needs t partial decryptions from participants: a dataset held
    /// by fewer nodes is refused before anything is proposed, with the reason.
    @Test func paillierNeedsAsManyHoldersAsTheThreshold() async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east"], holders: ["north", "east"], threshold: 3)
        try await withRunningNodes(fixture.federation, ["north"]) { _ in
            let outcome = try await submit("SELECT COUNT(*) FROM visits", protocol: .paillier, to: "north", in: fixture.federation)
            let failure = try #require(outcome.failure)
            #expect(failure.code == "unavailable")
            #expect(failure.message.contains("held by 2 of the federation's nodes, fewer than the 3 partial decryptions"))
            #expect(try fixture.auditRecords("north", queryID: outcome.queryID).isEmpty)
        }
    }

    /// A stopped node fails the query within its deadline, naming the node and the step;
    /// the reachable nodes record the abort.
    @Test func aStoppedNodeFailsTheQueryCleanly() async throws {
        let fixture = try JointFixture(nodes: ["north", "south", "east"])
        try await withRunningNodes(fixture.federation, ["north", "south"]) { _ in
            let started = ContinuousClock.now
            let outcome = try await submit(
                "SELECT COUNT(*) FROM visits", timeoutMs: 15_000, to: "north", in: fixture.federation)
            #expect(ContinuousClock.now - started < .seconds(60))
            let failure = try #require(outcome.failure)
            #expect(failure.node == "east")
            #expect(failure.step == "propose")
            #expect(["node_failed", "timeout"].contains(failure.code))
            #expect(outcome.result == nil)
            for node in ["north", "south"] {
                let kinds = try fixture.auditRecords(node, queryID: outcome.queryID).map(\.record.kind)
                #expect(kinds.last == .abort, "\(node)")
                #expect(!kinds.contains(.release))
            }
        }
    }

    /// SQL errors come back with their position, before anything is proposed.
    @Test func malformedSQLIsRefusedWithItsPosition() async throws {
        let fixture = try JointFixture(nodes: ["north", "south"])
        try await withRunningNodes(fixture.federation, fixture.nodes) { _ in
            let outcome = try await submit("SELECT COUNT(*) FROM visits WHERE agee > 3", to: "north", in: fixture.federation)
            let failure = try #require(outcome.failure)
            #expect(failure.code == "sql")
            #expect(failure.sqlLine == 1)
            #expect(failure.sqlColumn == 35)
            #expect(failure.message.contains("agee"))
            #expect(outcome.events.count == 1)
        }
    }

    /// Explain asks every node, runs nothing and records nothing; catalog and status
    /// answer from the coordinator.
    @Test func explainCatalogAndStatus() async throws {
        let fixture = try JointFixture(nodes: ["north", "south"], policies: ["south": openPolicy(protocols: "[paillier]")])
        try await withRunningNodes(fixture.federation, fixture.nodes) { _ in
            let identity = try fixture.federation.analystIdentity("alice")
            try await FederationClients.withAnalystClient(
                to: "north", at: fixture.federation.addresses["north"]!, as: identity
            ) { client in
                var request = Fedstat_V1_QueryRequest()
                request.sql = "SELECT AVG(cost) FROM visits"
                let explained = try await client.explain(request, options: testCallOptions)
                #expect(explained.decisions.map(\.node) == ["north", "south"])
                #expect(explained.decisions.map(\.approved) == [true, false])
                #expect(explained.decisions[1].reason.contains("secure_sum"))
                #expect(explained.planHash.count == 32)
                let catalog = try await client.catalog(Fedstat_V1_CatalogRequest(), options: testCallOptions)
                #expect(catalog.datasets.map(\.name) == ["visits"])
                let cost = catalog.datasets[0].columns.first { $0.name == "cost" }
                #expect(cost?.type == "decimal" && cost?.scale == 2 && cost?.max == "20000000.00" && cost?.nullable == true)
                let status = try await client.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
                #expect(status.nodes.map(\.name) == ["north", "south"])
            }
            // A dry run claims no query id and appends nothing.
            let store = try StateStore(directory: fixture.federation.root + "/nodes/south/state", create: false)
            defer { try? store.close() }
            #expect(try store.records().isEmpty)
        }
    }
}
