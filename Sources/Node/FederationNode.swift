import Config
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import StateStore
import Synchronization

/// A running Fedstat node: the gRPC server for both services over mutual TLS 1.3, and
/// the connections to every peer. A `Service` of swift-service-lifecycle: run it in a
/// `ServiceGroup`, and a graceful shutdown (SIGTERM, SIGINT) marks the node draining,
/// lets in-flight calls finish and stops accepting new ones.
public final class FederationNode: Service, Sendable {
    public let setup: NodeSetup
    private let logger: Logger
    private let healthInterval: Duration
    private let boundAddress = Mutex<(host: String, port: Int)?>(nil)

    private let unmaskedBaseline: Bool

    public convenience init(setup: NodeSetup, logger: Logger, healthInterval: Duration = .seconds(2)) {
        self.init(setup: setup, logger: logger, healthInterval: healthInterval, unmaskedBaseline: false)
    }

    /// A node that sends its secure-sum vectors without masks: the plaintext baseline of
    /// `fedbench e2e`, for measuring what masking costs. Package-internal on purpose.
    package init(setup: NodeSetup, logger: Logger, healthInterval: Duration, unmaskedBaseline: Bool) {
        self.unmaskedBaseline = unmaskedBaseline
        self.setup = setup
        self.logger = logger
        self.healthInterval = healthInterval
    }

    public func run() async throws {
        let config = setup.config
        let peers = try PeerDirectory(setup: setup, healthInterval: healthInterval, logger: logger)
        let store: StateStore
        do {
            store = try StateStore(directory: config.stateDirectory.resolved)
        } catch {
            throw NodeStartupError(.configuration, file: config.stateDirectory.resolved, "cannot open the state store: \(error.message)")
        }
        defer { try? store.close() }
        let participant = try ParticipantEngine(setup: setup, store: store, logger: logger, unmaskedBaseline: unmaskedBaseline)
        let state = NodeState(setup: setup, peers: peers, participant: participant, logger: logger, startedAt: Date())
        let transport = HTTP2ServerTransport.Posix(
            address: try Self.socketAddress(config.listen),
            transportSecurity: TransportSecurity.server(setup.identity),
            config: .defaults { transportConfig in
                transportConfig.rpc.maxRequestPayloadSize = config.limits.maxMessageBytes
                transportConfig.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
                    RequireTLS13Handler.install(on: channel)
                }
            }
        )
        let server = GRPCServer(
            transport: transport,
            services: [FederationService(state: state), AnalystService(state: state)],
            interceptors: [
                AuthorizationInterceptor(
                    federation: setup.federation.id, nodes: setup.federation.nodes.map(\.name),
                    analysts: setup.federation.analysts.map(\.name))
            ]
        )
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                // The server runs in a task of its own that cancellation never reaches:
                // cancelling gRPC's serve while accepted connections wait in its buffer
                // traps in NIO ("Deinited NIOAsyncWriter without calling finish()",
                // apple/swift-nio#3481; seen when one of many nodes started in one
                // process failed). A cancellation becomes a graceful shutdown instead.
                let serving = Task { try await server.serve() }
                group.addTask {
                    try await withTaskCancellationHandler {
                        try await serving.value
                    } onCancel: {
                        server.beginGracefulShutdown()
                    }
                }
                group.addTask { try await peers.run() }
                let address = try await transport.listeningAddress
                let host = address.ipv4?.host ?? address.ipv6?.host ?? "\(address)"
                let port = address.ipv4?.port ?? address.ipv6?.port ?? 0
                boundAddress.withLock { $0 = (host, port) }
                logger.info(
                    "node serving",
                    metadata: [
                        "principal": "\(setup.principal.spiffeID)", "address": "\(host):\(port)",
                        "peers": "\(setup.federation.nodes.count - 1)",
                    ])
                // Stop the peers when the server stops (after a graceful shutdown).
                group.addTask {
                    while !Task.isCancelled && !state.isDraining { try? await Task.sleep(for: .milliseconds(100)) }
                    peers.shutdown()
                }
            }
        } onGracefulShutdown: {
            self.logger.info("draining: finishing in-flight calls, accepting no new ones")
            state.beginDraining()
            server.beginGracefulShutdown()
        }
        logger.info("node stopped")
    }

    /// The port the server is listening on, once it is (nil before).
    public var listeningPort: Int? {
        boundAddress.withLock { $0?.port }
    }

    static func socketAddress(_ address: HostPort) throws -> GRPCNIOTransportCore.SocketAddress {
        switch address.kind {
        case .ipv4: return .ipv4(host: address.host, port: address.port)
        case .ipv6: return .ipv6(host: address.host, port: address.port)
        case .dnsName:
            throw NodeStartupError(
                .configuration, file: "node.yaml", "listen must be an IP address (0.0.0.0, 127.0.0.1, [::]), not \(address.host)")
        }
    }
}
