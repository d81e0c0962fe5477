import ArgumentParser
import Config
import Foundation
import KeyStore
import Node
import PKI
import Paillier
import X509

struct FederationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "federation",
        abstract: "Create a federation, sign members' certificate requests.",
        subcommands: [Initialize.self, Sign.self])

    struct Initialize: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "The one-shot key ceremony: CA, every member's keys and certificates, the threshold Paillier key, and the configuration files.",
            discussion: "Writes the layout described in Keys/README.md. Move ca/ca.key offline afterwards.")

        @Option(help: "Federation id (lowercase letters, digits, '-').")
        var id: String

        @Option(help: "Output directory.")
        var out: String

        @Option(name: .customLong("node"), help: "A node as name=host:port, in key-share order; repeat for each node.")
        var nodes: [String] = []

        @Option(name: .customLong("analyst"), help: "An analyst name; repeat for each analyst.")
        var analysts: [String] = []

        @Option(help: "Partial decryptions needed to decrypt (t).")
        var threshold: Int

        @Option(help: "Paillier modulus size: 2048 or 3072.")
        var paillierBits: Int = 2048

        @Option(help: ArgumentHelp("A Paillier modulus below 2048 bits, for tests only: offers no security.", visibility: .hidden))
        var insecureTestPaillierBits: Int?

        @Flag(help: "Replace an earlier ceremony's output in the same directory.")
        var force = false

        @Option(help: "A catalog file (the datasets the federation answers about) to put in federation.yaml.")
        var catalog: String?

        func run() async throws {
            guard let size = KeySize(rawValue: paillierBits) else {
                throw ValidationError("--paillier-bits must be 2048 or 3072")
            }
            var parsedNodes: [(name: String, address: HostPort)] = []
            for spec in nodes {
                let parts = spec.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { throw ValidationError("--node \(spec): expected name=host:port") }
                do {
                    parsedNodes.append((String(parts[0]), try HostPort(parsing: String(parts[1]))))
                } catch {
                    throw ValidationError("--node \(spec): \(error.message)")
                }
            }
            do {
                let catalogYAML = try catalog.map { path throws(ConfigError) in try CatalogFile.load(path: path).yaml }
                let report = try Ceremony.run(
                    Ceremony.Options(
                        federation: id, outputDirectory: out, nodes: parsedNodes, analysts: analysts,
                        threshold: threshold, paillierSize: size, insecureTestBits: insecureTestPaillierBits, force: force,
                        catalog: catalogYAML))
                print("federation \(id): \(parsedNodes.count) nodes, \(analysts.count) analysts, threshold \(threshold)")
                print("  \(report.federationFile)")
                for node in parsedNodes { print("  node \(node.name): \(report.nodeConfigs[node.name] ?? "")") }
                for analyst in analysts { print("  analyst \(analyst): \(report.analystConfigs[analyst] ?? "")") }
                print("  CA key: \(report.caKey) — move it offline")
            } catch {
                throw Refusal.printAndExit("federation init: \(error)")
            }
        }
    }

    struct Sign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a member's certificate signing request with the federation CA.")

        @Argument(help: "The CSR file (PEM) made with `fednode keys csr`.")
        var csr: String

        @Option(help: "The CA directory (ca.pem and ca.key).")
        var ca: String

        @Option(help: "Federation id.")
        var federation: String

        @Option(help: "Where to write the certificate (PEM).")
        var out: String

        @Option(name: .customLong("dns"), help: "A DNS name for a node's certificate; repeat as needed.")
        var dnsNames: [String] = []

        @Option(name: .customLong("ip"), help: "An IP address for a node's certificate; repeat as needed.")
        var ipAddresses: [String] = []

        func run() async throws {
            do {
                let principal = try SigningPath.sign(
                    csrFile: csr, caDirectory: ca, federation: federation, outputFile: out, dnsNames: dnsNames,
                    ipAddresses: ipAddresses)
                print("signed \(principal.spiffeID): \(out)")
                if principal.role == .node {
                    print("add it to federation.yaml with its address and public masking key, then give every node the new file")
                }
            } catch {
                throw Refusal.printAndExit("federation sign: \(error)")
            }
        }
    }
}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Make a certificate signing request; inspect key material without printing secrets.",
        subcommands: [Request.self, Inspect.self])

    struct Request: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csr",
            abstract: "Make this member's TLS key (and for a node its masking key) and a certificate signing request; the private keys never leave this host.")

        @Option(help: "Federation id.")
        var federation: String

        @Option(help: "This member's name.")
        var name: String

        @Option(help: "node or analyst.")
        var role: String

        @Option(help: "Directory for the keys (mode 0600) and the CSR.")
        var out: String

        func run() async throws {
            guard let role = Principal.Role(rawValue: role) else { throw ValidationError("--role must be node or analyst") }
            do {
                let principal = try Principal(federation: federation, role: role, name: name)
                let request = try SigningPath.createRequest(for: principal, in: out)
                print("private key: \(request.keyFile) (mode 0600; stays on this host)")
                if let masking = request.maskingKeyFile, let publicKey = request.maskingPublicKey {
                    print("masking key: \(masking) (mode 0600; stays on this host)")
                    print("public masking key for federation.yaml: \(publicKey)")
                }
                print("send to the federation admin: \(request.csrFile)")
            } catch {
                throw Refusal.printAndExit("keys csr: \(error)")
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Describe a certificate, CSR, private key, masking key or key share; never prints a secret.")

        @Argument(help: "The file to describe.")
        var file: String

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw Refusal.printAndExit("keys inspect: cannot read \(file)")
            }
            print(KeyInspection.describe(Array(data)))
        }
    }
}

