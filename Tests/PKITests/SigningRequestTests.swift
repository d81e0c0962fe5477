import Crypto
import Foundation
import PKI
import Testing
import X509

@Suite("Certificate signing requests")
struct SigningRequestTests {
    @Test("a CSR round-trips through PEM and is signed into the right kind of certificate")
    func roundTripAndSign() async throws {
        let city = try TestFederation()
        for (role, name, usages) in [
            (Principal.Role.node, "hospital", [ExtendedKeyUsage.Usage.serverAuth, .clientAuth]),
            (.analyst, "alice", [.clientAuth]),
        ] {
            let principal = try city.principal(role, name)
            let key = P256.Signing.PrivateKey()
            let csr = try SigningRequest.create(for: principal, privateKey: key)
            let pem = try PEM.encode(csr)
            #expect(pem.hasPrefix("-----BEGIN CERTIFICATE REQUEST-----\n"))
            let parsed = try PEM.signingRequest(from: pem)
            #expect(parsed == csr)
            #expect(parsed.subject.description == "CN=\(name)")
            #expect(parsed.publicKey == Certificate.PublicKey(key.publicKey))
            #expect(try city.ca.requestedPrincipal(of: parsed) == principal)

            let certificate = try city.ca.sign(
                csr: parsed,
                expectedPrincipal: principal,
                notBefore: referenceTime - .days(1)
            )
            #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
            #expect(try extendedKeyUsages(certificate) == usages)
            #expect(try alternativeNames(certificate) == [.uniformResourceIdentifier(principal.spiffeID)])
            try city.trust.check(certificate: certificate, privateKey: key, belongsTo: principal, at: referenceTime)
            let peer = try await city.trust.validate(chain: [certificate], presentedAs: .client, at: referenceTime)
            #expect(peer.principal == principal)
        }
    }

