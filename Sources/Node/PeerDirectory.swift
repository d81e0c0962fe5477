import Config
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Synchronization
import Wire

/// The node's long-lived connections to every other node of the federation, and what
/// it last learnt about each.
///
/// One gRPC client per peer, created once and reused for every call (the client keeps
/// its HTTP/2 connection open and reconnects with backoff). Every `healthInterval` the
/// node checks the health of all peers at once, each with a deadline, and records the
/// outcomes for `status`.
final class PeerDirectory: Sendable {
    struct Peer: Sendable {
        let name: String
        let address: HostPort
        let client: GRPCClient<HTTP2ClientTransport.Posix>
        /// Where this node's refusals of the peer's certificate are recorded.
        let refusalKey: String
    }

    private let peers: [Peer]
    private let stopped = Atomic<Bool>(false)
    private let state = Mutex<[String: Wire.Fedstat_V1_PeerStatus]>([:])
    private let rpcTimeout: Duration
    private let healthInterval: Duration
    private let logger: Logger

    init(setup: NodeSetup, healthInterval: Duration, logger: Logger) throws {
        let limits = setup.config.limits
        peers = try setup.federation.nodes.filter { $0.name != setup.config.name }.map { member in
            let transport = try FederationClients.transport(
                to: member.name, at: member.address, as: setup.identity, maxMessageBytes: limits.maxMessageBytes)
            return Peer(
                name: member.name, address: member.address, client: GRPCClient(transport: transport),
                refusalKey: RejectionLog.key(peer: member.name, seenBy: setup.identity))
        }
        rpcTimeout = .seconds(limits.rpcTimeoutSeconds)
        self.healthInterval = healthInterval
        self.logger = logger
        state.withLock { table in
            for peer in peers {
                var status = Wire.Fedstat_V1_PeerStatus()
                status.name = peer.name
                status.address = peer.address.description
                status.error = "not checked yet"
                table[peer.name] = status
            }
        }
    }

    /// Why `peer`'s certificate was refused since it was last seen healthy, while the
    /// health checks find it unreachable; nil otherwise.
    func certificateRefusal(of peer: String) -> String? {
        guard let key = peers.first(where: { $0.name == peer })?.refusalKey else { return nil }
        return state.withLock { table in
            guard let status = table[peer], !status.reachable else { return nil }
            return TransportSecurity.rejections.latest(key: key, since: Self.lastSeen(status))
        }
    }

    private static func lastSeen(_ status: Wire.Fedstat_V1_PeerStatus) -> Date {
        Date(timeIntervalSince1970: Double(status.lastSeenUnixMs) / 1000)
    }

    /// Every peer's last known status, in federation order.
    var status: [Wire.Fedstat_V1_PeerStatus] {
        state.withLock { table in peers.compactMap { table[$0.name] } }
    }

    /// The client of peer `name`, for the protocol drivers.
    func client(of name: String) -> GRPCClient<HTTP2ClientTransport.Posix>? {
        peers.first { $0.name == name }?.client
    }

    /// Runs the peers' connections and the health checks until cancelled or shut down.
    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            for peer in peers {
                group.addTask { try await peer.client.runConnections() }
            }
            group.addTask { await self.checkHealth() }
        }
    }

    /// Stops the health checks and closes every peer connection once in-flight calls
    /// finish; `run` then returns.
    func shutdown() {
        stopped.store(true, ordering: .relaxed)
        for peer in peers { peer.client.beginGracefulShutdown() }
    }

    /// Checks every peer, all at once, every `healthInterval`. One loop per node, not
    /// one per peer: with 30 peers, 30 timers waking every 100 ms cost more than the
    /// checks themselves.
    private func checkHealth() async {
        while !Task.isCancelled && !stopped.load(ordering: .relaxed) {
            let round = ContinuousClock.now
            await withDiscardingTaskGroup { group in
                for peer in peers {
                    group.addTask { await self.checkHealth(of: peer) }
                }
            }
            // Sleep in short steps so that a shutdown is noticed quickly.
            let deadline = round + healthInterval
            while ContinuousClock.now < deadline && !stopped.load(ordering: .relaxed) {
                do {
                    try await Task.sleep(for: .milliseconds(100))
                } catch {
                    return
                }
            }
        }
    }

    private func checkHealth(of peer: Peer) async {
        let federation = Fedstat_V1_Federation.Client(wrapping: peer.client)
        var options = CallOptions.defaults
        options.timeout = min(rpcTimeout, .seconds(10))
        let outcome: Result<Fedstat_V1_HealthResponse, any Error>
        do {
            outcome = .success(try await federation.health(Fedstat_V1_HealthRequest(), options: options))
        } catch {
            outcome = .failure(error)
        }
        if stopped.load(ordering: .relaxed) { return }
        record(outcome, for: peer)
    }

    private func record(_ outcome: Result<Fedstat_V1_HealthResponse, any Error>, for peer: Peer) {
        state.withLock { table in
            var status = table[peer.name] ?? Wire.Fedstat_V1_PeerStatus()
            // A certificate of this peer refused since it was last seen healthy (the
            // connection's backoff may skip new handshakes) says why better than gRPC.
            let refusal = TransportSecurity.rejections.latest(key: peer.refusalKey, since: Self.lastSeen(status))
            switch outcome {
            case .success(let response) where response.node == peer.name && response.status == .serving:
                if !status.reachable { logger.info("peer reachable", metadata: ["peer": "\(peer.name)"]) }
                status.reachable = true
                status.error = ""
                status.lastSeenUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
            case .success(let response):
                status.reachable = false
                status.error = response.node == peer.name ? "draining" : "answered as \(response.node)"
            case .failure(let error):
                if status.reachable {
                    logger.warning("peer unreachable", metadata: ["peer": "\(peer.name)", "error": "\(error)"])
                }
                status.reachable = false
                status.error = refusal.map { "its certificate was refused: \($0)" } ?? (error as? RPCError)?.message ?? "\(error)"
            }
            table[peer.name] = status
        }
    }
}
