import Config
import Foundation
import KeyStore
import PKI
import X509

/// Why `fedquery` cannot connect before any packet is sent: a file that cannot be read,
/// a certificate or key that is not what it should be. Names the file and, for
/// certificates, what is wrong; never contains key material.
public struct AnalystSetupError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The configuration or a file cannot be read or parsed.
        case configuration
        /// The certificate, key and CA do not go together (a TLS problem found before
        /// connecting).
        case certificate
    }

    public let kind: Kind
    public let file: String?
    public let message: String

    public init(_ kind: Kind, file: String?, _ message: String) {
        self.kind = kind
        self.file = file
        self.message = message
    }

    public var description: String { file.map { "\($0): \(message)" } ?? message }
}

/// How an analyst reaches its coordinator: its TLS identity, the node's address and
/// (from a `fedquery.yaml`) the node's name its certificate must carry.
public struct AnalystConnection: Sendable {
    public let identity: TLSIdentity
    /// The coordinator's node name, or nil to accept any node of the federation (when
    /// connecting with `--node host:port`).
    public let coordinator: String?
    public let address: HostPort
    /// The files the identity came from, to name them in errors.
    public let certificateFile: String
    public let keyFile: String
    public let caFile: String

    /// From the analyst's `fedquery.yaml` (as the ceremony writes it).
    public static func load(configPath: String, at now: Date = Date()) throws -> AnalystConnection {
        let config: AnalystConfig
        do {
            config = try AnalystConfig.load(path: configPath)
        } catch {
            throw AnalystSetupError(.configuration, file: nil, error.description)
        }
        return try make(
            coordinator: config.coordinator.name, address: config.coordinator.address,
            certificate: config.tls.certificate.resolved, key: config.tls.key.resolved, ca: config.tls.ca.resolved, at: now)
    }

    /// From explicit files and a node address (any node of the certificate's federation).
    public static func load(
        node: HostPort, certificate: String, key: String, ca: String, at now: Date = Date()
    ) throws -> AnalystConnection {
        try make(coordinator: nil, address: node, certificate: certificate, key: key, ca: ca, at: now)
    }

    /// Reads the three files and checks them together, naming the file at fault: the
    /// certificate must be an analyst's, chain to the CA file's CA, be valid now, and
    /// match the key.
    static func make(
        coordinator: String?, address: HostPort, certificate: String, key: String, ca: String, at now: Date
    ) throws -> AnalystConnection {
        func text(_ path: String) throws -> String {
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw AnalystSetupError(.configuration, file: path, "cannot read the file")
            }
        }
        let certificatePEM = try text(certificate)
        let caPEM = try text(ca)
        let keyPEM: String
        do {
            keyPEM = String(decoding: try SecretFile.read(key), as: UTF8.self)
        } catch {
            throw AnalystSetupError(.configuration, file: key, error.message)
        }
        let leaf: Certificate
        let principal: Principal
        do {
            leaf = try PEM.certificate(from: certificatePEM)
            principal = try Inspection.principal(of: leaf)
        } catch {
            throw AnalystSetupError(.certificate, file: certificate, "not a Fedstat certificate: \(error.message)")
        }
        guard principal.role == .analyst else {
            throw AnalystSetupError(.certificate, file: certificate, "this is the certificate of \(principal.spiffeID), not of an analyst")
        }
        let trust: FederationTrust
        do {
            trust = try FederationTrust(federation: principal.federation, caCertificate: try PEM.certificate(from: caPEM))
        } catch {
            throw AnalystSetupError(.certificate, file: ca, "not the CA certificate of federation \(principal.federation): \(error.message)")
        }
        do {
            let identity = try TLSIdentity(
                principal: principal, certificatePEM: certificatePEM, privateKeyPEM: keyPEM, trust: trust, at: now)
            return AnalystConnection(
                identity: identity, coordinator: coordinator, address: address, certificateFile: certificate, keyFile: key,
                caFile: ca)
        } catch {
            throw AnalystSetupError(
                .certificate, file: certificate, "does not go with \(key) and the CA in \(ca): \(error.message)")
        }
    }
}
