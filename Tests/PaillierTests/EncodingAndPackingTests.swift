import BigNum
import Paillier
import TestSupport
import Testing

@Suite("Signed and fixed-point encoding")
struct EncodingTests {
    let pk = TestKeys.small.publicKey

    @Test func signedEncodingUsesTheOverflowBand() throws {
        let max = pk.maxSigned
        #expect(max == pk.n / BigInt(3) - BigInt(1))
        #expect(try SignedEncoding.encode(-1, publicKey: pk) == pk.n - BigInt(1))
        #expect(try SignedEncoding.decode(pk.n - BigInt(1), publicKey: pk) == -1)
        #expect(try SignedEncoding.decode(max, publicKey: pk) == max)
        #expect(try SignedEncoding.decode(pk.n - max, publicKey: pk) == -max)
        for residue in [max + BigInt(1), pk.n / BigInt(2), pk.n - max - BigInt(1)] {
            #expect(paillierError { _ = try SignedEncoding.decode(residue, publicKey: pk) }?.code == .overflow)
        }
        #expect(paillierError { _ = try SignedEncoding.decode(pk.n, publicKey: pk) }?.code == .plaintextOutOfRange)
    }

    @Test func fixedPointIsExact() throws {
        let cost = FixedPoint(scale: 2)
        #expect(try cost.encode("12.34") == 1234)
        #expect(try cost.encode("-0.5") == -50)
        #expect(try cost.encode("7") == 700)
        #expect(try cost.encode("10000000.10") == 1_000_000_010)
        #expect(cost.decimalString(1234) == "12.34")
        #expect(cost.decimalString(-5) == "-0.05")
        #expect(cost.decode(1234) == BigRational(numerator: 617, denominator: 50))
        #expect(try FixedPoint(scale: 0).encode("42") == 42)
    }

    @Test func fixedPointRefusesWhatItCannotRepresent() {
        let cost = FixedPoint(scale: 2)
        #expect(paillierError { _ = try cost.encode("12.345") }?.code == .invalidDecimal)
        for bad in ["", "abc", "1e3", "1,5", "--1", " 1"] {
            #expect(paillierError { _ = try cost.encode(bad) }?.code == .invalidDecimal, "\(bad)")
        }
    }

    @Test func encryptedFixedPointSumIsExact() throws {
        // Values that defeat binary floating point: the sum must be exact.
        let cost = FixedPoint(scale: 1)
        let encryptor = TestKeys.smallEncryptor
        let values = ["10000000.1", "10000000.2", "10000000.3"]
        let sum = try #require(try values.map { try encryptor.encrypt(try cost.encode($0)) }.homomorphicSum())
        #expect(cost.decimalString(try TestKeys.small.decrypt(sum)) == "30000000.6")
    }
}

@Suite("Packing")
struct PackingTests {
    let key = TestKeys.small
    let encryptor = TestKeys.smallEncryptor

