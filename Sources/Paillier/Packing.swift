import BigNum

/// How many signed values share one plaintext (`Protocols/paillier.md` §6).
///
/// Every value satisfies |v| ≤ `bound`, and at most `additions` packed vectors are ever
/// summed, so every slot of a sum holds a value of magnitude at most
/// S = bound·additions. A slot is `slotBits` = bitLength(S) + 1 bits wide, so S < 2^(w−1)
/// and the sum in a slot is recovered exactly as a balanced digit in [−2^(w−1), 2^(w−1)).
/// The packed integer P = Σ vᵢ·2^(w·i) (slot 0 least significant) is encoded with
/// `SignedEncoding`; `slotsPerPlaintext` is the largest k for which every possible sum
/// satisfies |P| ≤ ⌊n/3⌋ − 1, so a packed sum can neither wrap around n nor carry
/// from one slot into the next.
public struct PackingLayout: Sendable, Hashable, CustomStringConvertible {
    /// The key whose plaintext space is packed.
    public let publicKey: PublicKey
    /// Largest magnitude of a packed value.
    public let bound: BigInt
    /// Largest number of packed vectors that may be summed (1 = no additions).
    public let additions: Int
    /// Width of one slot in bits.
    public let slotBits: Int
    /// Number of values per plaintext.
    public let slotsPerPlaintext: Int

    /// A layout for values with |v| ≤ `bound` and sums of up to `additions` vectors.
    /// Throws `packingBound` if not even one slot fits a plaintext.
    public init(publicKey: PublicKey, bound: BigInt, additions: Int) throws(PaillierError) {
        guard bound.signum() > 0, additions >= 1 else {
            throw PaillierError(.packingBound, "packing needs a positive bound and at least one addition")
        }
        let slotMaximum = bound * BigInt(additions)
        let slotBits = slotMaximum.bitLength + 1
        // Largest |P| for k slots: S·Σ_{i<k} 2^(w·i).
        var slots = 0
        var worst = BigInt(0)
        while true {
            let next = worst + (slotMaximum << (slotBits * slots))
            if next > publicKey.maxSigned { break }
            worst = next
            slots += 1
        }
        guard slots > 0 else {
            throw PaillierError(
                .packingBound,
                "a \(slotBits)-bit slot (bound × \(additions) additions) does not fit the plaintext space of a \(publicKey.bits)-bit key")
        }
        self.publicKey = publicKey
        self.bound = bound
        self.additions = additions
        self.slotBits = slotBits
        self.slotsPerPlaintext = slots
    }

    /// Number of plaintexts (and ciphertexts) for `count` values.
    public func plaintextCount(for count: Int) -> Int {
        (count + slotsPerPlaintext - 1) / slotsPerPlaintext
    }

    public var description: String {
        "PackingLayout(\(slotBits)-bit slots × \(slotsPerPlaintext) per plaintext, headroom \(additions))"
    }

    /// Packs `values` into signed integers P_j, `slotsPerPlaintext` values each.
    /// Throws `packingBound` naming the index of the first value with |v| > bound.
    public func pack(_ values: [BigInt]) throws(PaillierError) -> [BigInt] {
        if let index = values.firstIndex(where: { $0.magnitude > bound }) {
            throw PaillierError(.packingBound, "value at index \(index) exceeds the layout's bound")
        }
        var packed: [BigInt] = []
        packed.reserveCapacity(plaintextCount(for: values.count))
        var start = 0
        while start < values.count {
            let end = min(start + slotsPerPlaintext, values.count)
            var p = BigInt(0)
            for index in stride(from: end - 1, through: start, by: -1) {
                p = (p << slotBits) + values[index]
            }
            packed.append(p)
            start = end
        }
        return packed
    }

