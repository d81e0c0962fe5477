import Yams

/// `node.yaml`: one node's own settings, written by its operator. Relative paths are
/// resolved against the directory of the file.
///
/// ```yaml
/// name: hospital-north
/// listen: 0.0.0.0:7001
/// federation: ../federation.yaml
/// tls:
///   certificate: tls.pem
///   key: tls.key
/// masking_key: masking.key
/// paillier_share: paillier-share.bin
/// state_directory: state
/// policies: policies
/// limits:
///   max_message_bytes: 4194304
///   rpc_timeout_seconds: 30
/// datasets: {}
/// ```
public struct NodeConfig: Sendable, Equatable {
    /// Key `name`, required: this node's name, which must be a node member of the
    /// federation (``checkMembership(in:)``).
    public var name: String
    /// Key `listen`, required: the address to bind, `host:port`; port 0 lets the system
    /// pick one (for tests).
    public var listen: HostPort
    /// Key `federation`, required: path of the federation's `federation.yaml`.
    public var federation: ConfigPath
    /// Key `tls`, required: this node's certificate and private key.
    public var tls: TLS
    /// Key `masking_key`, required: path of this node's X25519 masking private key.
    public var maskingKey: ConfigPath
    /// Key `paillier_share`, optional until the key ceremony has run: path of this
    /// node's threshold Paillier key share.
    public var paillierShare: ConfigPath?
    /// Key `state_directory`, default `state`: the directory of the node's state (audit
    /// log, seen query ids).
    public var stateDirectory: ConfigPath
    /// Key `policies`, default `policies`: the directory of this node's policy files.
    public var policies: ConfigPath
    /// Key `limits`, optional: resource limits, each with a safe default.
    public var limits: Limits
    /// Key `datasets`, optional (default empty): which local source (CSV file, SQLite
    /// table) holds each catalog dataset, kept as YAML for the data-source parser.
    public var datasets: RawYAML
    /// Where this configuration was read from (not part of its value).
    public var source: ConfigSource

    /// The default of `state_directory`, relative to the file's directory.
    public static let defaultStateDirectory = "state"
    /// The default of `policies`, relative to the file's directory.
    public static let defaultPolicies = "policies"

    /// Key `tls` of `node.yaml`.
    public struct TLS: Sendable, Equatable {
        /// Key `certificate`, required: path of the node's certificate (PEM), issued by
        /// the federation CA.
        public var certificate: ConfigPath
        /// Key `key`, required: path of the certificate's private key (PEM); must have
        /// mode 0600, which the node checks when it reads it.
        public var key: ConfigPath

        public init(certificate: ConfigPath, key: ConfigPath) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Key `limits` of `node.yaml`. Every key is optional and defaults to a safe value.
    public struct Limits: Sendable, Equatable {
        /// Key `max_message_bytes`, default 4 MiB, 1 KiB…256 MiB: the largest gRPC
        /// message the node accepts or sends; bounds the memory one peer can make the
        /// node allocate.
        public var maxMessageBytes: Int
        /// Key `rpc_timeout_seconds`, default 30, 1…3600: how long the node waits for a
        /// peer's answer before giving up on it.
        public var rpcTimeoutSeconds: Int

        public static let defaultMaxMessageBytes = 4 << 20
        public static let maxMessageBytesRange = (1 << 10)...(256 << 20)
        public static let defaultRPCTimeoutSeconds = 30
        public static let rpcTimeoutSecondsRange = 1...3600

        public init(
            maxMessageBytes: Int = Limits.defaultMaxMessageBytes,
            rpcTimeoutSeconds: Int = Limits.defaultRPCTimeoutSeconds
        ) {
            self.maxMessageBytes = maxMessageBytes
            self.rpcTimeoutSeconds = rpcTimeoutSeconds
        }
    }

    public init(
        name: String,
        listen: HostPort,
        federation: ConfigPath,
        tls: TLS,
        maskingKey: ConfigPath,
        paillierShare: ConfigPath? = nil,
        stateDirectory: ConfigPath,
        policies: ConfigPath,
        limits: Limits = Limits(),
        datasets: RawYAML = .emptyMapping
    ) {
        self.name = name
        self.listen = listen
        self.federation = federation
        self.tls = tls
        self.maskingKey = maskingKey
        self.paillierShare = paillierShare
        self.stateDirectory = stateDirectory
        self.policies = policies
        self.limits = limits
        self.datasets = datasets
        self.source = ConfigSource()
    }

