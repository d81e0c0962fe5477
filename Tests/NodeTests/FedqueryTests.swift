import Foundation
import TestSupport
import Testing

/// The built `fedquery`.
let fedqueryPath = builtExecutable("fedquery")

/// Real `fednode serve` processes of federation `city`, made by the real ceremony, and
/// analyst alice's files. By default two nodes (north, south) with the joint-query
/// catalog, each with the same five-row CSV of visits and a policy that allows count,
/// sum and avg with `min_group_size: 3`; `catalog` and `prepare` (which writes a node's
/// data and policies into its folder before it starts) set up another federation.
final class ProcessFederation {
    /// Where the nodes run: all on 127.0.0.1, or each in a network namespace of its own
    /// (separate hosts with their own addresses) when the machine allows it.
    enum Network {
        case loopback
        case namespacesIfPossible
    }

    let directory: TemporaryDirectory
    let root: String
    let names: [String]
    let ports: [String: Int]
    /// Each node's IP address.
    let hosts: [String: String]
    /// Which network ran, for the test log: namespaces, or loopback and why.
    let networkDescription: String
    private let namespaces: NamespaceNetwork?
    private(set) var nodes: [String: ServeProcess] = [:]

    /// Per node: north twice (costs 100.50 and 20.25), once with no cost; south and east once.
    static let rows = """
        district,age,cost,days,chronic
        north,70,100.50,3,true
        north,71,20.25,0,false
        north,30,,1,false
        south,80,7.00,12,true
        east,66,12.25,2,false

        """
    static let policy = """
        rules:
          - id: open-study
            who: [spiffe://city/analyst/alice]
            datasets: [visits]
            aggregates: [count, sum, avg]
            columns: {aggregate: [cost, age, days], filter: [age, district, cost], group: [district, age]}
            min_group_size: 3
            min_parties: 2
            protocols: [secure_sum, paillier]
            purpose: "fedquery tests"
        """

    init(
        nodes names: [String] = ["north", "south"], catalog: String = jointCatalog, network: Network = .loopback,
        prepare: (_ name: String, _ folder: String) throws -> Void = ProcessFederation.writeTestData
    ) throws {
        directory = try TemporaryDirectory()
        root = directory.path + "/city"
        self.names = names
        var namespaces: NamespaceNetwork?
        var description = "loopback (127.0.0.1)"
        if network == .namespacesIfPossible {
            if let reason = NamespaceNetwork.unavailableReason {
                description = "loopback (127.0.0.1): no network namespaces, \(reason)"
            } else {
                do {
                    namespaces = try NamespaceNetwork(count: names.count)
                    description = "network namespaces: one per node on \(namespaces!.subnet), veth pairs on a bridge"
                } catch {
                    description = "loopback (127.0.0.1): network namespaces failed: \(error)"
                }
            }
        }
        self.namespaces = namespaces
        networkDescription = description
        print("process federation of \(names.joined(separator: ", ")): \(description)")
        var ports: [String: Int] = [:]
        var hosts: [String: String] = [:]
        for (index, name) in names.enumerated() {
            // Separate hosts may all listen on the same port.
            ports[name] = namespaces == nil ? try freePort() : 7001
            hosts[name] = namespaces?.addresses[index] ?? "127.0.0.1"
        }
        self.ports = ports
        self.hosts = hosts
        let catalogPath = try directory.write(catalog, to: "catalog.yaml")
        let ceremony = try testCeremony(out: root, nodes: names.map { ($0, address($0)) }, extra: ["--catalog", catalogPath])
        try #require(ceremony.status == 0, "\(ceremony.error)")
        for name in names {
            try prepare(name, root + "/nodes/\(name)")
            try start(name)
        }
    }

    /// The default data: `rows` as the node's visits, `policy` as its only policy.
    static func writeTestData(_ name: String, _ folder: String) throws {
        try rows.write(toFile: folder + "/visits.csv", atomically: true, encoding: .utf8)
        try policy.write(toFile: folder + "/policies/open.yaml", atomically: true, encoding: .utf8)
        try useCSV("visits.csv", forVisitsIn: folder + "/node.yaml")
    }

