import Config
import Crypto
import DataSources
import Foundation
import KeyStore
import PKI
import Paillier
import Policy
import Query
import X509

/// Why a node cannot start, with the file concerned and what to do.
public struct NodeStartupError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A configuration file is malformed (see the message for file, key and line).
        case configuration
        /// A key file is readable by others, not a regular file, or not ours.
        case keyFilePermissions
        /// A key or certificate file is unreadable or malformed.
        case keyMaterial
        /// The certificate is not this node's, not from the federation's CA, or not
        /// valid now.
        case certificate
        /// The masking key or Paillier share does not match the federation's record.
        case mismatch
        /// A dataset's source cannot be read or holds a row that breaks the catalog.
        case data
    }

    public var code: Code
    /// The file the problem is in.
    public var file: String
    public var message: String

    public init(_ code: Code, file: String, _ message: String) {
        self.code = code
        self.file = file
        self.message = message
    }

    public var description: String { "\(file): \(message)" }
}

/// Everything a node loads and checks before it serves: its configuration, the
/// federation's, its identity and its secrets.
///
/// `load` is the whole of `fednode check`: a node refuses to start on a private key
/// readable by group or others, a certificate that is not its configured name, an
/// expired or not yet valid certificate, a CA that is not the federation's, or a
/// masking key or key share that does not match `federation.yaml`.
public struct NodeSetup: Sendable {
    public let config: NodeConfig
    public let federation: FederationConfig
    public let member: FederationConfig.NodeMember
    public let identity: TLSIdentity
    /// The node's X25519 masking key (secret).
    let maskingKey: Curve25519.KeyAgreement.PrivateKey
    /// The node's share of the threshold Paillier key, if the federation has one.
    public let paillierShare: ThresholdKeyShare?
    /// When the certificate stops being valid.
    public let certificateNotAfter: Date
    /// The federation's catalog (from `federation.yaml`).
    public let catalog: Catalog
    /// Where this node's datasets are (from `node.yaml`), each one in the catalog.
    public let sources: [DatasetSource]
    /// This node's policies (the files in `node.yaml`'s policy directory).
    public let policies: PolicySet

    public var principal: Principal { identity.principal }

    /// Loads and checks everything named by the node configuration at `configPath`.
    public static func load(configPath: String, at now: Date = Date()) throws(NodeStartupError) -> NodeSetup {
        let config: NodeConfig
        let federation: FederationConfig
        let member: FederationConfig.NodeMember
        let catalog: Catalog
        let sources: [DatasetSource]
        let policies: PolicySet
        do {
            config = try NodeConfig.load(path: configPath)
            federation = try FederationConfig.load(path: config.federation.resolved)
            member = try config.checkMembership(in: federation)
            catalog = try federation.parsedCatalog()
            sources = try config.validateDatasets(against: catalog)
            policies = try PolicyFiles.load(directory: config.policies.resolved)
        } catch {
            throw NodeStartupError(.configuration, file: error.file, error.description)
        }

        let caFile = config.federation.resolved
        let ca: Certificate
        do {
            ca = try PEM.certificate(from: federation.caCertificate)
        } catch {
            throw NodeStartupError(.keyMaterial, file: caFile, "ca_certificate is not a PEM certificate: \(error.message)")
        }
        let trust: FederationTrust
        do {
            trust = try FederationTrust(federation: federation.id, caCertificate: ca)
        } catch {
            throw NodeStartupError(.certificate, file: caFile, "ca_certificate: \(error.message)")
        }
        let principal: Principal
        do {
            principal = try Principal(federation: federation.id, role: .node, name: config.name)
        } catch {
            throw NodeStartupError(.configuration, file: configPath, error.message)
        }

        let certificateFile = config.tls.certificate.resolved
        let keyFile = config.tls.key.resolved
        let certificatePEM = try readText(certificateFile, secret: false)
        let keyPEM = try readText(keyFile, secret: true)
        let identity: TLSIdentity
        do {
            identity = try TLSIdentity(principal: principal, certificatePEM: certificatePEM, privateKeyPEM: keyPEM, trust: trust, at: now)
        } catch {
            let code: NodeStartupError.Code = error.code == .invalidPEM ? .keyMaterial : .certificate
            throw NodeStartupError(code, file: certificateFile, error.message)
        }
        let notAfter = (try? PEM.certificate(from: certificatePEM).notValidAfter) ?? now

        // The masking key must be the one whose public half federation.yaml records:
        // otherwise every secure sum this node takes part in would come out wrong.
        let maskingFile = config.maskingKey.resolved
        let maskingBytes = try readBytes(maskingFile)
        guard let maskingKey = try? Curve25519.KeyAgreement.PrivateKey(rawRepresentation: maskingBytes) else {
            throw NodeStartupError(.keyMaterial, file: maskingFile, "not a 32-byte X25519 private key")
        }
        guard Array(maskingKey.publicKey.rawRepresentation) == member.maskingKey else {
            throw NodeStartupError(
                .mismatch, file: maskingFile,
                "this masking key's public half is not the one federation.yaml records for \(config.name)")
        }

        var share: ThresholdKeyShare?
        if let settings = federation.paillier {
            guard let sharePath = config.paillierShare?.resolved else {
                throw NodeStartupError(
                    .configuration, file: configPath, "the federation has a Paillier key but paillier_share is not set")
            }
            let publicKey: ThresholdPublicKey
            do {
                publicKey = try ThresholdPublicKey(serialized: settings.publicKey)
            } catch {
                throw NodeStartupError(.keyMaterial, file: caFile, "paillier.public_key: \(error.message)")
            }
            let shareBytes = try readBytes(sharePath)
            do {
                share = try ThresholdKeyShare(serialized: shareBytes, publicKey: publicKey)
            } catch {
                throw NodeStartupError(.mismatch, file: sharePath, error.message)
            }
            guard share?.index == member.paillierIndex else {
                throw NodeStartupError(
                    .mismatch, file: sharePath,
                    "this is the share of party \(share?.index ?? 0), but federation.yaml gives \(config.name) index \(member.paillierIndex ?? 0)")
            }
        }
        return NodeSetup(
            config: config, federation: federation, member: member, identity: identity,
            maskingKey: maskingKey, paillierShare: share, certificateNotAfter: notAfter,
            catalog: catalog, sources: sources, policies: policies)
    }

    /// Reads every row of every mapped dataset and checks it against the catalog (the
    /// data half of `fednode check`, also run before `serve` accepts queries). Returns
    /// the row count per dataset, in `sources` order.
    public func checkData() throws(NodeStartupError) -> [(dataset: String, rows: Int64)] {
        var counts: [(dataset: String, rows: Int64)] = []
        for source in sources {
            let dataset = catalog.dataset(named: source.dataset)!
            do {
                counts.append((source.dataset, try checkSource(source, dataset: dataset)))
            } catch {
                throw NodeStartupError(.data, file: error.file, error.description)
            }
        }
        return counts
    }

    private static func readBytes(_ path: String) throws(NodeStartupError) -> [UInt8] {
        do {
            return try SecretFile.read(path)
        } catch {
            throw NodeStartupError(error.code == .permissions ? .keyFilePermissions : .keyMaterial, file: path, error.message)
        }
    }

    private static func readText(_ path: String, secret: Bool) throws(NodeStartupError) -> String {
        let bytes: [UInt8]
        if secret {
            bytes = try readBytes(path)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw NodeStartupError(.keyMaterial, file: path, "cannot read the certificate file")
            }
            bytes = Array(data)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw NodeStartupError(.keyMaterial, file: path, "not a PEM text file")
        }
        return text
    }
}