    @Test func layoutArithmetic() throws {
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 1000, additions: 10)
        // 1000·10 = 10000 needs 14 bits, plus a sign bit.
        #expect(layout.slotBits == 15)
        // The largest k with 10000·Σ_{i<k} 2^(15i) ≤ ⌊n/3⌋ − 1.
        let s = BigInt(10_000)
        func worst(_ k: Int) -> BigInt { (0..<k).reduce(BigInt(0)) { $0 + (s << (15 * $1)) } }
        #expect(worst(layout.slotsPerPlaintext) <= key.publicKey.maxSigned)
        #expect(worst(layout.slotsPerPlaintext + 1) > key.publicKey.maxSigned)
        #expect(layout.plaintextCount(for: 0) == 0)
        #expect(layout.plaintextCount(for: layout.slotsPerPlaintext + 1) == 2)
    }

    /// The figure: 10,000 values of 40 bits with headroom for 1,000 additions fit
    /// in at most 260 ciphertexts of a 2048-bit key.
    @Test func tenThousandFortyBitValuesFitIn250Ciphertexts() throws {
        let n = (BigInt(1) << 2047) + BigInt(1) + (BigInt(1) << 1500) + BigInt(2)
        let pk = try PublicKey(n: n)
        let layout = try PackingLayout(publicKey: pk, bound: (BigInt(1) << 40) - BigInt(1), additions: 1000)
        #expect(layout.slotBits == 51)
        #expect(layout.plaintextCount(for: 10_000) == 250)
    }

    @Test func packUnpackRoundTripWithSignsAndPartialLastPlaintext() throws {
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 1 << 20, additions: 3)
        var generator = SeededGenerator(seed: 3)
        let values = (0..<(layout.slotsPerPlaintext * 2 + 3)).map { _ in
            BigInt(Int.random(in: -(1 << 20)...(1 << 20), using: &generator))
        }
        let packed = try layout.pack(values)
        #expect(packed.count == 3)
        #expect(try layout.unpack(packed, count: values.count) == values)
        let encrypted = try encryptor.encrypt(vector: values, layout: layout)
        #expect(encrypted.ciphertexts.count == 3)
        #expect(try key.decrypt(encrypted) == values)
    }

    /// Exactly at the headroom: `additions` vectors of extreme values, all slots at
    /// ±bound, sum without carrying between slots.
    @Test func sumExactlyAtTheHeadroomLimit() throws {
        let bound = BigInt(1 << 30)
        let layout = try PackingLayout(publicKey: key.publicKey, bound: bound, additions: 4)
        let count = layout.slotsPerPlaintext + 1
        let high = [BigInt](repeating: bound, count: count)
        let low = [BigInt](repeating: -bound, count: count)
        let alternating = (0..<count).map { $0.isMultiple(of: 2) ? bound : -bound }
        for pattern in [high, low, alternating] {
            var total = try encryptor.encrypt(vector: pattern, layout: layout)
            for _ in 1..<4 {
                total = try total.adding(try encryptor.encrypt(vector: pattern, layout: layout))
            }
            #expect(total.summands == 4)
            #expect(try key.decrypt(total) == pattern.map { $0 * BigInt(4) })
        }
    }

    @Test func onePastTheHeadroomIsRefused() throws {
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 100, additions: 2)
        let a = try encryptor.encrypt(vector: [1, 2, 3], layout: layout)
        let two = try a.adding(a)
        #expect(paillierError { _ = try two.adding(a) }?.code == .headroomExhausted)
        #expect(paillierError { _ = try PackedCiphertexts(layout: layout, count: 3, ciphertexts: a.ciphertexts, summands: 3) }?.code == .headroomExhausted)
    }

    @Test func valuesPastTheBoundAreRefusedNotWrapped() throws {
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 100, additions: 2)
        #expect(try layout.pack([100, -100]).count == 1)
        let error = paillierError { _ = try layout.pack([5, 101]) }
        #expect(error?.code == .packingBound)
        #expect(error?.message.contains("index 1") == true)
        #expect(paillierError { _ = try layout.pack([-101]) }?.code == .packingBound)
    }

    @Test func layoutsThatDoNotFitAreRefused() {
        let pk = key.publicKey
        #expect(paillierError { _ = try PackingLayout(publicKey: pk, bound: pk.maxSigned, additions: 2) }?.code == .packingBound)
        #expect(paillierError { _ = try PackingLayout(publicKey: pk, bound: 0, additions: 2) }?.code == .packingBound)
        #expect(paillierError { _ = try PackingLayout(publicKey: pk, bound: 5, additions: 0) }?.code == .packingBound)
    }

    @Test func mismatchedVectorsAreRefused() throws {
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 100, additions: 4)
        let other = try PackingLayout(publicKey: key.publicKey, bound: 200, additions: 4)
        let a = try encryptor.encrypt(vector: [1, 2], layout: layout)
        let b = try encryptor.encrypt(vector: [1, 2], layout: other)
        let c = try encryptor.encrypt(vector: [1, 2, 3], layout: layout)
        #expect(paillierError { _ = try a.adding(b) }?.code == .layoutMismatch)
        #expect(paillierError { _ = try a.adding(c) }?.code == .layoutMismatch)
        #expect(paillierError { _ = try PackedCiphertexts(layout: layout, count: 500, ciphertexts: a.ciphertexts, summands: 1) }?.code == .layoutMismatch)
        let foreign = try TestKeys.otherEncryptor.encrypt(1)
        #expect(paillierError { _ = try PackedCiphertexts(layout: layout, count: 1, ciphertexts: [foreign], summands: 1) }?.code == .keyMismatch)
    }

    @Test func corruptedPackedPlaintextIsDetected() throws {
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 100, additions: 2)
        // A value with bits above the used slots cannot come from a valid sum.
        let packed = try layout.pack([1, 2])
        #expect(paillierError { _ = try layout.unpack([packed[0] + (BigInt(1) << (layout.slotBits * 3))], count: 2) }?.code == .overflow)
    }
}

@Suite("Packing headroom")
struct PackingHeadroomTests {
    /// A sum whose summand count is misreported as 1 but holds four vectors: the slots
    /// exceed bound × 1 and decryption refuses instead of returning carried values.
    @Test func misreportedSummandsAreCaught() throws {
        let key = TestKeys.small
        let encryptor = TestKeys.smallEncryptor
        let layout = try PackingLayout(publicKey: key.publicKey, bound: 100, additions: 4)
        let one = try encryptor.encrypt(vector: [100, -100, 100], layout: layout)
        let four = try one.adding(one).adding(one).adding(one)
        #expect(try key.decrypt(four) == [400, -400, 400])
        let lying = try PackedCiphertexts(layout: layout, count: 3, ciphertexts: four.ciphertexts, summands: 1)
        #expect(paillierError { _ = try key.decrypt(lying) }?.code == .overflow)
    }
}
