import Foundation
import GRPCCore
import Logging
import PKI
import Query
import Synchronization
import Wire

/// Facts about the running node that every service reads.
final class NodeState: Sendable {
    let setup: NodeSetup
    let startedAt: Date
    let peers: PeerDirectory
    let participant: ParticipantEngine
    let coordinator: Coordinator
    private let draining = Atomic<Bool>(false)
    let queriesSeen = Atomic<UInt64>(0)

    init(setup: NodeSetup, peers: PeerDirectory, participant: ParticipantEngine, logger: Logger, startedAt: Date) {
        self.setup = setup
        self.peers = peers
        self.participant = participant
        coordinator = Coordinator(setup: setup, peers: peers, local: participant, logger: logger)
        self.startedAt = startedAt
    }

    /// The name of the calling node (the interceptor has checked that it is one).
    func caller(_ context: ServerContext) throws(RPCError) -> String {
        try context.peerPrincipal(federation: setup.federation.id).name
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

/// Runs a participant step, turning a refusal into the gRPC error the coordinator sees.
func refusing<Value>(_ body: () async throws(Refusal) -> Value) async throws(RPCError) -> Value {
    do {
        return try await body()
    } catch {
        throw error.rpcError
    }
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
        let caller = try state.caller(context)
        guard !state.isDraining else { throw RPCError(code: .unavailable, message: "this node is shutting down") }
        if !request.dryRun { state.queriesSeen.add(1, ordering: .relaxed) }
        return try await refusing { () throws(Refusal) in try state.participant.propose(request, from: caller) }
    }

    func contribute(request: Fedstat_V1_ContributionRequest, context: ServerContext) async throws -> Fedstat_V1_Contribution {
        let caller = try state.caller(context)
        return try await refusing { () async throws(Refusal) in try await state.participant.contribute(request, from: caller) }
    }

    func partialDecrypt(
        request: Fedstat_V1_PartialDecryptionRequest, context: ServerContext
    ) async throws -> Fedstat_V1_PartialDecryptionResponse {
        let caller = try state.caller(context)
        return try await refusing { () async throws(Refusal) in try await state.participant.partialDecrypt(request, from: caller) }
    }

    func release(request: Fedstat_V1_ReleaseRecord, context: ServerContext) async throws -> Fedstat_V1_ReleaseAck {
        let caller = try state.caller(context)
        try await refusing { () throws(Refusal) in try state.participant.release(request, from: caller) }
        return Fedstat_V1_ReleaseAck()
    }

    func abort(request: Fedstat_V1_AbortRequest, context: ServerContext) async throws -> Fedstat_V1_AbortAck {
        let caller = try state.caller(context)
        try await refusing { () throws(Refusal) in try state.participant.abort(request, from: caller) }
        return Fedstat_V1_AbortAck()
    }
}

/// The `Analyst` service (analyst to its coordinator). The authorization interceptor
/// has already checked that the caller is an analyst of this federation.
struct AnalystService: Fedstat_V1_Analyst.SimpleServiceProtocol {
    let state: NodeState

    func submit(
        request: Fedstat_V1_QueryRequest, response: RPCWriter<Fedstat_V1_QueryEvent>, context: ServerContext
    ) async throws {
        // The analyst is who the certificate says, never a field of the request.
        let analyst = try context.peerPrincipal(federation: state.setup.federation.id).spiffeID
        guard !state.isDraining else { throw RPCError(code: .unavailable, message: "this node is shutting down") }
        let queryID = Coordinator.randomQueryID()
        try await state.coordinator.run(request, analyst: analyst, queryID: queryID) { event in
            var message = Fedstat_V1_QueryEvent()
            message.queryID = Data(queryID)
            message.atUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
            message.event = event
            try await response.write(message)
        }
    }

    func explain(request: Fedstat_V1_QueryRequest, context: ServerContext) async throws -> Fedstat_V1_ExplainResponse {
        let analyst = try context.peerPrincipal(federation: state.setup.federation.id).spiffeID
        do {
            return try await state.coordinator.explain(request, analyst: analyst)
        } catch {
            throw RPCError(code: .invalidArgument, message: error.message)
        }
    }

    func catalog(request: Fedstat_V1_CatalogRequest, context: ServerContext) async throws -> Fedstat_V1_CatalogResponse {
        var response = Fedstat_V1_CatalogResponse()
        response.datasets = state.setup.catalog.datasets.map { dataset in
            var out = Fedstat_V1_Dataset()
            out.name = dataset.name
            out.maxRowsPerNode = UInt64(dataset.maxRowsPerNode)
            out.heldBy = dataset.participants(amongNodes: state.setup.federation.nodes.map(\.name))
            out.columns = dataset.columns.map { column in
                var described = Fedstat_V1_DatasetColumn()
                described.name = column.name
                described.nullable = column.nullable
                switch column.type {
                case .integer(let min, let max):
                    described.type = "integer"
                    described.min = "\(min)"
                    described.max = "\(max)"
                case .decimal(let scale, let min, let max):
                    described.type = "decimal"
                    described.scale = UInt32(scale)
                    described.min = decimalText(min, scale: scale)
                    described.max = decimalText(max, scale: scale)
                case .category(let values):
                    described.type = "category"
                    described.values = values
                case .boolean:
                    described.type = "boolean"
                }
                return described
            }
            return out
        }
        return response
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

/// A scaled integer as decimal text: 1234 at scale 2 is "12.34".
func decimalText(_ value: Int64, scale: Int) -> String {
    guard scale > 0 else { return "\(value)" }
    let magnitude = String(value.magnitude)
    let padded = String(repeating: "0", count: max(0, scale + 1 - magnitude.count)) + magnitude
    let split = padded.index(padded.endIndex, offsetBy: -scale)
    return (value < 0 ? "-" : "") + padded[..<split] + "." + padded[split...]
}
