import Config
import TestSupport
import Testing
import Yams

@Suite("federation.yaml")
struct FederationConfigTests {
    let file = Sample.federationFile

    func parse(_ yaml: String) throws(ConfigError) -> FederationConfig {
        try FederationConfig.parse(yaml: yaml, file: file)
    }

    @Test func readsEveryKey() throws {
        let config = try parse(Sample.federation)
        #expect(config.id == "city-of-example")
        #expect(config.caCertificate == Sample.pem)
        #expect(config.paillier == .init(publicKey: Array(0..<16), threshold: 2))
        #expect(config.members.map(\.name) == ["hospital-north", "civil-affairs", "utility", "alice"])
        #expect(config.nodes.map(\.name) == ["hospital-north", "civil-affairs", "utility"])
        #expect(config.analysts.map(\.name) == ["alice"])
        let north = try #require(config.node(named: "hospital-north"))
        #expect(north.address == (try HostPort(host: "127.0.0.1", port: 7001)))
        #expect(north.maskingKey == [UInt8](repeating: 1, count: 32))
        #expect(north.paillierIndex == 1)
        let civil = try #require(config.node(named: "civil-affairs"))
        #expect(civil.address.host == "::1")
        #expect(civil.address.kind == .ipv6)
        #expect(config.node(named: "alice") == nil)
        #expect(config.node(named: "nobody") == nil)
        #expect(config.analyst(named: "alice") == .init(name: "alice"))
        #expect(config.catalog.isEmpty == false)
    }

    @Test func keepsTheCatalogAsYAMLWithItsLines() throws {
        let config = try parse(Sample.federation)
        let catalog = config.catalog.node
        #expect(catalog["visits"]?["columns"]?["cost"]?.string == "decimal(2)")
        // Lines are those of federation.yaml, so the catalog parser can point at them.
        #expect(catalog.mapping?.keys.first?.mark?.line == 28)
        #expect(catalog["visits"]?["columns"]?["cost"]?.mark?.line == 30)
        #expect(config.catalog.file == file)
        #expect(config.catalog.keyPath == "catalog")
    }

    @Test func paillierAndCatalogAreOptional() throws {
        // Without a Paillier key, indices may be left out (they come with the key).
        let yaml = Sample.federation
            .replacingLine(27, with: "").replacingLine(28, with: "").replacingLine(29, with: "").replacingLine(
                30,
                with: ""
            )
            .replacingLine(24, with: "")
            .replacingLine(6, with: "").replacingLine(7, with: "").replacingLine(8, with: "")
        let config = try parse(yaml)
        #expect(config.paillier == nil)
        #expect(config.catalog == .emptyMapping)
        #expect(config.catalog.isEmpty)
        #expect(config.node(named: "utility")?.paillierIndex == nil)
        #expect(config.node(named: "hospital-north")?.paillierIndex == 1)
        // `catalog:` with no value also means empty.
        #expect(try parse(yaml + "catalog:\n").catalog.isEmpty)
    }

    @Test func roundTripsThroughRender() throws {
        let config = try parse(Sample.federation)
        let rendered = config.render()
        let again = try parse(rendered)
        #expect(again == config)
        #expect(again.render() == rendered)
        // Equality sees every part, so the round trip would notice a lost one.
        var changed = again
        changed.members[1] = .node(
            .init(
                name: "civil-affairs",
                address: try HostPort(parsing: "[::1]:7002"),
                maskingKey: [UInt8](repeating: 9, count: 32),
                paillierIndex: 2
            )
        )
        #expect(changed != config)
        var otherCatalog = again
        otherCatalog.catalog = try RawYAML(mapping: ["visits": ["columns": ["cost": "integer"]]])
        #expect(otherCatalog != config)
        #expect(otherCatalog.catalog != config.catalog)
    }