    @Test("the admin adds DNS names and IP addresses when signing a node's CSR")
    func signWithExtraNames() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let csr = try SigningRequest.create(for: try city.principal(.node, "hospital"), privateKey: key)
        let certificate = try city.ca.sign(
            csr: csr,
            notBefore: referenceTime,
            dnsNames: ["hospital.example"],
            ipAddresses: ["192.0.2.7"]
        )
        #expect(try alternativeNames(certificate).count == 3)
    }

    @Test("refused: a CSR for another federation")
    func refusesOtherFederation() throws {
        let city = try TestFederation()
        let csr = try SigningRequest.create(
            for: try Principal(federation: "town", role: .node, name: "hospital"),
            privateKey: P256.Signing.PrivateKey()
        )
        let error = try #require(throws: PKIError.self) { try city.ca.sign(csr: csr, notBefore: referenceTime) }
        #expect(error.code == .wrongFederation)
        #expect(error.message.contains("federation 'town', not 'city'"))
    }

    /// Attack: someone on the path (or the requester) takes a CSR signed for one
    /// member and swaps in another member's SPIFFE id, hoping to get that name
    /// certified for a key they hold.
    @Test("refused: a CSR whose identity was altered after signing (signature no longer verifies)")
    func refusesTamperedSignature() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let genuine = try SigningRequest.create(for: try city.principal(.node, "clinic"), privateKey: key)
        let swapped = try SigningRequest.create(
            for: try city.principal(.node, "hospital"),
            privateKey: P256.Signing.PrivateKey()
        )
        let tampered = try CertificateSigningRequest(
            version: .v1,
            subject: swapped.subject,
            publicKey: genuine.publicKey,
            attributes: swapped.attributes,
            signatureAlgorithm: genuine.signatureAlgorithm,
            signature: genuine.signature
        )
        let error = try #require(throws: PKIError.self) { try city.ca.sign(csr: tampered, notBefore: referenceTime) }
        #expect(error.code == .invalidCSRSignature)

        // The same after a trip through PEM, as the admin would receive it.
        let reparsed = try PEM.signingRequest(from: try PEM.encode(tampered))
        let again = try #require(throws: PKIError.self) { try city.ca.requestedPrincipal(of: reparsed) }
        #expect(again.code == .invalidCSRSignature)
    }

    @Test("refused: a CSR with two SPIFFE ids, or a DNS name beside its SPIFFE id")
    func refusesMultipleNames() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let twoIDs = try forgeSigningRequest(
            key: key,
            alternativeNames: [
                .uniformResourceIdentifier("spiffe://city/node/hospital"),
                .uniformResourceIdentifier("spiffe://city/node/clinic"),
            ]
        )
        let error = try #require(throws: PKIError.self) { try city.ca.sign(csr: twoIDs, notBefore: referenceTime) }
        #expect(error.code == .extraSubjectAlternativeName)
        #expect(error.message.contains("2 subject alternative names"))

        let withDNS = try forgeSigningRequest(
            key: key,
            alternativeNames: [.uniformResourceIdentifier("spiffe://city/node/hospital"), .dnsName("evil.example")]
        )
        let dnsError = try #require(throws: PKIError.self) { try city.ca.sign(csr: withDNS, notBefore: referenceTime) }
        #expect(dnsError.code == .extraSubjectAlternativeName)
    }

    @Test(
        "refused: CSRs with a missing or malformed SPIFFE id",
        arguments: [
            ([GeneralName](), PKIError.Code.missingSPIFFEID),
            ([.dnsName("hospital.example")], .missingSPIFFEID),
            ([.uniformResourceIdentifier("https://city/node/hospital")], .invalidSPIFFEID),
            ([.uniformResourceIdentifier("spiffe://city/admin/root")], .invalidSPIFFEID),
            ([.uniformResourceIdentifier("spiffe://city/node/hospital?x")], .invalidSPIFFEID),
            ([.uniformResourceIdentifier("spiffe://city")], .invalidSPIFFEID),
        ]
    )
    func refusesMalformedIdentity(names: [GeneralName], code: PKIError.Code) throws {
        let city = try TestFederation()
        let csr = try forgeSigningRequest(key: P256.Signing.PrivateKey(), alternativeNames: names)
        let error = try #require(throws: PKIError.self) { try city.ca.sign(csr: csr, notBefore: referenceTime) }
        #expect(error.code == code)
    }

    /// Attack: a requester asks for basicConstraints CA:true (and certificate-signing
    /// key usage) to become a sub-CA. The CA sets every extension itself.
    @Test("requested extensions other than the SPIFFE id are ignored: a CSR asking to be a CA gets a leaf")
    func ignoresRequestedCA() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let csr = try forgeSigningRequest(
            key: key,
            alternativeNames: [.uniformResourceIdentifier("spiffe://city/node/hospital")],
            extraExtensions: [
                try Certificate.Extension(BasicConstraints.isCertificateAuthority(maxPathLength: nil), critical: true),
                try Certificate.Extension(KeyUsage(digitalSignature: true, keyCertSign: true), critical: true),
            ]
        )
        let certificate = try city.ca.sign(csr: csr, notBefore: referenceTime)
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try certificate.extensions.keyUsage == KeyUsage(digitalSignature: true))
        #expect(certificate.subject.description == "CN=hospital")
    }

    @Test("refused: a CSR for someone other than the expected principal")
    func refusesUnexpectedPrincipal() throws {
        let city = try TestFederation()
        let csr = try SigningRequest.create(
            for: try city.principal(.analyst, "alice"),
            privateKey: P256.Signing.PrivateKey()
        )
        let role = try #require(throws: PKIError.self) {
            try city.ca.sign(csr: csr, expectedPrincipal: try city.principal(.node, "alice"), notBefore: referenceTime)
        }
        #expect(role.code == .wrongRole)
        let name = try #require(throws: PKIError.self) {
            try city.ca.sign(csr: csr, expectedPrincipal: try city.principal(.analyst, "bob"), notBefore: referenceTime)
        }
        #expect(name.code == .wrongName)
    }

    @Test("refused: a CSR for a key that is not P-256")
    func refusesOtherKeyTypes() throws {
        let city = try TestFederation()
        let key = P384.Signing.PrivateKey()
        let csr = try CertificateSigningRequest(
            version: .v1,
            subject: try DistinguishedName { CommonName("hospital") },
            privateKey: Certificate.PrivateKey(key),
            attributes: CertificateSigningRequest.Attributes(
                [
                    try CertificateSigningRequest.Attribute(
                        ExtensionRequest(
                            extensions: try Certificate.Extensions {
                                SubjectAlternativeNames([.uniformResourceIdentifier("spiffe://city/node/hospital")])
                            }
                        )
                    )
                ]
            ),
            signatureAlgorithm: .ecdsaWithSHA384
        )
        let error = try #require(throws: PKIError.self) { try city.ca.sign(csr: csr, notBefore: referenceTime) }
        #expect(error.code == .unsupportedKey)
        #expect(error.message.contains("ECDSA P-384"))
    }
}