    /// Points the `visits` dataset of the node configuration at `csv` (relative to the
    /// configuration's folder, or absolute).
    static func useCSV(_ csv: String, forVisitsIn nodeConfig: String) throws {
        let config = try String(contentsOfFile: nodeConfig, encoding: .utf8)
        try config.replacingOccurrences(of: "datasets: {}", with: "datasets:\n  visits: {csv: \(csv)}")
            .write(toFile: nodeConfig, atomically: true, encoding: .utf8)
    }

    /// Node `name`'s address, `host:port`.
    func address(_ name: String) -> String { "\(hosts[name]!):\(ports[name]!)" }

    /// Starts (or restarts) node `name`'s `fednode serve` process (in its namespace).
    func start(_ name: String) throws {
        let arguments = ["serve", "--config", root + "/nodes/\(name)/node.yaml"]
        let (executable, commandLine) =
            namespaces?.command(for: names.firstIndex(of: name)!, fednodePath, arguments) ?? (fednodePath, arguments)
        nodes[name] = try ServeProcess(executable: executable, arguments: commandLine, log: directory.path + "/\(name).log")
    }

    func process(_ name: String) -> ServeProcess { nodes[name]! }

    deinit {
        for node in nodes.values { _ = node.terminate() }
        namespaces?.teardown()
    }

    var analystConfig: String { root + "/analysts/alice/fedquery.yaml" }

    /// Runs fedquery with alice's configuration (stderr is a pipe: no progress).
    func fedquery(_ arguments: [String]) throws -> ProcessResult {
        try run(fedqueryPath, arguments + ["--config", analystConfig])
    }

