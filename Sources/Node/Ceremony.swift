import Config
import Crypto
import Foundation
import KeyStore
import PKI
import Paillier
import X509

/// An error of the key ceremony or of the CSR path, naming what to fix.
public struct CeremonyError: Error, Sendable, CustomStringConvertible {
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}

/// The one-shot key ceremony of `fednode federation init` (Keys/README.md): a CA, every
/// node's TLS identity and masking key, every analyst's TLS identity, the threshold
/// Paillier key dealt to the nodes, and the configuration files, in the documented
/// layout. Secret files are written with mode 0600 and never overwritten; `force`
/// removes an earlier ceremony's files first.
public enum Ceremony {
    public struct Options: Sendable {
        public var federation: String
        public var outputDirectory: String
        /// Node names and the addresses they will be reached at, in index order.
        public var nodes: [(name: String, address: HostPort)]
        public var analysts: [String]
        public var threshold: Int
        /// 2048 or 3072; anything else only through `insecureTestBits`.
        public var paillierSize: KeySize
        /// A Paillier modulus size below 2048 bits, for tests only.
        public var insecureTestBits: Int?
        public var force: Bool
        public var now: Date
        /// The catalog for `federation.yaml` (from `CatalogFile.load`); nil for none.
        public var catalog: RawYAML?

        public init(
            federation: String, outputDirectory: String, nodes: [(name: String, address: HostPort)],
            analysts: [String], threshold: Int, paillierSize: KeySize = .bits2048, insecureTestBits: Int? = nil,
            force: Bool = false, now: Date = Date(), catalog: RawYAML? = nil
        ) {
            self.catalog = catalog
            self.federation = federation
            self.outputDirectory = outputDirectory
            self.nodes = nodes
            self.analysts = analysts
            self.threshold = threshold
            self.paillierSize = paillierSize
            self.insecureTestBits = insecureTestBits
            self.force = force
            self.now = now
        }
    }

    /// What the ceremony wrote.
    public struct Report: Sendable {
        public var federationFile: String
        public var nodeConfigs: [String: String]
        public var analystConfigs: [String: String]
        public var caKey: String
    }

