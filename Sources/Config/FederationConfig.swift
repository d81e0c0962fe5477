import Crypto
import Yams

/// `federation.yaml`: who is in the federation and how to reach and verify them.
/// Written by the federation admin (the key ceremony) and identical at every node.
///
/// ```yaml
/// federation: city-of-example
/// ca_certificate: |
///   -----BEGIN CERTIFICATE-----
///   …
/// paillier:
///   public_key: <base64>
///   threshold: 3
/// members:
///   - name: hospital-north
///     role: node
///     address: 127.0.0.1:7001
///     masking_key: <base64 of 32 bytes>
///     paillier_index: 1
///   - name: alice
///     role: analyst
/// catalog: {}
/// ```
public struct FederationConfig: Sendable, Equatable {
    /// Key `federation`, required: the federation id, a name as ``Config/validateName(_:)``
    /// checks. It is the trust domain of every identity,
    /// `spiffe://<federation>/node/<name>` and `spiffe://<federation>/analyst/<name>`.
    public var id: String
    /// Key `ca_certificate`, required: the PEM text of the federation CA certificate,
    /// written inline so the file is self-contained. Checked here only for its shape
    /// (`CERTIFICATE` blocks of base64, nothing secret); the PKI module parses it.
    public var caCertificate: String
    /// Key `paillier`, optional until the key ceremony has made a threshold key: the
    /// federation's threshold Paillier public key.
    public var paillier: PaillierSettings?
    /// Key `members`, required: every node and analyst, in file order. Names are unique;
    /// at least one member is a node.
    public var members: [Member]
    /// Key `catalog`, optional (default empty): the dataset schemas shared by all nodes,
    /// kept as YAML for the catalog parser.
    public var catalog: RawYAML
    /// Where this configuration was read from (not part of its value).
    public var source: ConfigSource

    /// The threshold Paillier public key (`Protocols/threshold-paillier.md`).
    public struct PaillierSettings: Sendable, Equatable {
        /// Key `public_key`, required: the threshold public key encoding
        /// (`Protocols/threshold-paillier.md` §6), base64, which may be wrapped over
        /// several lines. Parsed and checked by the Paillier module.
        public var publicKey: [UInt8]
        /// Key `threshold`, required: t, the number of nodes whose partial decryptions
        /// are needed to decrypt; 1…number of nodes.
        public var threshold: Int

        public init(publicKey: [UInt8], threshold: Int) {
            self.publicKey = publicKey
            self.threshold = threshold
        }
    }

    /// A member of the federation: a node or an analyst.
    public enum Member: Sendable, Equatable {
        case node(NodeMember)
        case analyst(AnalystMember)

        /// Key `name`, required: unique across members, checked by
        /// ``Config/validateName(_:)``.
        public var name: String {
            switch self {
            case .node(let node): node.name
            case .analyst(let analyst): analyst.name
            }
        }
    }

    /// A member with `role: node`: a department running a node.
    public struct NodeMember: Sendable, Equatable {
        /// Key `name`.
        public var name: String
        /// Key `address`, required for nodes: where other nodes and analysts reach it,
        /// `host:port` (IPv4, `[IPv6]` or a DNS name; port 1…65535).
        public var address: HostPort
        /// Key `masking_key`, required for nodes: the node's public X25519 masking key
        /// (32 bytes, base64), for the pairwise masks of the secure sum.
        public var maskingKey: [UInt8]
        /// Key `paillier_index`, required for every node once `paillier` is present:
        /// the index i of the node's key share, unique, 1…number of nodes.
        public var paillierIndex: Int?

        public init(name: String, address: HostPort, maskingKey: [UInt8], paillierIndex: Int? = nil) {
            self.name = name
            self.address = address
            self.maskingKey = maskingKey
            self.paillierIndex = paillierIndex
        }
    }

    /// A member with `role: analyst`: someone who asks queries. An analyst has only a
    /// name; the node keys are refused on an analyst.
    public struct AnalystMember: Sendable, Equatable {
        /// Key `name`.
        public var name: String

        public init(name: String) { self.name = name }
    }

    /// The length of a public X25519 masking key.
    public static let maskingKeyLength = 32

