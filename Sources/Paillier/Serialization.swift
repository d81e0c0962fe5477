import BigNum

/// Versioned, fixed-length, big-endian encodings (`Protocols/paillier.md` §7).
///
/// Every encoding starts with a version byte (1) and a kind byte; integers are
/// unsigned big-endian, zero-padded to a length fixed by the key size. Parsing refuses
/// any other version or kind, any other length, and values that are not valid for
/// their role.
enum Wire {
    static let version: UInt8 = 1

    enum Kind: UInt8 {
        case publicKey = 1
        case privateKey = 2
        case ciphertext = 3
        case thresholdPublicKey = 4
        case partialDecryption = 5
        case thresholdKeyShare = 6

        var name: String {
            switch self {
            case .publicKey: "public key"
            case .privateKey: "private key"
            case .ciphertext: "ciphertext"
            case .thresholdPublicKey: "threshold public key"
            case .partialDecryption: "partial decryption"
            case .thresholdKeyShare: "threshold key share"
            }
        }
    }

    static func header(_ kind: Kind) -> [UInt8] { [version, kind.rawValue] }

    static func checkHeader(_ bytes: [UInt8], _ kind: Kind) throws(PaillierError) {
        guard bytes.count >= 2 else {
            throw PaillierError(.wrongLength, "\(kind.name) encoding is \(bytes.count) bytes, too short for a header")
        }
        guard bytes[0] == version else {
            throw PaillierError(.unsupportedFormat, "\(kind.name) encoding has version \(bytes[0]); only version \(version) is supported")
        }
        guard bytes[1] == kind.rawValue else {
            throw PaillierError(.unsupportedFormat, "encoding of kind \(bytes[1]) is not a \(kind.name) (kind \(kind.rawValue))")
        }
    }

    /// Bits field of key encodings.
    static func readBits(_ bytes: [UInt8], _ kind: Kind) throws(PaillierError) -> Int {
        guard bytes.count >= 4 else {
            throw PaillierError(.wrongLength, "\(kind.name) encoding is \(bytes.count) bytes, too short for its size field")
        }
        let bits = Int(bytes[2]) << 8 | Int(bytes[3])
        guard bits >= 64 else {
            throw PaillierError(.invalidKey, "\(kind.name) encoding declares a \(bits)-bit modulus")
        }
        return bits
    }

    static func checkLength(_ bytes: [UInt8], _ expected: Int, _ kind: Kind) throws(PaillierError) {
        guard bytes.count == expected else {
            throw PaillierError(.wrongLength, "\(kind.name) encoding is \(bytes.count) bytes; expected \(expected)")
        }
    }

    static func fixed(_ value: BigInt, _ count: Int) -> [UInt8] {
        // Values encoded here are non-negative and in range by construction.
        try! value.bigEndianBytes(count: count)
    }
}

extension PublicKey {
    /// `01 01 | bits (u16) | n (⌈bits/8⌉ bytes)`.
    public func serialized() -> [UInt8] {
        Wire.header(.publicKey) + [UInt8(bits >> 8), UInt8(bits & 0xFF)] + Wire.fixed(n, modulusByteCount)
    }

    /// Parses `serialized()` output; refuses other versions, kinds and lengths, and an n
    /// whose bit length differs from the declared size.
    public convenience init(serialized bytes: [UInt8]) throws(PaillierError) {
        try Wire.checkHeader(bytes, .publicKey)
        let bits = try Wire.readBits(bytes, .publicKey)
        try Wire.checkLength(bytes, 4 + (bits + 7) / 8, .publicKey)
        let n = BigInt(bigEndianBytes: bytes[4...])
        guard n.bitLength == bits else {
            throw PaillierError(.invalidKey, "public key declares \(bits) bits but its modulus has \(n.bitLength)")
        }
        try self.init(n: n)
    }
}

extension PrivateKey {
    /// Bytes of each prime: ⌈⌈bits/2⌉/8⌉.
    static func primeByteCount(bits: Int) -> Int { ((bits + 1) / 2 + 7) / 8 }

    /// `01 02 | bits (u16) | p | q`, the larger prime first, each ⌈⌈bits/2⌉/8⌉ bytes.
    ///
    /// The result is key material: write it only to a file of mode 0600, never log it.
    public func serialized() -> [UInt8] {
        let bits = publicKey.bits
        let count = Self.primeByteCount(bits: bits)
        return Wire.header(.privateKey) + [UInt8(bits >> 8), UInt8(bits & 0xFF)]
            + Wire.fixed(p, count) + Wire.fixed(q, count)
    }

    /// Parses `serialized()` output and re-validates the key.
    public convenience init(serialized bytes: [UInt8]) throws(PaillierError) {
        try Wire.checkHeader(bytes, .privateKey)
        let bits = try Wire.readBits(bytes, .privateKey)
        let count = Self.primeByteCount(bits: bits)
        try Wire.checkLength(bytes, 4 + 2 * count, .privateKey)
        let p = BigInt(bigEndianBytes: bytes[4..<(4 + count)]).asSecret()
        let q = BigInt(bigEndianBytes: bytes[(4 + count)...]).asSecret()
        // One key, one encoding: the larger prime comes first.
        guard p > q else {
            throw PaillierError(.invalidKey, "private key encoding must list the larger prime first")
        }
        try self.init(p: p, q: q)
        guard publicKey.bits == bits else {
            throw PaillierError(.invalidKey, "private key declares \(bits) bits but its primes give \(publicKey.bits)")
        }
    }
}

extension Ciphertext {
    /// `01 03 | c (2·⌈bits/8⌉ bytes)`.
    public func serialized() -> [UInt8] {
        Wire.header(.ciphertext) + Wire.fixed(value, publicKey.ciphertextValueByteCount)
    }
}

extension PublicKey {
    /// Parses a ciphertext under this key: checks version, kind, the exact length for
    /// this key size and that the value is a unit modulo n² (`ciphertext(_:)`).
    public func ciphertext(serialized bytes: [UInt8]) throws(PaillierError) -> Ciphertext {
        try Wire.checkHeader(bytes, .ciphertext)
        try Wire.checkLength(bytes, 2 + ciphertextValueByteCount, .ciphertext)
        return try ciphertext(BigInt(bigEndianBytes: bytes[2...]))
    }
}
