import Foundation
import TestSupport
import Testing

/// Real node processes against hostile peers: a node of another CA.
@Suite("Hostile peers of node processes", .serialized, .timeLimit(.minutes(10)))
struct HostileProcessTests {
    static let query = "SELECT district, COUNT(*), SUM(cost) FROM visits GROUP BY district"

    /// A node whose certificate comes from another CA — same federation id, same member
    /// names and addresses, its own ceremony — takes the address of a stopped member.
    /// It cannot take part in either direction: the coordinator refuses its server
    /// certificate and the query fails naming the member it impersonates; as a
    /// coordinator itself, the members refuse its client certificate and nothing
    /// reaches their audit logs. Once it is gone and the real member is back, queries
    /// succeed.
    @Test func aNodeFromAnotherCACannotTakePart() async throws {
        let federation = try ProcessFederation(nodes: ["north", "south", "east"])
        try await federation.waitUntilReady()
        #expect(federation.stop("east") == 0)

        let impostor = try TemporaryDirectory()
        let ceremony = try testCeremony(
            out: impostor.path + "/city", nodes: federation.names.map { ($0, federation.address($0)) },
            extra: ["--catalog", federation.directory.path + "/catalog.yaml"])
        try #require(ceremony.status == 0, "\(ceremony.error)")
        let fakeFolder = impostor.path + "/city/nodes/east"
        try ProcessFederation.writeTestData("east", fakeFolder)
        let fake = try ServeProcess(config: fakeFolder + "/node.yaml", log: impostor.path + "/east.log")
        defer { _ = fake.terminate() }
        // Wait until the impostor answers (its own status, over TLS as itself).
        let listening = Date().addingTimeInterval(90)
        var own = try run(fednodePath, ["status", "--config", fakeFolder + "/node.yaml"])
        while own.status != 0, Date() < listening {
            try await Task.sleep(for: .milliseconds(200))
            own = try run(fednodePath, ["status", "--config", fakeFolder + "/node.yaml"])
        }
        try #require(own.status == 0, "\(own.error)")
        let northBefore = try auditLines(config: federation.root + "/nodes/north/node.yaml")
        let southBefore = try auditLines(config: federation.root + "/nodes/south/node.yaml")

        // 1. The real federation's query reaches the impostor's address: refused at TLS.
        // Once the coordinator's health checks have met the impostor, `status` says why,
        // and a query fails at once rather than waiting for its deadline.
        let met = Date().addingTimeInterval(60)
        var view = try federation.fedquery(["status"])
        while !view.output.contains("unreachable: its certificate was refused"), Date() < met {
            try await Task.sleep(for: .milliseconds(200))
            view = try federation.fedquery(["status"])
        }
        #expect(view.output.contains("east   127.0.0.1:\(federation.ports["east"]!)  unreachable: its certificate was refused"), "\(view.output)")
        let real = try federation.fedquery(["--timeout", "60", Self.query])
        #expect(real.status == 1)
        #expect(real.error.contains("node east"), "\(real.error)")
        // Failed at once, saying why (a wait for the deadline would say "did not answer").
        #expect(real.error.contains("east cannot take part: its certificate was refused"), "\(real.error)")
        #expect(real.error.contains("issued by a different CA"), "\(real.error)")
        #expect(real.output.isEmpty)
        #expect(try auditLines(config: fakeFolder + "/node.yaml").isEmpty, "the impostor saw a proposal")

        // 2. The impostor coordinates a query of its own analyst: the real members refuse
        // its certificate, so it fails naming one of them, and their logs gain nothing
        // from it (only the real query's proposal, decision and abort above).
        let fakeAlice = impostor.path + "/city/analysts/alice"
        let forged = try run(fedqueryPath, [
            "--node", "127.0.0.1:\(federation.ports["east"]!)", "--cert", fakeAlice + "/tls.pem", "--key", fakeAlice + "/tls.key",
            "--ca", fakeAlice + "/ca.pem", "--timeout", "10", Self.query,
        ])
        #expect(forged.status == 1, "\(forged.error)")
        #expect(forged.error.contains("node north") || forged.error.contains("node south"), "\(forged.error)")
        let northAfter = try auditLines(config: federation.root + "/nodes/north/node.yaml")
        let southAfter = try auditLines(config: federation.root + "/nodes/south/node.yaml")
        #expect(northAfter.count == northBefore.count + 3, "\(northAfter)")
        #expect(southAfter.count == southBefore.count + 3, "\(southAfter)")
        #expect(!(northAfter + southAfter).contains { $0.contains("spiffe://city/node/east") && $0.contains("proposal") })
        // Seen from the impostor, no real member is reachable.
        let fakeView = try run(fednodePath, ["status", "--config", fakeFolder + "/node.yaml"])
        #expect(!fakeView.output.contains(" reachable"), "\(fakeView.output)")

        // 3. The impostor gone and the real east back, the same query succeeds.
        #expect(fake.terminate() == 0)
        try federation.start("east")
        try await federation.waitUntilReady()
        let again = try federation.fedquery(["--format", "csv", Self.query])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.output == "district,count(*),sum(cost)\nnorth,9,362.25\nsouth,3,21\neast,3,36.75\n")
    }
}
