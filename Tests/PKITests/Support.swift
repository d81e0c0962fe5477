import Crypto
import Foundation
import PKI
import Testing
import X509

/// The fixed time every test validates at: 2026-01-01T00:00:00Z. Certificates are built
/// around it, so nothing here depends on the clock and nothing expires in CI.
let referenceTime = Date(timeIntervalSince1970: 1_767_225_600)

extension TimeInterval {
    static func days(_ count: Double) -> TimeInterval { count * 86_400 }
}

/// A federation CA created in code for tests: valid from two years before to eight
/// years after the reference time, so leaves can be issued in the past and future.
struct TestFederation {
    let ca: FederationCA
    var trust: FederationTrust { ca.trust }
    var federation: String { ca.federation }

    init(_ federation: String = "city", caKey: P256.Signing.PrivateKey = P256.Signing.PrivateKey()) throws {
        ca = try FederationCA.create(
            federation: federation,
            privateKey: caKey,
            notBefore: referenceTime - .days(730),
            notAfter: referenceTime + .days(2920)
        )
    }

    func principal(_ role: Principal.Role, _ name: String) throws -> Principal {
        try Principal(federation: federation, role: role, name: name)
    }

    /// A fresh key and a certificate for `role`/`name`, valid from a day before the
    /// reference time for a year unless told otherwise.
    func member(
        _ role: Principal.Role,
        _ name: String,
        notBefore: Date = referenceTime - .days(1),
        notAfter: Date? = nil
    ) throws -> (key: P256.Signing.PrivateKey, certificate: Certificate) {
        let key = P256.Signing.PrivateKey()
        let certificate = try ca.issue(
            for: try principal(role, name),
            publicKey: key.publicKey,
            notBefore: notBefore,
            notAfter: notAfter
        )
        return (key, certificate)
    }
}

/// Builds a certificate directly with swift-certificates, bypassing `FederationCA`'s
/// checks: how the tests make the certificates an attacker (or a misbehaving CA)
/// would present.
func forgeCertificate(
    subject: String = "hospital",
    publicKey: P256.Signing.PublicKey,
    issuer: DistinguishedName,
    issuerKey: P256.Signing.PrivateKey,
    notBefore: Date = referenceTime - .days(1),
    notAfter: Date = referenceTime + .days(365),
    isCA: Bool = false,
    keyUsage: KeyUsage = KeyUsage(digitalSignature: true),
    extendedKeyUsage: [ExtendedKeyUsage.Usage] = [.serverAuth, .clientAuth],
    alternativeNames: [GeneralName]? = [.uniformResourceIdentifier("spiffe://city/node/hospital")],
    extraExtensions: [Certificate.Extension] = []
) throws -> Certificate {
    var extensions = Certificate.Extensions()
    try extensions.append(
        BasicConstraints.makeExtension(isCA ? .isCertificateAuthority(maxPathLength: 0) : .notCertificateAuthority)
    )
    try extensions.append(Certificate.Extension(keyUsage, critical: true))
    if !extendedKeyUsage.isEmpty {
        try extensions.append(Certificate.Extension(try ExtendedKeyUsage(extendedKeyUsage), critical: false))
    }
    if let alternativeNames {
        try extensions.append(Certificate.Extension(SubjectAlternativeNames(alternativeNames), critical: false))
    }
    for item in extraExtensions { try extensions.append(item) }
    return try Certificate(
        version: .v3,
        serialNumber: Certificate.SerialNumber(bytes: [0x01, 0x02, 0x03]),
        publicKey: Certificate.PublicKey(publicKey),
        notValidBefore: notBefore,
        notValidAfter: notAfter,
        issuer: issuer,
        subject: try DistinguishedName { CommonName(subject) },
        signatureAlgorithm: .ecdsaWithSHA256,
        extensions: extensions,
        issuerPrivateKey: Certificate.PrivateKey(issuerKey)
    )
}

extension BasicConstraints {
    static func makeExtension(_ value: BasicConstraints) throws -> Certificate.Extension {
        try Certificate.Extension(value, critical: true)
    }
}

/// A CSR built directly with swift-certificates: any subject alternative names and
/// extra requested extensions, signed by `key`.
func forgeSigningRequest(
    key: P256.Signing.PrivateKey,
    alternativeNames: [GeneralName],
    extraExtensions: [Certificate.Extension] = []
) throws -> CertificateSigningRequest {
    var extensions = Certificate.Extensions()
    if !alternativeNames.isEmpty {
        try extensions.append(Certificate.Extension(SubjectAlternativeNames(alternativeNames), critical: false))
    }
    for item in extraExtensions { try extensions.append(item) }
    return try CertificateSigningRequest(
        version: .v1,
        subject: try DistinguishedName { CommonName("requester") },
        privateKey: Certificate.PrivateKey(key),
        attributes: CertificateSigningRequest.Attributes(
            [try CertificateSigningRequest.Attribute(ExtensionRequest(extensions: extensions))]
        ),
        signatureAlgorithm: .ecdsaWithSHA256
    )
}

/// The extended key usages of `certificate`, in order.
func extendedKeyUsages(_ certificate: Certificate) throws -> [ExtendedKeyUsage.Usage] {
    Array(try #require(try certificate.extensions.extendedKeyUsage))
}

/// The subject alternative names of `certificate`, in order.
func alternativeNames(_ certificate: Certificate) throws -> [GeneralName] {
    Array(try #require(try certificate.extensions.subjectAlternativeNames))
}
