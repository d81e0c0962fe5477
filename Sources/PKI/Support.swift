import Crypto
import Foundation
import SwiftASN1
import X509

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: Quoting untrusted text

/// `text` made safe to quote in an error message or a log line: control, format and
/// line-separator characters are escaped as `\u{…}` and the result is cut to `limit`
/// characters.
///
/// Defends against a certificate or CSR (attacker-controlled) whose subject or URI
/// carries a newline or a bidirectional override: quoted verbatim, it could forge
/// extra lines in the node's log or make one identity display as another.
func printable(_ text: some StringProtocol, limit: Int = 200) -> String {
    var result = ""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == limit {
            result += "…"
            break
        }
        count += 1
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .surrogate, .privateUse:
            result += "\\u{\(String(scalar.value, radix: 16))}"
        default:
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

// MARK: Dates

/// `date` as ISO 8601 in UTC, e.g. `2027-01-01T00:00:00Z`.
func iso(_ date: Date) -> String {
    date.formatted(.iso8601)
}

/// `date` truncated to whole seconds, the resolution of X.509 validity times, so that
/// comparisons made before issuing agree with the issued certificate.
func wholeSeconds(_ date: Date) -> Date {
    Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
}

/// `date` plus `years` calendar years in UTC (29 February maps to 28 February).
func adding(years: Int, to date: Date) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 0)!
    return calendar.date(byAdding: .year, value: years, to: date)
        ?? date.addingTimeInterval(Double(years) * 365.25 * 86_400)
}

/// The validity period `[notBefore, notAfter ?? notBefore + defaultYears]`, both
/// truncated to whole seconds; throws `invalidValidity` if it is empty or reversed.
func validityPeriod(notBefore: Date, notAfter: Date?, defaultYears: Int) throws(PKIError) -> (Date, Date) {
    let start = wholeSeconds(notBefore)
    let end = wholeSeconds(notAfter ?? adding(years: defaultYears, to: start))
    guard end > start else {
        throw PKIError(
            .invalidValidity,
            "validity ends (\(iso(end))) at or before it starts (\(iso(start))); pass a notAfter later than notBefore"
        )
    }
    return (start, end)
}

// MARK: Serial numbers

