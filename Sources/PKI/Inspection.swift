import Crypto
import Foundation
import SwiftASN1
import X509

/// Reading certificates without deciding trust: for `fednode keys inspect` and for
/// checks that pair keys with certificates.
public enum Inspection {
    /// The SHA-256 fingerprint of the certificate's DER encoding, as upper-case hex
    /// pairs joined by `:` (the form `openssl x509 -fingerprint -sha256` prints).
    public static func sha256Fingerprint(_ certificate: Certificate) -> String {
        guard let der = try? derBytes(certificate) else { return "unavailable" }
        return hexString(SHA256.hash(data: der))
    }

    /// Whether `privateKey` is the key whose public half `certificate` certifies.
    public static func privateKey(_ privateKey: P256.Signing.PrivateKey, matches certificate: Certificate) -> Bool {
        Certificate.PublicKey(privateKey.publicKey) == certificate.publicKey
    }

    /// The principal named by `certificate`'s SPIFFE id, read without any trust
    /// decision (anyone can write any name into a certificate; use
    /// `FederationTrust.validate` to decide whether to believe it). Applies the same
    /// subject-alternative-name rules as validation. `federation` defaults to the one
    /// the SPIFFE id names.
    public static func principal(of certificate: Certificate, federation: String? = nil) throws(PKIError) -> Principal {
        var federation = federation
        if federation == nil, let names = try? certificate.extensions.subjectAlternativeNames {
            for case .uniformResourceIdentifier(let uri) in names {
                federation = (try? Principal(spiffeID: uri))?.federation
                break
            }
        }
        return try LeafRules.principal(
            in: certificate,
            federation: federation ?? "",
            advice: "it does not identify a member"
        )
    }

    /// A human description of `certificate` for `fednode keys inspect`: subject, SPIFFE
    /// id and role, issuer, serial number, validity (and, given `time`, whether it is
    /// valid then), public key type, basic constraints, key usage, extended key usage,
    /// other subject alternative names, and the SHA-256 fingerprint. One `label: value`
    /// per line.
    ///
    /// Contains only public data: a certificate holds no private material, and this
    /// function is never given a key. Text from the certificate is escaped.
    public static func describe(_ certificate: Certificate, at time: Date? = nil) -> String {
        var lines: [(String, String)] = []
        let extensions = certificate.extensions
        lines.append(("subject", printable(certificate.subject.description)))

        // nil: the extension is present but malformed; [] when it is absent.
        let names: [GeneralName]? =
            switch Result(catching: { try extensions.subjectAlternativeNames }) {
            case .success(let names): Array(names ?? SubjectAlternativeNames())
            case .failure: nil
            }
        let uris = (names ?? []).compactMap { name -> String? in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
        if uris.isEmpty {
            lines.append(("spiffe id", "none"))
        } else {
            for uri in uris {
                if let principal = try? Principal(spiffeID: uri) {
                    lines.append(("spiffe id", principal.spiffeID))
                    lines.append(("role", principal.role.rawValue))
                } else if uri.hasPrefix("spiffe://"), !uri.dropFirst("spiffe://".count).contains("/"),
                    (try? Principal.checkLabel(String(uri.dropFirst("spiffe://".count)), what: "federation id")) != nil
                {
                    lines.append(("spiffe id", "\(uri) (federation trust domain)"))
                } else {
                    lines.append(("spiffe id", "\(printable(uri)) (not a valid Fedstat SPIFFE id)"))
                }
            }
        }
        let others = (names ?? []).filter { name in
            if case .uniformResourceIdentifier = name { return false }
            return true
        }
        if !others.isEmpty {
            lines.append(("other names", others.map(PKI.describe).joined(separator: ", ")))
        }
        if names == nil {
            lines.append(("names", "malformed subject alternative name extension"))
        }

        lines.append(("issuer", printable(certificate.issuer.description)))
        lines.append(("serial", hexString(certificate.serialNumber.bytes)))
        lines.append(("not before", iso(certificate.notValidBefore)))
        lines.append(("not after", iso(certificate.notValidAfter)))
        if let time {
            let status: String
            if time < certificate.notValidBefore {
                status = "not yet valid at \(iso(time))"
            } else if time > certificate.notValidAfter {
                status = "expired at \(iso(time))"
            } else {
                let days = Int(certificate.notValidAfter.timeIntervalSince(time) / 86_400)
                status = "valid at \(iso(time)), \(days) day\(days == 1 ? "" : "s") left"
            }
            lines.append(("status", status))
        }
        lines.append(("public key", keyKind(certificate.publicKey)))
        let algorithm = String(describing: certificate.signatureAlgorithm)
        lines.append(
            (
                "signature",
                algorithm.hasPrefix("SignatureAlgorithm.")
                    ? String(algorithm.dropFirst("SignatureAlgorithm.".count)) : algorithm
            )
        )

        switch Result(catching: { try extensions.basicConstraints }) {
        case .success(.isCertificateAuthority(let pathLength)?):
            lines.append(("basic constraints", "CA:true" + (pathLength.map { ", pathLen \($0)" } ?? "")))
        case .success(.notCertificateAuthority?), .success(nil):
            lines.append(("basic constraints", "CA:false"))
        case .failure:
            lines.append(("basic constraints", "malformed"))
        }
        switch Result(catching: { try extensions.keyUsage }) {
        case .success(let usage?):
            lines.append(("key usage", keyUsageNames(usage).joined(separator: ", ")))
        case .success(nil):
            lines.append(("key usage", "none"))
        case .failure:
            lines.append(("key usage", "malformed"))
        }
        switch Result(catching: { try extensions.extendedKeyUsage }) {
        case .success(let usage?):
            lines.append(("extended key usage", usage.map(LeafRules.name(of:)).joined(separator: ", ")))
        case .success(nil):
            lines.append(("extended key usage", "none"))
        case .failure:
            lines.append(("extended key usage", "malformed"))
        }
        lines.append(("sha-256 fingerprint", sha256Fingerprint(certificate)))

        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { label, value in
            label + ":" + String(repeating: " ", count: width - label.count + 1) + value
        }.joined(separator: "\n") + "\n"
    }

    private static func keyUsageNames(_ usage: KeyUsage) -> [String] {
        var names: [String] = []
        if usage.digitalSignature { names.append("digitalSignature") }
        if usage.nonRepudiation { names.append("nonRepudiation") }
        if usage.keyEncipherment { names.append("keyEncipherment") }
        if usage.dataEncipherment { names.append("dataEncipherment") }
        if usage.keyAgreement { names.append("keyAgreement") }
        if usage.keyCertSign { names.append("keyCertSign") }
        if usage.cRLSign { names.append("cRLSign") }
        if usage.encipherOnly { names.append("encipherOnly") }
        if usage.decipherOnly { names.append("decipherOnly") }
        return names.isEmpty ? ["none"] : names
    }
}
