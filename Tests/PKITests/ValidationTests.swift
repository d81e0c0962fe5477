import Crypto
import Foundation
import PKI
import Testing
import X509

@Suite("Validating presented chains")
struct ValidationTests {
    @Test("a node's chain is accepted as server and client, with or without the CA appended")
    func acceptsNode() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.node, "hospital")
        for chain in [[leaf], [leaf, city.ca.certificate]] {
            for side in [TLSSide.server, .client] {
                let peer = try await city.trust.validate(chain: chain, presentedAs: side, at: referenceTime)
                #expect(peer.principal == (try city.principal(.node, "hospital")))
                #expect(Array(peer.chain) == [leaf, city.ca.certificate])
            }
        }
        let expected = try await city.trust.validate(
            chain: [leaf],
            presentedAs: .server,
            at: referenceTime,
            expectedRole: .node,
            expectedName: "hospital"
        )
        #expect(expected.principal.name == "hospital")
    }

    @Test("an analyst's chain is accepted as a client")
    func acceptsAnalyst() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.analyst, "alice")
        let peer = try await city.trust.validate(
            chain: [leaf],
            presentedAs: .client,
            at: referenceTime,
            expectedRole: .analyst
        )
        #expect(peer.principal.spiffeID == "spiffe://city/analyst/alice")
    }

    @Test("validity is inclusive at both ends")
    func validityBoundaries() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(
            .node,
            "hospital",
            notBefore: referenceTime,
            notAfter: referenceTime + .days(30)
        )
        _ = try await city.trust.validate(chain: [leaf], presentedAs: .server, at: referenceTime)
        _ = try await city.trust.validate(chain: [leaf], presentedAs: .server, at: referenceTime + .days(30))
        let after = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .server, at: referenceTime + .days(30) + 1)
        }
        #expect(after.code == .expired)
    }

    /// Attack: someone creates their own CA with the same name (and SPIFFE id) as the
    /// federation's and issues themselves a certificate for a real member's identity.
    @Test("refused: a certificate from a look-alike CA with the same name")
    func refusesLookAlikeCA() async throws {
        let city = try TestFederation()
        let impostor = try TestFederation("city")
        #expect(impostor.ca.certificate.subject == city.ca.certificate.subject)
        let (_, leaf) = try impostor.member(.node, "hospital")
        for chain in [[leaf], [leaf, impostor.ca.certificate]] {
            let error = try await #require(throws: PKIError.self) {
                try await city.trust.validate(chain: chain, presentedAs: .server, at: referenceTime)
            }
            #expect(error.code == .untrustedIssuer)
            #expect(error.message.contains("different CA with the same name"))
        }
    }

    @Test("refused: a certificate from another federation's CA")
    func refusesOtherCA() async throws {
        let city = try TestFederation()
        let town = try TestFederation("town")
        let (_, leaf) = try town.member(.node, "hospital")
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf, town.ca.certificate], presentedAs: .client, at: referenceTime)
        }
        #expect(error.code == .untrustedIssuer)
        #expect(error.message.contains("CN=Fedstat town CA"))
    }

    @Test("refused: an expired certificate, with its end date and what to do")
    func refusesExpired() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(
            .node,
            "hospital",
            notBefore: referenceTime - .days(400),
            notAfter: referenceTime - .days(35)
        )
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .server, at: referenceTime)
        }
        #expect(error.code == .expired)
        #expect(
            error.message
                == "certificate of spiffe://city/node/hospital expired on 2025-11-27T00:00:00Z (checked at 2026-01-01T00:00:00Z); issue a new one with `fednode federation sign`"
        )
        #expect(error.subject == "spiffe://city/node/hospital")
    }

    @Test("refused: a certificate that is not yet valid, with its start date")
    func refusesNotYetValid() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.analyst, "alice", notBefore: referenceTime + .days(10))
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .client, at: referenceTime)
        }
        #expect(error.code == .notYetValid)
        #expect(error.message.contains("not valid before 2026-01-11T00:00:00Z"))
    }

    @Test("refused: everything once the CA itself has expired")
    func refusesAfterCAExpiry() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.node, "hospital")
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(
                chain: [leaf],
                presentedAs: .server,
                at: city.ca.certificate.notValidAfter + 1
            )
        }
        #expect(error.code == .expired)
        #expect(error.message.contains("federation CA certificate"))
    }

    /// A certificate our CA signed, but naming another federation: only a CA that
    /// misissued (or a bug) produces one; validation must still refuse it.
    @Test("refused: a SPIFFE id of another federation, even when signed by our CA")
    func refusesWrongFederation() async throws {
        let city = try TestFederation()
        let leaf = try forgeCertificate(
            publicKey: P256.Signing.PrivateKey().publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            alternativeNames: [.uniformResourceIdentifier("spiffe://town/node/hospital")]
        )
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .client, at: referenceTime)
        }
        #expect(error.code == .wrongFederation)
        #expect(error.message.contains("federation 'town', not 'city'"))
    }

    @Test("refused: an analyst where a node is required, and an analyst acting as a server")
    func refusesAnalystAsNode() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.analyst, "alice")
        let asClient = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .client, at: referenceTime, expectedRole: .node)
        }
        #expect(asClient.code == .wrongRole)
        #expect(asClient.message.contains("expected a node certificate but spiffe://city/analyst/alice is an analyst"))

        let asServer = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .server, at: referenceTime)
        }
        #expect(asServer.code == .wrongRole)
    }

    @Test("refused: a node certificate with another name than the expected principal's")
    func refusesWrongName() async throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.node, "clinic")
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(
                chain: [leaf],
                presentedAs: .server,
                at: referenceTime,
                expectedRole: .node,
                expectedName: "hospital"
            )
        }
        #expect(error.code == .wrongName)
        #expect(error.message.contains("expected node 'hospital' but the certificate is spiffe://city/node/clinic"))
    }

    @Test("refused: a certificate without a SPIFFE id, or with a second one")
    func refusesMissingOrExtraSPIFFEID() async throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let cases: [([GeneralName]?, PKIError.Code)] = [
            (nil, .missingSPIFFEID),
            ([.dnsName("hospital.example")], .missingSPIFFEID),
            (
                [
                    .uniformResourceIdentifier("spiffe://city/node/hospital"),
                    .uniformResourceIdentifier("spiffe://city/node/clinic"),
                ],
                .extraSubjectAlternativeName
            ),
            (
                [.uniformResourceIdentifier("spiffe://city/node/hospital"), .rfc822Name("ops@hospital.example")],
                .extraSubjectAlternativeName
            ),
            ([.uniformResourceIdentifier("spiffe://city/node/Hospital")], .invalidSPIFFEID),
        ]
        for (names, code) in cases {
            let leaf = try forgeCertificate(
                publicKey: key.publicKey,
                issuer: city.ca.certificate.subject,
                issuerKey: city.ca.privateKey,
                alternativeNames: names
            )
            let error = try await #require(throws: PKIError.self) {
                try await city.trust.validate(chain: [leaf], presentedAs: .client, at: referenceTime)
            }
            #expect(error.code == code, "names: \(String(describing: names))")
        }
    }

    /// Attack: a CA:true certificate accepted as a member identity could be used to
    /// mint further identities; neither one signed by our CA nor the CA itself is a
    /// valid leaf.
    @Test("refused: a CA:true certificate used as a leaf, including the federation CA itself")
    func refusesCAAsLeaf() async throws {
        let city = try TestFederation()
        let subCA = try forgeCertificate(
            publicKey: P256.Signing.PrivateKey().publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            isCA: true
        )
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [subCA], presentedAs: .server, at: referenceTime)
        }
        #expect(error.code == .notALeaf)

        let itself = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [city.ca.certificate], presentedAs: .client, at: referenceTime)
        }
        #expect(itself.code == .notALeaf)
    }

    /// Attack: a member uses its own (valid, CA:false) certificate's key to sign a
    /// certificate for another member's identity and presents the two as a chain.
    @Test("refused: a leaf signed by another leaf")
    func refusesLeafSignedByLeaf() async throws {
        let city = try TestFederation()
        let (memberKey, memberCertificate) = try city.member(.node, "clinic")
        let forged = try forgeCertificate(
            publicKey: P256.Signing.PrivateKey().publicKey,
            issuer: memberCertificate.subject,
            issuerKey: memberKey,
            alternativeNames: [.uniformResourceIdentifier("spiffe://city/node/hospital")]
        )
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(
                chain: [forged, memberCertificate, city.ca.certificate],
                presentedAs: .server,
                at: referenceTime
            )
        }
        #expect(error.code == .untrustedIssuer)
        #expect(error.message.contains("issued by 'CN=clinic', not by the federation CA"))
    }

    @Test("refused: key usages a role or side needs are missing, or a leaf may sign certificates")
    func refusesWrongKeyUsage() async throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let clientOnlyNode = try forgeCertificate(
            publicKey: key.publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            extendedKeyUsage: [.clientAuth]
        )
        let asServer = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [clientOnlyNode], presentedAs: .server, at: referenceTime)
        }
        #expect(asServer.code == .wrongKeyUsage)
        #expect(asServer.message.contains("lacks extended key usage serverAuth"))
        // The same certificate is fine as a client.
        _ = try await city.trust.validate(chain: [clientOnlyNode], presentedAs: .client, at: referenceTime)

        let certSigning = try forgeCertificate(
            publicKey: key.publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            keyUsage: KeyUsage(digitalSignature: true, keyCertSign: true)
        )
        let signing = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [certSigning], presentedAs: .client, at: referenceTime)
        }
        #expect(signing.code == .wrongKeyUsage)

        let noEKU = try forgeCertificate(
            publicKey: key.publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            extendedKeyUsage: []
        )
        let missing = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [noEKU], presentedAs: .client, at: referenceTime)
        }
        #expect(missing.code == .wrongKeyUsage)
    }

    /// Shows that acceptance is decided by swift-certificates' `Verifier`, not only by
    /// the checks that explain refusals: a critical extension nobody understands
    /// passes every specific check but must still be refused (RFC 5280 §4.2).
    @Test("refused: a leaf with an unknown critical extension, by the verifier itself")
    func refusesUnknownCriticalExtension() async throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let leaf = try forgeCertificate(
            publicKey: key.publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            extraExtensions: [
                Certificate.Extension(oid: [1, 3, 6, 1, 4, 1, 55555, 1], critical: true, value: [0x05, 0x00])
            ]
        )
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .client, at: referenceTime)
        }
        #expect(error.code == .chainRejected)
        #expect(error.message.contains("certificate spiffe://city/node/hospital has a critical extension"))
        #expect(error.message.contains("1.3.6.1.4.1.55555.1"))
    }

    @Test("refused: an empty chain")
    func refusesEmptyChain() async throws {
        let city = try TestFederation()
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [], presentedAs: .client, at: referenceTime)
        }
        #expect(error.code == .emptyChain)
    }

    /// Attack: a SPIFFE id with a newline, quoted verbatim, would forge a line in the
    /// node's log.
    @Test("text from a refused certificate is escaped in the error")
    func escapesUntrustedText() async throws {
        let city = try TestFederation()
        let leaf = try forgeCertificate(
            publicKey: P256.Signing.PrivateKey().publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            alternativeNames: [.uniformResourceIdentifier("spiffe://city/node/a\nINFO accepted spiffe://city/node/b")]
        )
        let error = try await #require(throws: PKIError.self) {
            try await city.trust.validate(chain: [leaf], presentedAs: .client, at: referenceTime)
        }
        #expect(error.code == .invalidSPIFFEID)
        #expect(!error.message.contains("\n"))
        #expect(!(error.subject ?? "").contains("\n"))
    }
}

