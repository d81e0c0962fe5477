import Crypto
import Foundation
import PKI
import TestSupport
import Testing
import X509

@Suite("Federation CA and issuance")
struct CATests {
    @Test("a new CA is a P-256, SHA-256, pathLen-0 CA named after its federation, valid 10 years by default")
    func createsCA() throws {
        let key = P256.Signing.PrivateKey()
        let ca = try FederationCA.create(federation: "city", privateKey: key, notBefore: referenceTime)
        let certificate = ca.certificate

        #expect(certificate.subject == certificate.issuer)
        #expect(certificate.subject.description == "CN=Fedstat city CA")
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(certificate.notValidBefore == referenceTime)
        // 2026-01-01 + 10 years = 2036-01-01T00:00:00Z.
        #expect(certificate.notValidAfter == Date(timeIntervalSince1970: 2_082_758_400))
        #expect(try certificate.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        let keyUsage = try #require(try certificate.extensions.keyUsage)
        #expect(keyUsage == KeyUsage(keyCertSign: true, cRLSign: true))
        #expect(certificate.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        #expect(try alternativeNames(certificate) == [.uniformResourceIdentifier("spiffe://city")])
        #expect(try certificate.extensions.subjectKeyIdentifier != nil)
        // A random 128-bit serial: at most 16 bytes plus a sign byte, and two CAs differ.
        #expect(certificate.serialNumber.bytes.count <= 17 && certificate.serialNumber.bytes.count >= 8)
        let other = try FederationCA.create(federation: "city", privateKey: key, notBefore: referenceTime)
        #expect(other.certificate.serialNumber != certificate.serialNumber)
    }

    @Test("the CA round-trips through PEM and reloads; a wrong key is refused")
    func caRoundTrip() throws {
        let city = try TestFederation()
        let certificatePEM = try PEM.encode(city.ca.certificate)
        let keyPEM = PEM.encode(city.ca.privateKey)
        #expect(certificatePEM.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
        #expect(keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))

        let reloaded = try FederationCA(
            federation: "city",
            certificate: try PEM.certificate(from: certificatePEM),
            privateKey: try PEM.privateKey(from: keyPEM)
        )
        #expect(reloaded.certificate == city.ca.certificate)
        #expect(reloaded.privateKey.rawRepresentation == city.ca.privateKey.rawRepresentation)

        // The reloaded CA issues certificates the original's trust accepts.
        let key = P256.Signing.PrivateKey()
        let leaf = try reloaded.issue(
            for: try city.principal(.node, "hospital"),
            publicKey: key.publicKey,
            notBefore: referenceTime - .days(1)
        )
        try city.trust.check(
            certificate: leaf,
            privateKey: key,
            belongsTo: try city.principal(.node, "hospital"),
            at: referenceTime
        )

        let wrongKey = try #require(throws: PKIError.self) {
            try FederationCA(
                federation: "city",
                certificate: city.ca.certificate,
                privateKey: P256.Signing.PrivateKey()
            )
        }
        #expect(wrongKey.code == .keyMismatch)

