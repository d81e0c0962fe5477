import Config
import Foundation
import GRPCCore
import Logging
@testable import Node
import PKI
import Testing
import Wire

/// Real nodes on real loopback sockets, over mutual TLS 1.3.
@Suite("Mutual-TLS transport", .serialized, .timeLimit(.minutes(5)))
struct TransportTests {
    @Test func nodesSeeEachOtherAndAnAnalystIsServed() async throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let analyst = try federation.analystIdentity("alice")
        try await withRunningNodes(federation, ["north", "south"]) { setups in
            // Node to node: north asks south, as north.
            let health = try await FederationClients.withFederationClient(
                to: "south", at: federation.addresses["south"]!, as: setups["north"]!.identity
            ) { client in
                try await client.health(Fedstat_V1_HealthRequest(), options: testCallOptions)
            }
            #expect(health.node == "south")
            #expect(health.federation == "city")
            #expect(health.status == .serving)

            // The peers' health checks see each other (polled, with a deadline).
            let deadline = ContinuousClock.now + .seconds(60)
            var status = Fedstat_V1_NodeStatus()
            repeat {
                status = try await FederationClients.withFederationClient(
                    to: "north", at: federation.addresses["north"]!, as: setups["south"]!.identity
                ) { client in
                    try await client.status(Fedstat_V1_StatusRequest(), options: testCallOptions)
                }
                if status.peers.first?.reachable == true { break }
                try await Task.sleep(for: .milliseconds(100))
            } while ContinuousClock.now < deadline
            #expect(status.node == "north")
            #expect(status.peers.map(\.name) == ["south"])
            #expect(status.peers.first?.reachable == true)

            // An analyst reaches the Analyst service of its coordinator.
            let federationStatus = try await FederationClients.withAnalystClient(
                to: "north", at: federation.addresses["north"]!, as: analyst
            ) { client in
                try await client.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
            }
            #expect(federationStatus.coordinator == "north")
            #expect(federationStatus.nodes.map(\.name) == ["north", "south"])
        }
    }

    /// Only nodes may call the Federation service.
    @Test func anAnalystCannotCallTheFederationService() async throws {
        let federation = try TestFederation(nodes: ["north"])
        let analyst = try federation.analystIdentity("alice")
        try await withRunningNodes(federation, ["north"]) { _ in
            let code = await rpcErrorCode {
                _ = try await FederationClients.withFederationClient(to: "north", at: federation.addresses["north"]!, as: analyst) {
                    try await $0.health(Fedstat_V1_HealthRequest(), options: testCallOptions)
                }
            }
            #expect(code == .permissionDenied)
        }
    }

    /// Only analysts may call the Analyst service.
    @Test func aNodeCannotCallTheAnalystService() async throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        try await withRunningNodes(federation, ["north"]) { setups in
            let south = try federation.setup("south")
            let code = await rpcErrorCode {
                _ = try await FederationClients.withAnalystClient(to: "north", at: federation.addresses["north"]!, as: south.identity) {
                    try await $0.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
                }
            }
            #expect(code == .permissionDenied)
        }
    }

    /// A certificate from the federation's own CA for someone `federation.yaml` does not
    /// list (a member removed before its certificate expired, or one the CA key minted
    /// outside the ceremony) calls neither service.
    @Test func aCertificateOfNoMemberIsRefused() async throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let now = Date()
        func identity(_ role: Principal.Role, _ name: String) throws -> TLSIdentity {
            try federation.issueIdentity(
                for: try Principal(federation: "city", role: role, name: name), notBefore: now.addingTimeInterval(-60),
                notAfter: now.addingTimeInterval(3600), checkedAt: now)
        }
        let mallory = try identity(.analyst, "mallory")
        let ghost = try identity(.node, "ghost")
        try await withRunningNodes(federation, ["north"]) { _ in
            let analystCall = await rpcError {
                _ = try await FederationClients.withAnalystClient(to: "north", at: federation.addresses["north"]!, as: mallory) {
                    try await $0.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
                }
            }
            #expect(analystCall?.code == .permissionDenied)
            #expect(analystCall?.message.contains("spiffe://city/analyst/mallory is not a member of federation city") == true)
            let nodeCall = await rpcError {
                _ = try await FederationClients.withFederationClient(to: "north", at: federation.addresses["north"]!, as: ghost) {
                    try await $0.health(Fedstat_V1_HealthRequest(), options: testCallOptions)
                }
            }
            #expect(nodeCall?.code == .permissionDenied)
            #expect(nodeCall?.message.contains("spiffe://city/node/ghost is not a member") == true)
        }
    }

    /// A refused certificate is remembered for the client identity that refused it:
    /// another federation's node of the same name (e.g. in one test or benchmark
    /// process) does not inherit it and fail its own queries early.
    @Test func certificateRefusalsAreKeptPerClientIdentity() throws {
        let first = try TestFederation(nodes: ["north", "south"])
        let second = try TestFederation(nodes: ["north", "south"])
        let log = RejectionLog()
        let before = Date()
        log.record(PKIError(.untrustedIssuer, "refused by the first north"), key: RejectionLog.key(peer: "south", seenBy: try first.setup("north").identity))
        #expect(log.latest(key: RejectionLog.key(peer: "south", seenBy: try first.setup("north").identity), since: before) != nil)
        #expect(log.latest(key: RejectionLog.key(peer: "south", seenBy: try second.setup("north").identity), since: before) == nil)
        #expect(log.latest(key: RejectionLog.key(peer: "south", seenBy: try first.setup("north").identity), since: Date().addingTimeInterval(1)) == nil)
    }

    /// A certificate from another CA — even one of a federation with the same id and
    /// the same member names — cannot connect.
    @Test func aCertificateFromAnotherCAIsRefused() async throws {
        let federation = try TestFederation(nodes: ["north"])
        let impostor = try TestFederation(nodes: ["north"])
        let stranger = try impostor.analystIdentity("alice")
        try await withRunningNodes(federation, ["north"]) { _ in
            let code = await rpcErrorCode {
                _ = try await FederationClients.withAnalystClient(to: "north", at: federation.addresses["north"]!, as: stranger) {
                    try await $0.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
                }
            }
            #expect(code == .unavailable)
            #expect(TransportRejections.recent.contains { $0.contains("not issued by") || $0.contains("untrusted") || $0.contains("CA") })
        }
    }

    /// An expired certificate of the right CA cannot connect.
    @Test func anExpiredCertificateIsRefused() async throws {
        let federation = try TestFederation(nodes: ["north"])
        let ca = try federation.ca()
        let start = ca.certificate.notValidBefore
        let expired = try federation.issueIdentity(
            for: try Principal(federation: "city", role: .analyst, name: "alice"),
            notBefore: start, notAfter: start.addingTimeInterval(60), checkedAt: start.addingTimeInterval(30))
        try await withRunningNodes(federation, ["north"]) { _ in
            let code = await rpcErrorCode {
                _ = try await FederationClients.withAnalystClient(to: "north", at: federation.addresses["north"]!, as: expired) {
                    try await $0.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
                }
            }
            #expect(code == .unavailable)
            #expect(TransportRejections.recent.contains { $0.contains("expired") })
        }
    }

    /// A client that means to reach node south but is answered by node north (a wrong
    /// or redirected address) refuses the connection: north's certificate is not
    /// south's.
    @Test func aNodeAnsweringUnderAnotherNameIsRefused() async throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let analyst = try federation.analystIdentity("alice")
        try await withRunningNodes(federation, ["north"]) { _ in
            let code = await rpcErrorCode {
                _ = try await FederationClients.withAnalystClient(to: "south", at: federation.addresses["north"]!, as: analyst) {
                    try await $0.status(Fedstat_V1_FederationStatusRequest(), options: testCallOptions)
                }
            }
            #expect(code == .unavailable)
            #expect(TransportRejections.recent.contains { $0.contains("south") })
        }
    }

    /// The identity is the certificate: a node holding north's certificate is north,
    /// whatever its configuration calls it, and cannot start under south's name.
    @Test func aNodeCannotStartUnderAnotherNodesName() throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let southDirectory = federation.root + "/nodes/south"
        let northDirectory = federation.root + "/nodes/north"
        // Give south north's certificate and key.
        try FileManager.default.removeItem(atPath: southDirectory + "/tls.pem")
        try FileManager.default.copyItem(atPath: northDirectory + "/tls.pem", toPath: southDirectory + "/tls.pem")
        try FileManager.default.removeItem(atPath: southDirectory + "/tls.key")
        try FileManager.default.copyItem(atPath: northDirectory + "/tls.key", toPath: southDirectory + "/tls.key")
        do {
            _ = try federation.setup("south")
            Issue.record("south started with north's certificate")
        } catch let error as NodeStartupError {
            #expect(error.code == .certificate)
            #expect(error.message.contains("north"))
        }
    }

    /// Cancelling a node (its task, not a graceful shutdown) while connections keep
    /// arriving stops it cleanly. Cancelling gRPC's serve directly could trap in NIO when
    /// accepted connections were still buffered; the node turns cancellation into a
    /// graceful shutdown. Repeated six times, each cancelled mid-stream of connections
    /// (without the guard, about one run in four of this test crashed).
    @Test func cancellingANodeWhileConnectionsArriveStopsIt() async throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let setup = try federation.setup("north")
        let probe = try federation.setup("south").identity
        let address = federation.addresses["north"]!
        for _ in 0..<6 {
            let node = FederationNode(setup: setup, logger: Logger(label: "fedstat.test"))
            let running = Task { try await node.run() }
            try await waitUntilHealthy("north", at: address, as: probe)
            await withTaskGroup(of: Void.self) { clients in
                for _ in 0..<20 {
                    clients.addTask {
                        _ = try? await FederationClients.withFederationClient(to: "north", at: address, as: probe) { client in
                            try await client.health(Fedstat_V1_HealthRequest(), options: testCallOptions)
                        }
                    }
                }
                running.cancel()
            }
            // The node returns (normally or with an error), and does not crash.
            _ = await running.result
        }
    }
}
