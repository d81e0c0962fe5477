import Config
import Foundation
import Node
import PKI
import Testing

/// What `fednode serve` and `fednode check` refuse before starting.
@Suite("Start-up checks")
struct StartupTests {
    func startupError(_ federation: TestFederation, _ node: String) -> NodeStartupError? {
        do {
            _ = try federation.setup(node)
            Issue.record("the node started")
            return nil
        } catch let error as NodeStartupError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// The ceremony refuses a threshold of 1 for several nodes: one node alone could
    /// decrypt the individual contributions a partial-decryption request carries.
    @Test func theCeremonyRefusesAThresholdOfOneAmongSeveralNodes() throws {
        #expect {
            _ = try TestFederation(nodes: ["north", "south"], threshold: 1)
        } throws: { error in
            "\(error)".contains("--threshold 1 would let any single node decrypt every department's contribution")
        }
        _ = try TestFederation(nodes: ["solo"], threshold: 1)
    }

    @Test func aCorrectNodeLoads() throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let setup = try federation.setup("north")
        #expect(setup.principal.spiffeID == "spiffe://city/node/north")
        #expect(setup.paillierShare?.index == 1)
    }

    /// A private key readable by group or others is refused: it may already have leaked.
    @Test(arguments: [0o644, 0o640, 0o604])
    func aKeyReadableByOthersIsRefused(mode: Int) throws {
        let federation = try TestFederation(nodes: ["north"])
        let key = federation.root + "/nodes/north/tls.key"
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: key)
        let error = startupError(federation, "north")
        #expect(error?.code == .keyFilePermissions)
        #expect(error?.file == key)
        #expect(error?.message.contains("chmod 600") == true)
    }

    @Test func aReadableShareOrMaskingKeyIsRefused() throws {
        for file in ["masking.key", "paillier-share.bin"] {
            let federation = try TestFederation(nodes: ["north"])
            let path = federation.root + "/nodes/north/\(file)"
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            #expect(startupError(federation, "north")?.code == .keyFilePermissions, "\(file)")
        }
    }

    @Test func anExpiredCertificateIsRefused() throws {
        let federation = try TestFederation(nodes: ["north"])
        let ca = try federation.ca()
        let start = ca.certificate.notValidBefore
        let (certificate, key) = try federation.issueCertificate(
            for: try Principal(federation: "city", role: .node, name: "north"),
            notBefore: start, notAfter: start.addingTimeInterval(60))
        let path = federation.root + "/nodes/north/tls.pem"
        try FileManager.default.removeItem(atPath: path)
        try certificate.write(toFile: path, atomically: true, encoding: .utf8)
        // Its key must match too, or the mismatch would be reported first.
        let keyPath = federation.root + "/nodes/north/tls.key"
        try FileManager.default.removeItem(atPath: keyPath)
        try key.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyPath)
        let error = startupError(federation, "north")
        #expect(error?.code == .certificate)
        #expect(error?.message.contains("expired") == true)
    }

    /// federation.yaml naming another CA than the one that issued the node's
    /// certificate: the node refuses rather than trust a CA its certificate is not from.
    @Test func aCAThatIsNotTheFederationsIsRefused() throws {
        let federation = try TestFederation(nodes: ["north"])
        let other = try TestFederation(nodes: ["north"])
        let file = federation.root + "/federation.yaml"
        var config = try FederationConfig.load(path: file)
        config.caCertificate = try FederationConfig.load(path: other.root + "/federation.yaml").caCertificate
        try FileManager.default.removeItem(atPath: file)
        try config.render().write(toFile: file, atomically: true, encoding: .utf8)
        let error = startupError(federation, "north")
        #expect(error?.code == .certificate)
    }

    @Test func aMaskingKeyThatIsNotTheFederationsRecordIsRefused() throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let north = federation.root + "/nodes/north/masking.key"
        let south = federation.root + "/nodes/south/masking.key"
        try FileManager.default.removeItem(atPath: north)
        try FileManager.default.copyItem(atPath: south, toPath: north)
        let error = startupError(federation, "north")
        #expect(error?.code == .mismatch)
        #expect(error?.file == north)
    }

    @Test func anotherNodesKeyShareIsRefused() throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let north = federation.root + "/nodes/north/paillier-share.bin"
        let south = federation.root + "/nodes/south/paillier-share.bin"
        try FileManager.default.removeItem(atPath: north)
        try FileManager.default.copyItem(atPath: south, toPath: north)
        let error = startupError(federation, "north")
        #expect(error?.code == .mismatch)
        #expect(error?.message.contains("party 2") == true)
    }

    @Test func aConfigurationErrorNamesFileKeyAndLine() throws {
        let federation = try TestFederation(nodes: ["north"])
        let file = federation.nodeConfig("north")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try text.replacingOccurrences(of: "listen:", with: "listne:").write(toFile: file, atomically: true, encoding: .utf8)
        let error = startupError(federation, "north")
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("node.yaml") == true)
        #expect(error?.description.contains("listne") == true)
    }

    /// A federation whose catalog has a `visits` dataset that north maps to a CSV file.
    func federationWithData(csv: String) throws -> TestFederation {
        let federation = try TestFederation(nodes: ["north", "south"])
        let federationFile = federation.root + "/federation.yaml"
        let catalog = """
            catalog:
              visits:
                max_rows_per_node: 1000
                columns:
                  district: {type: category, values: [north, south]}
                  cost: {type: "decimal(2)", min: 0, max: 1000, nullable: true}
            """
        let text = try String(contentsOfFile: federationFile, encoding: .utf8)
        try text.replacingOccurrences(of: "catalog: {}", with: catalog).write(toFile: federationFile, atomically: true, encoding: .utf8)
        let nodeFile = federation.nodeConfig("north")
        let node = try String(contentsOfFile: nodeFile, encoding: .utf8)
        try node.replacingOccurrences(of: "datasets: {}", with: "datasets:\n  visits: {csv: visits.csv}")
            .write(toFile: nodeFile, atomically: true, encoding: .utf8)
        try csv.write(toFile: federation.root + "/nodes/north/visits.csv", atomically: true, encoding: .utf8)
        return federation
    }

    @Test func theDataIsCheckedAgainstTheCatalog() throws {
        let federation = try federationWithData(csv: "district,cost\nnorth,12.50\nsouth,\n")
        let setup = try federation.setup("north")
        #expect(setup.catalog.dataset(named: "visits")?.columns.count == 2)
        let counts = try setup.checkData()
        #expect(counts.map(\.dataset) == ["visits"])
        #expect(counts.map(\.rows) == [2])
    }

    /// A row that breaks the catalog stops the node, naming file, line and column, and
    /// without echoing the value.
    @Test func aBadRowIsRefusedWithFileLineAndColumn() throws {
        let federation = try federationWithData(csv: "district,cost\nnorth,12.50\nsouth,1234.567\n")
        let setup = try federation.setup("north")
        do {
            _ = try setup.checkData()
            Issue.record("a bad row was accepted")
        } catch {
            #expect(error.code == .data)
            #expect(error.description.contains("visits.csv:3"), "\(error)")
            #expect(error.description.contains("cost"), "\(error)")
            #expect(!error.description.contains("1234.567"), "\(error)")
        }
    }

    @Test func aDatasetMissingFromTheCatalogIsAConfigurationError() throws {
        let federation = try federationWithData(csv: "district,cost\n")
        let nodeFile = federation.nodeConfig("north")
        let node = try String(contentsOfFile: nodeFile, encoding: .utf8)
        try node.replacingOccurrences(of: "  visits: {csv: visits.csv}", with: "  visitors: {csv: visits.csv}")
            .write(toFile: nodeFile, atomically: true, encoding: .utf8)
        let error = startupError(federation, "north")
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("visitors") == true)
    }

    /// A policy file with a mistake stops the node, naming file and line.
    @Test func aBrokenPolicyFileIsAConfigurationError() throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        let policies = federation.root + "/nodes/north/policies"
        try "rules:\n  - id: costs\n    who: [spiffe://city/analyst/alice]\n    datsets: [visits]\n"
            .write(toFile: policies + "/costs.yaml", atomically: true, encoding: .utf8)
        let error = startupError(federation, "north")
        #expect(error?.code == .configuration)
        #expect(error?.description.contains("costs.yaml:4") == true, "\(String(describing: error))")
        #expect(error?.description.contains("datsets") == true)
    }

    @Test func theNodesPoliciesAreLoaded() throws {
        let federation = try TestFederation(nodes: ["north", "south"])
        #expect(try federation.setup("north").policies.rules.isEmpty)
        let rule = """
            rules:
              - id: counts
                who: [spiffe://city/analyst/alice]
                datasets: [visits]
                aggregates: [count]
                min_group_size: 5
                min_parties: 2
                protocols: [secure_sum]
                purpose: counting
            """
        try rule.write(toFile: federation.root + "/nodes/north/policies/counts.yaml", atomically: true, encoding: .utf8)
        #expect(try federation.setup("north").policies.rules.map(\.id) == ["counts"])
    }
}