    /// Recovers `count` values from signed packed integers that are the sum of
    /// `summands` packed vectors (default: the layout's headroom).
    ///
    /// Throws `overflow` if a packed integer has bits beyond its slots or a slot holds
    /// more than `bound × summands` in magnitude: a sum that exceeded the headroom (for
    /// instance because its summand count was misreported) would otherwise carry into
    /// the neighbouring slot and decode to plausible wrong values.
    public func unpack(_ packed: [BigInt], count: Int, summands: Int? = nil) throws(PaillierError) -> [BigInt] {
        let slotLimit = bound * BigInt(min(max(summands ?? additions, 1), additions))
        guard packed.count == plaintextCount(for: count) else {
            throw PaillierError(.layoutMismatch, "\(packed.count) packed plaintexts cannot hold exactly \(count) values")
        }
        var values: [BigInt] = []
        values.reserveCapacity(count)
        let half = BigInt(1) << (slotBits - 1)
        let full = BigInt(1) << slotBits
        for (chunk, plaintext) in packed.enumerated() {
            var p = plaintext
            let slots = min(slotsPerPlaintext, count - chunk * slotsPerPlaintext)
            for _ in 0..<slots {
                var digit = p.lowBits(slotBits)
                if digit >= half { digit -= full }
                guard digit.magnitude <= slotLimit else {
                    throw PaillierError(.overflow, "packed plaintext \(chunk) has a slot beyond the layout's headroom")
                }
                values.append(digit)
                p = (p - digit) >> slotBits
            }
            guard p.isZero else {
                throw PaillierError(.overflow, "packed plaintext \(chunk) has bits beyond its slots")
            }
        }
        return values
    }
}

/// A vector of values packed and encrypted under one layout, with the number of fresh
/// vectors summed into it so far.
public struct PackedCiphertexts: Sendable, Hashable {
    public let layout: PackingLayout
    /// Number of values.
    public let count: Int
    public let ciphertexts: [Ciphertext]
    /// How many encrypted vectors this is the sum of (1 when fresh).
    public let summands: Int

    /// Wraps ciphertexts received from elsewhere, checking that their number fits
    /// `count` and that `summands` is within the layout's headroom.
    public init(layout: PackingLayout, count: Int, ciphertexts: [Ciphertext], summands: Int) throws(PaillierError) {
        guard count >= 0, ciphertexts.count == layout.plaintextCount(for: count) else {
            throw PaillierError(.layoutMismatch, "\(ciphertexts.count) ciphertexts cannot hold exactly \(count) packed values")
        }
        guard ciphertexts.allSatisfy({ $0.publicKey == layout.publicKey }) else {
            throw PaillierError(.keyMismatch, "packed ciphertexts must be under the layout's key")
        }
        guard (1...layout.additions).contains(summands) else {
            throw PaillierError(.headroomExhausted, "a sum of \(summands) vectors exceeds the layout's headroom of \(layout.additions)")
        }
        self.layout = layout
        self.count = count
        self.ciphertexts = ciphertexts
        self.summands = summands
    }

    /// The element-wise homomorphic sum. Refused with `headroomExhausted` if the result
    /// would be the sum of more vectors than the layout allows, since a slot could
    /// then carry into its neighbour.
    public func adding(_ other: PackedCiphertexts) throws(PaillierError) -> PackedCiphertexts {
        guard layout == other.layout, count == other.count else {
            throw PaillierError(.layoutMismatch, "packed vectors with different layouts or lengths cannot be added")
        }
        guard summands + other.summands <= layout.additions else {
            throw PaillierError(
                .headroomExhausted,
                "adding would make a sum of \(summands + other.summands) vectors; the layout allows \(layout.additions)")
        }
        return try PackedCiphertexts(
            layout: layout, count: count,
            ciphertexts: zip(ciphertexts, other.ciphertexts).map { $0 + $1 },
            summands: summands + other.summands)
    }
}

extension Encryptor {
    /// Packs and encrypts `values` into the fewest ciphertexts the layout allows.
    public func encrypt(vector values: [BigInt], layout: PackingLayout) throws(PaillierError) -> PackedCiphertexts {
        guard layout.publicKey == publicKey else {
            throw PaillierError(.keyMismatch, "packing layout is for a different key")
        }
        var ciphertexts: [Ciphertext] = []
        for p in try layout.pack(values) {
            ciphertexts.append(try encrypt(p))
        }
        return try PackedCiphertexts(layout: layout, count: values.count, ciphertexts: ciphertexts, summands: 1)
    }
}

extension PrivateKey {
    /// Decrypts and unpacks a packed vector (values are secret).
    public func decrypt(_ packed: PackedCiphertexts) throws(PaillierError) -> [BigInt] {
        var plaintexts: [BigInt] = []
        for c in packed.ciphertexts {
            plaintexts.append(try decrypt(c))
        }
        return try packed.layout.unpack(plaintexts, count: packed.count, summands: packed.summands)
    }
}
