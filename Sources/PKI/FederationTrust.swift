import Crypto
import Foundation
import SwiftASN1
// `RFC5280Policy(validationTime:)` is deprecated in swift-certificates 1.21; the
// fixed-time initialiser that replaces it is behind this SPI. Validation here always
// takes the time as a parameter (the TLS layer passes the handshake's time, tests a
// fixed reference time), so a fixed-time policy is what we need.
@_spi(FixedExpiryValidationTime) import X509

/// A peer whose certificate chain validated: who it is and the chain that proves it.
public struct VerifiedPeer: Sendable, Hashable {
    /// The principal named by the leaf certificate's SPIFFE id.
    public let principal: Principal
    /// The validated chain, leaf first, ending with the federation CA certificate.
    public let chain: ValidatedCertificateChain
}

/// What every node knows about the federation's PKI: its id and CA certificate (both
/// from `federation.yaml`). Decides whether a certificate identifies a member.
///
/// A certificate identifies a member if and only if it is a leaf issued directly by
/// the CA, valid at the time of the check, and meets the federation's leaf rules (one
/// SPIFFE id of this federation, the key usages its role and TLS side need).
public struct FederationTrust: Sendable, Hashable {
    /// The federation id.
    public let federation: String
    /// The federation CA certificate, the single trust anchor.
    public let caCertificate: Certificate

    /// Creates the trust for `federation` anchored at `caCertificate`.
    ///
    /// Throws `invalidName` for a malformed federation id, `invalidCA` unless the
    /// certificate is a self-signed CA allowed to sign certificates, and
    /// `wrongFederation` if its SPIFFE id names another federation.
    public init(federation: String, caCertificate: Certificate) throws(PKIError) {
        try Principal.checkLabel(federation, what: "federation id")
        let who = identity(of: caCertificate)
        let constraints = try rethrowing(
            .malformedCertificate,
            "cannot parse basic constraints of CA \(who)",
            subject: who
        ) {
            try caCertificate.extensions.basicConstraints
        }
        guard case .isCertificateAuthority = constraints else {
            throw PKIError(
                .invalidCA,
                "certificate \(who) is not a CA certificate (no basicConstraints CA:true); give the federation CA certificate",
                subject: who
            )
        }
        let keyUsage = try rethrowing(.malformedCertificate, "cannot parse key usage of CA \(who)", subject: who) {
            try caCertificate.extensions.keyUsage
        }
        guard keyUsage?.keyCertSign ?? false else {
            throw PKIError(
                .invalidCA,
                "CA certificate \(who) does not allow keyCertSign, so it cannot issue certificates",
                subject: who
            )
        }
        guard isIssued(caCertificate, by: caCertificate) else {
            throw PKIError(
                .invalidCA,
                "CA certificate \(who) is not self-signed; the federation CA must be a root",
                subject: who
            )
        }
        let names = try rethrowing(
            .malformedCertificate,
            "cannot parse subject alternative names of CA \(who)",
            subject: who
        ) {
            try caCertificate.extensions.subjectAlternativeNames
        }
        for name in names ?? SubjectAlternativeNames() {
            if case .uniformResourceIdentifier(let uri) = name, uri != Principal.trustDomainID(federation: federation) {
                throw PKIError(
                    .wrongFederation,
                    "CA certificate names \(printable(uri)), not \(Principal.trustDomainID(federation: federation)); it is another federation's CA",
                    subject: who
                )
            }
        }
        self.federation = federation
        self.caCertificate = caCertificate
    }

