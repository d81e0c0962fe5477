import Crypto
import SwiftASN1
import X509

/// PEM text for the files the admin and operators keep: certificates (`CERTIFICATE`),
/// P-256 private keys (PKCS#8 `PRIVATE KEY`) and CSRs (`CERTIFICATE REQUEST`).
/// Callers read and write the files; this only converts. Every encoding ends with a
/// newline.
///
/// Error messages never quote the input: it may be a private key.
public enum PEM {
    // MARK: Certificates

    /// `certificate` as a PEM `CERTIFICATE` block.
    public static func encode(_ certificate: Certificate) throws(PKIError) -> String {
        try rethrowing(.encodingFailed, "cannot PEM-encode certificate \(identity(of: certificate))") {
            try certificate.serializeAsPEM().pemString + "\n"
        }
    }

    /// `certificate` in DER (what a message carries when it names its signer).
    public static func der(_ certificate: Certificate) throws(PKIError) -> [UInt8] {
        try rethrowing(.encodingFailed, "cannot DER-encode certificate \(identity(of: certificate))") {
            try certificate.serializeAsPEM().derBytes
        }
    }

    /// `certificates` as consecutive PEM `CERTIFICATE` blocks (a chain file: leaf first).
    public static func encode(_ certificates: [Certificate]) throws(PKIError) -> String {
        var text = ""
        for certificate in certificates {
            text += try encode(certificate)
        }
        return text
    }

    /// The single certificate in `text`; throws `invalidPEM` unless `text` holds
    /// exactly one PEM block and it is a `CERTIFICATE`, `malformedCertificate` if the
    /// certificate inside cannot be parsed.
    public static func certificate(from text: String) throws(PKIError) -> Certificate {
        let certificates = try certificates(from: text)
        guard certificates.count == 1 else {
            throw PKIError(
                .invalidPEM,
                "expected one certificate but found \(certificates.count); give a file with just this certificate"
            )
        }
        return certificates[0]
    }

    /// The certificates in `text`, in order (a chain file: leaf first); throws
    /// `invalidPEM` unless every block is a `CERTIFICATE` and there is at least one.
    public static func certificates(from text: String) throws(PKIError) -> [Certificate] {
        let documents = try documents(in: text, expecting: Certificate.defaultPEMDiscriminator)
        var certificates: [Certificate] = []
        for (index, document) in documents.enumerated() {
            certificates.append(
                try rethrowing(.malformedCertificate, "PEM block \(index + 1) is not a valid X.509 certificate") {
                    try Certificate(derEncoded: document.derBytes)
                }
            )
        }
        return certificates
    }

    // MARK: Private keys

    /// `privateKey` as a PKCS#8 PEM `PRIVATE KEY` block. The result is secret: write it
    /// only to a file of mode 0600 (KeyStore's `SecretFile`).
    public static func encode(_ privateKey: P256.Signing.PrivateKey) -> String {
        privateKey.pemRepresentation + "\n"
    }

    /// The P-256 private key in `text`, a PKCS#8 `PRIVATE KEY` block (an OpenSSL SEC1
    /// `EC PRIVATE KEY` block is accepted too). Throws `invalidPEM` or `unsupportedKey`
    /// without quoting the text or the underlying error, which could reveal key bytes.
    public static func privateKey(from text: String) throws(PKIError) -> P256.Signing.PrivateKey {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw PKIError(.invalidPEM, "the text is not PEM; expected a PKCS#8 'PRIVATE KEY' block")
        }
        guard documents.count == 1, let document = documents.first else {
            throw PKIError(.invalidPEM, "expected one PEM block with a private key but found \(documents.count)")
        }
        switch document.discriminator {
        case "PRIVATE KEY", "EC PRIVATE KEY":
            break
        case "ENCRYPTED PRIVATE KEY":
            throw PKIError(
                .invalidPEM,
                "the private key is encrypted; Fedstat reads unencrypted keys protected by file mode 0600"
            )
        default:
            throw PKIError(
                .invalidPEM,
                "expected a 'PRIVATE KEY' PEM block but found '\(printable(document.discriminator, limit: 40))'"
            )
        }
        do {
            return try P256.Signing.PrivateKey(derRepresentation: document.derBytes)
        } catch {
            throw PKIError(
                .unsupportedKey,
                "the '\(document.discriminator)' block does not hold an ECDSA P-256 private key"
            )
        }
    }

    // MARK: Signing requests

    /// `csr` as a PEM `CERTIFICATE REQUEST` block.
    public static func encode(_ csr: CertificateSigningRequest) throws(PKIError) -> String {
        try rethrowing(.encodingFailed, "cannot PEM-encode the CSR") {
            try csr.serializeAsPEM().pemString + "\n"
        }
    }

    /// The single CSR in `text`; throws `invalidPEM` unless it holds exactly one
    /// `CERTIFICATE REQUEST` block, `malformedCSR` if the request cannot be parsed.
    /// Parsing does not check the signature; `FederationCA.sign(csr:…)` does.
    public static func signingRequest(from text: String) throws(PKIError) -> CertificateSigningRequest {
        let documents = try documents(in: text, expecting: CertificateSigningRequest.defaultPEMDiscriminator)
        guard documents.count == 1 else {
            throw PKIError(.invalidPEM, "expected one certificate request but found \(documents.count)")
        }
        return try rethrowing(.malformedCSR, "the PEM block is not a valid PKCS#10 certificate request") {
            try CertificateSigningRequest(derEncoded: documents[0].derBytes)
        }
    }

    // MARK: -

    /// The PEM blocks in `text`, all of which must be labelled `discriminator`.
    private static func documents(in text: String, expecting discriminator: String) throws(PKIError) -> [PEMDocument] {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw PKIError(.invalidPEM, "the text is not PEM; expected '\(discriminator)' blocks")
        }
        guard !documents.isEmpty else {
            throw PKIError(.invalidPEM, "no PEM block found; expected '\(discriminator)'")
        }
        for (index, document) in documents.enumerated() where document.discriminator != discriminator {
            throw PKIError(
                .invalidPEM,
                "PEM block \(index + 1) is a '\(printable(document.discriminator, limit: 40))', not a '\(discriminator)'"
            )
        }
        return documents
    }
}
