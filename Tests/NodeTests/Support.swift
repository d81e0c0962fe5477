import Config
import Crypto
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Glibc
import KeyStore
import Logging
import Node
import PKI
import ServiceLifecycle
import TestSupport
import Testing
import Wire
import X509

/// A free loopback port for a test node (below the ephemeral range: see `LoopbackPort`).
func freePort() throws -> Int { try LoopbackPort.reserve() }

/// A federation made by the real key ceremony in a temporary directory, with nodes on
/// free loopback ports and a 512-bit test Paillier key (fast in debug builds).
struct TestFederation {
    let id: String
    let directory: TemporaryDirectory
    let report: Ceremony.Report
    let addresses: [String: HostPort]

    init(
        id: String = "city", nodes: [String], analysts: [String] = ["alice"], threshold: Int? = nil, catalog: String? = nil
    ) throws {
        self.id = id
        let directory = try TemporaryDirectory()
        self.directory = directory
        let catalogYAML = try catalog.map { text in
            try CatalogFile.load(path: try directory.write(text, to: "catalog.yaml")).yaml
        }
        var addresses: [String: HostPort] = [:]
        var specs: [(name: String, address: HostPort)] = []
        for name in nodes {
            let address = try HostPort(host: "127.0.0.1", port: try freePort())
            addresses[name] = address
            specs.append((name, address))
        }
        self.addresses = addresses
        report = try Ceremony.run(
            Ceremony.Options(
                federation: id, outputDirectory: directory.path + "/\(id)", nodes: specs, analysts: analysts,
                threshold: threshold ?? nodes.count, insecureTestBits: 512, catalog: catalogYAML))
    }

    var root: String { directory.path + "/\(id)" }

    func nodeConfig(_ name: String) -> String { root + "/nodes/\(name)/node.yaml" }

    func setup(_ name: String) throws -> NodeSetup {
        try NodeSetup.load(configPath: nodeConfig(name))
    }

    /// The CA, read back from the ceremony's files (to issue unusual certificates).
    func ca() throws -> FederationCA {
        let certificate = try PEM.certificate(from: try String(contentsOfFile: root + "/ca/ca.pem", encoding: .utf8))
        let key = try PEM.privateKey(from: String(decoding: try SecretFile.read(root + "/ca/ca.key"), as: UTF8.self))
        return try FederationCA(federation: id, certificate: certificate, privateKey: key)
    }

    func trust() throws -> FederationTrust {
        try ca().trust
    }

    /// The identity the ceremony made for analyst `name`.
    func analystIdentity(_ name: String) throws -> TLSIdentity {
        let directory = root + "/analysts/\(name)"
        return try TLSIdentity(
            principal: try Principal(federation: id, role: .analyst, name: name),
            certificatePEM: try String(contentsOfFile: directory + "/tls.pem", encoding: .utf8),
            privateKeyPEM: String(decoding: try SecretFile.read(directory + "/tls.key"), as: UTF8.self),
            trust: try trust())
    }

    /// A fresh identity for `principal` issued by this federation's CA with the given
    /// validity; the identity's own check runs at `checkedAt`.
    func issueIdentity(
        for principal: Principal, notBefore: Date, notAfter: Date, checkedAt: Date
    ) throws -> TLSIdentity {
        let (certificatePEM, keyPEM) = try issueCertificate(for: principal, notBefore: notBefore, notAfter: notAfter)
        return try TLSIdentity(
            principal: principal, certificatePEM: certificatePEM, privateKeyPEM: keyPEM, trust: try trust(), at: checkedAt)
    }

    /// A certificate for `principal` from this federation's CA, and its key, as PEM.
    func issueCertificate(for principal: Principal, notBefore: Date, notAfter: Date) throws -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        let certificate = try ca().issue(for: principal, publicKey: key.publicKey, notBefore: notBefore, notAfter: notAfter)
        return (try PEM.encode(certificate), PEM.encode(key))
    }
}

/// Runs the given nodes in a service group for the duration of `body`, after waiting
/// (by health checks, not sleeps) until every node answers; then shuts them down
/// gracefully and waits for them to stop.
func withRunningNodes<Result: Sendable>(
    _ federation: TestFederation, _ names: [String],
    _ body: @escaping @Sendable ([String: NodeSetup]) async throws -> Result
) async throws -> Result {
    var setups: [String: NodeSetup] = [:]
    for name in names { setups[name] = try federation.setup(name) }
    var logger = Logger(label: "fedstat.test")
    logger.logLevel = .warning
    let nodes = names.map { FederationNode(setup: setups[$0]!, logger: logger, healthInterval: .milliseconds(200)) }
    let group = ServiceGroup(services: nodes, logger: logger)
    let captured = setups
    return try await withThrowingTaskGroup(of: Result?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        tasks.addTask {
            defer { Task { await group.triggerGracefulShutdown() } }
            let probe = captured[names[0]]!
            for name in names {
                try await waitUntilHealthy(name, at: federation.addresses[name]!, as: probe.identity)
            }
            return try await body(captured)
        }
        var result: Result?
        for try await value in tasks where value != nil { result = value }
        return try #require(result)
    }
}

/// Polls the node's health over mutual TLS until it answers (at most 60 s).
func waitUntilHealthy(_ node: String, at address: HostPort, as identity: TLSIdentity) async throws {
    let deadline = ContinuousClock.now + .seconds(60)
    var lastError: (any Error)?
    while ContinuousClock.now < deadline {
        do {
            let response = try await FederationClients.withFederationClient(to: node, at: address, as: identity) { client in
                var options = CallOptions.defaults
                options.timeout = .seconds(5)
                return try await client.health(Fedstat_V1_HealthRequest(), options: options)
            }
            if response.status == .serving { return }
        } catch {
            lastError = error
        }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("node \(node) did not become healthy: \(String(describing: lastError))")
    throw CancellationError()
}

/// The gRPC status code of the error `body` throws (failing if it throws none).
func rpcErrorCode(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> RPCError.Code? {
    await rpcError(body, sourceLocation: sourceLocation)?.code
}

/// The gRPC error `body` throws (failing if it throws none or another error).
func rpcError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> RPCError? {
    do {
        try await body()
        Issue.record("expected the call to fail", sourceLocation: sourceLocation)
        return nil
    } catch let error as RPCError {
        return error
    } catch {
        Issue.record("expected an RPCError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Call options with a generous deadline for a loaded 2-core machine.
var testCallOptions: CallOptions {
    var options = CallOptions.defaults
    options.timeout = .seconds(20)
    return options
}
