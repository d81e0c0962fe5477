import Crypto
import Foundation
import SwiftASN1
import X509

/// The federation CA: its self-signed certificate and its signing key. Held only by
/// the federation admin; issues every member certificate.
///
/// The CA key is ECDSA P-256 and signs with SHA-256. The CA certificate has
/// basicConstraints CA:true with pathLen 0 (it issues leaves only), key usage
/// keyCertSign and cRLSign, subject `CN=Fedstat <federation> CA`, and the URI subject
/// alternative name `spiffe://<federation>`.
///
/// `description`, `debugDescription` and the reflection mirror leave the private key
/// out, so printing or dumping a `FederationCA` cannot leak it into a log.
public struct FederationCA: Sendable {
    /// The federation id.
    public let federation: String
    /// The CA certificate.
    public let certificate: Certificate
    /// The CA signing key.
    public let privateKey: P256.Signing.PrivateKey
    /// The trust every member derives from this CA.
    public let trust: FederationTrust

    /// Loads an existing CA: checks that `certificate` is a usable CA of `federation`
    /// (see `FederationTrust.init`) and that `privateKey` is its key (`keyMismatch`
    /// otherwise).
    public init(federation: String, certificate: Certificate, privateKey: P256.Signing.PrivateKey) throws(PKIError) {
        let trust = try FederationTrust(federation: federation, caCertificate: certificate)
        guard Inspection.privateKey(privateKey, matches: certificate) else {
            throw PKIError(
                .keyMismatch,
                "the private key is not the key of CA certificate \(identity(of: certificate)); give the CA key file created with it",
                subject: identity(of: certificate)
            )
        }
        self.federation = federation
        self.certificate = certificate
        self.privateKey = privateKey
        self.trust = trust
    }

    /// Creates a new CA for `federation`, valid from `notBefore` to `notAfter` (default:
    /// 10 years after `notBefore`), with a random 128-bit serial number.
    public static func create(
        federation: String,
        privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey(),
        notBefore: Date,
        notAfter: Date? = nil
    ) throws(PKIError) -> FederationCA {
        var generator = SystemRandomNumberGenerator()
        return try create(
            federation: federation,
            privateKey: privateKey,
            notBefore: notBefore,
            notAfter: notAfter,
            using: &generator
        )
    }

    /// As `create(federation:privateKey:notBefore:notAfter:)`, drawing the serial
    /// number from `generator` (for reproducible demos and tests).
    public static func create(
        federation: String,
        privateKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey(),
        notBefore: Date,
        notAfter: Date? = nil,
        using generator: inout some RandomNumberGenerator
    ) throws(PKIError) -> FederationCA {
        try Principal.checkLabel(federation, what: "federation id")
        let (start, end) = try validityPeriod(notBefore: notBefore, notAfter: notAfter, defaultYears: 10)
        let publicKey = Certificate.PublicKey(privateKey.publicKey)
        let serial = randomSerialNumber(using: &generator)
        let certificate = try rethrowing(
            .encodingFailed,
            "cannot create the CA certificate for federation '\(federation)'"
        ) {
            let name = try DistinguishedName {
                CommonName("Fedstat \(federation) CA")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: publicKey)
                SubjectAlternativeNames([.uniformResourceIdentifier(Principal.trustDomainID(federation: federation))])
            }
            return try Certificate(
                version: .v3,
                serialNumber: serial,
                publicKey: publicKey,
                notValidBefore: start,
                notValidAfter: end,
                issuer: name,
                subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
        }
        return try FederationCA(federation: federation, certificate: certificate, privateKey: privateKey)
    }

    // MARK: Issuing

    /// Issues a certificate for `principal` certifying `publicKey`, valid from
    /// `notBefore` to `notAfter` (default: 1 year after `notBefore`), with a random
    /// 128-bit serial number.
    ///
    /// The certificate has subject `CN=<name>`, exactly one URI subject alternative name
    /// (the principal's SPIFFE id) plus, for nodes only, the given `dnsNames` and
    /// `ipAddresses`; basicConstraints CA:false; key usage digitalSignature; extended key
    /// usage serverAuth and clientAuth for a node, clientAuth for an analyst; subject and
    /// authority key identifiers.
    ///
    /// Throws `wrongFederation` for a principal of another federation,
    /// `invalidAlternativeName` for a malformed name or names for an analyst, and
    /// `invalidValidity` for a period that is empty or reaches outside the CA's own
    /// (a certificate must not outlive its issuer).
    public func issue(
        for principal: Principal,
        publicKey: P256.Signing.PublicKey,
        notBefore: Date,
        notAfter: Date? = nil,
        dnsNames: [String] = [],
        ipAddresses: [String] = []
    ) throws(PKIError) -> Certificate {
        var generator = SystemRandomNumberGenerator()
        return try issue(
            for: principal,
            publicKey: publicKey,
            notBefore: notBefore,
            notAfter: notAfter,
            dnsNames: dnsNames,
            ipAddresses: ipAddresses,
            using: &generator
        )
    }

