#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A network address written `host:port`: an IPv4 address (`127.0.0.1:7001`), an IPv6
/// address in brackets (`[::1]:7001`) or a DNS name (`node1.example.org:7001`).
///
/// The host is kept as written (without the brackets); nothing is looked up.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    /// What kind of host an address names.
    public enum Kind: Sendable, Hashable {
        case ipv4
        case ipv6
        case dnsName
    }

    /// The host as written, without brackets.
    public let host: String
    /// The port, 1…65535, or 0 (any free port) where a caller allows it.
    public let port: Int
    public let kind: Kind

    /// Parses `host:port`. Port 0 is refused unless `allowingPortZero` (a listening
    /// address in tests, where the system picks a free port).
    public init(parsing text: String, allowingPortZero: Bool = false) throws(HostPortError) {
        func failure(_ code: HostPortError.Code, _ message: String) -> HostPortError {
            HostPortError(code: code, text: text, message: message)
        }
        let hostText: Substring
        let portText: Substring
        let bracketed = text.hasPrefix("[")
        if bracketed {
            guard let close = text.firstIndex(of: "]") else {
                throw failure(.invalidHost, "`\(text)` opens '[' without a closing ']'; write [IPv6 address]:port")
            }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.first == ":" else {
                throw failure(.missingPort, "`\(text)` has no port after the ']'; write [\(hostText)]:port")
            }
            portText = rest.dropFirst()
        } else {
            let colons = text.count(where: { $0 == ":" })
            guard colons <= 1 else {
                throw failure(
                    .unbracketedIPv6,
                    "`\(text)` has several ':'; write an IPv6 address in brackets, as in [::1]:443"
                )
            }
            guard let colon = text.firstIndex(of: ":") else {
                throw failure(
                    .missingPort,
                    "`\(text)` has no port; write host:port, as in \(text.isEmpty ? "127.0.0.1" : text):7001"
                )
            }
            hostText = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !hostText.isEmpty else {
            throw failure(
                .missingHost,
                "`\(text)` has no host before the port; write host:port, as in 127.0.0.1\(text)"
            )
        }
        guard !portText.isEmpty else {
            throw failure(.missingPort, "`\(text)` has no port after the ':'; write host:port, as in \(text)7001")
        }
        let kind: Kind
        if bracketed {
            guard Self.isIPv6(hostText) else {
                throw failure(.invalidHost, "`\(hostText)` in `\(text)` is not an IPv6 address")
            }
            kind = .ipv6
        } else if hostText.allSatisfy({ $0 == "." || ("0"..."9").contains($0) }) {
            guard Self.isIPv4(hostText) else {
                throw failure(
                    .invalidHost,
                    "`\(hostText)` in `\(text)` is not an IPv4 address (four numbers 0–255 separated by '.', without leading zeros)"
                )
            }
            kind = .ipv4
        } else {
            if let problem = Self.dnsNameProblem(hostText) {
                throw failure(.invalidHost, "`\(hostText)` in `\(text)` is not a valid host name: \(problem)")
            }
            kind = .dnsName
        }
        let port = try Self.port(portText, allowingZero: allowingPortZero, in: text)
        self.host = String(hostText)
        self.port = port
        self.kind = kind
    }

    /// An address from its parts; `host` is written without brackets. Checked as
    /// ``init(parsing:allowingPortZero:)`` checks.
    public init(host: String, port: Int, allowingPortZero: Bool = false) throws(HostPortError) {
        let text = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        self = try HostPort(parsing: text, allowingPortZero: allowingPortZero)
    }

    /// `host:port`, with an IPv6 host in brackets; parses back to an equal value.
    public var description: String {
        kind == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func port(_ text: Substring, allowingZero: Bool, in whole: String) throws(HostPortError) -> Int {
        guard text.count <= 5, text.allSatisfy({ ("0"..."9").contains($0) }), let port = Int(text) else {
            throw HostPortError(
                code: .invalidPort,
                text: whole,
                message: "`\(text)` in `\(whole)` is not a port number (1–65535)"
            )
        }
        guard port <= 65535, port > 0 || allowingZero else {
            let range = allowingZero ? "0–65535" : "1–65535"
            throw HostPortError(
                code: .portOutOfRange,
                text: whole,
                message: "port \(port) in `\(whole)` is out of range; use \(range)"
            )
        }
        return port
    }

    private static func isIPv4(_ text: Substring) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard (1...3).contains(part.count), part == "0" || part.first != "0", let value = Int(part) else {
                return false
            }
            return value <= 255
        }
    }

    private static func isIPv6(_ text: Substring) -> Bool {
        // inet_pton accepts exactly the RFC 4291 text forms (with an embedded IPv4 tail)
        // and refuses zone identifiers, which have no meaning in a shared file.
        var address = in6_addr()
        return String(text).withCString { inet_pton(AF_INET6, $0, &address) } == 1
    }

    /// Why `text` is not a DNS name (RFC 1123 labels), or nil.
    private static func dnsNameProblem(_ text: Substring) -> String? {
        guard text.utf8.count <= 253 else { return "it is longer than 253 characters" }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { return "it has an empty label (two dots in a row, or a dot at either end)" }
            guard label.utf8.count <= 63 else { return "the label `\(label)` is longer than 63 characters" }
            guard label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
                return "the label `\(label)` may contain only letters, digits and '-'"
            }
            guard label.first != "-", label.last != "-" else { return "the label `\(label)` starts or ends with '-'" }
        }
        if let last = labels.last, last.allSatisfy({ $0.isNumber }) {
            return "its last label `\(last)` is all digits"
        }
        return nil
    }
}

/// A `host:port` text that ``HostPort`` refused.
public struct HostPortError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// Nothing before the port (`:80`).
        case missingHost
        /// No port (`host`, `host:`).
        case missingPort
        /// The host is not an IPv4 address, a bracketed IPv6 address or a DNS name.
        case invalidHost
        /// An IPv6 address without brackets (`::1:443`).
        case unbracketedIPv6
        /// The port is not a decimal number.
        case invalidPort
        /// The port is outside 1…65535 (or 0…65535 where 0 is allowed).
        case portOutOfRange
    }

    public var code: Code
    /// The refused text.
    public var text: String
    public var message: String

    public init(code: Code, text: String, message: String) {
        self.code = code
        self.text = text
        self.message = message
    }

    public var description: String { message }
}
