import Foundation
import TestSupport
import Testing

/// Real node processes failing: a node killed mid-query, then restarted. Each node runs
/// in a network namespace of its own where the machine allows it.
@Suite("Node failures between processes", .serialized, .timeLimit(.minutes(10)))
struct NodeFailureProcessTests {
    static let query = "SELECT district, COUNT(*), SUM(cost) FROM visits GROUP BY district"

    /// The audit records of `node` of kind `kind`, as `fednode audit show` prints them.
    func audit(_ federation: ProcessFederation, _ node: String, kind: String) throws -> [String] {
        try auditLines(config: federation.root + "/nodes/\(node)/node.yaml").filter {
            $0.split(separator: "\t").dropFirst(2).first == Substring(kind)
        }
    }

    /// `kill -9` of a node while a query waits for it: the query fails with an error
    /// naming the node, the other nodes stay healthy, every surviving node records the
    /// abort of that query, and after a restart the same query succeeds.
    @Test func aNodeKilledMidQueryFailsItCleanlyAndARestartRecovers() async throws {
        let federation = try ProcessFederation(nodes: ["north", "south", "east"], network: .namespacesIfPossible)
        try await federation.waitUntilReady()
        let before = try audit(federation, "north", kind: "proposal").count

        // South stops answering (SIGSTOP keeps its socket open, so the query really waits
        // on it), the query starts, and once north has recorded its proposal the query is
        // in flight: then south is killed outright.
        let south = federation.process("south").process.processIdentifier
        kill(south, SIGSTOP)
        let query = Process()
        query.executableURL = URL(fileURLWithPath: fedqueryPath)
        query.arguments = ["--config", federation.analystConfig, "--timeout", "30", Self.query]
        let output = Pipe()
        let errors = Pipe()
        query.standardOutput = output
        query.standardError = errors
        try query.run()
        let deadline = Date().addingTimeInterval(60)
        while try audit(federation, "north", kind: "proposal").count == before, Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(query.isRunning, "the query ended before south was killed")
        kill(south, SIGKILL)
        query.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(query.terminationStatus == 1)
        #expect(message.contains("node south"), "\(message)")
        #expect(output.fileHandleForReading.readDataToEndOfFile().isEmpty)

        // The survivors stay healthy; the coordinator's health checks notice south is
        // gone (polled until they do, at most 60 s).
        var status = try federation.fedquery(["status"])
        let noticed = Date().addingTimeInterval(60)
        while !status.output.contains("south  \(federation.address("south"))  unreachable"), Date() < noticed {
            try await Task.sleep(for: .milliseconds(200))
            status = try federation.fedquery(["status"])
        }
        #expect(status.output.contains("north  \(federation.address("north"))  reachable"))
        #expect(status.output.contains("east   \(federation.address("east"))  reachable"))
        #expect(status.output.contains("south  \(federation.address("south"))  unreachable"), "\(status.output)")
        // Every surviving node recorded the abort of that query.
        let queryID = try #require(try audit(federation, "north", kind: "proposal").last?.split(separator: "\t")[3])
        for node in ["north", "east"] {
            let aborts = try audit(federation, node, kind: "abort")
            #expect(aborts.contains { $0.split(separator: "\t")[3] == queryID }, "\(node): \(aborts)")
        }

        // Restarted, south takes part again and the same query succeeds.
        try federation.start("south")
        try await federation.waitUntilReady()
        let again = try federation.fedquery(["--format", "csv", Self.query])
        #expect(again.status == 0, "\(again.error)")
        // Three nodes with the same rows: north 3 × (100.50 + 20.25), south 3 × 7.00, east 3 × 12.25.
        #expect(again.output == "district,count(*),sum(cost)\nnorth,9,362.25\nsouth,3,21\neast,3,36.75\n")
    }
}