    /// Whether a 32-byte X25519 public key is a low-order point: X25519 multiplies by the
    /// cofactor, so such a point gives an all-zero shared secret with any private key.
    static func isLowOrder(_ key: [UInt8]) -> Bool {
        guard let point = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: key) else { return true }
        let probe = try! Curve25519.KeyAgreement.PrivateKey(rawRepresentation: [UInt8](repeating: 0x42, count: 32))
        guard let shared = try? probe.sharedSecretFromKeyAgreement(with: point) else { return true }
        return shared.withUnsafeBytes { $0.allSatisfy { $0 == 0 } }
    }

    public init(
        id: String,
        caCertificate: String,
        paillier: PaillierSettings? = nil,
        members: [Member],
        catalog: RawYAML = .emptyMapping
    ) {
        self.id = id
        self.caCertificate = caCertificate
        self.paillier = paillier
        self.members = members
        self.catalog = catalog
        self.source = ConfigSource()
    }

    // MARK: Helpers

    /// The nodes, in file order.
    public var nodes: [NodeMember] {
        members.compactMap { if case .node(let node) = $0 { node } else { nil } }
    }

    /// The analysts, in file order.
    public var analysts: [AnalystMember] {
        members.compactMap { if case .analyst(let analyst) = $0 { analyst } else { nil } }
    }

    /// The node called `name`, or nil (also if `name` is an analyst).
    public func node(named name: String) -> NodeMember? {
        nodes.first { $0.name == name }
    }

    /// The analyst called `name`, or nil (also if `name` is a node).
    public func analyst(named name: String) -> AnalystMember? {
        analysts.first { $0.name == name }
    }

    // MARK: Loading

    /// Reads and checks the federation file at `path`, which errors name as given.
    public static func load(path: String) throws(ConfigError) -> FederationConfig {
        try parse(yaml: FilePaths.read(path), file: path)
    }

    /// Parses and checks federation file text; `file` names it in errors.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> FederationConfig {
        var reader = YAMLReader(file: file)
        let root = try reader.mapping(
            reader.root(of: yaml),
            at: "",
            keys: ["federation", "ca_certificate", "paillier", "members", "catalog"]
        )
        let id = try reader.string(
            root.required("federation", reader, "the federation id, as in `federation: city-of-example`"),
            at: "federation",
            "the federation id"
        )
        let ca = try reader.string(
            root.required("ca_certificate", reader, "the PEM text of the federation CA certificate"),
            at: "ca_certificate",
            "the PEM text of the CA certificate"
        )

        var paillier: PaillierSettings?
        if let node = root.optional("paillier") {
            let fields = try reader.mapping(node, at: "paillier", keys: ["public_key", "threshold"])
            let key = try reader.base64(
                fields.required("public_key", reader, "the threshold public key, base64"),
                at: "paillier.public_key",
                ignoringWhitespace: true
            )
            let threshold = try reader.integer(
                fields.required("threshold", reader, "t, how many nodes must take part in a decryption"),
                at: "paillier.threshold"
            )
            paillier = PaillierSettings(publicKey: key, threshold: threshold)
        }

        let items = try reader.sequence(
            root.required("members", reader, "the list of nodes and analysts"),
            at: "members",
            of: "members"
        )
        var members: [Member] = []
        for (index, item) in items.enumerated() {
            members.append(try readMember(item, at: YAMLReader.item("members", index), &reader))
        }
        let catalog = try reader.raw(root.optional("catalog"), key: "catalog", document: yaml)

        var config = FederationConfig(id: id, caCertificate: ca, paillier: paillier, members: members, catalog: catalog)
        config.source = reader.source
        try config.validate()
        return config
    }

    private static let nodeKeys = ["address", "masking_key", "paillier_index"]

    private static func readMember(
        _ item: Node,
        at path: String,
        _ reader: inout YAMLReader
    ) throws(ConfigError) -> Member {
        let fields = try reader.mapping(item, at: path, keys: ["name", "role"] + nodeKeys)
        let name = try reader.string(fields.required("name", reader, "the member's name"), at: path + ".name", "a name")
        let roleNode = try fields.required("role", reader, "`node` or `analyst`")
        let role = try reader.string(roleNode, at: path + ".role", "`node` or `analyst`")
        switch role {
        case "analyst":
            if let key = nodeKeys.first(where: { fields.contains($0) }) {
                throw reader.error(
                    .forbiddenKey,
                    at: "\(path).\(key)",
                    fields.keyMark(key),
                    "`\(key)` is only for nodes, and `\(name)` is an analyst; remove it, or set `role: node`"
                )
            }
            return .analyst(AnalystMember(name: name))
        case "node":
            let address = try reader.hostPort(
                fields.required("address", reader, "nodes need the host:port where they are reached"),
                at: path + ".address"
            )
            let maskingKey = try reader.base64(
                fields.required("masking_key", reader, "nodes need their public X25519 masking key, base64"),
                at: path + ".masking_key"
            )
            let index = try fields.optional("paillier_index").map { node throws(ConfigError) in
                try reader.integer(node, at: path + ".paillier_index")
            }
            return .node(NodeMember(name: name, address: address, maskingKey: maskingKey, paillierIndex: index))
        default:
            throw reader.error(
                .invalidValue,
                at: path + ".role",
                roleNode.mark,
                "unknown role `\(role)`; a member's role is `node` or `analyst`"
            )
        }
    }

    // MARK: Checks

    /// Checks what the file format cannot express: valid and unique names, at least one
    /// node, 32-byte masking keys, Paillier indices exactly 1…number of nodes when the
    /// Paillier key is present (unique and in range otherwise), the threshold in range,
    /// and the shape of the CA certificate. ``parse(yaml:file:)`` calls it; call it
    /// before rendering a configuration built in code.
    public func validate() throws(ConfigError) {
        do {
            try Config.validateName(id)
        } catch {
            throw source.error(.invalidValue, at: "federation", "invalid federation id: \(error.message)")
        }
        if let problem = Self.certificateProblem(caCertificate) {
            throw source.error(.invalidValue, at: "ca_certificate", problem)
        }
        guard !nodes.isEmpty else {
            throw source.error(.invalidValue, at: "members", "a federation needs at least one member with `role: node`")
        }
        let nodeCount = nodes.count
        var firstByName: [String: Int] = [:]
        var firstByIndex: [Int: Int] = [:]
        var firstByMaskingKey: [[UInt8]: Int] = [:]
        for (position, member) in members.enumerated() {
            let path = YAMLReader.item("members", position)
            do {
                try Config.validateName(member.name)
            } catch {
                throw source.error(.invalidValue, at: path + ".name", "invalid member name: \(error.message)")
            }
            if let first = firstByName[member.name] {
                throw source.error(
                    .duplicateValue,
                    at: path + ".name",
                    "the name `\(member.name)` is already used by \(describe(YAMLReader.item("members", first))); member names are unique"
                )
            }
            firstByName[member.name] = position
            guard case .node(let node) = member else { continue }
            if node.address.port == 0 {
                throw source.error(
                    .invalidValue,
                    at: path + ".address",
                    "port 0 is not an address others can reach; use 1–65535"
                )
            }
            guard node.maskingKey.count == Self.maskingKeyLength else {
                throw source.error(
                    .invalidValue,
                    at: path + ".masking_key",
                    "a masking key is \(Self.maskingKeyLength) bytes (44 base64 characters), this one is \(node.maskingKey.count) bytes; copy the node's public masking key again"
                )
            }
            // A low-order point gives every peer an all-zero shared secret, so the pair
            // masks of secure sums with this node would be computable by anyone.
            if Self.isLowOrder(node.maskingKey) {
                throw source.error(
                    .invalidValue,
                    at: path + ".masking_key",
                    "this masking key is a low-order point, which would make every secure sum with this node readable by anyone; copy the node's real public masking key"
                )
            }
            if let first = firstByMaskingKey[node.maskingKey] {
                throw source.error(
                    .duplicateValue,
                    at: path + ".masking_key",
                    "this masking key is also the key of \(describe(YAMLReader.item("members", first))); every node has its own"
                )
            }
            firstByMaskingKey[node.maskingKey] = position
            if let index = node.paillierIndex {
                guard (1...nodeCount).contains(index) else {
                    throw source.error(
                        .invalidValue,
                        at: path + ".paillier_index",
                        "Paillier index \(index) is out of range; with \(nodeCount) node(s) the indices are 1…\(nodeCount)"
                    )
                }
                if let first = firstByIndex[index] {
                    throw source.error(
                        .duplicateValue,
                        at: path + ".paillier_index",
                        "Paillier index \(index) is already used by \(describe(YAMLReader.item("members", first))); each node has its own index"
                    )
                }
                firstByIndex[index] = position
            } else if paillier != nil {
                throw source.error(
                    .missingKey,
                    at: path + ".paillier_index",
                    "node `\(node.name)` has no `paillier_index`; with a Paillier key every node needs the index of its key share"
                )
            }
        }
        if let paillier {
            guard !paillier.publicKey.isEmpty else {
                throw source.error(.invalidValue, at: "paillier.public_key", "the Paillier public key is empty")
            }
            guard (1...nodeCount).contains(paillier.threshold) else {
                throw source.error(
                    .invalidValue,
                    at: "paillier.threshold",
                    "threshold \(paillier.threshold) is out of range; with \(nodeCount) node(s) it is 1…\(nodeCount)"
                )
            }
        }
    }

    /// `members[2]`, with its line when known.
    private func describe(_ path: String) -> String {
        guard let position = source.positions[path] else { return "`\(path)`" }
        return "`\(path)` (line \(position.line))"
    }

    /// Why `pem` is not one or more PEM `CERTIFICATE` blocks, or nil.
    static func certificateProblem(_ pem: String) -> String? {
        var blocks = 0
        var label: Substring?
        var body = ""
        for rawLine in pem.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let line = rawLine.trimmingSpaces()
            if let current = label {
                if line == "-----END \(current)-----" {
                    guard let der = Base64.decode(body), !der.isEmpty else {
                        return "the \(current) block is not valid base64; copy the CA certificate again"
                    }
                    blocks += 1
                    label = nil
                    body = ""
                } else if line.hasPrefix("-----") {
                    return "the \(current) block has no matching `-----END \(current)-----` line"
                } else {
                    body += line
                }
            } else if line.hasPrefix("-----BEGIN "), line.hasSuffix("-----") {
                let name = line.dropFirst("-----BEGIN ".count).dropLast(5)
                guard name == "CERTIFICATE" else {
                    // Never let a private key ride along in a file sent to every node.
                    return "found a `\(name)` block; `ca_certificate` holds only the CA's CERTIFICATE"
                }
                label = name
            }
        }
        if let label { return "the \(label) block has no `-----END \(label)-----` line" }
        guard blocks > 0 else {
            return "no `-----BEGIN CERTIFICATE-----` block; paste the CA certificate in PEM form"
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        let isSpace = { (character: Character) in character == " " || character == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[start...last]
    }
}

