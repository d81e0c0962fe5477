import Config
import Foundation
import GRPCCore
import Wire

/// `fednode status`: one node's own status and its view of its peers, fetched over
/// mutual TLS with this node's identity and printed for a person.
public enum NodeStatusQuery {
    public static func fetch(from node: String, at address: HostPort, setup: NodeSetup, timeout: Duration) async throws -> String {
        let status = try await FederationClients.withFederationClient(to: node, at: address, as: setup.identity) { client in
            var options = CallOptions.defaults
            options.timeout = timeout
            return try await client.status(Fedstat_V1_StatusRequest(), options: options)
        }
        return render(status)
    }

    static func render(_ status: Fedstat_V1_NodeStatus) -> String {
        let formatter = ISO8601DateFormatter()
        var lines = [
            "node \(status.node) of federation \(status.federation), version \(status.version)",
            "  started \(formatter.string(from: Date(timeIntervalSince1970: Double(status.startedAtUnixMs) / 1000)))",
        ]
        for peer in status.peers {
            let state = peer.reachable ? "reachable" : "unreachable (\(peer.error))"
            lines.append("  peer \(peer.name) at \(peer.address): \(state)")
        }
        return lines.joined(separator: "\n")
    }
}
