import Yams

/// The analyst's `fedquery.yaml`: which federation, who the analyst is, which node
/// coordinates the analyst's queries, and the analyst's TLS files. Relative paths are
/// resolved against the directory of the file.
///
/// ```yaml
/// federation: city-of-example
/// name: alice
/// coordinator:
///   name: hospital-north
///   address: 127.0.0.1:7001
/// tls:
///   certificate: tls.pem
///   key: tls.key
///   ca: ca.pem
/// ```
public struct AnalystConfig: Sendable, Equatable {
    /// Key `federation`, required: the federation id, a name as
    /// ``Config/validateName(_:)`` checks.
    public var federation: String
    /// Key `name`, required: the analyst's own member name.
    public var name: String
    /// Key `coordinator`, required: the node that runs the analyst's queries.
    public var coordinator: Coordinator
    /// Key `tls`, required: the analyst's certificate, key and the federation CA.
    public var tls: TLS
    /// Where this configuration was read from (not part of its value).
    public var source: ConfigSource

    /// Key `coordinator` of `fedquery.yaml`.
    public struct Coordinator: Sendable, Equatable {
        /// Key `name`, required: the node name the coordinator's certificate must carry
        /// (`spiffe://<federation>/node/<name>`).
        public var name: String
        /// Key `address`, required: where to reach it, `host:port` (port 1…65535).
        public var address: HostPort

        public init(name: String, address: HostPort) {
            self.name = name
            self.address = address
        }
    }

    /// Key `tls` of `fedquery.yaml`.
    public struct TLS: Sendable, Equatable {
        /// Key `certificate`, required: path of the analyst's certificate (PEM).
        public var certificate: ConfigPath
        /// Key `key`, required: path of its private key (PEM, mode 0600).
        public var key: ConfigPath
        /// Key `ca`, required: path of the federation CA certificate (PEM), which the
        /// coordinator's certificate must chain to.
        public var ca: ConfigPath

        public init(certificate: ConfigPath, key: ConfigPath, ca: ConfigPath) {
            self.certificate = certificate
            self.key = key
            self.ca = ca
        }
    }

    public init(federation: String, name: String, coordinator: Coordinator, tls: TLS) {
        self.federation = federation
        self.name = name
        self.coordinator = coordinator
        self.tls = tls
        self.source = ConfigSource()
    }

    // MARK: Loading

    /// Reads and checks the analyst file at `path`; relative paths in it are resolved
    /// against its directory.
    public static func load(path: String) throws(ConfigError) -> AnalystConfig {
        try parse(yaml: FilePaths.read(path), file: path)
    }

    /// Parses and checks analyst file text; `file` names it in errors, and relative
    /// paths are resolved against its directory.
    public static func parse(yaml: String, file: String) throws(ConfigError) -> AnalystConfig {
        var reader = YAMLReader(file: file)
        let root = try reader.mapping(
            reader.root(of: yaml),
            at: "",
            keys: ["federation", "name", "coordinator", "tls"]
        )
        let federation = try reader.string(
            root.required("federation", reader, "the federation id, as in `federation: city-of-example`"),
            at: "federation",
            "the federation id"
        )
        let name = try reader.string(
            root.required("name", reader, "your analyst name in federation.yaml"),
            at: "name",
            "a name"
        )
        let coordinatorFields = try reader.mapping(
            root.required("coordinator", reader, "the `name` and `address` of the node that runs your queries"),
            at: "coordinator",
            keys: ["name", "address"]
        )
        let coordinator = Coordinator(
            name: try reader.string(
                coordinatorFields.required("name", reader, "the coordinator's node name"),
                at: "coordinator.name",
                "a name"
            ),
            address: try reader.hostPort(
                coordinatorFields.required("address", reader, "the coordinator's host:port"),
                at: "coordinator.address"
            )
        )
        let tlsFields = try reader.mapping(
            root.required("tls", reader, "the paths of your `certificate`, `key` and the federation `ca`"),
            at: "tls",
            keys: ["certificate", "key", "ca"]
        )
        let tls = TLS(
            certificate: try reader.path(
                tlsFields.required("certificate", reader, "the path of your certificate (PEM)"),
                at: "tls.certificate"
            ),
            key: try reader.path(
                tlsFields.required("key", reader, "the path of your private key (PEM)"),
                at: "tls.key"
            ),
            ca: try reader.path(
                tlsFields.required("ca", reader, "the path of the federation CA certificate (PEM)"),
                at: "tls.ca"
            )
        )

        var config = AnalystConfig(federation: federation, name: name, coordinator: coordinator, tls: tls)
        config.source = reader.source
        try config.validate()
        return config
    }

    // MARK: Checks

    /// Checks the federation id and both names, and that the coordinator's port is not
    /// 0. ``parse(yaml:file:)`` calls it; call it before rendering a configuration built
    /// in code.
    public func validate() throws(ConfigError) {
        for (path, value, what) in [
            ("federation", federation, "federation id"), ("name", name, "analyst name"),
            ("coordinator.name", coordinator.name, "coordinator name"),
        ] {
            do {
                try Config.validateName(value)
            } catch {
                throw source.error(.invalidValue, at: path, "invalid \(what): \(error.message)")
            }
        }
        if coordinator.address.port == 0 {
            throw source.error(
                .invalidValue,
                at: "coordinator.address",
                "port 0 is not an address to connect to; use 1–65535"
            )
        }
    }
}

// MARK: Rendering

extension AnalystConfig {
    /// The configuration as a commented `fedquery.yaml`, keys in the documented order,
    /// which ``parse(yaml:file:)`` reads back as an equal configuration when parsed with
    /// the same `file` (paths are written as their ``ConfigPath/text``).
    public func render() -> String {
        var out = YAMLWriter()
        out.comment([
            "fedquery.yaml: an analyst's settings for fedquery.",
            "Relative paths are relative to the directory of this file.",
        ])
        out.blankLine()
        out.comment(["The federation id (as in federation.yaml)."])
        out.entry("federation", YAMLWriter.scalar(federation))
        out.comment(["Your analyst name, a member with role: analyst in federation.yaml."])
        out.entry("name", YAMLWriter.scalar(name))
        out.blankLine()
        out.comment([
            "The node that runs your queries: its node name (checked against its certificate)", "and its host:port.",
        ])
        out.open("coordinator")
        out.entry("name", YAMLWriter.scalar(coordinator.name), indent: 2, note: "node name")
        out.entry("address", YAMLWriter.scalar(coordinator.address.description), indent: 2, note: "host:port")
        out.blankLine()
        out.comment([
            "Your certificate and private key (PEM; the key must have mode 0600), and the",
            "federation CA certificate.",
        ])
        out.open("tls")
        out.entry("certificate", YAMLWriter.scalar(tls.certificate.text), indent: 2, note: "your certificate, PEM")
        out.entry("key", YAMLWriter.scalar(tls.key.text), indent: 2, note: "your private key, PEM, mode 0600")
        out.entry("ca", YAMLWriter.scalar(tls.ca.text), indent: 2, note: "federation CA certificate, PEM")
        return out.text
    }
}