@Suite("Startup check of a node's own certificate and key")
struct StartupCheckTests {
    @Test("a certificate with its own key, for its principal, at a valid time passes")
    func accepts() throws {
        let city = try TestFederation()
        let (key, certificate) = try city.member(.node, "hospital")
        try city.trust.check(
            certificate: certificate,
            privateKey: key,
            belongsTo: try city.principal(.node, "hospital"),
            at: referenceTime
        )
        #expect(Inspection.privateKey(key, matches: certificate))
    }

    @Test("another key is refused as not matching")
    func refusesOtherKey() throws {
        let city = try TestFederation()
        let (_, certificate) = try city.member(.node, "hospital")
        let otherKey = P256.Signing.PrivateKey()
        #expect(!Inspection.privateKey(otherKey, matches: certificate))
        let error = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: certificate,
                privateKey: otherKey,
                belongsTo: try city.principal(.node, "hospital"),
                at: referenceTime
            )
        }
        #expect(error.code == .keyMismatch)
    }

    @Test("a certificate for another principal, from another CA, or expired is refused")
    func refusesOthers() throws {
        let city = try TestFederation()
        let (key, certificate) = try city.member(.node, "hospital")

        let otherName = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: certificate,
                privateKey: key,
                belongsTo: try city.principal(.node, "clinic"),
                at: referenceTime
            )
        }
        #expect(otherName.code == .wrongName)

        let otherRole = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: certificate,
                privateKey: key,
                belongsTo: try city.principal(.analyst, "hospital"),
                at: referenceTime
            )
        }
        #expect(otherRole.code == .wrongRole)

        let otherFederation = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: certificate,
                privateKey: key,
                belongsTo: try Principal(federation: "town", role: .node, name: "hospital"),
                at: referenceTime
            )
        }
        #expect(otherFederation.code == .wrongFederation)

        let expired = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: certificate,
                privateKey: key,
                belongsTo: try city.principal(.node, "hospital"),
                at: certificate.notValidAfter + 1
            )
        }
        #expect(expired.code == .expired)

        let impostor = try TestFederation("city")
        let (impostorKey, impostorCertificate) = try impostor.member(.node, "hospital")
        let untrusted = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: impostorCertificate,
                privateKey: impostorKey,
                belongsTo: try city.principal(.node, "hospital"),
                at: referenceTime
            )
        }
        #expect(untrusted.code == .untrustedIssuer)
    }

    @Test("a node certificate must allow both serverAuth and clientAuth at startup")
    func requiresBothUsagesForNodes() throws {
        let city = try TestFederation()
        let key = P256.Signing.PrivateKey()
        let clientOnly = try forgeCertificate(
            publicKey: key.publicKey,
            issuer: city.ca.certificate.subject,
            issuerKey: city.ca.privateKey,
            extendedKeyUsage: [.clientAuth]
        )
        let error = try #require(throws: PKIError.self) {
            try city.trust.check(
                certificate: clientOnly,
                privateKey: key,
                belongsTo: try city.principal(.node, "hospital"),
                at: referenceTime
            )
        }
        #expect(error.code == .wrongKeyUsage)
    }
}