        let wrongFederation = try #require(throws: PKIError.self) {
            try FederationCA(federation: "town", certificate: city.ca.certificate, privateKey: city.ca.privateKey)
        }
        #expect(wrongFederation.code == .wrongFederation)
    }

    @Test("a leaf certificate cannot be loaded as the federation CA")
    func refusesLeafAsCA() throws {
        let city = try TestFederation()
        let member = try city.member(.node, "hospital")
        let error = try #require(throws: PKIError.self) {
            try FederationTrust(federation: "city", caCertificate: member.certificate)
        }
        #expect(error.code == .invalidCA)
    }

    @Test("CA creation refuses a bad federation id and an empty validity period")
    func refusesBadCAParameters() throws {
        let badName = try #require(throws: PKIError.self) {
            try FederationCA.create(federation: "City", notBefore: referenceTime)
        }
        #expect(badName.code == .invalidName)
        let reversed = try #require(throws: PKIError.self) {
            try FederationCA.create(federation: "city", notBefore: referenceTime, notAfter: referenceTime - 1)
        }
        #expect(reversed.code == .invalidValidity)
    }

    @Test("a node certificate: serverAuth+clientAuth, one SPIFFE SAN, CA:false, digitalSignature, key ids")
    func issuesNodeCertificate() throws {
        let city = try TestFederation()
        let (key, certificate) = try city.member(.node, "hospital")

        #expect(certificate.subject.description == "CN=hospital")
        #expect(certificate.issuer == city.ca.certificate.subject)
        #expect(certificate.publicKey == Certificate.PublicKey(key.publicKey))
        #expect(certificate.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(try extendedKeyUsages(certificate) == [.serverAuth, .clientAuth])
        #expect(try alternativeNames(certificate) == [.uniformResourceIdentifier("spiffe://city/node/hospital")])
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try certificate.extensions.keyUsage == KeyUsage(digitalSignature: true))
        let authorityKey = try #require(try certificate.extensions.authorityKeyIdentifier?.keyIdentifier)
        #expect(authorityKey == (try city.ca.certificate.extensions.subjectKeyIdentifier)?.keyIdentifier)
        #expect(try certificate.extensions.subjectKeyIdentifier == SubjectKeyIdentifier(hash: certificate.publicKey))
        // Default validity: one year from notBefore.
        #expect(certificate.notValidBefore == referenceTime - .days(1))
        #expect(certificate.notValidAfter == referenceTime + .days(364))
        #expect(city.ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate))
    }

    @Test("an analyst certificate allows clientAuth only")
    func issuesAnalystCertificate() throws {
        let city = try TestFederation()
        let (_, certificate) = try city.member(.analyst, "alice")
        #expect(try extendedKeyUsages(certificate) == [.clientAuth])
        #expect(try alternativeNames(certificate) == [.uniformResourceIdentifier("spiffe://city/analyst/alice")])
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)
        #expect(certificate.subject.description == "CN=alice")
    }

    @Test("nodes may carry extra DNS names and IP addresses; analysts may not; bad ones are refused")
    func extraNames() async throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let certificate = try city.ca.issue(
            for: try city.principal(.node, "hospital"),
            publicKey: key.publicKey,
            notBefore: referenceTime - .days(1),
            dnsNames: ["hospital.city.example"],
            ipAddresses: ["10.0.0.5", "::1"]
        )
        let names = try alternativeNames(certificate)
        #expect(names.count == 4)
        #expect(names[0] == .uniformResourceIdentifier("spiffe://city/node/hospital"))
        #expect(names[1] == .dnsName("hospital.city.example"))
        #expect(Inspection.describe(certificate).contains("IP:10.0.0.5, IP:::1"))
        // Still a valid federation certificate.
        let peer = try await city.trust.validate(chain: [certificate], presentedAs: .server, at: referenceTime)
        #expect(peer.principal.name == "hospital")

        let analyst = try #require(throws: PKIError.self) {
            try city.ca.issue(
                for: try city.principal(.analyst, "alice"),
                publicKey: key.publicKey,
                notBefore: referenceTime,
                dnsNames: ["alice.example"]
            )
        }
        #expect(analyst.code == .invalidAlternativeName)
        for (dns, ip) in [
            ("*.city.example", "10.0.0.1"), ("ok.example", "10.0.0.256"), ("under_score.example", "1.2.3.4"),
        ] {
            let error = try #require(throws: PKIError.self) {
                try city.ca.issue(
                    for: try city.principal(.node, "hospital"),
                    publicKey: key.publicKey,
                    notBefore: referenceTime,
                    dnsNames: [dns],
                    ipAddresses: [ip]
                )
            }
            #expect(error.code == .invalidAlternativeName)
        }
    }

    @Test("the CA refuses principals of another federation and validity outside its own")
    func refusesOutOfScopeIssuance() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let foreign = try #require(throws: PKIError.self) {
            try city.ca.issue(
                for: try Principal(federation: "town", role: .node, name: "hospital"),
                publicKey: key.publicKey,
                notBefore: referenceTime
            )
        }
        #expect(foreign.code == .wrongFederation)

        let outlives = try #require(throws: PKIError.self) {
            try city.ca.issue(
                for: try city.principal(.node, "hospital"),
                publicKey: key.publicKey,
                notBefore: referenceTime,
                notAfter: city.ca.certificate.notValidAfter + 1
            )
        }
        #expect(outlives.code == .invalidValidity)
        #expect(outlives.message.contains("2033-12-30T00:00:00Z"), "names the CA's end: \(outlives.message)")

        let predates = try #require(throws: PKIError.self) {
            try city.ca.issue(
                for: try city.principal(.node, "hospital"),
                publicKey: key.publicKey,
                notBefore: city.ca.certificate.notValidBefore - 1
            )
        }
        #expect(predates.code == .invalidValidity)
    }

    @Test("serial numbers come from the generator passed in")
    func seededSerials() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let principal = try city.principal(.node, "hospital")
        var first = FixedGenerator()
        var second = FixedGenerator()
        let a = try city.ca.issue(for: principal, publicKey: key.publicKey, notBefore: referenceTime, using: &first)
        let b = try city.ca.issue(for: principal, publicKey: key.publicKey, notBefore: referenceTime, using: &second)
        let c = try city.ca.issue(for: principal, publicKey: key.publicKey, notBefore: referenceTime, using: &first)
        #expect(a.serialNumber == b.serialNumber)
        #expect(a.serialNumber != c.serialNumber)
    }

    @Test("printing or dumping the CA never shows its private key")
    func caDescriptionRedactsKey() throws {
        let city = try TestFederation()
        let keyPEM = PEM.encode(city.ca.privateKey)
        let keyBody = keyPEM.split(separator: "\n")[1]
        let rawHex = city.ca.privateKey.rawRepresentation.map { String(format: "%02x", $0) }.joined()
        var dumped = ""
        dump(city.ca, to: &dumped)
        for text in [city.ca.description, String(reflecting: city.ca), "\(city.ca)", dumped] {
            #expect(text.contains("redacted"))
            #expect(!text.contains(keyBody))
            #expect(!text.lowercased().contains(rawHex))
            #expect(!text.contains("PRIVATE KEY"))
        }
    }
}

/// A deterministic generator: SplitMix64 from seed 0.
typealias FixedGenerator = SplitMix64
