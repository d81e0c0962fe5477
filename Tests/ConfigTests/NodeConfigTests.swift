import Config
import Foundation
import TestSupport
import Testing

@Suite("node.yaml")
struct NodeConfigTests {
    let file = Sample.nodeFile

    func parse(_ yaml: String, file: String = Sample.nodeFile) throws(ConfigError) -> NodeConfig {
        try NodeConfig.parse(yaml: yaml, file: file)
    }

    static let minimal = """
        name: hospital-north
        listen: "[::]:0"
        federation: ../federation.yaml
        tls:
          certificate: tls.pem
          key: tls.key
        masking_key: masking.key

        """

    @Test func readsEveryKeyAndResolvesPathsAgainstTheFilesDirectory() throws {
        let config = try parse(Sample.node)
        #expect(config.name == "hospital-north")
        #expect(config.listen == (try HostPort(parsing: "0.0.0.0:7001")))
        #expect(config.federation.text == "../federation.yaml")
        #expect(config.federation.resolved == "/etc/fedstat/federation.yaml")
        #expect(config.tls.certificate == ConfigPath("tls.pem", relativeTo: "/etc/fedstat/hospital-north"))
        #expect(config.tls.certificate.resolved == "/etc/fedstat/hospital-north/tls.pem")
        #expect(config.tls.key.resolved == "/etc/fedstat/hospital-north/tls.key")
        #expect(config.maskingKey.resolved == "/etc/fedstat/hospital-north/masking.key")
        #expect(config.paillierShare?.resolved == "/etc/fedstat/hospital-north/paillier-share.bin")
        // An absolute path stays as it is.
        #expect(config.stateDirectory.text == "/var/lib/fedstat/state")
        #expect(config.stateDirectory.resolved == "/var/lib/fedstat/state")
        // `.` and `..` are applied; the text is kept as written.
        #expect(config.policies.text == "./rules/../policies")
        #expect(config.policies.resolved == "/etc/fedstat/hospital-north/policies")
        #expect(config.limits == .init(maxMessageBytes: 1_048_576, rpcTimeoutSeconds: 10))
        #expect(config.datasets.node["visits"]?["csv"]?.string == "data/visits.csv")
        #expect(config.datasets.node["visits"]?.mark?.line == 17)
    }

    @Test func defaults() throws {
        let config = try parse(Self.minimal)
        #expect(config.listen.port == 0)  // allowed for a listening address
        #expect(config.listen.kind == .ipv6)
        #expect(config.paillierShare == nil)
        #expect(config.stateDirectory.text == "state")
        #expect(config.stateDirectory.resolved == "/etc/fedstat/hospital-north/state")
        #expect(config.policies.text == "policies")
        #expect(config.policies.resolved == "/etc/fedstat/hospital-north/policies")
        #expect(config.limits.maxMessageBytes == 4 * 1024 * 1024)
        #expect(config.limits.rpcTimeoutSeconds == 30)
        #expect(config.limits == NodeConfig.Limits())
        #expect(config.datasets.isEmpty)
        // An empty `limits:` and keys without a value also take the defaults.
        let empty = try parse(Self.minimal + "paillier_share:\nlimits:\ndatasets:\n")
        #expect(empty == config)
        let partial = try parse(Self.minimal + "limits:\n  rpc_timeout_seconds: 5\n")
        #expect(partial.limits == .init(maxMessageBytes: 4 << 20, rpcTimeoutSeconds: 5))
    }

    @Test func relativeFileNameResolvesAgainstTheWorkingDirectory() throws {
        let config = try parse(Self.minimal, file: "conf/node.yaml")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(config.tls.key.resolved == cwd + "/conf/tls.key")
        #expect(config.federation.resolved == cwd + "/federation.yaml")
        #expect(config.source.file == "conf/node.yaml")
    }

    @Test func loadResolvesPathsNextToTheFile() throws {
        let directory = try TemporaryDirectory()
        try directory.write(Sample.node, to: "hospital/node.yaml")
        let config = try NodeConfig.load(path: directory.path + "/hospital/node.yaml")
        #expect(config.federation.resolved == directory.path + "/federation.yaml")
        #expect(config.tls.key.resolved == directory.path + "/hospital/tls.key")
        #expect(config.source.position(of: "tls.key") == SourcePosition(line: 7, column: 8))
        expectConfigError(.io, file: directory.path, keyPath: "", line: nil) {
            _ = try NodeConfig.load(path: directory.path)
        }
    }