    public static func run(_ options: Options) throws -> Report {
        let out = URL(fileURLWithPath: options.outputDirectory).standardizedFileURL.path
        try validate(options)
        try prepare(out, force: options.force)

        // Certificates start a little in the past so that a peer whose clock is
        // slightly behind does not see them as not yet valid.
        let notBefore = options.now.addingTimeInterval(-3600)
        let ca = try FederationCA.create(federation: options.federation, notBefore: notBefore)
        let caPEM = try PEM.encode(ca.certificate)
        try write(out + "/ca/ca.pem", text: caPEM)
        try SecretFile.write(Array(PEM.encode(ca.privateKey).utf8), to: out + "/ca/ca.key")

        // The threshold Paillier key: the dealer's factorisation lives only inside this
        // call (Protocols/threshold-paillier.md §1).
        let parameters = try ThresholdParameters(threshold: options.threshold, parties: options.nodes.count)
        let paillier: (publicKey: ThresholdPublicKey, shares: [ThresholdKeyShare])
        if let bits = options.insecureTestBits {
            let dealt = ThresholdDealer.dealForTesting(bits: bits, parameters: parameters)
            paillier = (dealt.publicKey, dealt.shares)
        } else {
            paillier = ThresholdDealer.deal(size: options.paillierSize, parameters: parameters)
        }

        var members: [FederationConfig.Member] = []
        var nodeConfigs: [String: String] = [:]
        for (index, node) in options.nodes.enumerated() {
            let directory = out + "/nodes/\(node.name)"
            let principal = try Principal(federation: options.federation, role: .node, name: node.name)
            let tlsKey = P256.Signing.PrivateKey()
            let certificate = try ca.issue(
                for: principal, publicKey: tlsKey.publicKey, notBefore: notBefore,
                dnsNames: node.address.kind == .dnsName ? [node.address.host] : [],
                ipAddresses: node.address.kind == .dnsName ? [] : [node.address.host])
            try write(directory + "/tls.pem", text: try PEM.encode(certificate))
            try SecretFile.write(Array(PEM.encode(tlsKey).utf8), to: directory + "/tls.key")
            let maskingKey = Curve25519.KeyAgreement.PrivateKey()
            try SecretFile.write(Array(maskingKey.rawRepresentation), to: directory + "/masking.key")
            try SecretFile.write(paillier.shares[index].serialized(), to: directory + "/paillier-share.bin")
            try FileManager.default.createDirectory(atPath: directory + "/policies", withIntermediateDirectories: true)
            members.append(
                .node(
                    FederationConfig.NodeMember(
                        name: node.name, address: node.address,
                        maskingKey: Array(maskingKey.publicKey.rawRepresentation), paillierIndex: index + 1)))
            let listen = try HostPort(host: node.address.kind == .dnsName ? "0.0.0.0" : node.address.host, port: node.address.port)
            let config = NodeConfig(
                name: node.name, listen: listen,
                federation: ConfigPath("../../federation.yaml", relativeTo: directory),
                tls: NodeConfig.TLS(
                    certificate: ConfigPath("tls.pem", relativeTo: directory), key: ConfigPath("tls.key", relativeTo: directory)),
                maskingKey: ConfigPath("masking.key", relativeTo: directory),
                paillierShare: ConfigPath("paillier-share.bin", relativeTo: directory),
                stateDirectory: ConfigPath(NodeConfig.defaultStateDirectory, relativeTo: directory),
                policies: ConfigPath(NodeConfig.defaultPolicies, relativeTo: directory))
            try write(directory + "/node.yaml", text: config.render())
            nodeConfigs[node.name] = directory + "/node.yaml"
        }

        var analystConfigs: [String: String] = [:]
        let coordinator = options.nodes[0]
        for name in options.analysts {
            let directory = out + "/analysts/\(name)"
            let principal = try Principal(federation: options.federation, role: .analyst, name: name)
            let tlsKey = P256.Signing.PrivateKey()
            let certificate = try ca.issue(for: principal, publicKey: tlsKey.publicKey, notBefore: notBefore)
            try write(directory + "/tls.pem", text: try PEM.encode(certificate))
            try SecretFile.write(Array(PEM.encode(tlsKey).utf8), to: directory + "/tls.key")
            try write(directory + "/ca.pem", text: caPEM)
            members.append(.analyst(FederationConfig.AnalystMember(name: name)))
            let config = AnalystConfig(
                federation: options.federation, name: name,
                coordinator: AnalystConfig.Coordinator(name: coordinator.name, address: coordinator.address),
                tls: AnalystConfig.TLS(
                    certificate: ConfigPath("tls.pem", relativeTo: directory), key: ConfigPath("tls.key", relativeTo: directory),
                    ca: ConfigPath("ca.pem", relativeTo: directory)))
            try write(directory + "/fedquery.yaml", text: config.render())
            analystConfigs[name] = directory + "/fedquery.yaml"
        }

        let federation = FederationConfig(
            id: options.federation, caCertificate: caPEM,
            paillier: FederationConfig.PaillierSettings(publicKey: paillier.publicKey.serialized(), threshold: options.threshold),
            members: members, catalog: options.catalog ?? .emptyMapping)
        try federation.validate()
        try write(out + "/federation.yaml", text: federation.render())
        return Report(
            federationFile: out + "/federation.yaml", nodeConfigs: nodeConfigs, analystConfigs: analystConfigs,
            caKey: out + "/ca/ca.key")
    }

    private static func validate(_ options: Options) throws {
        _ = try Principal(federation: options.federation, role: .node, name: "check")
        guard !options.nodes.isEmpty else { throw CeremonyError("a federation needs at least one --node") }
        var names = Set<String>()
        for name in options.nodes.map(\.name) + options.analysts {
            _ = try Principal(federation: options.federation, role: .node, name: name)
            guard names.insert(name).inserted else { throw CeremonyError("the name \(name) is used twice") }
        }
        guard (1...options.nodes.count).contains(options.threshold) else {
            throw CeremonyError("--threshold must be between 1 and the number of nodes (\(options.nodes.count))")
        }
        // A partial-decryption request carries every participant's signed ciphertexts: with
        // t = 1 the one node asked could decrypt each department's contribution alone.
        guard options.threshold >= 2 || options.nodes.count == 1 else {
            throw CeremonyError(
                "--threshold 1 would let any single node decrypt every department's contribution it is shown; use 2 or more")
        }
        if let bits = options.insecureTestBits, bits < 512 || !bits.isMultiple(of: 2) {
            throw CeremonyError("test Paillier keys need an even size of at least 512 bits")
        }
        // Before any key is made: `held_by` must name nodes of this federation.
        if let catalog = options.catalog {
            _ = try CatalogFile.check(catalog, nodes: options.nodes.map(\.name))
        }
    }

