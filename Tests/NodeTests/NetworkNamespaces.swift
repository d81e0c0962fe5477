import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Separate hosts for integration tests: one Linux network namespace per node, each with
/// its own address on a /24, joined by veth pairs to a bridge in the test's namespace
/// (which holds the subnet's first address, so fedquery and the tests reach every node).
/// Needs root and iproute2; `FEDSTAT_TEST_NETWORK=loopback` turns it off.
///
/// Names carry this process's id, so namespaces a crashed test run left behind are
/// removed by the next run.
final class NamespaceNetwork: @unchecked Sendable {
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { FileManager.default.isExecutableFile(atPath: $0) }
    private static let subnetsInUse = Mutex<Set<String>>([])

    /// The namespace of each node, in order.
    let namespaces: [String]
    /// Each node's IPv4 address.
    let addresses: [String]
    /// The subnet, as `10.a.b.0/24`.
    let subnet: String
    private let bridge: String
    private var created: [[String]] = []

    /// Why namespaces cannot be used on this machine, or nil when they may be tried.
    static var unavailableReason: String? {
        if ProcessInfo.processInfo.environment["FEDSTAT_TEST_NETWORK"] == "loopback" { return "FEDSTAT_TEST_NETWORK=loopback" }
        if geteuid() != 0 { return "not running as root" }
        if ip == nil { return "iproute2 (`ip`) is not installed" }
        return nil
    }