    @Test func roundTripsThroughRender() throws {
        for yaml in [Sample.node, Self.minimal] {
            let config = try parse(yaml)
            let rendered = config.render()
            #expect(try parse(rendered) == config, "\(rendered)")
            var other = config
            other.limits.rpcTimeoutSeconds += 1
            #expect(other != config)
        }
        let built = NodeConfig(
            name: "n1",
            listen: try HostPort(parsing: "node1.example.org:443"),
            federation: ConfigPath("/srv/fed/federation.yaml", relativeTo: "/srv/fed/n1"),
            tls: .init(
                certificate: ConfigPath("my certs/tls #1.pem", relativeTo: "/srv/fed/n1"),
                key: ConfigPath("\"quoted\": key", relativeTo: "/srv/fed/n1")
            ),
            maskingKey: ConfigPath("masking.key", relativeTo: "/srv/fed/n1"),
            stateDirectory: ConfigPath("state", relativeTo: "/srv/fed/n1"),
            policies: ConfigPath("null", relativeTo: "/srv/fed/n1"),
            limits: .init(maxMessageBytes: 1024, rpcTimeoutSeconds: 3600)
        )
        try built.validate()
        let rendered = built.render()
        let parsed = try parse(rendered, file: "/srv/fed/n1/node.yaml")
        #expect(parsed == built)
        #expect(parsed.tls.key.text == "\"quoted\": key")
        #expect(parsed.policies.resolved == "/srv/fed/n1/null")
        #expect(rendered.contains("# paillier_share: none yet."))
    }

    @Test func rendersKeysInOrderWithComments() throws {
        let rendered = try parse(Sample.node).render()
        let lines = rendered.split(separator: "\n").map(String.init)
        let keys = [
            "name:", "listen:", "federation:", "tls:", "  certificate:", "  key:", "masking_key:", "paillier_share:",
            "state_directory:", "policies:", "limits:", "  max_message_bytes:", "  rpc_timeout_seconds:", "datasets:",
        ]
        let positions = try keys.map { key in try #require(lines.firstIndex { $0.hasPrefix(key) }, "\(key) missing") }
        #expect(positions == positions.sorted())
        for (key, index) in zip(keys, positions) {
            #expect(
                lines[index - 1].drop(while: { $0 == " " }).hasPrefix("#") || lines[index].contains("  # "),
                "\(key) is not explained"
            )
        }
    }

    // MARK: Errors

