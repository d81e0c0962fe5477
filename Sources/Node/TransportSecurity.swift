import Foundation
import GRPCCore
import Synchronization
import GRPCNIOTransportHTTP2
import NIOCore
import NIOSSL
import NIOTLS
import PKI
import X509

/// The TLS identity of one side of a connection: its certificate, private key and the
/// federation it trusts.
public struct TLSIdentity: Sendable {
    /// Who this side is (from its certificate).
    public let principal: Principal
    /// The PEM of this side's certificate.
    public let certificatePEM: String
    /// The PEM of this side's private key (secret).
    let privateKeyPEM: String
    /// The federation's CA, the only trust root.
    public let trust: FederationTrust
    /// The CA certificate as PEM.
    let caPEM: String

    /// An identity from PEM texts. Checks, now, that the certificate belongs to
    /// `principal`, chains to the federation's CA, is within its validity period and
    /// matches the private key.
    public init(principal: Principal, certificatePEM: String, privateKeyPEM: String, trust: FederationTrust, at now: Date = Date()) throws(PKIError) {
        let certificate = try PEM.certificate(from: certificatePEM)
        let key = try PEM.privateKey(from: privateKeyPEM)
        try trust.check(certificate: certificate, privateKey: key, belongsTo: principal, at: now)
        self.principal = principal
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
        self.trust = trust
        caPEM = try PEM.encode(trust.caCertificate)
    }
}

/// Builds gRPC transport security from a `TLSIdentity`: TLS 1.3 with mutual
/// authentication, the federation CA as the only trust root, and every peer certificate
/// checked by `FederationTrust` (SPIFFE identity, role, extended key usage, validity).
enum TransportSecurity {
    /// Server side: accepts clients of any role of the federation; which role may call
    /// which service is decided per call by `AuthorizationInterceptor`.
    static func server(_ identity: TLSIdentity) -> HTTP2ServerTransport.Posix.TransportSecurity {
        let trust = identity.trust
        return .mTLS(
            certificateChain: [.bytes(Array(identity.certificatePEM.utf8), format: .pem)],
            privateKey: .bytes(Array(identity.privateKeyPEM.utf8), format: .pem)
        ) { config in
            config.trustRoots = .certificates([.bytes(Array(identity.caPEM.utf8), format: .pem)])
            // Hostname verification is meaningless here: identities are SPIFFE URIs,
            // checked by the callback. Full chain verification stays on.
            config.clientCertificateVerification = .noHostnameVerification
            config.customVerificationCallback = { certificates, promise in
                verify(certificates, trust: trust, side: .client, expectedRole: nil, expectedName: nil, refusalKey: nil, promise: promise)
            }
        }
    }

    /// Client side: the server must present the node certificate of `expectedNode` (or,
    /// when nil, of any node of the federation).
    /// Defends against a redirected or impersonated address: a connection to the
    /// address of node A that reaches any other member is refused.
    static func client(_ identity: TLSIdentity, expectedNode: String?) -> HTTP2ClientTransport.Posix.TransportSecurity {
        let trust = identity.trust
        let refusalKey = expectedNode.map { RejectionLog.key(peer: $0, seenBy: identity) }
        return .mTLS(
            certificateChain: [.bytes(Array(identity.certificatePEM.utf8), format: .pem)],
            privateKey: .bytes(Array(identity.privateKeyPEM.utf8), format: .pem)
        ) { config in
            config.trustRoots = .certificates([.bytes(Array(identity.caPEM.utf8), format: .pem)])
            config.serverCertificateVerification = .noHostnameVerification
            config.customVerificationCallback = { certificates, promise in
                verify(
                    certificates, trust: trust, side: .server, expectedRole: .node, expectedName: expectedNode,
                    refusalKey: refusalKey, promise: promise)
            }
        }
    }