    @Test func rendersKeysInOrderWithComments() throws {
        let rendered = try parse(Sample.federation).render()
        let keys = [
            "federation:", "ca_certificate:", "paillier:", "  public_key:", "  threshold:", "members:", "catalog:",
        ]
        let lines = rendered.split(separator: "\n").map(String.init)
        let positions = keys.map { key in lines.firstIndex { $0.hasPrefix(key) } }
        #expect(positions.allSatisfy { $0 != nil }, "\(rendered)")
        #expect(positions.compactMap { $0 } == positions.compactMap { $0 }.sorted())
        // Each top-level key is explained by a comment line just above it.
        for key in ["federation:", "ca_certificate:", "paillier:", "members:", "catalog:"] {
            let index = try #require(lines.firstIndex { $0.hasPrefix(key) })
            #expect(lines[index - 1].hasPrefix("#"), "no comment above \(key)")
        }
        #expect(rendered.contains("ca_certificate: |\n  -----BEGIN CERTIFICATE-----\n"))
        #expect(rendered.contains("  - name: alice\n    role: analyst\n"))
    }

    @Test func roundTripsAConfigurationBuiltInCode() throws {
        // Names a YAML reader would take for null, a boolean, numbers or a date must be
        // quoted by the renderer.
        let names = ["null", "yes", "123", "1e5", "0x1f", "2024-01-01", "on"]
        var members: [FederationConfig.Member] = try names.enumerated().map { offset, name in
            .node(
                .init(
                    name: name,
                    address: try HostPort(parsing: "10.0.0.\(offset + 1):7001"),
                    maskingKey: [UInt8](repeating: UInt8(offset + 1), count: 32),
                    paillierIndex: offset + 1
                )
            )
        }
        members.append(.analyst(.init(name: "true")))
        let catalog = try RawYAML(
            mapping: Yams.compose(
                yaml: """
                    visits:
                      columns: [{name: id, type: "123"}, {name: cost, type: decimal(2)}]
                      note: "multi\\nline: with # and 'quotes'"
                    """
            )!
        )
        let config = FederationConfig(
            id: "no",
            caCertificate: Sample.pem + Sample.pem,
            paillier: .init(publicKey: Array(0..<200).map(UInt8.init), threshold: 5),
            members: members,
            catalog: catalog
        )
        try config.validate()
        let rendered = config.render()
        #expect(rendered.contains("federation: \"no\"\n"))
        #expect(rendered.contains("  - name: \"null\"\n"))
        let parsed = try FederationConfig.parse(yaml: rendered, file: "built.yaml")
        #expect(parsed == config)
        #expect(parsed.members.map(\.name) == names + ["true"])
        #expect(parsed.catalog.node["visits"]?["columns"]?[0]?["type"]?.string == "123")
        // A long public key is wrapped over lines and read back whole.
        #expect(parsed.paillier?.publicKey == Array(0..<200).map(UInt8.init))
        #expect(rendered.contains("  public_key: |\n"))
    }

    @Test func certificateTextThatCannotBeALiteralBlockIsQuoted() throws {
        for pem in [
            String(Sample.pem.dropLast()),  // no final line break
            Sample.pem.replacing("\n", with: "\r\n"),
            Sample.pem + "\n\n",
            "  " + Sample.pem,
            Sample.pem.replacing("-----\n", with: "----- \n"),
        ] {
            let config = FederationConfig(
                id: "x",
                caCertificate: pem,
                members: [
                    .node(
                        .init(
                            name: "n",
                            address: try HostPort(parsing: "n.example:1"),
                            maskingKey: Array(repeating: 1, count: 32)
                        )
                    )
                ]
            )
            try config.validate()
            #expect(try FederationConfig.parse(yaml: config.render(), file: "f.yaml") == config, "\(config.render())")
        }
    }

    // MARK: Errors

    @Test func unknownKeyIsAnErrorWithASuggestion() {
        expectConfigError(
            .unknownKey,
            file: file,
            keyPath: "paillier.treshold",
            line: 8,
            column: 3,
            mentioning: ["`threshold`"]
        ) { _ = try parse(Sample.federation.replacingLine(8, with: "  treshold: 2")) }
        expectConfigError(.unknownKey, file: file, keyPath: "members[1].adress", line: 17, column: 5) {
            _ = try parse(Sample.federation.replacingLine(17, with: "    adress: \"[::1]:7002\""))
        }
        expectConfigError(.unknownKey, file: file, keyPath: "version", line: 31, column: 1) {
            _ = try parse(Sample.federation + "version: 2\n")
        }
    }