extension Principal.Role {
    init?(rawValue: String) {
        switch rawValue {
        case "node": self = .node
        case "analyst": self = .analyst
        default: return nil
        }
    }
}

/// What a key file is, told without its secrets.
enum KeyInspection {
    static func describe(_ bytes: [UInt8]) -> String {
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN") {
            if text.contains("BEGIN CERTIFICATE REQUEST") {
                guard let csr = try? PEM.signingRequest(from: text) else { return "a malformed certificate signing request" }
                let subject = csr.subject.description
                return "certificate signing request\n  subject: \(subject)\n  requested identity: \(requestedIdentity(csr) ?? "none readable")"
            }
            if text.contains("BEGIN CERTIFICATE") {
                guard let certificates = try? PEM.certificates(from: text) else { return "a malformed certificate" }
                return certificates.map { Inspection.describe($0, at: Date()) }.joined(separator: "\n\n")
            }
            if text.contains("PRIVATE KEY") {
                guard let key = try? PEM.privateKey(from: text) else { return "a private key (not a P-256 key Fedstat reads)" }
                let fingerprint = Data(key.publicKey.derRepresentation).base64EncodedString()
                return "ECDSA P-256 private key (secret, not shown)\n  public key (DER, base64): \(fingerprint)"
            }
            return "a PEM file of an unknown kind"
        }
        if bytes.count >= 2, bytes[0] == 1 {
            switch bytes[1] {
            case 6:
                let parties = bytes.count >= 8 ? Int(bytes[6]) << 8 | Int(bytes[7]) : 0
                let threshold = bytes.count >= 6 ? Int(bytes[4]) << 8 | Int(bytes[5]) : 0
                let bits = bytes.count >= 4 ? Int(bytes[2]) << 8 | Int(bytes[3]) : 0
                let index = bytes.count >= 10 ? Int(bytes[8]) << 8 | Int(bytes[9]) : 0
                return "threshold Paillier key share (secret, not shown)\n  party \(index) of \(parties), threshold \(threshold), \(bits)-bit modulus"
            case 4:
                guard let key = try? ThresholdPublicKey(serialized: bytes) else { return "a malformed threshold Paillier public key" }
                return "threshold Paillier public key\n  \(key.publicKey.bits)-bit modulus, \(key.threshold) of \(key.parties)"
            case 1:
                guard let key = try? PublicKey(serialized: bytes) else { return "a malformed Paillier public key" }
                return "Paillier public key, \(key.bits)-bit modulus"
            case 2:
                return "Paillier private key (secret, not shown)"
            default: break
            }
        }
        if bytes.count == 32 {
            return "32 raw bytes: an X25519 masking key (secret, not shown)"
        }
        return "unrecognised file (\(bytes.count) bytes)"
    }

    private static func requestedIdentity(_ csr: CertificateSigningRequest) -> String? {
        guard let request = try? csr.attributes.extensionRequest?.extensions,
            let names = try? request.subjectAlternativeNames
        else { return nil }
        return names.compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }.joined(separator: ", ")
    }
}
