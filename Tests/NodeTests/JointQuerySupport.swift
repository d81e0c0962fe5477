import Config
import DataSources
import Foundation
import GRPCCore
import Node
import PKI
import Query
import StateStore
import TestSupport
import Testing
import Wire

/// The catalog of the joint-query tests: small enough for quick group-bys, with a
/// nullable decimal whose values defeat naive floating point.
let jointCatalog = """
    visits:
      max_rows_per_node: 100000
      columns:
        district: {type: category, values: [north, south, east]}
        age: {type: integer, min: 0, max: 120}
        cost: {type: "decimal(2)", min: 0, max: 20000000.00, nullable: true}
        days: {type: integer, min: 0, max: 365}
        chronic: {type: boolean}
    """

/// A policy that lets alice run every aggregate the tests use, under either protocol.
func openPolicy(minGroupSize: Int = 1, minParties: Int = 2, protocols: String = "[secure_sum, paillier]") -> String {
    """
    rules:
      - id: open-study
        who: [spiffe://city/analyst/alice]
        datasets: [visits]
        aggregates: [count, sum, avg, var_samp, var_pop, stddev_samp, stddev_pop, corr, linreg]
        columns:
          aggregate: [cost, age, days]
          filter: [age, district, chronic, cost, days]
          group: [district, chronic, age]
        min_group_size: \(minGroupSize)
        min_parties: \(minParties)
        protocols: \(protocols)
        purpose: "joint-query tests"
    """
}

/// A federation of real nodes with data and policies: every node (or, with `holders`,
/// every holder, named in the catalog's `held_by`) holds `rowsPerNode` deterministic rows
/// of `visits` in a CSV file and the given policy.
struct JointFixture {
    let federation: TestFederation
    let nodes: [String]
    /// The nodes that hold `visits`: the participants of every query.
    let holders: [String]
    /// Every holder's CSV lines (without the header).
    let rows: [String: [String]]

    init(
        nodes: [String], holders: [String]? = nil, rowsPerNode: Int = 120, policies: [String: String] = [:], seed: UInt64 = 7,
        threshold: Int? = nil
    ) throws {
        let catalog = holders.map { jointCatalog.replacingOccurrences(of: "  columns:", with: "  held_by: [\($0.joined(separator: ", "))]\n  columns:") }
        federation = try TestFederation(nodes: nodes, analysts: ["alice", "carol"], threshold: threshold, catalog: catalog ?? jointCatalog)
        self.nodes = nodes
        self.holders = holders ?? nodes
        var generator = SplitMix64(seed: seed)
        var rows: [String: [String]] = [:]
        for (index, node) in nodes.enumerated() where self.holders.contains(node) {
            var lines: [String] = []
            for row in 0..<(rowsPerNode + index * 7) {
                let district = ["north", "south", "east"][Int(generator.next() % 3)]
                let age = Int(generator.next() % 121)
                // Costs near 10^7 with cents: a naive float sum of squares loses digits.
                let cost: String
                switch generator.next() % 10 {
                case 0: cost = ""
                case 1, 2: cost = "100000\(generator.next() % 10).\(10 + generator.next() % 90)"
                default: cost = "\(generator.next() % 50000).\(10 + generator.next() % 90)"
                }
                let days = row % 5 == 0 ? 0 : Int(generator.next() % 366)
                let chronic = generator.next() % 3 == 0 ? "true" : "false"
                lines.append("\(district),\(age),\(cost),\(days),\(chronic)")
            }
            rows[node] = lines
            let directory = federation.root + "/nodes/\(node)"
            try federation.directory.write(
                "district,age,cost,days,chronic\n" + lines.joined(separator: "\n") + "\n", to: "city/nodes/\(node)/visits.csv")
            try federation.directory.write(policies[node] ?? openPolicy(), to: "city/nodes/\(node)/policies/study.yaml")
            let configPath = directory + "/node.yaml"
            var config = try String(contentsOfFile: configPath, encoding: .utf8)
            if config.contains("datasets: {}") {
                config = config.replacingOccurrences(of: "datasets: {}", with: "datasets:\n  visits: {csv: visits.csv}")
            } else {
                config += "\ndatasets:\n  visits: {csv: visits.csv}\n"
            }
            try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        self.rows = rows
    }

    var catalog: Catalog {
        get throws { try CatalogFile.load(path: federation.directory.path("catalog.yaml")).catalog }
    }

    /// The answer of a pooled computation over every holder's rows (one CSV with all of
    /// them), as text: what the federation must reproduce digit for digit.
    func pooled(_ sql: String, minGroupSize: Int = 1, digits: Int = 15) throws -> [[String]] {
        let catalog = try catalog
        let plan = try Planner.plan(sql: sql, catalog: catalog, participants: holders.count)
        let all = holders.flatMap { rows[$0]! }
        let path = try federation.directory.write(
            "district,age,cost,days,chronic\n" + all.joined(separator: "\n") + "\n", to: "pooled.csv")
        var source = try openSource(
            DatasetSource(dataset: "visits", kind: .csv(path: path)), dataset: catalog.dataset(named: "visits")!,
            columns: plan.columns.map(\.name))
        let sums = try LocalAggregation.run(plan, over: &source)
        return Finaliser.finalise(plan, sums: sums, minGroupSize: minGroupSize).texts(significantDigits: digits)
    }

    /// The audit log of `node`.
    func auditRecords(_ node: String, queryID: [UInt8]) throws -> [AuditEntry] {
        let store = try StateStore(directory: federation.root + "/nodes/\(node)/state", create: false)
        defer { try? store.close() }
        return try store.records(queryID: queryID)
    }
}

/// What an analyst saw of one submitted query.
struct Outcome: Sendable {
    var events: [Fedstat_V1_QueryEvent]
    var queryID: [UInt8] { Array(events.first?.queryID ?? Data()) }
    var result: Fedstat_V1_ResultTable? {
        events.compactMap { if case .result(let table) = $0.event { table } else { nil } }.first
    }
    var failure: Fedstat_V1_QueryFailure? {
        events.compactMap { if case .failure(let failure) = $0.event { failure } else { nil } }.first
    }
    /// The result's cells as text (as `ResultValue.text` prints them).
    var texts: [[String]] {
        (result?.rows ?? []).map { $0.cells.map(\.shownText) }
    }
}

/// Submits `sql` to `coordinator` as `analyst` and collects every event.
func submit(
    _ sql: String, protocol aggregationProtocol: Fedstat_V1_AggregationProtocol = .secureSum, timeoutMs: UInt32 = 60_000,
    to coordinator: String, in federation: TestFederation, as analyst: String = "alice"
) async throws -> Outcome {
    let identity = try federation.analystIdentity(analyst)
    var request = Fedstat_V1_QueryRequest()
    request.sql = sql
    request.protocol = aggregationProtocol
    request.timeoutMs = timeoutMs
    let events = try await FederationClients.withAnalystClient(
        to: coordinator, at: federation.addresses[coordinator]!, as: identity
    ) { client in
        var options = CallOptions.defaults
        options.timeout = .seconds(120)
        return try await client.submit(request, options: options) { response in
            var events: [Fedstat_V1_QueryEvent] = []
            for try await event in response.messages { events.append(event) }
            return events
        }
    }
    return Outcome(events: events)
}
