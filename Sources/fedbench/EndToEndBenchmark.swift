import ArgumentParser
import Config
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Glibc
import Logging
import Node
import PKI
import ServiceLifecycle
import TestSupport
import Wire

struct EndToEndBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "Time whole joint queries among real nodes over mutual TLS on loopback.",
        discussion: """
            Runs the key ceremony for --nodes nodes on free loopback ports, gives each node \
            --rows rows and a policy, starts every node in this process (each with its own \
            gRPC server and clients, all over mutual TLS 1.3), waits until every node sees \
            every peer, then submits, as an analyst, a query whose every node computes \
            --values integer sums (`SELECT COUNT(*) … GROUP BY WIDTH_BUCKET(x, …)`) and times \
            it from submission to result, --rounds times after one warm-up. `plaintext` runs \
            the same lifecycle with unmasked subtotals: the baseline that shows what the \
            protection costs. Paillier uses a 2048-bit threshold key (t = nodes).
            """)

    enum ProtocolChoice: String, ExpressibleByArgument, CaseIterable {
        case secureSum = "secure-sum"
        case paillier
        case plaintext
    }

    @Option(help: "Number of nodes.")
    var nodes: Int = 3

    @Option(help: "Sums every node computes (the vector length), at least 3.")
    var values: Int = 10_000

    @Option(help: "secure-sum, paillier or plaintext.")
    var `protocol`: ProtocolChoice = .secureSum

    @Option(help: "Rows per node.")
    var rows: Int = 1000

    @Option(help: "Timed queries (the median is reported).")
    var rounds: Int = 5

    @Option(help: "Output format: text or json.")
    var format: PaillierBenchmark.OutputFormat = .text

    func validate() throws {
        guard (2...100).contains(nodes) else { throw ValidationError("--nodes must be 2...100") }
        guard (3...10_000).contains(values) else { throw ValidationError("--values must be 3...10000") }
        guard rounds >= 1, rows >= 1 else { throw ValidationError("--rounds and --rows must be positive") }
    }

    @Flag(
        help: """
            Also run the plaintext baseline, in this process, alternating its rounds with \
            --protocol's (the fair way to measure the overhead on a noisy machine).
            """)
    var againstPlaintext = false

    /// One federation of this benchmark, set up and ready to start.
    struct Federation {
        let services: [FederationNode]
        let analyst: TLSIdentity
        let coordinator: String
        let address: HostPort
    }

    /// Runs the ceremony for `names` in `folder`, writes their data, policies and configs,
    /// and loads the nodes (unmasked: the plaintext baseline).
    func makeFederation(in folder: String, names: [String], unmasked: Bool, logger: Logger) throws -> Federation {
        var specs: [(name: String, address: HostPort)] = []
        for name in names { specs.append((name, try HostPort(host: "127.0.0.1", port: try Self.freePort()))) }
        let buckets = values - 2
        let catalogPath = folder + "/catalog.yaml"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try """
        bench:
          max_rows_per_node: \(max(rows, 1000))
          columns:
            x: {type: integer, min: 0, max: \(buckets)}
        """.write(toFile: catalogPath, atomically: true, encoding: .utf8)
        progress("key ceremony for \(nodes) nodes\(unmasked ? " (plaintext baseline)" : "")")
        let catalog = try CatalogFile.load(path: catalogPath).yaml
        _ = try Ceremony.run(
            Ceremony.Options(
                federation: "bench", outputDirectory: folder + "/bench", nodes: specs, analysts: ["analyst"], threshold: nodes,
                insecureTestBits: `protocol` == .paillier && !unmasked ? nil : 512, catalog: catalog))
        for (index, name) in names.enumerated() {
            let directory = folder + "/bench/nodes/\(name)"
            var csv = "x\n"
            for row in 0..<rows { csv += "\((row * 7919 + index * 104_729) % buckets)\n" }
            try csv.write(toFile: directory + "/bench.csv", atomically: true, encoding: .utf8)
            try """
            rules:
              - id: benchmark
                who: [spiffe://bench/analyst/analyst]
                datasets: [bench]
                aggregates: [count]
                columns: {group: [x]}
                min_group_size: 1
                min_parties: 2
                protocols: [secure_sum, paillier]
                purpose: "fedbench e2e"
            """.write(toFile: directory + "/policies/benchmark.yaml", atomically: true, encoding: .utf8)
            let config = try String(contentsOfFile: directory + "/node.yaml", encoding: .utf8)
            try config.replacingOccurrences(of: "datasets: {}", with: "datasets:\n  bench: {csv: bench.csv}")
                .write(toFile: directory + "/node.yaml", atomically: true, encoding: .utf8)
        }
        let setups = try names.map { try NodeSetup.load(configPath: folder + "/bench/nodes/\($0)/node.yaml") }
        let services = setups.map {
            FederationNode(setup: $0, logger: logger, healthInterval: .seconds(2), unmaskedBaseline: unmasked)
        }
        let analystDirectory = folder + "/bench/analysts/analyst"
        let analyst = try TLSIdentity(
            principal: try Principal(federation: "bench", role: .analyst, name: "analyst"),
            certificatePEM: try String(contentsOfFile: analystDirectory + "/tls.pem", encoding: .utf8),
            privateKeyPEM: try String(contentsOfFile: analystDirectory + "/tls.key", encoding: .utf8),
            trust: setups[0].identity.trust)
        return Federation(services: services, analyst: analyst, coordinator: names[0], address: specs[0].address)
    }

    func run() async throws {
        if againstPlaintext, `protocol` == .plaintext {
            throw ValidationError("--against-plaintext compares another protocol with the plaintext baseline")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fedbench-e2e-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let names = (1...nodes).map { String(format: "node%02d", $0) }
        var logger = Logger(label: "fedbench.e2e")
        logger.logLevel = .error
        // The measured federation first; with --against-plaintext, the baseline second.
        var federations = [
            try makeFederation(in: folder + "/measured", names: names, unmasked: `protocol` == .plaintext, logger: logger)
        ]
        if againstPlaintext {
            federations.append(try makeFederation(in: folder + "/baseline", names: names, unmasked: true, logger: logger))
        }
        let group = ServiceGroup(services: federations.flatMap(\.services), logger: logger)
        // x takes values 0 … buckets − 1; WIDTH_BUCKET over [0, buckets) gives buckets + 2 levels.
        let buckets = values - 2
        let sql = "SELECT COUNT(*) FROM bench GROUP BY WIDTH_BUCKET(x, 0, \(buckets), \(buckets))"
        let wireProtocol: Fedstat_V1_AggregationProtocol = `protocol` == .paillier ? .paillier : .secureSum
        let rounds = self.rounds
        let expected = names.count * rows
        let measured = federations

        let timings: [[Double]] = try await withThrowingTaskGroup(of: [[Double]]?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            tasks.addTask {
                defer { Task { await group.triggerGracefulShutdown() } }
                progress("waiting until every node sees every peer")
                for federation in measured {
                    try await Self.waitUntilConnected(
                        names: names, address: federation.address, coordinator: federation.coordinator, analyst: federation.analyst)
                }
                return try await Self.timeRounds(
                    sql, protocols: [wireProtocol, .secureSum].prefix(measured.count).map { $0 }, federations: measured,
                    rounds: rounds, expectedRows: expected)
            }
            var result: [[Double]] = []
            for try await value in tasks { if let value { result = value } }
            return result
        }
        let medians = timings.map(median)
        let fields = [
            "\"benchmark\":\"e2e\"", "\"nodes\":\(nodes)", "\"values\":\(values)", "\"protocol\":\"\(`protocol`.rawValue)\"",
            "\"rows_per_node\":\(rows)", "\"rounds\":\(rounds)", "\"median_ms\":\(String(format: "%.2f", medians[0]))",
            "\"min_ms\":\(String(format: "%.2f", timings[0].min()!))",
        ]
        var baseline: [String] = []
        var baselineText = ""
        if againstPlaintext {
            let overhead = (medians[0] / medians[1] - 1) * 100
            baseline = [
                "\"plaintext_median_ms\":\(String(format: "%.2f", medians[1]))", "\"overhead_percent\":\(String(format: "%.1f", overhead))",
            ]
            baselineText = "; plaintext baseline median \(String(format: "%.1f", medians[1])) ms: overhead \(String(format: "%+.1f", overhead)) %"
        }
        switch format {
        case .json: print("{" + (fields + baseline).joined(separator: ",") + "}")
        case .text:
            print(
                "e2e \(`protocol`.rawValue): \(nodes) nodes, \(values) values, \(rows) rows/node: median \(String(format: "%.1f", medians[0])) ms, "
                    + "best \(String(format: "%.1f", timings[0].min()!)) ms over \(rounds) rounds" + baselineText)
        }
    }

    /// Times `rounds` queries on every federation (after one warm-up each), alternating
    /// between them round by round, each over one analyst connection opened once (as
    /// MPyC's parties connect once: what is timed is the query, not a TLS handshake).
    /// Returns the timings per federation, in milliseconds.
    static func timeRounds(
        _ sql: String, protocols: [Fedstat_V1_AggregationProtocol], federations: [Federation], rounds: Int, expectedRows: Int
    ) async throws -> [[Double]] {
        try await withClients(federations[...]) { clients in
            var timings = Array(repeating: [Double](), count: clients.count)
            for round in 0...rounds {
                for (index, client) in clients.enumerated() {
                    let started = ContinuousClock.now
                    let (counted, phases) = try await submit(sql, protocol: protocols[index], with: client)
                    let ms = seconds(since: started) * 1000
                    guard counted == expectedRows else {
                        throw ValidationError("the query counted \(counted) rows, expected \(expectedRows)")
                    }
                    if round > 0 { timings[index].append(ms) }
                    // The coordinator's own split (whole milliseconds): where the time goes.
                    let split =
                        "plan \(phases.planMs), propose \(phases.proposeMs), compute \(phases.computeMs), "
                        + "aggregate \(phases.aggregateMs), finalise \(phases.finaliseMs), total \(phases.totalMs) ms at the coordinator"
                    let label = index == 0 ? "" : " (plaintext baseline)"
                    progress(round == 0 ? "warm-up done\(label)" : "round \(round)\(label): \(String(format: "%.1f", ms)) ms (\(split))")
                }
            }
            return timings
        }
    }

    /// Opens one analyst client per federation and runs `body` with all of them.
    static func withClients<Result: Sendable>(
        _ federations: ArraySlice<Federation>, opened: [Fedstat_V1_Analyst.Client<HTTP2ClientTransport.Posix>] = [],
        _ body: ([Fedstat_V1_Analyst.Client<HTTP2ClientTransport.Posix>]) async throws -> Result
    ) async throws -> Result {
        guard let federation = federations.first else { return try await body(opened) }
        return try await FederationClients.withAnalystClient(
            to: federation.coordinator, at: federation.address, as: federation.analyst, maxMessageBytes: 64 << 20
        ) { client in
            try await withClients(federations.dropFirst(), opened: opened + [client], body)
        }
    }

    /// Submits `sql` and returns the total of its COUNT(*) column, or throws the query's
    /// failure.
    static func submit(
        _ sql: String, protocol aggregationProtocol: Fedstat_V1_AggregationProtocol,
        with client: Fedstat_V1_Analyst.Client<HTTP2ClientTransport.Posix>
    ) async throws -> (rows: Int, timings: Fedstat_V1_Timings) {
        var request = Fedstat_V1_QueryRequest()
        request.sql = sql
        request.protocol = aggregationProtocol
        request.timeoutMs = 600_000
        let outcome = try await client.submit(request) { response in
            var outcome: Result<(rows: Int, timings: Fedstat_V1_Timings), ValidationError> = .failure(ValidationError("no result"))
            for try await event in response.messages {
                switch event.event {
                case .result(let table):
                    let rows = table.rows.reduce(0) { total, row in
                        if case .decimal(let text) = row.cells.last?.value { total + (Int(text) ?? 0) } else { total }
                    }
                    outcome = .success((rows, table.timings))
                case .failure(let failure): outcome = .failure(ValidationError("query failed: \(failure.message)"))
                default: break
                }
            }
            return outcome
        }
        return try outcome.get()
    }

    /// Polls the coordinator's status until it sees every node reachable.
    static func waitUntilConnected(names: [String], address: HostPort, coordinator: String, analyst: TLSIdentity) async throws {
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            let reachable = try? await FederationClients.withAnalystClient(to: coordinator, at: address, as: analyst) { client in
                try await client.status(Fedstat_V1_FederationStatusRequest()).nodes.filter(\.reachable).count
            }
            if reachable == names.count { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw ValidationError("the nodes did not all become reachable within 300 s")
    }

    /// A free loopback port for a node (below the ephemeral range: see `LoopbackPort`).
    static func freePort() throws -> Int { try LoopbackPort.reserve() }
}
