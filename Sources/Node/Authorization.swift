import GRPCCore
import GRPCNIOTransportHTTP2
import PKI

extension ServerContext {
    /// The caller's identity: the SPIFFE id of the certificate chain its TLS handshake
    /// presented and `TransportSecurity` validated. Never a field of a request.
    func peerPrincipal(federation: String) throws(RPCError) -> Principal {
        guard let transport = transportSpecific as? HTTP2ServerTransport.Posix.Context,
            let chain = transport.peerCertificateChain
        else {
            throw RPCError(code: .unauthenticated, message: "no verified client certificate")
        }
        do {
            return try Inspection.principal(of: chain.leaf, federation: federation)
        } catch {
            throw RPCError(code: .unauthenticated, message: "client certificate has no identity of this federation")
        }
    }
}

/// Who may call which service: only nodes the `Federation` service, only analysts the
/// `Analyst` service, and only members listed in `federation.yaml` with that role. Runs
/// before every handler, so no handler can forget the check. Defends against an analyst
/// driving the node-to-node protocol (proposing queries, asking for partial decryptions),
/// against a node posing as an analyst, and against a member removed from
/// `federation.yaml` whose certificate from the CA has not expired yet.
struct AuthorizationInterceptor: ServerInterceptor {
    let federation: String
    /// The member names of each role.
    let members: [Principal.Role: Set<String>]

    init(federation: String, nodes: [String], analysts: [String]) {
        self.federation = federation
        self.members = [.node: Set(nodes), .analyst: Set(analysts)]
    }

    static func requiredRole(forService service: String) -> Principal.Role? {
        switch service {
        case "fedstat.v1.Federation": .node
        case "fedstat.v1.Analyst": .analyst
        default: nil
        }
    }

    func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let service = context.descriptor.service.fullyQualifiedService
        guard let role = Self.requiredRole(forService: service) else {
            throw RPCError(code: .unimplemented, message: "unknown service \(service)")
        }
        let caller = try context.peerPrincipal(federation: federation)
        guard caller.role == role else {
            throw RPCError(
                code: .permissionDenied,
                message: "\(caller.spiffeID) may not call \(service): only \(role == .node ? "nodes" : "analysts") may")
        }
        guard members[role]?.contains(caller.name) == true else {
            throw RPCError(
                code: .permissionDenied,
                message: "\(caller.spiffeID) is not a member of federation \(federation) (federation.yaml)")
        }
        return try await next(request, context)
    }
}