/// A random, positive, non-zero 128-bit serial number from `generator`.
func randomSerialNumber(using generator: inout some RandomNumberGenerator) -> Certificate.SerialNumber {
    while true {
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        guard high != 0 || low != 0 else { continue }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for word in [high, low] {
            for shift in stride(from: 56, through: 0, by: -8) {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        // SerialNumber normalises to DER INTEGER form: a leading 0x00 is added when
        // the top bit is set, so the serial is always positive.
        return Certificate.SerialNumber(bytes: bytes)
    }
}

// MARK: Alternative names

/// Parses `text` as an IPv4 or IPv6 address into its 4 or 16 network-order bytes.
func ipAddressBytes(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
        return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
        return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
}

/// The text form of a 4- or 16-byte IP address from a certificate.
func ipAddressText(_ bytes: some Collection<UInt8>) -> String {
    let bytes = Array(bytes)
    let family: Int32
    switch bytes.count {
    case 4: family = AF_INET
    case 16: family = AF_INET6
    default: return "<\(bytes.count)-byte address \(hexString(bytes, separator: ""))>"
    }
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
    let ok = bytes.withUnsafeBytes { raw in
        inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
    }
    guard ok else { return hexString(bytes, separator: "") }
    let end = buffer.firstIndex(of: 0) ?? buffer.endIndex
    return String(decoding: buffer[..<end].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// Checks that `name` is a plain DNS host name: dot-separated DNS-label-like labels,
/// at most 253 characters, no wildcard. Throws `invalidAlternativeName` otherwise.
func checkDNSName(_ name: String) throws(PKIError) {
    guard !name.isEmpty, name.utf8.count <= 253 else {
        throw PKIError(.invalidAlternativeName, "DNS name '\(printable(name))' must have 1–253 characters")
    }
    for label in name.split(separator: ".", omittingEmptySubsequences: false) {
        do {
            try Principal.checkLabel(String(label), what: "label")
        } catch {
            throw PKIError(
                .invalidAlternativeName,
                "DNS name '\(printable(name))' is not a plain host name: \(error.message)"
            )
        }
    }
}

/// The extra (non-SPIFFE) subject alternative names for a node: DNS names checked
/// with `checkDNSName`, IP addresses parsed. Throws `invalidAlternativeName`.
func extraAlternativeNames(
    for principal: Principal,
    dnsNames: [String],
    ipAddresses: [String]
) throws(PKIError) -> [GeneralName] {
    guard dnsNames.isEmpty && ipAddresses.isEmpty || principal.role == .node else {
        throw PKIError(
            .invalidAlternativeName,
            "\(principal) is an analyst; only node certificates may carry DNS names or IP addresses",
            subject: principal.spiffeID
        )
    }
    var names: [GeneralName] = []
    for dnsName in dnsNames {
        try checkDNSName(dnsName)
        names.append(.dnsName(dnsName))
    }
    for address in ipAddresses {
        guard let bytes = ipAddressBytes(address) else {
            throw PKIError(.invalidAlternativeName, "'\(printable(address))' is not an IPv4 or IPv6 address")
        }
        names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
    }
    guard Set(names).count == names.count else {
        throw PKIError(.invalidAlternativeName, "the DNS names and IP addresses contain a duplicate")
    }
    return names
}

/// `name` for a message or a description, escaped.
func describe(_ name: GeneralName) -> String {
    switch name {
    case .uniformResourceIdentifier(let uri): return "URI:\(printable(uri))"
    case .dnsName(let dns): return "DNS:\(printable(dns))"
    case .ipAddress(let address): return "IP:\(ipAddressText(address.bytes))"
    case .rfc822Name(let email): return "email:\(printable(email))"
    case .directoryName(let dn): return "dirName:\(printable(dn.description))"
    case .registeredID(let oid): return "RID:\(oid)"
    case .otherName(let other): return "otherName:\(other.typeID)"
    case .x400Address: return "x400Address"
    case .ediPartyName: return "ediPartyName"
    }
}

// MARK: Certificates

/// How a certificate is named in messages: its first URI subject alternative name if
/// it has one (escaped), otherwise its subject.
func identity(of certificate: Certificate) -> String {
    if let names = try? certificate.extensions.subjectAlternativeNames {
        for name in names {
            if case .uniformResourceIdentifier(let uri) = name { return printable(uri) }
        }
    }
    return "'\(printable(certificate.subject.description))'"
}

/// `bytes` as upper-case hex, joined by `separator`.
func hexString(_ bytes: some Sequence<UInt8>, separator: String = ":") -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: separator)
}

/// The certificate's DER encoding.
func derBytes(_ certificate: Certificate) throws(PKIError) -> [UInt8] {
    try rethrowing(.encodingFailed, "cannot DER-encode certificate \(identity(of: certificate))") {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }
}

/// Whether `certificate` says it was issued by `issuer` and `issuer`'s key verifies
/// its signature.
func isIssued(_ certificate: Certificate, by issuer: Certificate) -> Bool {
    certificate.issuer == issuer.subject
        && issuer.publicKey.isValidSignature(certificate.signature, for: certificate)
}

/// Throws `expired` or `notYetValid` unless `certificate` is valid at `time`
/// (inclusive at both ends, as RFC 5280 and swift-certificates' `RFC5280Policy`).
/// `advice` tells the reader what to do about it.
func checkValidity(of certificate: Certificate, named label: String, at time: Date, advice: String) throws(PKIError) {
    if time < certificate.notValidBefore {
        throw PKIError(
            .notYetValid,
            "\(label) is not valid before \(iso(certificate.notValidBefore)) (checked at \(iso(time))); check this machine's clock, or \(advice)",
            subject: identity(of: certificate)
        )
    }
    if time > certificate.notValidAfter {
        throw PKIError(
            .expired,
            "\(label) expired on \(iso(certificate.notValidAfter)) (checked at \(iso(time))); \(advice)",
            subject: identity(of: certificate)
        )
    }
}