    @Test func missingRequiredKeys() {
        expectConfigError(
            .missingKey,
            file: file,
            keyPath: "members[0].address",
            line: 10,
            column: 5,
            mentioning: ["address"]
        ) { _ = try parse(Sample.federation.replacingLine(12)) }
        expectConfigError(.missingKey, file: file, keyPath: "members[1].masking_key", line: 15) {
            _ = try parse(Sample.federation.replacingLine(18))
        }
        expectConfigError(.missingKey, file: file, keyPath: "paillier.public_key", line: 7) {
            _ = try parse(Sample.federation.replacingLine(7))
        }
        expectConfigError(.missingKey, file: file, keyPath: "federation", line: 1) {
            _ = try parse(Sample.federation.replacingLine(1))
        }
        // Present but without a value.
        expectConfigError(.missingKey, file: file, keyPath: "members[2].role", line: 21) {
            _ = try parse(Sample.federation.replacingLine(21, with: "    role:"))
        }
        expectConfigError(.missingKey, file: file, keyPath: "federation", line: 1) { _ = try parse("") }
        // With a Paillier key every node needs its index.
        expectConfigError(.missingKey, file: file, keyPath: "members[2].paillier_index", line: 20) {
            _ = try parse(Sample.federation.replacingLine(24))
        }
    }

    @Test func duplicateMemberName() {
        expectConfigError(
            .duplicateValue,
            file: file,
            keyPath: "members[2].name",
            line: 20,
            column: 11,
            mentioning: ["hospital-north", "members[0]", "line 10"]
        ) { _ = try parse(Sample.federation.replacingLine(20, with: "  - name: hospital-north")) }
        // Also between a node and an analyst.
        expectConfigError(.duplicateValue, file: file, keyPath: "members[3].name", line: 25) {
            _ = try parse(Sample.federation.replacingLine(25, with: "  - name: utility"))
        }
    }

    @Test(arguments: [("address", "10.0.0.9:7009"), ("masking_key", Sample.key1), ("paillier_index", "4")])
    func analystWithANodeKey(key: String, value: String) {
        expectConfigError(
            .forbiddenKey,
            file: file,
            keyPath: "members[3].\(key)",
            line: 27,
            column: 5,
            mentioning: ["alice", "analyst"]
        ) { _ = try parse(Sample.federation.insertingLines(after: 26, "    \(key): \(value)")) }
    }

