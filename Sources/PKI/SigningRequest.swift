import Crypto
import SwiftASN1
import X509

/// PKCS#10 certificate signing requests between a member (who holds its private key)
/// and the federation admin (who signs with `FederationCA.sign(csr:…)`).
public enum SigningRequest {
    /// A CSR for `principal`, signed with `privateKey` (ECDSA P-256, SHA-256): subject
    /// `CN=<name>` and, in an extensionRequest attribute, one URI subject alternative
    /// name, the principal's SPIFFE id.
    public static func create(
        for principal: Principal,
        privateKey: P256.Signing.PrivateKey
    ) throws(PKIError) -> CertificateSigningRequest {
        try rethrowing(.encodingFailed, "cannot create a CSR for \(principal)", subject: principal.spiffeID) {
            let extensions = try Certificate.Extensions {
                SubjectAlternativeNames([.uniformResourceIdentifier(principal.spiffeID)])
            }
            let attributes = CertificateSigningRequest.Attributes(
                [try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))]
            )
            return try CertificateSigningRequest(
                version: .v1,
                subject: try DistinguishedName { CommonName(principal.name) },
                privateKey: Certificate.PrivateKey(privateKey),
                attributes: attributes,
                signatureAlgorithm: .ecdsaWithSHA256
            )
        }
    }

    /// The principal `csr` asks for; see `FederationCA.requestedPrincipal(of:)`.
    static func principal(of csr: CertificateSigningRequest, federation: String) throws(PKIError) -> Principal {
        let who = identity(of: csr)
        let advice = "ask the requester for a new CSR made with its own key and identity"
        guard P256.Signing.PublicKey(csr.publicKey) != nil else {
            throw PKIError(
                .unsupportedKey,
                "the CSR of \(who) has a \(keyKind(csr.publicKey)) key; federation certificates certify ECDSA P-256 keys only",
                subject: who
            )
        }
        // The signature proves the requester holds the private key and that the
        // requested identity was not changed after signing (e.g. a SPIFFE id swapped
        // in transit to get another member's name certified for the requester's key).
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw PKIError(
                .invalidCSRSignature,
                "the CSR of \(who) has a signature that does not verify with its own public key: it was altered after signing or is corrupt; \(advice)",
                subject: who
            )
        }
        let requests = csr.attributes.filter { $0.oid == .CSRAttributes.extensionRequest }
        guard requests.count <= 1 else {
            throw PKIError(
                .malformedCSR,
                "the CSR of \(who) has \(requests.count) extensionRequest attributes; at most one is allowed; \(advice)",
                subject: who
            )
        }
        let extensionRequest = try rethrowing(
            .malformedCSR,
            "cannot parse the extensionRequest of the CSR of \(who)",
            subject: who
        ) {
            try csr.attributes.extensionRequest
        }
        let names = try rethrowing(
            .malformedCSR,
            "cannot parse the subject alternative names requested by \(who)",
            subject: who
        ) {
            try extensionRequest?.extensions.subjectAlternativeNames
        }
        let requested = Array(names ?? SubjectAlternativeNames())
        guard requested.count <= 1 else {
            throw PKIError(
                .extraSubjectAlternativeName,
                "the CSR of \(who) asks for \(requested.count) subject alternative names (\(requested.map(describe).joined(separator: ", "))); a CSR carries exactly one, its SPIFFE id (the admin adds DNS names or IP addresses when signing); \(advice)",
                subject: who
            )
        }
        return try LeafRules.principal(
            in: requested,
            of: "the CSR of \(who)",
            federation: federation,
            who: who,
            advice: advice,
            extrasAllowedForNodes: false
        )
    }

    /// How a CSR is named in messages: its first requested URI if it has one
    /// (escaped), otherwise its subject.
    static func identity(of csr: CertificateSigningRequest) -> String {
        if let names = try? csr.attributes.extensionRequest?.extensions.subjectAlternativeNames {
            for name in names {
                if case .uniformResourceIdentifier(let uri) = name { return printable(uri) }
            }
        }
        return "'\(printable(csr.subject.description))'"
    }
}

/// A short name for the algorithm of `key`, e.g. "ECDSA P-256" or "RSA-2048".
func keyKind(_ key: Certificate.PublicKey) -> String {
    switch key.description {
    case "P256.PublicKey": return "ECDSA P-256"
    case "P384.PublicKey": return "ECDSA P-384"
    case "P521.PublicKey": return "ECDSA P-521"
    case "Ed25519.PublicKey": return "Ed25519"
    case let other:
        // "RSA2048.PublicKey" and whatever later versions add.
        let name = other.hasSuffix(".PublicKey") ? String(other.dropLast(".PublicKey".count)) : other
        return name.hasPrefix("RSA") ? "RSA-\(name.dropFirst(3))" : name
    }
}
