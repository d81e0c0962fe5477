import Config
import Testing

@Suite("fedquery.yaml")
struct AnalystConfigTests {
    let file = Sample.analystFile

    func parse(_ yaml: String) throws(ConfigError) -> AnalystConfig {
        try AnalystConfig.parse(yaml: yaml, file: file)
    }

    @Test func readsEveryKey() throws {
        let config = try parse(Sample.analyst)
        #expect(config.federation == "city-of-example")
        #expect(config.name == "alice")
        #expect(config.coordinator.name == "hospital-north")
        #expect(config.coordinator.address.host == "2001:db8::7")
        #expect(config.coordinator.address.port == 7001)
        #expect(config.tls.certificate.resolved == "/home/alice/.fedstat/alice.pem")
        #expect(config.tls.key.text == "keys/alice.key")
        #expect(config.tls.key.resolved == "/home/alice/.fedstat/keys/alice.key")
        #expect(config.tls.ca.resolved == "/etc/fedstat/ca.pem")
    }

    @Test func roundTripsThroughRender() throws {
        let config = try parse(Sample.analyst)
        let rendered = config.render()
        #expect(try parse(rendered) == config)
        let lines = rendered.split(separator: "\n").map(String.init)
        let keys = [
            "federation:", "name:", "coordinator:", "  name:", "  address:", "tls:", "  certificate:", "  key:",
            "  ca:",
        ]
        let positions = try keys.map { key in try #require(lines.firstIndex { $0.hasPrefix(key) }) }
        #expect(positions == positions.sorted())
        #expect(rendered.contains("# The federation id"))

        let built = AnalystConfig(
            federation: "false",
            name: "bob",
            coordinator: .init(name: "n1", address: try HostPort(host: "fe80::1", port: 443)),
            tls: .init(
                certificate: ConfigPath("bob.pem", relativeTo: "/home/bob"),
                key: ConfigPath("bob.key", relativeTo: "/home/bob"),
                ca: ConfigPath("../ca.pem", relativeTo: "/home/bob")
            )
        )
        try built.validate()
        let parsed = try AnalystConfig.parse(yaml: built.render(), file: "/home/bob/fedquery.yaml")
        #expect(parsed == built)
        #expect(parsed.tls.ca.resolved == "/home/ca.pem")
        var other = parsed
        other.coordinator.name = "n2"
        #expect(other != built)
    }

    @Test func errors() {
        expectConfigError(
            .invalidValue,
            file: file,
            keyPath: "coordinator.address",
            line: 5,
            column: 12,
            mentioning: ["brackets"]
        ) {
            _ = try parse(Sample.analyst.replacingLine(5, with: "  address: \"2001:db8::7:7001\""))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "coordinator.address", line: 5, mentioning: ["port 0"]) {
            _ = try parse(Sample.analyst.replacingLine(5, with: "  address: localhost:0"))
        }
        expectConfigError(.missingKey, file: file, keyPath: "tls.ca", line: 7, column: 3) {
            _ = try parse(Sample.analyst.replacingLine(9))
        }
        expectConfigError(.wrongType, file: file, keyPath: "coordinator", line: 3, column: 14) {
            _ = try parse(
                Sample.analyst.replacingLine(3, with: "coordinator: hospital-north").replacingLine(4).replacingLine(4)
            )
        }
        expectConfigError(
            .unknownKey,
            file: file,
            keyPath: "tls.cert",
            line: 7,
            column: 3,
            mentioning: ["`certificate`"]
        ) {
            _ = try parse(Sample.analyst.replacingLine(7, with: "  cert: alice.pem"))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "coordinator.name", line: 4, column: 9) {
            _ = try parse(Sample.analyst.replacingLine(4, with: "  name: hospital.north"))
        }
        expectConfigError(.invalidValue, file: file, keyPath: "name", line: 2, column: 7) {
            _ = try parse(Sample.analyst.replacingLine(2, with: "name: Alice"))
        }
    }
}
