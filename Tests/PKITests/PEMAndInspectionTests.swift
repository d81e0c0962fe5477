import Crypto
import Foundation
import PKI
import Testing
import X509

@Suite("PEM and inspection")
struct PEMAndInspectionTests {
    @Test("certificates, chains and private keys round-trip through PEM")
    func roundTrips() throws {
        let city = try TestFederation()
        let (key, leaf) = try city.member(.node, "hospital")

        #expect(try PEM.certificate(from: try PEM.encode(leaf)) == leaf)
        let chain = try PEM.encode([leaf, city.ca.certificate])
        #expect(try PEM.certificates(from: chain) == [leaf, city.ca.certificate])

        let keyPEM = PEM.encode(key)
        #expect(keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(keyPEM.hasSuffix("-----END PRIVATE KEY-----\n"))
        #expect(try PEM.privateKey(from: keyPEM).rawRepresentation == key.rawRepresentation)
        // OpenSSL's SEC1 form is read too.
        let sec1 = pemBlock("EC PRIVATE KEY", sec1DER(key))
        #expect(try PEM.privateKey(from: sec1).rawRepresentation == key.rawRepresentation)
    }

    @Test("wrong or malformed PEM is refused without quoting the input")
    func refusesBadPEM() throws {
        let city = try TestFederation()
        let (key, leaf) = try city.member(.node, "hospital")
        let keyPEM = PEM.encode(key)
        let keyBody = String(keyPEM.split(separator: "\n")[1])

        let keyAsCertificate = try #require(throws: PKIError.self) { try PEM.certificate(from: keyPEM) }
        #expect(keyAsCertificate.code == .invalidPEM)
        #expect(!keyAsCertificate.message.contains(keyBody))

        let twoCertificates = try #require(throws: PKIError.self) {
            try PEM.certificate(from: try PEM.encode([leaf, city.ca.certificate]))
        }
        #expect(twoCertificates.code == .invalidPEM)

        let certificateAsKey = try #require(throws: PKIError.self) { try PEM.privateKey(from: try PEM.encode(leaf)) }
        #expect(certificateAsKey.code == .invalidPEM)

        let p384 = P384.Signing.PrivateKey().pemRepresentation
        let wrongCurve = try #require(throws: PKIError.self) { try PEM.privateKey(from: p384) }
        #expect(wrongCurve.code == .unsupportedKey)
        #expect(!wrongCurve.message.contains(String(p384.split(separator: "\n")[1])))

        let corrupt = keyPEM.replacingOccurrences(of: keyBody, with: String(keyBody.reversed()))
        let corruptError = try #require(throws: PKIError.self) { try PEM.privateKey(from: corrupt) }
        #expect(!corruptError.message.contains(String(keyBody.reversed())))

        let empty = try #require(throws: PKIError.self) { try PEM.certificates(from: "no PEM here") }
        #expect(empty.code == .invalidPEM)

        let notACSR = try #require(throws: PKIError.self) { try PEM.signingRequest(from: try PEM.encode(leaf)) }
        #expect(notACSR.code == .invalidPEM)
    }

    @Test("describe shows identity, issuer, serial, validity, usages and fingerprint, and no key material")
    func describesCertificate() throws {
        let city = try TestFederation()
        let (key, leaf) = try city.member(.node, "hospital")
        let text = Inspection.describe(leaf, at: referenceTime)

        #expect(text.contains("spiffe id:"))
        #expect(text.contains("spiffe://city/node/hospital"))
        #expect(text.contains("role:"))
        #expect(text.contains("node"))
        #expect(text.contains("subject:"))
        #expect(text.contains("CN=hospital"))
        #expect(text.contains("CN=Fedstat city CA"))
        #expect(text.contains("not before:          2025-12-31T00:00:00Z"))
        #expect(text.contains("not after:           2026-12-31T00:00:00Z"))
        #expect(text.contains("status:              valid at 2026-01-01T00:00:00Z, 364 days left"))
        #expect(text.contains("serverAuth, clientAuth"))
        #expect(text.contains("digitalSignature"))
        #expect(text.contains("CA:false"))
        #expect(text.contains("ECDSA P-256"))
        #expect(text.contains("signature:           ecdsaWithSHA256"))
        #expect(text.contains(Inspection.sha256Fingerprint(leaf)))
        #expect(text.contains(hexUpper(leaf.serialNumber.bytes)))

        let fingerprint = Inspection.sha256Fingerprint(leaf)
        #expect(fingerprint.count == 32 * 3 - 1)
        var serializer = DERSerializerBox()
        #expect(fingerprint == hexUpper(SHA256.hash(data: try serializer.bytes(of: leaf))))

        // No private material: neither the PEM body nor the raw scalar of the key.
        let keyBody = String(PEM.encode(key).split(separator: "\n")[1])
        #expect(!text.contains("PRIVATE"))
        #expect(!text.contains(keyBody))
        #expect(!text.uppercased().contains(hexUpper(key.rawRepresentation, separator: "")))
        #expect(!text.uppercased().contains(hexUpper(key.rawRepresentation)))
    }

    @Test("describe marks the CA and expired certificates")
    func describesCAAndExpiry() throws {
        let city = try TestFederation()
        let text = Inspection.describe(city.ca.certificate, at: city.ca.certificate.notValidAfter + 1)
        #expect(text.contains("spiffe://city (federation trust domain)"))
        #expect(text.contains("CA:true, pathLen 0"))
        #expect(text.contains("keyCertSign, cRLSign"))
        #expect(text.contains("status:              expired at"))
    }

    @Test("the principal of a certificate is read without trusting it")
    func readsPrincipal() throws {
        let city = try TestFederation()
        let (_, leaf) = try city.member(.analyst, "alice")
        #expect(try Inspection.principal(of: leaf) == (try city.principal(.analyst, "alice")))
        let error = try #require(throws: PKIError.self) { try Inspection.principal(of: leaf, federation: "town") }
        #expect(error.code == .wrongFederation)
    }
}

/// `key` as an RFC 5915 (SEC1) ECPrivateKey, the form `openssl ecparam -genkey` writes:
/// SEQUENCE { version 1, privateKey OCTET STRING, [0] prime256v1, [1] publicKey BIT STRING }.
func sec1DER(_ key: P256.Signing.PrivateKey) -> [UInt8] {
    let curve: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
    var body: [UInt8] = [0x02, 0x01, 0x01, 0x04, 0x20] + Array(key.rawRepresentation)
    body += [0xA0, UInt8(curve.count)] + curve
    body += [0xA1, 0x44, 0x03, 0x42, 0x00] + Array(key.publicKey.x963Representation)
    return [0x30, UInt8(body.count)] + body
}

/// A PEM block with base64 lines of 64 characters.
func pemBlock(_ label: String, _ der: [UInt8]) -> String {
    let base64 = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
    return "-----BEGIN \(label)-----\n\(base64)\n-----END \(label)-----\n"
}

func hexUpper(_ bytes: some Sequence<UInt8>, separator: String = ":") -> String {
    bytes.map { String(format: "%02X", $0) }.joined(separator: separator)
}

/// DER bytes of a certificate, computed independently of the module under test.
struct DERSerializerBox {
    mutating func bytes(of certificate: Certificate) throws -> [UInt8] {
        let pem = try certificate.serializeAsPEM()
        return pem.derBytes
    }
}
