import Config
import Testing

@Suite("host:port and names")
struct HostPortAndNameTests {
    @Test(arguments: [
        ("127.0.0.1:7001", "127.0.0.1", 7001, HostPort.Kind.ipv4, "127.0.0.1:7001"),
        ("0.0.0.0:65535", "0.0.0.0", 65535, .ipv4, "0.0.0.0:65535"),
        ("[::1]:443", "::1", 443, .ipv6, "[::1]:443"),
        ("[2001:db8::7]:7001", "2001:db8::7", 7001, .ipv6, "[2001:db8::7]:7001"),
        ("[::ffff:10.0.0.1]:1", "::ffff:10.0.0.1", 1, .ipv6, "[::ffff:10.0.0.1]:1"),
        ("localhost:80", "localhost", 80, .dnsName, "localhost:80"),
        ("Node-1.Example.org:8443", "Node-1.Example.org", 8443, .dnsName, "Node-1.Example.org:8443"),
        ("host:080", "host", 80, .dnsName, "host:80"),
        ("1.2.3.example:9", "1.2.3.example", 9, .dnsName, "1.2.3.example:9"),
    ])
    func validAddresses(text: String, host: String, port: Int, kind: HostPort.Kind, formatted: String) throws {
        let address = try HostPort(parsing: text)
        #expect(address.host == host)
        #expect(address.port == port)
        #expect(address.kind == kind)
        #expect(address.description == formatted)
        #expect(try HostPort(parsing: address.description) == address)
        #expect(try HostPort(host: host, port: port) == address)
    }

    @Test(arguments: [
        (":80", HostPortError.Code.missingHost),
        ("host:", .missingPort),
        ("host", .missingPort),
        ("", .missingPort),
        ("[::1]", .missingPort),
        ("[::1]443", .missingPort),
        ("host:70000", .portOutOfRange),
        ("host:65536", .portOutOfRange),
        ("host:0", .portOutOfRange),
        ("host:-1", .invalidPort),
        ("host:+80", .invalidPort),
        ("host:8o", .invalidPort),
        ("host:123456", .invalidPort),
        ("::1:443", .unbracketedIPv6),
        ("2001:db8::1:443", .unbracketedIPv6),
        ("[::1:443", .invalidHost),
        ("[]:443", .missingHost),
        ("[not-ipv6]:443", .invalidHost),
        ("[fe80::1%eth0]:443", .invalidHost),
        ("[127.0.0.1]:443", .invalidHost),
        ("256.0.0.1:443", .invalidHost),
        ("01.2.3.4:443", .invalidHost),
        ("1.2.3:443", .invalidHost),
        ("-node.example:443", .invalidHost),
        ("node-.example:443", .invalidHost),
        ("a..b:443", .invalidHost),
        ("node.example.:443", .invalidHost),
        ("under_score:443", .invalidHost),
        ("ex ample:443", .invalidHost),
        ("example.123:443", .invalidHost),
        ("caf\u{E9}.example:443", .invalidHost),
    ])
    func invalidAddresses(text: String, code: HostPortError.Code) {
        let error = #expect(throws: HostPortError.self) { try HostPort(parsing: text) }
        #expect(error?.code == code, "\(text): \(String(describing: error))")
        #expect(error?.text == text)
    }

    @Test func portZeroOnlyWhereAllowed() throws {
        #expect(try HostPort(parsing: "0.0.0.0:0", allowingPortZero: true).port == 0)
        #expect(try HostPort(parsing: "[::]:0", allowingPortZero: true).description == "[::]:0")
        #expect(throws: HostPortError.self) { try HostPort(parsing: "0.0.0.0:0") }
        #expect(throws: HostPortError.self) { try HostPort(parsing: "0.0.0.0:65536", allowingPortZero: true) }
    }

    @Test(arguments: ["a", "0", "hospital-north", "x1-2-3", "123", "null", String(repeating: "a", count: 63)])
    func validNames(name: String) throws {
        try Config.validateName(name)
    }

    @Test(arguments: [
        ("", NameError.Code.empty), (String(repeating: "a", count: 64), .tooLong), ("Hospital", .invalidCharacter),
        ("civil_affairs", .invalidCharacter), ("a.b", .invalidCharacter), ("a b", .invalidCharacter),
        ("caf\u{E9}", .invalidCharacter), ("tab\there", .invalidCharacter), ("-lead", .hyphenAtEnd),
        ("trail-", .hyphenAtEnd),
    ])
    func invalidNames(name: String, code: NameError.Code) {
        let error = #expect(throws: NameError.self) { try Config.validateName(name) }
        #expect(error?.code == code)
        #expect(error?.name == name)
    }
}