    /// Validates a chain a peer presented in a TLS handshake at `time`. Only the leaf
    /// (the first certificate) is used; anything after it (often the CA certificate)
    /// is ignored, because every member certificate is issued directly by the CA.
    ///
    /// Acceptance is decided by swift-certificates' `Verifier` with `RFC5280Policy`
    /// (signatures, validity of every certificate, basic constraints and path length,
    /// name constraints) and the federation's own policy (leaf issued directly by the
    /// CA; not a CA; exactly one SPIFFE id of this federation; key usage
    /// `digitalSignature`; extended key usage `clientAuth` for `.client`, `serverAuth`
    /// and role node for `.server`; the expected role and name if given). When it
    /// refuses, the error names the first problem found, in this order: the CA itself
    /// not valid at `time`; the leaf not issued by the CA (a different or look-alike
    /// CA, or a leaf signed by another leaf); the leaf expired or not yet valid (with
    /// the dates); a CA certificate used as a leaf; a missing, extra or malformed SPIFFE
    /// id; another federation; the wrong role; the wrong name; missing key usages.
    ///
    /// - Returns: the principal and the validated chain (leaf, CA).
    public func validate(
        chain: [Certificate],
        presentedAs side: TLSSide,
        at time: Date,
        expectedRole: Principal.Role? = nil,
        expectedName: String? = nil
    ) async throws(PKIError) -> VerifiedPeer {
        guard let leaf = chain.first else {
            throw PKIError(
                .emptyChain,
                "the peer presented no certificate; every member must present its federation certificate"
            )
        }
        let rules = LeafRules(
            federation: federation,
            side: side,
            requiredUsages: side == .server ? [.serverAuth] : [.clientAuth],
            expectedRole: expectedRole,
            expectedName: expectedName,
            advice: "the peer needs a certificate from `fednode federation sign`"
        )
        var verifier = Verifier(rootCertificates: CertificateStore([caCertificate])) {
            RFC5280Policy(fixedExpiryValidationTime: time)
            FederationPolicy(caCertificate: caCertificate, rules: rules)
        }
        // No intermediates: the CA issues leaves directly (pathLen 0), so none is ever
        // needed, and ignoring what the peer sent after its leaf means a peer cannot
        // make the verifier search through certificates of its choosing.
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore())
        switch result {
        case .validCertificate(let validated):
            // The federation policy already accepted this leaf, so the rules hold.
            switch rules.evaluate(validated.leaf) {
            case .success(let principal):
                return VerifiedPeer(principal: principal, chain: validated)
            case .failure(let error):
                preconditionFailure("FederationPolicy accepted a leaf the rules refuse: \(error)")
            }
        case .couldNotValidate(let failures):
            if let error = diagnose(leaf, at: time, rules: rules) {
                throw error
            }
            let who = identity(of: leaf)
            let understood = RFC5280Policy().verifyingCriticalExtensions + FederationPolicy.understoodCriticalExtensions
            if let unknown = leaf.extensions.first(where: { $0.critical && !understood.contains($0.oid) }) {
                throw PKIError(
                    .chainRejected,
                    "certificate \(who) has a critical extension Fedstat does not understand (OID \(unknown.oid)), so it must be refused; the peer needs a certificate from `fednode federation sign`",
                    subject: who
                )
            }
            let reasons = failures.map { printable($0.policyFailureReason.description, limit: 400) }
            throw PKIError(
                .chainRejected,
                "certificate \(who) was refused: "
                    + (reasons.isEmpty
                        ? "no chain to the federation CA could be built" : reasons.joined(separator: "; ")),
                subject: who
            )
        }
    }

    /// The startup check for `fednode check`: does `certificate` (with `privateKey`)
    /// belong to `principal`, chain directly to this federation's CA, and hold at
    /// `time`?
    ///
    /// Checks, in order: `principal` is of this federation; the CA is valid at `time`;
    /// the certificate was issued by the CA; it is valid at `time`; it meets the leaf
    /// rules for `principal` (a node's certificate must allow both `serverAuth` and
    /// `clientAuth`, an analyst's `clientAuth`); `privateKey` is the key the
    /// certificate certifies. Synchronous: the same rules as `validate`, without the
    /// chain-building `Verifier`, which is asynchronous.
    public func check(
        certificate: Certificate,
        privateKey: P256.Signing.PrivateKey,
        belongsTo principal: Principal,
        at time: Date
    ) throws(PKIError) {
        guard principal.federation == federation else {
            throw PKIError(
                .wrongFederation,
                "\(principal) is not a member of federation '\(federation)'; check the name in node.yaml"
            )
        }
        let rules = LeafRules(
            federation: federation,
            side: nil,
            requiredUsages: principal.role == .node ? [.serverAuth, .clientAuth] : [.clientAuth],
            expectedRole: principal.role,
            expectedName: principal.name,
            advice: "get a new certificate for \(principal) with `fednode federation sign`"
        )
        if let error = diagnose(certificate, at: time, rules: rules) {
            throw error
        }
        guard Inspection.privateKey(privateKey, matches: certificate) else {
            throw PKIError(
                .keyMismatch,
                "the private key does not belong to certificate \(identity(of: certificate)); point the configuration (node.yaml or fedquery.yaml) at the key the certificate was issued for",
                subject: identity(of: certificate)
            )
        }
    }

    /// The first reason `leaf` does not identify a member under `rules` at `time`, or
    /// nil. Shared by `validate` (to explain a refusal) and `check`.
    func diagnose(_ leaf: Certificate, at time: Date, rules: LeafRules) -> PKIError? {
        do throws(PKIError) {
            try checkValidity(
                of: caCertificate,
                named: "the federation CA certificate",
                at: time,
                advice: "the federation admin must create a new CA and reissue every certificate"
            )
            guard isIssued(leaf, by: caCertificate) else {
                throw untrustedIssuerError(leaf)
            }
            try checkValidity(
                of: leaf,
                named: "certificate of \(identity(of: leaf))",
                at: time,
                advice: "issue a new one with `fednode federation sign`"
            )
            _ = try rules.check(leaf)
            return nil
        } catch {
            return error
        }
    }

    /// Why `leaf` is not from the CA, distinguishing a look-alike CA (same name,
    /// different key) from a plainly different issuer.
    private func untrustedIssuerError(_ leaf: Certificate) -> PKIError {
        let who = identity(of: leaf)
        let caName = "'\(printable(caCertificate.subject.description))'"
        if leaf.issuer == caCertificate.subject {
            return PKIError(
                .untrustedIssuer,
                "certificate \(who) names the federation CA \(caName) as issuer, but its signature does not verify with the CA's key: it was issued by a different CA with the same name or altered; only certificates from this federation's CA are accepted",
                subject: who
            )
        }
        return PKIError(
            .untrustedIssuer,
            "certificate \(who) was issued by '\(printable(leaf.issuer.description))', not by the federation CA \(caName); members present certificates issued directly by the federation CA",
            subject: who
        )
    }
}
