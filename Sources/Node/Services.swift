import Foundation
import GRPCCore
import Synchronization
import Wire

/// Facts about the running node that every service reads.
final class NodeState: Sendable {
    let setup: NodeSetup
    let startedAt: Date
    let peers: PeerDirectory
    private let draining = Atomic<Bool>(false)
    let queriesSeen = Atomic<UInt64>(0)

    init(setup: NodeSetup, peers: PeerDirectory, startedAt: Date) {
        self.setup = setup
        self.peers = peers
        self.startedAt = startedAt
    }

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    func beginDraining() { draining.store(true, ordering: .relaxed) }

    var nodeStatus: Fedstat_V1_NodeStatus {
        var status = Fedstat_V1_NodeStatus()
        status.node = setup.config.name
        status.federation = setup.federation.id
        status.version = FedstatVersion.current
        status.startedAtUnixMs = Int64(startedAt.timeIntervalSince1970 * 1000)
        status.peers = peers.status
        status.queriesSeen = queriesSeen.load(ordering: .relaxed)
        return status
    }
}

/// The version this build of Fedstat reports in status.
public enum FedstatVersion {
    public static let current = "0.1.0"
}

/// An RPC of the query lifecycle that this build does not serve yet: the caller gets
/// `unimplemented` with a message, never a silent success.
func notYetServed(_ rpc: String) -> RPCError {
    RPCError(code: .unimplemented, message: "\(rpc) is not served by this node version (\(FedstatVersion.current))")
}

/// The `Federation` service (node to node). The authorization interceptor has already
/// checked that the caller is a node of this federation.
struct FederationService: Fedstat_V1_Federation.SimpleServiceProtocol {
    let state: NodeState

    func health(request: Fedstat_V1_HealthRequest, context: ServerContext) async throws -> Fedstat_V1_HealthResponse {
        var response = Fedstat_V1_HealthResponse()
        response.status = state.isDraining ? .draining : .serving
        response.node = state.setup.config.name
        response.federation = state.setup.federation.id
        return response
    }

    func status(request: Fedstat_V1_StatusRequest, context: ServerContext) async throws -> Fedstat_V1_NodeStatus {
        state.nodeStatus
    }

    func propose(request: Fedstat_V1_Proposal, context: ServerContext) async throws -> Fedstat_V1_Decision {
        throw notYetServed("Propose")
    }

    func contribute(request: Fedstat_V1_ContributionRequest, context: ServerContext) async throws -> Fedstat_V1_Contribution {
        throw notYetServed("Contribute")
    }

    func partialDecrypt(
        request: Fedstat_V1_PartialDecryptionRequest, context: ServerContext
    ) async throws -> Fedstat_V1_PartialDecryptionResponse {
        throw notYetServed("PartialDecrypt")
    }

    func release(request: Fedstat_V1_ReleaseRecord, context: ServerContext) async throws -> Fedstat_V1_ReleaseAck {
        throw notYetServed("Release")
    }

    func abort(request: Fedstat_V1_AbortRequest, context: ServerContext) async throws -> Fedstat_V1_AbortAck {
        throw notYetServed("Abort")
    }
}

/// The `Analyst` service (analyst to its coordinator). The authorization interceptor
/// has already checked that the caller is an analyst of this federation.
struct AnalystService: Fedstat_V1_Analyst.SimpleServiceProtocol {
    let state: NodeState

    func submit(
        request: Fedstat_V1_QueryRequest, response: RPCWriter<Fedstat_V1_QueryEvent>, context: ServerContext
    ) async throws {
        throw notYetServed("Submit")
    }

    func explain(request: Fedstat_V1_QueryRequest, context: ServerContext) async throws -> Fedstat_V1_ExplainResponse {
        throw notYetServed("Explain")
    }

    func catalog(request: Fedstat_V1_CatalogRequest, context: ServerContext) async throws -> Fedstat_V1_CatalogResponse {
        throw notYetServed("Catalog")
    }

    func status(
        request: Fedstat_V1_FederationStatusRequest, context: ServerContext
    ) async throws -> Fedstat_V1_FederationStatus {
        var status = Fedstat_V1_FederationStatus()
        status.federation = state.setup.federation.id
        status.coordinator = state.setup.config.name
        var own = Fedstat_V1_PeerStatus()
        own.name = state.setup.config.name
        own.address = state.setup.member.address.description
        own.reachable = !state.isDraining
        own.lastSeenUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
        status.nodes = [own] + state.peers.status
        return status
    }
}