    /// Polls `fedquery status` (not a fixed sleep) until the coordinator sees every node.
    func waitUntilReady() async throws {
        let deadline = Date().addingTimeInterval(90)
        var last = ProcessResult(status: -1, output: "", error: "")
        while Date() < deadline {
            last = try fedquery(["status"])
            if last.status == 0, last.output.components(separatedBy: "  reachable").count == names.count + 1 { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("the federation did not become ready: \(last.output) \(last.error)")
        throw CancellationError()
    }

    func stop(_ name: String) -> Int32 {
        nodes[name]!.terminate()
    }
}

/// Replaces what changes from run to run (elapsed and phase times, the query id) so
/// outputs can be compared byte for byte.
func masked(_ text: String) -> String {
    var out = text
    for (pattern, replacement) in [
        (#"; \d+ ms\)"#, "; N ms)"), (#""elapsed_ms": \d+"#, #""elapsed_ms": N"#),
        (#""query_id": "[0-9a-f]{32}""#, #""query_id": "ID""#),
        (#""(plan|propose|compute|aggregate|finalise|total)": \d+"#, #""$1": N"#),
    ] {
        out = out.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return out
}

/// The real `fedquery` binary against a real two-process federation.
@Suite("fedquery", .serialized, .timeLimit(.minutes(10)))
struct FedqueryTests {
    static let byDistrict = "SELECT district, COUNT(*), SUM(cost), AVG(age) FROM visits GROUP BY district"

    @Test func tableJSONAndCSVAreExactAndNothingElseIsPrinted() async throws {
        let federation = try ProcessFederation()
        try await federation.waitUntilReady()

        let table = try federation.fedquery([Self.byDistrict])
        #expect(table.status == 0, "\(table.error)")
        // North: 6 rows (3 per node), Σcost = 2 × (100.50 + 20.25), avg(age) = (70 + 71 + 30) / 3.
        #expect(
            masked(table.output) == """
                district    count(*)   sum(cost)    avg(age)
                --------  ----------  ----------  ----------
                north              6       241.5          57
                south     suppressed  suppressed  suppressed
                east      suppressed  suppressed  suppressed

                (3 rows; participants: north, south; protocol: secure-sum; N ms)
                suppressed: computed from fewer rows than a participant's min_group_size allows to show

                """)
        // Progress goes to stderr only when it is a terminal; here it is a pipe.
        #expect(table.error == "")

        let json = try federation.fedquery(["--format", "json", "--protocol", "paillier", Self.byDistrict])
        #expect(json.status == 0, "\(json.error)")
        #expect(
            masked(json.output) == """
                {
                  "query_id": "ID",
                  "protocol": "paillier",
                  "participants": ["north", "south"],
                  "columns": [{"name": "district", "type": "category"}, {"name": "count(*)", "type": "decimal"}, {"name": "sum(cost)", "type": "decimal"}, {"name": "avg(age)", "type": "decimal"}],
                  "rows": [
                    ["north", "6", "241.5", "57"],
                    ["south", null, null, null],
                    ["east", null, null, null]
                  ],
                  "suppressed_cells": [[1, 1], [1, 2], [1, 3], [2, 1], [2, 2], [2, 3]],
                  "timings_ms": {"plan": N, "propose": N, "compute": N, "aggregate": N, "finalise": N, "total": N},
                  "elapsed_ms": N
                }

                """)
        #expect(json.error == "")

        let csv = try federation.fedquery(["--format", "csv", Self.byDistrict])
        #expect(csv.status == 0, "\(csv.error)")
        #expect(csv.output == "district,count(*),sum(cost),avg(age)\nnorth,6,241.5,57\nsouth,,,\neast,,,\n")
        #expect(csv.error == "")

        // --digits: a mean that is no terminating decimal, (3 + 0 + 1) / 3, to 4 digits.
        let digits = try federation.fedquery([
            "--format", "csv", "--digits", "4", "SELECT AVG(days) FROM visits WHERE district = 'north'",
        ])
        #expect(digits.output == "avg(days)\n1.333\n", "\(digits.error)")

        // A histogram is drawn as bars too (ages 66, 70, 71, 80 on each node: one bucket).
        let histogram = try federation.fedquery([
            "SELECT WIDTH_BUCKET(age, 60, 90, 1), COUNT(*) FROM visits WHERE age >= 60 GROUP BY WIDTH_BUCKET(age, 60, 90, 1)"
        ])
        #expect(histogram.status == 0, "\(histogram.error)")
        #expect(histogram.output.hasSuffix("count(*) by width_bucket(age, 60, 90, 1):\n1 |████████████████████████████████████████ 8\n"))
    }

    @Test func errorsSayWhatIsWrongWithTheirExitCode() async throws {
        let federation = try ProcessFederation()
        try await federation.waitUntilReady()
        let alice = federation.root + "/analysts/alice"

        // An SQL error: the query with a caret under the position; exit 1.
        let sql = try federation.fedquery(["SELECT COUNT(*) FROM visits WHERE cost >> 3"])
        #expect(sql.status == 1)
        #expect(sql.output == "")
        #expect(
            sql.error == """
                fedquery: SQL error at line 1, column 41: expected a value, found '>'
                  SELECT COUNT(*) FROM visits WHERE cost >> 3
                                                          ^

                """)

        // A denial lists every node's reason; exit 1.
        let denied = try federation.fedquery(["SELECT district, VAR_SAMP(cost) FROM visits GROUP BY district"])
        #expect(denied.status == 1)
        #expect(denied.error.hasPrefix("fedquery: the query was denied; each node's decision:\n"))
        for node in ["north", "south"] {
            #expect(denied.error.contains("  \(node) denies: aggregate `var_samp` may not be used by spiffe://city/analyst/alice"))
        }

        // TLS: a CA file of another federation is named; exit 3.
        let other = try TemporaryDirectory()
        let otherCeremony = try run(
            fednodePath,
            [
                "federation", "init", "--id", "city", "--out", other.path + "/city", "--analyst", "alice", "--threshold", "1",
                "--insecure-test-paillier-bits", "512", "--node", "x=127.0.0.1:\(try freePort())",
            ])
        try #require(otherCeremony.status == 0, "\(otherCeremony.error)")
        let stranger = other.path + "/city/analysts/alice"
        let address = "127.0.0.1:\(federation.ports["north"]!)"
        let wrongCA = try run(
            fedqueryPath, ["status", "--node", address, "--cert", alice + "/tls.pem", "--key", alice + "/tls.key", "--ca", stranger + "/ca.pem"])
        #expect(wrongCA.status == 3)
        #expect(wrongCA.error.contains(stranger + "/ca.pem"))
        #expect(wrongCA.error.contains("its signature does not verify with the CA's key"))
        // An analyst of another federation (with its own CA) fails the handshake: the
        // node's certificate is not from that CA.
        let strangerRun = try run(
            fedqueryPath,
            ["status", "--node", address, "--cert", stranger + "/tls.pem", "--key", stranger + "/tls.key", "--ca", stranger + "/ca.pem"])
        #expect(strangerRun.status == 3)
        #expect(strangerRun.error.contains("TLS handshake with \(address) failed"))
        #expect(strangerRun.error.contains(stranger + "/ca.pem"))

        // Nothing listening: exit 3.
        let closed = try run(
            fedqueryPath,
            ["status", "--node", "127.0.0.1:\(try freePort())", "--cert", alice + "/tls.pem", "--key", alice + "/tls.key", "--ca", alice + "/ca.pem"])
        #expect(closed.status == 3)
        #expect(closed.error.contains("cannot reach"))

        // Usage errors: exit 2.
        #expect(try run(fedqueryPath, ["status", "--node", address, "--cert", alice + "/tls.pem"]).status == 2)
        #expect(try federation.fedquery(["--format", "xml", Self.byDistrict]).status == 2)
        let noConfig = try run(fedqueryPath, ["status", "--config", other.path + "/missing.yaml"])
        #expect(noConfig.status == 2)
        #expect(noConfig.error.contains("missing.yaml"))

        // A node that is down: the query fails at its deadline naming the node; exit 1.
        #expect(federation.stop("south") == 0)
        let failed = try federation.fedquery(["--timeout", "3", Self.byDistrict])
        #expect(failed.status == 1)
        #expect(failed.error.contains("node south"), "\(failed.error)")
    }

    @Test func datasetsDescribeStatusAndExplain() async throws {
        let federation = try ProcessFederation()
        try await federation.waitUntilReady()
        let datasets = try federation.fedquery(["datasets"])
        #expect(datasets.output == "visits  (5 columns, up to 100000 rows per node; held by north, south)\n")
        let describe = try federation.fedquery(["describe", "visits"])
        #expect(
            describe.output == """
                visits: up to 100000 rows per node
                held by north, south (the participants of every query)
                  district  category {north, south, east}
                  age       integer 0…120
                  cost      decimal(2) 0.00…20000000.00, nullable
                  days      integer 0…365
                  chronic   boolean

                """)
        let unknown = try federation.fedquery(["describe", "patients"])
        #expect(unknown.status == 1)
        #expect(unknown.error.contains("no dataset patients"))
        let status = try federation.fedquery(["status"])
        #expect(status.output.hasPrefix("federation city, coordinator north\n"))
        let explain = try federation.fedquery(["explain", "SELECT district, VAR_SAMP(cost) FROM visits GROUP BY district"])
        #expect(explain.status == 0)
        #expect(explain.output.contains("  north denies: aggregate `var_samp`"))
        let badSQL = try federation.fedquery(["explain", "SELECT COUNT(*) FROM visits WHERE cost >> 3"])
        #expect(badSQL.status == 1)
        #expect(badSQL.error.hasSuffix("\n  SELECT COUNT(*) FROM visits WHERE cost >> 3\n                                          ^\n"), "\(badSQL.error)")
        let approved = try federation.fedquery(["explain", Self.byDistrict])
        #expect(approved.output.contains("  north approves (rule open-study, min_group_size 3, min_parties 2)\n"))

        // Options may come before the subcommand, as they may before the SQL.
        let optionsFirst = try run(fedqueryPath, ["--config", federation.analystConfig, "describe", "visits"])
        #expect(optionsFirst.status == 0, "\(optionsFirst.error)")
        #expect(optionsFirst.output == describe.output)
        let explainAfterOptions = try run(fedqueryPath, ["--config=\(federation.analystConfig)", "--protocol", "paillier", "explain", Self.byDistrict])
        #expect(explainAfterOptions.output.contains("  north approves (rule open-study"), "\(explainAfterOptions.error)")
    }

    /// With a terminal on stderr (a pseudo-terminal from `script`), each step and each
    /// node's decision is shown as it arrives; the result still goes to stdout.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func progressIsShownOnATerminal() async throws {
        let federation = try ProcessFederation()
        try await federation.waitUntilReady()
        let command = [fedqueryPath, "--config", federation.analystConfig, Self.byDistrict]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let terminal = try run("/usr/bin/script", ["-qec", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.error)")
        for line in ["fedquery: planned: ", "fedquery: proposed to north, south (secure-sum)", "fedquery: north approves (rule open-study",
                     "fedquery: south approves (rule open-study", "fedquery: finalise", "north              6"] {
            #expect(terminal.output.contains(line), "\(line) missing from: \(terminal.output)")
        }
    }
}
