import Foundation
import Synchronization

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
        for _ in 0..<100 {
            let candidate = "10.\(Int.random(in: 160...223)).\(Int.random(in: 0...255))"
            let used = (try? run(ip, ["-4", "-o", "addr", "show"]).output + run(ip, ["-4", "route", "show"]).output) ?? ""
            if !used.contains(candidate + "."), Self.subnetsInUse.withLock({ $0.insert(candidate).inserted }) {
                prefix = candidate
                break
            }
        }
        subnet = prefix + ".0/24"
        namespaces = (0..<count).map { "fedstat-\(getpid())-\(tag)-\($0)" }
        addresses = (0..<count).map { "\(prefix).\($0 + 2)" }
        guard !prefix.isEmpty else { throw Failure(description: "no free 10.x.y.0/24 subnet") }
        do {
            try step(ip, ["link", "add", bridge, "type", "bridge"], undo: ["link", "del", bridge])
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
        } catch {
            teardown()
            throw error
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
    }

    deinit { teardown() }

    /// Namespaces of test processes that no longer run (a crash skips `deinit`).
    private static func removeStaleNamespaces(ip: String) {
        guard let listed = try? run(ip, ["netns", "list"]).output else { return }
        for line in listed.split(separator: "\n") {
            let name = String(line.split(separator: " ").first ?? "")
            let parts = name.split(separator: "-")
            guard parts.count == 4, parts[0] == "fedstat", let pid = Int32(parts[1]), pid != getpid(),
                kill(pid, 0) != 0, errno == ESRCH
            else { continue }
            _ = try? run(ip, ["netns", "del", name])
        }
    }
}
