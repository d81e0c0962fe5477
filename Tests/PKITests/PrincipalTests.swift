import PKI
import Testing

@Suite("Principals and SPIFFE ids")
struct PrincipalTests {
    @Test(
        "valid SPIFFE ids parse and print back unchanged",
        arguments: [
            ("spiffe://city/node/hospital", "city", Principal.Role.node, "hospital"),
            ("spiffe://city/analyst/alice", "city", .analyst, "alice"),
            ("spiffe://city-2/node/health-commission", "city-2", .node, "health-commission"),
            ("spiffe://0/node/9", "0", .node, "9"),
            (
                "spiffe://\(String(repeating: "f", count: 63))/node/\(String(repeating: "n", count: 63))",
                String(repeating: "f", count: 63), .node, String(repeating: "n", count: 63)
            ),
        ]
    )
    func parsesValid(text: String, federation: String, role: Principal.Role, name: String) throws {
        let principal = try Principal(spiffeID: text)
        #expect(principal.federation == federation)
        #expect(principal.role == role)
        #expect(principal.name == name)
        #expect(principal.spiffeID == text)
        #expect(principal == (try Principal(federation: federation, role: role, name: name)))
    }

    @Test(
        "malformed SPIFFE ids are refused with a message naming the problem",
        arguments: [
            ("", "not a SPIFFE id"),
            ("https://city/node/hospital", "not a SPIFFE id"),
            ("SPIFFE://city/node/hospital", "lower-case 'spiffe://'"),
            ("spiffe:/city/node/hospital", "not a SPIFFE id"),
            ("spiffe://city/node/hospital?x=1", "query"),
            ("spiffe://city/node/hospital#frag", "fragment"),
            ("spiffe://city:8443/node/hospital", "port"),
            ("spiffe://admin@city/node/hospital", "userinfo"),
            ("spiffe:///node/hospital", "no federation id"),
            ("spiffe://city", "no path"),
            ("spiffe://city/", "1 path segment"),
            ("spiffe://city/node", "1 path segment"),
            ("spiffe://city/node/", "name is empty"),
            ("spiffe://city/node/hospital/", "3 path segments"),
            ("spiffe://city/node/a/b", "3 path segments"),
            ("spiffe://city//hospital", "role ''"),
            ("spiffe://city/admin/root", "role 'admin'"),
            ("spiffe://city/Node/hospital", "role 'Node'"),
            ("spiffe://City/node/hospital", "upper-case"),
            ("spiffe://city.example/node/hospital", "'.'"),
            ("spiffe://city/node/Hospital", "upper-case"),
            ("spiffe://city/node/hos%70ital", "'%'"),
            ("spiffe://city/node/-hospital", "starts or ends with '-'"),
            ("spiffe://city/node/hospital-", "starts or ends with '-'"),
            ("spiffe://city/node/h_ospital", "'_'"),
            ("spiffe://city/node/..", "'.'"),
            ("spiffe://city/node/\(String(repeating: "n", count: 64))", "64 characters"),
            ("spiffe://city/node/hospital\n", "\\u{a}"),
        ]
    )
    func refusesMalformed(text: String, expectedFragment: String) throws {
        let error = try #require(throws: PKIError.self) { try Principal(spiffeID: text) }
        #expect(error.code == .invalidSPIFFEID)
        #expect(error.message.contains(expectedFragment), "message: \(error.message)")
        #expect(!error.message.contains("\n"), "untrusted text must be escaped")
    }

    @Test("names and federation ids are checked when a principal is built")
    func checksLabels() throws {
        let empty = try #require(throws: PKIError.self) { try Principal(federation: "", role: .node, name: "a") }
        #expect(empty.code == .invalidName)
        #expect(empty.message.contains("federation id is empty"))

        let upper = try #require(throws: PKIError.self) {
            try Principal(federation: "city", role: .analyst, name: "Alice")
        }
        #expect(upper.code == .invalidName)
        #expect(upper.message.contains("analyst name 'Alice' contains upper-case 'A'"))

        let unicode = try #require(throws: PKIError.self) {
            try Principal(federation: "city", role: .node, name: "hôpital")
        }
        #expect(unicode.code == .invalidName)
    }

    @Test("a bidirectional override in a name is escaped in the message")
    func escapesFormatCharacters() throws {
        let error = try #require(throws: PKIError.self) {
            try Principal(spiffeID: "spiffe://city/node/a\u{202E}latipsoh")
        }
        #expect(!error.message.unicodeScalars.contains("\u{202E}"))
        #expect(error.message.contains("\\u{202e}"))
    }
}
