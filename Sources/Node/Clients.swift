import Config
import GRPCCore
import GRPCNIOTransportHTTP2
import PKI
import Wire

/// gRPC clients over mutual TLS to a federation node.
public enum FederationClients {
    /// The resolvable target of a `host:port`.
    static func target(_ address: HostPort) -> any ResolvableTarget {
        switch address.kind {
        case .ipv4: ResolvableTargets.IPv4.ipv4(address: address.host, port: address.port)
        case .ipv6: ResolvableTargets.IPv6.ipv6(address: address.host, port: address.port)
        case .dnsName: ResolvableTargets.DNS.dns(host: address.host, port: address.port)
        }
    }

    /// A client transport to the node `nodeName` at `address`, authenticating as
    /// `identity`. The handshake fails unless the server presents the node certificate
    /// of `nodeName` (nil: of any node) from the federation's CA.
    public static func transport(
        to nodeName: String?, at address: HostPort, as identity: TLSIdentity, maxMessageBytes: Int
    ) throws -> HTTP2ClientTransport.Posix {
        try HTTP2ClientTransport.Posix(
            target: target(address),
            transportSecurity: TransportSecurity.client(identity, expectedNode: nodeName),
            config: .defaults { config in
                config.http2.maxFrameSize = min(config.http2.maxFrameSize, 1 << 20)
                config.backoff.initial = .milliseconds(200)
                config.backoff.max = .seconds(5)
            }
        )
    }

    /// Runs `body` with a client of the `Analyst` service of the node `nodeName`.
    public static func withAnalystClient<Result: Sendable>(
        to nodeName: String?, at address: HostPort, as identity: TLSIdentity,
        maxMessageBytes: Int = NodeConfig.Limits.defaultMaxMessageBytes,
        _ body: (Fedstat_V1_Analyst.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let transport = try transport(to: nodeName, at: address, as: identity, maxMessageBytes: maxMessageBytes)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Fedstat_V1_Analyst.Client(wrapping: client))
        }
    }

    /// Runs `body` with a client of the `Federation` service of the node `nodeName`.
    public static func withFederationClient<Result: Sendable>(
        to nodeName: String, at address: HostPort, as identity: TLSIdentity,
        maxMessageBytes: Int = NodeConfig.Limits.defaultMaxMessageBytes,
        _ body: (Fedstat_V1_Federation.Client<HTTP2ClientTransport.Posix>) async throws -> Result
    ) async throws -> Result {
        let transport = try transport(to: nodeName, at: address, as: identity, maxMessageBytes: maxMessageBytes)
        return try await withGRPCClient(transport: transport) { client in
            try await body(Fedstat_V1_Federation.Client(wrapping: client))
        }
    }
}