    @Test func unknownRole() {
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "members[3].role",
            line: 26,
            column: 11,
            mentioning: ["admin"]
        ) {
            _ = try parse(Sample.federation.replacingLine(26, with: "    role: admin"))
        }
    }

    @Test func wrongTypes() {
        expectConfigError(
            .wrongType,
            file: file,
            keyPath: "members",
            line: 4,
            column: 3,
            mentioning: ["a list", "found a mapping"]
        ) {
            _ = try parse("federation: x\nca_certificate: y\nmembers:\n  name: a\n")
        }
        expectConfigError(
            .wrongType,
            file: file,
            keyPath: "paillier.threshold",
            line: 8,
            column: 14,
            mentioning: ["without quotes"]
        ) {
            _ = try parse(Sample.federation.replacingLine(8, with: "  threshold: \"2\""))
        }
        expectConfigError(.wrongType, file: file, keyPath: "paillier.threshold", line: 8, mentioning: ["two"]) {
            _ = try parse(Sample.federation.replacingLine(8, with: "  threshold: two"))
        }
        expectConfigError(.wrongType, file: file, keyPath: "paillier.threshold", line: 8) {
            _ = try parse(Sample.federation.replacingLine(8, with: "  threshold: 2.5"))
        }
        expectConfigError(.wrongType, file: file, keyPath: "members[0].name", line: 10, column: 11) {
            _ = try parse(Sample.federation.replacingLine(10, with: "  - name: [hospital-north]"))
        }
        expectConfigError(.wrongType, file: file, keyPath: "members[3]", line: 25, column: 5) {
            _ = try parse(Sample.federation.replacingLine(25, with: "  - alice").replacingLine(26))
        }
        expectConfigError(.wrongType, file: file, keyPath: "catalog", line: 27, column: 10) {
            _ = try parse(
                Sample.federation.replacingLine(27, with: "catalog: [visits]").replacingLine(28).replacingLine(28)
                    .replacingLine(28)
            )
        }
        expectConfigError(.wrongType, file: file, keyPath: "", line: 1, column: 1) {
            _ = try parse("- federation: x\n")
        }
    }

    @Test func invalidNames() {
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "federation",
            line: 1,
            column: 13,
            mentioning: ["'C'", "lowercase"]
        ) {
            _ = try parse(Sample.federation.replacingLine(1, with: "federation: City-of-Example"))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "members[1].name", line: 15, mentioning: ["'_'"]) {
            _ = try parse(Sample.federation.replacingLine(15, with: "  - name: civil_affairs"))
        }
    }

    @Test func badBase64() {
        for bad in [
            "not base64!", String(Sample.key1.dropLast()), "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=",
            "AQEB AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
        ] {
            expectConfigError(
                .invalidValue,
                file: file,
                keyPath: "members[0].masking_key",
                line: 13,
                column: 18,
                mentioning: ["base64"]
            ) {
                _ = try parse(Sample.federation.replacingLine(13, with: "    masking_key: \(bad)"))
            }
        }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "members[0].masking_key",
            line: 13,
            mentioning: ["32 bytes", "16 bytes"]
        ) {
            _ = try parse(Sample.federation.replacingLine(13, with: "    masking_key: AAECAwQFBgcICQoLDA0ODw=="))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "paillier.public_key", line: 7) {
            _ = try parse(Sample.federation.replacingLine(7, with: "  public_key: AAECAwQFBgcICQoLDA0OD"))
        }
    }

    /// A low-order X25519 point (the all-zero encoding, and u = 1) would give every peer
    /// an all-zero shared secret: refused, naming the key.
    @Test(arguments: [
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  // u = 0
        "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  // u = 1
    ])
    func lowOrderMaskingKey(key: String) {
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "members[0].masking_key",
            line: 13,
            mentioning: ["low-order"]
        ) {
            _ = try parse(Sample.federation.replacingLine(13, with: "    masking_key: \(key)"))
        }
    }

    @Test func duplicateMaskingKey() {
        expectConfigError(
            .duplicateValue,
            file: file,
            keyPath: "members[2].masking_key",
            line: 23,
            mentioning: ["members[0]"]
        ) {
            _ = try parse(Sample.federation.replacingLine(23, with: "    masking_key: \(Sample.key1)"))
        }
    }

    @Test(arguments: [
        "127.0.0.1", ":7001", "127.0.0.1:", "127.0.0.1:70000", "::1:7001", "127.0.0.1:0", "999.0.0.1:7001",
    ])
    func badAddress(address: String) {
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "members[0].address",
            line: 12,
            column: 14,
            mentioning: [address]
        ) {
            _ = try parse(Sample.federation.replacingLine(12, with: "    address: \"\(address)\""))
        }
    }

    @Test func paillierIndices() {
        expectConfigError(
            .duplicateValue,
            file: file,
            keyPath: "members[1].paillier_index",
            line: 19,
            column: 21,
            mentioning: ["members[0]"]
        ) {
            _ = try parse(Sample.federation.replacingLine(19, with: "    paillier_index: 1"))
        }
        for index in [0, 4, -1] {
            expectConfigError(
                .invalidValue,
                file: file,
                keyPath: "members[2].paillier_index",
                line: 24,
                mentioning: ["1…3"]
            ) {
                _ = try parse(Sample.federation.replacingLine(24, with: "    paillier_index: \(index)"))
            }
        }
    }

    @Test func thresholdRange() throws {
        for threshold in [0, 4] {
            expectConfigError(
                .invalidValue,
                file: file,
                keyPath: "paillier.threshold",
                line: 8,
                column: 14,
                mentioning: ["1…3"]
            ) {
                _ = try parse(Sample.federation.replacingLine(8, with: "  threshold: \(threshold)"))
            }
        }
        for threshold in [1, 3] {
            #expect(
                try parse(Sample.federation.replacingLine(8, with: "  threshold: \(threshold)")).paillier?.threshold
                    == threshold
            )
        }
    }

    @Test func needsANode() {
        let onlyAnalyst = Sample.federation.replacingLine(6).replacingLine(6).replacingLine(6)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let yaml = (onlyAnalyst[0..<6] + onlyAnalyst[21...]).joined(separator: "\n")
        expectConfigError(.invalidValue, file: file, keyPath: "members", line: 6, column: 1, mentioning: ["role: node"])
        {
            _ = try parse(yaml)
        }
    }

    @Test func caCertificateShape() {
        expectConfigError(.invalidValue, file: file, keyPath: "ca_certificate", line: 2, mentioning: ["PRIVATE KEY"]) {
            _ = try parse(
                Sample.federation
                    .replacingLine(3, with: "  -----BEGIN PRIVATE KEY-----").replacingLine(
                        5,
                        with: "  -----END PRIVATE KEY-----"
                    )
            )
        }
        expectConfigError(.invalidValue, file: file, keyPath: "ca_certificate", line: 2, mentioning: ["base64"]) {
            _ = try parse(Sample.federation.replacingLine(4, with: "  not*base64"))
        }
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "ca_certificate",
            line: 2,
            mentioning: ["END CERTIFICATE"]
        ) {
            _ = try parse(Sample.federation.replacingLine(5))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "ca_certificate", line: 2, column: 17) {
            _ = try parse(
                Sample.federation.replacingLine(2, with: "ca_certificate: none").replacingLine(3).replacingLine(3)
                    .replacingLine(3)
            )
        }
    }

    @Test func yamlSyntaxErrorsHaveALine() {
        // libyaml reports where it noticed the problem, and the construct it was in.
        expectConfigError(.syntax, file: file, keyPath: "", line: 13, column: 16, mentioning: ["line 12, column 14"]) {
            _ = try parse(Sample.federation.replacingLine(12, with: "    address: [127.0.0.1:7001"))
        }
        expectConfigError(.duplicateKey, file: file, keyPath: "role", line: 11, column: 5, mentioning: ["`role`"]) {
            _ = try parse(Sample.federation.insertingLines(after: 11, "    role: analyst"))
        }
    }

    @Test func validateChecksAConfigurationBuiltInCode() throws {
        let node = FederationConfig.NodeMember(
            name: "a",
            address: try HostPort(parsing: "a.example:1"),
            maskingKey: Array(repeating: 1, count: 32),
            paillierIndex: 1
        )
        var config = FederationConfig(
            id: "f",
            caCertificate: Sample.pem,
            members: [.node(node), .analyst(.init(name: "a"))]
        )
        let error = #expect(throws: ConfigError.self) { try config.validate() }
        #expect(error?.code == .duplicateValue)
        #expect(error?.keyPath == "members[1].name")
        #expect(error?.line == nil)
        #expect(error?.description.hasPrefix("(configuration built in code): members[1].name: ") == true)
        config.members[1] = .analyst(.init(name: "b"))
        try config.validate()
        config.paillier = .init(publicKey: [1], threshold: 2)
        #expect(throws: ConfigError.self) { try config.validate() }
    }

    @Test func loadsAFileAndNamesItInErrors() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/federation.yaml"
        try directory.write(Sample.federation, to: "federation.yaml")
        let config = try FederationConfig.load(path: path)
        #expect(config == (try parse(Sample.federation)))
        #expect(config.source.file == path)
        #expect(config.source.position(of: "members[1].address") == SourcePosition(line: 17, column: 14))

        let missing = directory.path + "/absent.yaml"
        expectConfigError(.io, file: missing, keyPath: "", line: nil, mentioning: ["No such file"]) {
            _ = try FederationConfig.load(path: missing)
        }
    }

    @Test func controlCharacterHasALine() {
        expectConfigError(.syntax, file: "f.yaml", keyPath: "", line: 2, column: 8, mentioning: ["control"]) {
            _ = try FederationConfig.parse(yaml: "federation: x\nname: a\u{7}b\n", file: "f.yaml")
        }
    }

    @Test func hugeInteger() {
        expectConfigError(.invalidValue, file: file, keyPath: "paillier.threshold", line: 8, column: 14) {
            _ = try FederationConfig.parse(
                yaml: Sample.federation.replacingLine(8, with: "  threshold: 99999999999999999999999"),
                file: Sample.federationFile
            )
        }
    }
}
