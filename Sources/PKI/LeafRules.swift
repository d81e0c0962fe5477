import SwiftASN1
import X509

/// Which side of a TLS connection a peer's certificate was presented on.
public enum TLSSide: Sendable, Hashable {
    /// The peer connected to us and authenticated as a TLS client: any principal
    /// with a `clientAuth` certificate.
    case client
    /// We connected to the peer and it authenticated as the TLS server: only nodes
    /// serve, with a `serverAuth` certificate.
    case server
}

/// The federation's rules for a leaf certificate, apart from who signed it and when
/// it is valid: it is not a CA; it carries exactly one URI subject alternative name,
/// a SPIFFE id of this federation (nodes may add DNS names and IP addresses, nothing
/// else); its key usage is `digitalSignature` without certificate or CRL signing; its
/// extended key usage covers `requiredUsages`; and it names the expected principal.
///
/// One definition serves the `VerifierPolicy` that decides acceptance and the
/// diagnosis that explains a refusal, so the two cannot drift apart.
struct LeafRules: Sendable {
    var federation: String
    /// The TLS side the certificate is used on; `.server` requires a node.
    var side: TLSSide?
    /// Extended key usages the certificate must list.
    var requiredUsages: [ExtendedKeyUsage.Usage]
    var expectedRole: Principal.Role?
    var expectedName: String?
    /// What to do about a refused certificate, appended to messages.
    var advice: String

    /// The principal `leaf` identifies if it meets the rules, else the first rule it breaks.
    func evaluate(_ leaf: Certificate) -> Result<Principal, PKIError> {
        do throws(PKIError) {
            return .success(try check(leaf))
        } catch {
            return .failure(error)
        }
    }

    func check(_ leaf: Certificate) throws(PKIError) -> Principal {
        let who = identity(of: leaf)
        let extensions = leaf.extensions

        // A CA certificate accepted as a peer's identity could mint further
        // identities; only end-entity certificates identify principals.
        let constraints = try rethrowing(
            .malformedCertificate,
            "cannot parse basic constraints of \(who)",
            subject: who
        ) {
            try extensions.basicConstraints
        }
        if case .isCertificateAuthority = constraints {
            throw PKIError(
                .notALeaf,
                "certificate \(who) is a CA certificate (basicConstraints CA:true) and cannot identify a node or analyst; present the certificate issued to you by `fednode federation sign`",
                subject: who
            )
        }

        let principal = try Self.principal(in: leaf, federation: federation, advice: advice)

        if side == .server && principal.role != .node {
            throw PKIError(
                .wrongRole,
                "\(principal) is \(principal.role.withArticle) certificate presented by a TLS server; only nodes serve",
                subject: who
            )
        }
        if let expectedRole, principal.role != expectedRole {
            throw PKIError(
                .wrongRole,
                "expected \(expectedRole.withArticle) certificate but \(principal) is \(principal.role.withArticle) certificate; \(advice)",
                subject: who
            )
        }
        if let expectedName, principal.name != expectedName {
            throw PKIError(
                .wrongName,
                "expected \(expectedRole ?? principal.role) '\(printable(expectedName))' but the certificate is \(principal); check the peer's address or the name you expect",
                subject: who
            )
        }

        guard
            let keyUsage = try rethrowing(
                .malformedCertificate,
                "cannot parse key usage of \(who)",
                subject: who,
                { try extensions.keyUsage }
            )
        else {
            throw PKIError(.wrongKeyUsage, "certificate \(who) has no key usage extension; \(advice)", subject: who)
        }
        guard keyUsage.digitalSignature else {
            throw PKIError(
                .wrongKeyUsage,
                "certificate \(who) does not allow digitalSignature, which TLS 1.3 needs; \(advice)",
                subject: who
            )
        }
        guard !keyUsage.keyCertSign && !keyUsage.cRLSign else {
            throw PKIError(
                .wrongKeyUsage,
                "certificate \(who) allows signing certificates or CRLs, which a leaf must not; \(advice)",
                subject: who
            )
        }

        let extendedKeyUsage = try rethrowing(
            .malformedCertificate,
            "cannot parse extended key usage of \(who)",
            subject: who
        ) {
            try extensions.extendedKeyUsage
        }
        for usage in requiredUsages where !(extendedKeyUsage?.contains(usage) ?? false) {
            let listed = extendedKeyUsage.map { $0.map(Self.name(of:)).joined(separator: ", ") } ?? "none"
            throw PKIError(
                .wrongKeyUsage,
                "certificate \(who) lacks extended key usage \(Self.name(of: usage)) (it lists: \(listed)); \(advice)",
                subject: who
            )
        }
        return principal
    }

