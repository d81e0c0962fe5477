import BigNum

// Versioned fixed-length encodings of threshold keys, shares and partial decryptions
// (`Protocols/threshold-paillier.md` §6). Same conventions as `Serialization.swift`:
// version byte 1, a kind byte, unsigned big-endian integers of fixed length.

private struct Reader {
    let bytes: [UInt8]
    let what: String
    var offset: Int

    mutating func u16() throws(ThresholdError) -> Int {
        let chunk = try take(2)
        return Int(chunk[chunk.startIndex]) << 8 | Int(chunk[chunk.startIndex + 1])
    }

    mutating func integer(_ count: Int) throws(ThresholdError) -> BigInt {
        BigInt(bigEndianBytes: try take(count))
    }

    mutating func take(_ count: Int) throws(ThresholdError) -> ArraySlice<UInt8> {
        guard offset + count <= bytes.count else {
            throw ThresholdError(.invalidEncoding, "\(what) encoding is too short (\(bytes.count) bytes)")
        }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    func finish() throws(ThresholdError) {
        guard offset == bytes.count else {
            throw ThresholdError(.invalidEncoding, "\(what) encoding has \(bytes.count - offset) bytes too many")
        }
    }
}

private func header(_ kind: Wire.Kind) -> [UInt8] { [Wire.version, kind.rawValue] }

private func u16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

private func reader(_ bytes: [UInt8], _ kind: Wire.Kind) throws(ThresholdError) -> Reader {
    guard bytes.count >= 2 else {
        throw ThresholdError(.invalidEncoding, "\(kind.name) encoding is \(bytes.count) bytes, too short for a header")
    }
    guard bytes[0] == Wire.version else {
        throw ThresholdError(.invalidEncoding, "\(kind.name) encoding has version \(bytes[0]); only version \(Wire.version) is supported")
    }
    guard bytes[1] == kind.rawValue else {
        throw ThresholdError(.invalidEncoding, "encoding of kind \(bytes[1]) is not a \(kind.name) (kind \(kind.rawValue))")
    }
    return Reader(bytes: bytes, what: kind.name, offset: 2)
}

extension ThresholdPublicKey {
    /// `01 04 | bits (u16) | t (u16) | ℓ (u16) | n (nb) | v (2nb) | v_1 … v_ℓ (2nb each)`.
    public func serialized() -> [UInt8] {
        let pk = publicKey
        var out = header(.thresholdPublicKey) + u16(pk.bits) + u16(threshold) + u16(parties)
        out += Wire.fixed(pk.n, pk.modulusByteCount)
        for value in [verificationBase] + verificationKeys {
            out += Wire.fixed(value, pk.ciphertextValueByteCount)
        }
        return out
    }

    /// Parses `serialized()` output and checks every part.
    public convenience init(serialized bytes: [UInt8]) throws(ThresholdError) {
        var input = try reader(bytes, .thresholdPublicKey)
        let bits = try input.u16()
        let threshold = try input.u16()
        let parties = try input.u16()
        guard bits >= 64, (1...ThresholdParameters.maximumParties).contains(parties), (1...parties).contains(threshold) else {
            throw ThresholdError(.invalidKey, "threshold public key declares \(bits) bits, \(threshold) of \(parties)")
        }
        let nb = (bits + 7) / 8
        let n = try input.integer(nb)
        let base = try input.integer(2 * nb)
        var keys: [BigInt] = []
        for _ in 0..<parties { keys.append(try input.integer(2 * nb)) }
        try input.finish()
        guard n.bitLength == bits, let publicKey = try? PublicKey(n: n) else {
            throw ThresholdError(.invalidKey, "threshold public key's modulus is not a valid \(bits)-bit modulus")
        }
        try self.init(publicKey: publicKey, threshold: threshold, verificationBase: base, verificationKeys: keys)
    }
}

extension ThresholdKeyShare {
    /// `01 06 | bits (u16) | t (u16) | ℓ (u16) | index (u16) | s_i (2nb)`.
    ///
    /// Key material: write it only to a file of mode 0600, never log it.
    public func serialized() -> [UInt8] {
        let pk = publicKey.publicKey
        return header(.thresholdKeyShare) + u16(pk.bits) + u16(publicKey.threshold) + u16(publicKey.parties)
            + u16(index) + Wire.fixed(share, pk.ciphertextValueByteCount)
    }

    /// Parses a share for `publicKey`: the declared sizes must match it and the share
    /// must match its verification key.
    public convenience init(serialized bytes: [UInt8], publicKey: ThresholdPublicKey) throws(ThresholdError) {
        var input = try reader(bytes, .thresholdKeyShare)
        let bits = try input.u16()
        let threshold = try input.u16()
        let parties = try input.u16()
        let index = try input.u16()
        guard bits == publicKey.publicKey.bits, threshold == publicKey.threshold, parties == publicKey.parties else {
            throw ThresholdError(
                .invalidShare,
                "share is for a \(bits)-bit, \(threshold)-of-\(parties) key, not this \(publicKey.publicKey.bits)-bit, \(publicKey.threshold)-of-\(publicKey.parties) key")
        }
        let share = try input.integer(publicKey.publicKey.ciphertextValueByteCount).asSecret()
        try input.finish()
        try self.init(publicKey: publicKey, index: index, share: share)
    }
}

extension PartialDecryption {
    /// Bytes of the response z for `key`.
    static func responseByteCount(_ key: ThresholdPublicKey) -> Int { (key.proofResponseBits + 7) / 8 }

    /// `01 05 | index (u16) | digest (32) | c_i (2nb) | e (32) | z (⌈(|n²| + |Δ| + 385)/8⌉)`.
    ///
    /// Throws `invalidEncoding` if a part does not fit its field (a partial decryption
    /// built by hand from bad values): a malformed value is refused, never truncated.
    public func serialized(for key: ThresholdPublicKey) throws(ThresholdError) -> [UInt8] {
        guard (0...0xFFFF).contains(index), ciphertextDigest.count == 32 else {
            throw ThresholdError(.invalidEncoding, "partial decryption has an index or digest that does not fit its field", node: index)
        }
        do {
            return header(.partialDecryption) + u16(index) + ciphertextDigest
                + (try value.bigEndianBytes(count: key.publicKey.ciphertextValueByteCount))
                + (try challenge.bigEndianBytes(count: 32))
                + (try response.bigEndianBytes(count: Self.responseByteCount(key)))
        } catch {
            throw ThresholdError(.invalidEncoding, "partial decryption from party \(index) has a value that does not fit its field", node: index)
        }
    }

    /// Parses a partial decryption made under `key`. Only the format is checked here;
    /// `ThresholdPublicKey.verify` checks the values and the proof.
    public init(serialized bytes: [UInt8], for key: ThresholdPublicKey) throws(ThresholdError) {
        var input = try reader(bytes, .partialDecryption)
        index = try input.u16()
        ciphertextDigest = Array(try input.take(32))
        value = try input.integer(key.publicKey.ciphertextValueByteCount)
        challenge = try input.integer(32)
        response = try input.integer(Self.responseByteCount(key))
        try input.finish()
    }
}