    /// Refuses to touch an earlier ceremony's output unless `force`; with `force`,
    /// removes only the files and folders a ceremony writes.
    private static func prepare(_ out: String, force: Bool) throws {
        let manager = FileManager.default
        let outputs = ["federation.yaml", "ca", "nodes", "analysts"].map { out + "/" + $0 }
        let existing = outputs.filter { manager.fileExists(atPath: $0) }
        if !existing.isEmpty {
            guard force else {
                throw CeremonyError(
                    "\(out) already holds a ceremony's output (\(existing.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))); refusing to overwrite keys without --force")
            }
            for path in existing { try manager.removeItem(atPath: path) }
        }
        try manager.createDirectory(atPath: out, withIntermediateDirectories: true)
    }

    /// Writes a public file (certificates, configuration); never overwrites.
    static func write(_ path: String, text: String) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        guard !FileManager.default.fileExists(atPath: path) else {
            throw CeremonyError("\(path) exists; refusing to overwrite it")
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o644]) else {
            throw CeremonyError("cannot write \(path)")
        }
    }
}

/// The path where a member's private keys never leave its host: it makes its own keys
/// and a certificate signing request; the admin signs the request with the CA.
public enum SigningPath {
    /// What `fednode keys csr` wrote.
    public struct Request: Sendable {
        public var csrFile: String
        public var keyFile: String
        public var maskingKeyFile: String?
        /// The public masking key (base64) to record in `federation.yaml`, for nodes.
        public var maskingPublicKey: String?
    }

    /// Creates the TLS key (0600), the CSR, and for a node the masking key (0600), in
    /// `directory`. Refuses to overwrite any of them.
    public static func createRequest(for principal: Principal, in directory: String) throws -> Request {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let key = P256.Signing.PrivateKey()
        let csr = try SigningRequest.create(for: principal, privateKey: key)
        let keyFile = directory + "/tls.key"
        let csrFile = directory + "/\(principal.name).csr"
        try SecretFile.write(Array(PEM.encode(key).utf8), to: keyFile)
        try Ceremony.write(csrFile, text: try PEM.encode(csr))
        guard principal.role == .node else {
            return Request(csrFile: csrFile, keyFile: keyFile, maskingKeyFile: nil, maskingPublicKey: nil)
        }
        let masking = Curve25519.KeyAgreement.PrivateKey()
        let maskingFile = directory + "/masking.key"
        try SecretFile.write(Array(masking.rawRepresentation), to: maskingFile)
        return Request(
            csrFile: csrFile, keyFile: keyFile, maskingKeyFile: maskingFile,
            maskingPublicKey: Data(masking.publicKey.rawRepresentation).base64EncodedString())
    }

    /// Signs the CSR at `csrFile` with the CA in `caDirectory` (`ca.pem`, `ca.key`) and
    /// writes the certificate to `outputFile`. Returns the certificate's principal.
    public static func sign(
        csrFile: String, caDirectory: String, federation: String, outputFile: String,
        dnsNames: [String] = [], ipAddresses: [String] = [], now: Date = Date()
    ) throws -> Principal {
        guard let csrText = try? String(contentsOfFile: csrFile, encoding: .utf8) else {
            throw CeremonyError("cannot read \(csrFile)")
        }
        guard let caText = try? String(contentsOfFile: caDirectory + "/ca.pem", encoding: .utf8) else {
            throw CeremonyError("cannot read \(caDirectory)/ca.pem")
        }
        let caKeyBytes = try SecretFile.read(caDirectory + "/ca.key")
        let ca = try FederationCA(
            federation: federation, certificate: try PEM.certificate(from: caText),
            privateKey: try PEM.privateKey(from: String(decoding: caKeyBytes, as: UTF8.self)))
        let csr = try PEM.signingRequest(from: csrText)
        let principal = try ca.requestedPrincipal(of: csr)
        let certificate = try ca.sign(
            csr: csr, notBefore: now.addingTimeInterval(-3600), dnsNames: dnsNames, ipAddresses: ipAddresses)
        try Ceremony.write(outputFile, text: try PEM.encode(certificate))
        return principal
    }
}