    /// Creates the bridge and `count` namespaces; throws (having removed whatever it
    /// made) when the kernel or the container does not allow it.
    init(count: Int) throws {
        guard let ip = Self.ip else { throw Failure(description: "no ip command") }
        Self.removeStaleNamespaces(ip: ip)
        let tag = String(UInt32.random(in: 0x100000...0xFFFFFF), radix: 16)
        bridge = "fsb\(tag)"
        var prefix = ""
        let taken = Self.prefixesInUse(ip: ip)
        for _ in 0..<100 {
            let (second, third) = (UInt32.random(in: 160...223), UInt32.random(in: 0...255))
            let candidate = (10 << 24) | (second << 16) | (third << 8)
            if !taken.contains(where: { Self.overlap(candidate, 24, $0.address, $0.length) }),
                Self.subnetsInUse.withLock({ $0.insert("10.\(second).\(third)").inserted })
            {
                prefix = "10.\(second).\(third)"
                break
            }
        }
        subnet = prefix + ".0/24"
        namespaces = (0..<count).map { "fedstat-\(getpid())-\(tag)-\($0)" }
        addresses = (0..<count).map { "\(prefix).\($0 + 2)" }
        guard !prefix.isEmpty else { throw Failure(description: "no free 10.x.y.0/24 subnet") }
        do {
            try step(ip, ["link", "add", bridge, "type", "bridge"], undo: ["link", "del", bridge])
            // The alias names this process, so a later run can remove the bridge if we crash.
            try step(ip, ["link", "set", bridge, "alias", "fedstat-\(getpid())"])
            try step(ip, ["addr", "add", "\(prefix).1/24", "dev", bridge])
            try step(ip, ["link", "set", bridge, "up"])
            for (index, namespace) in namespaces.enumerated() {
                let veth = "fsv\(tag)\(index)"
                try step(ip, ["netns", "add", namespace], undo: ["netns", "del", namespace])
                try step(ip, ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace])
                try step(ip, ["link", "set", veth, "master", bridge, "up"])
                try step(ip, ["-n", namespace, "addr", "add", "\(addresses[index])/24", "dev", "eth0"])
                try step(ip, ["-n", namespace, "link", "set", "eth0", "up"])
                try step(ip, ["-n", namespace, "link", "set", "lo", "up"])
            }
            if count >= 2 { try probe(ip) }
        } catch {
            teardown()
            throw error
        }
    }

    /// One TCP connection from the first namespace to the second, across the bridge:
    /// hosts that filter bridged traffic (br_netfilter with an iptables FORWARD policy of
    /// DROP, common where Docker runs) would otherwise fail every test after its
    /// deadline instead of falling back to loopback.
    private func probe(_ ip: String) throws {
        guard let python = ["/usr/bin/python3", "/bin/python3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { throw Failure(description: "no python3 to check the namespaces' connectivity") }
        let listener = Process()
        listener.executableURL = URL(fileURLWithPath: ip)
        listener.arguments = [
            "netns", "exec", namespaces[1], python, "-c",
            "import socket; s = socket.socket(); s.bind(('\(addresses[1])', 7999)); s.listen(); s.settimeout(20); c, _ = s.accept(); c.sendall(b'ok')",
        ]
        try listener.run()
        defer {
            if listener.isRunning { listener.terminate() }
            listener.waitUntilExit()
        }
        let connect = """
            import socket, sys, time
            deadline = time.time() + 15
            while time.time() < deadline:
                try:
                    with socket.create_connection(('\(addresses[1])', 7999), timeout=3) as c:
                        sys.exit(0 if c.recv(2) == b'ok' else 1)
                except OSError:
                    time.sleep(0.1)
            sys.exit(1)
            """
        let result = try run(ip, ["netns", "exec", namespaces[0], python, "-c", connect], timeout: .seconds(60))
        guard result.status == 0 else {
            throw Failure(description: "no TCP connection between two namespaces across the bridge (is bridged traffic filtered?)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func step(_ ip: String, _ arguments: [String], undo: [String]? = nil) throws {
        let result = try run(ip, arguments)
        guard result.status == 0 else {
            throw Failure(description: "`ip \(arguments.joined(separator: " "))` failed: \(result.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        if let undo { created.append(undo) }
    }

    /// The command line that runs `executable` inside node `index`'s namespace.
    func command(for index: Int, _ executable: String, _ arguments: [String]) -> (String, [String]) {
        (Self.ip!, ["netns", "exec", namespaces[index], executable] + arguments)
    }

    func teardown() {
        guard let ip = Self.ip else { return }
        // Deleting a namespace deletes its end of the veth pair, and with it the pair.
        for undo in created.reversed() { _ = try? run(ip, undo) }
        created = []
        let prefix = String(subnet.dropLast(".0/24".count))
        _ = Self.subnetsInUse.withLock { $0.remove(prefix) }
    }

    /// Every IPv4 prefix the host's addresses and routes use (`a.b.c.d/len`, a bare
    /// address as /32), so the test subnet never shadows a real one (a VPN's 10/8, a
    /// container network's /16).
    private static func prefixesInUse(ip: String) -> [(address: UInt32, length: Int)] {
        let text = ((try? run(ip, ["-4", "-o", "addr", "show"]).output) ?? "") + ((try? run(ip, ["-4", "route", "show"]).output) ?? "")
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\\" }).compactMap { token in
            let parts = token.split(separator: "/")
            let octets = parts[0].split(separator: ".").compactMap { UInt32($0) }
            guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
            let length = parts.count == 2 ? Int(parts[1]) ?? 32 : 32
            return (octets.reduce(0) { $0 << 8 | $1 }, length)
        }
    }

    /// Whether two prefixes share an address: they agree on the shorter one's bits.
    static func overlap(_ a: UInt32, _ aLength: Int, _ b: UInt32, _ bLength: Int) -> Bool {
        let length = min(aLength, bLength)
        guard length > 0 else { return true }
        let mask: UInt32 = length >= 32 ? .max : ~(UInt32.max >> UInt32(length))
        return a & mask == b & mask
    }

    deinit { teardown() }

    /// Namespaces and bridges of test processes that no longer run (a crash skips
    /// `deinit`).
    private static func removeStaleNamespaces(ip: String) {
        func gone(_ pid: Substring) -> Bool {
            guard let pid = Int32(pid), pid != getpid() else { return false }
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        let namespaces = (try? run(ip, ["netns", "list"]).output) ?? ""
        for line in namespaces.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 4, parts[0] == "fedstat", gone(parts[1]) else { continue }
            _ = try? run(ip, ["netns", "del", name])
        }
        let bridges = (try? run(ip, ["-o", "link", "show", "type", "bridge"]).output) ?? ""
        for line in bridges.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 1, let alias = fields.firstIndex(of: "alias"), alias + 1 < fields.count else { continue }
            let owner = fields[alias + 1].split(separator: "-")
            guard owner.count == 2, owner[0] == "fedstat", gone(owner[1]) else { continue }
            _ = try? run(ip, ["link", "del", String(fields[1].dropLast())])
        }
    }
}

@Suite("Network namespaces for tests")
struct NamespaceNetworkTests {
    /// The test subnet must never shadow one of the host's: prefixes overlap when they
    /// agree on the shorter one's bits.
    @Test func prefixesOverlapWhenTheShorterOneContainsTheOther() {
        let subnet: UInt32 = 10 << 24 | 200 << 16 | 7 << 8  // 10.200.7.0/24
        #expect(NamespaceNetwork.overlap(subnet, 24, 10 << 24, 8))  // a VPN's 10.0.0.0/8
        #expect(NamespaceNetwork.overlap(subnet, 24, 10 << 24 | 200 << 16, 16))
        #expect(NamespaceNetwork.overlap(subnet, 24, subnet | 9, 32))  // an address inside
        #expect(!NamespaceNetwork.overlap(subnet, 24, 10 << 24 | 200 << 16 | 8 << 8, 24))
        #expect(!NamespaceNetwork.overlap(subnet, 24, 192 << 24 | 2 << 8, 24))
        #expect(NamespaceNetwork.overlap(subnet, 24, 0, 0))  // a default route's 0.0.0.0/0
    }
}
