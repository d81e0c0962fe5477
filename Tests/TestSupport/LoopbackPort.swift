import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Free TCP ports on 127.0.0.1 for the servers that tests and benchmarks start before
/// they can tell each other where they listen (the ceremony writes every node's address
/// into `federation.yaml` before any node runs).
///
/// A port found by binding port 0 comes from the kernel's ephemeral range, the range it
/// also takes client source ports from: between choosing such a port and the node
/// binding it, one of the many outgoing connections of a starting federation can take
/// it, and that node fails to start (seen with 60 nodes in one process). Ports here lie
/// below the ephemeral range, which the kernel never hands to clients; each is checked
/// free by binding it, chosen at random (so parallel test processes rarely meet), and
/// never handed out twice by one process.
public enum LoopbackPort {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// A free port below the ephemeral range (or, where the range leaves no room, one
    /// the kernel picks).
    public static func reserve() throws -> Int {
        let ephemeralStart = ephemeralRange()?.lowerBound ?? 32768
        let low = 10_000
        if ephemeralStart - low >= 1000 {
            for _ in 0..<1000 {
                let candidate = Int.random(in: low..<ephemeralStart)
                let fresh = handedOut.withLock { $0.insert(candidate).inserted }
                if fresh, bindable(candidate) { return candidate }
            }
        }
        // No room below the range: the kernel's choice, with the race described above.
        for _ in 0..<100 {
            guard let port = kernelChosenPort() else { break }
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw Unavailable(description: "no free loopback port found")
    }

    /// The kernel's ephemeral port range, from /proc (Linux).
    static func ephemeralRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else {
            return nil
        }
        let bounds = text.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        return bounds[0]...bounds[1]
    }

    /// Whether `port` can be bound on 127.0.0.1 right now.
    static func bindable(_ port: Int) -> Bool {
        withBoundSocket(port: port) { _ in true } ?? false
    }

    static func kernelChosenPort() -> Int? {
        withBoundSocket(port: 0) { $0 }
    }

    /// Binds a TCP socket to 127.0.0.1:`port`, calls `body` with the bound port, closes it.
    private static func withBoundSocket<T>(port: Int, _ body: (Int) -> T) -> T? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in.loopback(port: port)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { return nil }
        return body(Int(UInt16(bigEndian: address.sin_port)))
    }
}

extension sockaddr_in {
    /// The IPv4 socket address 127.0.0.1:`port`.
    public static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