    // MARK: Loading

    /// Reads and checks the node file at `path`; relative paths in it are resolved
    /// against its directory.
    public static func load(path: String) throws(ConfigError) -> NodeConfig {
        try parse(yaml: FilePaths.read(path), file: path)
    }

    /// Parses and checks node file text; `file` names it in errors, and relative paths
    /// are resolved against its directory.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> NodeConfig {
        var reader = YAMLReader(file: file)
        let root = try reader.mapping(
            reader.root(of: yaml),
            at: "",
            keys: [
                "name", "listen", "federation", "tls", "masking_key", "paillier_share", "state_directory", "policies",
                "limits", "datasets",
            ]
        )
        let name = try reader.string(
            root.required("name", reader, "this node's member name in federation.yaml"),
            at: "name",
            "a name"
        )
        let listen = try reader.hostPort(
            root.required("listen", reader, "the host:port to listen on, as in 0.0.0.0:7001"),
            at: "listen",
            allowingPortZero: true
        )
        let federation = try reader.path(
            root.required("federation", reader, "the path of federation.yaml"),
            at: "federation"
        )

        let tlsFields = try reader.mapping(
            root.required("tls", reader, "this node's TLS `certificate` and `key` paths"),
            at: "tls",
            keys: ["certificate", "key"]
        )
        let tls = TLS(
            certificate: try reader.path(
                tlsFields.required("certificate", reader, "the path of the node's certificate (PEM)"),
                at: "tls.certificate"
            ),
            key: try reader.path(
                tlsFields.required("key", reader, "the path of the node's TLS private key (PEM)"),
                at: "tls.key"
            )
        )

        let maskingKey = try reader.path(
            root.required("masking_key", reader, "the path of the node's masking private key"),
            at: "masking_key"
        )
        let paillierShare = try root.optional("paillier_share").map { node throws(ConfigError) in
            try reader.path(node, at: "paillier_share")
        }
        let stateDirectory =
            try root.optional("state_directory").map { node throws(ConfigError) in
                try reader.path(node, at: "state_directory")
            } ?? ConfigPath(defaultStateDirectory, relativeTo: reader.directory)
        let policies =
            try root.optional("policies").map { node throws(ConfigError) in
                try reader.path(node, at: "policies")
            } ?? ConfigPath(defaultPolicies, relativeTo: reader.directory)

        var limits = Limits()
        if let node = root.optional("limits") {
            let fields = try reader.mapping(node, at: "limits", keys: ["max_message_bytes", "rpc_timeout_seconds"])
            if let value = fields.optional("max_message_bytes") {
                limits.maxMessageBytes = try reader.integer(value, at: "limits.max_message_bytes")
            }
            if let value = fields.optional("rpc_timeout_seconds") {
                limits.rpcTimeoutSeconds = try reader.integer(value, at: "limits.rpc_timeout_seconds")
            }
        }
        let datasets = try reader.raw(root.optional("datasets"), key: "datasets", document: yaml)

        var config = NodeConfig(
            name: name,
            listen: listen,
            federation: federation,
            tls: tls,
            maskingKey: maskingKey,
            paillierShare: paillierShare,
            stateDirectory: stateDirectory,
            policies: policies,
            limits: limits,
            datasets: datasets
        )
        config.source = reader.source
        try config.validate()
        return config
    }

    // MARK: Checks

    /// Checks the name and that each limit is in its range. ``parse(yaml:file:)`` calls
    /// it; call it before rendering a configuration built in code.
    public func validate() throws(ConfigError) {
        do {
            try Config.validateName(name)
        } catch {
            throw source.error(.invalidValue, at: "name", "invalid node name: \(error.message)")
        }
        let bytes = Limits.maxMessageBytesRange
        guard bytes.contains(limits.maxMessageBytes) else {
            throw source.error(
                .invalidValue,
                at: "limits.max_message_bytes",
                "\(limits.maxMessageBytes) is out of range; use \(bytes.lowerBound) (1 KiB) to \(bytes.upperBound) (256 MiB), or leave the key out for \(Limits.defaultMaxMessageBytes) (4 MiB)"
            )
        }
        let seconds = Limits.rpcTimeoutSecondsRange
        guard seconds.contains(limits.rpcTimeoutSeconds) else {
            throw source.error(
                .invalidValue,
                at: "limits.rpc_timeout_seconds",
                "\(limits.rpcTimeoutSeconds) is out of range; use \(seconds.lowerBound) to \(seconds.upperBound) seconds, or leave the key out for \(Limits.defaultRPCTimeoutSeconds)"
            )
        }
    }