    @Test func wrongTypeNamesFileKeyPathAndLine() {
        for value in ["[tls.key]", "{path: tls.key}"] {
            let error = expectConfigError(
                .wrongType,
                file: file,
                keyPath: "tls.key",
                line: 7,
                column: 8,
                mentioning: ["node.yaml"]
            ) {
                _ = try parse(Sample.node.replacingLine(7, with: "  key: \(value)"))
            }
            #expect(
                error?.description.hasPrefix("/etc/fedstat/hospital-north/node.yaml:7:8: tls.key: expected a path")
                    == true
            )
        }
        expectConfigError(
            .wrongType,
            file: file,
            keyPath: "limits.max_message_bytes",
            line: 13,
            column: 22,
            mentioning: ["4MiB"]
        ) {
            _ = try parse(Sample.node.replacingLine(13, with: "  max_message_bytes: 4MiB"))
        }
        expectConfigError(.wrongType, file: file, keyPath: "tls", line: 5, column: 6) {
            _ = try parse(Sample.node.replacingLine(5, with: "tls: tls.pem").replacingLine(6).replacingLine(6))
        }
        expectConfigError(.wrongType, file: file, keyPath: "datasets", line: 15, column: 11) {
            _ = try parse(
                Sample.node.replacingLine(15, with: "datasets: visits.csv").replacingLine(16).replacingLine(16)
            )
        }
    }

    @Test func unknownKeys() {
        expectConfigError(
            .unknownKey,
            file: file,
            keyPath: "limits.max_mesage_bytes",
            line: 13,
            column: 3,
            mentioning: ["max_message_bytes"]
        ) {
            _ = try parse(Sample.node.replacingLine(13, with: "  max_mesage_bytes: 1048576"))
        }
        expectConfigError(
            .unknownKey,
            file: file,
            keyPath: "dataset",
            line: 15,
            column: 1,
            mentioning: ["did you mean `datasets`"]
        ) {
            _ = try parse(Sample.node.replacingLine(15, with: "dataset:"))
        }
        expectConfigError(.unknownKey, file: file, keyPath: "tls.ca", line: 8, column: 3) {
            _ = try parse(Sample.node.insertingLines(after: 7, "  ca: ca.pem"))
        }
    }

    @Test func missingKeys() {
        expectConfigError(
            .missingKey,
            file: file,
            keyPath: "tls.key",
            line: 6,
            column: 3,
            mentioning: ["`key`", "`tls`"]
        ) {
            _ = try parse(Sample.node.replacingLine(7))
        }
        expectConfigError(.missingKey, file: file, keyPath: "listen", line: 1, column: 1) {
            _ = try parse(Sample.node.replacingLine(2))
        }
        expectConfigError(.missingKey, file: file, keyPath: "masking_key", line: 8) {
            _ = try parse(Sample.node.replacingLine(8, with: "masking_key: ~"))
        }
    }

    @Test func badValues() {
        expectConfigError(.invalidValue, file: file, keyPath: "listen", line: 2, column: 9, mentioning: ["no host"]) {
            _ = try parse(Sample.node.replacingLine(2, with: "listen: :7001"))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "masking_key", line: 8, column: 14) {
            _ = try parse(Sample.node.replacingLine(8, with: "masking_key: \"\""))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "name", line: 1, column: 7, mentioning: ["'H'"]) {
            _ = try parse(Sample.node.replacingLine(1, with: "name: Hospital-North"))
        }
    }

    @Test(arguments: [
        ("max_message_bytes", 1023, false), ("max_message_bytes", 1024, true), ("max_message_bytes", 268_435_456, true),
        ("max_message_bytes", 268_435_457, false), ("rpc_timeout_seconds", 0, false), ("rpc_timeout_seconds", 1, true),
        ("rpc_timeout_seconds", 3600, true), ("rpc_timeout_seconds", 3601, false),
    ])
    func limitRanges(key: String, value: Int, valid: Bool) throws {
        let line = key == "max_message_bytes" ? 13 : 14
        let yaml = Sample.node.replacingLine(line, with: "  \(key): \(value)")
        if valid {
            let limits = try parse(yaml).limits
            #expect((key == "max_message_bytes" ? limits.maxMessageBytes : limits.rpcTimeoutSeconds) == value)
        } else {
            expectConfigError(
                .invalidValue,
                file: file,
                keyPath: "limits.\(key)",
                line: line,
                mentioning: ["out of range"]
            ) {
                _ = try parse(yaml)
            }
        }
    }

    // MARK: Membership

    @Test func nameMustBeANodeOfTheFederation() throws {
        let federation = try FederationConfig.parse(yaml: Sample.federation, file: Sample.federationFile)
        let member = try parse(Sample.node).checkMembership(in: federation)
        #expect(member.name == "hospital-north")
        #expect(member.paillierIndex == 1)

        let analyst = Sample.node.replacingLine(1, with: "name: alice")
        expectConfigError(
            .notAMember,
            file: file,
            keyPath: "name",
            line: 1,
            column: 7,
            mentioning: ["analyst", Sample.federationFile]
        ) {
            try parse(analyst).checkMembership(in: federation)
        }
        let stranger = Sample.node.insertingLines(after: 0, "# the south wing").replacingLine(
            2,
            with: "name: hospital-south"
        )
        expectConfigError(
            .notAMember,
            file: file,
            keyPath: "name",
            line: 2,
            column: 7,
            mentioning: ["hospital-south", "city-of-example", "`hospital-north`, `civil-affairs`, `utility`"]
        ) { try parse(stranger).checkMembership(in: federation) }
    }
}
