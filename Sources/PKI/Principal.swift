/// A member of a federation: a node (a department's server) or an analyst (a person
/// who asks questions), identified by the SPIFFE id in its certificate.
///
/// Invariant: `federation` and `name` are DNS-label-like — 1 to 63 characters from
/// `a`–`z`, `0`–`9` and `-`, neither starting nor ending with `-` — so `spiffeID` is
/// always a valid, canonical SPIFFE id that parses back to the same principal.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    /// What a principal does in the federation; fixes which certificates it gets.
    public enum Role: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// A node: serves and calls other nodes, so its certificate is good for TLS
        /// server and client authentication.
        case node
        /// An analyst: only ever a TLS client.
        case analyst

        public var description: String { rawValue }

        /// "a node" or "an analyst", for messages.
        public var withArticle: String { self == .node ? "a node" : "an analyst" }
    }

    /// The federation id (the SPIFFE trust domain), e.g. `city`.
    public let federation: String
    /// The principal's role.
    public let role: Role
    /// The principal's name within its role, e.g. `health-commission`.
    public let name: String

    /// Creates a principal after checking that `federation` and `name` are
    /// DNS-label-like. Throws `invalidName` naming the offending part otherwise.
    public init(federation: String, role: Role, name: String) throws(PKIError) {
        try Self.checkLabel(federation, what: "federation id")
        try Self.checkLabel(name, what: "\(role) name")
        self.federation = federation
        self.role = role
        self.name = name
    }

    /// Parses a SPIFFE id of the form `spiffe://<federation>/node/<name>` or
    /// `spiffe://<federation>/analyst/<name>`.
    ///
    /// Strict on purpose: the scheme must be exactly `spiffe`; the authority is a bare
    /// federation id (no userinfo, no port); the path has exactly two segments; there
    /// is no query or fragment; federation and name are DNS-label-like (so no percent
    /// escapes, dots, upper case or empty segments). This defends against identities
    /// that compare unequal as strings yet name the same principal (or the reverse),
    /// which would let an attacker slip past a name-based policy rule.
    /// Throws `invalidSPIFFEID` or `invalidName` saying what is wrong.
    public init(spiffeID text: String) throws(PKIError) {
        let shown = "'\(printable(text))'"
        let prefix = "spiffe://"
        guard text.hasPrefix(prefix) else {
            if text.lowercased().hasPrefix(prefix) {
                throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown) must start with lower-case 'spiffe://'")
            }
            throw PKIError(
                .invalidSPIFFEID,
                "\(shown) is not a SPIFFE id: expected spiffe://<federation>/node/<name> or spiffe://<federation>/analyst/<name>"
            )
        }
        let rest = text.dropFirst(prefix.count)
        if rest.contains("?") {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown) has a query ('?'); SPIFFE ids have none")
        }
        if rest.contains("#") {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown) has a fragment ('#'); SPIFFE ids have none")
        }
        let authority = rest.prefix(while: { $0 != "/" })
        let path = rest.dropFirst(authority.count)
        if authority.contains("@") {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown) has userinfo ('@'); SPIFFE ids have none")
        }
        if authority.contains(":") {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown) has a port (':'); SPIFFE ids have none")
        }
        if authority.isEmpty {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown) has no federation id after 'spiffe://'")
        }
        do {
            try Self.checkLabel(String(authority), what: "federation id")
        } catch {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown): \(error.message)")
        }
        guard !path.isEmpty else {
            throw PKIError(
                .invalidSPIFFEID,
                "SPIFFE id \(shown) has no path; expected spiffe://\(authority)/node/<name> or spiffe://\(authority)/analyst/<name>"
            )
        }
        // `path` starts with "/"; splitting keeps empty segments so "//" and a
        // trailing "/" are counted, not silently dropped.
        let segments = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 2 else {
            throw PKIError(
                .invalidSPIFFEID,
                "SPIFFE id \(shown) has \(segments.count) path segment\(segments.count == 1 ? "" : "s"); expected exactly two: node/<name> or analyst/<name>"
            )
        }
        guard let role = Role(rawValue: String(segments[0])) else {
            throw PKIError(
                .invalidSPIFFEID,
                "SPIFFE id \(shown) has role '\(printable(String(segments[0])))'; expected 'node' or 'analyst'"
            )
        }
        do {
            try self.init(federation: String(authority), role: role, name: String(segments[1]))
        } catch {
            throw PKIError(.invalidSPIFFEID, "SPIFFE id \(shown): \(error.message)")
        }
    }

    /// The principal's SPIFFE id, `spiffe://<federation>/<role>/<name>`.
    public var spiffeID: String { "spiffe://\(federation)/\(role.rawValue)/\(name)" }

    /// The SPIFFE id of the federation itself (the trust domain), `spiffe://<federation>`.
    public static func trustDomainID(federation: String) -> String { "spiffe://\(federation)" }

    public var description: String { spiffeID }

    /// Checks that `label` is DNS-label-like: 1–63 characters from `a`–`z`, `0`–`9`
    /// and `-`, not starting or ending with `-`. Throws `invalidName` otherwise;
    /// `what` names the label in the message (e.g. "federation id").
    public static func checkLabel(_ label: String, what: String) throws(PKIError) {
        let scalars = label.unicodeScalars
        guard !scalars.isEmpty else {
            throw PKIError(.invalidName, "\(what) is empty; use 1–63 lower-case letters, digits or '-'")
        }
        guard scalars.count <= 63 else {
            throw PKIError(.invalidName, "\(what) has \(scalars.count) characters; at most 63 are allowed")
        }
        for scalar in scalars {
            switch scalar {
            case "a"..."z", "0"..."9", "-":
                continue
            case "A"..."Z":
                throw PKIError(
                    .invalidName,
                    "\(what) '\(printable(label))' contains upper-case '\(scalar)'; use lower-case letters, digits and '-' only"
                )
            default:
                throw PKIError(
                    .invalidName,
                    "\(what) '\(printable(label))' contains '\(printable(String(scalar)))'; use lower-case letters, digits and '-' only"
                )
            }
        }
        if scalars.first == "-" || scalars.last == "-" {
            throw PKIError(.invalidName, "\(what) '\(printable(label))' starts or ends with '-'")
        }
    }
}