    /// As `issue(for:publicKey:notBefore:notAfter:dnsNames:ipAddresses:)`, drawing the
    /// serial number from `generator`.
    public func issue(
        for principal: Principal,
        publicKey: P256.Signing.PublicKey,
        notBefore: Date,
        notAfter: Date? = nil,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        using generator: inout some RandomNumberGenerator
    ) throws(PKIError) -> Certificate {
        guard principal.federation == federation else {
            throw PKIError(
                .wrongFederation,
                "\(principal) belongs to federation '\(principal.federation)'; this CA issues for '\(federation)' only",
                subject: principal.spiffeID
            )
        }
        let extraNames = try extraAlternativeNames(for: principal, dnsNames: dnsNames, ipAddresses: ipAddresses)
        let (start, end) = try validityPeriod(notBefore: notBefore, notAfter: notAfter, defaultYears: 1)
        guard start >= certificate.notValidBefore, end <= certificate.notValidAfter else {
            throw PKIError(
                .invalidValidity,
                "requested validity \(iso(start)) to \(iso(end)) reaches outside the CA's (\(iso(certificate.notValidBefore)) to \(iso(certificate.notValidAfter))); choose dates inside it, or create a new CA",
                subject: principal.spiffeID
            )
        }
        let subjectKey = Certificate.PublicKey(publicKey)
        let usages: [ExtendedKeyUsage.Usage] = principal.role == .node ? [.serverAuth, .clientAuth] : [.clientAuth]
        let caKeyIdentifier =
            (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
            ?? SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier
        let serial = randomSerialNumber(using: &generator)
        return try rethrowing(
            .encodingFailed,
            "cannot create the certificate for \(principal)",
            subject: principal.spiffeID
        ) {
            let subject = try DistinguishedName {
                CommonName(principal.name)
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectKeyIdentifier(hash: subjectKey)
                AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
                SubjectAlternativeNames([.uniformResourceIdentifier(principal.spiffeID)] + extraNames)
            }
            return try Certificate(
                version: .v3,
                serialNumber: serial,
                publicKey: subjectKey,
                notValidBefore: start,
                notValidAfter: end,
                issuer: certificate.subject,
                subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions,
                issuerPrivateKey: Certificate.PrivateKey(privateKey)
            )
        }
    }

    // MARK: Signing requests

    /// The principal `csr` asks a certificate for, after checking it: the key is
    /// P-256; the signature verifies with that key (proof that the requester holds the
    /// private key, and that nothing was changed in transit); the request carries
    /// exactly one subject alternative name, a SPIFFE id of this federation with a
    /// valid role and name. `fednode federation sign` shows this before signing.
    ///
    /// Throws `unsupportedKey`, `invalidCSRSignature`, `malformedCSR`,
    /// `missingSPIFFEID`, `extraSubjectAlternativeName`, `invalidSPIFFEID` or
    /// `wrongFederation`.
    public func requestedPrincipal(of csr: CertificateSigningRequest) throws(PKIError) -> Principal {
        try SigningRequest.principal(of: csr, federation: federation)
    }

    /// Signs `csr`: checks it with `requestedPrincipal(of:)`, optionally that it asks
    /// for `expectedPrincipal` (`wrongRole`/`wrongName` otherwise), and issues the
    /// certificate for that principal's role with `issue(for:…)`.
    ///
    /// Only the CSR's public key and SPIFFE id are used. Every other requested
    /// extension (basic constraints, key usages, further names) is ignored and the
    /// subject is set to `CN=<name>`: the CA alone decides what a certificate allows,
    /// which defends against a request that asks to become a CA or to add names the
    /// admin did not approve. DNS names and IP addresses for a node are given here by
    /// the admin, not taken from the request.
    public func sign(
        csr: CertificateSigningRequest,
        expectedPrincipal: Principal? = nil,
        notBefore: Date,
        notAfter: Date? = nil,
        dnsNames: [String] = [],
        ipAddresses: [String] = []
    ) throws(PKIError) -> Certificate {
        var generator = SystemRandomNumberGenerator()
        return try sign(
            csr: csr,
            expectedPrincipal: expectedPrincipal,
            notBefore: notBefore,
            notAfter: notAfter,
            dnsNames: dnsNames,
            ipAddresses: ipAddresses,
            using: &generator
        )
    }

    /// As `sign(csr:expectedPrincipal:notBefore:notAfter:dnsNames:ipAddresses:)`,
    /// drawing the serial number from `generator`.
    public func sign(
        csr: CertificateSigningRequest,
        expectedPrincipal: Principal? = nil,
        notBefore: Date,
        notAfter: Date? = nil,
        dnsNames: [String] = [],
        ipAddresses: [String] = [],
        using generator: inout some RandomNumberGenerator
    ) throws(PKIError) -> Certificate {
        let principal = try requestedPrincipal(of: csr)
        if let expected = expectedPrincipal, expected != principal {
            throw PKIError(
                expected.role != principal.role
                    ? .wrongRole : expected.federation != principal.federation ? .wrongFederation : .wrongName,
                "the CSR asks for \(principal), but \(expected) was expected; check that you are signing the right request",
                subject: principal.spiffeID
            )
        }
        guard let publicKey = P256.Signing.PublicKey(csr.publicKey) else {
            preconditionFailure("requestedPrincipal(of:) accepted a CSR whose key is not P-256")
        }
        return try issue(
            for: principal,
            publicKey: publicKey,
            notBefore: notBefore,
            notAfter: notAfter,
            dnsNames: dnsNames,
            ipAddresses: ipAddresses,
            using: &generator
        )
    }
}

extension FederationCA: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "FederationCA(federation: \(federation), certificate SHA-256 \(Inspection.sha256Fingerprint(certificate)), private key: redacted)"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["federation": federation, "certificate": certificate, "privateKey": "redacted"])
    }
}