    /// This node's entry in `federation`: `name` must be a member with `role: node`.
    /// The error points at `name` in this node's file.
    @discardableResult
    public func checkMembership(in federation: FederationConfig) throws(ConfigError) -> FederationConfig.NodeMember {
        if let member = federation.node(named: name) { return member }
        let federationFile = federation.source.file.isEmpty ? "the federation file" : federation.source.file
        if federation.analyst(named: name) != nil {
            throw source.error(
                .notAMember,
                at: "name",
                "`\(name)` is an analyst in \(federationFile), not a node; use this node's own member name"
            )
        }
        let names = federation.nodes.map { "`\($0.name)`" }.joined(separator: ", ")
        throw source.error(
            .notAMember,
            at: "name",
            "`\(name)` is not a node of federation `\(federation.id)` (\(federationFile) lists the nodes \(names)); fix the name here or ask the federation admin to add this node"
        )
    }
}

// MARK: Rendering

extension NodeConfig {
    /// The configuration as a commented `node.yaml`, keys in the documented order,
    /// which ``parse(yaml:file:)`` reads back as an equal configuration when parsed with
    /// the same `file` (paths are written as their ``ConfigPath/text``). Every key is
    /// written, defaults included. Comments inside `datasets` are not kept.
    public func render() -> String {
        var out = YAMLWriter()
        out.comment([
            "node.yaml: the settings of one Fedstat node, written by its operator.",
            "Relative paths are relative to the directory of this file.",
        ])
        out.blankLine()
        out.comment(["This node's member name in federation.yaml (a member with role: node)."])
        out.entry("name", YAMLWriter.scalar(name))
        out.comment(["Address to listen on, host:port (IPv4, [IPv6] or DNS name)."])
        out.entry("listen", YAMLWriter.scalar(listen.description))
        out.comment(["Path of the federation file, identical at every node."])
        out.entry("federation", YAMLWriter.scalar(federation.text))
        out.blankLine()
        out.comment(["This node's TLS certificate (PEM, issued by the federation CA) and private key."])
        out.open("tls")
        out.entry("certificate", YAMLWriter.scalar(tls.certificate.text), indent: 2, note: "certificate, PEM")
        out.entry("key", YAMLWriter.scalar(tls.key.text), indent: 2, note: "private key, PEM, mode 0600")
        out.comment(["Path of this node's X25519 masking private key (mode 0600)."])
        out.entry("masking_key", YAMLWriter.scalar(maskingKey.text))
        if let paillierShare {
            out.comment(["Path of this node's threshold Paillier key share (mode 0600)."])
            out.entry("paillier_share", YAMLWriter.scalar(paillierShare.text))
        } else {
            out.comment([
                "paillier_share: none yet. The path of this node's threshold Paillier key share",
                "goes here after the key ceremony.",
            ])
        }
        out.blankLine()
        out.comment(["Directory of the node's state: audit log and seen query ids."])
        out.entry("state_directory", YAMLWriter.scalar(stateDirectory.text))
        out.comment(["Directory of this node's policy files (policies/*.yaml)."])
        out.entry("policies", YAMLWriter.scalar(policies.text))
        out.blankLine()
        out.comment(["Resource limits."])
        out.open("limits")
        out.comment(
            [
                "Largest message accepted or sent, in bytes: 1024 to 268435456, default 4194304 (4 MiB)."
            ],
            indent: 2
        )
        out.entry("max_message_bytes", "\(limits.maxMessageBytes)", indent: 2)
        out.comment(["Seconds to wait for a peer's answer: 1 to 3600, default 30."], indent: 2)
        out.entry("rpc_timeout_seconds", "\(limits.rpcTimeoutSeconds)", indent: 2)
        out.blankLine()
        out.comment(["Which local source (CSV file, SQLite table) holds each catalog dataset."])
        out.raw("datasets", datasets)
        return out.text
    }
}