    /// Validates a presented chain off the event loop and completes the handshake's
    /// promise with the validated chain (leaf and CA) or a failure.
    private static func verify(
        _ certificates: [NIOSSLCertificate], trust: FederationTrust, side: TLSSide,
        expectedRole: Principal.Role?, expectedName: String?, refusalKey: String?,
        promise: EventLoopPromise<NIOSSLVerificationResultWithMetadata>
    ) {
        let presented: [Certificate]
        do {
            presented = try certificates.map { try Certificate(derEncoded: try $0.toDERBytes()) }
        } catch {
            promise.succeed(.failed)
            return
        }
        Task {
            do {
                let peer = try await trust.validate(
                    chain: presented, presentedAs: side, at: Date(), expectedRole: expectedRole, expectedName: expectedName)
                let validated = try peer.chain.map { certificate in
                    try NIOSSLCertificate(bytes: Array(PEM.encode(certificate).utf8), format: .pem)
                }
                promise.succeed(.certificateVerified(VerificationMetadata(ValidatedCertificateChain(validated))))
            } catch {
                // A server is recorded under the node it was expected to be (and who
                // expected it), so a failed health check can say why rather than that the
                // connection closed.
                TransportSecurity.rejections.record(error, key: refusalKey)
                promise.succeed(.failed)
            }
        }
    }

    /// The last reasons peers were refused, for logs and error messages (the TLS
    /// alert a peer sees does not carry them).
    static let rejections = RejectionLog()
}

/// Why peer certificates were refused: a small bounded log of recent reasons, and the
/// latest refusal of each expected node (kept apart, so that refusals anyone can cause
/// with a bad client certificate cannot push out why a peer is unreachable).
final class RejectionLog: Sendable {
    private struct Refusal {
        let text: String
        let at: Date
    }

    private let entries = Mutex<[String]>([])
    private let byKey = Mutex<[String: Refusal]>([:])

    /// The key of refusals of node `peer`'s certificate by clients of `identity` (one
    /// process may hold several identities, e.g. several nodes in a benchmark or test,
    /// and two federations may both have a node called `peer`).
    static func key(peer: String, seenBy identity: TLSIdentity) -> String {
        "\(peer) seen by \(identity.principal.spiffeID) #\(identity.certificatePEM.hashValue)"
    }

    /// Records why a certificate was refused, also under `key` when a client knew whom
    /// it expected to reach.
    func record(_ error: any Error, key: String? = nil) {
        let text = (error as? PKIError)?.message ?? "\(error)"
        entries.withLock { list in
            list.append(text)
            if list.count > 32 { list.removeFirst(list.count - 32) }
        }
        if let key { byKey.withLock { $0[key] = Refusal(text: text, at: Date()) } }
    }

    /// The most recent reasons, newest last.
    var recent: [String] { entries.withLock { $0 } }

    /// Why the certificate recorded under `key` was last refused, if that happened at or
    /// after `since`.
    func latest(key: String, since: Date) -> String? {
        byKey.withLock { table in table[key].flatMap { $0.at >= since ? $0.text : nil } }
    }
}

/// Closes any connection whose TLS handshake settled on a version below 1.3, before
/// a single request is read. The gRPC transport accepts TLS 1.2 by default; the
/// federation speaks only TLS 1.3 (no RSA key exchange, no renegotiation, encrypted
/// certificates), so a peer limited to 1.2 is a misconfiguration or a downgrade.
final class RequireTLS13Handler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            let version = try? context.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self).tlsVersion
            guard version == .tlsv13 else {
                context.close(promise: nil)
                return
            }
            // Pass the event on before leaving: a removed handler's context no longer
            // forwards anything, and the handlers after it need this event.
            context.fireUserInboundEventTriggered(event)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Installs the handler right after the server's TLS handler of an accepted
    /// connection (the transport's accepted-connection callback).
    static func install(on channel: any Channel) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            let operations = channel.pipeline.syncOperations
            let tls = try operations.handler(type: NIOSSLServerHandler.self)
            try operations.addHandler(RequireTLS13Handler(), position: .after(tls))
        }
    }
}

/// Why peer certificates were refused recently (newest last). A refused TLS handshake
/// tells the peer only an alert code; this is where the node, its logs and its tests
/// learn the reason.
public enum TransportRejections {
    public static var recent: [String] { TransportSecurity.rejections.recent }
}