    /// The principal named by the single SPIFFE id in `leaf`'s subject alternative
    /// names. Nodes may also carry DNS names and IP addresses; anything else (a second
    /// URI, an e-mail address, a directory name, …) is refused, so that no other
    /// name-matching code can be led to read a different identity from the certificate
    /// than this one did.
    static func principal(in leaf: Certificate, federation: String, advice: String) throws(PKIError) -> Principal {
        let who = identity(of: leaf)
        let names = try rethrowing(
            .malformedCertificate,
            "cannot parse subject alternative names of \(who)",
            subject: who
        ) {
            try leaf.extensions.subjectAlternativeNames
        }
        return try principal(
            in: Array(names ?? SubjectAlternativeNames()),
            of: "certificate \(who)",
            federation: federation,
            who: who,
            advice: advice
        )
    }

    /// The principal named by `names`, the subject alternative names of `item` (a
    /// certificate or a CSR), which must hold exactly one SPIFFE id of `federation`.
    /// `extrasAllowedForNodes` permits DNS names and IP addresses beside it.
    static func principal(
        in names: [GeneralName],
        of item: String,
        federation: String,
        who: String,
        advice: String,
        extrasAllowedForNodes: Bool = true
    ) throws(PKIError) -> Principal {
        let uris = names.compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
        guard let uri = uris.first else {
            throw PKIError(
                .missingSPIFFEID,
                "\(item) has no SPIFFE id (URI subject alternative name)\(names.isEmpty ? "" : "; it names only \(names.map(describe).joined(separator: ", "))"); \(advice)",
                subject: who
            )
        }
        guard uris.count == 1 else {
            throw PKIError(
                .extraSubjectAlternativeName,
                "\(item) carries \(uris.count) URI subject alternative names (\(uris.map { printable($0) }.joined(separator: ", "))); it must carry exactly one, its SPIFFE id; \(advice)",
                subject: who
            )
        }
        let principal: Principal
        do {
            principal = try Principal(spiffeID: uri)
        } catch {
            throw PKIError(
                error.code == .invalidName ? .invalidSPIFFEID : error.code,
                "\(item): \(error.message)",
                subject: who
            )
        }
        guard principal.federation == federation else {
            throw PKIError(
                .wrongFederation,
                "\(item) belongs to federation '\(principal.federation)', not '\(federation)'; \(advice)",
                subject: who
            )
        }
        let extras = names.filter { name in
            if case .uniformResourceIdentifier = name { return false }
            return true
        }
        let extrasAllowed = extrasAllowedForNodes && principal.role == .node
        if let extra = extras.first(where: { name in
            switch name {
            case .dnsName, .ipAddress: return !extrasAllowed
            default: return true
            }
        }) {
            let allowed = extrasAllowed ? "only DNS names and IP addresses may be added" : "nothing may be added"
            throw PKIError(
                .extraSubjectAlternativeName,
                "\(item) carries subject alternative name \(describe(extra)) besides its SPIFFE id (\(allowed)); \(advice)",
                subject: who
            )
        }
        return principal
    }

    static func name(of usage: ExtendedKeyUsage.Usage) -> String {
        switch usage {
        case .serverAuth: return "serverAuth"
        case .clientAuth: return "clientAuth"
        case .codeSigning: return "codeSigning"
        case .emailProtection: return "emailProtection"
        case .timeStamping: return "timeStamping"
        case .ocspSigning: return "ocspSigning"
        case .any: return "anyExtendedKeyUsage"
        default: return String(describing: usage)
        }
    }
}

/// The federation's rules as a swift-certificates `VerifierPolicy`, used beside
/// `RFC5280Policy`: the chain must be exactly the leaf and the federation CA (the CA
/// has pathLen 0, so nothing may sit between them), and the leaf must meet `rules`.
struct FederationPolicy: VerifierPolicy {
    /// Extensions whose criticality this policy honours by checking them: basic
    /// constraints, key usage, extended key usage, subject alternative names.
    var verifyingCriticalExtensions: [ASN1ObjectIdentifier] { Self.understoodCriticalExtensions }

    static let understoodCriticalExtensions: [ASN1ObjectIdentifier] = [
        .X509ExtensionID.basicConstraints,
        .X509ExtensionID.keyUsage,
        .X509ExtensionID.extendedKeyUsage,
        .X509ExtensionID.subjectAlternativeName,
    ]

    let caCertificate: Certificate
    let rules: LeafRules

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        guard chain.count == 2, chain.last == caCertificate else {
            let count = chain.count
            return .failsToMeetPolicy(
                reason:
                    "Fedstat: a chain must be a leaf issued directly by the federation CA; this candidate has \(count) certificate(s)"
            )
        }
        switch rules.evaluate(chain.leaf) {
        case .success:
            return .meetsPolicy
        case .failure(let error):
            let message = error.message
            return .failsToMeetPolicy(reason: "Fedstat: \(message)")
        }
    }
}
