/// An error from the federation PKI: parsing identities, creating or loading the CA,
/// issuing certificates, signing CSRs, validating peers, or reading PEM files.
///
/// `message` says what was wrong, about which certificate, and what to do about it.
/// Messages never contain private key material; text taken from a certificate or CSR
/// (which an attacker may control) is escaped and shortened before it is quoted.
public struct PKIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable, CaseIterable {
        /// A SPIFFE id string is malformed (scheme, authority, path, query, …).
        case invalidSPIFFEID
        /// A federation id or principal name is not a DNS-label-like string.
        case invalidName
        /// A DNS name or IP address offered as an extra subject alternative name is
        /// malformed, or was offered for a principal that may not carry one.
        case invalidAlternativeName
        /// A validity period is empty, reversed, or reaches outside the CA's own.
        case invalidValidity
        /// A key is not an ECDSA P-256 key.
        case unsupportedKey
        /// Text is not the PEM document that was expected.
        case invalidPEM
        /// A certificate's DER or one of its extensions cannot be parsed.
        case malformedCertificate
        /// A CSR's attributes or requested extensions cannot be parsed.
        case malformedCSR
        /// A CSR's signature does not verify with the public key it carries.
        case invalidCSRSignature
        /// A certificate or CSR carries no SPIFFE id (URI subject alternative name).
        case missingSPIFFEID
        /// A certificate or CSR carries subject alternative names besides its single
        /// SPIFFE id that are not allowed there.
        case extraSubjectAlternativeName
        /// A SPIFFE id, principal or CA belongs to another federation.
        case wrongFederation
        /// A principal has a role (node, analyst) other than the one required.
        case wrongRole
        /// A principal has a name other than the one expected.
        case wrongName
        /// A certificate lacks a key usage or extended key usage its use requires, or
        /// has one a leaf must not have.
        case wrongKeyUsage
        /// A certificate presented as a leaf is a CA certificate.
        case notALeaf
        /// A certificate was not issued by the federation CA.
        case untrustedIssuer
        /// A certificate expired before the validation time.
        case expired
        /// A certificate is not yet valid at the validation time.
        case notYetValid
        /// A private key does not belong to the certificate it was paired with.
        case keyMismatch
        /// A peer presented no certificate.
        case emptyChain
        /// A certificate given as the federation CA is not a usable self-signed CA.
        case invalidCA
        /// Chain validation failed for a reason none of the specific checks names.
        case chainRejected
        /// Building or serializing a certificate or CSR failed.
        case encodingFailed
    }

    /// What went wrong, as a stable code.
    public var code: Code
    /// What happened, where, and what to do; meant for an operator or analyst.
    public var message: String
    /// The certificate or CSR concerned: its SPIFFE id if it has one, otherwise its
    /// subject (escaped). `nil` when the error is about an input string or a key.
    public var subject: String?

    public init(_ code: Code, _ message: String, subject: String? = nil) {
        self.code = code
        self.message = message
        self.subject = subject
    }

    public var description: String { "PKI \(code.rawValue): \(message)" }
}

/// Runs `body`, turning any error it throws into a `PKIError` with `code`.
@inline(__always)
func rethrowing<T>(
    _ code: PKIError.Code,
    _ message: @autoclosure () -> String,
    subject: String? = nil,
    _ body: () throws -> T
) throws(PKIError) -> T {
    do {
        return try body()
    } catch {
        throw PKIError(code, "\(message()): \(printable(String(describing: error)))", subject: subject)
    }
}