// MARK: Rendering

extension FederationConfig {
    /// The configuration as a commented `federation.yaml`, keys in the documented order,
    /// which ``parse(yaml:file:)`` reads back as an equal configuration (if
    /// ``validate()`` accepts it). Comments inside `catalog` are not kept.
    public func render() -> String {
        var out = YAMLWriter()
        out.comment([
            "federation.yaml: the members, keys and catalog of a Fedstat federation.",
            "Identical at every node; written by the federation admin (fednode federation),",
            "never edited at one node alone.",
        ])
        out.blankLine()
        out.comment([
            "Federation id: lowercase letters, digits and '-', 1-63 characters. Every identity",
            "is spiffe://<federation>/node/<name> or spiffe://<federation>/analyst/<name>.",
        ])
        out.entry("federation", YAMLWriter.scalar(id))
        out.blankLine()
        out.comment(["The federation CA certificate (PEM), which issues every member's certificate."])
        out.literal("ca_certificate", caCertificate)
        out.blankLine()
        if let paillier {
            out.comment(["Threshold Paillier public key, made by the key ceremony."])
            out.open("paillier")
            out.comment(
                ["Threshold public key encoding (Protocols/threshold-paillier.md section 6), base64."],
                indent: 2
            )
            out.literal("public_key", Self.wrapped(Base64.encode(paillier.publicKey)), indent: 2)
            out.comment(["t: how many nodes must give a partial decryption; 1 to the number of nodes."], indent: 2)
            out.entry("threshold", "\(paillier.threshold)", indent: 2)
        } else {
            out.comment([
                "paillier: none yet. The key ceremony adds the threshold Paillier public key",
                "(public_key, base64) and the threshold t (threshold) here.",
            ])
        }
        out.blankLine()
        out.comment([
            "Members. Each has a unique name (like the federation id) and a role: `node`, a",
            "department running a node, or `analyst`, who asks queries. Nodes also have:",
            "  address         host:port where the node is reached (IPv4, [IPv6] or DNS name)",
            "  masking_key     public X25519 masking key, 32 bytes in base64",
            "  paillier_index  index of the node's Paillier key share, 1 to the number of nodes",
        ])
        if members.isEmpty { out.entry("members", "[]") } else { out.open("members") }
        for member in members {
            switch member {
            case .node(let node):
                out.entry("- name", YAMLWriter.scalar(node.name), indent: 2)
                out.entry("role", "node", indent: 4)
                out.entry("address", YAMLWriter.scalar(node.address.description), indent: 4)
                out.entry("masking_key", YAMLWriter.scalar(Base64.encode(node.maskingKey)), indent: 4)
                if let index = node.paillierIndex { out.entry("paillier_index", "\(index)", indent: 4) }
            case .analyst(let analyst):
                out.entry("- name", YAMLWriter.scalar(analyst.name), indent: 2)
                out.entry("role", "analyst", indent: 4)
            }
        }
        out.blankLine()
        out.comment(["Dataset schemas shared by every node: datasets, their columns and column types."])
        out.raw("catalog", catalog)
        return out.text
    }

    /// Base64 text in lines of 76 characters (one line if it fits).
    private static func wrapped(_ text: String) -> String {
        guard text.count > 76 else { return text }
        var lines: [Substring] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            lines.append(rest.prefix(76))
            rest = rest.dropFirst(76)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
